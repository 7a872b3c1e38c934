from vecmath._vec import ffi, lib
from vecmath._speedups import biased_add

__all__ = ["dot", "biased_add", "lib"]


def dot(a, b):
    n = len(a)
    if len(b) != n:
        raise ValueError("vectors differ in length")
    return lib.vec_dot(ffi.new("long[]", list(a)), ffi.new("long[]", list(b)), n)
