//! The declarative module table, `[[tool.cffi-forge.module]]` in `pyproject.toml` and
//! `[[module]]` in a generator spec file (`cffi-forge generate-c SPEC.toml ...`). One
//! schema serves both, so a spec that works with `generate-c` works in a project.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

pub use super::build_keys::MacroEntry;
use super::build_keys::{self, build_key_table};
use super::paths::{outside_problem, PathRole};
use crate::diagnostic::{Diagnostic, SourceFile, ToDiagnostic};
use crate::spec::{
    CSource, CdefOptions, CdefSource, Embedding, FfiMode, IncludeSpec, ModuleOrigin, ModuleSpec, TableRef,
};

/// `cdef-file = "a.h"` or `cdef-file = ["a.h", "b.h"]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

/// One `[[module.cdefs]]` entry: a cdef with its options (one `ffi.cdef()` call).
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct CdefTable {
    pub source: Option<Spanned<String>>,
    pub file: Option<Spanned<String>>,
    #[serde(default)]
    pub packed: bool,
    pub pack: Option<u32>,
    #[serde(default, rename = "override")]
    pub override_: bool,
}

/// One entry of a module's `include` list: another module of the same project by
/// name (`include = ["pkg._base"]`), or the included FFI spelled out
/// (`[[module.include]]`, as a generator spec describes `ffi.include(other)`).
#[derive(Clone, Debug)]
pub enum IncludeEntry {
    Name(String),
    Table(Box<IncludeTable>),
}

// By hand rather than `#[serde(untagged)]`: an untagged enum buffers its input, which
// loses the spans of the `Spanned` values inside the table.
impl<'de> Deserialize<'de> for IncludeEntry {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entry;
        impl<'de> serde::de::Visitor<'de> for Entry {
            type Value = IncludeEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a module name or an include table")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<IncludeEntry, E> {
                Ok(IncludeEntry::Name(v.to_string()))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<IncludeEntry, A::Error> {
                let table = IncludeTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))?;
                Ok(IncludeEntry::Table(Box::new(table)))
            }
        }
        deserializer.deserialize_any(Entry)
    }
}

/// `[[module.include]]`: an included FFI's module name, mode and declarations.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct IncludeTable {
    /// The module it is built as; absent: never given `set_source()`.
    pub name: Option<Spanned<String>>,
    /// `"api"` (default) or `"abi"`.
    pub mode: Option<Spanned<String>>,
    pub cdef: Option<Spanned<String>>,
    pub cdef_file: Option<Spanned<OneOrMany>>,
    pub cdefs: Option<Vec<CdefTable>>,
    /// How many of the including module's own cdefs come before this include.
    #[serde(default)]
    pub after_cdefs: usize,
    #[serde(default)]
    pub include: Vec<IncludeTable>,
}

build_key_table! {
    /// `[[module]]` / `[[tool.cffi-forge.module]]`.
    pub struct ModuleTable: linked {
        pub name: Spanned<String>,
        pub cdef: Option<Spanned<String>>,
        pub cdef_file: Option<Spanned<OneOrMany>>,
        pub cdefs: Option<Vec<CdefTable>>,
        /// `ffi.include()`: other modules whose declarations this one uses.
        pub include: Option<Vec<Spanned<IncludeEntry>>>,
        pub source: Option<Spanned<String>>,
        pub source_file: Option<Spanned<String>>,
        pub source_extension: Option<String>,
        /// Paths or globs (`csrc/*.c`) relative to the project root (the spec file's folder).
        #[serde(default)]
        pub sources: Vec<Spanned<String>>,
        /// `ffi.embedding_api()`: the functions an embedding library exports, run in Python.
        pub embedding_api: Option<Spanned<String>>,
        /// `ffi.embedding_init_code()`: Python run at the library's first call.
        pub embedding_init_code: Option<Spanned<String>>,
        /// The init code, from a file of the project.
        pub embedding_init_code_file: Option<Spanned<String>>,
        /// The embedding library's file name, `*` for the platform's extension
        /// (`ffi.compile(target=...)`).
        pub target: Option<Spanned<String>>,
    } then {
        pub py_limited_api: Option<bool>,
        /// `false`: ship no typed stub (`.pyi`) for this module.
        pub stubs: Option<bool>,
        /// PEP 508 marker; the table is skipped when it is false for the target interpreter.
        pub when: Option<Spanned<String>>,
    }
}

