//! The Python layout: where importable code lives and which packages and modules the
//! wheel ships of the project's files (see [`super::files`] for the walk), and why.
//!
//! The lists come from the first place that names them: `[tool.cffi-forge]`, then
//! `[tool.setuptools]`, then setup.cfg's `[options]` (see [`LayoutInputs`]), else
//! automatic discovery with setuptools' rules: a src layout ships every package and module
//! under `src/`; a flat layout ships its one top-level package, or (without one) its one
//! top-level module, and refuses to guess between several. Build scripts never ship as
//! top-level modules, however they were found.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::files::Globs;
use crate::diagnostic::{Diagnostic, SourceFile, ToDiagnostic};

/// Top-level directory names a flat layout never discovers as packages (setuptools'
/// list, plus private `_x` names).
const FLAT_EXCLUDED_PACKAGES: &[&str] = &[
    "ci",
    "bin",
    "debian",
    "doc",
    "docs",
    "documentation",
    "manpages",
    "news",
    "newsfragments",
    "changelog",
    "test",
    "tests",
    "unit_test",
    "unit_tests",
    "example",
    "examples",
    "scripts",
    "tools",
    "util",
    "utils",
    "python",
    "build",
    "dist",
    "venv",
    "env",
    "requirements",
    "tasks",
    "fabfile",
    "site_scons",
    "benchmark",
    "benchmarks",
    "bench",
    "exercise",
    "exercises",
    "htmlcov",
];

/// Top-level `.py` names a flat layout never discovers as modules: setuptools' list, plus
/// test files and build scripts by their usual names.
const FLAT_EXCLUDED_MODULES: &[&str] = &[
    "setup",
    "conftest",
    "test",
    "tests",
    "example",
    "examples",
    "build",
    "toxfile",
    "noxfile",
    "pavement",
    "dodo",
    "tasks",
    "fabfile",
    "conanfile",
    "manage",
    "benchmark",
    "benchmarks",
    "exercise",
    "exercises",
];

/// A value from a configuration file, with the key and place it was written at.
#[derive(Clone, Debug)]
pub struct Setting<T> {
    pub value: T,
    /// The dotted key, e.g. `tool.cffi-forge.packages` or `setup.cfg [options] packages`.
    pub key: String,
    pub file: SourceFile,
    pub span: Range<usize>,
}

impl<T> Setting<T> {
    fn error(&self, message: impl Into<String>) -> LayoutError {
        LayoutError::At(Box::new(Place {
            key: self.key.clone(),
            file: self.file.clone(),
            span: self.span.clone(),
            message: message.into(),
            help: None,
        }))
    }
}

/// `packages.find`-like discovery: `where` (the source directory), `include` / `exclude`
/// patterns on dotted names (`*` matches anything, dots included, as in setuptools), and
/// whether directories without `__init__.py` are (namespace) packages.
#[derive(Clone, Debug)]
pub struct FindPackages {
    pub key: String,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub namespaces: bool,
}

/// What the configuration says about the layout, each with where it was said; `None`
/// where nothing did (then discovery decides).
#[derive(Clone, Debug, Default)]
pub struct LayoutInputs {
    /// `python-source`, `package-dir = {"" = "src"}`, `packages.find.where`.
    pub source: Option<Setting<String>>,
    /// Explicit package names.
    pub packages: Option<Vec<Setting<String>>>,
    /// setuptools' semantics for `packages`: a listed package ships its own files and its
    /// non-package subdirectories, not subpackages that are not listed too. Otherwise
    /// (cffi-forge's `packages`) a package ships with everything below it.
    pub exact_packages: bool,
    /// `packages.find`, when the packages are to be found rather than listed.
    pub find: Option<FindPackages>,
    /// Explicit top-level modules.
    pub py_modules: Option<Vec<Setting<String>>>,
    /// Build scripts (project-relative paths): never shipped as top-level modules.
    pub build_scripts: Vec<String>,
    pub package_data: PackageData,
}

