//! The shape of `pyproject.toml` as serde reads it: every value the user wrote keeps its
//! span so validation can point at it. Nothing here is validated yet.

use indexmap::IndexMap;
use serde::Deserialize;
use toml::Spanned;

use super::module_table::ModuleTable;
use super::targets::{ExtensionTable, LibraryTable, ModuleOptionsTable};

#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(super) struct PyProject {
    pub project: Option<Spanned<RawProject>>,
    pub tool: Option<RawTools>,
    // `[build-system]` and other tools' tables are not ours to check.
}

#[derive(Debug, Deserialize)]
pub(super) struct RawTools {
    #[serde(rename = "cffi-forge")]
    pub cffi_forge: Option<Spanned<RawTool>>,
    /// Read in place where `[tool.cffi-forge]` says nothing (see [`super::setuptools`]).
    pub setuptools: Option<super::setuptools::RawSetuptools>,
}

/// `[section]` tables of strings keyed by strings (`urls`, `scripts`), with spans.
pub(super) type StringTable = IndexMap<Spanned<String>, Spanned<String>>;
/// A list of strings, each with its span, and the list's own span.
pub(super) type StringList = Spanned<Vec<Spanned<String>>>;

/// `[project.optional-dependencies]`: extra → requirements.
pub(super) type ExtrasTable = IndexMap<Spanned<String>, Vec<Spanned<String>>>;

/// `[project]` (PEP 621). Polymorphic fields (`readme`, `license`) are read as TOML
/// values and checked by hand, which gives better messages than untagged enums.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(super) struct RawProject {
    pub name: Option<Spanned<String>>,
    pub version: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub readme: Option<Spanned<toml::Value>>,
    pub requires_python: Option<Spanned<String>>,
    pub license: Option<Spanned<toml::Value>>,
    pub license_files: Option<StringList>,
    pub authors: Option<Spanned<Vec<Spanned<RawPerson>>>>,
    pub maintainers: Option<Spanned<Vec<Spanned<RawPerson>>>>,
    pub keywords: Option<StringList>,
    pub classifiers: Option<StringList>,
    pub urls: Option<Spanned<StringTable>>,
    pub scripts: Option<Spanned<StringTable>>,
    pub gui_scripts: Option<Spanned<StringTable>>,
    pub entry_points: Option<Spanned<IndexMap<Spanned<String>, StringTable>>>,
    pub dependencies: Option<StringList>,
    pub optional_dependencies: Option<Spanned<ExtrasTable>>,
    pub import_names: Option<StringList>,
    pub import_namespaces: Option<StringList>,
    pub dynamic: Option<StringList>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPerson {
    pub name: Option<String>,
    pub email: Option<String>,
}

/// `[tool.cffi-forge]`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(super) struct RawTool {
    pub cffi_modules: Option<Vec<Spanned<String>>>,
    pub module: Option<Vec<ModuleTable>>,
    pub python_source: Option<Spanned<String>>,
    pub packages: Option<Vec<Spanned<String>>>,
    pub py_modules: Option<Vec<Spanned<String>>>,
    pub include: Option<Vec<Spanned<String>>>,
    pub exclude: Option<Vec<Spanned<String>>>,
    pub generator: Option<Spanned<String>>,
    pub py_limited_api: Option<Spanned<toml::Value>>,
    pub compatibility: Option<Spanned<String>>,
    pub repair_exclude: Option<Vec<Spanned<String>>>,
    pub add_cffi_dependency: Option<bool>,
    pub stubs: Option<bool>,
    pub version: Option<Spanned<RawVersionSource>>,
    pub ext_package: Option<Spanned<String>>,
    pub script_files: Option<Vec<Spanned<String>>>,
    pub package_data: Option<bool>,
    pub package_data_include: Option<Vec<Spanned<String>>>,
    pub package_data_exclude: Option<Vec<Spanned<String>>>,
    pub module_options: Option<IndexMap<Spanned<String>, ModuleOptionsTable>>,
    pub library: Option<Vec<LibraryTable>>,
    pub extension: Option<Vec<ExtensionTable>>,
}

/// `version = { attr = "pkg.__version__" }` or `{ file = "VERSION" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawVersionSource {
    pub attr: Option<Spanned<String>>,
    pub file: Option<Spanned<String>>,
}
