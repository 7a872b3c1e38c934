# A plugin exporting one function; its init code prints while it runs, so the C
# program's output shows it ran once, before the first call returned.
import cffi

ffi = cffi.FFI()
ffi.embedding_api("""
    int add1(int, int);
""")
ffi.embedding_init_code(r"""
    import sys
    sys.stdout.write("add1: init code running\n")
    sys.stdout.flush()
    from _add1_cffi import ffi

    @ffi.def_extern()
    def add1(x, y):
        sys.stdout.write("add1(%d, %d)\n" % (x, y))
        sys.stdout.flush()
        return x + y
""")
ffi.set_source("_add1_cffi", "")
