//! The project's files: one walk of the tree that sdists and wheels select from, and the
//! Python layout (which packages and modules the wheel ships).
//!
//! The walk skips what never belongs in a distribution (`.git`, virtual environments,
//! `__pycache__`, build outputs, compiled leftovers of in-place builds, hidden and
//! `.gitignore`d files), then applies `[tool.cffi-forge] include` / `exclude`. Because
//! the sdist holds exactly these files, walking an unpacked sdist gives the same list,
//! which is what makes a wheel built from the sdist identical to one built from the tree.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use ignore::{DirEntry, WalkBuilder};

use super::{ConfigError, ToolConfig};
use crate::diagnostic::SourceFile;

/// Directories skipped at the project root only: build outputs.
const ROOT_OUTPUT_DIRS: &[&str] = &["build", "dist", "target", "wheelhouse"];

/// Top-level names never auto-discovered as packages or modules in a flat layout (the
/// list setuptools uses, plus build scripts).
const FLAT_EXCLUDE: &[&str] = &[
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
    "setup",
    "conftest",
    "toxfile",
    "noxfile",
    "pavement",
    "dodo",
    "conanfile",
    "manage",
];

/// Compile one `include`/`exclude`/`license-files` glob. A pattern without `/` matches a
/// file name at any depth (like `.gitignore`); one with `/` (a leading `/` included) is
/// relative to the project root; a trailing `/` is ignored (directories match anyway). `*` stays within one path component, `**` crosses them.
pub(crate) fn compile_glob(pattern: &str) -> Result<Glob, globset::Error> {
    let without_dir_mark = pattern.trim_start_matches("./").trim_end_matches('/');
    let trimmed = without_dir_mark.trim_start_matches('/');
    let anchored = if without_dir_mark.contains('/') { trimmed.to_string() } else { format!("**/{trimmed}") };
    GlobBuilder::new(&anchored).literal_separator(true).build()
}

/// A set of globs matching a path or any of its parent directories.
#[derive(Clone, Debug)]
pub(crate) struct Globs(GlobSet);

impl Globs {
    pub(crate) fn new<'a>(patterns: impl IntoIterator<Item = &'a str>) -> Result<Self, globset::Error> {
        let mut builder = GlobSetBuilder::new();
        for pattern in patterns {
            builder.add(compile_glob(pattern)?);
        }
        Ok(Globs(builder.build()?))
    }

    /// Whether `path` (relative, `/`-separated) or a directory above it matches.
    pub(crate) fn matches(&self, path: &str) -> bool {
        if self.0.is_match(path) {
            return true;
        }
        let mut prefix = path;
        while let Some((parent, _)) = prefix.rsplit_once('/') {
            if self.0.is_match(parent) {
                return true;
            }
            prefix = parent;
        }
        false
    }
}

/// Whether a file looks like the output of an in-place build (never packaged from the
/// tree: the build produces its own).
fn is_build_leftover(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let extension_module = (lower.ends_with(".so") || lower.ends_with(".dylib"))
        && [".abi3.", ".abi3-", ".abi3t.", ".abi3t-", ".cpython-", ".pypy"]
            .iter()
            .any(|tag| lower.contains(tag));
    extension_module || [".pyc", ".pyo", ".pyd", ".o", ".obj", ".whl"].iter().any(|ext| lower.ends_with(ext))
}

/// Directories never walked, at any depth.
fn is_skipped_dir(entry: &DirEntry) -> bool {
    let name = entry.file_name().to_string_lossy();
    name == "__pycache__"
        || name == ".git"
        || name == "node_modules"
        || name.ends_with(".egg-info")
        || name.ends_with(".dist-info")
        || entry.path().join("pyvenv.cfg").is_file()
        || (entry.depth() == 1 && ROOT_OUTPUT_DIRS.contains(&name.as_ref()))
}

