import math
import os
import random

import pytest

import libmcall
from libmcall import ffi, libc, libm


def test_the_module_is_generated_python_not_an_extension():
    from libmcall import _ffi

    assert _ffi.__file__.endswith(".py")


@pytest.mark.parametrize("x", [0.0, 0.5, 1.0, math.pi, -2.5, 1e6])
def test_libm_matches_math(x):
    assert libm.cos(x) == pytest.approx(math.cos(x), rel=1e-15, abs=1e-15)
    assert libm.hypot(x, 3.0) == pytest.approx(math.hypot(x, 3.0), rel=1e-15)
    assert libm.fmod(x, 0.75) == pytest.approx(math.fmod(x, 0.75), abs=1e-12)
    assert libmcall.frexp(x) == math.frexp(x)
    assert libm.ldexp(x, 5) == math.ldexp(x, 5)


def test_struct_returned_by_value():
    result = libc.div(17, 5)
    assert (result.quot, result.rem) == (3, 2)
    assert ffi.sizeof("div_t") == 2 * ffi.sizeof("int")
    assert ffi.offsetof("div_t", "rem") == ffi.sizeof("int")


def test_strlen_on_bytes():
    assert libc.strlen(b"hello, world") == 12
    assert libc.strlen(b"") == 0


def test_qsort_with_a_python_callback():
    rng = random.Random(7)
    values = [rng.randrange(-10**12, 10**12) for _ in range(500)]
    assert libmcall.sort_ints(values) == sorted(values)


@pytest.mark.skipif(os.name == "nt", reason="variadic snprintf checked on POSIX")
def test_variadic_call():
    assert libmcall.format_double(math.pi) == "3.142"
    assert libmcall.format_double(2.0, 1) == "2.0"


def test_enum_and_integer_constant():
    assert (ffi.integer_const("ROUND_DOWN"), ffi.integer_const("ROUND_UP")) == (-1, 1)
    assert libc.LIBMCALL_ABI_VERSION == 3
    assert ffi.string(ffi.cast("enum rounding", 0)) == "ROUND_NEAREST"
