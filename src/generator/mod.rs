//! The generator: a module spec's cdefs → the source of its extension module, without
//! Python. Parse the cdefs ([`cdef`]) into the type model ([`model`]), build the tables
//! `_cffi_backend` reads (`recompiler`), emit C for API mode (`emit_c`) or Python for ABI
//! mode (`emit_py`), and the typed stub (`.pyi`) of either (`stubs`).
//!
//! The rest of the crate enters through [`generate()`] only. [`cdef`] and [`model`] stay
//! public for the parser tests under `tests/`; the passes behind them are private. The
//! generator depends on the shared vocabulary alone (`spec`, `diagnostic`, `ui`), never on
//! the backend (config, compile, archive, ...): `boundary_tests` below guards that.

pub mod cdef;
mod emit_c;
mod emit_py;
mod generate;
mod include;
pub mod model;
mod recompiler;
mod stubs;

pub use generate::{generate, typed_stub, GenerateError, Generated};
pub use stubs::archive_path as stub_archive_path;

#[cfg(test)]
mod boundary_tests;
