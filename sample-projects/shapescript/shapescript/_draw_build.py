import os
import sys

from cffi import FFI

# cffi's setuptools integration runs build scripts without their folder on sys.path.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _geom_build import ffibuilder as geom_ffi  # noqa: E402

ffibuilder = FFI()
# struct point, point_t and enum orientation are shapescript._geom's: known to this
# cdef, not declared again.
ffibuilder.include(geom_ffi)
ffibuilder.cdef("""
    double polygon_perimeter(const struct point *pts, int n);
    double polygon_area(const point_t *pts, int n);
    struct point centroid(const struct point *pts, int n);
    void translate(struct point *pts, int n, double dx, double dy);
    int nearest(const struct point *pts, int n, struct point target);
""")
ffibuilder.set_source(
    "shapescript._draw",
    '#include "draw.h"',
    sources=["csrc/draw.c"],
    include_dirs=["include"],
    depends=["include/geom.h", "include/draw.h"],
)