/// A generator spec file: exactly the `[[module]]` tables.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecFile {
    pub module: Vec<ModuleTable>,
}

#[derive(Debug, thiserror::Error)]
pub enum ModuleTableError {
    #[error("{}: {message}", file.name)]
    Toml { file: SourceFile, span: Option<std::ops::Range<usize>>, message: String, help: Option<String> },
    #[error("{key}: {message}")]
    Invalid { key: String, file: SourceFile, span: std::ops::Range<usize>, message: String },
    #[error("{key}: cannot read `{}`: {source}", path.display())]
    Read { key: String, path: PathBuf, source: std::io::Error },
}

impl ToDiagnostic for ModuleTableError {
    fn to_diagnostic(&self) -> Diagnostic {
        match self {
            ModuleTableError::Toml { file, span, message, help } => {
                let d = Diagnostic::error(format!("invalid {}", file.name));
                let d = match span {
                    Some(span) => d.with_label(file, span.clone(), message.clone()),
                    None => d.with_note(message.clone()),
                };
                match help {
                    Some(help) => d.with_help(help.clone()),
                    None => d,
                }
            }
            ModuleTableError::Invalid { key, file, span, message } => {
                Diagnostic::error(format!("invalid `{key}`")).with_label(file, span.clone(), message.clone())
            }
            ModuleTableError::Read { .. } => Diagnostic::error(self.to_string()),
        }
    }
}

/// Where the string value at `span` (including its quotes) starts, if the file holds the
/// value verbatim there (literal strings and escape-free basic strings); errors then point
/// into the real file. Otherwise `None` and errors point into the value itself.
fn verbatim_offset(file: &SourceFile, span: &std::ops::Range<usize>, value: &str) -> Option<usize> {
    let raw = file.text.get(span.clone())?;
    for quote in ["'''", "\"\"\"", "'", "\""] {
        if let Some(rest) = raw.strip_prefix(quote) {
            let mut start = span.start + quote.len();
            // A newline right after an opening triple quote is not part of the value.
            if quote.len() == 3 {
                if rest.starts_with("\r\n") {
                    start += 2;
                } else if rest.starts_with('\n') {
                    start += 1;
                }
            }
            return (file.text.get(start..start + value.len()) == Some(value)).then_some(start);
        }
    }
    None
}

/// What reading one table needs: how it is named in messages (`key`, e.g.
/// `tool.cffi-forge.module[0]`), the file it is in, and the folder its paths are
/// relative to.
struct TableContext<'a> {
    key: &'a str,
    file: &'a SourceFile,
    root: &'a Path,
}

