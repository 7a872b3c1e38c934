//! `ModuleSpec`: one CFFI module to build, however it was found (build script,
//! declarative table, `setup.py` list). Everything downstream (generation, compilation,
//! packaging) works from this type only, so the three ways of finding modules meet here.

use std::path::PathBuf;

use crate::diagnostic::SourceFile;

/// One `ffi.cdef(...)` call (or one declarative `cdef` / `cdef-file` / `[[cdefs]]` entry).
#[derive(Clone, Debug)]
pub struct CdefSource {
    /// The declarations, exactly as given to `cdef()`.
    pub text: String,
    /// What errors point into. For a cdef inline in `pyproject.toml` this is the whole
    /// pyproject text and `offset` is where `text` starts in it; for a build script it is
    /// the cdef string itself under a name like `pkg/_foo_build.py: cdef #1`.
    pub file: SourceFile,
    pub offset: usize,
    pub options: CdefOptions,
}

impl CdefSource {
    /// A cdef that stands alone (errors point into `text` itself).
    pub fn standalone(name: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        Self { file: SourceFile::new(name, text.as_str()), text, offset: 0, options: CdefOptions::default() }
    }
}

/// The keyword arguments of `ffi.cdef()` that change meaning.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CdefOptions {
    /// `packed=True`: structs declared here get no padding (`pack=1`).
    pub packed: bool,
    /// `pack=N`: maximum field alignment of structs declared here.
    pub pack: Option<u32>,
    /// `override=True`: later declarations may replace earlier ones.
    pub override_: bool,
    /// Given to `ffi.embedding_api()`: its functions are exported by the library and run
    /// Python (cffi's `dllexport=True`).
    pub dllexport: bool,
}

/// Where a module came from; shown by `cffi-forge inspect` and in error messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModuleOrigin {
    /// `path/to/foo_build.py:ffibuilder` (from `cffi-modules`, discovery or `setup.py`).
    Script { path: PathBuf, variable: String },
    /// A `[[tool.cffi-forge.module]]` table (always [`TableRef::Module`]).
    Declarative { table: TableRef },
}

impl std::fmt::Display for ModuleOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ModuleOrigin::Script { path, variable } => {
                write!(f, "build script `{}:{variable}`", path.display())
            }
            ModuleOrigin::Declarative { table } => write!(f, "{table}"),
        }
    }
}

/// One table of `[tool.cffi-forge]` that builds something, shown as the TOML path that
/// names it: `tool.cffi-forge.module[0]` (0-based, as TOML paths count) or
/// `tool.cffi-forge.module-options."pkg._mod"`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TableRef {
    Module(usize),
    Library(usize),
    Extension(usize),
    /// Keyed by the module it applies to.
    ModuleOptions(String),
}

impl TableRef {
    /// The position among the tables of its kind (`None` for `module-options`).
    pub fn index(&self) -> Option<usize> {
        match self {
            TableRef::Module(i) | TableRef::Library(i) | TableRef::Extension(i) => Some(*i),
            TableRef::ModuleOptions(_) => None,
        }
    }
}

impl std::fmt::Display for TableRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TableRef::Module(i) => write!(f, "tool.cffi-forge.module[{i}]"),
            TableRef::Library(i) => write!(f, "tool.cffi-forge.library[{i}]"),
            TableRef::Extension(i) => write!(f, "tool.cffi-forge.extension[{i}]"),
            TableRef::ModuleOptions(module) => write!(f, "tool.cffi-forge.module-options.\"{module}\""),
        }
    }
}

impl serde::Serialize for TableRef {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A C macro definition as in setuptools' `define_macros`: `(name, value)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Define {
    pub name: String,
    pub value: Option<String>,
}

