"""Build script of the ABI-mode module `libmcall._ffi` (no C compiler involved)."""

from cffi import FFI

ffibuilder = FFI()
ffibuilder.cdef(
    """
    typedef struct { int quot; int rem; } div_t;
    div_t div(int numerator, int denominator);
    size_t strlen(const char *s);
    typedef int (*compare_fn)(const void *, const void *);
    void qsort(void *base, size_t nmemb, size_t size, compare_fn compar);
    int snprintf(char *str, size_t size, const char *format, ...);

    double cos(double x);
    double hypot(double x, double y);
    double frexp(double x, int *exp);
    double ldexp(double x, int exp);
    double fmod(double x, double y);

    enum rounding { ROUND_DOWN = -1, ROUND_NEAREST, ROUND_UP };
    #define LIBMCALL_ABI_VERSION 3
    """
)
ffibuilder.set_source("libmcall._ffi", None)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
