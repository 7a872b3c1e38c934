#ifndef SHAPES_DRAW_H
#define SHAPES_DRAW_H

#include "geom.h"

double polygon_perimeter(const struct point *pts, int n);
double polygon_area(const point_t *pts, int n);
struct point centroid(const struct point *pts, int n);
void translate(struct point *pts, int n, double dx, double dy);
int nearest(const struct point *pts, int n, struct point target);

#endif
