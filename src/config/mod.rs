//! `pyproject.toml`: `[project]` (PEP 621) and `[tool.cffi-forge]`, parsed with spans and
//! validated once, so every later layer works from checked values and every error points
//! at the user's key (`pyproject.toml:LINE:COL` with a snippet).
//!
//! ```no_run
//! # use cffi_forge::config::Project;
//! let project = Project::load(std::path::Path::new("."))?;
//! println!("{} {}", project.metadata.name, project.metadata.version);
//! # Ok::<(), cffi_forge::config::ConfigError>(())
//! ```
//!
//! - [`Project::metadata`]: the `[project]` table, validated, dynamic `version` resolved,
//!   the cffi runtime requirement added (see [`crate::metadata`]).
//! - [`Project::tool`]: `[tool.cffi-forge]` ([`ToolConfig`]; reference in
//!   `docs/configuration.md`).
//! - [`Project::files`]: every file of the project that may be packaged (the walk that
//!   sdists and wheels select from; see [`files`]).

pub mod build_keys;
pub mod files;
mod include;
pub mod layout;
pub mod module_table;
pub mod paths;
mod project_table;
mod raw;
pub mod setup_cfg;
mod setuptools;
pub mod targets;
mod tool;
mod version_source;
pub(crate) mod walk_rules;

use std::ops::Range;
use std::path::{Path, PathBuf};

pub use toml::Spanned;

pub use self::layout::PythonLayout;
pub use self::targets::{Extension, ModuleOptions, SkippedTable, StaticLibrary};
pub use self::tool::{Generator, ToolConfig, VersionSource};
use crate::diagnostic::{Diagnostic, SourceFile, ToDiagnostic};
use crate::interpreter::Interpreter;
use crate::metadata::Metadata;
use crate::spec::{ModuleSpec, TableRef};
use crate::tags::Abi3Policy;
use module_table::ModuleTableError;

/// A loaded and validated project.
#[derive(Clone, Debug)]
pub struct Project {
    /// The directory holding `pyproject.toml` (absolute).
    pub root: PathBuf,
    /// The text of `pyproject.toml`, for diagnostics pointing into it.
    pub pyproject: SourceFile,
    pub metadata: Metadata,
    pub tool: ToolConfig,
    /// Where the importable Python code lives and which packages and modules it has.
    pub python: PythonLayout,
    /// Where `metadata.version` came from.
    pub version_origin: VersionOrigin,
    /// Every packageable file, relative to `root`, `/`-separated, sorted: the tree minus
    /// `.git`, virtual environments, build outputs, `__pycache__`, compiled leftovers,
    /// hidden and `.gitignore`d files, adjusted by `include` / `exclude`.
    pub files: Vec<String>,
    /// What the configuration said about the layout, kept to redo it after a rescan.
    layout_inputs: layout::LayoutInputs,
}

/// Where the project's version came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionOrigin {
    /// `[project] version`.
    Static,
    /// `dynamic`, read from a module attribute (`pkg.__version__`).
    Attr(String),
    /// `dynamic`, read from a file.
    File(String),
    /// `dynamic`, taken from `PKG-INFO`: the project is an unpacked sdist.
    PkgInfo,
}

impl std::fmt::Display for VersionOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VersionOrigin::Static => write!(f, "[project] version"),
            VersionOrigin::Attr(attr) => write!(f, "`{attr}` (dynamic)"),
            VersionOrigin::File(path) => write!(f, "file `{path}` (dynamic)"),
            VersionOrigin::PkgInfo => write!(f, "PKG-INFO of the unpacked sdist (dynamic)"),
        }
    }
}

/// The tables of [`Project::build_tables`] that apply to one target.
#[derive(Clone, Debug, Default)]
pub struct BuildTables {
    /// `[[tool.cffi-forge.module]]`, as module specs.
    pub modules: Vec<ModuleSpec>,
    /// `[tool.cffi-forge.module-options."..."]`, to merge into the named modules.
    pub module_options: Vec<ModuleOptions>,
    /// `[[tool.cffi-forge.library]]`.
    pub libraries: Vec<StaticLibrary>,
    /// `[[tool.cffi-forge.extension]]`.
    pub extensions: Vec<Extension>,
    /// Tables whose `when` marker is false for the target.
    pub skipped: Vec<SkippedTable>,
}

