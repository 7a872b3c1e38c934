//! The cdef front end: a hand-written lexer and recursive-descent parser for cffi's
//! dialect of C declarations, producing the [`crate::model`] of an FFI.
//!
//! Contract used by the generators:
//! `pub fn parse(cdefs: &[crate::spec::CdefSource]) -> Result<crate::model::Ffi, CdefError>`
//! where `CdefError: crate::diagnostic::ToDiagnostic` and names cffi's exception class.
