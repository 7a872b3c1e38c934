//! setuptools' configuration, read in place: a project that configures setuptools in
//! `[tool.setuptools]` (or in setup.cfg's `[options]`) builds with cffi-forge after
//! changing only `build-backend`. What `[tool.cffi-forge]` says wins, key by key; these
//! fill in what it leaves unsaid. Every value keeps its key and place, so `inspect` and
//! errors name the table it came from.
//!
//! Read: `packages` (a list, or `packages.find` with `where` / `include` / `exclude` /
//! `namespaces`), `package-dir` (the `""` entry: the source directory), `py-modules`,
//! `package-data` / `exclude-package-data` / `include-package-data`, and
//! `[tool.setuptools.dynamic]` `version` / `readme` / `dependencies` (`attr` / `file`);
//! from setup.cfg the same `[options]` keys plus `ext_package`, and, for a project
//! without a `[project]` table, its `[metadata]` and requirement keys.

use std::ops::Range;
use std::path::Path;

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;

use super::layout::{FindPackages, Setting};
use super::raw::RawProject;
use super::setup_cfg::{Directive, Entry, SetupCfg};
use super::{ConfigError, VersionSource};
use crate::diagnostic::SourceFile;

/// `[tool.setuptools]` as written (other keys are setuptools' business and ignored).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) struct RawSetuptools {
    pub packages: Option<Spanned<RawPackages>>,
    pub package_dir: Option<IndexMap<Spanned<String>, Spanned<String>>>,
    pub py_modules: Option<Vec<Spanned<String>>>,
    pub package_data: Option<IndexMap<Spanned<String>, Vec<Spanned<String>>>>,
    pub exclude_package_data: Option<IndexMap<Spanned<String>, Vec<Spanned<String>>>>,
    pub include_package_data: Option<bool>,
    pub dynamic: Option<RawDynamic>,
}

/// `packages = ["pkg", ...]` or `[tool.setuptools.packages.find]`.
#[derive(Debug)]
pub(super) enum RawPackages {
    List(Vec<Spanned<String>>),
    Find { find: RawFind },
}

/// By hand rather than `untagged`, which would lose the spans of the list's items.
impl<'de> Deserialize<'de> for RawPackages {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RawPackages;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of package names or a `find` table")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<RawPackages, A::Error> {
                let mut list = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<String>>()? {
                    list.push(item);
                }
                Ok(RawPackages::List(list))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<RawPackages, A::Error> {
                let mut find = None;
                while let Some(key) = map.next_key::<String>()? {
                    if key == "find" {
                        find = Some(map.next_value::<RawFind>()?);
                    } else {
                        return Err(serde::de::Error::unknown_field(&key, &["find"]));
                    }
                }
                find.map(|find| RawPackages::Find { find })
                    .ok_or_else(|| serde::de::Error::missing_field("find"))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// `[tool.setuptools.packages.find]`.
#[derive(Debug, Deserialize)]
pub(super) struct RawFind {
    #[serde(rename = "where")]
    pub where_: Option<Vec<Spanned<String>>>,
    pub include: Option<Vec<String>>,
    pub exclude: Option<Vec<String>>,
    pub namespaces: Option<bool>,
}

/// `[tool.setuptools.dynamic]`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct RawDynamic {
    pub version: Option<Spanned<RawDirective>>,
    pub readme: Option<Spanned<RawDirective>>,
    pub dependencies: Option<Spanned<RawDirective>>,
}

/// `{ attr = "pkg.__version__" }` or `{ file = "X" | ["X", "Y"] }` (readme: and
/// `content-type`).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) struct RawDirective {
    pub attr: Option<Spanned<String>>,
    pub file: Option<Spanned<toml::Value>>,
    pub content_type: Option<Spanned<String>>,
}

/// The layout and package-data settings setuptools' configuration gives.
#[derive(Clone, Debug, Default)]
pub(super) struct SetuptoolsLayout {
    pub source: Option<Setting<String>>,
    pub packages: Option<Vec<Setting<String>>>,
    pub find: Option<FindPackages>,
    pub py_modules: Option<Vec<Setting<String>>>,
    /// Globs on wheel paths (`pkg/*.txt`) from `package-data`.
    pub package_data: Vec<String>,
    pub exclude_package_data: Vec<String>,
    pub include_package_data: Option<bool>,
    /// The table these came from, e.g. `[tool.setuptools]`.
    pub table: String,
    /// setup.cfg's `ext_package`.
    pub ext_package: Option<String>,
}

