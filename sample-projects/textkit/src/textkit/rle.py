from textkit._rle import ffi, lib


def encode(data: bytes) -> bytes:
    src = ffi.from_buffer(data)
    dst = ffi.new("unsigned char[]", max(lib.rle_encoded_size(src, len(data)), 1))
    n = lib.rle_encode(src, len(data), dst)
    return ffi.buffer(dst, n)[:]


def decode(data: bytes) -> bytes:
    total = sum(bytearray(data)[0::2])
    dst = ffi.new("unsigned char[]", max(total, 1))
    n = lib.rle_decode(ffi.from_buffer(data), len(data), dst, total)
    if n > total:  # (size_t)-1 signals malformed input
        raise ValueError("malformed run-length data")
    return ffi.buffer(dst, n)[:]
