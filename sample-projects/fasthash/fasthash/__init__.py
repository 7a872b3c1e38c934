"""Non-cryptographic hashes implemented in C."""

from fasthash._native import ffi, lib

__all__ = ["fnv1a_32", "fnv1a_64", "murmur3_32", "fnv1a_32_many", "NATIVE_VERSION"]

NATIVE_VERSION = lib.FH_VERSION_MAJOR


def fnv1a_32(data: bytes) -> int:
    return lib.fh_fnv1a_32(data, len(data))


def fnv1a_64(data: bytes) -> int:
    return lib.fh_fnv1a_64(data, len(data))


def murmur3_32(data: bytes, seed: int = 0) -> int:
    return lib.fh_murmur3_32(data, len(data), seed)


def fnv1a_32_many(data, width: int) -> list:
    """Hash each `width`-byte record of a bytes-like object."""
    if width <= 0 or len(data) % width:
        raise ValueError("data length must be a multiple of a positive width")
    count = len(data) // width
    out = ffi.new("uint32_t[]", count)
    lib.fh_fnv1a_32_many(ffi.from_buffer(data), width, count, out)
    return list(out)
