//! Facts about the target interpreter: the one that called the PEP 517 hook (the shim
//! passes `sys.executable`) or the one given with `-i`. Naming, tags and compilation are
//! decided from these facts, never from how the binary itself was built.
//!
//! Asking an interpreter costs a Python start-up (~40 ms), so the facts come, in order,
//! from the shim (which already runs in the target interpreter and passes them with
//! `--interpreter-facts`, see [`Interpreter::provide`]), from the cache of earlier
//! answers ([`facts_cache`]), and only then from running the interpreter.

mod facts_cache;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde::Deserialize;

/// The facts script, shared with the shim (which imports it instead of running it).
const QUERY: &str = include_str!("../backend/cffi_forge/_facts.py");

/// Facts handed over by the PEP 517 shim for the interpreter it runs in: (the path the
/// hook was given with `-i`, its facts). Set once, before the pipeline starts.
static PROVIDED: OnceLock<(PathBuf, Interpreter)> = OnceLock::new();

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
    /// `importlib.machinery.EXTENSION_SUFFIXES`, e.g. `[".cpython-311-x86_64-linux-gnu.so",
    /// ".abi3.so", ".so"]`: tells whether (and how) the target names abi3 modules.
    #[serde(default)]
    pub extension_suffixes: Vec<String>,
    /// The PEP 508 marker environment of the target, for `when = "<marker>"` tables.
    #[serde(default)]
    pub markers: Option<MarkerFacts>,
}

/// PEP 508 environment markers as reported by the target interpreter.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
pub struct MarkerFacts {
    pub implementation_name: String,
    pub implementation_version: String,
    pub os_name: String,
    pub platform_machine: String,
    pub platform_python_implementation: String,
    pub platform_release: String,
    pub platform_system: String,
    pub platform_version: String,
    pub python_full_version: String,
    pub python_version: String,
    pub sys_platform: String,
}

/// The oldest Python cffi-forge builds for (and runs build scripts with).
pub const MINIMUM_PYTHON: (u32, u32) = (3, 8);
const SUPPORTED: &str = "cffi-forge builds for CPython 3.8 and newer, and PyPy 3.8 and newer";

#[derive(Debug, thiserror::Error)]
pub enum InterpreterError {
    #[error("cannot run the Python interpreter `{}`: {source}", path.display())]
    Spawn { path: PathBuf, source: std::io::Error },
    #[error("`{}` failed to report its configuration:\n{stderr}", path.display())]
    Failed { path: PathBuf, stderr: String },
    #[error("`{}` reported a configuration cffi-forge cannot read: {source}", path.display())]
    Parse { path: PathBuf, source: serde_json::Error },
    #[error("`{}` is {implementation} {}.{}, which is too old", path.display(), version.0, version.1)]
    TooOld { path: PathBuf, implementation: String, version: (u32, u32) },
    #[error("`{}` does not look like a Python interpreter: asked for its configuration, it {outcome}", path.display())]
    NotPython { path: PathBuf, outcome: String },
    #[error("the interpreter facts passed for `{}` cannot be read: {source}", path.display())]
    Provided { path: PathBuf, source: serde_json::Error },
}

impl crate::diagnostic::ToDiagnostic for InterpreterError {
    fn to_diagnostic(&self) -> crate::diagnostic::Diagnostic {
        let d = crate::diagnostic::Diagnostic::error(self.to_string());
        match self {
            InterpreterError::TooOld { .. } => d.with_help(format!(
                "{SUPPORTED}: pass one of those with -i (or run the build frontend with it)"
            )),
            InterpreterError::NotPython { .. } | InterpreterError::Spawn { .. } => d.with_help(format!(
                "-i takes the path or name of a Python interpreter (python3, .venv/bin/python); {SUPPORTED}"
            )),
            _ => d,
        }
    }
}

/// Asks for the version and implementation in a way every Python since 2.4 understands.
const VERSION_PROBE: &str = "import sys, platform\n\
    sys.stdout.write('%d %d %s' % (sys.version_info[0], sys.version_info[1], platform.python_implementation()))";

