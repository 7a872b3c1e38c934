# Init code that raises: the error goes to stderr and every exported function returns 0.
import cffi

ffi = cffi.FFI()
ffi.embedding_api("""
    int broken(int);
    double broken_double(void);
""")
ffi.embedding_init_code(r"""
    from _initerror_cffi import ffi

    @ffi.def_extern()
    def broken(x):
        return x + 1

    raise ValueError("plugin configuration is missing")
""")
ffi.set_source("_initerror_cffi", "")
