# A second plugin, for two libraries in one process. Its C source starts Python itself
# (cffi_start_python()) in a function of its own, and a struct and a double go through
# Python. As with cffi, the C source repeats the types the embedding API uses.
import cffi

ffi = cffi.FFI()
ffi.embedding_api("""
    typedef struct { int a; double b; } pair_t;
    double add2(int, pair_t *);
""")
ffi.cdef("int add2_started(void);")
ffi.embedding_init_code(r"""
    import sys
    from _add2_cffi import ffi, lib
    sys.stdout.write("add2: init code running, lib has add2_started: %s\n" % (hasattr(lib, "add2_started"),))
    sys.stdout.flush()

    @ffi.def_extern()
    def add2(x, pair):
        return x + pair.a + pair.b
""")
ffi.set_source("_add2_cffi", r"""
    typedef struct { int a; double b; } pair_t;
    CFFI_DLLEXPORT int add2_started(void) { return cffi_start_python(); }
""")
