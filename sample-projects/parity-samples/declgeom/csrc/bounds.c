#include "geom.h"

box_t geom_bounds(const point_t *points, int n)
{
    box_t box = {{0, 0}, {0, 0}};
    for (int i = 0; i < n; i++) {
        if (i == 0 || points[i].x < box.lo.x) box.lo.x = points[i].x;
        if (i == 0 || points[i].y < box.lo.y) box.lo.y = points[i].y;
        if (i == 0 || points[i].x > box.hi.x) box.hi.x = points[i].x;
        if (i == 0 || points[i].y > box.hi.y) box.hi.y = points[i].y;
    }
    return box;
}