/// A problem with `pyproject.toml` or a file it names.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no pyproject.toml in {}", dir.display())]
    Missing { dir: PathBuf },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    /// Syntax errors and wrong types, as reported by the TOML parser (`key` is `None`).
    #[error("{}: {}", location(&.0.file, .0.span.as_ref()), .0.message)]
    Toml(Box<Located>),
    /// A value that parses but is not acceptable.
    #[error("{}: `{}`: {}", location(&.0.file, .0.span.as_ref()), .0.key.as_deref().unwrap_or_default(), .0.message)]
    Invalid(Box<Located>),
    #[error(transparent)]
    Module(Box<ModuleTableError>),
    #[error(transparent)]
    Layout(Box<layout::LayoutError>),
    #[error(transparent)]
    SetupCfg(Box<setup_cfg::SetupCfgError>),
    /// A file of the project is a symlink to something outside it.
    #[error("`{path}` is a symlink to {}, outside the project", target.display())]
    LinkOutside { path: String, target: PathBuf },
}

impl From<layout::LayoutError> for ConfigError {
    fn from(e: layout::LayoutError) -> Self {
        ConfigError::Layout(Box::new(e))
    }
}

/// An error at a place in `pyproject.toml`.
#[derive(Debug)]
pub struct Located {
    /// The dotted key, e.g. `project.version` (`None` for syntax errors).
    pub key: Option<String>,
    pub file: SourceFile,
    pub span: Option<Range<usize>>,
    pub message: String,
    pub help: Option<String>,
}

impl From<ModuleTableError> for ConfigError {
    fn from(e: ModuleTableError) -> Self {
        ConfigError::Module(Box::new(e))
    }
}

fn location(file: &SourceFile, span: Option<&Range<usize>>) -> String {
    match span {
        Some(span) => {
            let (line, col) = file.line_col(span.start);
            format!("{}:{line}:{col}", file.name)
        }
        None => file.name.clone(),
    }
}

impl ToDiagnostic for ConfigError {
    fn to_diagnostic(&self) -> Diagnostic {
        match self {
            ConfigError::Missing { dir } => {
                Diagnostic::error(format!("no pyproject.toml in {}", dir.display())).with_help(
                    "cffi-forge builds projects described by a pyproject.toml with a [project] table",
                )
            }
            ConfigError::Read { .. } => Diagnostic::error(self.to_string()),
            ConfigError::Toml(at) | ConfigError::Invalid(at) => {
                let title = match &at.key {
                    Some(key) => format!("invalid `{key}`"),
                    None => format!("invalid {}", at.file.name),
                };
                let d = Diagnostic::error(title);
                let d = match &at.span {
                    Some(span) => d.with_label(&at.file, span.clone(), at.message.clone()),
                    None => d.with_note(at.message.clone()),
                };
                match &at.help {
                    Some(help) => d.with_help(help.clone()),
                    None => d,
                }
            }
            ConfigError::Module(e) => e.to_diagnostic(),
            ConfigError::Layout(e) => e.to_diagnostic(),
            ConfigError::SetupCfg(e) => e.to_diagnostic(),
            ConfigError::LinkOutside { .. } => Diagnostic::error(self.to_string()).with_help(
                "archives would carry a file from outside the tree, and a build from the sdist would \
                 not see it: copy the file into the project, or leave it out with `exclude`",
            ),
        }
    }
}

impl ConfigError {
    pub(crate) fn invalid(
        file: &SourceFile,
        key: impl Into<String>,
        span: Range<usize>,
        message: impl Into<String>,
    ) -> Self {
        ConfigError::Invalid(Box::new(Located {
            key: Some(key.into()),
            file: file.clone(),
            span: Some(span),
            message: message.into(),
            help: None,
        }))
    }

    /// Add a `help:` line (to `Invalid` and `Toml` errors).
    pub(crate) fn with_help(mut self, text: impl Into<String>) -> Self {
        if let ConfigError::Invalid(at) | ConfigError::Toml(at) = &mut self {
            at.help = Some(text.into());
        }
        self
    }
}

