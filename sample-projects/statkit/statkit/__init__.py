"""Order statistics implemented in C++."""

from statkit._stats import ffi, lib

__all__ = ["median", "percentile", "sorted_floats", "unique_count"]


def _doubles(values):
    return ffi.new("double[]", [float(v) for v in values])


def median(values) -> float:
    out = ffi.new("double *")
    status = lib.sk_median(_doubles(values), len(values), out)
    if status == -1:
        raise ValueError("median of an empty sequence")
    if status == -2:
        raise MemoryError()
    return out[0]


def percentile(values, q: float) -> float:
    out = ffi.new("double *")
    if lib.sk_percentile(_doubles(values), len(values), q, out) != 0:
        raise ValueError("need a non-empty sequence and 0 <= q <= 1")
    return out[0]


def unique_count(values) -> int:
    return lib.sk_unique_count(ffi.new("long long[]", list(values)), len(values))


def sorted_floats(values) -> list:
    array = _doubles(values)
    lib.sk_sort(array, len(values))
    return list(array)
