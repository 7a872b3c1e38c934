//! The Python layout: where importable code lives and which packages and modules the
//! wheel ships of the project's files (see [`super::files`] for the walk).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::files::Globs;
use super::{ConfigError, ToolConfig};
use crate::diagnostic::SourceFile;

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
