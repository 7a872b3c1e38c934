#include <math.h>
#include "geom.h"

double geom_dist(point_t a, point_t b) { return sqrt((a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)); }

int geom_unit(void) { return GEOM_UNIT; }
