//! What the tables that compile something share: the build keys of
//! [`crate::spec::build_keys`] spliced into each table by [`build_key_table!`] and resolved
//! by one generated method, `sources` lists with globs, `define-macros` entries and `when`
//! markers. Each helper returns the span of the faulty entry and a message, and the caller
//! names the key in its own error type.

use std::cell::OnceCell;
use std::ops::Range;
use std::path::Path;

use globset::GlobBuilder;
use toml::Spanned;

use super::paths::{outside_problem, PathRole};
use crate::spec::Define;

/// `define-macros` entries: `"NAME"`, `"NAME=VALUE"` or `["NAME", "VALUE"]`.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(untagged)]
pub enum MacroEntry {
    Text(String),
    Pair(Vec<String>),
}

impl MacroEntry {
    pub fn to_define(&self) -> Result<Define, String> {
        match self {
            MacroEntry::Text(s) => Ok(match s.split_once('=') {
                Some((name, value)) => Define { name: name.to_string(), value: Some(value.to_string()) },
                None => Define { name: s.clone(), value: None },
            }),
            MacroEntry::Pair(v) => match v.as_slice() {
                [name] => Ok(Define { name: name.clone(), value: None }),
                [name, value] => Ok(Define { name: name.clone(), value: Some(value.clone()) }),
                _ => Err(format!("expected [\"NAME\"] or [\"NAME\", \"VALUE\"], got {} items", v.len())),
            },
        }
    }
}

/// A TOML table that compiles something, with the build keys spliced in after the
/// table's own leading fields. `#[serde(flatten)]` cannot share them: serde cannot combine
/// it with `deny_unknown_fields` (which the "did you mean" errors rely on) and flattened
/// fields lose their `toml::Spanned` spans.
///
/// `pub struct Name: linked { head fields } then { tail fields }`: `linked` takes every
/// key, `compiled` only those a static library uses. The table declares `sources` (and
/// `py_limited_api` if it takes it) itself; the generated `resolve_build_keys` resolves
/// every key but `py_limited_api`, naming the faulty key in its error.
macro_rules! build_key_table {
    ($(#[$meta:meta])* pub struct $name:ident: $scope:ident { $($head:tt)* } then { $($tail:tt)* }) => {
        crate::spec::build_keys!(build_key_table!(@munch $scope ($(#[$meta])* ; $name ; {$($head)*} ; {$($tail)*}) []));
    };
    // Keep or drop the first row, by its scope and the table's.
    ((@munch $s:ident $ctx:tt [$($acc:tt)*]) $(#[$attr:meta])* own $field:ident : $r:ty = $raw:ty => $how:ident($($arg:ident)?); $($rest:tt)*) => {
        build_key_table! { (@munch $s $ctx [$($acc)*]) $($rest)* }
    };
    ((@munch linked $ctx:tt [$($acc:tt)*]) $(#[$attr:meta])* $rs:ident $field:ident : $r:ty = $raw:ty => $how:ident($($arg:ident)?); $($rest:tt)*) => {
        build_key_table! { (@munch linked $ctx [$($acc)* $field: $raw => $how($($arg)?);]) $($rest)* }
    };
    ((@munch compiled $ctx:tt [$($acc:tt)*]) $(#[$attr:meta])* compiled $field:ident : $r:ty = $raw:ty => $how:ident($($arg:ident)?); $($rest:tt)*) => {
        build_key_table! { (@munch compiled $ctx [$($acc)* $field: $raw => $how($($arg)?);]) $($rest)* }
    };
    ((@munch compiled $ctx:tt [$($acc:tt)*]) $(#[$attr:meta])* linked $field:ident : $r:ty = $raw:ty => $how:ident($($arg:ident)?); $($rest:tt)*) => {
        build_key_table! { (@munch compiled $ctx [$($acc)*]) $($rest)* }
    };
    // Every row seen: the table and its resolve.
    ((@munch $s:ident ($(#[$meta:meta])* ; $name:ident ; {$($head:tt)*} ; {$($tail:tt)*})
        [$($field:ident : $raw:ty => $how:ident($($arg:ident)?);)*])) => {
        $(#[$meta])*
        #[derive(Clone, Debug, serde::Deserialize)]
        #[serde(rename_all = "kebab-case", deny_unknown_fields)]
        pub struct $name {
            $($head)*
            $( #[serde(default)] pub $field: $raw, )*
            $($tail)*
        }

        impl $name {
            /// The build keys as [`BuildOptions`](crate::spec::BuildOptions) (`py_limited_api`
            /// left unset), `sources` expanded; an error names its key (`include-dirs`).
            pub(crate) fn resolve_build_keys(
                &self,
                sources: &$crate::config::build_keys::SourceExpander,
            ) -> Result<crate::spec::BuildOptions, (String, $crate::config::build_keys::EntryError)> {
                #[allow(unused_imports)]
                use $crate::config::build_keys::{copied, defines, paths, SourceList};
                #[allow(unused_imports)]
                use $crate::config::paths::PathRole::*;
                let root = sources.root();
                Ok(crate::spec::BuildOptions {
                    sources: sources.expand(self.sources.entries()).map_err(|e| ("sources".to_string(), e))?,
                    $( $field: $how(root, &self.$field $(, $arg)?)
                        .map_err(|e| (stringify!($field).replace('_', "-"), e))?, )*
                    ..Default::default()
                })
            }
        }
    };
}
pub(crate) use build_key_table;

/// The `sources` of a table: optional (`Vec`) or required (`Spanned<Vec>`).
pub(crate) trait SourceList {
    fn entries(&self) -> &[Spanned<String>];
}

impl SourceList for Vec<Spanned<String>> {
    fn entries(&self) -> &[Spanned<String>] {
        self
    }
}

impl SourceList for Spanned<Vec<Spanned<String>>> {
    fn entries(&self) -> &[Spanned<String>] {
        self.get_ref()
    }
}

/// A key whose value is used as written.
pub(crate) fn copied<T: Clone>(_root: &Path, value: &T) -> Result<T, EntryError> {
    Ok(value.clone())
}

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
pub(crate) fn defines(_root: &Path, entries: &[Spanned<MacroEntry>]) -> Result<Vec<Define>, EntryError> {
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
