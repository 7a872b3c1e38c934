"""Build script of `textkit._count`: the C code is inline."""

from cffi import FFI

ffibuilder = FFI()
ffibuilder.cdef(
    """
    struct counts { size_t lines; size_t words; size_t bytes; };
    void count_text(const char *text, size_t len, struct counts *out);
    """
)
ffibuilder.set_source(
    "textkit._count",
    r"""
    #include <ctype.h>
    #include <stddef.h>

    struct counts { size_t lines; size_t words; size_t bytes; };

    static void count_text(const char *text, size_t len, struct counts *out)
    {
        int in_word = 0;
        out->lines = out->words = 0;
        out->bytes = len;
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)text[i];
            if (c == '\n')
                out->lines++;
            if (isspace(c)) {
                in_word = 0;
            } else if (!in_word) {
                in_word = 1;
                out->words++;
            }
        }
    }
    """,
)
