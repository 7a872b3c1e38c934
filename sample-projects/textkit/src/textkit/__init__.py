"""Text statistics and run-length coding, implemented in C."""

from textkit.counting import Counts, count
from textkit.rle import decode, encode

__all__ = ["Counts", "count", "decode", "encode"]
__version__ = "0.9.0"
