//! `setup.cfg`, read statically (the INI dialect setuptools reads with `configparser`):
//! sections, `key = value` entries with their continuation lines, each with byte spans
//! so errors point into the file. Nothing is interpreted here beyond the value shapes
//! setuptools gives its options: lists, requirement lists, `key = value` dicts and the
//! `attr:` / `file:` directives.
//!
//! ```
//! # use cffi_forge::config::setup_cfg::SetupCfg;
//! let cfg = SetupCfg::parse("setup.cfg", "[options]\npackages =\n    pkg\n    pkg.sub\n").unwrap();
//! let packages = cfg.get("options", "packages").unwrap().list();
//! assert_eq!(packages.iter().map(|p| p.text.as_str()).collect::<Vec<_>>(), ["pkg", "pkg.sub"]);
//! ```

use std::ops::Range;
use std::path::Path;

use crate::diagnostic::SourceFile;

/// A parsed `setup.cfg`.
#[derive(Clone, Debug)]
pub struct SetupCfg {
    pub file: SourceFile,
    pub sections: Vec<Section>,
}

/// `[name]` and its entries, in file order.
#[derive(Clone, Debug)]
pub struct Section {
    /// As written, trimmed (`options.packages.find`).
    pub name: String,
    /// The span of the header line's name.
    pub span: Range<usize>,
    pub entries: Vec<Entry>,
}

/// One `key = value` (or `key: value`) with its continuation lines.
#[derive(Clone, Debug)]
pub struct Entry {
    /// Lower-case, `-` read as `_` (setuptools accepts both spellings).
    pub key: String,
    pub key_span: Range<usize>,
    /// 1-based line of the key.
    pub line: usize,
    /// Each non-empty line of the value: the text after the separator, then every
    /// continuation line, trimmed, with its span.
    pub lines: Vec<Item>,
}

/// A piece of a value with its place in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub text: String,
    pub span: Range<usize>,
}

/// `attr: module.name` or `file: path, other` (setuptools' directives).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Directive {
    Attr(Item),
    File(Vec<Item>),
}

/// A line that is neither a section header, an entry, a continuation nor a comment.
#[derive(Debug, thiserror::Error)]
#[error("{name}:{line}: {message}")]
pub struct SetupCfgError {
    pub name: String,
    pub line: usize,
    pub span: Range<usize>,
    pub message: String,
    pub file: SourceFile,
}

impl crate::diagnostic::ToDiagnostic for SetupCfgError {
    fn to_diagnostic(&self) -> crate::diagnostic::Diagnostic {
        crate::diagnostic::Diagnostic::error(format!("cannot read {}", self.name)).with_label(
            &self.file,
            self.span.clone(),
            self.message.clone(),
        )
    }
}

fn trimmed_span(line: &str, start: usize) -> Item {
    let lead = line.len() - line.trim_start().len();
    let text = line.trim();
    Item { text: text.to_string(), span: start + lead..start + lead + text.len() }
}

