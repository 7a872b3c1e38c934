from cffi import FFI

ffibuilder = FFI()
ffibuilder.cdef(
    """
    long vec_dot(const long *a, const long *b, int n);
    long vec_norm1(const long *a, int n);
    int core_bias(void);
    #define VEC_SCALE ...
    """
)
# The script knows nothing of the extra sources and the library: module-options adds them.
ffibuilder.set_source("vecmath._vec", '#include "vec.h"')
