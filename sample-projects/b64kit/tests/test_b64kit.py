"""b64kit against Python's base64 (the oracle)."""

import base64
import os
import random

import pytest

import b64kit

DATA = [b"", b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar", bytes(range(256)), os.urandom(10_001)]


@pytest.mark.parametrize("data", DATA, ids=lambda d: "%d bytes" % len(d))
def test_matches_base64(data):
    assert b64kit.b64encode(data) == base64.b64encode(data)
    assert b64kit.urlsafe_b64encode(data) == base64.urlsafe_b64encode(data)
    assert b64kit.b32encode(data) == base64.b32encode(data)
    assert b64kit.encodebytes(data) == base64.encodebytes(data)
    assert b64kit.b64decode(base64.b64encode(data)) == data
    assert b64kit.urlsafe_b64decode(base64.urlsafe_b64encode(data).decode()) == data


def test_random_round_trips():
    rng = random.Random(3)
    for _ in range(300):
        data = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 100)))
        assert b64kit.b64decode(b64kit.b64encode(data)) == data


def test_define_macros_reach_the_bundled_sources():
    # define-macros sets it for the bundled C and the generated module alike.
    assert b64kit.LINE_MAX == 76 == b64kit.lib.b64kit_line_max()


def test_enum_and_constants_come_from_the_compiler():
    lib = b64kit.lib
    assert (lib.B64KIT_STANDARD, lib.B64KIT_URLSAFE) == (0, 1)
    assert (lib.B64KIT_ERR_LENGTH, lib.B64KIT_ERR_CHAR) == (-1, -2)


@pytest.mark.parametrize("bad, message", [(b"abc", "multiple of 4"), (b"ab!d", "invalid"),
                                          (b"a=bc", "invalid"), (b"-_ab", "invalid")])
def test_invalid_input(bad, message):
    with pytest.raises(b64kit.Error, match=message):
        b64kit.b64decode(bad)