impl SetupCfg {
    /// `root/setup.cfg`, if there is one.
    pub fn load(root: &Path) -> Result<Option<SetupCfg>, super::ConfigError> {
        let path = root.join("setup.cfg");
        let text = match fs_err::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(super::ConfigError::Read { path, source }),
        };
        SetupCfg::parse("setup.cfg", &text).map(Some).map_err(|e| super::ConfigError::SetupCfg(Box::new(e)))
    }

    /// Parse `text`, naming it `name` in errors.
    pub fn parse(name: &str, text: &str) -> Result<SetupCfg, SetupCfgError> {
        let file = SourceFile::new(name, text);
        let mut sections: Vec<Section> = Vec::new();
        let mut offset = 0;
        for (index, raw) in text.split_inclusive('\n').enumerate() {
            let start = offset;
            offset += raw.len();
            let line = raw.trim_end_matches(['\n', '\r']);
            let trimmed = line.trim();
            if trimmed.starts_with('#') || trimmed.starts_with(';') {
                continue;
            }
            let indented = line.starts_with([' ', '\t']);
            // An indented line continues the last entry's value (blank ones too, which
            // carry nothing).
            if indented || trimmed.is_empty() {
                if let Some(entry) = sections.last_mut().and_then(|s| s.entries.last_mut()) {
                    if !trimmed.is_empty() {
                        entry.lines.push(trimmed_span(line, start));
                    }
                    continue;
                }
                if trimmed.is_empty() {
                    continue;
                }
            }
            let error = |message: &str| SetupCfgError {
                name: name.to_string(),
                line: index + 1,
                span: start..start + line.len(),
                message: message.to_string(),
                file: file.clone(),
            };
            if let Some(rest) = trimmed.strip_prefix('[') {
                let Some(inner) = rest.strip_suffix(']') else {
                    return Err(error("a section header needs its closing `]`"));
                };
                let lead = line.len() - line.trim_start().len() + 1;
                let inner_lead = inner.len() - inner.trim_start().len();
                let span_start = start + lead + inner_lead;
                sections.push(Section {
                    name: inner.trim().to_string(),
                    span: span_start..span_start + inner.trim().len(),
                    entries: Vec::new(),
                });
                continue;
            }
            let Some(at) = line.find(['=', ':']) else {
                return Err(error("expected `key = value`, a `[section]` header or a comment"));
            };
            let Some(section) = sections.last_mut() else {
                return Err(error("an entry before the first `[section]` header"));
            };
            let key = trimmed_span(&line[..at], start);
            let mut lines = Vec::new();
            let value = trimmed_span(&line[at + 1..], start + at + 1);
            if !value.text.is_empty() {
                lines.push(value);
            }
            section.entries.push(Entry {
                key: key.text.to_ascii_lowercase().replace('-', "_"),
                key_span: key.span,
                line: index + 1,
                lines,
            });
        }
        Ok(SetupCfg { file, sections })
    }

    /// The section named `name` (the last one, when repeated).
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().rev().find(|s| s.name == name)
    }

    /// `[section] key`.
    pub fn get(&self, section: &str, key: &str) -> Option<&Entry> {
        self.section(section)?.get(key)
    }
}

impl Section {
    /// The entry `key` (`-` and `_` alike; the last one when repeated).
    pub fn get(&self, key: &str) -> Option<&Entry> {
        let key = key.to_ascii_lowercase().replace('-', "_");
        self.entries.iter().rev().find(|e| e.key == key)
    }
}

impl Entry {
    /// The whole value: its lines joined with `\n`.
    pub fn text(&self) -> String {
        self.lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("\n")
    }

    /// The span from the value's first character to its last (the key's span when empty).
    pub fn span(&self) -> Range<usize> {
        match (self.lines.first(), self.lines.last()) {
            (Some(first), Some(last)) => first.span.start..last.span.end,
            _ => self.key_span.clone(),
        }
    }

    /// A list: one item a line, or comma-separated on one line (setuptools'
    /// "list-comma"). Empty items and `#` comment lines are dropped.
    pub fn list(&self) -> Vec<Item> {
        let mut out = Vec::new();
        for line in self.lines.iter().filter(|l| !l.text.starts_with('#')) {
            let mut at = line.span.start;
            for part in line.text.split(',') {
                let item = trimmed_span(part, at);
                at += part.len() + 1;
                if !item.text.is_empty() {
                    out.push(item);
                }
            }
        }
        out
    }

    /// Requirements: one a line, or `;`-separated (commas belong to specifiers).
    pub fn requirements(&self) -> Vec<Item> {
        let mut out = Vec::new();
        for line in self.lines.iter().filter(|l| !l.text.starts_with('#')) {
            let mut at = line.span.start;
            // A `;` followed by a marker keyword is an environment marker, not a separator.
            for part in split_requirements(&line.text) {
                let item = trimmed_span(part, at);
                at += part.len() + 1;
                if !item.text.is_empty() {
                    out.push(item);
                }
            }
        }
        out
    }

    /// `key = value` lines (`package_data`'s `pkg = *.txt, data/*.json`).
    pub fn dict(&self) -> Vec<(Item, Item)> {
        self.lines
            .iter()
            .filter_map(|line| {
                let at = line.text.find('=')?;
                let key = trimmed_span(&line.text[..at], line.span.start);
                let value = trimmed_span(&line.text[at + 1..], line.span.start + at + 1);
                Some((key, value))
            })
            .collect()
    }

    /// `attr: ...` or `file: ...`, if the value is one.
    pub fn directive(&self) -> Option<Directive> {
        let first = self.lines.first()?;
        if let Some(rest) = first.text.strip_prefix("attr:") {
            let offset = first.span.start + "attr:".len();
            return Some(Directive::Attr(trimmed_span(rest, offset)));
        }
        first.text.strip_prefix("file:")?;
        let mut shifted = self.clone();
        let head = &mut shifted.lines[0];
        head.text = head.text["file:".len()..].to_string();
        head.span.start += "file:".len();
        Some(Directive::File(shifted.list()))
    }

