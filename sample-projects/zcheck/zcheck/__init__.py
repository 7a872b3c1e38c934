"""zlib checksums and compression through the system zlib."""

from zcheck._zlib import ffi, lib

__all__ = ["ZlibError", "adler32", "compress", "crc32", "decompress", "zlib_version"]


class ZlibError(Exception):
    pass


def zlib_version() -> str:
    return ffi.string(lib.zlibVersion()).decode("ascii")


def crc32(data, value: int = 0) -> int:
    return lib.crc32(value, ffi.from_buffer(data), len(data))


def adler32(data, value: int = 1) -> int:
    return lib.adler32(value, ffi.from_buffer(data), len(data))


def _check(status: int) -> None:
    if status != lib.Z_OK:
        names = {lib.Z_BUF_ERROR: "Z_BUF_ERROR", lib.Z_DATA_ERROR: "Z_DATA_ERROR",
                 lib.Z_MEM_ERROR: "Z_MEM_ERROR"}
        raise ZlibError(names.get(status, "zlib error %d" % status))


def compress(data, level: int = -1) -> bytes:
    bound = lib.compressBound(len(data))
    out = ffi.new("Bytef[]", bound)
    out_len = ffi.new("uLongf *", bound)
    _check(lib.compress2(out, out_len, ffi.from_buffer(data), len(data), level))
    return ffi.buffer(out, out_len[0])[:]


def decompress(data, size: int) -> bytes:
    """Inflate `data`, whose uncompressed size must be at most `size` bytes."""
    out = ffi.new("Bytef[]", max(size, 1))
    out_len = ffi.new("uLongf *", size)
    _check(lib.uncompress(out, out_len, ffi.from_buffer(data), len(data)))
    return ffi.buffer(out, out_len[0])[:]
