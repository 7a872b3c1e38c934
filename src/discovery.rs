//! Finding a project's CFFI build scripts, the way setuptools users already list them.
//!
//! Three sources, first match wins:
//! 1. `[tool.cffi-forge] cffi-modules = ["src/pkg/_foo_build.py:ffibuilder"]`
//!    (an empty list turns the other two off);
//! 2. a literal `cffi_modules=[...]` in `setup.py`, read by [`crate::setup_py`], never executed;
//! 3. `*_build.py` files that create an `FFI` and call `set_source` (not in virtual
//!    environments, build outputs, VCS folders, `node_modules` or `site-packages`).

use std::fs;
use std::path::Path;

use crate::setup_py::{read_setup_py, SetupPyError};

/// How a build script was found; decides what the user is told.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptSource {
    /// `[tool.cffi-forge] cffi-modules`.
    Config,
    /// A literal `cffi_modules=[...]` in `setup.py`.
    SetupPy,
    /// A `*_build.py` file found by walking the project.
    Discovered,
}

/// One `path/to/build.py:variable` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildScript {
    /// Relative to the project root, with `/` separators, as the user wrote it.
    pub path: String,
    /// The module-level name holding the `FFI` (or a function returning one).
    pub variable: String,
    pub source: ScriptSource,
    /// setup.py's `ext_package`: a prefix for the module names the script gives.
    pub ext_package: Option<String>,
}

