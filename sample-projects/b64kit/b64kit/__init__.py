"""Base64/base32 codecs in bundled C (a declarative API-mode CFFI module)."""

from b64kit._codec import ffi, lib

__all__ = ["b64encode", "b64decode", "urlsafe_b64encode", "urlsafe_b64decode", "encodebytes",
           "b32encode", "Error", "LINE_MAX"]

LINE_MAX = lib.B64KIT_LINE_MAX


class Error(ValueError):
    pass


def _encode(data, alphabet):
    data = bytes(data)
    out = ffi.new("char[]", lib.b64kit_encoded_len(len(data)) + 1)
    n = lib.b64kit_encode(data, len(data), out, alphabet)
    return ffi.buffer(out, n)[:]


def _decode(text, alphabet):
    if isinstance(text, str):
        text = text.encode("ascii")
    text = bytes(text)
    out = ffi.new("unsigned char[]", len(text) // 4 * 3 + 1)
    n = lib.b64kit_decode(text, len(text), out, alphabet)
    if n == lib.B64KIT_ERR_LENGTH:
        raise Error("base64 input length %d is not a multiple of 4" % len(text))
    if n == lib.B64KIT_ERR_CHAR:
        raise Error("invalid base64 character")
    return ffi.buffer(out, n)[:]


def b64encode(data):
    return _encode(data, lib.B64KIT_STANDARD)


def b64decode(text):
    return _decode(text, lib.B64KIT_STANDARD)


def urlsafe_b64encode(data):
    return _encode(data, lib.B64KIT_URLSAFE)


def urlsafe_b64decode(text):
    return _decode(text, lib.B64KIT_URLSAFE)


def encodebytes(data):
    """Like base64.encodebytes: lines of at most LINE_MAX characters, each ending in \\n."""
    encoded = b64encode(data)
    out = ffi.new("char[]", len(encoded) + len(encoded) // LINE_MAX + 2)
    n = lib.b64kit_wrap(encoded, len(encoded), out)
    return ffi.buffer(out, n)[:]


def b32encode(data):
    data = bytes(data)
    out = ffi.new("char[]", lib.b32kit_encoded_len(len(data)) + 1)
    n = lib.b32kit_encode(data, len(data), out)
    return ffi.buffer(out, n)[:]
