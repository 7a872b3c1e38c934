from cffi import FFI

ffibuilder = FFI()
ffibuilder.cdef("""
    #define GEOM_VERSION 3
    struct point { double x, y; };
    typedef struct point point_t;
    enum orientation { COLLINEAR, CLOCKWISE, COUNTERCLOCKWISE };
    double dist(const struct point *a, const struct point *b);
    enum orientation orient(const struct point *a, const struct point *b, const struct point *c);
""")
ffibuilder.set_source(
    "shapescript._geom",
    '#include "geom.h"',
    sources=["csrc/geom.c"],
    include_dirs=["include"],
    depends=["include/geom.h"],
)
