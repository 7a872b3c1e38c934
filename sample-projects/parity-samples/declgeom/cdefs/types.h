typedef struct { double x, y; } point_t;
typedef struct { point_t lo, hi; } box_t;
