"""Points and polygons: shapescript._geom declares `struct point`; shapescript._draw includes it
(ffi.include()), so points made by either module's ffi work with both."""

from shapescript._draw import ffi as draw_ffi, lib as draw
from shapescript._geom import ffi, lib as geom

__all__ = ["ffi", "points", "dist", "orient", "perimeter", "area", "centroid", "translate",
           "nearest", "VERSION", "COLLINEAR", "CLOCKWISE", "COUNTERCLOCKWISE"]

VERSION = geom.GEOM_VERSION
COLLINEAR = geom.COLLINEAR
CLOCKWISE = geom.CLOCKWISE
COUNTERCLOCKWISE = geom.COUNTERCLOCKWISE


def points(coords):
    """A `struct point[]` (made with shapescript._geom's ffi) from (x, y) pairs."""
    return ffi.new("struct point[]", [list(c) for c in coords])


def _pts(coords):
    return coords if isinstance(coords, ffi.CData) else points(coords)


def dist(a, b):
    return geom.dist(ffi.new("struct point *", list(a)), ffi.new("struct point *", list(b)))


def orient(a, b, c):
    return geom.orient(*(ffi.new("struct point *", list(p)) for p in (a, b, c)))


def perimeter(coords):
    pts = _pts(coords)
    return draw.polygon_perimeter(pts, len(pts))


def area(coords):
    pts = _pts(coords)
    return draw.polygon_area(pts, len(pts))


def centroid(coords):
    pts = _pts(coords)
    c = draw.centroid(pts, len(pts))
    return (c.x, c.y)


def translate(pts, dx, dy):
    """Move the points of a `struct point[]` in place."""
    draw.translate(pts, len(pts), dx, dy)


def nearest(coords, target):
    pts = _pts(coords)
    return draw.nearest(pts, len(pts), list(target))
