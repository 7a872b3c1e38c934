//! `cffi-forge migrate`: the `pyproject.toml` a setuptools CFFI project needs, from its
//! `setup.py` and `setup.cfg` read statically (never run), and the list of what could
//! not be translated, each with its file and line.
//!
//! The project's existing `pyproject.toml` is the starting point: what it already says
//! stays; `[build-system]` switches to cffi-forge; missing `[project]` fields and the
//! `[tool.cffi-forge]` table are added.

pub mod setup_cfg;
pub mod setuptools_table;
pub mod translate;

use std::fs;
use std::path::{Path, PathBuf};

use toml_edit::DocumentMut;

use crate::atomic_write::write_atomically;
use crate::diagnostic::{Diagnostic, ToDiagnostic};
use crate::setup_py::SetupCall;
pub use translate::Todo;
use translate::{Located, Translator};

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("{}: no setup.py, setup.cfg or setuptools pyproject.toml to migrate from", dir.display())]
    NothingToMigrate { dir: PathBuf },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{}: not valid TOML: {message}", path.display())]
    BadPyproject { path: PathBuf, message: String },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    SetupCfg(Box<crate::config::setup_cfg::SetupCfgError>),
}

impl ToDiagnostic for MigrateError {
    fn to_diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::error(self.to_string());
        match self {
            MigrateError::NothingToMigrate { .. } => {
                d.with_help("run it in the project directory, or pass it: cffi-forge migrate path/to/project")
            }
            MigrateError::BadPyproject { .. } => d.with_note("nothing was written"),
            MigrateError::SetupCfg(e) => e.to_diagnostic().with_note("nothing was written"),
            _ => d,
        }
    }
}

/// The result: the new `pyproject.toml` text and what is left to do by hand.
#[derive(Debug)]
pub struct Migration {
    pub path: PathBuf,
    pub pyproject: String,
    pub todos: Vec<Todo>,
}

fn read(path: &Path) -> Result<Option<String>, MigrateError> {
    match fs::read(path) {
        // setup.py may declare another encoding (PEP 263); what matters is ASCII.
        Ok(bytes) if path.extension().is_some_and(|e| e != "toml") => {
            Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
        }
        Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|e| MigrateError::Read {
            path: path.to_path_buf(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidData, e),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(MigrateError::Read { path: path.to_path_buf(), source }),
    }
}

/// Translate the project at `root`. Reads only; see [`write`].
pub fn migrate(root: &Path) -> Result<Migration, MigrateError> {
    let setup_py = read(&root.join("setup.py"))?;
    let setup_cfg = read(&root.join("setup.cfg"))?;
    let path = root.join("pyproject.toml");
    let pyproject_text = read(&path)?;
    let doc = match &pyproject_text {
        Some(text) => text
            .parse::<DocumentMut>()
            .map_err(|e| MigrateError::BadPyproject { path: path.clone(), message: e.to_string() })?,
        None => DocumentMut::new(),
    };
    // A project configured for setuptools in pyproject.toml alone migrates too.
    let setuptools_pyproject = doc.get("tool").and_then(|t| t.get("setuptools")).is_some()
        || doc
            .get("build-system")
            .and_then(|b| b.get("build-backend"))
            .and_then(|b| b.as_str())
            .is_some_and(|b| b.starts_with("setuptools"));
    if setup_py.is_none() && setup_cfg.is_none() && !setuptools_pyproject {
        return Err(MigrateError::NothingToMigrate { dir: root.to_path_buf() });
    }
    let mut args = Vec::new();
    if let Some(text) = &setup_cfg {
        let cfg = setup_cfg::parse(text).map_err(|e| MigrateError::SetupCfg(Box::new(e)))?;
        args.extend(cfg.into_iter().map(|arg| Located { file: "setup.cfg", arg }));
    }
    if let Some(text) = &pyproject_text {
        args.extend(
            setuptools_table::parse(&doc, text)
                .into_iter()
                .map(|arg| Located { file: "pyproject.toml", arg }),
        );
    }
    let mut problems = Vec::new();
    let mut setup_line = None;
    if let Some(text) = &setup_py {
        let call = SetupCall::parse_in(text, Some(root));
        setup_line = call.line;
        if call.line.is_none() {
            problems.push(("setup.py", 1, "no `setup(` call found".to_string()));
        }
        problems.extend(call.problems.into_iter().map(|(line, message)| ("setup.py", line, message)));
        args.extend(call.args.into_iter().map(|arg| Located { file: "setup.py", arg }));
    }
    let (doc, todos) = Translator::new(root, args, doc).with_setup_line(setup_line).finish(problems);
    Ok(Migration { path, pyproject: doc.to_string(), todos })
}

/// Replace `pyproject.toml` with the migrated text, atomically, so a failure leaves the
/// old file as it was (see [`write_atomically`]).
pub fn write(migration: &Migration) -> Result<(), MigrateError> {
    let path = &migration.path;
    write_atomically(path, migration.pyproject.as_bytes())
        .map_err(|source| MigrateError::Write { path: path.clone(), source })
}
