//! What the tables that compile something share: `sources` lists with globs,
//! `define-macros` entries and `when` markers. Each helper returns the span of the faulty
//! entry and a message, and the caller names the key in its own error type.

use std::cell::OnceCell;
use std::ops::Range;
use std::path::Path;

use globset::GlobBuilder;
use toml::Spanned;

use super::module_table::MacroEntry;
use super::paths::{outside_problem, PathRole};
use crate::spec::Define;

/// A problem with one entry: where it is in the file, and what is wrong.
pub(crate) type EntryError = (Range<usize>, String);

/// Whether a `sources` entry is a glob rather than a plain path.
fn is_glob(entry: &str) -> bool {
    entry.contains(['*', '?', '[', '{'])
}

/// Expands `sources` entries relative to the project root, in order: a plain path is kept
/// as written (it must name a file), a glob (`csrc/*.c`, `vendor/**/*.c`) becomes the
/// files it matches, sorted, and must match at least one. The tree is walked once, on the
/// first glob.
pub(crate) struct SourceExpander<'a> {
    root: &'a Path,
    files: OnceCell<Vec<String>>,
}

impl<'a> SourceExpander<'a> {
    pub(crate) fn new(root: &'a Path) -> Self {
        SourceExpander { root, files: OnceCell::new() }
    }

    /// The project root the entries are relative to.
    pub(crate) fn root(&self) -> &Path {
        self.root
    }

    fn files(&self) -> &[String] {
        // Every file, ignored or not: a build may compile vendored or generated sources.
        // The walk still skips `.git`, virtual environments and build outputs.
        self.files.get_or_init(|| super::files::walk_tree(self.root, false).unwrap_or_default())
    }

    pub(crate) fn expand(&self, entries: &[Spanned<String>]) -> Result<Vec<String>, EntryError> {
        let mut out = Vec::new();
        for entry in entries {
            let pattern = entry.get_ref().trim_start_matches("./");
            if pattern.is_empty() || pattern.starts_with('/') || pattern.contains('\\') {
                return Err((
                    entry.span(),
                    "expected a path or glob relative to the project root, with `/` separators".into(),
                ));
            }
            if !is_glob(pattern) {
                if let Some(message) = outside_problem(self.root, pattern, PathRole::ProjectFile) {
                    return Err((entry.span(), message));
                }
                if !self.root.join(pattern).is_file() {
                    return Err((entry.span(), format!("no file `{pattern}`")));
                }
                out.push(pattern.to_string());
                continue;
            }
            if super::paths::glob_leaves_project(pattern) {
                return Err((
                    entry.span(),
                    format!("`{pattern}` leaves the project: globs match files inside it"),
                ));
            }
            let glob = GlobBuilder::new(pattern)
                .literal_separator(true)
                .build()
                .map_err(|e| (entry.span(), format!("invalid glob: {}", e.kind())))?
                .compile_matcher();
            let before = out.len();
            // `files()` is sorted by path, so each glob's matches come out sorted.
            out.extend(self.files().iter().filter(|f| glob.is_match(f.as_str())).cloned());
            if out.len() == before {
                return Err((entry.span(), format!("`{pattern}` matches no file")));
            }
            for f in &out[before..] {
                if let Some(target) = super::walk_rules::outside_target(self.root, f) {
                    let message = format!("`{f}` is a symlink to {}, outside the project", target.display());
                    return Err((entry.span(), message));
                }
            }
        }
        Ok(out)
    }
}

/// Path entries (`include-dirs`, `depends`, `library-dirs`, ...) as written, each checked
/// against the project's path rule (see [`super::paths`]).
pub(crate) fn paths(
    root: &Path,
    entries: &[Spanned<String>],
    role: PathRole,
) -> Result<Vec<String>, EntryError> {
    entries
        .iter()
        .map(|entry| match outside_problem(root, entry.get_ref(), role) {
            Some(message) => Err((entry.span(), message)),
            None => Ok(entry.get_ref().clone()),
        })
        .collect()
}

/// `define-macros` entries → [`Define`]s.
pub(crate) fn defines(entries: &[Spanned<MacroEntry>]) -> Result<Vec<Define>, EntryError> {
    entries.iter().map(|entry| entry.get_ref().to_define().map_err(|m| (entry.span(), m))).collect()
}

/// A parsed `when` marker.
pub(crate) fn parse_marker(when: &Spanned<String>) -> Result<pep508_rs::MarkerTree, EntryError> {
    when.get_ref()
        .parse::<pep508_rs::MarkerTree>()
        .map_err(|e| (when.span(), format!("not a valid PEP 508 marker: {}", e.message)))
}

/// Whether a table with this `when` applies to the target (`None`: no target given, every
/// table applies).
pub(crate) fn applies(
    when: Option<&Spanned<String>>,
    target: Option<&pep508_rs::MarkerEnvironment>,
) -> Result<bool, EntryError> {
    match (when, target) {
        (Some(when), Some(env)) => Ok(parse_marker(when)?.evaluate(env, &[])),
        _ => Ok(true),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spanned(values: &[&str]) -> Vec<Spanned<String>> {
        // Spans are positions in a list literal `["a", "b"]`, like the TOML parser gives.
        let text = format!("{values:?}");
        #[derive(serde::Deserialize)]
        struct V {
            v: Vec<Spanned<String>>,
        }
        toml::from_str::<V>(&format!("v = {text}")).unwrap().v
    }

    #[test]
    fn plain_paths_and_sorted_glob_matches_in_entry_order() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["csrc/b.c", "csrc/a.c", "csrc/a.h", "csrc/sub/c.c", "main.c", "build/x.c"] {
            let path = dir.path().join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "").unwrap();
        }
        let expander = SourceExpander::new(dir.path());
        let got = expander.expand(&spanned(&["main.c", "csrc/*.c", "./csrc/**/c.c"])).unwrap();
        assert_eq!(got, ["main.c", "csrc/a.c", "csrc/b.c", "csrc/sub/c.c"]);
        // `*` stays in one directory; build outputs are never sources.
        assert_eq!(expander.expand(&spanned(&["*.c"])).unwrap(), ["main.c"]);
        let (_, message) = expander.expand(&spanned(&["build/*.c"])).unwrap_err();
        assert_eq!(message, "`build/*.c` matches no file");
        let (_, message) = expander.expand(&spanned(&["csrc/nope.c"])).unwrap_err();
        assert_eq!(message, "no file `csrc/nope.c`");
        let (_, message) = expander.expand(&spanned(&["/abs.c"])).unwrap_err();
        assert!(message.starts_with("expected a path"), "{message}");
    }
}