impl Interpreter {
    /// Take `json` (what `_facts.py` reports, passed by the shim) as the facts of
    /// `python`: later [`Interpreter::query`]s for that path start no process.
    pub fn provide(python: &Path, json: &str) -> Result<(), InterpreterError> {
        let interp: Interpreter = serde_json::from_str(json)
            .map_err(|source| InterpreterError::Provided { path: python.to_path_buf(), source })?;
        check_supported(python, &interp)?;
        // A second call keeps the first facts: there is one target per process.
        let _ = PROVIDED.set((python.to_path_buf(), interp));
        Ok(())
    }

    /// The facts of `python`: those the shim provided, else a cached answer still valid
    /// for the interpreter's file, else asked from `python` (one short subprocess, whose
    /// answer is then cached).
    pub fn query(python: &Path) -> Result<Self, InterpreterError> {
        let _t = crate::timings::phase("interpreter");
        if let Some((path, interp)) = PROVIDED.get() {
            if path == python {
                return Ok(interp.clone());
            }
        }
        let cache = facts_cache::FactsCache::for_interpreter(python);
        if let Some(interp) = cache.as_ref().and_then(|c| c.load()) {
            if check_supported(python, &interp).is_ok() {
                return Ok(interp);
            }
        }
        let (interp, json) = Self::ask(python)?;
        if let Some(cache) = cache {
            cache.store(&interp, &json);
        }
        Ok(interp)
    }