/// A TOML file that is not UTF-8 (TOML must be): an error pointing at the first bad byte.
pub(crate) fn not_utf8(name: &str, error: std::string::FromUtf8Error) -> ConfigError {
    let at = error.utf8_error().valid_up_to();
    let bad = error.as_bytes()[at];
    // The valid prefix is kept as is, so `at` is the same offset in the lossy text.
    let text = String::from_utf8_lossy(error.as_bytes()).into_owned();
    let file = SourceFile::new(name, text.as_str());
    ConfigError::Toml(Box::new(Located {
        key: None,
        file,
        span: Some(at..at + char::REPLACEMENT_CHARACTER.len_utf8()),
        message: format!("byte 0x{bad:02X} is not valid UTF-8"),
        help: Some(
            "TOML files must be UTF-8: re-save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)".into(),
        ),
    }))
}

/// Turn a TOML parse or type error into a [`ConfigError::Toml`], adding a
/// "did you mean" hint to unknown keys.
pub(crate) fn toml_error(file: &SourceFile, error: &toml::de::Error) -> ConfigError {
    let (message, help) = explain_toml_message(error.message());
    ConfigError::Toml(Box::new(Located { key: None, file: file.clone(), span: error.span(), message, help }))
}

/// serde says "unknown field `libary`, expected one of `a`, `b`"; we say "unknown key
/// `libary`" and suggest the closest known key.
pub(crate) fn explain_toml_message(message: &str) -> (String, Option<String>) {
    let Some(rest) = message.strip_prefix("unknown field `") else {
        return (message.trim_end().to_string(), None);
    };
    let Some((unknown, expected)) = rest.split_once('`') else {
        return (message.to_string(), None);
    };
    let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
    // Edit distance finds transpositions and missing letters (`libary` → `libraries`);
    // Jaro-Winkler breaks ties in favour of a shared prefix.
    let score =
        |k: &str| (strsim::normalized_damerau_levenshtein(unknown, k), strsim::jaro_winkler(unknown, k));
    let best = known
        .iter()
        .map(|k| (score(k), *k))
        .filter(|((distance, _), _)| *distance >= 0.5)
        .max_by(|a, b| a.0 .0.total_cmp(&b.0 .0).then(a.0 .1.total_cmp(&b.0 .1)));
    let help = match best {
        Some((_, k)) => Some(format!("did you mean `{k}`?")),
        None if !known.is_empty() => Some(format!(
            "known keys: {}",
            known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
        )),
        None => None,
    };
    (format!("unknown key `{unknown}`"), help)
}

