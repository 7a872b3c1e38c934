//! The project's files: one walk of the tree that sdists and wheels select from (the
//! Python layout built on it is in [`super::layout`]).
//!
//! The walk skips what never belongs in a distribution (`.git`, virtual environments,
//! `__pycache__`, build outputs, compiled leftovers of in-place builds, hidden and
//! `.gitignore`d files), then applies `[tool.cffi-forge] include` / `exclude`. Because
//! the sdist holds exactly these files, walking an unpacked sdist gives the same list,
//! which is what makes a wheel built from the sdist identical to one built from the tree.

use std::collections::BTreeSet;
use std::path::Path;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use ignore::{DirEntry, WalkBuilder};

use super::{walk_rules, ConfigError, ToolConfig};
use crate::diagnostic::SourceFile;

/// Directories skipped at the project root only: build outputs.
const ROOT_OUTPUT_DIRS: &[&str] = &["build", "dist", "target", "wheelhouse"];

/// Compile one `include`/`exclude`/`license-files` glob. A pattern without `/` matches a
/// file name at any depth (like `.gitignore`); one with `/` (a leading `/` included) is
/// relative to the project root; a trailing `/` is ignored (directories match anyway). `*` stays within one path component, `**` crosses them.
pub(crate) fn compile_glob(pattern: &str) -> Result<Glob, globset::Error> {
    let without_dir_mark = pattern.trim_start_matches("./").trim_end_matches('/');
    let trimmed = without_dir_mark.trim_start_matches('/');
    let anchored = if without_dir_mark.contains('/') { trimmed.to_string() } else { format!("**/{trimmed}") };
    GlobBuilder::new(&anchored).literal_separator(true).build()
}

/// A set of globs matching a path or any of its parent directories.
#[derive(Clone, Debug)]
pub(crate) struct Globs(GlobSet);

impl Globs {
    pub(crate) fn new<'a>(patterns: impl IntoIterator<Item = &'a str>) -> Result<Self, globset::Error> {
        let mut builder = GlobSetBuilder::new();
        for pattern in patterns {
            builder.add(compile_glob(pattern)?);
        }
        Ok(Globs(builder.build()?))
    }

    /// Whether `path` (relative, `/`-separated) or a directory above it matches.
    pub(crate) fn matches(&self, path: &str) -> bool {
        if self.0.is_match(path) {
            return true;
        }
        let mut prefix = path;
        while let Some((parent, _)) = prefix.rsplit_once('/') {
            if self.0.is_match(parent) {
                return true;
            }
            prefix = parent;
        }
        false
    }
}

/// Whether a file looks like the output of an in-place build (never packaged from the
/// tree: the build produces its own).
fn is_build_leftover(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let extension_module = (lower.ends_with(".so") || lower.ends_with(".dylib"))
        && [".abi3.", ".abi3-", ".abi3t.", ".abi3t-", ".cpython-", ".pypy"]
            .iter()
            .any(|tag| lower.contains(tag));
    extension_module || [".pyc", ".pyo", ".pyd", ".o", ".obj", ".whl"].iter().any(|ext| lower.ends_with(ext))
}

/// Directories never walked, at any depth.
fn is_skipped_dir(entry: &DirEntry) -> bool {
    let name = entry.file_name().to_string_lossy();
    name == "__pycache__"
        || name == ".git"
        || name == "node_modules"
        || name.ends_with(".egg-info")
        || name.ends_with(".dist-info")
        || entry.path().join("pyvenv.cfg").is_file()
        || (entry.depth() == 1 && ROOT_OUTPUT_DIRS.contains(&name.as_ref()))
}

