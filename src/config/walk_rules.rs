//! What the project walk does with entries that are not plain files inside the project:
//! special files (FIFOs, sockets, devices) are skipped with a warning and never opened (a
//! FIFO would block a read forever); names that are not UTF-8 are skipped with a warning;
//! symlinks may point anywhere inside the project, but one that resolves outside it is
//! refused once it would be packaged (it would copy a file from outside the tree into
//! the archives, and a build from the sdist would not see the same file).

use std::collections::BTreeSet;
use std::fs::FileType;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::ConfigError;
use crate::ui;

/// What the walk does with an entry that is not a directory.
pub(super) enum Verdict {
    /// A regular file, or a symlink to one (checked for escaping once selected).
    Keep,
    /// A symlink to a directory: not walked, not packaged (today's behaviour).
    Ignore,
    /// A special file, or a link to one: skipped with a warning.
    Special,
}

/// Classify a walked non-directory entry from its own (not followed) file type.
pub(super) fn classify(path: &Path, file_type: FileType) -> Verdict {
    if file_type.is_file() {
        return Verdict::Keep;
    }
    if !file_type.is_symlink() {
        return Verdict::Special;
    }
    match std::fs::metadata(path) {
        Ok(target) if target.is_file() => Verdict::Keep,
        Ok(target) if target.is_dir() => Verdict::Ignore,
        Ok(_) => Verdict::Special,
        // A dangling link: nothing to package, as before.
        Err(_) => Verdict::Ignore,
    }
}

/// Paths already warned about: the tree is walked more than once per run (the project
/// files, `include` globs, `sources` globs), and each warning should be said once.
static WARNED: Mutex<BTreeSet<PathBuf>> = Mutex::new(BTreeSet::new());

fn warn_once(path: &Path, message: String) {
    let first = WARNED.lock().map(|mut seen| seen.insert(path.to_path_buf())).unwrap_or(true);
    if first {
        ui::warning(message);
    }
}

/// A path relative to the root as shown in warnings, control characters escaped.
fn shown(root: &Path, path: &Path) -> String {
    let text = path.strip_prefix(root).unwrap_or(path).to_string_lossy();
    text.chars().map(|c| if c.is_control() { c.escape_debug().to_string() } else { c.to_string() }).collect()
}

pub(super) fn warn_special(root: &Path, path: &Path) {
    warn_once(
        path,
        format!(
            "skipping `{}`: not a regular file (a FIFO, socket or device is never packaged)",
            shown(root, path)
        ),
    );
}

pub(super) fn warn_not_utf8(root: &Path, path: &Path) {
    warn_once(
        path,
        format!(
            "skipping `{}`: its name is not valid UTF-8, which archives cannot hold (rename it to package it)",
            shown(root, path)
        ),
    );
}

/// Whether `dir/.gitignore` exists but is not a regular file. The walker reads every
/// `.gitignore` it meets, and reading a FIFO blocks forever, so such a directory is
/// skipped (with a warning), and at the root it is an error.
pub(crate) fn has_special_gitignore(dir: &Path) -> bool {
    std::fs::metadata(dir.join(".gitignore")).is_ok_and(|m| !m.is_file())
}

pub(super) fn special_gitignore_at_root(root: &Path) -> ConfigError {
    ConfigError::Read {
        path: root.join(".gitignore"),
        source: std::io::Error::other("not a regular file (a FIFO, socket or device is never read)"),
    }
}

pub(super) fn warn_special_gitignore(root: &Path, dir: &Path) {
    warn_once(
        dir,
        format!(
            "skipping the directory `{}`: its `.gitignore` is not a regular file (a FIFO, socket or device is never read)",
            shown(root, dir)
        ),
    );
}

/// Where a walked file of the project really is, if that is outside the project: `rel`
/// names a symlink whose target is not under the project root. (The walk never descends
/// into linked directories, so only the last component can be a link.)
pub(crate) fn outside_target(root: &Path, rel: &str) -> Option<PathBuf> {
    let path = root.join(rel);
    let is_link = std::fs::symlink_metadata(&path).is_ok_and(|m| m.file_type().is_symlink());
    if !is_link {
        return None;
    }
    let real_root = std::fs::canonicalize(root).ok()?;
    let target = std::fs::canonicalize(&path).ok()?;
    (!target.starts_with(&real_root)).then_some(target)
}

/// Fail on the first of `files` (relative to `root`) that is a symlink leading out of
/// the project.
pub(crate) fn refuse_links_outside<'a>(
    root: &Path,
    files: impl IntoIterator<Item = &'a String>,
) -> Result<(), ConfigError> {
    for rel in files {
        if let Some(target) = outside_target(root, rel) {
            return Err(ConfigError::LinkOutside { path: rel.clone(), target });
        }
    }
    Ok(())
}
