//! `[tool.cffi-forge]`, validated. The reference for users is `docs/configuration.md`.

use std::ops::Range;

use toml::Spanned;

use super::build_keys;
use super::module_table::ModuleTable;
use super::raw::RawTool;
use super::targets::{ExtensionTable, LibraryTable, ModuleOptionsTable};
use super::ConfigError;
use crate::audit::Compatibility;
use crate::diagnostic::SourceFile;
use crate::tags::Abi3Policy;

/// Which generator writes the module source for build-script modules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Generator {
    /// cffi-forge's own generator (the script's `cdef`/`set_source` calls are recorded).
    #[default]
    Native,
    /// cffi's own emitter, run inside the build script's interpreter.
    Cffi,
}

/// Where a dynamic `version` comes from (read statically, never by importing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VersionSource {
    /// `{ attr = "pkg.__version__" }`: a string literal assigned at the top level of the
    /// module `pkg` (`pkg/__init__.py` or `pkg.py` under the Python source root).
    /// `key` names where it was said (`tool.cffi-forge.version.attr`, or setuptools'
    /// `tool.setuptools.dynamic.version.attr`, `setup.cfg [metadata] version`).
    Attr { attr: String, span: Range<usize>, key: String },
    /// `{ file = "VERSION" }`: the file's text, trimmed.
    File { path: String, span: Range<usize>, key: String },
}

/// The validated `[tool.cffi-forge]` table. Every key is optional.
#[derive(Clone, Debug, Default)]
pub struct ToolConfig {
    /// `cffi-modules = ["path/foo_build.py:ffibuilder"]`; `None` when the key is absent
    /// (then build scripts are discovered). Spans point at each entry.
    pub cffi_modules: Option<Vec<Spanned<String>>>,
    /// `[[tool.cffi-forge.module]]` tables (see [`crate::config::Project::declarative_modules`]).
    pub modules: Vec<ModuleTable>,
    /// `python-source = "src"`: the directory holding the importable code, relative to
    /// the project root. `None` = automatic (`src/` when it holds Python code, else the root).
    pub python_source: Option<Spanned<String>>,
    /// `packages = ["pkg", "other.sub"]`: the packages to ship (each with everything
    /// below it), instead of automatic discovery.
    pub packages: Option<Vec<Spanned<String>>>,
    /// `py-modules = ["foo"]`: top-level single-file modules (`foo.py`) to ship.
    pub py_modules: Vec<Spanned<String>>,
    /// `include = [...]`: globs of files to package even though hidden or git-ignored.
    pub include: Vec<Spanned<String>>,
    /// `exclude = [...]`: globs of files never to package (sdist or wheel).
    pub exclude: Vec<Spanned<String>>,
    /// `generator = "native" | "cffi"`.
    pub generator: Generator,
    /// `py-limited-api = "cp39"` (abi3 floor) or `false` (never abi3). Default: automatic.
    pub py_limited_api: Abi3Policy,
    /// `compatibility = "manylinux_2_17" | "musllinux_1_2" | "linux" | "auto"`: the
    /// platform tag of Linux wheels (see `crate::audit`). `None` when absent (automatic).
    pub compatibility: Option<Compatibility>,
    /// `repair-exclude = ["libcuda.so.*"]`: libraries (file-name globs) a repair never
    /// ships in the wheel: they must come from the user's system.
    pub repair_exclude: Vec<String>,
    /// `add-cffi-dependency = false` keeps cffi out of `Requires-Dist` (default `true`).
    pub add_cffi_dependency: bool,
    /// `stubs = false`: no typed stubs (`.pyi`) for the CFFI modules, unless a module's
    /// own table says `stubs = true`. `None` when absent (stubs are made).
    pub stubs: Option<bool>,
    /// `version = { attr = ... }` / `{ file = ... }` for `dynamic = ["version"]`.
    pub version: Option<VersionSource>,
    /// `ext-package = "pkg"`: prefix for module names given by build scripts.
    pub ext_package: Option<Spanned<String>>,
    /// `script-files = ["bin/tool"]`: files shipped in the wheel's `.data/scripts/`.
    pub script_files: Vec<Spanned<String>>,
    /// `package-data = false`: ship only the Python files of packages (default `true`:
    /// every file inside them).
    pub package_data: bool,
    /// `package-data-include = [...]`: globs (on paths inside the wheel) of non-Python
    /// files shipped even with `package-data = false`.
    pub package_data_include: Vec<Spanned<String>>,
    /// `package-data-exclude = [...]`: globs of files inside packages kept out of the
    /// wheel (they stay in the sdist).
    pub package_data_exclude: Vec<Spanned<String>>,
    /// `[tool.cffi-forge.module-options."pkg._mod"]` tables, in file order.
    pub module_options: Vec<(Spanned<String>, ModuleOptionsTable)>,
    /// `[[tool.cffi-forge.library]]` tables.
    pub libraries: Vec<LibraryTable>,
    /// `[[tool.cffi-forge.extension]]` tables.
    pub extensions: Vec<ExtensionTable>,
}