impl TableContext<'_> {
    fn invalid(&self, field: &str, span: std::ops::Range<usize>, message: String) -> ModuleTableError {
        ModuleTableError::Invalid {
            key: format!("{}.{field}", self.key),
            file: self.file.clone(),
            span,
            message,
        }
    }

    /// A file the table names, relative to the root. Checked before reading: an
    /// absolute `/dev/zero` or a FIFO would never end.
    fn read(
        &self,
        field: &str,
        rel: &str,
        span: std::ops::Range<usize>,
    ) -> Result<(String, SourceFile), ModuleTableError> {
        if let Some(message) = outside_problem(self.root, rel, PathRole::ProjectFile) {
            return Err(self.invalid(field, span, message));
        }
        let path = self.root.join(rel);
        if path.exists() && !path.is_file() {
            return Err(self.invalid(field, span, format!("`{rel}` is not a regular file")));
        }
        let text = fs_err::read_to_string(&path).map_err(|source| ModuleTableError::Read {
            key: format!("{}.{field}", self.key),
            path: path.clone(),
            source,
        })?;
        Ok((text.clone(), SourceFile::new(rel, text)))
    }

    fn inline(&self, field: &str, value: &Spanned<String>, options: CdefOptions) -> CdefSource {
        let text = value.get_ref().clone();
        match verbatim_offset(self.file, &value.span(), &text) {
            Some(offset) => CdefSource { text, file: self.file.clone(), offset, options },
            None => {
                let mut c =
                    CdefSource::standalone(format!("{} ({}.{field})", self.file.name, self.key), text);
                c.options = options;
                c
            }
        }
    }

    /// The cdefs of a table's `cdef`, `cdef-file` or `[[cdefs]]` (at most one of them);
    /// `prefix` names the table inside the module's (`include[0].`).
    fn cdefs(
        &self,
        prefix: &str,
        name_span: std::ops::Range<usize>,
        cdef: &Option<Spanned<String>>,
        cdef_file: &Option<Spanned<OneOrMany>>,
        tables: &Option<Vec<CdefTable>>,
    ) -> Result<Vec<CdefSource>, ModuleTableError> {
        let given = [cdef.is_some(), cdef_file.is_some(), tables.is_some()];
        if given.iter().filter(|g| **g).count() > 1 {
            return Err(self.invalid(
                &format!("{prefix}cdef"),
                name_span,
                "give only one of `cdef`, `cdef-file` and `[[cdefs]]`".into(),
            ));
        }
        let mut cdefs = Vec::new();
        if let Some(cdef) = cdef {
            cdefs.push(self.inline(&format!("{prefix}cdef"), cdef, CdefOptions::default()));
        }
        if let Some(files) = cdef_file {
            for rel in files.get_ref().to_vec() {
                let (text, source_file) = self.read(&format!("{prefix}cdef-file"), &rel, files.span())?;
                cdefs.push(CdefSource {
                    text,
                    file: source_file,
                    offset: 0,
                    options: CdefOptions::default(),
                });
            }
        }
        for (i, table) in tables.iter().flatten().enumerate() {
            let options = CdefOptions {
                packed: table.packed,
                pack: table.pack,
                override_: table.override_,
                dllexport: false,
            };
            let field = format!("{prefix}cdefs[{i}]");
            match (&table.source, &table.file) {
                (Some(source), None) => cdefs.push(self.inline(&format!("{field}.source"), source, options)),
                (None, Some(rel)) => {
                    let (text, source_file) =
                        self.read(&format!("{field}.file"), rel.get_ref(), rel.span())?;
                    cdefs.push(CdefSource { text, file: source_file, offset: 0, options });
                }
                (Some(source), Some(_)) => {
                    return Err(self.invalid(
                        &field,
                        source.span(),
                        "give `source` or `file`, not both".into(),
                    ))
                }
                (None, None) => {
                    return Err(self.invalid(
                        &field,
                        name_span,
                        "each `[[cdefs]]` entry needs `source` or `file`".into(),
                    ))
                }
            }
        }
        Ok(cdefs)
    }

    /// A `[[include]]` table (`field`: `include[0]`, `include[0].include[1]`, ...).
    fn include(
        &self,
        field: &str,
        table: &IncludeTable,
        module_span: std::ops::Range<usize>,
    ) -> Result<IncludeSpec, ModuleTableError> {
        let span = table.name.as_ref().map_or(module_span, Spanned::span);
        let mode = match table.mode.as_ref().map(|m| m.get_ref().as_str()) {
            None | Some("api") => FfiMode::Api,
            Some("abi") => FfiMode::Abi,
            Some(other) => {
                let at = table.mode.as_ref().map_or(span.clone(), Spanned::span);
                return Err(self.invalid(
                    &format!("{field}.mode"),
                    at,
                    format!("expected \"api\" or \"abi\", not {other:?}"),
                ));
            }
        };
        if let Some(name) = &table.name {
            if let Some(problem) = crate::spec::module_name_problem(name.get_ref()) {
                return Err(self.invalid(
                    &format!("{field}.name"),
                    name.span(),
                    format!("expected a dotted Python module name like `pkg._foo`: {problem}"),
                ));
            }
        }
        let cdefs =
            self.cdefs(&format!("{field}."), span.clone(), &table.cdef, &table.cdef_file, &table.cdefs)?;
        let mut includes = Vec::new();
        for (i, nested) in table.include.iter().enumerate() {
            includes.push(self.include(&format!("{field}.include[{i}]"), nested, span.clone())?);
        }
        Ok(IncludeSpec {
            name: table.name.as_ref().map(|n| n.get_ref().clone()),
            mode,
            cdefs,
            after_cdefs: table.after_cdefs,
            includes,
        })
    }
}