/// What the configuration says about the Python layout: `[tool.cffi-forge]` key by key,
/// else `[tool.setuptools]`, else setup.cfg's `[options]` (the package and module lists
/// come from one table).
fn layout_inputs(
    root: &Path,
    tool: &ToolConfig,
    file: &SourceFile,
    setuptools: &[setuptools::SetuptoolsLayout],
) -> layout::LayoutInputs {
    let key = |k: &str| format!("tool.cffi-forge.{k}");
    let setting = |k: &str, value: &Spanned<String>| layout::Setting {
        value: value.get_ref().clone(),
        key: key(k),
        file: file.clone(),
        span: value.span(),
    };
    let list = |k: &str, values: &[Spanned<String>]| values.iter().map(|v| setting(k, v)).collect::<Vec<_>>();
    // Build scripts never ship as top-level modules: those `cffi-modules` lists, else those
    // setup.py's `cffi_modules` names (read, never run; its errors surface in the build).
    let build_scripts: Vec<String> = match &tool.cffi_modules {
        Some(entries) => entries
            .iter()
            .filter_map(|e| e.get_ref().split_once(':').map(|(path, _)| layout::normalize_source(path)))
            .collect(),
        None => crate::setup_py::read_setup_py(root)
            .ok()
            .flatten()
            .map(|setup| {
                setup
                    .cffi_modules
                    .iter()
                    .filter_map(|e| e.split_once(':').map(|(path, _)| layout::normalize_source(path)))
                    .collect()
            })
            .unwrap_or_default(),
    };
    let mut inputs = layout::LayoutInputs {
        source: tool.python_source.as_ref().map(|s| setting("python-source", s)),
        packages: tool.packages.as_ref().map(|p| list("packages", p)),
        exact_packages: false,
        find: None,
        py_modules: (!tool.py_modules.is_empty()).then(|| list("py-modules", &tool.py_modules)),
        build_scripts,
        package_data: layout::PackageData {
            all: tool.package_data,
            include: tool.package_data_include.iter().map(|g| g.get_ref().clone()).collect(),
            exclude: tool.package_data_exclude.iter().map(|g| g.get_ref().clone()).collect(),
            decided_by: if tool.package_data {
                "tool.cffi-forge.package-data = true, the default".into()
            } else {
                "tool.cffi-forge.package-data-include".into()
            },
        },
    };
    let own_lists = inputs.packages.is_some() || inputs.py_modules.is_some();
    let own_data =
        !tool.package_data || !tool.package_data_include.is_empty() || !tool.package_data_exclude.is_empty();
    let mut lists_taken = own_lists;
    let mut data_taken = own_data;
    for other in setuptools {
        if inputs.source.is_none() {
            inputs.source = other.source.clone();
        }
        if !lists_taken && (other.packages.is_some() || other.find.is_some() || other.py_modules.is_some()) {
            inputs.packages = other.packages.clone();
            inputs.find = other.find.clone();
            inputs.py_modules = other.py_modules.clone();
            inputs.exact_packages = true;
            lists_taken = true;
        }
        let says_data = !other.package_data.is_empty()
            || !other.exclude_package_data.is_empty()
            || other.include_package_data.is_some();
        if !data_taken && says_data {
            // setuptools' include-package-data (the default) ships the data files that are
            // in the sdist, which here is every file inside the packages.
            let all = other.include_package_data.unwrap_or(true);
            inputs.package_data = layout::PackageData {
                all,
                include: other.package_data.clone(),
                exclude: other.exclude_package_data.clone(),
                decided_by: if all {
                    format!("{} include-package-data", other.table)
                } else {
                    format!("{} package-data", other.table)
                },
            };
            data_taken = true;
        }
    }
    inputs
}