fn invalid(file: &SourceFile, key: &str, span: Range<usize>, message: impl Into<String>) -> ConfigError {
    ConfigError::invalid(file, key, span, message)
}

/// A `package-data` entry → wheel-path globs: `pkg = ["*.txt"]` → `pkg/*.txt`; the
/// `""` and `"*"` entries apply to every package.
fn package_globs(package: &str, globs: impl IntoIterator<Item = String>) -> Vec<String> {
    globs
        .into_iter()
        .map(|glob| {
            let glob = glob.trim_start_matches("./").to_string();
            if package.is_empty() || package == "*" {
                if glob.contains('/') {
                    format!("**/{glob}")
                } else {
                    glob
                }
            } else {
                format!("{}/{glob}", package.replace('.', "/"))
            }
        })
        .collect()
}

/// `package-dir`: only the `""` entry (the source directory) can be honoured; entries
/// mapping a package to its own path say nothing.
fn source_from_package_dir(
    entries: impl IntoIterator<Item = (String, String, Range<usize>)>,
    file: &SourceFile,
    key: &str,
) -> Result<Option<Setting<String>>, ConfigError> {
    let mut source = None;
    for (package, dir, span) in entries {
        if package.is_empty() {
            source = Some(Setting { value: dir, key: key.to_string(), file: file.clone(), span });
        } else if super::layout::normalize_source(&dir) != package.replace('.', "/") {
            return Err(invalid(
                file,
                key,
                span,
                format!("cffi-forge cannot map package `{package}` to `{dir}`"),
            )
            .with_help(
                "keep packages in their directory under one source directory (`\"\" = \"src\"`), \
                 or say it in [tool.cffi-forge] with `python-source` and `packages`",
            ));
        }
    }
    Ok(source)
}

/// A file a directive names: inside the project and a regular file (the one rule of
/// [`super::paths`]).
fn check_file(
    root: &Path,
    file: &SourceFile,
    key: &str,
    span: Range<usize>,
    name: &str,
) -> Result<(), ConfigError> {
    super::paths::check_project_file(root, file, key, &Spanned::new(span, name.to_string()))
}

fn strings(value: &toml::Value) -> Option<Vec<String>> {
    match value {
        toml::Value::String(s) => Some(vec![s.clone()]),
        toml::Value::Array(items) => items.iter().map(|i| i.as_str().map(str::to_string)).collect(),
        _ => None,
    }
}

/// `[tool.setuptools]`'s layout keys.
pub(super) fn from_pyproject(
    raw: &RawSetuptools,
    file: &SourceFile,
) -> Result<SetuptoolsLayout, ConfigError> {
    let table = "[tool.setuptools]".to_string();
    let key = |k: &str| format!("tool.setuptools.{k}");
    let setting = |k: &str, value: &Spanned<String>| Setting {
        value: value.get_ref().clone(),
        key: key(k),
        file: file.clone(),
        span: value.span(),
    };
    let mut out = SetuptoolsLayout { table, ..Default::default() };
    if let Some(dirs) = &raw.package_dir {
        out.source = source_from_package_dir(
            dirs.iter().map(|(k, v)| (k.get_ref().clone(), v.get_ref().clone(), v.span())),
            file,
            &key("package-dir"),
        )?;
    }
    match raw.packages.as_ref().map(|p| p.get_ref()) {
        None => {}
        Some(RawPackages::List(list)) => {
            out.packages = Some(list.iter().map(|p| setting("packages", p)).collect());
        }
        Some(RawPackages::Find { find }) => {
            match find.where_.as_deref().unwrap_or_default() {
                [] => {}
                [one] => out.source = Some(setting("packages.find.where", one)),
                [_, second, ..] => {
                    return Err(invalid(
                        file,
                        &key("packages.find.where"),
                        second.span(),
                        "cffi-forge takes packages from one source directory",
                    )
                    .with_help("move the packages under one directory, or list them in [tool.cffi-forge]"))
                }
            }
            out.find = Some(FindPackages {
                key: key("packages.find"),
                include: find.include.clone().unwrap_or_default(),
                exclude: find.exclude.clone().unwrap_or_default(),
                namespaces: find.namespaces.unwrap_or(true),
            });
        }
    }
    if let Some(modules) = &raw.py_modules {
        out.py_modules = Some(modules.iter().map(|m| setting("py-modules", m)).collect());
    }
    for (package, globs) in raw.package_data.iter().flatten() {
        out.package_data.extend(package_globs(package.get_ref(), globs.iter().map(|g| g.get_ref().clone())));
    }
    for (package, globs) in raw.exclude_package_data.iter().flatten() {
        out.exclude_package_data
            .extend(package_globs(package.get_ref(), globs.iter().map(|g| g.get_ref().clone())));
    }
    out.include_package_data = raw.include_package_data;
    check_globs(&out, file)?;
    Ok(out)
}