impl ModuleTable {
    /// `key` is how the table is named in messages, e.g. `tool.cffi-forge.module[0]`.
    /// Files named by the table are read relative to `root`.
    pub fn to_spec(
        &self,
        index: usize,
        key: &str,
        file: &SourceFile,
        root: &Path,
    ) -> Result<ModuleSpec, ModuleTableError> {
        let cx = TableContext { key, file, root };
        let invalid =
            |field: &str, span: std::ops::Range<usize>, message: String| cx.invalid(field, span, message);
        let read = |field: &str, rel: &str, span: std::ops::Range<usize>| cx.read(field, rel, span);

        let name = self.name.get_ref();
        if let Some(problem) = crate::spec::module_name_problem(name) {
            return Err(invalid(
                "name",
                self.name.span(),
                format!("expected a dotted Python module name like `pkg._foo`: {problem}"),
            ));
        }

        let mut cdefs = cx.cdefs("", self.name.span(), &self.cdef, &self.cdef_file, &self.cdefs)?;
        if let Some(api) = &self.embedding_api {
            let options = CdefOptions { dllexport: true, ..CdefOptions::default() };
            cdefs.push(cx.inline("embedding-api", api, options));
        }
        if cdefs.is_empty() {
            return Err(invalid(
                "cdef",
                self.name.span(),
                "a module needs `cdef`, `cdef-file`, `[[cdefs]]` or `embedding-api`".into(),
            ));
        }
        let mut includes = Vec::new();
        for (i, entry) in self.include.iter().flatten().enumerate() {
            includes.push(match entry.get_ref() {
                IncludeEntry::Table(table) => {
                    cx.include(&format!("include[{i}]"), table, self.name.span())?
                }
                // Another module of the project: filled in by `config::include::resolve`.
                IncludeEntry::Name(other) => IncludeSpec {
                    name: Some(other.clone()),
                    mode: FfiMode::Api,
                    cdefs: Vec::new(),
                    after_cdefs: 0,
                    includes: Vec::new(),
                },
            });
        }
        let init_code_file = match &self.embedding_init_code_file {
            Some(rel) => Some(cx.read("embedding-init-code-file", rel.get_ref(), rel.span())?.0),
            None => None,
        };
        let embedding = self.embedding(&invalid, init_code_file)?;

        let source_at = match (&self.source, &self.source_file) {
            (Some(_), Some(sf)) => {
                return Err(invalid(
                    "source-file",
                    sf.span(),
                    "give `source` or `source-file`, not both".into(),
                ))
            }
            (Some(s), None) => {
                let text = s.get_ref().clone();
                let at = verbatim_offset(file, &s.span(), &text).map(|offset| (file.clone(), offset));
                Some((text, at))
            }
            (None, Some(sf)) => {
                let (text, source_file) = read("source-file", sf.get_ref(), sf.span())?;
                Some((text, Some((source_file, 0))))
            }
            (None, None) => None,
        };
        let extension = self.source_extension.clone().unwrap_or_else(|| ".c".to_string());
        let source = source_at.map(|(text, at)| CSource { text, extension, at });

        let mut options = self
            .resolve_build_keys(&build_keys::SourceExpander::new(root))
            .map_err(|(field, (span, m))| invalid(&field, span, m))?;
        options.py_limited_api = self.py_limited_api;
        options.stubs = self.stubs;
        if embedding.is_some() {
            if source.is_none() {
                return Err(invalid(
                    "embedding-api",
                    self.name.span(),
                    "an embedding library is built in API mode: give `source` or `source-file` \
                     (it may be empty)"
                        .into(),
                ));
            }
            // The runtime uses the full C API (cffi's docs: no Py_LIMITED_API here).
            options.py_limited_api = Some(false);
        }
        Ok(ModuleSpec {
            name: name.clone(),
            origin: ModuleOrigin::Declarative { table: TableRef::Module(index) },
            cdefs,
            source,
            options,
            pregenerated: None,
            reads: Vec::new(),
            includes,
            embedding,
        })
    }