impl BuildScript {
    /// `path:variable`, the form `cffi-modules` uses.
    pub fn spec(&self) -> String {
        format!("{}:{}", self.path, self.variable)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DiscoveryError {
    #[error("{spec:?} must be of the form 'path/build.py:ffi_variable'")]
    BadForm { spec: String, origin: &'static str },
    #[error("'{file}' does not name an existing file{hint}")]
    NoSuchFile { file: String, hint: String, origin: &'static str },
    #[error(transparent)]
    SetupPy(#[from] SetupPyError),
    #[error("{path}:{line}: this FFI is not tied to a module-level name with a set_source() call, so cffi-forge cannot tell what it builds")]
    UnfollowedFfi { path: String, line: usize },
}

impl DiscoveryError {
    /// Where the faulty entry came from, for the user.
    pub fn origin(&self) -> Option<&'static str> {
        match self {
            DiscoveryError::BadForm { origin, .. } | DiscoveryError::NoSuchFile { origin, .. } => {
                Some(origin)
            }
            _ => None,
        }
    }
}

impl crate::diagnostic::ToDiagnostic for DiscoveryError {
    fn to_diagnostic(&self) -> crate::diagnostic::Diagnostic {
        let mut d = crate::diagnostic::Diagnostic::error(self.to_string());
        if let Some(origin) = self.origin() {
            d = d.with_note(format!("listed in {origin}"));
        }
        if let DiscoveryError::UnfollowedFfi { path, .. } = self {
            d = d
                .with_note(
                    "`*_build.py` files are found by reading them, never running them: \
                     `name = FFI()` at module level, then `name.set_source(...)`",
                )
                .with_help(format!(
                    "list it in pyproject.toml: [tool.cffi-forge] cffi-modules = [\"{path}:NAME\"], \
                     NAME being the module-level FFI or a function returning it"
                ));
        }
        if let DiscoveryError::SetupPy(SetupPyError::NotLiteral { .. }) = self {
            d = d.with_help(
                "say it in pyproject.toml instead: [tool.cffi-forge] cffi-modules = \
                 [\"path/to/foo_build.py:ffibuilder\"] (and ext-package = \"pkg\")",
            );
        }
        d
    }
}

pub const CONFIG_ORIGIN: &str = "`tool.cffi-forge.cffi-modules` in pyproject.toml";
pub const SETUP_PY_ORIGIN: &str = "`cffi_modules` in setup.py";

/// Parse and check one `path/build.py:variable` entry, with cffi's own error messages
/// (including the hint for a dotted module name such as `pkg.foo_build:ffi`).
pub fn parse_spec(
    root: &Path,
    spec: &str,
    source: ScriptSource,
    origin: &'static str,
) -> Result<BuildScript, DiscoveryError> {
    let (file, variable) = match spec.split(':').collect::<Vec<_>>().as_slice() {
        [file, variable] if !file.is_empty() && is_identifier(variable) => (*file, *variable),
        _ => return Err(DiscoveryError::BadForm { spec: spec.to_string(), origin }),
    };
    if !root.join(file).is_file() {
        let rewritten = format!("{}.py", file.replace('.', "/"));
        let hint = if root.join(&rewritten).is_file() {
            format!(" (rewrite cffi_modules to ['{rewritten}:{variable}'])")
        } else {
            String::new()
        };
        return Err(DiscoveryError::NoSuchFile { file: file.to_string(), hint, origin });
    }
    Ok(BuildScript {
        path: file.replace('\\', "/"),
        variable: variable.to_string(),
        source,
        ext_package: None,
    })
}

/// The build scripts of the project at `root`. `configured` is the value of
/// `[tool.cffi-forge] cffi-modules` when the key is present. `discover` says whether to
/// walk the project when nothing is configured (projects with declarative modules don't).
pub fn find_build_scripts(
    root: &Path,
    configured: Option<&[String]>,
    discover: bool,
) -> Result<Vec<BuildScript>, DiscoveryError> {
    if let Some(specs) = configured {
        return specs.iter().map(|s| parse_spec(root, s, ScriptSource::Config, CONFIG_ORIGIN)).collect();
    }
    if let Some(setup) = read_setup_py(root)? {
        return setup
            .cffi_modules
            .iter()
            .map(|s| {
                let mut script = parse_spec(root, s, ScriptSource::SetupPy, SETUP_PY_ORIGIN)?;
                script.ext_package = setup.ext_package.clone();
                Ok(script)
            })
            .collect();
    }
    if discover {
        discover_scripts(root)
    } else {
        Ok(Vec::new())
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

// ---------------------------------------------------------------------------------
// Discovery of `*_build.py` files.

/// Folder names never searched: build outputs, caches and installed packages.
const SKIPPED_DIRS: &[&str] =
    &["build", "dist", "target", "node_modules", "site-packages", "__pycache__", "venv", "env", "wheelhouse"];

fn skip_dir(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    SKIPPED_DIRS.contains(&name)
        || name.ends_with(".egg-info")
        || name.starts_with('.')
        // Any virtual environment, whatever its name.
        || path.join("pyvenv.cfg").is_file()
}

/// Walk the project for `*_build.py` scripts that create an FFI and call `set_source`,
/// in a stable order. Every `*_build.py` that creates an FFI is accounted for: found, an
/// error when its FFI cannot be followed to a `set_source()` call, or (when it calls no
/// `set_source()` at all, so it builds nothing) a warning saying it is skipped.
pub fn discover_scripts(root: &Path) -> Result<Vec<BuildScript>, DiscoveryError> {
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .parents(false)
        .git_global(false)
        .git_exclude(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|entry| {
            let dir = entry.depth() > 0 && entry.file_type().is_some_and(|t| t.is_dir());
            // A `.gitignore` FIFO would block the walker (the project walk warned about it).
            !(dir
                && (skip_dir(entry.path()) || crate::config::walk_rules::has_special_gitignore(entry.path())))
        })
        .build();
    let mut found = Vec::new();
    for entry in walker.flatten() {
        let name = entry.file_name().to_string_lossy();
        if !name.ends_with("_build.py") || !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(text) = fs::read_to_string(entry.path()) else { continue };
        let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
        let path = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        match read_build_script(&text) {
            ScriptReading::NoFfi => {}
            ScriptReading::Found(variable) => found.push(BuildScript {
                path,
                variable,
                source: ScriptSource::Discovered,
                ext_package: None,
            }),
            ScriptReading::Unfollowed { line } => return Err(DiscoveryError::UnfollowedFfi { path, line }),
            ScriptReading::NoSetSource { line } => crate::ui::warning(format!(
                "skipping `{path}`: it creates an FFI (line {line}) but never calls set_source(), \
                 so it builds no module"
            )),
        }
    }
    Ok(found)
}

/// What reading a `*_build.py` tells.
#[derive(Debug, PartialEq, Eq)]
enum ScriptReading {
    /// It creates no FFI: not a CFFI build script.
    NoFfi,
    /// The module-level variable to build.
    Found(String),
    /// It creates an FFI (first at `line`) and calls `set_source` somewhere, but not on a
    /// module-level variable holding an FFI.
    Unfollowed { line: usize },
    /// It creates an FFI (first at `line`) and never calls `set_source`.
    NoSetSource { line: usize },
}

fn read_build_script(text: &str) -> ScriptReading {
    // Comments never count; strings are not told apart (a build script rarely quotes code).
    let code: Vec<&str> = text.lines().map(|line| line.split('#').next().unwrap_or("")).collect();
    let Some(line) = code.iter().position(|l| creates_ffi(l)).map(|i| i + 1) else {
        return ScriptReading::NoFfi;
    };
    if let Some(variable) = ffi_variable(&code) {
        return ScriptReading::Found(variable);
    }
    if code.iter().any(|l| l.contains("set_source")) {
        ScriptReading::Unfollowed { line }
    } else {
        ScriptReading::NoSetSource { line }
    }
}

/// Whether a line calls `FFI(` (or `cffi.FFI(`, `api.FFI (`), anywhere in it.
fn creates_ffi(line: &str) -> bool {
    line.match_indices("FFI").any(|(at, _)| {
        let before = line[..at].chars().next_back();
        let after = line[at + 3..].trim_start();
        !before.is_some_and(|c| c.is_alphanumeric() || c == '_') && after.starts_with('(')
    })
}

/// The module-level variable of a build script that holds an FFI on which `set_source`
/// (or `set_source_pkgconfig`) is called: `ffibuilder = FFI()` ... `ffibuilder.set_source(`
/// (an annotated `ffibuilder: FFI = FFI()` too).
fn ffi_variable(code: &[&str]) -> Option<String> {
    let mut candidates = Vec::new();
    for line in code {
        // Module level only: an FFI made inside a function has no name to point at.
        if line.starts_with(|c: char| c.is_whitespace()) {
            continue;
        }
        let Some((lhs, rhs)) = line.split_once('=') else { continue };
        let lhs = lhs.split(':').next().unwrap_or("").trim();
        let rhs = rhs.trim_start();
        if is_identifier(lhs) && !rhs.starts_with('=') && calls_ffi(rhs) {
            candidates.push(lhs.to_string());
        }
    }
    let calls = |name: &str, method: &str| {
        code.iter().any(|line| {
            line.match_indices(name).any(|(at, _)| {
                let before = line[..at].chars().next_back();
                let rest = line[at + name.len()..].trim_start();
                !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
                    && rest.strip_prefix('.').is_some_and(|r| {
                        r.trim_start().strip_prefix(method).is_some_and(|r| r.trim_start().starts_with('('))
                    })
            })
        })
    };
    candidates.into_iter().find(|name| calls(name, "set_source") || calls(name, "set_source_pkgconfig"))
}

/// `FFI()`, `cffi.FFI()`, `FFI(backend=...)`.
fn calls_ffi(expr: &str) -> bool {
    let head = expr.split('(').next().unwrap_or("").trim_end();
    expr.contains('(') && (head == "FFI" || head.ends_with(".FFI"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
        dir
    }

    const SCRIPT: &str = "from cffi import FFI\nffibuilder = FFI()\nffibuilder.cdef('int f(int);')\n\
                          ffibuilder.set_source('pkg._foo', '#include \"foo.h\"')\n";

    #[test]
    fn dotted_spec_gets_cffis_rewrite_hint() {
        let dir = project(&[("pkg/foo_build.py", SCRIPT)]);
        let err = parse_spec(dir.path(), "pkg.foo_build:ffibuilder", ScriptSource::Config, CONFIG_ORIGIN)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "'pkg.foo_build' does not name an existing file (rewrite cffi_modules to ['pkg/foo_build.py:ffibuilder'])"
        );
    }

    #[test]
    fn missing_file_and_bad_form() {
        let dir = project(&[]);
        let err =
            parse_spec(dir.path(), "nope_build.py:ffi", ScriptSource::Config, CONFIG_ORIGIN).unwrap_err();
        assert_eq!(err.to_string(), "'nope_build.py' does not name an existing file");
        for bad in ["foo_build.py", "a:b:c", "foo_build.py:1x", ":ffi"] {
            let err = parse_spec(dir.path(), bad, ScriptSource::Config, CONFIG_ORIGIN).unwrap_err();
            assert!(matches!(err, DiscoveryError::BadForm { .. }), "{bad}: {err}");
        }
    }

    #[test]
    fn discovers_build_scripts_but_not_in_venvs_or_build_outputs() {
        let dir = project(&[
            ("src/pkg/_foo_build.py", SCRIPT),
            ("other_build.py", &SCRIPT.replace("ffibuilder", "ffi")),
            ("ffi_builder.py", SCRIPT),
            ("helper_build.py", "import os\n"),
            ("typed_build.py", "import cffi\nffi: cffi.FFI = cffi.FFI()\nffi . set_source ('t', None)\n"),
            ("build/lib/pkg/_foo_build.py", SCRIPT),
            (".venv/lib/x_build.py", SCRIPT),
            ("myenv/pyvenv.cfg", ""),
            ("myenv/lib/y_build.py", SCRIPT),
            ("node_modules/z_build.py", SCRIPT),
            (".git/a_build.py", SCRIPT),
            ("pkg.egg-info/b_build.py", SCRIPT),
        ]);
        let found = discover_scripts(dir.path()).unwrap();
        let specs: Vec<_> = found.iter().map(BuildScript::spec).collect();
        assert_eq!(specs, ["other_build.py:ffi", "src/pkg/_foo_build.py:ffibuilder", "typed_build.py:ffi"]);
        assert!(found.iter().all(|s| s.source == ScriptSource::Discovered));
    }

    #[test]
    fn every_ffi_a_build_script_creates_is_accounted_for() {
        use ScriptReading::*;
        let read = |text: &str| read_build_script(text);
        assert_eq!(read("import os\n# ffi = FFI()\n"), NoFfi);
        assert_eq!(read(SCRIPT), Found("ffibuilder".into()));
        // Made in a function: nothing to point at.
        let inner = "from cffi import FFI\n\ndef make():\n    ffi = FFI()\n    ffi.set_source('x', None)\n    return ffi\n";
        assert_eq!(read(inner), Unfollowed { line: 4 });
        // set_source reached another way than `name.set_source(`.
        let indirect = "import cffi\nffi = cffi.FFI()\ngetattr(ffi, 'set_source')('_x', None)\n";
        assert_eq!(read(indirect), Unfollowed { line: 2 });
        assert_eq!(
            read("from cffi import FFI\nffi = FFI()\nffi.cdef('int f(void);')\n"),
            NoSetSource { line: 2 }
        );

        let dir = project(&[("a_build.py", SCRIPT), ("b/inner_build.py", inner)]);
        let err = discover_scripts(dir.path()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "b/inner_build.py:4: this FFI is not tied to a module-level name with a set_source() call, \
             so cffi-forge cannot tell what it builds"
        );
    }

    #[test]
    fn config_wins_and_empty_config_disables_discovery() {
        let dir =
            project(&[("a_build.py", SCRIPT), ("setup.py", "setup(cffi_modules=['a_build.py:ffibuilder'])")]);
        let none: &[String] = &[];
        assert!(find_build_scripts(dir.path(), Some(none), true).unwrap().is_empty());
        let from_setup = find_build_scripts(dir.path(), None, true).unwrap();
        assert_eq!(from_setup[0].source, ScriptSource::SetupPy);
    }
}