/// A layout that cannot be resolved: a named package or module that does not exist or
/// would not ship, or a flat layout too ambiguous to guess.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    #[error("{}: `{}`: {}", place(&.0.file, &.0.span), .0.key, .0.message)]
    At(Box<Place>),
    #[error("{}", ambiguous_title(.kind, .found))]
    Ambiguous { kind: &'static str, found: Vec<String>, dir: String },
    #[error("{kind} `{name}` ({decided_by}) would ship without {expected}")]
    NotShipped { decided_by: String, kind: &'static str, name: String, expected: String },
}

/// A problem at a key's value.
#[derive(Debug)]
pub struct Place {
    pub key: String,
    pub file: SourceFile,
    pub span: Range<usize>,
    pub message: String,
    pub help: Option<String>,
}

fn place(file: &SourceFile, span: &Range<usize>) -> String {
    let (line, col) = file.line_col(span.start);
    format!("{}:{line}:{col}", file.name)
}

fn ambiguous_title(kind: &str, found: &[String]) -> String {
    format!("several top-level {kind}s in a flat layout: {}", found.join(", "))
}

impl ToDiagnostic for LayoutError {
    fn to_diagnostic(&self) -> Diagnostic {
        match self {
            LayoutError::At(at) => {
                let d = Diagnostic::error(format!("invalid `{}`", at.key)).with_label(
                    &at.file,
                    at.span.clone(),
                    at.message.clone(),
                );
                match &at.help {
                    Some(help) => d.with_help(help.clone()),
                    None => d,
                }
            }
            LayoutError::Ambiguous { kind, found, dir } => {
                let key = if *kind == "package" { "packages" } else { "py-modules" };
                let list = found.iter().map(|f| format!("\"{f}\"")).collect::<Vec<_>>().join(", ");
                let place = if dir.is_empty() { "the project root".to_string() } else { format!("`{dir}/`") };
                Diagnostic::error(self.to_string())
                    .with_note(format!(
                        "automatic discovery (as setuptools does it) ships one top-level {kind} of \
                         {place} and does not guess which of these are meant to be installed"
                    ))
                    .with_help(format!(
                        "name the ones to ship in pyproject.toml:\n  [tool.cffi-forge]\n  {key} = [{list}]"
                    ))
            }
            LayoutError::NotShipped { .. } => Diagnostic::error(self.to_string()).with_help(
                "check the name, `python-source`, `exclude` and `package-data-exclude`, and that \
                 the file is not hidden or git-ignored",
            ),
        }
    }
}

impl LayoutError {
    fn with_help(mut self, text: impl Into<String>) -> Self {
        if let LayoutError::At(at) = &mut self {
            at.help = Some(text.into());
        }
        self
    }
}

/// Where the importable Python code lives and what the wheel ships of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PythonLayout {
    /// The directory holding importable code, relative to the project root, `/`-separated:
    /// `""` for a flat layout, `"src"` for a src layout, or `python-source` (normalised:
    /// `"."` and `"./"` are `""`, `"./src/"` is `"src"`).
    pub source: String,
    /// Shipped packages as dotted names (`pkg`, or `pkg.sub` when named so), each with
    /// everything below it except what [`PythonLayout::excluded`] takes out.
    pub packages: Vec<String>,
    /// Packages below shipped ones that do not ship (each with everything below it except
    /// deeper [`PythonLayout::packages`]): subpackages setuptools' rules leave out.
    pub excluded: Vec<String>,
    /// Shipped packages without `__init__.py` (PEP 420 namespace packages).
    pub namespace: Vec<String>,
    /// Shipped top-level single-file modules (`foo` for `foo.py`).
    pub modules: Vec<String>,
    /// Which files inside packages the wheel ships besides the Python code.
    pub package_data: PackageData,
    /// Why the code lives where it does (a key, or a discovery rule).
    pub source_decided_by: String,
    /// Why each package (`pkg`) and module (`foo.py`) ships.
    pub decided_by: BTreeMap<String, String>,
    /// Top-level `.py` files that do not ship, with the reason (for `inspect`).
    pub not_shipped: Vec<(String, String)>,
}

