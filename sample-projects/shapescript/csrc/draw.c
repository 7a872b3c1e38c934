/* The polygon functions of shapes._draw. Its module does not link geom.c (that is
   shapes._geom's): distances are computed here again. */
#include <math.h>

#include "draw.h"

static double seg(const struct point *a, const struct point *b)
{
    return hypot(a->x - b->x, a->y - b->y);
}

double polygon_perimeter(const struct point *pts, int n)
{
    double total = 0;
    for (int i = 0; i < n; i++)
        total += seg(&pts[i], &pts[(i + 1) % n]);
    return total;
}

/* Shoelace formula; positive for counterclockwise polygons. */
double polygon_area(const point_t *pts, int n)
{
    double twice = 0;
    for (int i = 0; i < n; i++) {
        const point_t *a = &pts[i], *b = &pts[(i + 1) % n];
        twice += a->x * b->y - b->x * a->y;
    }
    return twice / 2;
}

struct point centroid(const struct point *pts, int n)
{
    struct point c = { 0, 0 };
    for (int i = 0; i < n; i++) {
        c.x += pts[i].x;
        c.y += pts[i].y;
    }
    if (n > 0) {
        c.x /= n;
        c.y /= n;
    }
    return c;
}

void translate(struct point *pts, int n, double dx, double dy)
{
    for (int i = 0; i < n; i++) {
        pts[i].x += dx;
        pts[i].y += dy;
    }
}

int nearest(const struct point *pts, int n, struct point target)
{
    int best = -1;
    double best_d = 0;
    for (int i = 0; i < n; i++) {
        double d = seg(&pts[i], &target);
        if (best < 0 || d < best_d) {
            best = i;
            best_d = d;
        }
    }
    return best;
}