fn is_dotted_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.split('.').all(|part| {
            let mut chars = part.chars();
            matches!(chars.next(), Some(c) if c == '_' || c.is_alphabetic())
                && chars.all(|c| c == '_' || c.is_alphanumeric())
        })
}

/// A relative path inside the project: no absolute paths, no `..`, `/`-separated.
pub(super) fn check_relative_path(
    file: &SourceFile,
    key: &str,
    value: &Spanned<String>,
) -> Result<(), ConfigError> {
    let v = value.get_ref();
    let bad = v.is_empty()
        || v.starts_with('/')
        || v.contains('\\')
        || v.split('/').any(|c| c == "..")
        || (v.len() > 1 && v.as_bytes()[1] == b':');
    if bad {
        return Err(ConfigError::invalid(
            file,
            key,
            value.span(),
            "expected a relative path inside the project, with `/` separators",
        ));
    }
    Ok(())
}

/// Whether `attr` names an attribute of a module (`pkg.__version__`), as a version
/// `attr` must.
pub(super) fn is_module_attribute(attr: &str) -> bool {
    is_dotted_identifier(attr) && attr.contains('.')
}

impl ToolConfig {
    pub(super) fn from_raw(raw: Option<Spanned<RawTool>>, file: &SourceFile) -> Result<Self, ConfigError> {
        let Some(raw) = raw else {
            return Ok(ToolConfig { add_cffi_dependency: true, package_data: true, ..Default::default() });
        };
        let raw = raw.into_inner();
        let key = |k: &str| format!("tool.cffi-forge.{k}");

        if let Some(entries) = &raw.cffi_modules {
            for entry in entries {
                let ok = entry.get_ref().split_once(':').is_some_and(|(path, var)| {
                    !path.is_empty() && is_dotted_identifier(var) && !var.contains('.')
                });
                if !ok {
                    return Err(ConfigError::invalid(
                        file,
                        key("cffi-modules"),
                        entry.span(),
                        "expected `path/to/foo_build.py:variable`",
                    )
                    .with_help("name the build script by its path and the FFI variable (or function) in it, e.g. `src/pkg/_foo_build.py:ffibuilder`"));
                }
            }
        }
        if let Some(source) = &raw.python_source {
            check_relative_path(file, &key("python-source"), source)?;
        }
        for package in raw.packages.iter().flatten() {
            if !is_dotted_identifier(package.get_ref()) {
                return Err(ConfigError::invalid(
                    file,
                    key("packages"),
                    package.span(),
                    "expected an importable package name like `pkg` or `pkg.sub`",
                ));
            }
        }
        for module in raw.py_modules.iter().flatten() {
            if !is_dotted_identifier(module.get_ref()) || module.get_ref().contains('.') {
                return Err(ConfigError::invalid(
                    file,
                    key("py-modules"),
                    module.span(),
                    "expected a top-level module name like `foo` (for `foo.py`)",
                ));
            }
        }
        for (name, globs) in [
            ("include", &raw.include),
            ("exclude", &raw.exclude),
            ("package-data-include", &raw.package_data_include),
            ("package-data-exclude", &raw.package_data_exclude),
        ] {
            for glob in globs.iter().flatten() {
                if super::paths::glob_leaves_project(glob.get_ref()) {
                    return Err(ConfigError::invalid(
                        file,
                        key(name),
                        glob.span(),
                        "globs match files inside the project, so `..` can never match anything",
                    )
                    .with_help(
                        "write the pattern relative to the project root (the directory of pyproject.toml)",
                    ));
                }
                if let Err(e) = super::files::compile_glob(glob.get_ref()) {
                    return Err(ConfigError::invalid(
                        file,
                        key(name),
                        glob.span(),
                        format!("invalid glob: {e}"),
                    ));
                }
            }
        }
        let generator = match raw.generator.as_ref().map(|g| (g.get_ref().as_str(), g.span())) {
            None | Some(("native", _)) => Generator::Native,
            Some(("cffi", _)) => Generator::Cffi,
            Some((_, span)) => {
                return Err(ConfigError::invalid(
                    file,
                    key("generator"),
                    span,
                    "expected \"native\" or \"cffi\"",
                ))
            }
        };
        let py_limited_api = match &raw.py_limited_api {
            None => Abi3Policy::Auto,
            Some(value) => parse_limited_api(value.get_ref()).ok_or_else(|| {
                ConfigError::invalid(
                    file,
                    key("py-limited-api"),
                    value.span(),
                    "expected a tag like \"cp39\" or `false`",
                )
                .with_help("\"cp3X\" tags abi3 wheels for CPython 3.X and newer; `false` never builds abi3")
            })?,
        };
        let compatibility = match &raw.compatibility {
            None => None,
            Some(value) => Some(Compatibility::parse(value.get_ref()).map_err(|why| {
                ConfigError::invalid(file, key("compatibility"), value.span(), why)
                    .with_help("\"auto\" (the default) tags the most compatible policy the build satisfies")
            })?),
        };
        for pattern in raw.repair_exclude.iter().flatten() {
            if let Err(e) = globset::Glob::new(pattern.get_ref()) {
                return Err(ConfigError::invalid(
                    file,
                    key("repair-exclude"),
                    pattern.span(),
                    format!("not a glob: {}", e.kind()),
                ));
            }
        }
        let version = match raw.version {
            None => None,
            Some(v) => {
                let span = v.span();
                match v.into_inner() {
                    super::raw::RawVersionSource { attr: Some(attr), file: None } => {
                        if !is_dotted_identifier(attr.get_ref()) || !attr.get_ref().contains('.') {
                            return Err(ConfigError::invalid(
                                file,
                                key("version.attr"),
                                attr.span(),
                                "expected `module.attribute`, e.g. \"pkg.__version__\"",
                            ));
                        }
                        Some(VersionSource::Attr {
                            span: attr.span(),
                            attr: attr.into_inner(),
                            key: key("version.attr"),
                        })
                    }
                    super::raw::RawVersionSource { attr: None, file: Some(path) } => {
                        check_relative_path(file, &key("version.file"), &path)?;
                        Some(VersionSource::File {
                            span: path.span(),
                            path: path.into_inner(),
                            key: key("version.file"),
                        })
                    }
                    _ => {
                        return Err(ConfigError::invalid(
                            file,
                            key("version"),
                            span,
                            "expected exactly one of `attr` and `file`",
                        ))
                    }
                }
            }
        };
        if let Some(ext) = &raw.ext_package {
            if !is_dotted_identifier(ext.get_ref()) {
                return Err(ConfigError::invalid(
                    file,
                    key("ext-package"),
                    ext.span(),
                    "expected a package name like `pkg`",
                ));
            }
        }
        // `when` markers of every table, checked now so a typo fails on every platform.
        let markers = raw
            .module
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, t)| (format!("module[{i}]"), t.when.as_ref()))
            .chain(
                raw.module_options
                    .iter()
                    .flatten()
                    .map(|(name, t)| (format!("module-options.\"{}\"", name.get_ref()), t.when.as_ref())),
            )
            .chain(
                raw.library
                    .iter()
                    .flatten()
                    .enumerate()
                    .map(|(i, t)| (format!("library[{i}]"), t.when.as_ref())),
            )
            .chain(
                raw.extension
                    .iter()
                    .flatten()
                    .enumerate()
                    .map(|(i, t)| (format!("extension[{i}]"), t.when.as_ref())),
            );
        for (table, when) in markers {
            if let Some(when) = when {
                build_keys::parse_marker(when).map_err(|(span, message)| {
                    ConfigError::invalid(file, key(&format!("{table}.when")), span, message)
                        .with_help("e.g. `when = \"sys_platform == 'linux'\"`")
                })?;
            }
        }
        for (name, _) in raw.module_options.iter().flatten() {
            if !is_dotted_identifier(name.get_ref()) {
                return Err(ConfigError::invalid(
                    file,
                    key("module-options"),
                    name.span(),
                    "expected a dotted module name like `pkg._foo`",
                ));
            }
        }
        for (index, library) in raw.library.iter().flatten().enumerate() {
            let name = library.name.get_ref();
            let ok = name.chars().next().is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
                && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.+".contains(c));
            if !ok {
                return Err(ConfigError::invalid(
                    file,
                    key(&format!("library[{index}].name")),
                    library.name.span(),
                    "expected a library name like `foo` (built as `libfoo.a`)",
                ));
            }
            if library.sources.get_ref().is_empty() {
                return Err(ConfigError::invalid(
                    file,
                    key(&format!("library[{index}].sources")),
                    library.sources.span(),
                    "a library needs at least one source file",
                ));
            }
        }
        for (index, extension) in raw.extension.iter().flatten().enumerate() {
            if !is_dotted_identifier(extension.name.get_ref()) {
                return Err(ConfigError::invalid(
                    file,
                    key(&format!("extension[{index}].name")),
                    extension.name.span(),
                    "expected a dotted module name like `pkg._speedups`",
                ));
            }
            if extension.sources.get_ref().is_empty() {
                return Err(ConfigError::invalid(
                    file,
                    key(&format!("extension[{index}].sources")),
                    extension.sources.span(),
                    "an extension needs at least one source file",
                ));
            }
            if let Some(language) = &extension.language {
                if !matches!(language.get_ref().as_str(), "c" | "c++") {
                    return Err(ConfigError::invalid(
                        file,
                        key(&format!("extension[{index}].language")),
                        language.span(),
                        "expected \"c\" or \"c++\"",
                    ));
                }
            }
        }
        for script in raw.script_files.iter().flatten() {
            check_relative_path(file, &key("script-files"), script)?;
        }
        Ok(ToolConfig {
            cffi_modules: raw.cffi_modules,
            modules: raw.module.unwrap_or_default(),
            python_source: raw.python_source,
            packages: raw.packages,
            py_modules: raw.py_modules.unwrap_or_default(),
            include: raw.include.unwrap_or_default(),
            exclude: raw.exclude.unwrap_or_default(),
            generator,
            py_limited_api,
            compatibility,
            repair_exclude: raw
                .repair_exclude
                .unwrap_or_default()
                .into_iter()
                .map(|p| p.into_inner())
                .collect(),
            add_cffi_dependency: raw.add_cffi_dependency.unwrap_or(true),
            stubs: raw.stubs,
            version,
            ext_package: raw.ext_package,
            script_files: raw.script_files.unwrap_or_default(),
            package_data: raw.package_data.unwrap_or(true),
            package_data_include: raw.package_data_include.unwrap_or_default(),
            package_data_exclude: raw.package_data_exclude.unwrap_or_default(),
            module_options: raw.module_options.unwrap_or_default().into_iter().collect(),
            libraries: raw.library.unwrap_or_default(),
            extensions: raw.extension.unwrap_or_default(),
        })
    }
}