pub(super) fn walk_tree(root: &Path, standard_ignores: bool) -> Result<Vec<String>, ConfigError> {
    let mut builder = WalkBuilder::new(root);
    builder
        .standard_filters(false)
        .hidden(standard_ignores)
        .git_ignore(standard_ignores)
        .require_git(false)
        .parents(false)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(|entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if is_dir {
                entry.depth() == 0 || !is_skipped_dir(entry)
            } else {
                !is_build_leftover(&entry.file_name().to_string_lossy())
            }
        });
    let mut out = Vec::new();
    for entry in builder.build() {
        let entry = entry.map_err(|e| ConfigError::Read {
            path: root.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let Some(file_type) = entry.file_type() else { continue };
        // Symlinks to files are packaged as the file they point to; to directories, not at all.
        if file_type.is_dir() || (file_type.is_symlink() && !entry.path().is_file()) {
            continue;
        }
        if let Some(rel) = relative(root, entry.path()) {
            out.push(rel);
        }
    }
    Ok(out)
}

/// `path` relative to `root`, `/`-separated; `None` for non-UTF-8 names.
pub(crate) fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

/// Every packageable file of the project (see [`crate::config::Project::files`]).
pub(super) fn walk(root: &Path, tool: &ToolConfig, file: &SourceFile) -> Result<Vec<String>, ConfigError> {
    let mut files: BTreeSet<String> = walk_tree(root, true)?.into_iter().collect();
    // Globs were checked (with spans) when the table was read.
    let glob_error = |e: globset::Error| {
        ConfigError::invalid(file, "tool.cffi-forge.include", 0..0, format!("invalid glob: {e}"))
    };
    if !tool.include.is_empty() {
        let include = Globs::new(tool.include.iter().map(|g| g.get_ref().as_str())).map_err(glob_error)?;
        files.extend(walk_tree(root, false)?.into_iter().filter(|f| include.matches(f)));
    }
    if !tool.exclude.is_empty() {
        let exclude = Globs::new(tool.exclude.iter().map(|g| g.get_ref().as_str())).map_err(glob_error)?;
        files.retain(|f| !exclude.matches(f));
    }
    Ok(files.into_iter().collect())
}

/// Where the importable Python code lives and what the wheel ships of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PythonLayout {
    /// The directory holding importable code, relative to the project root, `/`-separated:
    /// `""` for a flat layout, `"src"` for a src layout, or `python-source`.
    pub source: String,
    /// Shipped packages as dotted names (`pkg`, or `pkg.sub` when named so in
    /// `packages`), each with everything below it.
    pub packages: Vec<String>,
    /// Shipped top-level single-file modules (`foo` for `foo.py`).
    pub modules: Vec<String>,
    /// Which files inside packages the wheel ships besides the Python code.
    pub package_data: PackageData,
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
}

/// Files that are code rather than data: always shipped with their package.
fn is_python_file(path: &str) -> bool {
    path.ends_with(".py") || path.ends_with(".pyi") || path.rsplit('/').next() == Some("py.typed")
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

    /// `path` relative to the project root → its path inside the wheel, if it is part of
    /// a shipped package or module.
    pub fn archive_path(&self, path: &str) -> Option<String> {
        let rel = if self.source.is_empty() {
            path
        } else {
            path.strip_prefix(self.source.as_str())?.strip_prefix('/')?
        };
        let in_package = self.packages.iter().any(|p| {
            let dir = p.replace('.', "/");
            rel.strip_prefix(dir.as_str()).is_some_and(|rest| rest.starts_with('/'))
        });
        let is_module = self.modules.iter().any(|m| rel.strip_suffix(".py") == Some(m.as_str()));
        (in_package || is_module).then(|| rel.to_string())
    }

    /// Every (archive path, path relative to the project root) the wheel ships from the
    /// tree, sorted by archive path.
    /// Package data follows [`PythonLayout::package_data`].
    pub fn wheel_files(&self, files: &[String]) -> Vec<(String, String)> {
        // Patterns were checked when pyproject.toml was read.
        let globs = |patterns: &[String]| {
            (!patterns.is_empty()).then(|| Globs::new(patterns.iter().map(String::as_str)).ok()).flatten()
        };
        let (include, exclude) = (globs(&self.package_data.include), globs(&self.package_data.exclude));
        let ships = |archive_path: &str| {
            let top_level_module = !archive_path.contains('/');
            if top_level_module {
                return true;
            }
            if exclude.as_ref().is_some_and(|g| g.matches(archive_path)) {
                return false;
            }
            self.package_data.all
                || is_python_file(archive_path)
                || include.as_ref().is_some_and(|g| g.matches(archive_path))
        };
        let mut out: Vec<(String, String)> = files
            .iter()
            .filter_map(|f| self.archive_path(f).filter(|a| ships(a)).map(|a| (a, f.clone())))
            .collect();
        out.sort();
        out
    }
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c == '_' || c.is_alphabetic())
        && chars.all(|c| c == '_' || c.is_alphanumeric())
}

