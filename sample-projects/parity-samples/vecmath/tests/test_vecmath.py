import glob
import os
import sys

import pytest

import vecmath
import vecmath._speedups
import vecmath._vec


def test_dot_uses_extra_sources_macro_and_static_library():
    # vec_dot (csrc/vec/dot.c, from module-options) calls core_mul_add (the library)
    # and scales by VEC_SCALE (a module-options macro).
    assert vecmath.dot([1, 2, 3], [4, 5, 6]) == 2 * 32
    assert vecmath.lib.VEC_SCALE == 2
    with pytest.raises(ValueError):
        vecmath.dot([1], [])


def test_every_globbed_source_is_compiled_in():
    assert vecmath.lib.vec_norm1(vecmath.ffi.new("long[]", [-1, 2, -3]), 3) == 6


def test_library_linked_into_both_modules():
    assert vecmath.lib.core_bias() == 100
    assert vecmath.biased_add(1, 2) == 103


def test_both_compiled_modules_are_abi3():
    for module in (vecmath._vec, vecmath._speedups):
        assert ".abi3." in os.path.basename(module.__file__), module.__file__


def test_windows_only_extension_is_absent_elsewhere():
    here = os.path.dirname(vecmath.__file__)
    found = glob.glob(os.path.join(here, "_wincompat*"))
    assert bool(found) == (sys.platform == "win32"), found
