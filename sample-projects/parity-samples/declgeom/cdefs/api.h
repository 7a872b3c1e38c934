double geom_dist(point_t a, point_t b);
box_t geom_bounds(const point_t *points, int n);
int geom_unit(void);