/// A top-level `.py` name that is tooling, not a module to ship.
fn is_tooling_module(stem: &str) -> bool {
    FLAT_EXCLUDE.contains(&stem)
        || stem.ends_with("_build")
        || stem.starts_with("test_")
        || stem.ends_with("_test")
        || stem.starts_with('_') && stem.ends_with("_build")
}

pub(super) fn python_layout(
    root: &Path,
    tool: &ToolConfig,
    files: &[String],
    file: &SourceFile,
) -> Result<PythonLayout, ConfigError> {
    let key = |k: &str| format!("tool.cffi-forge.{k}");
    // `src/` is the source directory when it holds Python code: a package, or a
    // top-level module that is not tooling (C-only `src/` folders are common in CFFI
    // projects with the package at the root).
    let has_code_in = |dir: &str| {
        files.iter().filter_map(|f| f.strip_prefix(dir)).any(|rel| {
            let package =
                rel.strip_suffix("/__init__.py").is_some_and(|p| !p.contains('/') && is_identifier(p));
            let module = rel
                .strip_suffix(".py")
                .is_some_and(|m| !m.contains('/') && is_identifier(m) && !is_tooling_module(m));
            package || module
        })
    };
    let (source, flat) = match &tool.python_source {
        Some(source) => {
            let dir = source.get_ref().trim_end_matches('/').to_string();
            if !root.join(&dir).is_dir() {
                return Err(ConfigError::invalid(
                    file,
                    key("python-source"),
                    source.span(),
                    format!("`{dir}` is not a directory of the project"),
                ));
            }
            (dir, false)
        }
        None if has_code_in("src/") => ("src".to_string(), false),
        None => (String::new(), true),
    };
    let prefix = if source.is_empty() { String::new() } else { format!("{source}/") };
    let in_source = |f: &str| f.strip_prefix(prefix.as_str()).map(str::to_string);

    // Build scripts named in `cffi-modules` are tooling, whatever their name.
    let build_scripts: Vec<&str> = tool
        .cffi_modules
        .iter()
        .flatten()
        .filter_map(|entry| entry.get_ref().split_once(':').map(|(path, _)| path.trim_start_matches("./")))
        .collect();
    let explicit = tool.packages.is_some() || !tool.py_modules.is_empty();
    let mut packages = Vec::new();
    let mut modules = Vec::new();
    if explicit {
        for package in tool.packages.iter().flatten() {
            let dir = package.get_ref().replace('.', "/");
            if !root.join(&prefix).join(&dir).is_dir() {
                return Err(ConfigError::invalid(
                    file,
                    key("packages"),
                    package.span(),
                    format!("no directory `{prefix}{dir}` for package `{}`", package.get_ref()),
                ));
            }
            packages.push(package.get_ref().clone());
        }
        for module in &tool.py_modules {
            let path = format!("{prefix}{}.py", module.get_ref());
            if !files.contains(&path) {
                return Err(ConfigError::invalid(
                    file,
                    key("py-modules"),
                    module.span(),
                    format!("no file `{path}` for module `{}`", module.get_ref()),
                ));
            }
            modules.push(module.get_ref().clone());
        }
    } else {
        let mut found_packages = BTreeSet::new();
        let mut found_modules = BTreeSet::new();
        for f in files {
            let Some(rel) = in_source(f) else { continue };
            if let Some(pkg) =
                rel.strip_suffix("/__init__.py").filter(|p| !p.contains('/') && is_identifier(p))
            {
                // Like setuptools' flat layout: private (`_x`) names are not discovered.
                if !(flat && (FLAT_EXCLUDE.contains(&pkg) || pkg.starts_with('_'))) {
                    found_packages.insert(pkg.to_string());
                }
            } else if let Some(stem) =
                rel.strip_suffix(".py").filter(|s| !s.contains('/') && is_identifier(s))
            {
                let private = flat && stem.starts_with('_');
                if !is_tooling_module(stem) && !private && !build_scripts.contains(&f.as_str()) {
                    found_modules.insert(stem.to_string());
                }
            }
        }
        packages.extend(found_packages);
        modules.extend(found_modules);
    }
    let package_data = PackageData {
        all: tool.package_data,
        include: tool.package_data_include.iter().map(|g| g.get_ref().clone()).collect(),
        exclude: tool.package_data_exclude.iter().map(|g| g.get_ref().clone()).collect(),
    };
    Ok(PythonLayout { source, packages, modules, package_data })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(source: &str, packages: &[&str], modules: &[&str]) -> PythonLayout {
        PythonLayout {
            source: source.into(),
            packages: packages.iter().map(|s| s.to_string()).collect(),
            modules: modules.iter().map(|s| s.to_string()).collect(),
            package_data: PackageData { all: true, ..Default::default() },
        }
    }

    #[test]
    fn globs_match_names_anywhere_and_paths_from_the_root() {
        let g = Globs::new(["*.md", "/docs", "src/**/*.c", "cache/"]).unwrap();
        assert!(g.matches("README.md"));
        assert!(g.matches("a/b/NOTES.md"));
        assert!(g.matches("docs/index.rst"));
        assert!(!g.matches("sub/docs/index.rst"));
        assert!(g.matches("sub/cache/x.bin"));
        assert!(g.matches("src/x/y/z.c"));
        assert!(g.matches("src/z.c"));
        assert!(!g.matches("lib/z.c"));
        let g = Globs::new(["LICEN[CS]E*"]).unwrap();
        assert!(g.matches("LICENSE.txt"));
    }

    #[test]
    fn build_leftovers() {
        for name in [
            "_foo.abi3.so",
            "_foo.abi3-x86_64-linux-gnu.so",
            "_foo.abi3t.so",
            "_foo.abi3t-x86_64-linux-gnu.so",
            "_foo.cpython-311-x86_64-linux-gnu.so",
            "_f.pypy39-pp73-x86_64-linux-gnu.so",
            "x.pyc",
            "_foo.pyd",
            "a.o",
        ] {
            assert!(is_build_leftover(name), "{name}");
        }
        for name in ["libbundled.so", "foo.c", "data.json", "libz.dylib"] {
            assert!(!is_build_leftover(name), "{name}");
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
        });
        assert_eq!(
            some,
            ["pkg/__init__.py", "pkg/api.pyi", "pkg/data/table.json", "pkg/py.typed", "single.py"]
        );
        let no_c = shipped(PackageData { all: true, include: vec![], exclude: vec!["*.c".into()] });
        assert!(
            !no_c.contains(&"pkg/_impl.c".to_string()) && no_c.contains(&"pkg/data/notes.txt".to_string())
        );
    }

    #[test]
    fn tooling_modules_are_not_discovered() {
        for stem in ["setup", "conftest", "_foo_build", "foo_build", "test_x", "noxfile"] {
            assert!(is_tooling_module(stem), "{stem}");
        }
        assert!(!is_tooling_module("foo"));
    }
}