    /// The embedding keys: `None` without `embedding-api`, where the others are errors.
    fn embedding(
        &self,
        invalid: &dyn Fn(&str, std::ops::Range<usize>, String) -> ModuleTableError,
        init_code_file: Option<String>,
    ) -> Result<Option<Embedding>, ModuleTableError> {
        let others = [
            ("embedding-init-code", self.embedding_init_code.as_ref().map(|s| s.span())),
            ("embedding-init-code-file", self.embedding_init_code_file.as_ref().map(|s| s.span())),
            ("target", self.target.as_ref().map(|s| s.span())),
        ];
        if self.embedding_api.is_none() {
            if let Some((key, Some(span))) = others.into_iter().find(|(_, span)| span.is_some()) {
                return Err(invalid(
                    key,
                    span,
                    "only an embedding library (`embedding-api`) takes this".into(),
                ));
            }
            return Ok(None);
        }
        let init_code = match (&self.embedding_init_code, &self.embedding_init_code_file) {
            (Some(_), Some(file)) => {
                return Err(invalid(
                    "embedding-init-code-file",
                    file.span(),
                    "give `embedding-init-code` or `embedding-init-code-file`, not both".into(),
                ))
            }
            (Some(code), None) => normalize_init_code(code.get_ref()),
            (None, Some(_)) => normalize_init_code(&init_code_file.unwrap_or_default()),
            (None, None) => String::new(),
        };
        let target = match &self.target {
            Some(target) => {
                let name = target.get_ref();
                if name.is_empty() || name.contains(['/', '\\']) || name == "*" {
                    return Err(invalid(
                        "target",
                        target.span(),
                        "expected a file name like `plugin-1.5.*` (`*`: the platform's extension)".into(),
                    ));
                }
                Some(name.clone())
            }
            None => None,
        };
        Ok(Some(Embedding { init_code, target }))
    }
}

/// What cffi's `embedding_init_code()` does to the code before storing it: blank lines at
/// the start dropped (so line numbers count from the first line of code), the indentation
/// common to every non-blank line removed, each line ended by a newline.
fn normalize_init_code(code: &str) -> String {
    let mut code = code;
    // Leading whitespace up to and including the last newline before the first code.
    let leading = code.len() - code.trim_start().len();
    if let Some(newline) = code[..leading].rfind('\n') {
        code = &code[newline + 1..];
    }
    let lines: Vec<&str> = code.lines().collect();
    let Some(first) = lines.first() else { return "\n".to_string() };
    let mut prefix = &first[..first.len() - first.trim_start().len()];
    for line in &lines[1..] {
        if !line.trim_end().is_empty() {
            while !line.starts_with(prefix) {
                prefix = &prefix[..prefix.len() - 1];
            }
        }
    }
    lines.iter().map(|line| format!("{}\n", line.get(prefix.len()..).unwrap_or(""))).collect()
}

fn toml_error(file: &SourceFile, error: &toml::de::Error) -> ModuleTableError {
    let (message, help) = super::explain_toml_message(error.message());
    ModuleTableError::Toml { file: file.clone(), span: error.span(), message, help }
}

