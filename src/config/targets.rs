//! What `setup.py` did around the FFI object, as tables:
//!
//! - `[tool.cffi-forge.module-options."pkg._mod"]`: extra build inputs merged into a
//!   module's `set_source` arguments (what custom `build_ext` subclasses did);
//! - `[[tool.cffi-forge.library]]`: static libraries compiled once and linked into the
//!   modules that name them in `libraries` (setuptools' `build_clib`);
//! - `[[tool.cffi-forge.extension]]`: plain C/C++ extension modules, not CFFI
//!   (setuptools' `Extension`).
//!
//! Every table may carry `when = "<PEP 508 marker>"`; [`crate::config::Project::build_tables`]
//! keeps those whose marker holds for the target interpreter.

use serde::Deserialize;
use toml::Spanned;

use super::build_keys::{self, EntryError, SourceExpander};
use super::module_table::MacroEntry;
use super::paths::PathRole;
use super::ConfigError;
use crate::diagnostic::SourceFile;
use crate::spec::BuildOptions;

// The build keys (`include-dirs`, `libraries`, ...) are spelled out in each table (and in
// `ModuleTable`) instead of shared through `#[serde(flatten)]`: serde cannot combine
// `flatten` with `deny_unknown_fields`, which our "did you mean" errors rely on, and
// flattened fields lose the spans `toml::Spanned` carries.

/// `[tool.cffi-forge.module-options."pkg._mod"]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ModuleOptionsTable {
    #[serde(default)]
    pub sources: Vec<Spanned<String>>,
    #[serde(default)]
    pub include_dirs: Vec<Spanned<String>>,
    #[serde(default)]
    pub define_macros: Vec<Spanned<MacroEntry>>,
    #[serde(default)]
    pub undef_macros: Vec<String>,
    #[serde(default)]
    pub libraries: Vec<String>,
    #[serde(default)]
    pub library_dirs: Vec<Spanned<String>>,
    #[serde(default)]
    pub runtime_library_dirs: Vec<Spanned<String>>,
    #[serde(default)]
    pub extra_compile_args: Vec<String>,
    #[serde(default)]
    pub extra_link_args: Vec<String>,
    #[serde(default)]
    pub extra_objects: Vec<Spanned<String>>,
    #[serde(default)]
    pub depends: Vec<Spanned<String>>,
    #[serde(default)]
    pub pkg_config: Vec<String>,
    pub py_limited_api: Option<bool>,
    pub when: Option<Spanned<String>>,
}

/// `[[tool.cffi-forge.library]]`: what `build_clib`'s `libraries=[(name, build_info)]` held.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct LibraryTable {
    pub name: Spanned<String>,
    pub sources: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub include_dirs: Vec<Spanned<String>>,
    #[serde(default)]
    pub define_macros: Vec<Spanned<MacroEntry>>,
    #[serde(default)]
    pub undef_macros: Vec<String>,
    #[serde(default)]
    pub extra_compile_args: Vec<String>,
    pub when: Option<Spanned<String>>,
}

/// `[[tool.cffi-forge.extension]]`: setuptools' `Extension(...)` keyword arguments.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct ExtensionTable {
    pub name: Spanned<String>,
    pub sources: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    pub include_dirs: Vec<Spanned<String>>,
    #[serde(default)]
    pub define_macros: Vec<Spanned<MacroEntry>>,
    #[serde(default)]
    pub undef_macros: Vec<String>,
    #[serde(default)]
    pub libraries: Vec<String>,
    #[serde(default)]
    pub library_dirs: Vec<Spanned<String>>,
    #[serde(default)]
    pub runtime_library_dirs: Vec<Spanned<String>>,
    #[serde(default)]
    pub extra_compile_args: Vec<String>,
    #[serde(default)]
    pub extra_link_args: Vec<String>,
    #[serde(default)]
    pub extra_objects: Vec<Spanned<String>>,
    #[serde(default)]
    pub depends: Vec<Spanned<String>>,
    #[serde(default)]
    pub pkg_config: Vec<String>,
    /// `"c"` or `"c++"`: which driver links the module (sources are compiled by extension).
    pub language: Option<Spanned<String>>,
    /// Like setuptools: `false` unless said, so a plain extension makes the wheel
    /// version-specific until its author vouches that it uses only the limited API.
    pub py_limited_api: Option<bool>,
    pub when: Option<Spanned<String>>,
}

