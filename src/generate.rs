//! Module spec → generated source. The single entry point the build pipeline and the
//! `generate-c` / `generate-py` commands use: parse the cdefs, build cffi's tables,
//! emit C (API mode) or Python (ABI mode).

use crate::cdef::{self, CdefError};
use crate::diagnostic::{Diagnostic, ToDiagnostic};
use crate::emit_c::{self, COptions};
use crate::emit_py;
use crate::recompiler::{from_model, Recompiler, Refusal};
use crate::spec::ModuleSpec;

/// Generated source of one module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Generated {
    /// API mode: C (or C++, per the spec's source extension) of an extension module.
    C { code: String },
    /// ABI mode: a Python module.
    Python { code: String },
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    /// The cdef does not parse (or declares something cffi rejects while parsing).
    #[error(transparent)]
    Cdef(#[from] CdefError),
    /// Something cffi's recompiler would refuse, with cffi's exception class and message.
    #[error("{class}: {message}")]
    Refused { module: String, class: &'static str, message: String },
}

impl GenerateError {
    fn refused(module: &str, r: Refusal) -> Self {
        GenerateError::Refused { module: module.to_string(), class: r.class, message: r.message }
    }

    /// The cffi exception class this corresponds to (`CDefError`, `VerificationError`, ...).
    pub fn cffi_class(&self) -> &'static str {
        match self {
            GenerateError::Cdef(e) => e.cffi_class(),
            GenerateError::Refused { class, .. } => class,
        }
    }

    /// The message cffi would give.
    pub fn cffi_message(&self) -> String {
        match self {
            GenerateError::Cdef(e) => e.cffi_message(),
            GenerateError::Refused { message, .. } => message.clone(),
        }
    }
}

impl ToDiagnostic for GenerateError {
    fn to_diagnostic(&self) -> Diagnostic {
        match self {
            GenerateError::Cdef(e) => e.to_diagnostic(),
            GenerateError::Refused { module, class, message } => {
                Diagnostic::error(format!("cannot generate module `{module}`: {message}"))
                    .with_note(format!("cffi would raise {class} here"))
            }
        }
    }
}

/// Generate the module's source with the native generator (API mode: C; ABI mode: Python).
pub fn generate(spec: &ModuleSpec) -> Result<Generated, GenerateError> {
    let model = cdef::parse(&spec.cdefs)?;
    let ffi = from_model::convert(&model);
    let refused = |r| GenerateError::refused(&spec.name, r);
    match &spec.source {
        Some(source) => {
            let mut rec = Recompiler::new(ffi, &spec.name, false).map_err(refused)?;
            let options = COptions { no_limited_api: spec.options.py_limited_api == Some(false) };
            let code = emit_c::emit(&mut rec, &source.text, &options).map_err(refused)?;
            Ok(Generated::C { code })
        }
        None => {
            let rec = Recompiler::new(ffi, &spec.name, true).map_err(refused)?;
            let code = emit_py::emit(&rec).map_err(refused)?;
            Ok(Generated::Python { code })
        }
    }
}
