//! The cdef front end: a hand-written lexer and recursive-descent parser for cffi's
//! dialect of C declarations, producing the [`crate::model`] of an FFI.
//!
//! Contract used by the generators:
//! `pub fn parse(cdefs: &[crate::spec::CdefSource]) -> Result<crate::model::Ffi, CdefError>`
//! where `CdefError: crate::diagnostic::ToDiagnostic` and names cffi's exception class.

mod error;

pub use error::{CdefError, CffiClass};

use crate::model::Ffi;
use crate::spec::CdefSource;

/// Parse all `cdef()` calls of one FFI, in order, into its model.
pub fn parse(cdefs: &[CdefSource]) -> Result<Ffi, CdefError> {
    let _ = cdefs;
    Err(CdefError::new(CffiClass::NotImplementedError, "cdef parser not built yet"))
}
