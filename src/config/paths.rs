//! The one rule for paths that name the project's own inputs (`sources`, `cdef-file`,
//! `source-file`, `depends`, `include-dirs`, readme, licence files, `script-files`, the
//! `version` file, `include` / `exclude` globs, `cffi-modules` scripts, the setuptools
//! tables' `file` directives and `package-dir`, and what build scripts pass to
//! `set_source`): a path may be written any way (with `..`, or absolute) as long as it
//! resolves inside the project, symlinks followed. Otherwise the build would read a file
//! the sdist does not carry, and a build from the sdist would differ or fail.
//!
//! Search directories (`include-dirs`, `library-dirs`, `runtime-library-dirs`) and
//! `extra-objects` may also be absolute: they name the system's libraries and headers
//! (`/usr/include/libxml2`), which no sdist carries. A relative one must still stay
//! inside the project (`../vendor/include` exists next to the checkout, not next to an
//! unpacked sdist).

use std::path::{Component, Path, PathBuf};

use toml::Spanned;

use super::ConfigError;
use crate::diagnostic::SourceFile;
use crate::spec::BuildOptions;

/// What a path names, which decides whether an absolute path outside is acceptable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PathRole {
    /// A file of the project (source, header, cdef, readme, ...): always inside.
    ProjectFile,
    /// A search directory or prebuilt object: absolute system paths allowed.
    SystemOrProject,
}

/// `path` with `.` and `..` resolved without touching the file system.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// Where `value` (as written, relative to `root` unless absolute) really leads: symlinks
/// resolved for the part that exists, `..` resolved lexically for the rest.
fn resolve(root: &Path, value: &str) -> PathBuf {
    let full = lexical(&root.join(value));
    // The longest existing ancestor is canonicalized (symlinks followed); what does not
    // exist yet (a file a build script writes) is appended as written.
    let mut existing = full.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            let mut out = real;
            for part in rest.iter().rev() {
                out.push(part);
            }
            return out;
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_os_string());
                existing = parent;
            }
            _ => return full,
        }
    }
}

/// Why `value`, given for a key with `role`, is not acceptable; `None` when it is.
pub fn outside_problem(root: &Path, value: &str, role: PathRole) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    let written = Path::new(value);
    if role == PathRole::SystemOrProject && written.is_absolute() {
        return None;
    }
    // A spec file named without a directory has the root `""`: the working directory.
    let root = &std::path::absolute(if root.as_os_str().is_empty() { Path::new(".") } else { root })
        .unwrap_or_else(|_| root.to_path_buf());
    let real_root = std::fs::canonicalize(root).unwrap_or_else(|_| lexical(root));
    let target = resolve(root, value);
    if target.starts_with(&real_root) {
        return None;
    }
    let leaves = written.is_absolute() || written.components().any(|c| c == Component::ParentDir);
    Some(if leaves {
        format!("`{value}` is outside the project: the sdist could not carry it, so a build from the sdist would fail")
    } else {
        format!(
            "`{value}` resolves to {}, outside the project (through a symlink): the sdist could not carry it",
            target.display()
        )
    })
}

/// The first path a build script passed to `set_source` that breaks the rule: the
/// keyword (`sources`, `depends`, ...) and why. Build scripts compute paths (often
/// absolute, from `__file__`), so only where they lead counts.
pub fn build_option_problem(root: &Path, options: &BuildOptions) -> Option<(&'static str, String)> {
    let keys: [(&'static str, &[String], PathRole); 6] = [
        ("sources", &options.sources, PathRole::ProjectFile),
        ("depends", &options.depends, PathRole::ProjectFile),
        ("include_dirs", &options.include_dirs, PathRole::SystemOrProject),
        ("library_dirs", &options.library_dirs, PathRole::SystemOrProject),
        ("runtime_library_dirs", &options.runtime_library_dirs, PathRole::SystemOrProject),
        ("extra_objects", &options.extra_objects, PathRole::SystemOrProject),
    ];
    keys.into_iter().find_map(|(key, values, role)| {
        values.iter().find_map(|v| outside_problem(root, v, role)).map(|message| (key, message))
    })
}

/// A file named by `key` that cffi-forge reads itself (readme, licence text, `version`
/// file, `script-files`): inside the project, and a regular file, so nothing can make a
/// read block (a FIFO) or run away (`/dev/zero`). Checked before any read.
pub(crate) fn check_project_file(
    root: &Path,
    file: &SourceFile,
    key: &str,
    value: &Spanned<String>,
) -> Result<(), ConfigError> {
    if let Some(message) = outside_problem(root, value.get_ref(), PathRole::ProjectFile) {
        return Err(ConfigError::invalid(file, key, value.span(), message));
    }
    let path = root.join(value.get_ref());
    if path.exists() && !path.is_file() {
        return Err(ConfigError::invalid(
            file,
            key,
            value.span(),
            format!("`{}` is not a regular file", value.get_ref()),
        ));
    }
    Ok(())
}

/// Whether a glob of `include` / `exclude` tries to leave the project (`../x*`), which
/// could never match a file of the walk.
pub(crate) fn glob_leaves_project(pattern: &str) -> bool {
    let trimmed = pattern.trim_start_matches("./");
    trimmed.split('/').any(|c| c == "..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inside_outside_and_through_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("proj");
        std::fs::create_dir_all(root.join("src")).unwrap();
        std::fs::write(root.join("src/a.c"), "").unwrap();
        std::fs::write(dir.path().join("outside.c"), "").unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside.c"), root.join("link.c")).unwrap();
        let check = |v: &str| outside_problem(&root, v, PathRole::ProjectFile);
        assert_eq!(check("src/a.c"), None);
        assert_eq!(check("src/../src/a.c"), None);
        assert_eq!(check("src/not-yet.c"), None);
        assert_eq!(check(root.join("src/a.c").to_str().unwrap()), None);
        assert!(check("../outside.c").unwrap().contains("outside the project"));
        assert!(check("/dev/zero").unwrap().contains("`/dev/zero` is outside"));
        assert!(check("link.c").unwrap().contains("through a symlink"));
        assert_eq!(outside_problem(&root, "/usr/include", PathRole::SystemOrProject), None);
        assert!(outside_problem(&root, "../include", PathRole::SystemOrProject).is_some());
        // The root of a spec file named without a directory.
        assert!(outside_problem(Path::new(""), "../x.h", PathRole::ProjectFile).is_some());
        assert_eq!(outside_problem(Path::new(""), "x.h", PathRole::ProjectFile), None);
        assert!(glob_leaves_project("../x*") && glob_leaves_project("./a/../../b"));
        assert!(!glob_leaves_project("a/..b/*"));
    }
}
