__version__ = "0.7.0"

import sys

from declgeom._geom import ffi, lib

__all__ = ["dist", "bounds", "hypot", "lib"]


def dist(a, b):
    return lib.geom_dist(a, b)


def bounds(points):
    box = lib.geom_bounds(ffi.new("point_t[]", points), len(points))
    return (box.lo.x, box.lo.y), (box.hi.x, box.hi.y)


def hypot(x, y):
    if not sys.platform.startswith("linux"):
        raise NotImplementedError("declgeom._libm is built on Linux only")
    from declgeom._libm import ffi as abi_ffi

    libm = abi_ffi.dlopen("libm.so.6")
    return libm.hypot(x, y)
