//! Module spec → generated source. The single entry point the build pipeline and the
//! `generate-c` / `generate-py` commands use.

use crate::diagnostic::{Diagnostic, ToDiagnostic};
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
    /// Something cffi would refuse, with cffi's exception class and message.
    #[error("{class}: {message}")]
    Refused { class: &'static str, message: String },
}

impl GenerateError {
    /// The cffi exception class this corresponds to (`CDefError`, `VerificationError`, ...).
    pub fn cffi_class(&self) -> &'static str {
        match self {
            GenerateError::Refused { class, .. } => class,
        }
    }

    /// The message cffi would give.
    pub fn cffi_message(&self) -> String {
        match self {
            GenerateError::Refused { message, .. } => message.clone(),
        }
    }
}

impl ToDiagnostic for GenerateError {
    fn to_diagnostic(&self) -> Diagnostic {
        Diagnostic::error(self.to_string())
    }
}

/// Generate the module's source with the native generator (API mode: C; ABI mode: Python).
pub fn generate(spec: &ModuleSpec) -> Result<Generated, GenerateError> {
    let _ = spec;
    Err(GenerateError::Refused {
        class: "NotImplementedError",
        message: "native generator not built yet".into(),
    })
}
