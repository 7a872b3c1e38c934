//! Finding a project's CFFI build scripts, the way setuptools users already list them.
//!
//! Three sources, first match wins:
//! 1. `[tool.cffi-forge] cffi-modules = ["src/pkg/_foo_build.py:ffibuilder"]`
//!    (an empty list turns the other two off);
//! 2. a literal `cffi_modules=[...]` in `setup.py`, read as text and never executed;
//! 3. `*_build.py` files that create an `FFI` and call `set_source` (not in virtual
//!    environments, build outputs, VCS folders, `node_modules` or `site-packages`).

use std::fs;
use std::path::{Path, PathBuf};

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
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("setup.py:{line}: `{key}` is not a literal, and setup.py is never run")]
    SetupPyNotLiteral { key: &'static str, line: usize },
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
        if let DiscoveryError::SetupPyNotLiteral { .. } = self {
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
    Ok(if discover { discover_scripts(root) } else { Vec::new() })
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
/// in a stable order.
pub fn discover_scripts(root: &Path) -> Vec<BuildScript> {
    let walker = ignore::WalkBuilder::new(root)
        .hidden(true)
        .parents(false)
        .git_global(false)
        .git_exclude(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|entry| {
            !(entry.depth() > 0 && entry.file_type().is_some_and(|t| t.is_dir()) && skip_dir(entry.path()))
        })
        .build();
    let mut found = Vec::new();
    for entry in walker.flatten() {
        let name = entry.file_name().to_string_lossy();
        if !name.ends_with("_build.py") || !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let Ok(text) = fs::read_to_string(entry.path()) else { continue };
        if let Some(variable) = ffi_variable(&text) {
            let rel = entry.path().strip_prefix(root).unwrap_or(entry.path());
            let path =
                rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            found.push(BuildScript { path, variable, source: ScriptSource::Discovered, ext_package: None });
        }
    }
    found
}

/// The module-level variable of a build script that holds an FFI on which `set_source`
/// (or `set_source_pkgconfig`) is called: `ffibuilder = FFI()` ... `ffibuilder.set_source(`.
fn ffi_variable(text: &str) -> Option<String> {
    let mut candidates = Vec::new();
    for line in text.lines() {
        // Module level only: an FFI made inside a function has no name to point at.
        if line.starts_with(|c: char| c.is_whitespace()) {
            continue;
        }
        let Some((lhs, rhs)) = line.split_once('=') else { continue };
        let (lhs, rhs) = (lhs.trim(), rhs.trim_start());
        if is_identifier(lhs) && !rhs.starts_with('=') && calls_ffi(rhs) {
            candidates.push(lhs.to_string());
        }
    }
    candidates.into_iter().find(|name| {
        text.contains(&format!("{name}.set_source("))
            || text.contains(&format!("{name}.set_source_pkgconfig("))
    })
}

/// `FFI()`, `cffi.FFI()`, `FFI(backend=...)`.
fn calls_ffi(expr: &str) -> bool {
    let head = expr.split('(').next().unwrap_or("");
    head == "FFI" || head.ends_with(".FFI")
}

// ---------------------------------------------------------------------------------
// `setup.py`: the literal `cffi_modules=[...]` list, read without running anything.

/// What cffi-forge takes from a `setup.py`: its literal `cffi_modules` list and the
/// `ext_package` prefix of the module names its build scripts give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetupPy {
    pub cffi_modules: Vec<String>,
    pub ext_package: Option<String>,
}

/// `root/setup.py`'s `cffi_modules` (and `ext_package`) if it has them. `Ok(None)`: no
/// setup.py or no `cffi_modules` in it. A value that is not a literal is an error:
/// guessing would build something other than what setuptools built.
pub fn read_setup_py(root: &Path) -> Result<Option<SetupPy>, DiscoveryError> {
    let path = root.join("setup.py");
    if !path.is_file() {
        return Ok(None);
    }
    let text = fs::read_to_string(&path).map_err(|source| DiscoveryError::Read { path, source })?;
    parse_setup_py(&text)
}

fn parse_setup_py(text: &str) -> Result<Option<SetupPy>, DiscoveryError> {
    let tokens = tokenize(text);
    let Some(cffi_modules) = setup_keyword(&tokens, "cffi_modules", literal_string_list)? else {
        return Ok(None);
    };
    let ext_package = setup_keyword(&tokens, "ext_package", |t| match t.first() {
        Some(Token { kind: Tok::Str(s), .. }) => Some(s.clone()),
        _ => None,
    })?;
    Ok(Some(SetupPy { cffi_modules, ext_package }))
}

/// The literal value of `key=...` (a keyword argument) or `"key": ...` (a dict entry).
fn setup_keyword<T>(
    tokens: &[Token],
    key: &'static str,
    literal: impl Fn(&[Token]) -> Option<T>,
) -> Result<Option<T>, DiscoveryError> {
    for (i, token) in tokens.iter().enumerate() {
        let next = |c: char| matches!(tokens.get(i + 1), Some(Token { kind: Tok::Punct(p), .. }) if *p == c);
        let is_key = match &token.kind {
            Tok::Name(n) => n == key && next('='),
            Tok::Str(s) => s == key && next(':'),
            _ => false,
        };
        if is_key {
            return match literal(&tokens[i + 2..]) {
                Some(value) => Ok(Some(value)),
                None => Err(DiscoveryError::SetupPyNotLiteral { key, line: token.line }),
            };
        }
    }
    Ok(None)
}

/// `[ "a", 'b', ]` or `( ... )` at the start of `tokens`.
fn literal_string_list(tokens: &[Token]) -> Option<Vec<String>> {
    let close = match tokens.first()?.kind {
        Tok::Punct('[') => ']',
        Tok::Punct('(') => ')',
        _ => return None,
    };
    let mut items = Vec::new();
    let mut rest = &tokens[1..];
    loop {
        match &rest.first()?.kind {
            Tok::Punct(c) if *c == close => return Some(items),
            Tok::Str(s) => {
                // Adjacent literals concatenate, as in Python.
                let mut value = s.clone();
                rest = &rest[1..];
                while let Some(Token { kind: Tok::Str(more), .. }) = rest.first() {
                    value.push_str(more);
                    rest = &rest[1..];
                }
                items.push(value);
                match &rest.first()?.kind {
                    Tok::Punct(',') => rest = &rest[1..],
                    Tok::Punct(c) if *c == close => {}
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
}

#[derive(Debug, PartialEq)]
enum Tok {
    Name(String),
    Str(String),
    Punct(char),
    /// Numbers, operators we don't care about.
    Other,
}

#[derive(Debug)]
struct Token {
    kind: Tok,
    line: usize,
}

/// Just enough of Python's lexer to find `cffi_modules` outside comments and strings
/// and read string literals (with prefixes, triple quotes and simple escapes).
fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() || c == '\\' {
            i += 1;
        } else if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let is_prefix = word.len() <= 2 && word.chars().all(|c| "rRbBuUfF".contains(c));
            if is_prefix && i < chars.len() && (chars[i] == '"' || chars[i] == '\'') {
                let raw = word.contains(['r', 'R']);
                let (value, next, lines) = string_literal(&chars, i, raw);
                tokens.push(Token { kind: Tok::Str(value), line });
                line += lines;
                i = next;
            } else {
                tokens.push(Token { kind: Tok::Name(word), line });
            }
        } else if c == '"' || c == '\'' {
            let (value, next, lines) = string_literal(&chars, i, false);
            tokens.push(Token { kind: Tok::Str(value), line });
            line += lines;
            i = next;
        } else if c == '=' && chars.get(i + 1) == Some(&'=') {
            tokens.push(Token { kind: Tok::Other, line });
            i += 2;
        } else if "[](),:=".contains(c) {
            tokens.push(Token { kind: Tok::Punct(c), line });
            i += 1;
        } else {
            tokens.push(Token { kind: Tok::Other, line });
            i += 1;
        }
    }
    tokens
}

/// Read a string literal starting at the quote `chars[start]`; returns its value, the
/// index after it and how many newlines it spans.
fn string_literal(chars: &[char], start: usize, raw: bool) -> (String, usize, usize) {
    let quote = chars[start];
    let triple = chars.get(start + 1) == Some(&quote) && chars.get(start + 2) == Some(&quote);
    let mut i = start + if triple { 3 } else { 1 };
    let (mut value, mut lines) = (String::new(), 0);
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            lines += 1;
            if !triple {
                break;
            }
        }
        if c == '\\' && i + 1 < chars.len() {
            let next = chars[i + 1];
            if raw {
                value.push(c);
                value.push(next);
            } else {
                match next {
                    'n' => value.push('\n'),
                    't' => value.push('\t'),
                    '\n' => lines += 1,
                    other => value.push(other),
                }
            }
            i += 2;
            continue;
        }
        if c == quote && (!triple || (chars.get(i + 1) == Some(&quote) && chars.get(i + 2) == Some(&quote))) {
            return (value, i + if triple { 3 } else { 1 }, lines);
        }
        value.push(c);
        i += 1;
    }
    (value, i, lines)
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
            ("inner_build.py", "def make():\n    ffi = FFI()\n    ffi.set_source('x', None)\n"),
            ("build/lib/pkg/_foo_build.py", SCRIPT),
            (".venv/lib/x_build.py", SCRIPT),
            ("myenv/pyvenv.cfg", ""),
            ("myenv/lib/y_build.py", SCRIPT),
            ("node_modules/z_build.py", SCRIPT),
            (".git/a_build.py", SCRIPT),
            ("pkg.egg-info/b_build.py", SCRIPT),
        ]);
        let found = discover_scripts(dir.path());
        let specs: Vec<_> = found.iter().map(BuildScript::spec).collect();
        assert_eq!(specs, ["other_build.py:ffi", "src/pkg/_foo_build.py:ffibuilder"]);
        assert!(found.iter().all(|s| s.source == ScriptSource::Discovered));
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

    #[test]
    fn reads_literal_cffi_modules_from_setup_py() {
        let text = r#"
import os  # cffi_modules = ["commented_out.py:x"]
doc = "cffi_modules=['in_a_string.py:x']"
setup(
    name="x",
    cffi_modules=[
        "src/pkg/_a_build.py:ffi",   # first
        'src/pkg/_b_build.py:ffibuilder',
    ],
)
"#;
        let setup = parse_setup_py(text).unwrap().unwrap();
        assert_eq!(setup.cffi_modules, ["src/pkg/_a_build.py:ffi", "src/pkg/_b_build.py:ffibuilder"]);
        assert_eq!(setup.ext_package, None);
        let dict = "kw = {'cffi_modules': ('a.py:f',), 'ext_package': 'pkg'}\nsetup(**kw)";
        let setup = parse_setup_py(dict).unwrap().unwrap();
        assert_eq!(
            (setup.cffi_modules.as_slice(), setup.ext_package.as_deref()),
            (&["a.py:f".to_string()][..], Some("pkg"))
        );
        assert_eq!(parse_setup_py("setup(name='x', ext_package='p')").unwrap(), None);
        let computed = "\nmods = ['a.py:f']\nsetup(cffi_modules=mods)\n";
        let err = parse_setup_py(computed).unwrap_err();
        assert_eq!(err.to_string(), "setup.py:3: `cffi_modules` is not a literal, and setup.py is never run");
        let err = parse_setup_py("setup(cffi_modules=['a.py:f'], ext_package=NAME)").unwrap_err();
        assert!(err.to_string().contains("`ext_package`"), "{err}");
    }
}
