"""zdlopen against Python's own zlib module (the oracle)."""

import os
import random
import zlib

import pytest

import zdlopen

SAMPLES = [b"", b"a", b"hello, world\n" * 100, bytes(range(256)) * 17, os.urandom(100_000)]


def test_version_is_the_runtime_zlib():
    assert zdlopen.version() == zlib.ZLIB_RUNTIME_VERSION


@pytest.mark.parametrize("data", SAMPLES, ids=lambda d: "%d bytes" % len(d))
def test_checksums_match_zlib(data):
    assert zdlopen.crc32(data) == zlib.crc32(data)
    assert zdlopen.adler32(data) == zlib.adler32(data)


def test_checksums_continue_from_a_value():
    data = b"first half|second half"
    assert zdlopen.crc32(data[10:], zdlopen.crc32(data[:10])) == zlib.crc32(data)
    assert zdlopen.adler32(data[10:], zdlopen.adler32(data[:10])) == zlib.adler32(data)
    assert zdlopen.crc32(memoryview(data)) == zlib.crc32(data)
    assert zdlopen.crc32(bytearray(data)) == zlib.crc32(data)


@pytest.mark.parametrize("level", [-1, 0, 1, 6, 9])
@pytest.mark.parametrize("data", SAMPLES, ids=lambda d: "%d bytes" % len(d))
def test_round_trip_both_ways(data, level):
    packed = zdlopen.compress(data, level)
    assert zlib.decompress(packed) == data
    assert zdlopen.decompress(packed, len(data)) == data
    assert zdlopen.decompress(zlib.compress(data, level), len(data)) == data
    if level != 0:  # stored blocks are cut where the output buffer ends
        # Same library, same settings: the same bytes as Python's zlib.
        assert packed == zlib.compress(data, level)


def test_errors():
    packed = zlib.compress(b"x" * 1000)
    with pytest.raises(zdlopen.ZlibError, match="more than 10 bytes"):
        zdlopen.decompress(packed, 10)
    corrupt = bytearray(packed)
    corrupt[5] ^= 0xFF
    with pytest.raises(zdlopen.ZlibError):
        zdlopen.decompress(bytes(corrupt), 1000)
    with pytest.raises(ValueError):
        zdlopen.compress(b"x", 10)


def test_declarations_are_the_ffi_of_an_abi_mode_module():
    ffi = zdlopen.ffi
    assert ffi.typeof("uLong") is ffi.typeof("unsigned long")
    assert ffi.sizeof("uLongf") == ffi.sizeof("long")
    assert zdlopen.lib.Z_DATA_ERROR == -3
    random_bytes = bytes(random.Random(5).getrandbits(8) for _ in range(1000))
    assert zdlopen.crc32(random_bytes) == zlib.crc32(random_bytes)