/// `"cp39"` → `Floor(3, 9)`, `false` → `Disabled`, `true` → `Auto`.
fn parse_limited_api(value: &toml::Value) -> Option<Abi3Policy> {
    match value {
        toml::Value::Boolean(false) => Some(Abi3Policy::Disabled),
        toml::Value::Boolean(true) => Some(Abi3Policy::Auto),
        toml::Value::String(s) => {
            let digits = s.strip_prefix("cp3")?;
            let minor: u32 = digits.parse().ok().filter(|_| !digits.starts_with('+'))?;
            (2..100).contains(&minor).then_some(Abi3Policy::Floor(3, minor))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limited_api_values() {
        assert_eq!(parse_limited_api(&toml::Value::String("cp39".into())), Some(Abi3Policy::Floor(3, 9)));
        assert_eq!(parse_limited_api(&toml::Value::String("cp312".into())), Some(Abi3Policy::Floor(3, 12)));
        assert_eq!(parse_limited_api(&toml::Value::Boolean(false)), Some(Abi3Policy::Disabled));
        assert_eq!(parse_limited_api(&toml::Value::String("cp27".into())), None);
        assert_eq!(parse_limited_api(&toml::Value::String("py39".into())), None);
        assert_eq!(parse_limited_api(&toml::Value::String("cp3".into())), None);
    }
}
