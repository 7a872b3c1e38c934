typedef struct { double x, y; } point_t;
typedef struct { point_t lo, hi; } box_t;
double geom_dist(point_t a, point_t b);
box_t geom_bounds(const point_t *points, int n);
int geom_unit(void);
