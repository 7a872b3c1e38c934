import os
import random

import pytest

import fasthash


def ref_fnv1a(data, bits):
    offset, prime = {
        32: (0x811C9DC5, 0x01000193),
        64: (0xCBF29CE484222325, 0x100000001B3),
    }[bits]
    h = offset
    for byte in data:
        h = ((h ^ byte) * prime) % (1 << bits)
    return h


def ref_murmur3_32(data, seed=0):
    mask = 0xFFFFFFFF

    def rotl(x, r):
        return ((x << r) | (x >> (32 - r))) & mask

    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed
    nblocks = len(data) // 4
    for i in range(nblocks):
        k = int.from_bytes(data[4 * i : 4 * i + 4], "little")
        k = rotl((k * c1) & mask, 15) * c2 & mask
        h = (rotl(h ^ k, 13) * 5 + 0xE6546B64) & mask
    tail = data[4 * nblocks :]
    if tail:
        k = int.from_bytes(tail, "little")
        k = rotl((k * c1) & mask, 15) * c2 & mask
        h ^= k
    h ^= len(data)
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & mask
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & mask
    h ^= h >> 16
    return h


# Published test vectors.
@pytest.mark.parametrize(
    "data, expected",
    [(b"", 0x811C9DC5), (b"a", 0xE40C292C), (b"foobar", 0xBF9CF968)],
)
def test_fnv1a_32_vectors(data, expected):
    assert fasthash.fnv1a_32(data) == expected


@pytest.mark.parametrize(
    "data, expected",
    [(b"", 0xCBF29CE484222325), (b"a", 0xAF63DC4C8601EC8C), (b"foobar", 0x85944171F73967E8)],
)
def test_fnv1a_64_vectors(data, expected):
    assert fasthash.fnv1a_64(data) == expected


@pytest.mark.parametrize(
    "data, seed, expected",
    [
        (b"", 0, 0),
        (b"", 1, 0x514E28B7),
        (b"", 0xFFFFFFFF, 0x81F16F39),
        (b"\0\0\0\0", 0, 0x2362F9DE),
        (b"The quick brown fox jumps over the lazy dog", 0x9747B28C, 0x2FA826CD),
    ],
)
def test_murmur3_vectors(data, seed, expected):
    assert fasthash.murmur3_32(data, seed) == expected


def test_random_inputs_match_reference():
    rng = random.Random(1234)
    for _ in range(200):
        data = bytes(rng.randrange(256) for _ in range(rng.randrange(0, 67)))
        seed = rng.randrange(1 << 32)
        assert fasthash.fnv1a_32(data) == ref_fnv1a(data, 32)
        assert fasthash.fnv1a_64(data) == ref_fnv1a(data, 64)
        assert fasthash.murmur3_32(data, seed) == ref_murmur3_32(data, seed)


def test_many_hashes_records_of_a_buffer():
    data = os.urandom(8 * 50)
    expected = [ref_fnv1a(data[i : i + 8], 32) for i in range(0, len(data), 8)]
    assert fasthash.fnv1a_32_many(data, 8) == expected
    assert fasthash.fnv1a_32_many(bytearray(data), 8) == expected
    assert fasthash.fnv1a_32_many(memoryview(data), 8) == expected


def test_many_rejects_ragged_input():
    with pytest.raises(ValueError):
        fasthash.fnv1a_32_many(b"abc", 2)


def test_constant_from_c_source():
    assert fasthash.NATIVE_VERSION == 1


def test_is_a_compiled_api_mode_module():
    from fasthash import _native

    assert _native.__file__.endswith((".so", ".pyd"))
    assert _native.ffi.typeof(_native.lib.fh_fnv1a_32).cname == (
        "uint32_t(*)(unsigned char *, size_t)"
    )