/// Read a generator spec file and return the module called `module`.
pub fn load_spec_file(path: &Path, module: &str) -> Result<ModuleSpec, ModuleTableError> {
    let text = fs_err::read_to_string(path).map_err(|source| ModuleTableError::Read {
        key: "spec".into(),
        path: path.to_path_buf(),
        source,
    })?;
    let file = SourceFile::new(path.display().to_string(), text.as_str());
    let spec: SpecFile = toml::from_str(&text).map_err(|e| toml_error(&file, &e))?;
    let root = path.parent().unwrap_or(Path::new("."));
    if let Some(index) = spec.module.iter().position(|t| t.name.get_ref() == module) {
        let key = |i: usize| format!("module[{i}]");
        let uses_names =
            spec.module[index].include.iter().flatten().any(|e| matches!(e.get_ref(), IncludeEntry::Name(_)));
        if !uses_names {
            return spec.module[index].to_spec(index, &key(index), &file, root);
        }
        // `include = ["other"]` names another [[module]] of the spec file.
        let mut specs = Vec::new();
        for (i, table) in spec.module.iter().enumerate() {
            specs.push(table.to_spec(i, &key(i), &file, root)?);
        }
        super::include::resolve(&mut specs, &spec.module, &file, key)?;
        return Ok(specs.into_iter().find(|s| s.name == module).expect("the module is among them"));
    }
    let names: Vec<String> = spec.module.iter().map(|t| format!("`{}`", t.name.get_ref())).collect();
    Err(ModuleTableError::Toml {
        file,
        span: None,
        message: format!("no [[module]] named `{module}`"),
        help: (!names.is_empty()).then(|| format!("the spec defines {}", names.join(", "))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ModuleSpec, ModuleTableError> {
        let file = SourceFile::new("spec.toml", text);
        let spec: SpecFile = toml::from_str(text).map_err(|e| toml_error(&file, &e))?;
        spec.module[0].to_spec(0, "module[0]", &file, Path::new("."))
    }

    #[test]
    fn embedding_keys_make_an_embedding_library() {
        let text = "[[module]]\nname = \"_plugin\"\nembedding-api = \"int f(int);\"\nsource = \"\"\n\
                    target = \"plugin-1.5.*\"\nembedding-init-code = '''\n\n    import sys\n\n    x = 1\n'''\n";
        let spec = parse(text).unwrap();
        assert!(spec.cdefs[0].options.dllexport);
        let embedding = spec.embedding.unwrap();
        // cffi's normalisation: leading blank lines dropped, common indentation removed.
        assert_eq!(embedding.init_code, "import sys\n\nx = 1\n");
        assert_eq!(embedding.target.as_deref(), Some("plugin-1.5.*"));
        assert_eq!(spec.options.py_limited_api, Some(false));
    }

    #[test]
    fn embedding_keys_without_embedding_api_are_errors() {
        let err =
            parse("[[module]]\nname = \"_m\"\ncdef = \"int f(int);\"\nsource = \"\"\ntarget = \"x.*\"\n")
                .unwrap_err();
        assert_eq!(
            err.to_string(),
            "module[0].target: only an embedding library (`embedding-api`) takes this"
        );
        let err = parse("[[module]]\nname = \"_m\"\nembedding-api = \"int f(int);\"\n").unwrap_err();
        assert!(err.to_string().contains("API mode"), "{err}");
        let err = parse(
            "[[module]]\nname = \"_m\"\nembedding-api = \"int f(int);\"\nsource = \"\"\ntarget = \"a/b.*\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("module[0].target: expected a file name"), "{err}");
    }

    #[test]
    fn inline_cdef_points_into_the_file() {
        let text = "[[module]]\nname = \"pkg._x\"\ncdef = '''\nint f(int);\n'''\nsource = \"int f(int x) { return x; }\"\n";
        let spec = parse(text).unwrap();
        assert_eq!(spec.name, "pkg._x");
        assert_eq!(spec.cdefs[0].text, "int f(int);\n");
        assert_eq!(&spec.cdefs[0].file.text[spec.cdefs[0].offset..][..11], "int f(int);");
        assert!(spec.is_api_mode());
    }

    #[test]
    fn cdefs_tables_keep_options_in_order() {
        let text = "[[module]]\nname = \"_m\"\n[[module.cdefs]]\nsource = \"struct a { char c; int i; };\"\npacked = true\n[[module.cdefs]]\nsource = \"int x;\"\noverride = true\n";
        let spec = parse(text).unwrap();
        assert!(!spec.is_api_mode());
        assert!(spec.cdefs[0].options.packed);
        assert!(spec.cdefs[1].options.override_);
    }

    #[test]
    fn unknown_key_is_an_error_with_a_span() {
        let err = parse("[[module]]\nname = \"_m\"\ncdef = \"\"\nlibrary = []\n").unwrap_err();
        let text = err.to_diagnostic().render(false);
        assert!(text.contains("unknown key `library`"), "{text}");
        assert!(text.contains("spec.toml:4:1"), "{text}");
        assert!(text.contains("help: did you mean `libraries`?"), "{text}");
    }

    #[test]
    fn bad_module_name() {
        let err = parse("[[module]]\nname = \"pkg.1x\"\ncdef = \"\"\n").unwrap_err();
        assert!(err.to_diagnostic().render(false).contains("module[0].name"));
    }
}
