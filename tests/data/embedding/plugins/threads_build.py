# Started by several threads at once: the init code sleeps, so the other threads reach
# the library while it runs and must wait for it, not start it again.
import cffi

ffi = cffi.FFI()
ffi.embedding_api("""
    int twice(int);
    int init_runs(void);
""")
ffi.embedding_init_code(r"""
    import sys, time
    from _threads_cffi import ffi
    RUNS = [0]
    RUNS[0] += 1
    time.sleep(0.3)

    @ffi.def_extern()
    def twice(x):
        return 2 * x

    @ffi.def_extern()
    def init_runs():
        return RUNS[0]
""")
ffi.set_source("_threads_cffi", "")