fn check_globs(out: &SetuptoolsLayout, file: &SourceFile) -> Result<(), ConfigError> {
    for glob in out.package_data.iter().chain(&out.exclude_package_data) {
        if let Err(e) = super::files::compile_glob(glob) {
            return Err(ConfigError::invalid(
                file,
                format!("{} package-data", out.table),
                0..0,
                format!("invalid glob: {e}"),
            ));
        }
    }
    Ok(())
}

/// setup.cfg's `[options]` layout keys.
pub(super) fn from_setup_cfg(cfg: &SetupCfg) -> Result<SetuptoolsLayout, ConfigError> {
    let file = &cfg.file;
    let key = |k: &str| format!("setup.cfg [options] {k}");
    let mut out = SetuptoolsLayout { table: "setup.cfg [options]".to_string(), ..Default::default() };
    let Some(options) = cfg.section("options") else { return Ok(out) };
    if let Some(dirs) = options.get("package_dir") {
        let entries = dirs.dict().into_iter().map(|(k, v)| (k.text, v.text, v.span));
        // `package_dir = src` on one line is not setuptools' syntax; `= src` is.
        out.source = source_from_package_dir(entries, file, &key("package_dir"))?;
    }
    if let Some(packages) = options.get("packages") {
        let text = packages.text();
        if text == "find:" || text == "find_namespace:" {
            let find = cfg.section("options.packages.find");
            let list = |name: &str| {
                find.and_then(|s| s.get(name))
                    .map(|e| e.list().into_iter().map(|i| i.text).collect())
                    .unwrap_or_default()
            };
            let wheres: Vec<String> = list("where");
            if let Some(entry) = find.and_then(|s| s.get("where")) {
                match wheres.as_slice() {
                    [one] => {
                        out.source = Some(Setting {
                            value: one.clone(),
                            key: "setup.cfg [options.packages.find] where".into(),
                            file: file.clone(),
                            span: entry.span(),
                        })
                    }
                    [] => {}
                    _ => {
                        return Err(invalid(
                            file,
                            "setup.cfg [options.packages.find] where",
                            entry.span(),
                            "cffi-forge takes packages from one source directory",
                        ))
                    }
                }
            }
            out.find = Some(FindPackages {
                key: key(&format!("packages = {text}")),
                include: list("include"),
                exclude: list("exclude"),
                namespaces: text == "find_namespace:",
            });
        } else {
            out.packages = Some(settings(packages, file, &key("packages")));
        }
    }
    if let Some(modules) = options.get("py_modules") {
        out.py_modules = Some(settings(modules, file, &key("py_modules")));
    }
    for (section, target) in [("options.package_data", false), ("options.exclude_package_data", true)] {
        for entry in cfg.section(section).iter().flat_map(|s| &s.entries) {
            let globs = package_globs(&entry.key, entry.list().into_iter().map(|i| i.text));
            if target {
                out.exclude_package_data.extend(globs);
            } else {
                out.package_data.extend(globs);
            }
        }
    }
    out.include_package_data = options.get("include_package_data").and_then(Entry::boolean);
    out.ext_package = options.get("ext_package").map(Entry::text).filter(|t| !t.is_empty());
    check_globs(&out, file)?;
    Ok(out)
}

