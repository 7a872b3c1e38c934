"""shapescript against Python's math (the oracle), and points crossing between the modules."""

import math

import pytest

import shapescript as shapes
from shapescript import draw_ffi, ffi

SQUARE = [(0, 0), (2, 0), (2, 2), (0, 2)]
TRIANGLE = [(0, 0), (4, 0), (0, 3)]


def test_dist_matches_math():
    assert shapes.dist((0, 0), (3, 4)) == 5.0
    assert shapes.dist((1.5, -2), (-0.5, 7)) == pytest.approx(math.dist((1.5, -2), (-0.5, 7)))


def test_orientation_constants_come_from_geom():
    assert shapes.orient((0, 0), (1, 0), (0, 1)) == shapes.COUNTERCLOCKWISE
    assert shapes.orient((0, 0), (0, 1), (1, 0)) == shapes.CLOCKWISE
    assert shapes.orient((0, 0), (1, 1), (2, 2)) == shapes.COLLINEAR
    assert shapes.VERSION == 3


@pytest.mark.parametrize("coords", [SQUARE, TRIANGLE], ids=["square", "triangle"])
def test_perimeter_and_area(coords):
    expected = sum(math.dist(coords[i], coords[(i + 1) % len(coords)]) for i in range(len(coords)))
    assert shapes.perimeter(coords) == pytest.approx(expected)
    twice = sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(coords, coords[1:] + coords[:1]))
    assert shapes.area(coords) == pytest.approx(twice / 2)


def test_struct_returned_by_value():
    assert shapes.centroid(SQUARE) == (1.0, 1.0)
    c = shapes.draw.centroid(shapes.points(TRIANGLE), 3)
    assert ffi.typeof(c) is ffi.typeof("struct point")
    assert (c.x, c.y) == pytest.approx((4 / 3, 1.0))


def test_points_of_one_module_go_to_the_other():
    pts = shapes.points(SQUARE)  # made by shapes._geom's ffi
    shapes.translate(pts, 10, -1)  # changed in place by shapes._draw
    assert [(p.x, p.y) for p in pts] == [(x + 10, y - 1) for x, y in SQUARE]
    assert shapes.geom.dist(pts + 0, pts + 2) == pytest.approx(math.sqrt(8))


def test_both_ffis_know_the_same_types():
    assert draw_ffi.typeof("struct point") is ffi.typeof("struct point")
    assert draw_ffi.typeof("point_t *") is ffi.typeof("struct point *")
    assert draw_ffi.sizeof("struct point") == 2 * ffi.sizeof("double")
    p = draw_ffi.new("point_t *", [1, 2])  # made by shapes._draw's ffi
    assert shapes.geom.dist(p, ffi.new("struct point *", [4, 6])) == 5.0


def test_struct_passed_by_value():
    assert shapes.nearest(TRIANGLE, (3.5, 0.5)) == 1
    assert shapes.nearest(SQUARE, (0.1, 1.9)) == 3