    /// configparser's booleans.
    pub fn boolean(&self) -> Option<bool> {
        match self.text().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Some(true),
            "0" | "false" | "no" | "off" => Some(false),
            _ => None,
        }
    }
}

/// `a>=1; b` → `a>=1`, `b`; but `a; python_version < "3.8"` stays whole.
fn split_requirements(line: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    for (at, _) in line.match_indices(';') {
        let after = line[at + 1..].trim_start();
        let marker = ["python_", "sys_platform", "platform_", "os_name", "implementation_", "extra"]
            .iter()
            .any(|m| after.starts_with(m));
        if !marker {
            parts.push(&line[start..at]);
            start = at + 1;
        }
    }
    parts.push(&line[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
# a comment
[metadata]
name = demo
version = attr: demo.__version__
long_description = file: README.md, CHANGES.md

[options]
packages = find:
package-dir =
    = src
py_modules = one, two
install_requires =
    cffi>=1.15
    tomli; python_version < \"3.11\"
    # not a requirement
python_requires = >=3.8
zip_safe = False

[options.package_data]
demo = *.txt, data/*.json
* = py.typed
";

    fn cfg() -> SetupCfg {
        SetupCfg::parse("setup.cfg", TEXT).unwrap()
    }

    #[test]
    fn entries_keep_their_values_and_spans() {
        let cfg = cfg();
        let name = cfg.get("metadata", "name").unwrap();
        assert_eq!(name.text(), "demo");
        assert_eq!(&TEXT[name.span()], "demo");
        assert_eq!(name.line, 3);
        let dir = cfg.get("options", "package_dir").unwrap();
        assert_eq!(dir.dict().len(), 1);
        assert_eq!(dir.dict()[0].0.text, "");
        assert_eq!(dir.dict()[0].1.text, "src");
        assert_eq!(&TEXT[dir.dict()[0].1.span.clone()], "src");
        assert_eq!(cfg.get("options", "zip-safe").unwrap().boolean(), Some(false));
    }

    #[test]
    fn lists_requirements_and_dicts() {
        let cfg = cfg();
        let modules = cfg.get("options", "py_modules").unwrap().list();
        assert_eq!(modules.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(), ["one", "two"]);
        assert_eq!(&TEXT[modules[1].span.clone()], "two");
        let reqs = cfg.get("options", "install_requires").unwrap().requirements();
        assert_eq!(
            reqs.iter().map(|r| r.text.as_str()).collect::<Vec<_>>(),
            ["cffi>=1.15", "tomli; python_version < \"3.11\""]
        );
        let data = cfg.section("options.package_data").unwrap();
        assert_eq!(data.entries.len(), 2);
        assert_eq!(data.entries[1].key, "*");
        let globs = data.get("demo").unwrap().list();
        assert_eq!(globs.iter().map(|g| g.text.as_str()).collect::<Vec<_>>(), ["*.txt", "data/*.json"]);
    }

    #[test]
    fn directives() {
        let cfg = cfg();
        let Some(Directive::Attr(attr)) = cfg.get("metadata", "version").unwrap().directive() else {
            panic!()
        };
        assert_eq!(attr.text, "demo.__version__");
        assert_eq!(&TEXT[attr.span.clone()], "demo.__version__");
        let Some(Directive::File(files)) = cfg.get("metadata", "long_description").unwrap().directive()
        else {
            panic!()
        };
        assert_eq!(files.iter().map(|f| f.text.as_str()).collect::<Vec<_>>(), ["README.md", "CHANGES.md"]);
        assert_eq!(&TEXT[files[0].span.clone()], "README.md");
        assert_eq!(cfg.get("options", "packages").unwrap().directive(), None);
    }

    #[test]
    fn bad_lines_are_errors_with_their_line() {
        let err = SetupCfg::parse("setup.cfg", "[metadata]\nname = x\n[broken\n").unwrap_err();
        assert_eq!(err.line, 3);
        assert!(err.to_string().contains("closing `]`"), "{err}");
        let err = SetupCfg::parse("setup.cfg", "name = x\n").unwrap_err();
        assert!(err.to_string().starts_with("setup.cfg:1: an entry before"), "{err}");
        let err = SetupCfg::parse("setup.cfg", "[a]\njust words\n").unwrap_err();
        assert_eq!(err.line, 2);
    }
}
