import os

from crcpkg._crc import lib

__all__ = ["lib", "poly"]


def poly() -> str:
    with open(os.path.join(os.path.dirname(__file__), "data", "poly.txt")) as f:
        return f.read().strip()
