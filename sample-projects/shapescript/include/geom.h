#ifndef SHAPES_GEOM_H
#define SHAPES_GEOM_H

#define GEOM_VERSION 3

struct point { double x, y; };
typedef struct point point_t;
enum orientation { COLLINEAR, CLOCKWISE, COUNTERCLOCKWISE };

double dist(const struct point *a, const struct point *b);
enum orientation orient(const struct point *a, const struct point *b, const struct point *c);

#endif