/// setup.py's literal layout keys (read, never run), as setuptools would use them:
/// `packages` (a list, or `find_packages(...)` / `find_namespace_packages(...)` with
/// literal arguments), `py_modules`, `package_dir` and the package-data keys. When one of
/// `packages`, `py_modules`, `package_dir` is computed, none of the three is taken:
/// half of a layout would ship something setuptools never did, so discovery decides and
/// the build says which keys it could not read (`pipeline::resolve`).
pub(super) fn from_setup_py(root: &Path) -> Result<Option<SetuptoolsLayout>, ConfigError> {
    use crate::setup_py::{SetupCall, Value};
    let Ok(text) = std::fs::read_to_string(root.join("setup.py")) else { return Ok(None) };
    let call = SetupCall::parse_in(&text, Some(root));
    if call.line.is_none() {
        return Ok(None);
    }
    let file = SourceFile::new("setup.py", text.as_str());
    let line_span = |line: usize| {
        let start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
        let len = text[start..].find('\n').unwrap_or(text.len() - start);
        start..start + len
    };
    let key = |k: &str| format!("setup.py setup({k}=...)");
    let strs = |value: &Value| value.as_str_list().or_else(|| value.as_str().map(|s| vec![s.to_string()]));
    let mut out = SetuptoolsLayout { table: "setup.py".to_string(), ..Default::default() };
    let layout_keys = ["packages", "py_modules", "package_dir"];
    let computed =
        layout_keys.iter().filter_map(|k| call.arg(k)).any(|arg| match (&arg.value, arg.key.as_str()) {
            (Ok(Value::Call { func, args, kwargs }), "packages") => {
                !matches!(func.rsplit('.').next(), Some("find_packages" | "find_namespace_packages"))
                    || args.iter().chain(kwargs.iter().map(|(_, v)| v)).any(Result::is_err)
            }
            (Ok(Value::Dict(entries)), "package_dir") => {
                !entries.iter().all(|(k, v)| k.as_str().is_some() && v.as_str().is_some())
            }
            (Ok(value), _) => value.as_str_list().is_none(),
            (Err(_), _) => true,
        });
    if !computed {
        if let Some(arg) = call.arg("package_dir") {
            let Ok(Value::Dict(entries)) = &arg.value else { unreachable!("checked above") };
            let span = line_span(arg.line);
            let entries = entries
                .iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), v.as_str()?.to_string(), span.clone())));
            out.source = source_from_package_dir(entries, &file, &key("package_dir"))?;
        }
        if let Some(arg) = call.arg("packages") {
            let setting = |value: String| Setting {
                value,
                key: key("packages"),
                file: file.clone(),
                span: line_span(arg.line),
            };
            match &arg.value {
                Ok(Value::Call { func, args, kwargs }) => {
                    // find_packages(where=".", exclude=(), include=("*",)), by position or name.
                    let param = |name: &str, position: usize| {
                        kwargs
                            .iter()
                            .find(|(k, _)| k == name)
                            .map(|(_, v)| v)
                            .or_else(|| args.get(position))
                            .and_then(|v| v.as_ref().ok())
                    };
                    if let Some(dir) = param("where", 0).and_then(Value::as_str) {
                        if !matches!(dir, "." | "./" | "") {
                            out.source = Some(setting(dir.to_string()));
                        }
                    }
                    out.find = Some(FindPackages {
                        key: key("packages"),
                        include: param("include", 2).and_then(strs).unwrap_or_default(),
                        exclude: param("exclude", 1).and_then(strs).unwrap_or_default(),
                        namespaces: func.ends_with("find_namespace_packages"),
                    });
                }
                Ok(value) => out.packages = value.as_str_list().map(|l| l.into_iter().map(setting).collect()),
                Err(_) => unreachable!("checked above"),
            }
        }
        if let Some(arg) = call.arg("py_modules") {
            out.py_modules = arg.value.as_ref().ok().and_then(Value::as_str_list).map(|names| {
                names
                    .into_iter()
                    .map(|value| Setting {
                        value,
                        key: key("py_modules"),
                        file: file.clone(),
                        span: line_span(arg.line),
                    })
                    .collect()
            });
        }
    }
    // package_data={"pkg": ["*.txt"]}: each read on its own; a computed one is left to the
    // default and named by the build's warning.
    let globs = |name: &str| -> Option<Vec<String>> {
        let Ok(Value::Dict(entries)) = &call.arg(name)?.value else { return None };
        let mut out = Vec::new();
        for (package, globs) in entries {
            out.extend(package_globs(package.as_str()?, strs(globs)?));
        }
        Some(out)
    };
    if let Some(data) = globs("package_data") {
        out.package_data = data;
    }
    if let Some(data) = globs("exclude_package_data") {
        out.exclude_package_data = data;
    }
    if let Some(Ok(Value::Bool(all))) = call.arg("include_package_data").map(|a| &a.value) {
        out.include_package_data = Some(*all);
    }
    check_globs(&out, &file)?;
    Ok(Some(out))
}