    /// Run `python` with the facts script.
    fn ask(python: &Path) -> Result<(Self, Vec<u8>), InterpreterError> {
        let _t = crate::timings::child("python");
        let output = Command::new(python)
            .args(["-I", "-c", QUERY])
            .output()
            .map_err(|source| InterpreterError::Spawn { path: python.to_path_buf(), source })?;
        if !output.status.success() {
            // Python 2 knows no -I and the facts script needs Python 3: say what it is.
            probe_version(python, &output)?;
            return Err(InterpreterError::Failed {
                path: python.to_path_buf(),
                stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            });
        }
        let interp: Interpreter = match serde_json::from_slice(&output.stdout) {
            Ok(interp) => interp,
            Err(source) => {
                probe_version(python, &output)?;
                return Err(InterpreterError::Parse { path: python.to_path_buf(), source });
            }
        };
        check_supported(python, &interp)?;
        Ok((interp, output.stdout))
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

    pub fn is_linux(&self) -> bool {
        self.platform.starts_with("linux")
    }

    pub fn is_macos(&self) -> bool {
        self.platform.starts_with("macosx")
    }

    /// The marker environment for evaluating PEP 508 markers against this target.
    pub fn marker_environment(&self) -> Result<pep508_rs::MarkerEnvironment, String> {
        let m = self.markers.as_ref().ok_or("the interpreter did not report its marker environment")?;
        // Some builds report versions like `3.11.7+`; PEP 440 has no such form.
        let full = m.python_full_version.trim_end_matches('+');
        pep508_rs::MarkerEnvironment::try_from(pep508_rs::MarkerEnvironmentBuilder {
            implementation_name: &m.implementation_name,
            implementation_version: m.implementation_version.trim_end_matches('+'),
            os_name: &m.os_name,
            platform_machine: &m.platform_machine,
            platform_python_implementation: &m.platform_python_implementation,
            platform_release: &m.platform_release,
            platform_system: &m.platform_system,
            platform_version: &m.platform_version,
            python_full_version: full,
            python_version: &m.python_version,
            sys_platform: &m.sys_platform,
        })
        .map_err(|e| e.to_string())
    }
}

fn check_supported(python: &Path, interp: &Interpreter) -> Result<(), InterpreterError> {
    if interp.version < MINIMUM_PYTHON {
        return Err(InterpreterError::TooOld {
            path: python.to_path_buf(),
            implementation: implementation_name(&interp.implementation).to_string(),
            version: interp.version,
        });
    }
    Ok(())
}

fn implementation_name(name: &str) -> &str {
    match name.to_ascii_lowercase().as_str() {
        "cpython" => "CPython",
        "pypy" => "PyPy",
        _ => name,
    }
}

/// After the facts query failed: `Err` when `python` is too old or no Python at all,
/// `Ok` when it is a Python that should have answered (the query's own error stands).
fn probe_version(python: &Path, query: &std::process::Output) -> Result<(), InterpreterError> {
    let path = python.to_path_buf();
    let probe = Command::new(python).args(["-c", VERSION_PROBE]).output();
    let answer =
        probe.as_ref().ok().filter(|o| o.status.success()).map(|o| String::from_utf8_lossy(&o.stdout));
    let parsed = answer.as_deref().and_then(|text| {
        let mut words = text.split_whitespace();
        let major = words.next()?.parse().ok()?;
        let minor = words.next()?.parse().ok()?;
        Some(((major, minor), words.next().unwrap_or("Python").to_string()))
    });
    match parsed {
        Some((version, implementation)) if version < MINIMUM_PYTHON => Err(InterpreterError::TooOld {
            path,
            implementation: implementation_name(&implementation).to_string(),
            version,
        }),
        Some(_) => Ok(()),
        None => {
            let first_line = |bytes: &[u8]| {
                let text = String::from_utf8_lossy(bytes).into_owned();
                let line = text.lines().map(str::trim).find(|l| !l.is_empty()).map(str::to_string);
                line.map(|l| {
                    if l.chars().count() > 80 {
                        l.chars().take(80).collect::<String>() + "..."
                    } else {
                        l
                    }
                })
            };
            let outcome = match (query.status.code(), first_line(&query.stderr)) {
                (Some(0), _) => match first_line(&query.stdout) {
                    Some(line) => format!("printed `{line}`"),
                    None => "printed nothing".to_string(),
                },
                (Some(code), None) => format!("exited with status {code} and printed nothing"),
                (Some(code), Some(line)) => format!("exited with status {code}: {line}"),
                (None, _) => format!("stopped ({})", query.status),
            };
            Err(InterpreterError::NotPython { path, outcome })
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A CPython 3.`minor` on x86_64 Linux, for naming tests.
    pub(crate) fn cpython(major: u32, minor: u32) -> Interpreter {
        Interpreter {
            executable: PathBuf::from(format!("/usr/bin/python{major}.{minor}")),
            implementation: "cpython".into(),
            version: (major, minor),
            pypy_version: None,
            ext_suffix: format!(".cpython-{major}{minor}-x86_64-linux-gnu.so"),
            soabi: Some(format!("cpython-{major}{minor}-x86_64-linux-gnu")),
            abiflags: String::new(),
            platform: "linux-x86_64".into(),
            host_platform_env: None,
            machine: "x86_64".into(),
            pointer_bits: 64,
            debug: false,
            free_threaded: false,
            include: None,
            platinclude: None,
            purelib: None,
            libdir: None,
            ldlibrary: None,
            base_prefix: PathBuf::from("/usr"),
            cc: None,
            cxx: None,
            ldshared: None,
            ldcxxshared: None,
            ccshared: None,
            cflags: None,
            macosx_deployment_target: None,
            extension_suffixes: vec![
                format!(".cpython-{major}{minor}-x86_64-linux-gnu.so"),
                ".abi3.so".into(),
                ".so".into(),
            ],
            markers: None,
        }
    }

    /// Debian's PyPy 3.9 on x86_64 Linux.
    pub(crate) fn pypy() -> Interpreter {
        let mut i = cpython(3, 9);
        i.implementation = "pypy".into();
        i.pypy_version = Some((7, 3));
        i.ext_suffix = ".pypy39-pp73-x86_64-linux-gnu.so".into();
        i.soabi = Some("pypy39-pp73".into());
        i.extension_suffixes = vec![i.ext_suffix.clone(), ".so".into()];
        i
    }

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
