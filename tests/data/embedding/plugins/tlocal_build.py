# Python thread-local state seen from C threads: each C thread keeps its own
# threading.local() across its calls (the backend keeps a thread state per C thread).
import cffi

ffi = cffi.FFI()
ffi.embedding_api("""
    int add_tl(int);
""")
ffi.embedding_init_code(r"""
    import threading
    from _tlocal_cffi import ffi
    local = threading.local()

    @ffi.def_extern()
    def add_tl(x):
        local.total = getattr(local, "total", 0) + x
        return local.total
""")
ffi.set_source("_tlocal_cffi", "")