/// Extra build inputs for one module, from its `module-options` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleOptions {
    /// The module it applies to (dotted name, after `ext-package`).
    pub module: String,
    /// `tool.cffi-forge.module-options."pkg._mod"`, for messages.
    pub key: String,
    /// Lists to append to the module's own; `py_limited_api` replaces the module's.
    pub options: BuildOptions,
    /// The span of the table's name in `pyproject.toml`.
    pub span: std::ops::Range<usize>,
}

impl ModuleOptions {
    /// Merge into a module's options: list keys are appended after what the module gave
    /// (its `set_source` arguments come first), `py-limited-api` replaces.
    pub fn apply(&self, options: &mut BuildOptions) {
        let extra = &self.options;
        options.sources.extend(extra.sources.iter().cloned());
        options.include_dirs.extend(extra.include_dirs.iter().cloned());
        options.define_macros.extend(extra.define_macros.iter().cloned());
        options.undef_macros.extend(extra.undef_macros.iter().cloned());
        options.libraries.extend(extra.libraries.iter().cloned());
        options.library_dirs.extend(extra.library_dirs.iter().cloned());
        options.runtime_library_dirs.extend(extra.runtime_library_dirs.iter().cloned());
        options.extra_objects.extend(extra.extra_objects.iter().cloned());
        options.extra_compile_args.extend(extra.extra_compile_args.iter().cloned());
        options.extra_link_args.extend(extra.extra_link_args.iter().cloned());
        options.depends.extend(extra.depends.iter().cloned());
        options.pkg_config.extend(extra.pkg_config.iter().cloned());
        if extra.py_limited_api.is_some() {
            options.py_limited_api = extra.py_limited_api;
        }
    }
}

/// A static library to build: `name` becomes `lib<name>.a` (`<name>.lib` with MSVC).
/// Only `sources`, `include_dirs`, `define_macros`, `undef_macros` and
/// `extra_compile_args` of `options` are used; Python's headers are not on its include
/// path (as with `build_clib`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticLibrary {
    pub name: String,
    /// Position among the `[[tool.cffi-forge.library]]` tables (0-based).
    pub index: usize,
    pub options: BuildOptions,
}

/// A plain (non-CFFI) extension module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extension {
    /// Dotted module name; its `PyInit_<last part>` is the entry point.
    pub name: String,
    /// Position among the `[[tool.cffi-forge.extension]]` tables (0-based).
    pub index: usize,
    /// `py_limited_api` is always `Some`: `Some(false)` unless the table says `true`.
    pub options: BuildOptions,
    /// `language = "c++"`: link with the C++ driver.
    pub cxx: bool,
}

/// A table left out because its `when` marker is false for the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedTable {
    /// e.g. `tool.cffi-forge.extension[1]`.
    pub key: String,
    /// The module or library it would have built (the module for `module-options`).
    pub name: String,
    pub when: String,
}

/// Turns a helper's `(span, message)` into an error at `key.field`.
fn at<'a>(file: &'a SourceFile, key: &str, field: &str) -> impl Fn(EntryError) -> ConfigError + 'a {
    let key = format!("{key}.{field}");
    move |(span, message)| ConfigError::invalid(file, key.clone(), span, message)
}

