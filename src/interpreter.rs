//! Facts about the target interpreter: the one that called the PEP 517 hook (the shim
//! passes `sys.executable`) or the one given with `-i`. Naming, tags and compilation are
//! decided from these facts, never from how the binary itself was built.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

const QUERY: &str = include_str!("interpreter_facts.py");

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct Interpreter {
    pub executable: PathBuf,
    /// `sys.implementation.name`: "cpython" or "pypy".
    pub implementation: String,
    /// (major, minor) of the Python language version.
    pub version: (u32, u32),
    pub pypy_version: Option<(u32, u32)>,
    /// `EXT_SUFFIX`, e.g. `.cpython-311-x86_64-linux-gnu.so`.
    pub ext_suffix: String,
    pub soabi: Option<String>,
    pub abiflags: String,
    /// `sysconfig.get_platform()`, which already honours `_PYTHON_HOST_PLATFORM`.
    pub platform: String,
    pub host_platform_env: Option<String>,
    pub machine: String,
    pub pointer_bits: u32,
    /// A `--with-pydebug` build (`sys.gettotalrefcount` exists).
    pub debug: bool,
    /// A free-threaded (`Py_GIL_DISABLED`) build.
    pub free_threaded: bool,
    pub include: Option<PathBuf>,
    pub platinclude: Option<PathBuf>,
    pub purelib: Option<PathBuf>,
    pub libdir: Option<PathBuf>,
    pub ldlibrary: Option<String>,
    pub base_prefix: PathBuf,
    pub cc: Option<String>,
    pub cxx: Option<String>,
    pub ldshared: Option<String>,
    pub ldcxxshared: Option<String>,
    pub ccshared: Option<String>,
    pub cflags: Option<String>,
    pub macosx_deployment_target: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum InterpreterError {
    #[error("cannot run the Python interpreter `{}`: {source}", path.display())]
    Spawn { path: PathBuf, source: std::io::Error },
    #[error("`{}` failed to report its configuration:\n{stderr}", path.display())]
    Failed { path: PathBuf, stderr: String },
    #[error("`{}` reported a configuration cffi-forge cannot read: {source}", path.display())]
    Parse { path: PathBuf, source: serde_json::Error },
}

impl Interpreter {
    /// Ask `python` for its facts (one short subprocess).
    pub fn query(python: &Path) -> Result<Self, InterpreterError> {
        let output = Command::new(python)
            .args(["-I", "-c", QUERY])
            .output()
            .map_err(|source| InterpreterError::Spawn { path: python.to_path_buf(), source })?;
        if !output.status.success() {
            return Err(InterpreterError::Failed {
                path: python.to_path_buf(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            });
        }
        serde_json::from_slice(&output.stdout)
            .map_err(|source| InterpreterError::Parse { path: python.to_path_buf(), source })
    }

    pub fn is_pypy(&self) -> bool {
        self.implementation == "pypy"
    }

    pub fn is_cpython(&self) -> bool {
        self.implementation == "cpython"
    }

    pub fn is_windows(&self) -> bool {
        self.platform.starts_with("win")
    }

    pub fn is_macos(&self) -> bool {
        self.platform.starts_with("macosx")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_the_running_python() {
        let python = std::env::var_os("CFFI_FORGE_TEST_PYTHON").unwrap_or_else(|| "python3".into());
        let interp = Interpreter::query(Path::new(&python)).expect("a python3 on PATH");
        assert!(interp.version.0 == 3 && interp.version.1 >= 8, "{interp:?}");
        assert!(interp.ext_suffix.ends_with(".so") || interp.ext_suffix.ends_with(".pyd"));
        assert!(!interp.platform.is_empty());
    }

    #[test]
    fn missing_interpreter_is_a_clear_error() {
        let err = Interpreter::query(Path::new("/nonexistent/python")).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/python"), "{err}");
    }
}