/// `package-data`, `package-data-include` and `package-data-exclude`: globs on paths
/// inside the wheel (`pkg/data/*.json`, or `*.c` for a name at any depth).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PackageData {
    /// Every non-Python file inside packages ships (the default).
    pub all: bool,
    /// Non-Python files that ship even when `all` is false.
    pub include: Vec<String>,
    /// Files inside packages (data or code) that never ship in the wheel.
    pub exclude: Vec<String>,
    /// The keys these came from, for `inspect`.
    pub decided_by: String,
}

/// One file the wheel ships from the tree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShippedFile {
    /// Its path inside the wheel.
    pub archive_path: String,
    /// Its path relative to the project root.
    pub path: String,
    /// Why it ships: the key, table or rule.
    pub decided_by: String,
}

/// Files that are code rather than data: always shipped with their package.
fn is_python_file(path: &str) -> bool {
    path.ends_with(".py") || path.ends_with(".pyi") || path.rsplit('/').next() == Some("py.typed")
}

/// `python-source` as a plain relative directory: `.`, `./`, `./src/` → ``, ``, `src`.
pub fn normalize_source(dir: &str) -> String {
    dir.split('/').filter(|c| !c.is_empty() && *c != ".").collect::<Vec<_>>().join("/")
}

impl PythonLayout {
    /// The absolute directory holding importable code (what an editable install puts on
    /// `sys.path`).
    pub fn root(&self, project_root: &Path) -> PathBuf {
        if self.source.is_empty() {
            project_root.to_path_buf()
        } else {
            project_root.join(&self.source)
        }
    }

    /// The package (dotted name, shipped or excluded) `rel` (relative to the source
    /// directory) belongs to: the deepest one above it.
    fn owning_package(&self, rel: &str) -> Option<(&str, bool)> {
        let under = |p: &str| {
            let dir = p.replace('.', "/");
            rel.strip_prefix(dir.as_str()).is_some_and(|rest| rest.starts_with('/'))
        };
        let shipped = self.packages.iter().filter(|p| under(p)).map(|p| (p.as_str(), true));
        let excluded = self.excluded.iter().filter(|p| under(p)).map(|p| (p.as_str(), false));
        shipped.chain(excluded).max_by_key(|(p, _)| p.len())
    }

    /// `path` relative to the project root → its path inside the wheel, if it is part of
    /// a shipped package or module.
    pub fn archive_path(&self, path: &str) -> Option<String> {
        self.archive_path_and_owner(path).map(|(a, _)| a)
    }

    /// The archive path and the package (`pkg`) or module (`foo.py`) that ships it.
    fn archive_path_and_owner(&self, path: &str) -> Option<(String, String)> {
        let rel = if self.source.is_empty() {
            path
        } else {
            path.strip_prefix(self.source.as_str())?.strip_prefix('/')?
        };
        if let Some((package, true)) = self.owning_package(rel) {
            return Some((rel.to_string(), package.to_string()));
        }
        let module = rel.strip_suffix(".py").filter(|m| self.modules.iter().any(|x| x == m))?;
        Some((rel.to_string(), format!("{module}.py")))
    }

    /// Every (archive path, path relative to the project root) the wheel ships from the
    /// tree, sorted by archive path.
    /// Package data follows [`PythonLayout::package_data`].
    pub fn wheel_files(&self, files: &[String]) -> Vec<(String, String)> {
        self.shipped_files(files).into_iter().map(|f| (f.archive_path, f.path)).collect()
    }

