from typing import NamedTuple

from textkit._count import ffi, lib


class Counts(NamedTuple):
    lines: int
    words: int
    bytes: int

    def __str__(self) -> str:
        return "%d lines, %d words, %d bytes" % self


def count(data) -> Counts:
    if isinstance(data, str):
        data = data.encode("utf-8")
    out = ffi.new("struct counts *")
    lib.count_text(ffi.from_buffer(data), len(data), out)
    return Counts(out.lines, out.words, out.bytes)
