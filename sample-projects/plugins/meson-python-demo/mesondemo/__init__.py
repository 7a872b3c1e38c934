"""gcd, sum and hypot in C, through a CFFI module that meson builds from the inputs
`cffi-forge generate` resolved."""

from ._native import ffi, lib

SCALE = lib.md_scale()


def gcd(a, b):
    """The greatest common divisor of two non-negative ints below 2**32."""
    return lib.md_gcd(a, b)


def total(values):
    """The sum of a sequence of C ints, added up in C."""
    values = list(values)
    return lib.md_sum(ffi.new("int[]", values), len(values))


def hypot(x, y):
    """sqrt(x*x + y*y), by libm."""
    return lib.md_hypot(x, y)
