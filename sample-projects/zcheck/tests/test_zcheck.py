import os
import re
import zlib

import pytest

import zcheck

SAMPLES = [b"", b"a", b"hello world", os.urandom(1000), b"abc" * 10000]


@pytest.mark.parametrize("data", SAMPLES)
def test_checksums_match_the_stdlib(data):
    assert zcheck.crc32(data) == zlib.crc32(data)
    assert zcheck.adler32(data) == zlib.adler32(data)


def test_running_checksums():
    a, b = b"first half ", b"second half"
    assert zcheck.crc32(b, zcheck.crc32(a)) == zlib.crc32(a + b)
    assert zcheck.adler32(b, zcheck.adler32(a)) == zlib.adler32(a + b)


@pytest.mark.parametrize("data", SAMPLES)
@pytest.mark.parametrize("level", [0, 1, 9, -1])
def test_round_trip_and_interoperability(data, level):
    packed = zcheck.compress(data, level)
    assert zlib.decompress(packed) == data
    assert zcheck.decompress(packed, len(data)) == data
    assert zcheck.decompress(zlib.compress(data), len(data)) == data


def test_compression_actually_compresses():
    data = b"abc" * 10000
    assert len(zcheck.compress(data, 9)) < len(data) // 50


def test_corrupt_input_raises():
    with pytest.raises(zcheck.ZlibError, match="Z_DATA_ERROR"):
        zcheck.decompress(b"definitely not zlib data", 100)


def test_too_small_output_buffer_raises():
    packed = zcheck.compress(b"x" * 1000)
    with pytest.raises(zcheck.ZlibError, match="Z_BUF_ERROR"):
        zcheck.decompress(packed, 10)


def test_constants_come_from_the_real_header():
    from zcheck._zlib import lib

    assert (lib.Z_OK, lib.Z_BEST_COMPRESSION, lib.Z_DEFAULT_COMPRESSION) == (0, 9, -1)


def test_reports_the_linked_zlib_version():
    assert re.fullmatch(r"1\.\d+(\.\d+)*.*", zcheck.zlib_version())
