"""gcd, sum and zlib's crc32 in C, through a CFFI module that CMake builds from the
inputs `cffi-forge generate` resolved."""

from ._native import ffi, lib

ZLIB_VERSION = ffi.string(lib.zlibVersion()).decode()


def gcd(a, b):
    """The greatest common divisor of two non-negative ints below 2**32."""
    return lib.sd_gcd(a, b)


def total(values):
    """The sum of a sequence of C ints, added up in C."""
    values = list(values)
    return lib.sd_sum(ffi.new("int[]", values), len(values))


def crc32(data):
    """zlib's CRC-32 of bytes."""
    return lib.sd_crc32(data, len(data))
