"""zlib's checksums and one-shot compression, through CFFI's ABI mode."""

import ctypes.util
import sys

from zdlopen._zlib import ffi

__all__ = ["ffi", "lib", "version", "crc32", "adler32", "compress", "decompress", "ZlibError"]


def _open_zlib():
    candidates = []
    found = ctypes.util.find_library("z") or ctypes.util.find_library("zlib")
    if found:
        candidates.append(found)
    candidates += {"darwin": ["libz.dylib"], "win32": ["zlib1.dll", "zlib.dll"]}.get(
        sys.platform, ["libz.so.1", "libz.so"]
    )
    errors = []
    for name in candidates:
        try:
            return ffi.dlopen(name)
        except OSError as e:
            errors.append("%s: %s" % (name, e))
    raise ImportError("cannot open the zlib shared library (%s)" % "; ".join(errors))


lib = _open_zlib()


class ZlibError(Exception):
    pass


def version():
    return ffi.string(lib.zlibVersion()).decode("ascii")


def _checksum(function, data, start):
    value = start
    view = memoryview(data).cast("B")
    # uInt lengths: feed gigantic inputs in pieces.
    step = 1 << 30
    for offset in range(0, len(view), step) or [0]:
        chunk = view[offset:offset + step]
        value = function(value, ffi.from_buffer(chunk), len(chunk))
    return value & 0xFFFFFFFF


def crc32(data, value=0):
    return _checksum(lib.crc32, data, value)


def adler32(data, value=1):
    return _checksum(lib.adler32, data, value)


def compress(data, level=-1):
    if not -1 <= level <= 9:
        raise ValueError("level must be -1..9, got %r" % (level,))
    size = lib.compressBound(len(data))
    out = ffi.new("Bytef[]", size)
    out_len = ffi.new("uLongf *", size)
    rc = lib.compress2(out, out_len, ffi.from_buffer(data), len(data), level)
    if rc != lib.Z_OK:
        raise ZlibError("compress2 failed with %d" % rc)
    return ffi.buffer(out, out_len[0])[:]


def decompress(data, size):
    """Inflate `data`, whose uncompressed length is known to be `size` bytes."""
    out = ffi.new("Bytef[]", max(size, 1))
    out_len = ffi.new("uLongf *", size)
    rc = lib.uncompress(out, out_len, ffi.from_buffer(data), len(data))
    if rc == lib.Z_BUF_ERROR:
        raise ZlibError("the data inflates to more than %d bytes" % size)
    if rc != lib.Z_OK:
        raise ZlibError("uncompress failed with %d (corrupt data?)" % rc)
    return ffi.buffer(out, out_len[0])[:]
