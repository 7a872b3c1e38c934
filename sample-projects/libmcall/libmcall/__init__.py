"""The C library and libm, called through CFFI's ABI mode."""

import ctypes.util
import sys

from libmcall._ffi import ffi

__all__ = ["ffi", "libc", "libm", "sort_ints", "format_double", "frexp"]


def _open_libm():
    if sys.platform == "win32":
        return ffi.dlopen("ucrtbase.dll")
    name = ctypes.util.find_library("m")
    if name is None:
        name = "libm.so.6" if sys.platform.startswith("linux") else None
    return ffi.dlopen(name)


libc = ffi.dlopen(None) if sys.platform != "win32" else ffi.dlopen("ucrtbase.dll")
libm = _open_libm()


def sort_ints(values):
    """Sort a list of ints with the C library's qsort and a Python callback."""

    @ffi.callback("compare_fn")
    def compare(a, b):
        x = ffi.cast("long long *", a)[0]
        y = ffi.cast("long long *", b)[0]
        return (x > y) - (x < y)

    array = ffi.new("long long[]", values)
    libc.qsort(array, len(values), ffi.sizeof("long long"), compare)
    return list(array)


def format_double(value: float, precision: int = 3) -> str:
    buf = ffi.new("char[]", 64)
    fmt = b"%." + str(precision).encode() + b"f"
    libc.snprintf(buf, len(buf), fmt, ffi.cast("double", value))
    return ffi.string(buf).decode()


def frexp(value: float):
    exponent = ffi.new("int *")
    mantissa = libm.frexp(value, exponent)
    return mantissa, exponent[0]
