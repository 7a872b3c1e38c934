"""Build script of the `fasthash._native` API-mode module (found by discovery)."""

from cffi import FFI

ffibuilder = FFI()
ffibuilder.cdef(
    """
    uint32_t fh_fnv1a_32(const unsigned char *data, size_t len);
    uint64_t fh_fnv1a_64(const unsigned char *data, size_t len);
    uint32_t fh_murmur3_32(const unsigned char *data, size_t len, uint32_t seed);
    void fh_fnv1a_32_many(const unsigned char *data, size_t width, size_t count,
                          uint32_t *out);
    #define FH_VERSION_MAJOR ...
    """
)
ffibuilder.set_source(
    "fasthash._native",
    """
    #include "fasthash.h"
    #define FH_VERSION_MAJOR 1
    """,
    sources=["csrc/fasthash.c"],
    include_dirs=["csrc"],
    define_macros=[("FASTHASH_BUILD", "1")],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