fn settings(entry: &Entry, file: &SourceFile, key: &str) -> Vec<Setting<String>> {
    entry
        .list()
        .into_iter()
        .map(|item| Setting { value: item.text, key: key.to_string(), file: file.clone(), span: item.span })
        .collect()
}

/// Fill `[project]` fields listed in `dynamic` from `[tool.setuptools.dynamic]`, as
/// setuptools does: `readme` and `dependencies` become static values (read from their
/// files now) and leave `dynamic`; `version` is returned as a version source (read with
/// the layout known) unless `[tool.cffi-forge] version` says otherwise.
pub(super) fn apply_dynamic(
    project: &mut RawProject,
    dynamic: &RawDynamic,
    root: &Path,
    file: &SourceFile,
) -> Result<Option<VersionSource>, ConfigError> {
    let listed = |field: &str| {
        project.dynamic.as_ref().is_some_and(|d| d.get_ref().iter().any(|f| f.get_ref() == field))
    };
    let files_of =
        |directive: &Spanned<RawDirective>, key: &str| -> Result<Vec<(String, Range<usize>)>, ConfigError> {
            let Some(value) = &directive.get_ref().file else {
                return Err(invalid(file, key, directive.span(), "expected `file = ...`"));
            };
            let names = strings(value.get_ref())
                .ok_or_else(|| invalid(file, key, value.span(), "expected a file name or a list of them"))?;
            for name in &names {
                check_file(root, file, key, value.span(), name)?;
            }
            Ok(names.into_iter().map(|n| (n, value.span())).collect())
        };
    let read = |name: &str, span: Range<usize>, key: &str| -> Result<String, ConfigError> {
        super::paths::check_project_file(root, file, key, &Spanned::new(span.clone(), name.to_string()))?;
        fs_err::read_to_string(root.join(name))
            .map_err(|e| invalid(file, key, span, format!("cannot read `{name}`: {}", e.kind())))
    };
    let mut drop = Vec::new();
    let mut version = None;
    if let (true, Some(d)) = (listed("version"), &dynamic.version) {
        let key = "tool.setuptools.dynamic.version";
        version = Some(match (&d.get_ref().attr, &d.get_ref().file) {
            (Some(attr), None) => {
                let key = "tool.setuptools.dynamic.version.attr";
                if !super::tool::is_module_attribute(attr.get_ref()) {
                    return Err(invalid(
                        file,
                        key,
                        attr.span(),
                        "expected `module.attribute`, e.g. \"pkg.__version__\"",
                    ));
                }
                VersionSource::Attr { attr: attr.get_ref().clone(), span: attr.span(), key: key.into() }
            }
            (None, Some(_)) => {
                let key = "tool.setuptools.dynamic.version.file";
                let files = files_of(d, key)?;
                let Some((path, span)) = files.into_iter().next() else {
                    return Err(invalid(file, key, d.span(), "expected a file name"));
                };
                VersionSource::File { path, span, key: key.into() }
            }
            _ => return Err(invalid(file, key, d.span(), "expected exactly one of `attr` and `file`")),
        });
    }
    if let (true, Some(d)) = (listed("readme"), &dynamic.readme) {
        let key = "tool.setuptools.dynamic.readme";
        let files = files_of(d, key)?;
        let mut text = String::new();
        for (name, span) in &files {
            // setuptools joins several files with a blank line.
            if !text.is_empty() {
                text.push_str("\n\n");
            }
            text.push_str(read(name, span.clone(), key)?.trim_end_matches('\n'));
        }
        let content_type = match &d.get_ref().content_type {
            Some(t) => t.get_ref().clone(),
            None => match files[0].0.rsplit('.').next() {
                Some("md") => "text/markdown".into(),
                Some("rst") => "text/x-rst".into(),
                _ => "text/plain".into(),
            },
        };
        let mut table = toml::map::Map::new();
        // One file is named as such (the sdist then knows it ships the readme).
        match files.as_slice() {
            [(one, _)] => table.insert("file".into(), toml::Value::String(one.clone())),
            _ => table.insert("text".into(), toml::Value::String(text)),
        };
        table.insert("content-type".into(), toml::Value::String(content_type));
        project.readme = Some(Spanned::new(d.span(), toml::Value::Table(table)));
        drop.push("readme");
    }
    if let (true, Some(d)) = (listed("dependencies"), &dynamic.dependencies) {
        let key = "tool.setuptools.dynamic.dependencies";
        let mut requirements = Vec::new();
        for (name, span) in files_of(d, key)? {
            for line in read(&name, span.clone(), key)?.lines() {
                let line = line.split(" #").next().unwrap_or_default().trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                if line.starts_with('-') {
                    return Err(invalid(
                        file,
                        key,
                        span,
                        format!("`{name}` holds the pip option `{line}`, which is not a requirement"),
                    ));
                }
                requirements.push(Spanned::new(span.clone(), line.to_string()));
            }
        }
        project.dependencies = Some(Spanned::new(d.span(), requirements));
        drop.push("dependencies");
    }
    if let Some(list) = &mut project.dynamic {
        let span = list.span();
        let kept: Vec<Spanned<String>> =
            list.get_ref().iter().filter(|f| !drop.contains(&f.get_ref().as_str())).cloned().collect();
        *list = Spanned::new(span, kept);
    }
    Ok(version)
}

