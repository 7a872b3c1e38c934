from cffi import FFI

ffibuilder = FFI()
ffibuilder.cdef("int clamp(int x, int lo, int hi);\n#define CLAMP_ON_LINUX ...")
ffibuilder.set_source(
    "mixext._clamp",
    """
    #ifndef CLAMP_ON_LINUX
    #define CLAMP_ON_LINUX 0
    #endif
    static int clamp(int x, int lo, int hi) { return x < lo ? lo : x > hi ? hi : x; }
    """,
)
