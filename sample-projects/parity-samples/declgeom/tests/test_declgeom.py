import os
import sys

import pytest

import declgeom


def test_struct_by_value_from_the_first_cdef_file():
    assert declgeom.dist((0, 0), (3, 4)) == 5.0
    assert declgeom.dist({"x": 1, "y": 1}, {"x": 1, "y": 1}) == 0.0


def test_every_globbed_source_is_in():
    assert declgeom.bounds([(1, 5), (-2, 3), (4, -1)]) == ((-2, -1), (4, 5))


def test_module_options_reach_a_declarative_module():
    assert declgeom.lib.geom_unit() == 10


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="declgeom._libm is Linux only")
def test_abi_mode_module_on_linux():
    assert declgeom.hypot(6, 8) == 10.0


def test_windows_module_is_absent_elsewhere():
    here = os.path.dirname(declgeom.__file__)
    names = os.listdir(here)
    assert any(n.startswith("_win") for n in names) == (sys.platform == "win32"), names
