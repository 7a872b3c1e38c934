from mixext._clamp import lib as _lib
from mixext._native import mean, version_hex

__all__ = ["clamp", "mean", "version_hex", "on_linux"]


def clamp(x, lo, hi):
    return _lib.clamp(x, lo, hi)


def on_linux():
    return bool(_lib.CLAMP_ON_LINUX)