impl Project {
    /// Read and validate `root/pyproject.toml`. Reads the files it names (readme,
    /// licence files, a `version` file) and walks the project tree; runs nothing.
    pub fn load(root: &Path) -> Result<Project, ConfigError> {
        let path = root.join("pyproject.toml");
        if path.exists() && !path.is_file() {
            let source = std::io::Error::other("not a regular file");
            return Err(ConfigError::Read { path, source });
        }
        let bytes = match fs_err::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ConfigError::Missing { dir: root.to_path_buf() })
            }
            Err(source) => return Err(ConfigError::Read { path, source }),
        };
        let text = String::from_utf8(bytes).map_err(|e| not_utf8("pyproject.toml", e))?;
        Self::from_text(root, text)
    }

    /// [`Project::load`] with the text of `pyproject.toml` given (files it names are
    /// still read relative to `root`).
    pub fn from_text(root: &Path, text: impl Into<String>) -> Result<Project, ConfigError> {
        // Absolute, so later layers can change directories (build scripts run in the
        // root) and still use the paths; lexical, so symlinked checkouts keep their names.
        let root = &std::path::absolute(root)
            .map_err(|source| ConfigError::Read { path: root.to_path_buf(), source })?;
        let text = text.into();
        let file = SourceFile::new("pyproject.toml", text.as_str());
        let raw: raw::PyProject = toml::from_str(&text).map_err(|e| toml_error(&file, &e))?;
        let (own, setuptools_table) = match raw.tool {
            Some(t) => (t.cffi_forge, t.setuptools),
            None => (None, None),
        };
        let mut tool = tool::ToolConfig::from_raw(own, &file)?;
        let setup_cfg = setup_cfg::SetupCfg::load(root)?;
        // `[project]`, else (as setuptools does) setup.cfg's `[metadata]`: then errors about
        // its values point into setup.cfg.
        let (mut project, metadata_file) = match raw.project {
            Some(project) => (project, file.clone()),
            None => {
                let from_cfg = match &setup_cfg {
                    Some(cfg) => {
                        setuptools::project_from_setup_cfg(cfg, root)?.map(|p| (p, cfg.file.clone()))
                    }
                    None => None,
                };
                let Some(((project, version), cfg_file)) = from_cfg else {
                    return Err(ConfigError::invalid(
                        &file,
                        "project",
                        0..0,
                        "pyproject.toml has no [project] table",
                    )
                    .with_help("add a [project] table with at least `name` and `version`"));
                };
                if tool.version.is_none() {
                    tool.version = version;
                }
                (project, cfg_file)
            }
        };
        let mut from_setuptools = Vec::new();
        if let Some(table) = &setuptools_table {
            if let Some(dynamic) = &table.dynamic {
                let version = setuptools::apply_dynamic(project.get_mut(), dynamic, root, &file)?;
                if tool.version.is_none() {
                    tool.version = version;
                }
            }
            from_setuptools.push(setuptools::from_pyproject(table, &file)?);
        }
        // setup.py's keywords override setup.cfg's `[options]` in setuptools.
        if let Some(setup_py) = setuptools::from_setup_py(root)? {
            from_setuptools.push(setup_py);
        }
        if let Some(cfg) = &setup_cfg {
            let options = setuptools::from_setup_cfg(cfg)?;
            if tool.ext_package.is_none() {
                tool.ext_package = options.ext_package.clone().map(|p| Spanned::new(0..0, p));
            }
            from_setuptools.push(options);
        }
        // A build script outside the project would run here but be missing from the sdist.
        for entry in tool.cffi_modules.iter().flatten() {
            let script = entry.get_ref().rsplit_once(':').map_or(entry.get_ref().as_str(), |(path, _)| path);
            if let Some(message) = paths::outside_problem(root, script, paths::PathRole::ProjectFile) {
                return Err(ConfigError::invalid(
                    &file,
                    "tool.cffi-forge.cffi-modules",
                    entry.span(),
                    message,
                ));
            }
        }
        let files = files::walk(root, &tool, &file)?;
        let inputs = layout_inputs(root, &tool, &file, &from_setuptools);
        let python = layout::python_layout(root, &inputs, &files)?;
        for script in &tool.script_files {
            paths::check_project_file(root, &file, "tool.cffi-forge.script-files", script)?;
            if !root.join(script.get_ref()).is_file() {
                return Err(ConfigError::invalid(
                    &file,
                    "tool.cffi-forge.script-files",
                    script.span(),
                    format!("no file `{}`", script.get_ref()),
                ));
            }
        }
        let static_version = project.get_ref().version.is_some();
        let metadata = project_table::validate(
            project,
            &project_table::Context {
                root,
                file: &metadata_file,
                tool: &tool,
                python: &python,
                files: &files,
            },
        )?;
        let version_origin =
            version_source::origin(static_version, tool.version.as_ref(), root, &metadata.name);
        Ok(Project {
            root: root.to_path_buf(),
            pyproject: file,
            metadata,
            version_origin,
            tool,
            python,
            files,
            layout_inputs: inputs,
        })
    }

    /// Walk the tree again and redo the Python layout: build scripts may write files into
    /// the packages (a generated `_version.py`, data tables), and those ship in this
    /// build, not only in the next one.
    pub fn rescan_files(&mut self) -> Result<(), ConfigError> {
        self.files = files::walk(&self.root, &self.tool, &self.pyproject)?;
        self.python = layout::python_layout(&self.root, &self.layout_inputs, &self.files)?;
        Ok(())
    }

    /// The `[tool.cffi-forge.module]` tables as module specs, skipping those whose
    /// `when` marker is false for `target` (all are kept when `target` is `None`).
    pub fn declarative_modules(&self, target: Option<&Interpreter>) -> Result<Vec<ModuleSpec>, ConfigError> {
        Ok(self.build_tables(target)?.modules)
    }

    /// Every table that builds something, for `target`: declarative modules,
    /// `module-options`, libraries and extensions whose `when` holds (all of them when
    /// `target` is `None`), with `sources` globs expanded and files they name read.
    pub fn build_tables(&self, target: Option<&Interpreter>) -> Result<BuildTables, ConfigError> {
        let environment = match target {
            Some(t) => Some(t.marker_environment().map_err(|m| ConfigError::Read {
                path: t.executable.clone(),
                source: std::io::Error::other(m),
            })?),
            None => None,
        };
        let file = &self.pyproject;
        let sources = build_keys::SourceExpander::new(&self.root);
        let mut out = BuildTables::default();
        // Whether a table applies; a skipped one is remembered for `inspect`.
        let mut keep =
            |table: TableRef, name: &str, when: Option<&Spanned<String>>| -> Result<bool, ConfigError> {
                let applies = build_keys::applies(when, environment.as_ref())
                    .map_err(|(span, m)| ConfigError::invalid(file, format!("{table}.when"), span, m))?;
                if !applies {
                    out.skipped.push(SkippedTable {
                        table,
                        name: name.to_string(),
                        when: when.map(|w| w.get_ref().clone()).unwrap_or_default(),
                    });
                }
                Ok(applies)
            };
        let mut modules = Vec::new();
        for (index, table) in self.tool.modules.iter().enumerate() {
            if keep(TableRef::Module(index), table.name.get_ref(), table.when.as_ref())? {
                let key = TableRef::Module(index).to_string();
                modules.push(table.to_spec(index, &key, file, &self.root)?);
            }
        }
        include::resolve(&mut modules, &self.tool.modules, file, |i| TableRef::Module(i).to_string())?;
        let mut module_options = Vec::new();
        for (name, table) in &self.tool.module_options {
            if keep(TableRef::ModuleOptions(name.get_ref().clone()), name.get_ref(), table.when.as_ref())? {
                module_options.push(table.resolve(name, file, &sources)?);
            }
        }
        let mut libraries: Vec<StaticLibrary> = Vec::new();
        for (index, table) in self.tool.libraries.iter().enumerate() {
            if !keep(TableRef::Library(index), table.name.get_ref(), table.when.as_ref())? {
                continue;
            }
            if let Some(first) = libraries.iter().find(|l| &l.name == table.name.get_ref()) {
                return Err(ConfigError::invalid(
                    file,
                    format!("{}.name", TableRef::Library(index)),
                    table.name.span(),
                    format!(
                        "library `{}` is also defined by library[{}]",
                        first.name,
                        first.table.index().unwrap_or_default()
                    ),
                )
                .with_help("give each library its own name, or `when` markers that never hold together"));
            }
            libraries.push(table.resolve(index, file, &sources)?);
        }
        let mut extensions = Vec::new();
        for (index, table) in self.tool.extensions.iter().enumerate() {
            if keep(TableRef::Extension(index), table.name.get_ref(), table.when.as_ref())? {
                extensions.push(table.resolve(index, file, &sources)?);
            }
        }
        out.modules = modules;
        out.module_options = module_options;
        out.libraries = libraries;
        out.extensions = extensions;
        Ok(out)
    }

    /// `requires-python`, if given.
    pub fn requires_python(&self) -> Option<&crate::metadata::VersionSpecifiers> {
        self.metadata.requires_python.as_ref()
    }

    /// `[tool.cffi-forge] py-limited-api`, for [`crate::tags::decide`].
    pub fn abi3_policy(&self) -> Abi3Policy {
        self.tool.py_limited_api
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_field_messages_get_a_hint() {
        let (m, h) =
            explain_toml_message("unknown field `libary`, expected one of `name`, `libraries`, `sources`");
        assert_eq!(m, "unknown key `libary`");
        assert_eq!(h.as_deref(), Some("did you mean `libraries`?"));
        let (m, h) = explain_toml_message("unknown field `zzz`, expected `name` or `cdef`");
        assert_eq!(m, "unknown key `zzz`");
        assert_eq!(h.as_deref(), Some("known keys: `name`, `cdef`"));
        let (m, h) = explain_toml_message("invalid type: integer `3`, expected a string\n");
        assert_eq!(m, "invalid type: integer `3`, expected a string");
        assert_eq!(h, None);
    }
}
