"""Build script of `statkit._stats`, compiled as C++ (found by discovery)."""

from cffi import FFI

ffibuilder = FFI()
ffibuilder.cdef(
    """
    int sk_median(const double *values, size_t n, double *out);
    size_t sk_unique_count(const long long *values, size_t n);
    int sk_percentile(const double *values, size_t n, double q, double *out);
    void sk_sort(double *values, size_t n);
    int sk_cplusplus(void);
    """
)
ffibuilder.set_source(
    "statkit._stats",
    r"""
    #include <algorithm>
    #include "stats.hpp"

    // Defined here to prove the generated module itself is compiled as C++.
    static void sk_sort(double *values, size_t n) { std::sort(values, values + n); }
    static int sk_cplusplus(void) { return __cplusplus >= 201103L; }
    """,
    source_extension=".cpp",
    sources=["cpp/stats.cpp"],
    include_dirs=["cpp"],
    extra_compile_args=["-std=c++17"],
)

if __name__ == "__main__":
    ffibuilder.compile(verbose=True)
