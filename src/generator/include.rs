//! `ffi.include()` in the generated module: which modules it names. The included
//! declarations themselves are entered by the cdef front end
//! ([`crate::generator::cdef::parse_with_includes`]) and marked there, so that the
//! recompiler lists included structs as external.

use crate::generator::recompiler::Refusal;
use crate::spec::{FfiMode, IncludeSpec};

/// The modules a module of `mode` imports for its direct includes, in call order
/// (`_cffi_includes` in C, `_includes` in Python), or what cffi raises instead: an
/// included FFI must have been given `set_source()`, and cffi only supports an API
/// module including API modules and an ABI module including ABI modules.
pub fn module_names(includes: &[IncludeSpec], mode: FfiMode) -> Result<Vec<String>, Refusal> {
    includes
        .iter()
        .map(|include| {
            let Some(name) = &include.name else {
                return Err(Refusal::verification(
                    "ffi object <cffi.api.FFI object> includes <cffi.api.FFI object>, but the latter has not been \
                     prepared with set_source()",
                ));
            };
            match (mode, include.mode) {
                (FfiMode::Api, FfiMode::Abi) => Err(Refusal::verification(format!(
                    "not implemented yet: ffi.include() of a Python-based ffi inside a C-based ffi \
                     (`{name}` is an ABI-mode module)"
                ))),
                (FfiMode::Abi, FfiMode::Api) => Err(Refusal::verification(format!(
                    "not implemented yet: ffi.include() of a C-based ffi inside a Python-based ffi \
                     (`{name}` is an API-mode module)"
                ))),
                _ => Ok(name.clone()),
            }
        })
        .collect()
}
