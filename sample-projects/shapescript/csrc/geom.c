#include <math.h>

#include "geom.h"

double dist(const struct point *a, const struct point *b)
{
    return hypot(a->x - b->x, a->y - b->y);
}

enum orientation orient(const struct point *a, const struct point *b, const struct point *c)
{
    double cross = (b->x - a->x) * (c->y - a->y) - (b->y - a->y) * (c->x - a->x);
    if (cross > 0)
        return COUNTERCLOCKWISE;
    if (cross < 0)
        return CLOCKWISE;
    return COLLINEAR;
}
