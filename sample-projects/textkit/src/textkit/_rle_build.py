"""Build script of `textkit._rle`; cffi-forge calls `make_ffi()` to get the FFI."""

import os

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))


def make_ffi():
    ffibuilder = FFI()
    with open(os.path.join(HERE, "rle.h")) as header:
        ffibuilder.cdef(header.read())
    ffibuilder.set_source(
        "textkit._rle",
        r"""
        #include <stddef.h>

        static size_t rle_encoded_size(const unsigned char *src, size_t len)
        {
            size_t n = 0;
            for (size_t i = 0; i < len; n += 2) {
                size_t run = 1;
                while (i + run < len && src[i + run] == src[i] && run < 255)
                    run++;
                i += run;
            }
            return n;
        }

        static size_t rle_encode(const unsigned char *src, size_t len, unsigned char *dst)
        {
            size_t n = 0;
            for (size_t i = 0; i < len;) {
                size_t run = 1;
                while (i + run < len && src[i + run] == src[i] && run < 255)
                    run++;
                dst[n++] = (unsigned char)run;
                dst[n++] = src[i];
                i += run;
            }
            return n;
        }

        static size_t rle_decode(const unsigned char *src, size_t len, unsigned char *dst,
                                 size_t cap)
        {
            size_t n = 0;
            if (len % 2)
                return (size_t)-1;
            for (size_t i = 0; i < len; i += 2) {
                if (src[i] == 0 || n + src[i] > cap)
                    return (size_t)-1;
                for (unsigned k = 0; k < src[i]; k++)
                    dst[n++] = src[i + 1];
            }
            return n;
        }
        """,
    )
    return ffibuilder
