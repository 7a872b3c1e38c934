"""gcd and sum in C, through a CFFI module that cffi-forge's hatchling hook builds."""

from ._native import ffi, lib

GREETING = "hello from hatchdemo"


def gcd(a, b):
    """The greatest common divisor of two non-negative ints below 2**32."""
    return lib.hd_gcd(a, b)


def total(values):
    """The sum of a sequence of C ints, added up in C."""
    values = list(values)
    return lib.hd_sum(ffi.new("int[]", values), len(values))
