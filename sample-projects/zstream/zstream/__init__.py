"""Streaming deflate/inflate on the system zlib (a declarative API-mode CFFI module)."""

from zstream._zlib import ffi, lib

__all__ = ["Compressor", "Decompressor", "compress", "decompress", "ZstreamError", "header_version"]

CHUNK = 1 << 16
FORMATS = {"zlib": 0, "gzip": 16, "raw": None}


class ZstreamError(Exception):
    pass


def header_version():
    """The zlib version the module was compiled against."""
    return ffi.string(lib.zstream_version()).decode("ascii")


def _window_bits(fmt):
    if fmt not in FORMATS:
        raise ValueError("format must be one of %s" % sorted(FORMATS))
    return -lib.MAX_WBITS if fmt == "raw" else lib.MAX_WBITS + FORMATS[fmt]


def _check(strm, rc, what):
    if rc not in (lib.Z_OK, lib.Z_STREAM_END, lib.Z_BUF_ERROR):
        message = ffi.string(strm.msg).decode() if strm.msg != ffi.NULL else "error %d" % rc
        raise ZstreamError("%s: %s" % (what, message))
    return rc


class _Stream:
    def __init__(self):
        self._strm = ffi.new("z_stream *")  # zeroed: zalloc/zfree/opaque are NULL
        self._out = ffi.new("Bytef[]", CHUNK)
        self._open = False

    def _pump(self, step, data, flush):
        strm = self._strm
        keep = ffi.from_buffer(data)
        strm.next_in = ffi.cast("Bytef *", keep)
        strm.avail_in = len(data)
        pieces = []
        while True:
            strm.next_out = self._out
            strm.avail_out = CHUNK
            rc = _check(strm, step(strm, flush), step.__name__)
            pieces.append(ffi.buffer(self._out, CHUNK - strm.avail_out)[:])
            if rc == lib.Z_STREAM_END or (strm.avail_out != 0 and strm.avail_in == 0):
                break
            if rc == lib.Z_BUF_ERROR and strm.avail_in == 0:
                break
        return b"".join(pieces), rc


class Compressor(_Stream):
    def __init__(self, level=-1, fmt="zlib"):
        super().__init__()
        rc = lib.deflateInit2(self._strm, level, lib.Z_DEFLATED, _window_bits(fmt),
                              8, lib.Z_DEFAULT_STRATEGY)
        _check(self._strm, rc, "deflateInit2")
        self._open = True

    def compress(self, data):
        return self._pump(lib.deflate, data, lib.Z_NO_FLUSH)[0]

    def flush(self):
        out, rc = self._pump(lib.deflate, b"", lib.Z_FINISH)
        assert rc == lib.Z_STREAM_END
        lib.deflateEnd(self._strm)
        self._open = False
        return out

    @property
    def total_in(self):
        return self._strm.total_in


class Decompressor(_Stream):
    def __init__(self, fmt="zlib"):
        super().__init__()
        _check(self._strm, lib.inflateInit2(self._strm, _window_bits(fmt)), "inflateInit2")
        self._open = True
        self.eof = False

    def decompress(self, data):
        if self.eof:
            raise ZstreamError("data after the end of the stream")
        out, rc = self._pump(lib.inflate, data, lib.Z_NO_FLUSH)
        if rc == lib.Z_STREAM_END:
            self.eof = True
            lib.inflateEnd(self._strm)
            self._open = False
        return out


def compress(data, level=-1, fmt="zlib"):
    c = Compressor(level, fmt)
    return c.compress(data) + c.flush()


def decompress(data, fmt="zlib"):
    d = Decompressor(fmt)
    out = d.decompress(data)
    if not d.eof:
        raise ZstreamError("incomplete stream")
    return out