    /// [`PythonLayout::wheel_files`] with the reason each file ships.
    pub fn shipped_files(&self, files: &[String]) -> Vec<ShippedFile> {
        // Patterns were checked when the configuration was read.
        let globs = |patterns: &[String]| {
            (!patterns.is_empty()).then(|| Globs::new(patterns.iter().map(String::as_str)).ok()).flatten()
        };
        let (include, exclude) = (globs(&self.package_data.include), globs(&self.package_data.exclude));
        let why = |archive_path: &str, owner: &str| -> Option<String> {
            let reason = self.decided_by.get(owner).cloned().unwrap_or_default();
            let top_level_module = !archive_path.contains('/');
            if top_level_module {
                return Some(reason);
            }
            if exclude.as_ref().is_some_and(|g| g.matches(archive_path)) {
                return None;
            }
            if is_python_file(archive_path) {
                return Some(reason);
            }
            let data = if self.package_data.all {
                true
            } else {
                include.as_ref().is_some_and(|g| g.matches(archive_path))
            };
            data.then(|| format!("package data of `{owner}` ({})", self.package_data.decided_by))
        };
        let mut out: Vec<ShippedFile> = files
            .iter()
            .filter_map(|f| {
                let (archive_path, owner) = self.archive_path_and_owner(f)?;
                let decided_by = why(&archive_path, &owner)?;
                Some(ShippedFile { archive_path, path: f.clone(), decided_by })
            })
            .collect();
        out.sort_by(|a, b| a.archive_path.cmp(&b.archive_path));
        out
    }