pub(super) fn walk_tree(root: &Path, standard_ignores: bool) -> Result<Vec<String>, ConfigError> {
    if standard_ignores && walk_rules::has_special_gitignore(root) {
        return Err(walk_rules::special_gitignore_at_root(root));
    }
    let mut builder = WalkBuilder::new(root);
    let walk_root = root.to_path_buf();
    builder
        .standard_filters(false)
        .hidden(standard_ignores)
        .git_ignore(standard_ignores)
        .require_git(false)
        .parents(false)
        .follow_links(false)
        .sort_by_file_name(|a, b| a.cmp(b))
        .filter_entry(move |entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            if is_dir {
                if entry.depth() == 0 || is_skipped_dir(entry) {
                    return entry.depth() == 0;
                }
                if standard_ignores && walk_rules::has_special_gitignore(entry.path()) {
                    walk_rules::warn_special_gitignore(&walk_root, entry.path());
                    return false;
                }
                true
            } else {
                !is_build_leftover(&entry.file_name().to_string_lossy())
            }
        });
    let mut out = Vec::new();
    for entry in builder.build() {
        let entry = entry.map_err(|e| ConfigError::Read {
            path: root.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        })?;
        let Some(file_type) = entry.file_type() else { continue };
        if file_type.is_dir() {
            continue;
        }
        // Symlinks to files are packaged as the file they point to; to directories, not at
        // all; special files never (see `walk_rules`).
        match walk_rules::classify(entry.path(), file_type) {
            walk_rules::Verdict::Keep => {}
            walk_rules::Verdict::Ignore => continue,
            walk_rules::Verdict::Special => {
                walk_rules::warn_special(root, entry.path());
                continue;
            }
        }
        match relative(root, entry.path()) {
            Some(rel) => out.push(rel),
            None => walk_rules::warn_not_utf8(root, entry.path()),
        }
    }
    Ok(out)
}

/// `path` relative to `root`, `/`-separated; `None` for non-UTF-8 names.
pub(crate) fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Option<Vec<&str>> = rel.components().map(|c| c.as_os_str().to_str()).collect();
    Some(parts?.join("/"))
}

/// Every packageable file of the project (see [`crate::config::Project::files`]).
pub(super) fn walk(root: &Path, tool: &ToolConfig, file: &SourceFile) -> Result<Vec<String>, ConfigError> {
    let mut files: BTreeSet<String> = walk_tree(root, true)?.into_iter().collect();
    // Globs were checked (with spans) when the table was read.
    let glob_error = |e: globset::Error| {
        ConfigError::invalid(file, "tool.cffi-forge.include", 0..0, format!("invalid glob: {e}"))
    };
    if !tool.include.is_empty() {
        let include = Globs::new(tool.include.iter().map(|g| g.get_ref().as_str())).map_err(glob_error)?;
        files.extend(walk_tree(root, false)?.into_iter().filter(|f| include.matches(f)));
    }
    if !tool.exclude.is_empty() {
        let exclude = Globs::new(tool.exclude.iter().map(|g| g.get_ref().as_str())).map_err(glob_error)?;
        files.retain(|f| !exclude.matches(f));
    }
    walk_rules::refuse_links_outside(root, &files)?;
    Ok(files.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_names_anywhere_and_paths_from_the_root() {
        let g = Globs::new(["*.md", "/docs", "src/**/*.c", "cache/"]).unwrap();
        assert!(g.matches("README.md"));
        assert!(g.matches("a/b/NOTES.md"));
        assert!(g.matches("docs/index.rst"));
        assert!(!g.matches("sub/docs/index.rst"));
        assert!(g.matches("sub/cache/x.bin"));
        assert!(g.matches("src/x/y/z.c"));
        assert!(g.matches("src/z.c"));
        assert!(!g.matches("lib/z.c"));
        let g = Globs::new(["LICEN[CS]E*"]).unwrap();
        assert!(g.matches("LICENSE.txt"));
    }

    #[test]
    fn build_leftovers() {
        for name in [
            "_foo.abi3.so",
            "_foo.abi3-x86_64-linux-gnu.so",
            "_foo.abi3t.so",
            "_foo.abi3t-x86_64-linux-gnu.so",
            "_foo.cpython-311-x86_64-linux-gnu.so",
            "_f.pypy39-pp73-x86_64-linux-gnu.so",
            "x.pyc",
            "_foo.pyd",
            "a.o",
        ] {
            assert!(is_build_leftover(name), "{name}");
        }
        for name in ["libbundled.so", "foo.c", "data.json", "libz.dylib"] {
            assert!(!is_build_leftover(name), "{name}");
        }
    }
}
