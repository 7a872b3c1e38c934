//! Declarations of the cdef that the C does not provide, reported at the cdef line that
//! declares them: found by the compiler (the C source never declares the name) or after
//! linking (no library the module loads defines the symbol). Without this, both build a
//! module that fails only at import.

use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::compile::{symbols, CompileError};
use crate::diagnostic::{Diagnostic, SourceFile, ToDiagnostic};
use crate::generator::model::DeclKind;
use crate::spec::ModuleSpec;
use crate::ui;

/// When the name was found missing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// The generated module would not compile: the C source does not declare it.
    Compile,
    /// The linked module needs a symbol nothing it loads defines.
    Link,
}

/// One cdef declaration the C does not provide.
#[derive(Clone, Debug)]
pub struct Missing {
    pub name: String,
    /// `function`, `global variable`, `constant`.
    pub what: &'static str,
    pub at: Option<(SourceFile, Range<usize>)>,
}

#[derive(Debug, thiserror::Error)]
#[error("module `{module}`: {}", title(.stage, .missing))]
pub struct NotProvided {
    pub module: String,
    pub stage: Stage,
    pub missing: Vec<Missing>,
    /// The compiler's output (compile stage).
    pub detail: Option<String>,
}

fn title(stage: &Stage, missing: &[Missing]) -> String {
    let names = missing.iter().map(|m| format!("{} `{}`", m.what, m.name)).collect::<Vec<_>>().join(", ");
    match stage {
        Stage::Compile => format!("the cdef declares {names}, which the C source does not declare"),
        Stage::Link => {
            format!("the cdef declares {names}, which neither the C source nor any library it links defines")
        }
    }
}

impl ToDiagnostic for NotProvided {
    fn to_diagnostic(&self) -> Diagnostic {
        let mut d = Diagnostic::error(self.to_string());
        let label = match self.stage {
            Stage::Compile => "declared in the cdef but not declared by the C source given to set_source",
            Stage::Link => "declared in the cdef but not defined by the C source or any linked library",
        };
        for missing in &self.missing {
            if let Some((file, range)) = &missing.at {
                d = d.with_label(file, range.clone(), label);
            }
        }
        // The compiler's own errors (about the generated code), each once, for the curious.
        if let Some(detail) = &self.detail {
            let mut errors: Vec<&str> = Vec::new();
            for line in detail.lines() {
                if let Some((_, message)) = line.split_once("error: ").or_else(|| line.split_once("error C"))
                {
                    if !errors.contains(&message) {
                        errors.push(message);
                    }
                }
            }
            if !errors.is_empty() {
                d = d
                    .with_note(format!("the compiler said about the generated code:\n{}", errors.join("\n")));
            }
        }
        d.with_help(match self.stage {
            Stage::Compile => {
                "declare it in the C source of set_source (its prototype, or the #include that has it) \
                 and define it there or in a linked library; or remove it from the cdef"
            }
            Stage::Link => {
                "define it in the C source (set_source's, or a file in `sources`), or link the library \
                 that defines it (`libraries`, `library_dirs`); or remove it from the cdef"
            }
        })
    }
}

/// The cdef declarations named `names` (as the compiler spells them: `f`, `struct s`), as
/// functions, globals, constants, enumerators or types, with where each is declared, in
/// the cdef's order. A cdef that does not parse here (a module cffi's emitter generated,
/// using what only cffi handles) gives nothing.
fn declarations(spec: &ModuleSpec, names: &[String]) -> Vec<Missing> {
    let Ok(model) = crate::generator::cdef::parse_with_includes(&spec.cdefs, &spec.includes) else {
        return Vec::new();
    };
    let plain = [
        (DeclKind::Function, "function"),
        (DeclKind::Variable, "global variable"),
        (DeclKind::Constant, "constant"),
        (DeclKind::Macro, "constant"),
        (DeclKind::Typedef, "type"),
    ];
    let at = |span| model.span_location(span).map(|(file, range)| (file.clone(), range));
    let mut missing: Vec<Missing> = names
        .iter()
        .filter_map(|name| {
            let (what, decl) = match name.split_once(' ') {
                Some((tag, tag_name)) => {
                    let kind = match tag {
                        "struct" => DeclKind::Struct,
                        "union" => DeclKind::Union,
                        _ => DeclKind::Enum,
                    };
                    ("type", model.declaration(kind, tag_name)?)
                }
                None => {
                    match plain.iter().find_map(|&(kind, what)| Some((what, model.declaration(kind, name)?)))
                    {
                        Some(found) => found,
                        None => {
                            // An enumerator: point at its enum.
                            let e = model.enums.iter().find(|e| e.enumerators.contains(name))?;
                            return Some(Missing {
                                name: name.clone(),
                                what: "enumerator",
                                at: e.span.and_then(at),
                            });
                        }
                    }
                }
            };
            Some(Missing { name: name.clone(), what, at: at(decl.span) })
        })
        .collect();
    missing.sort_by_key(|m| m.at.as_ref().map(|(file, range)| (file.name.clone(), range.start)));
    missing
}

/// A compile error of `generated` (the module's generated source) that comes from cdef
/// names the C does not declare, as a [`NotProvided`]; other errors are returned as they are.
pub fn compile_error(
    error: CompileError,
    root: &Path,
    modules: &[(PathBuf, &ModuleSpec)],
) -> super::PipelineError {
    if let CompileError::Compile { file, output, .. } = &error {
        let file = root.join(file);
        if let Some((generated, spec)) = modules.iter().find(|(g, _)| *g == file) {
            let file_name = generated.file_name().unwrap_or_default().to_string_lossy();
            let names = symbols::undeclared_names(output, &file_name);
            let missing = declarations(spec, &names);
            if !missing.is_empty() {
                return super::PipelineError::NotProvided(Box::new(NotProvided {
                    module: spec.name.clone(),
                    stage: Stage::Compile,
                    missing,
                    detail: Some(output.clone()),
                }));
            }
            if let CompileError::Compile { command, .. } = &error {
                if let Some(located) = super::user_source::locate(output, command, generated, spec) {
                    return super::PipelineError::UserSource(Box::new(located));
                }
            }
        }
    }
    error.into()
}

/// Check a linked module's undefined symbols: a cdef declaration nothing defines is an
/// error; another undefined symbol (the user's C calling a function no library has) a
/// warning, since the loader may still find it in a library loaded before (`RTLD_GLOBAL`).
pub fn check_linked(
    spec: &ModuleSpec,
    module: &Path,
    python: &Path,
    root: &Path,
) -> Result<(), super::PipelineError> {
    let library_dirs: Vec<PathBuf> = spec.options.library_dirs.iter().map(|d| root.join(d)).collect();
    let Some(names) = symbols::unresolved(module, python, &library_dirs) else {
        ui::verbose(
            "Skipped",
            format!("{}: undefined-symbol check (cannot resolve every library)", spec.name),
        );
        return Ok(());
    };
    if names.is_empty() {
        return Ok(());
    }
    let missing = declarations(spec, &names);
    if !missing.is_empty() {
        return Err(super::PipelineError::NotProvided(Box::new(NotProvided {
            module: spec.name.clone(),
            stage: Stage::Link,
            missing,
            detail: None,
        })));
    }
    ui::warning(format!(
        "module `{}` needs {}, which no library it links defines: importing it will fail unless \
         something loaded before provides {}",
        spec.name,
        names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
        if names.len() == 1 { "it" } else { "them" }
    ));
    Ok(())
}