impl ModuleOptionsTable {
    /// `key` names the table in messages; `sources` expands globs.
    pub(super) fn resolve(
        &self,
        module: &Spanned<String>,
        key: &str,
        file: &SourceFile,
        sources: &SourceExpander,
    ) -> Result<ModuleOptions, ConfigError> {
        Ok(ModuleOptions {
            module: module.get_ref().clone(),
            key: key.to_string(),
            span: module.span(),
            options: BuildOptions {
                sources: sources.expand(&self.sources).map_err(at(file, key, "sources"))?,
                include_dirs: build_keys::paths(
                    sources.root(),
                    &self.include_dirs,
                    PathRole::SystemOrProject,
                )
                .map_err(at(file, key, "include-dirs"))?,
                define_macros: build_keys::defines(&self.define_macros).map_err(at(
                    file,
                    key,
                    "define-macros",
                ))?,
                undef_macros: self.undef_macros.clone(),
                libraries: self.libraries.clone(),
                library_dirs: build_keys::paths(
                    sources.root(),
                    &self.library_dirs,
                    PathRole::SystemOrProject,
                )
                .map_err(at(file, key, "library-dirs"))?,
                runtime_library_dirs: build_keys::paths(
                    sources.root(),
                    &self.runtime_library_dirs,
                    PathRole::SystemOrProject,
                )
                .map_err(at(file, key, "runtime-library-dirs"))?,
                extra_objects: build_keys::paths(
                    sources.root(),
                    &self.extra_objects,
                    PathRole::SystemOrProject,
                )
                .map_err(at(file, key, "extra-objects"))?,
                extra_compile_args: self.extra_compile_args.clone(),
                extra_link_args: self.extra_link_args.clone(),
                depends: build_keys::paths(sources.root(), &self.depends, PathRole::ProjectFile)
                    .map_err(at(file, key, "depends"))?,
                pkg_config: self.pkg_config.clone(),
                py_limited_api: self.py_limited_api,
            },
        })
    }
}

impl LibraryTable {
    pub(super) fn resolve(
        &self,
        index: usize,
        key: &str,
        file: &SourceFile,
        sources: &SourceExpander,
    ) -> Result<StaticLibrary, ConfigError> {
        Ok(StaticLibrary {
            name: self.name.get_ref().clone(),
            index,
            options: BuildOptions {
                sources: sources.expand(self.sources.get_ref()).map_err(at(file, key, "sources"))?,
                include_dirs: build_keys::paths(
                    sources.root(),
                    &self.include_dirs,
                    PathRole::SystemOrProject,
                )
                .map_err(at(file, key, "include-dirs"))?,
                define_macros: build_keys::defines(&self.define_macros).map_err(at(
                    file,
                    key,
                    "define-macros",
                ))?,
                undef_macros: self.undef_macros.clone(),
                extra_compile_args: self.extra_compile_args.clone(),
                ..Default::default()
            },
        })
    }
}

impl ExtensionTable {
    pub(super) fn resolve(
        &self,
        index: usize,
        key: &str,
        file: &SourceFile,
        sources: &SourceExpander,
    ) -> Result<Extension, ConfigError> {
        Ok(Extension {
            name: self.name.get_ref().clone(),
            index,
            cxx: self.language.as_ref().is_some_and(|l| l.get_ref() == "c++"),
            options: BuildOptions {
                sources: sources.expand(self.sources.get_ref()).map_err(at(file, key, "sources"))?,
                include_dirs: build_keys::paths(
                    sources.root(),
                    &self.include_dirs,
                    PathRole::SystemOrProject,
                )
                .map_err(at(file, key, "include-dirs"))?,
                define_macros: build_keys::defines(&self.define_macros).map_err(at(
                    file,
                    key,
                    "define-macros",
                ))?,
                undef_macros: self.undef_macros.clone(),
                libraries: self.libraries.clone(),
                library_dirs: build_keys::paths(
                    sources.root(),
                    &self.library_dirs,
                    PathRole::SystemOrProject,
                )
                .map_err(at(file, key, "library-dirs"))?,
                runtime_library_dirs: build_keys::paths(
                    sources.root(),
                    &self.runtime_library_dirs,
                    PathRole::SystemOrProject,
                )
                .map_err(at(file, key, "runtime-library-dirs"))?,
                extra_objects: build_keys::paths(
                    sources.root(),
                    &self.extra_objects,
                    PathRole::SystemOrProject,
                )
                .map_err(at(file, key, "extra-objects"))?,
                extra_compile_args: self.extra_compile_args.clone(),
                extra_link_args: self.extra_link_args.clone(),
                depends: build_keys::paths(sources.root(), &self.depends, PathRole::ProjectFile)
                    .map_err(at(file, key, "depends"))?,
                pkg_config: self.pkg_config.clone(),
                py_limited_api: Some(self.py_limited_api.unwrap_or(false)),
            },
        })
    }
}
