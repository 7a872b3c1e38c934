"""zstream against Python's zlib (the oracle), in all three formats."""

import gzip
import os
import random
import zlib

import pytest

import zstream
from zstream._zlib import ffi, lib

WBITS = {"zlib": zlib.MAX_WBITS, "gzip": zlib.MAX_WBITS | 16, "raw": -zlib.MAX_WBITS}
DATA = [b"", b"z", b"streaming " * 5000, os.urandom(200_000), bytes(range(256)) * 1000]


def test_compiled_against_the_zlib_python_uses():
    # Headers and shared library of the same installation: the same major version.
    assert zstream.header_version().split(".")[0] == zlib.ZLIB_RUNTIME_VERSION.split(".")[0]
    assert lib.Z_FINISH == zlib.Z_FINISH
    assert lib.Z_DEFLATED == zlib.DEFLATED
    assert lib.MAX_WBITS == zlib.MAX_WBITS
    # The compiler filled in the rest of the partial struct.
    assert ffi.sizeof("z_stream") > ffi.offsetof("z_stream", "msg")


@pytest.mark.parametrize("fmt", sorted(WBITS))
@pytest.mark.parametrize("data", DATA, ids=lambda d: "%d bytes" % len(d))
def test_one_shot_both_ways(data, fmt):
    packed = zstream.compress(data, 6, fmt)
    assert zlib.decompress(packed, WBITS[fmt]) == data
    oracle = zlib.compressobj(6, zlib.DEFLATED, WBITS[fmt])
    assert zstream.decompress(oracle.compress(data) + oracle.flush(), fmt) == data
    if fmt != "gzip":  # gzip headers carry a time stamp
        assert packed == oracle_compress(data, fmt)


def oracle_compress(data, fmt):
    c = zlib.compressobj(6, zlib.DEFLATED, WBITS[fmt])
    return c.compress(data) + c.flush()


def test_streaming_in_random_pieces():
    rng = random.Random(7)
    data = b"".join(rng.choice([b"abc", b"xyz" * 10, os.urandom(50)]) for _ in range(3000))
    c = zstream.Compressor(9)
    packed = b""
    pos = 0
    while pos < len(data):
        step = rng.randint(1, 5000)
        packed += c.compress(data[pos:pos + step])
        pos += step
    packed += c.flush()
    assert c.total_in == len(data)
    assert zlib.decompress(packed) == data

    d = zstream.Decompressor()
    out = b""
    for i in range(0, len(packed), 777):
        out += d.decompress(packed[i:i + 777])
    assert d.eof and out == data


def test_gzip_output_is_read_by_the_gzip_module():
    data = b"gzip me " * 999
    assert gzip.decompress(zstream.compress(data, fmt="gzip")) == data
    assert zstream.decompress(gzip.compress(data), "gzip") == data


def test_errors():
    with pytest.raises(zstream.ZstreamError, match="incorrect header check|invalid"):
        zstream.decompress(b"this is not zlib data")
    with pytest.raises(zstream.ZstreamError, match="incomplete"):
        zstream.decompress(zlib.compress(b"abc" * 100)[:-4])
    with pytest.raises(ValueError):
        zstream.Compressor(fmt="zip")