impl std::fmt::Display for Define {
    /// `NAME` or `NAME=VALUE`, as `inspect` shows it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.value {
            Some(value) => write!(f, "{}={value}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

impl serde::Serialize for Define {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Every build key, declared once. Adding a key means adding a row here: it then exists
/// in [`BuildOptions`] (with its append and `inspect` output) and in every TOML table
/// that compiles something (see `config::build_keys`).
///
/// A row is `/// doc  scope field: Resolved = Toml => resolver(arg);`, in the order setuptools
/// lists the keys. `compiled`: every table accepts it, `[[library]]` included;
/// `linked`: only tables that build a module; `own`: each table declares it itself,
/// since its form or default differs between tables. The resolver is a function of
/// `config::build_keys`.
macro_rules! build_keys {
    ($callback:ident ! ($($state:tt)*)) => {
        $callback! { ($($state)*)
            own sources: Vec<String> = Vec<toml::Spanned<String>> => sources();
            compiled include_dirs: Vec<String> = Vec<toml::Spanned<String>> => paths(SystemOrProject);
            compiled define_macros: Vec<$crate::spec::Define>
                = Vec<toml::Spanned<$crate::config::build_keys::MacroEntry>> => defines();
            compiled undef_macros: Vec<String> = Vec<String> => copied();
            linked libraries: Vec<String> = Vec<String> => copied();
            linked library_dirs: Vec<String> = Vec<toml::Spanned<String>> => paths(SystemOrProject);
            linked runtime_library_dirs: Vec<String> = Vec<toml::Spanned<String>> => paths(SystemOrProject);
            linked extra_objects: Vec<String> = Vec<toml::Spanned<String>> => paths(SystemOrProject);
            compiled extra_compile_args: Vec<String> = Vec<String> => copied();
            linked extra_link_args: Vec<String> = Vec<String> => copied();
            linked depends: Vec<String> = Vec<toml::Spanned<String>> => paths(ProjectFile);
            /// `pkgconfig=[...]` / `set_source_pkgconfig`: requirement strings like `"zlib >= 1.2"`.
            linked pkg_config: Vec<String> = Vec<String> => copied();
            /// `py_limited_api`: `None` = the default (abi3 where possible). Shown by
            /// `inspect` as the module's mode, not among its options.
            own py_limited_api: Option<bool> = Option<bool> => copied();
            /// `stubs = false`: no typed stub (`.pyi`) beside the module in the wheel.
            /// `None` = `[tool.cffi-forge] stubs`, else `true`. CFFI modules only.
            own stubs: Option<bool> = Option<bool> => copied();
        }
    };
}
pub(crate) use build_keys;

/// How a build key's value appends and shows; lists append, a flag given replaces.
pub trait BuildValue {
    fn append(&mut self, extra: &Self);
    /// Whether `inspect` leaves it out of the options it lists.
    fn hidden(&self) -> bool;
    /// Its values as `inspect` lists them.
    fn shown(&self) -> Vec<String>;
    /// The list, when the key is a list of plain strings (as `set_source` takes most).
    fn strings_mut(&mut self) -> Option<&mut Vec<String>> {
        None
    }
}

impl BuildValue for Vec<String> {
    fn append(&mut self, extra: &Self) {
        self.extend(extra.iter().cloned());
    }
    fn hidden(&self) -> bool {
        self.is_empty()
    }
    fn shown(&self) -> Vec<String> {
        self.clone()
    }
    fn strings_mut(&mut self) -> Option<&mut Vec<String>> {
        Some(self)
    }
}

impl BuildValue for Vec<Define> {
    fn append(&mut self, extra: &Self) {
        self.extend(extra.iter().cloned());
    }
    fn hidden(&self) -> bool {
        self.is_empty()
    }
    fn shown(&self) -> Vec<String> {
        self.iter().map(ToString::to_string).collect()
    }
}

impl BuildValue for Option<bool> {
    fn append(&mut self, extra: &Self) {
        if extra.is_some() {
            *self = *extra;
        }
    }
    fn hidden(&self) -> bool {
        true
    }
    fn shown(&self) -> Vec<String> {
        self.iter().map(ToString::to_string).collect()
    }
}

macro_rules! build_options {
    (() $($(#[$attr:meta])* $scope:ident $field:ident : $resolved:ty = $toml:ty => $how:ident($($arg:ident)?);)*) => {
        /// What `set_source(...)` keyword arguments (or their declarative equivalents) say
        /// about compiling and linking. Paths are as the user wrote them, relative to the
        /// project root unless absolute. `inspect` serialises it (empty lists left out).
        #[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
        pub struct BuildOptions {
            $(
                $(#[$attr])*
                #[serde(skip_serializing_if = "BuildValue::hidden")]
                pub $field: $resolved,
            )*
        }

        impl BuildOptions {
            /// Merge `extra` in after what is here (a module's `set_source` arguments come
            /// before its `module-options`): lists append, a flag given replaces.
            pub fn append(&mut self, extra: &BuildOptions) {
                $( BuildValue::append(&mut self.$field, &extra.$field); )*
            }

            /// The build key `field` (`include_dirs`) when it is a list of plain strings.
            pub fn strings_mut(&mut self, field: &str) -> Option<&mut Vec<String>> {
                match field {
                    $( stringify!($field) => BuildValue::strings_mut(&mut self.$field), )*
                    _ => None,
                }
            }

            /// `(key, values)` of the keys that are set, in the order setuptools lists them.
            pub fn entries(&self) -> Vec<(String, Vec<String>)> {
                let mut out = Vec::new();
                $(
                    if !BuildValue::hidden(&self.$field) {
                        out.push((stringify!($field).replace('_', "-"), BuildValue::shown(&self.$field)));
                    }
                )*
                out
            }
        }
    };
}
build_keys!(build_options!());

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Language {
    C,
    Cxx,
}

/// The API-mode half of `set_source(name, source, ...)`.
#[derive(Clone, Debug)]
pub struct CSource {
    /// The C preamble written into the generated file before the generated code.
    pub text: String,
    /// `source_extension`: ".c" (default) or ".cpp"/".cxx"/... for C++.
    pub extension: String,
    /// Where `text` is written in the user's own files (the file and the byte offset of its
    /// first character), when it is there verbatim: compile errors in it point there.
    pub at: Option<(SourceFile, usize)>,
}

impl CSource {
    pub fn language(&self) -> Language {
        if self.extension == ".c" {
            Language::C
        } else {
            Language::Cxx
        }
    }
}

/// Source text that cffi's own emitter produced (`generator = "cffi"`), used instead of
/// the native generator.
#[derive(Clone, Debug)]
pub struct Pregenerated {
    pub code: String,
}

/// How an included FFI was built: from C (`set_source(name, "...")`) or as a
/// Python-only module (`set_source(name, None)`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FfiMode {
    Api,
    Abi,
}

impl FfiMode {
    pub fn as_str(self) -> &'static str {
        match self {
            FfiMode::Api => "api",
            FfiMode::Abi => "abi",
        }
    }
}

/// One `ffi.include(other)` call: the other FFI's declarations, which this module's
/// cdefs may use without declaring them as its own (cffi's `_included_declarations`).
#[derive(Clone, Debug)]
pub struct IncludeSpec {
    /// The module the included FFI is built as; `None` when it was never given
    /// `set_source()` (cffi refuses to generate the including module then).
    pub name: Option<String>,
    pub mode: FfiMode,
    pub cdefs: Vec<CdefSource>,
    /// How many of the including FFI's own cdefs came before this `include()` call.
    pub after_cdefs: usize,
    /// What the included FFI itself included, recursively.
    pub includes: Vec<IncludeSpec>,
}

#[derive(Clone, Debug)]
pub struct ModuleSpec {
    /// Full dotted module name, e.g. `pkg._foo`.
    pub name: String,
    pub origin: ModuleOrigin,
    pub cdefs: Vec<CdefSource>,
    /// `None` = ABI mode (`set_source(name, None)`): a `.py` module used with `ffi.dlopen`.
    pub source: Option<CSource>,
    pub options: BuildOptions,
    /// Set when cffi's own emitter produced the source instead of ours.
    pub pregenerated: Option<Pregenerated>,
    /// Files of the project its build script read (relative to the root), besides the
    /// script itself: what an editable install watches too.
    pub reads: Vec<PathBuf>,
    /// The FFIs this one includes (`ffi.include()`), in call order.
    pub includes: Vec<IncludeSpec>,
    /// An embedding library (`ffi.embedding_api()` was called, or `embedding-api` given).
    pub embedding: Option<Embedding>,
}

/// What makes a module an embedding library (see docs/embedding.md).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Embedding {
    /// The Python init code run when one of its exported functions is first called
    /// (empty when none was given).
    pub init_code: String,
    /// The library's file name pattern, `*` standing for the platform's extension
    /// (`plugin-1.5.*` → `plugin-1.5.so`); `None`: `<module base name>.*`, as cffi.
    pub target: Option<String>,
}

impl ModuleSpec {
    pub fn is_api_mode(&self) -> bool {
        self.source.is_some()
    }

    /// Last component of the dotted name (`_foo` for `pkg._foo`).
    pub fn basename(&self) -> &str {
        self.name.rsplit('.').next().unwrap_or(&self.name)
    }

    /// Package part of the dotted name (`pkg` for `pkg._foo`, empty for top level).
    pub fn package(&self) -> &str {
        self.name.rsplit_once('.').map_or("", |(pkg, _)| pkg)
    }
}

/// Why `name` cannot be the dotted name of a module in a wheel; `None` when it can.
/// Every part must be a Python identifier: a space, newline, `/`, or an empty part
/// (`..evil`, `pkg.`) would give an archive entry nothing can import, or a path that
/// leaves its directory.
pub fn module_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("the name is empty".to_string());
    }
    if let Some(c) = name.chars().find(|c| c.is_control() || c.is_whitespace()) {
        return Some(format!("it holds {}", describe_char(c)));
    }
    if name.split('.').any(str::is_empty) {
        return Some("it has an empty part (a leading, trailing or doubled `.`)".to_string());
    }
    for part in name.split('.') {
        let mut chars = part.chars();
        let first = chars.next().expect("parts are not empty");
        if !(first == '_' || first.is_alphabetic()) {
            return Some(format!("`{part}` does not start with a letter or `_`"));
        }
        if let Some(c) = chars.find(|&c| !(c == '_' || c.is_alphanumeric())) {
            return Some(format!("`{part}` holds {}", describe_char(c)));
        }
    }
    None
}

fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".to_string(),
        '\n' => "a newline".to_string(),
        '\t' => "a tab".to_string(),
        c if c.is_control() || c.is_whitespace() => format!("the character U+{:04X}", u32::from(c)),
        c => format!("`{c}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::module_name_problem;

    #[test]
    fn module_names() {
        for good in ["_foo", "pkg._foo", "pkg.sub._c", "é"] {
            assert_eq!(module_name_problem(good), None, "{good}");
        }
        for (bad, why) in [
            ("..evil", "empty part"),
            ("pkg.", "empty part"),
            ("a b", "a space"),
            ("a\nb", "a newline"),
            ("pkg/x", "`/`"),
            ("1x", "does not start"),
            ("", "empty"),
        ] {
            let problem = module_name_problem(bad).unwrap_or_default();
            assert!(problem.contains(why), "{bad:?}: {problem}");
        }
    }
}
