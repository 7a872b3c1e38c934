//! The API-mode C emitter: a self-contained C (or C++) file that, compiled against
//! Python's headers, is the extension module talking to `_cffi_backend`.
