"""A top-level single-file module (beside the crcutil/ folder of C sources)."""

from crcpkg._crc import ffi, lib


def crc_sum(data: bytes) -> int:
    return lib.crc_sum(data, len(data))


def adler32(data: bytes) -> int:
    return lib.crc_adler(data, len(data))
