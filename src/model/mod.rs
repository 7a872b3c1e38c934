//! The type model of an FFI: types, declarations and layout facts, as cffi's `model.py`
//! and its parser's declaration table describe them.
