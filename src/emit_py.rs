//! The ABI-mode Python emitter: a `.py` module that builds `_cffi_backend.FFI(...)` from
//! the tables, used with `ffi.dlopen()`.
