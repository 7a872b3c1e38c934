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

use toml::Spanned;

use super::build_keys::{build_key_table, EntryError, SourceExpander};
use super::ConfigError;
use crate::diagnostic::SourceFile;
use crate::spec::{BuildOptions, TableRef};

build_key_table! {
    /// `[tool.cffi-forge.module-options."pkg._mod"]`.
    pub struct ModuleOptionsTable: linked {
        #[serde(default)]
        pub sources: Vec<Spanned<String>>,
    } then {
        pub py_limited_api: Option<bool>,
        pub stubs: Option<bool>,
        pub when: Option<Spanned<String>>,
    }
}

build_key_table! {
    /// `[[tool.cffi-forge.library]]`: what `build_clib`'s `libraries=[(name, build_info)]` held.
    pub struct LibraryTable: compiled {
        pub name: Spanned<String>,
        pub sources: Spanned<Vec<Spanned<String>>>,
    } then {
        pub when: Option<Spanned<String>>,
    }
}

build_key_table! {
    /// `[[tool.cffi-forge.extension]]`: setuptools' `Extension(...)` keyword arguments.
    pub struct ExtensionTable: linked {
        pub name: Spanned<String>,
        pub sources: Spanned<Vec<Spanned<String>>>,
    } then {
        /// `"c"` or `"c++"`: which driver links the module (sources are compiled by extension).
        pub language: Option<Spanned<String>>,
        /// Like setuptools: `false` unless said, so a plain extension makes the wheel
        /// version-specific until its author vouches that it uses only the limited API.
        pub py_limited_api: Option<bool>,
        pub when: Option<Spanned<String>>,
    }
}

/// Extra build inputs for one module, from its `module-options` table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleOptions {
    /// The module it applies to (dotted name, after `ext-package`).
    pub module: String,
    /// Its table, [`TableRef::ModuleOptions`].
    pub table: TableRef,
    /// Appended to the module's own ([`BuildOptions::append`]).
    pub options: BuildOptions,
    /// The span of the table's name in `pyproject.toml`.
    pub span: std::ops::Range<usize>,
}

/// A static library to build: `name` becomes `lib<name>.a` (`<name>.lib` with MSVC).
/// Only `sources`, `include_dirs`, `define_macros`, `undef_macros` and
/// `extra_compile_args` of `options` are used; Python's headers are not on its include
/// path (as with `build_clib`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StaticLibrary {
    pub name: String,
    /// Its table, [`TableRef::Library`].
    pub table: TableRef,
    pub options: BuildOptions,
}

/// A plain (non-CFFI) extension module.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extension {
    /// Dotted module name; its `PyInit_<last part>` is the entry point.
    pub name: String,
    /// Its table, [`TableRef::Extension`].
    pub table: TableRef,
    /// `py_limited_api` is always `Some`: `Some(false)` unless the table says `true`.
    pub options: BuildOptions,
    /// `language = "c++"`: link with the C++ driver.
    pub cxx: bool,
}

/// A table left out because its `when` marker is false for the target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SkippedTable {
    pub table: TableRef,
    /// The module or library it would have built (the module for `module-options`).
    pub name: String,
    pub when: String,
}

/// Turns a `(key, (span, message))` from a table's resolve into an error at `key.field`.
fn at<'a>(file: &'a SourceFile, key: &'a TableRef) -> impl Fn((String, EntryError)) -> ConfigError + 'a {
    move |(field, (span, message))| ConfigError::invalid(file, format!("{key}.{field}"), span, message)
}

impl ModuleOptionsTable {
    /// `sources` expands globs.
    pub(super) fn resolve(
        &self,
        module: &Spanned<String>,
        file: &SourceFile,
        sources: &SourceExpander,
    ) -> Result<ModuleOptions, ConfigError> {
        let table = TableRef::ModuleOptions(module.get_ref().clone());
        let mut options = self.resolve_build_keys(sources).map_err(at(file, &table))?;
        options.py_limited_api = self.py_limited_api;
        options.stubs = self.stubs;
        Ok(ModuleOptions { module: module.get_ref().clone(), table, span: module.span(), options })
    }
}

impl LibraryTable {
    pub(super) fn resolve(
        &self,
        index: usize,
        file: &SourceFile,
        sources: &SourceExpander,
    ) -> Result<StaticLibrary, ConfigError> {
        let table = TableRef::Library(index);
        let options = self.resolve_build_keys(sources).map_err(at(file, &table))?;
        Ok(StaticLibrary { name: self.name.get_ref().clone(), table, options })
    }
}

impl ExtensionTable {
    pub(super) fn resolve(
        &self,
        index: usize,
        file: &SourceFile,
        sources: &SourceExpander,
    ) -> Result<Extension, ConfigError> {
        let table = TableRef::Extension(index);
        let mut options = self.resolve_build_keys(sources).map_err(at(file, &table))?;
        options.py_limited_api = Some(self.py_limited_api.unwrap_or(false));
        Ok(Extension {
            name: self.name.get_ref().clone(),
            table,
            cxx: self.language.as_ref().is_some_and(|l| l.get_ref() == "c++"),
            options,
        })
    }
}
