"""The CFFI module of mesondemo, as setuptools projects write it: cffi-forge reads the
set_source keywords (sources, include_dirs, define_macros, libraries) for meson."""

from cffi import FFI

ffibuilder = FFI()
ffibuilder.cdef(
    """
    unsigned int md_gcd(unsigned int a, unsigned int b);
    long long md_sum(const int *values, size_t n);
    double md_hypot(double x, double y);
    int md_scale(void);
    """
)
ffibuilder.set_source(
    "mesondemo._native",
    '#include "mesondemo.h"',
    sources=["csrc/mesondemo.c"],
    include_dirs=["csrc"],
    define_macros=[("MD_SCALE", "3")],
    libraries=["m"],
)
