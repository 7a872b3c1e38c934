"""Build script of `zcheck._zlib`; flags for zlib come from pkg-config."""

from cffi import FFI

ffibuilder = FFI()
ffibuilder.cdef(
    """
    typedef unsigned long uLong;
    typedef unsigned int uInt;
    typedef unsigned char Bytef;
    typedef unsigned long uLongf;

    #define Z_OK ...
    #define Z_BUF_ERROR ...
    #define Z_DATA_ERROR ...
    #define Z_MEM_ERROR ...
    #define Z_BEST_COMPRESSION ...
    #define Z_DEFAULT_COMPRESSION ...

    const char *zlibVersion(void);
    uLong crc32(uLong crc, const Bytef *buf, uInt len);
    uLong adler32(uLong adler, const Bytef *buf, uInt len);
    uLong compressBound(uLong sourceLen);
    int compress2(Bytef *dest, uLongf *destLen, const Bytef *source, uLong sourceLen,
                  int level);
    int uncompress(Bytef *dest, uLongf *destLen, const Bytef *source, uLong sourceLen);
    """
)
ffibuilder.set_source_pkgconfig("zcheck._zlib", ["zlib"], "#include <zlib.h>")

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