    /// Check, when the wheel is assembled, that every package and module ships its code:
    /// `pkg/__init__.py` (any file, for a namespace package) and `foo.py`.
    pub fn check_shipped(&self, shipped: &[(String, String)]) -> Result<(), LayoutError> {
        let has = |path: &str| shipped.iter().any(|(a, _)| a == path);
        let key_of = |name: &str| self.decided_by.get(name).cloned().unwrap_or_default();
        for package in &self.packages {
            let dir = package.replace('.', "/");
            let ok = if self.namespace.contains(package) {
                shipped.iter().any(|(a, _)| a.starts_with(&format!("{dir}/")))
            } else {
                has(&format!("{dir}/__init__.py"))
            };
            if !ok {
                let expected = if self.namespace.contains(package) {
                    format!("any file under `{dir}/`")
                } else {
                    format!("`{dir}/__init__.py`")
                };
                return Err(LayoutError::NotShipped {
                    decided_by: key_of(package),
                    kind: "package",
                    name: package.clone(),
                    expected,
                });
            }
        }
        for module in &self.modules {
            let file = format!("{module}.py");
            if !has(&file) {
                return Err(LayoutError::NotShipped {
                    decided_by: key_of(&file),
                    kind: "module",
                    name: module.clone(),
                    expected: format!("`{file}`"),
                });
            }
        }
        Ok(())
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

/// A top-level `.py` name that is tooling, not a module to ship (by its name alone).
fn is_tooling_module(stem: &str) -> bool {
    FLAT_EXCLUDED_MODULES.contains(&stem)
        || stem.eq_ignore_ascii_case("sconstruct")
        || stem.ends_with("_build")
        || stem.starts_with("test_")
        || stem.ends_with("_test")
}

/// setuptools' `include` / `exclude` patterns on dotted names: `*` matches any run of
/// characters (dots included), `?` one character.
fn dotted_match(pattern: &str, name: &str) -> bool {
    fn go(p: &[u8], n: &[u8]) -> bool {
        match (p.first(), n.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], n) || (!n.is_empty() && go(p, &n[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &n[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &n[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), name.as_bytes())
}

/// Every package under the source directory (dotted names, sorted): directories holding
/// `__init__.py`, and with `namespaces` also directories holding Python files further
/// down. Only directories whose every component is an identifier count.
fn all_packages(in_source: &[&str], namespaces: bool) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut regular = BTreeSet::new();
    let mut namespace = BTreeSet::new();
    for rel in in_source {
        let Some((dir, _)) = rel.rsplit_once('/') else { continue };
        if !dir.split('/').all(is_identifier) {
            continue;
        }
        if rel.ends_with("/__init__.py") {
            regular.insert(dir.replace('/', "."));
        }
        if namespaces && rel.ends_with(".py") {
            let mut prefix = String::new();
            for part in dir.split('/') {
                if !prefix.is_empty() {
                    prefix.push('.');
                }
                prefix.push_str(part);
                namespace.insert(prefix.clone());
            }
        }
    }
    if !namespaces {
        // Without namespace packages, a package inside a directory that is not one is not
        // found either (setuptools does not search below such directories).
        let chained: BTreeSet<String> = regular
            .iter()
            .filter(|p| {
                let mut prefix = String::new();
                p.split('.').all(|part| {
                    if !prefix.is_empty() {
                        prefix.push('.');
                    }
                    prefix.push_str(part);
                    regular.contains(&prefix)
                })
            })
            .cloned()
            .collect();
        return (chained, BTreeSet::new());
    }
    let namespace = namespace.difference(&regular).cloned().collect();
    (regular, namespace)
}

/// Resolve the layout from what the configuration says and the project's files.
pub fn python_layout(
    root: &Path,
    inputs: &LayoutInputs,
    files: &[String],
) -> Result<PythonLayout, LayoutError> {
    let is_build_script = |path: &str| inputs.build_scripts.iter().any(|s| s == path);
    // `src/` is the source directory when it holds Python code: a package (at any depth
    // of identifier directories, so that `src/ns/plugin/__init__.py` inside a PEP 420
    // namespace `ns/` counts), or a top-level module that is not tooling (C-only `src/`
    // folders are common in CFFI projects with the package at the root).
    let has_code_in = |dir: &str| {
        files.iter().filter(|f| !is_build_script(f)).filter_map(|f| f.strip_prefix(dir)).any(|rel| {
            let package = rel.strip_suffix("/__init__.py").is_some_and(|p| p.split('/').all(is_identifier));
            let module = rel
                .strip_suffix(".py")
                .is_some_and(|m| !m.contains('/') && is_identifier(m) && !is_tooling_module(m));
            package || module
        })
    };
    let (source, source_decided_by, flat) = match &inputs.source {
        Some(setting) => {
            let dir = normalize_source(&setting.value);
            if let Some(message) =
                super::paths::outside_problem(root, &dir, super::paths::PathRole::ProjectFile)
            {
                return Err(setting.error(message));
            }
            if !root.join(&dir).is_dir() {
                return Err(setting.error(format!("`{dir}` is not a directory of the project")));
            }
            // `python-source = "."` is a flat layout as much as the default is.
            let flat = dir.is_empty();
            (dir, setting.key.clone(), flat)
        }
        None if has_code_in("src/") => {
            ("src".to_string(), "src layout: src/ holds Python code".to_string(), false)
        }
        None => (String::new(), "flat layout: no src/ with Python code".to_string(), true),
    };
    let prefix = if source.is_empty() { String::new() } else { format!("{source}/") };
    let in_source: Vec<&str> = files.iter().filter_map(|f| f.strip_prefix(prefix.as_str())).collect();
    let shown = |rel: &str| format!("{prefix}{rel}");

    let mut layout = PythonLayout {
        source: source.clone(),
        packages: Vec::new(),
        excluded: Vec::new(),
        namespace: Vec::new(),
        modules: Vec::new(),
        package_data: inputs.package_data.clone(),
        source_decided_by,
        decided_by: BTreeMap::new(),
        not_shipped: Vec::new(),
    };
    let top_level_py: Vec<&str> =
        in_source.iter().filter_map(|rel| rel.strip_suffix(".py").filter(|s| !s.contains('/'))).collect();

    if let Some(listed) = &inputs.packages {
        let (regular, _) = all_packages(&in_source, false);
        for setting in listed {
            let name = &setting.value;
            let dir = name.replace('.', "/");
            if !root.join(&prefix).join(&dir).is_dir() {
                let mut error = setting.error(format!("no directory `{}` for package `{name}`", shown(&dir)));
                if in_source.contains(&format!("{dir}.py").as_str()) {
                    error = error.with_help(format!(
                        "`{}` is a single-file module: list it in `py-modules = [\"{name}\"]` instead",
                        shown(&format!("{dir}.py"))
                    ));
                } else if !prefix.is_empty() && root.join(&dir).is_dir() {
                    error = error.with_help(format!(
                        "`{dir}/` is at the project root, but the Python source directory is `{source}/`"
                    ));
                }
                return Err(error);
            }
            // On disk, not in the walk: an `__init__.py` left out by `exclude` must fail
            // the wheel's check rather than turn the package into a namespace package.
            if !root.join(&prefix).join(&dir).join("__init__.py").is_file() {
                layout.namespace.push(name.clone());
            }
            layout.packages.push(name.clone());
            layout.decided_by.insert(name.clone(), setting.key.clone());
        }
        if inputs.exact_packages {
            // setuptools ships subpackages only when they are listed too.
            layout.excluded = regular
                .iter()
                .filter(|p| !layout.packages.contains(p))
                .filter(|p| layout.packages.iter().any(|l| p.starts_with(&format!("{l}."))))
                .cloned()
                .collect();
        }
    } else if let Some(find) = &inputs.find {
        let (regular, namespace) = all_packages(&in_source, find.namespaces);
        let wanted = |name: &str| {
            let included = find.include.is_empty() || find.include.iter().any(|p| dotted_match(p, name));
            included && !find.exclude.iter().any(|p| dotted_match(p, name))
        };
        for name in regular.iter().chain(namespace.iter()) {
            if wanted(name) {
                layout.packages.push(name.clone());
                if namespace.contains(name) {
                    layout.namespace.push(name.clone());
                }
                layout.decided_by.insert(name.clone(), format!("{} (found under {})", find.key, shown("")));
            } else {
                layout.excluded.push(name.clone());
            }
        }
        layout.packages.sort();
        // Excluded packages matter only below shipped ones.
        let shipped = layout.packages.clone();
        layout.excluded.retain(|e| shipped.iter().any(|p| e.starts_with(&format!("{p}."))));
    }

    if let Some(listed) = &inputs.py_modules {
        for setting in listed {
            let name = &setting.value;
            let path = format!("{prefix}{name}.py");
            if !files.contains(&path) {
                let mut error = setting.error(format!("no file `{path}` for module `{name}`"));
                if in_source.contains(&format!("{name}/__init__.py").as_str()) {
                    error = error.with_help(format!(
                        "`{}` is a package: list it in `packages = [\"{name}\"]` instead",
                        shown(&format!("{name}/"))
                    ));
                }
                return Err(error);
            }
            if is_build_script(&path) {
                return Err(setting.error(format!(
                    "`{path}` is a build script (it builds a CFFI module); build scripts are not shipped"
                )));
            }
            layout.modules.push(name.clone());
            layout.decided_by.insert(format!("{name}.py"), setting.key.clone());
        }
    }

    let explicit = inputs.packages.is_some() || inputs.find.is_some() || inputs.py_modules.is_some();
    if !explicit {
        discover(&mut layout, &in_source, flat, &prefix, &is_build_script)?;
    }
    for stem in top_level_py {
        let file = format!("{stem}.py");
        if layout.decided_by.contains_key(&file) {
            continue;
        }
        let reason = if is_build_script(&shown(&file)) {
            "a build script (build scripts are never shipped as top-level modules)"
        } else if explicit {
            "not listed in `py-modules`"
        } else if is_tooling_module(stem) || stem.starts_with('_') || !is_identifier(stem) {
            "excluded by name from automatic discovery (tooling, tests or a private name)"
        } else {
            "the flat layout has a package: top-level modules ship only when listed in `py-modules`"
        };
        layout.not_shipped.push((shown(&file), reason.to_string()));
    }
    Ok(layout)
}

/// Automatic discovery (no list given): setuptools' rules for src and flat layouts.
fn discover(
    layout: &mut PythonLayout,
    in_source: &[&str],
    flat: bool,
    prefix: &str,
    is_build_script: &dyn Fn(&str) -> bool,
) -> Result<(), LayoutError> {
    let dir = prefix.trim_end_matches('/');
    let mut packages = BTreeSet::new();
    let mut modules = BTreeSet::new();
    for rel in in_source {
        if let Some(pkg) = rel.strip_suffix("/__init__.py").filter(|p| !p.contains('/') && is_identifier(p)) {
            // Like setuptools' flat layout: tooling and private (`_x`) names are not discovered.
            if !(flat && (FLAT_EXCLUDED_PACKAGES.contains(&pkg) || pkg.starts_with('_'))) {
                packages.insert(pkg.to_string());
            }
        } else if let Some(dir) =
            rel.strip_suffix("/__init__.py").filter(|p| !flat && p.split('/').all(is_identifier))
        {
            // A src layout finds packages inside PEP 420 namespace directories too (as
            // setuptools does there): `ns/plugin/__init__.py` without `ns/__init__.py`
            // ships `ns.plugin`. Only the shallowest package of a chain is listed; it
            // ships everything below it.
            let outermost = dir
                .match_indices('/')
                .all(|(i, _)| !in_source.contains(&format!("{}/__init__.py", &dir[..i]).as_str()));
            if outermost {
                packages.insert(dir.replace('/', "."));
            }
        } else if let Some(stem) = rel.strip_suffix(".py").filter(|s| !s.contains('/') && is_identifier(s)) {
            let private = flat && stem.starts_with('_');
            if !is_tooling_module(stem) && !private && !is_build_script(&format!("{prefix}{rel}")) {
                modules.insert(stem.to_string());
            }
        }
    }
    if flat {
        if packages.len() > 1 {
            return Err(LayoutError::Ambiguous {
                kind: "package",
                found: packages.into_iter().collect(),
                dir: dir.to_string(),
            });
        }
        if packages.len() == 1 {
            modules.clear();
        } else if modules.len() > 1 {
            return Err(LayoutError::Ambiguous {
                kind: "module",
                found: modules.into_iter().collect(),
                dir: dir.to_string(),
            });
        }
    }
    let rule = |kind: &str| {
        if flat {
            format!("discovered: the one top-level {kind} of the flat layout")
        } else {
            format!("discovered: a {kind} under {prefix}")
        }
    };
    for package in packages {
        let reason = rule("package");
        let init = format!("{prefix}{}/__init__.py", package.replace('.', "/"));
        layout.decided_by.insert(package.clone(), format!("{reason} ({init})"));
        layout.packages.push(package);
    }
    for module in modules {
        let reason = rule("module");
        layout.decided_by.insert(format!("{module}.py"), format!("{reason} ({prefix}{module}.py)"));
        layout.modules.push(module);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(source: &str, packages: &[&str], modules: &[&str]) -> PythonLayout {
        PythonLayout {
            source: source.into(),
            packages: packages.iter().map(|s| s.to_string()).collect(),
            excluded: Vec::new(),
            namespace: Vec::new(),
            modules: modules.iter().map(|s| s.to_string()).collect(),
            package_data: PackageData { all: true, ..Default::default() },
            source_decided_by: String::new(),
            decided_by: BTreeMap::new(),
            not_shipped: Vec::new(),
        }
    }

    #[test]
    fn archive_paths_follow_the_layout() {
        let l = layout("src", &["pkg"], &["single"]);
        assert_eq!(l.archive_path("src/pkg/__init__.py").as_deref(), Some("pkg/__init__.py"));
        assert_eq!(l.archive_path("src/pkg/data/x.json").as_deref(), Some("pkg/data/x.json"));
        assert_eq!(l.archive_path("src/single.py").as_deref(), Some("single.py"));
        assert_eq!(l.archive_path("src/pkgx/__init__.py"), None);
        assert_eq!(l.archive_path("pkg/__init__.py"), None);
        assert_eq!(l.archive_path("src/other.py"), None);
        let l = layout("", &["a.b"], &[]);
        assert_eq!(l.archive_path("a/b/c.py").as_deref(), Some("a/b/c.py"));
        assert_eq!(l.archive_path("a/__init__.py"), None);
    }

    #[test]
    fn package_data_rules() {
        let files: Vec<String> = [
            "src/pkg/__init__.py",
            "src/pkg/_impl.c",
            "src/pkg/py.typed",
            "src/pkg/api.pyi",
            "src/pkg/data/table.json",
            "src/pkg/data/notes.txt",
            "src/pkg/tests/test_x.py",
            "src/single.py",
        ]
        .map(String::from)
        .to_vec();
        let shipped = |data: PackageData| {
            let mut l = layout("src", &["pkg"], &["single"]);
            l.package_data = data;
            l.wheel_files(&files).into_iter().map(|(a, _)| a).collect::<Vec<_>>()
        };
        let all = shipped(PackageData { all: true, ..Default::default() });
        assert_eq!(all.len(), 8);
        let code_only = shipped(PackageData::default());
        assert_eq!(
            code_only,
            ["pkg/__init__.py", "pkg/api.pyi", "pkg/py.typed", "pkg/tests/test_x.py", "single.py"]
        );
        let some = shipped(PackageData {
            all: false,
            include: vec!["pkg/data/*.json".into()],
            exclude: vec!["tests".into()],
            decided_by: String::new(),
        });
        assert_eq!(
            some,
            ["pkg/__init__.py", "pkg/api.pyi", "pkg/data/table.json", "pkg/py.typed", "single.py"]
        );
        let no_c = shipped(PackageData {
            all: true,
            include: vec![],
            exclude: vec!["*.c".into()],
            decided_by: String::new(),
        });
        assert!(
            !no_c.contains(&"pkg/_impl.c".to_string()) && no_c.contains(&"pkg/data/notes.txt".to_string())
        );
    }

    #[test]
    fn tooling_modules_are_not_discovered() {
        for stem in ["setup", "conftest", "_foo_build", "foo_build", "test_x", "noxfile", "SConstruct"] {
            assert!(is_tooling_module(stem), "{stem}");
        }
        assert!(!is_tooling_module("foo"));
    }

    #[test]
    fn sources_are_normalised() {
        for (given, want) in
            [(".", ""), ("./", ""), ("src/", "src"), ("./src", "src"), ("./src/./py/", "src/py")]
        {
            assert_eq!(normalize_source(given), want, "{given}");
        }
    }

    #[test]
    fn dotted_patterns_match_like_setuptools() {
        assert!(dotted_match("pkg*", "pkg"));
        assert!(dotted_match("pkg*", "pkg.sub.deep"));
        assert!(dotted_match("*.tests", "pkg.tests"));
        assert!(dotted_match("*.tests*", "pkg.tests.unit"));
        assert!(!dotted_match("pkg", "pkg.sub"));
        assert!(dotted_match("p?g", "pkg"));
    }

    #[test]
    fn excluded_subpackages_take_their_files_out() {
        let mut l = layout("", &["pkg", "pkg.keep.inner"], &[]);
        l.excluded = vec!["pkg.keep".into()];
        assert_eq!(l.archive_path("pkg/a.py").as_deref(), Some("pkg/a.py"));
        assert_eq!(l.archive_path("pkg/data/x.json").as_deref(), Some("pkg/data/x.json"));
        assert_eq!(l.archive_path("pkg/keep/a.py"), None);
        assert_eq!(l.archive_path("pkg/keep/inner/a.py").as_deref(), Some("pkg/keep/inner/a.py"));
    }
}