/// A `[project]` table from setup.cfg, and where its dynamic version comes from.
pub(super) type CfgProject = (Spanned<RawProject>, Option<VersionSource>);

/// A `[project]` table made from setup.cfg's `[metadata]` and `[options]` requirement
/// keys, for a project whose pyproject.toml has none (setuptools reads setup.cfg then).
/// Spans point into setup.cfg. `None` when setup.cfg names no project.
pub(super) fn project_from_setup_cfg(cfg: &SetupCfg, root: &Path) -> Result<Option<CfgProject>, ConfigError> {
    let file = &cfg.file;
    let Some(metadata) = cfg.section("metadata") else { return Ok(None) };
    let Some(name) = metadata.get("name") else { return Ok(None) };
    let spanned = |entry: &Entry| Spanned::new(entry.span(), entry.text());
    let list = |entry: &Entry| {
        Spanned::new(entry.span(), entry.list().into_iter().map(|i| Spanned::new(i.span, i.text)).collect())
    };
    let mut project = RawProject {
        name: Some(spanned(name)),
        version: None,
        description: metadata.get("description").map(spanned),
        readme: None,
        requires_python: cfg.get("options", "python_requires").map(spanned),
        license: None,
        license_files: None,
        authors: None,
        maintainers: None,
        keywords: metadata.get("keywords").map(list),
        classifiers: metadata.get("classifiers").map(list),
        urls: None,
        scripts: None,
        gui_scripts: None,
        entry_points: None,
        dependencies: cfg.get("options", "install_requires").map(|e| {
            Spanned::new(
                e.span(),
                e.requirements().into_iter().map(|i| Spanned::new(i.span, i.text)).collect(),
            )
        }),
        optional_dependencies: None,
        import_names: None,
        import_namespaces: None,
        dynamic: None,
    };
    // author / author_email (and maintainer): one person each, as setuptools writes them.
    let person = |name: &str, email: &str| {
        let (name, email) = (metadata.get(name), metadata.get(email));
        let span = name.or(email)?.span();
        let person = super::raw::RawPerson { name: name.map(Entry::text), email: email.map(Entry::text) };
        Some(Spanned::new(span.clone(), vec![Spanned::new(span, person)]))
    };
    project.authors = person("author", "author_email");
    // A free-text licence (setup.cfg predates SPDX expressions in metadata).
    if let Some(license) = metadata.get("license") {
        let mut table = toml::map::Map::new();
        table.insert("text".into(), toml::Value::String(license.text()));
        project.license = Some(Spanned::new(license.span(), toml::Value::Table(table)));
    }
    project.maintainers = person("maintainer", "maintainer_email");
    // url / project_urls.
    let mut urls = IndexMap::new();
    if let Some(url) = metadata.get("url") {
        urls.insert(Spanned::new(url.key_span.clone(), "Homepage".to_string()), spanned(url));
    }
    for (label, url) in metadata.get("project_urls").map(Entry::dict).unwrap_or_default() {
        urls.insert(Spanned::new(label.span, label.text), Spanned::new(url.span, url.text));
    }
    if !urls.is_empty() {
        project.urls = Some(Spanned::new(metadata.span.clone(), urls));
    }
    // [options.extras_require] and [options.entry_points] console_scripts / gui_scripts.
    if let Some(extras) = cfg.section("options.extras_require") {
        let table = extras
            .entries
            .iter()
            .map(|e| {
                let requirements =
                    e.requirements().into_iter().map(|i| Spanned::new(i.span, i.text)).collect();
                (Spanned::new(e.key_span.clone(), e.key.clone()), requirements)
            })
            .collect();
        project.optional_dependencies = Some(Spanned::new(extras.span.clone(), table));
    }
    let scripts = |group: &str| {
        let entry = cfg.get("options.entry_points", group)?;
        let table: IndexMap<_, _> = entry
            .dict()
            .into_iter()
            .map(|(name, target)| {
                (Spanned::new(name.span, name.text), Spanned::new(target.span, target.text))
            })
            .collect();
        Some(Spanned::new(entry.span(), table))
    };
    project.scripts = scripts("console_scripts");
    project.gui_scripts = scripts("gui_scripts");

    let mut version_source = None;
    if let Some(version) = metadata.get("version") {
        match version.directive() {
            None => project.version = Some(spanned(version)),
            Some(Directive::Attr(attr)) => {
                let key = "setup.cfg [metadata] version";
                if !super::tool::is_module_attribute(&attr.text) {
                    return Err(invalid(
                        file,
                        key,
                        attr.span,
                        "expected `attr: module.attribute`, e.g. `attr: pkg.__version__`",
                    ));
                }
                version_source =
                    Some(VersionSource::Attr { attr: attr.text, span: attr.span, key: key.into() });
                project.dynamic =
                    Some(Spanned::new(version.span(), vec![Spanned::new(version.span(), "version".into())]));
            }
            Some(Directive::File(files)) => {
                for item in &files {
                    check_file(root, file, "setup.cfg [metadata] version", item.span.clone(), &item.text)?;
                }
                let Some(first) = files.into_iter().next() else {
                    return Err(invalid(
                        file,
                        "setup.cfg [metadata] version",
                        version.span(),
                        "expected `file: NAME`",
                    ));
                };
                version_source = Some(VersionSource::File {
                    path: first.text,
                    span: first.span,
                    key: "setup.cfg [metadata] version".into(),
                });
                project.dynamic =
                    Some(Spanned::new(version.span(), vec![Spanned::new(version.span(), "version".into())]));
            }
        }
    }
    if let Some(long) = metadata.get("long_description") {
        let text = match long.directive() {
            Some(Directive::File(files)) => {
                let mut text = String::new();
                for item in &files {
                    check_file(
                        root,
                        file,
                        "setup.cfg [metadata] long_description",
                        item.span.clone(),
                        &item.text,
                    )?;
                    let body = fs_err::read_to_string(root.join(&item.text)).map_err(|e| {
                        invalid(
                            file,
                            "setup.cfg [metadata] long_description",
                            item.span.clone(),
                            format!("cannot read `{}`: {}", item.text, e.kind()),
                        )
                    })?;
                    if !text.is_empty() {
                        text.push('\n');
                    }
                    text.push_str(&body);
                }
                text
            }
            _ => long.text(),
        };
        let content_type = metadata
            .get("long_description_content_type")
            .map(Entry::text)
            .unwrap_or_else(|| "text/plain".into());
        let mut table = toml::map::Map::new();
        table.insert("text".into(), toml::Value::String(text));
        table.insert("content-type".into(), toml::Value::String(content_type));
        project.readme = Some(Spanned::new(long.span(), toml::Value::Table(table)));
    }
    let span = metadata.span.clone();
    Ok(Some((Spanned::new(span, project), version_source)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_data_globs_are_wheel_paths() {
        assert_eq!(package_globs("pkg.sub", ["*.txt".to_string()]), ["pkg/sub/*.txt"]);
        assert_eq!(
            package_globs("*", ["*.dat".to_string(), "data/*.json".to_string()]),
            ["*.dat", "**/data/*.json"]
        );
        assert_eq!(package_globs("", ["./x/*.bin".to_string()]), ["**/x/*.bin"]);
    }

    fn setup_py_layout(setup_py: &str) -> Result<Option<SetuptoolsLayout>, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("setup.py"), setup_py).unwrap();
        from_setup_py(dir.path())
    }

    fn values(settings: &Option<Vec<Setting<String>>>) -> Option<Vec<&str>> {
        settings.as_ref().map(|list| list.iter().map(|s| s.value.as_str()).collect())
    }

    #[test]
    fn setup_py_literal_layout_is_read() {
        let layout = setup_py_layout(
            "from setuptools import setup\nsetup(\n    name='x',\n    package_dir={'': 'lib'},\n    \
             packages=['pkg', 'pkg.sub'],\n    py_modules=['one'],\n    \
             package_data={'pkg': ['*.dat']},\n    include_package_data=False,\n)\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(layout.source.as_ref().map(|s| s.value.as_str()), Some("lib"));
        assert_eq!(values(&layout.packages), Some(vec!["pkg", "pkg.sub"]));
        assert_eq!(values(&layout.py_modules), Some(vec!["one"]));
        assert_eq!(layout.package_data, ["pkg/*.dat"]);
        assert_eq!(layout.include_package_data, Some(false));
        // Errors point at the keyword's line of setup.py.
        let packages = &layout.packages.unwrap()[0];
        assert_eq!(packages.file.name, "setup.py");
        assert_eq!(packages.file.line_col(packages.span.start), (5, 1));
    }

    #[test]
    fn setup_py_find_packages_is_read_by_position_and_name() {
        let layout = setup_py_layout(
            "from setuptools import setup, find_packages\nsetup(packages=find_packages('src', \
             exclude=['tests', 'tests.*']), package_dir={'': 'src'})\n",
        )
        .unwrap()
        .unwrap();
        assert_eq!(layout.source.as_ref().map(|s| s.value.as_str()), Some("src"));
        let find = layout.find.unwrap();
        assert_eq!(find.exclude, ["tests", "tests.*"]);
        assert!(find.include.is_empty() && !find.namespaces);
        let layout = setup_py_layout("import setuptools\nsetuptools.setup(packages=setuptools.find_namespace_packages(include=['ns.*']))\n")
            .unwrap()
            .unwrap();
        let find = layout.find.unwrap();
        assert_eq!((find.include, find.namespaces), (vec!["ns.*".to_string()], true));
        assert!(layout.source.is_none());
    }

    #[test]
    fn setup_py_computed_layout_is_not_half_read() {
        // One computed key: none of the three is taken (discovery decides, the build warns).
        let layout = setup_py_layout(
            "import sys\nfrom setuptools import setup\npkgs = ['a'] if sys.platform == 'win32' else None\n\
             setup(packages=pkgs, py_modules=['one'], package_dir={'': 'src'})\n",
        )
        .unwrap()
        .unwrap();
        assert!(layout.packages.is_none() && layout.py_modules.is_none() && layout.source.is_none());
        // A package mapped to a directory of another name cannot be honoured: an error at
        // the keyword, not a wheel without the package.
        let error = setup_py_layout(
            "from setuptools import setup\nsetup(\n    package_dir={'pkg': 'lib/stuff'},\n)\n",
        )
        .unwrap_err()
        .to_string();
        assert!(error.contains("setup.py setup(package_dir=...)"), "{error}");
        // No setup() call, no setup.py: nothing said.
        assert!(setup_py_layout("print('hello')\n").unwrap().is_none());
        assert!(from_setup_py(tempfile::tempdir().unwrap().path()).unwrap().is_none());
    }
}
