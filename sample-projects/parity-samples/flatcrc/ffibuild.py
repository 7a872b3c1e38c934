import cffi
import pkgconfig
from packaging.version import Version

import _buildhelpers

assert Version(cffi.__version__) >= Version("1.15"), cffi.__version__

ffibuilder = cffi.FFI()
ffibuilder.cdef(
    """
    unsigned int crc_sum(const unsigned char *data, size_t n);
    unsigned long crc_adler(const unsigned char *data, size_t n);
    """
)
# Link zlib when pkg-config knows it, as the original setup.py did.
zlib = pkgconfig.parse("zlib") if pkgconfig.exists("zlib") else {"libraries": ["z"]}
ffibuilder.set_source(
    "_crc",
    '#include "crc.h"',
    sources="crcutil/crc.c",
    include_dirs=["crcutil"],
    libraries=list(zlib["libraries"]),
    extra_compile_args=_buildhelpers.EXTRA_COMPILE_ARGS,
    extra_link_args="",
)
