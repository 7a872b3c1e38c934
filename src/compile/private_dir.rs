//! A build directory in the shared temporary directory (the fallback when the project is
//! read-only) must be the user's alone: anyone who can write into it can plant an object
//! file that the next build links into the wheel. So it is created `0700`, and on every
//! use its owner and mode are checked; a directory that fails the check is not used, and a
//! fresh private one (named like `mkdtemp` would) takes its place, with a warning.

use std::path::{Path, PathBuf};

/// What is wrong with an existing directory, for the warning.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unsafe {
    NotADirectory,
    /// Owned by another user (`uid`).
    Owner {
        uid: u32,
        mode: u32,
    },
    /// Ours, but others may write into it.
    Mode {
        mode: u32,
    },
}

impl std::fmt::Display for Unsafe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Unsafe::NotADirectory => write!(f, "it is not a directory (a symlink or a file)"),
            Unsafe::Owner { uid, mode } => {
                write!(f, "it belongs to another user (uid {uid}, mode {mode:04o})")
            }
            Unsafe::Mode { mode } => write!(f, "others can write into it (mode {mode:04o})"),
        }
    }
}

/// `dir`, created private if missing and checked if present; when it is not private, a
/// fresh private directory next to it (and a warning saying why).
pub fn private_dir(dir: &Path) -> std::io::Result<PathBuf> {
    match check_or_create(dir)? {
        None => Ok(dir.to_path_buf()),
        Some(problem) => {
            let private = match ours_next_to(dir) {
                Some(ours) => ours,
                None => fresh_next_to(dir)?,
            };
            crate::ui::warning(format!(
                "not using the build directory {}: {problem}; building in the private directory {} instead",
                dir.display(),
                private.display()
            ));
            Ok(private)
        }
    }
}

/// `None` when `dir` is (now) private to us, else what is wrong with it.
#[cfg(unix)]
pub fn check_or_create(dir: &Path) -> std::io::Result<Option<Unsafe>> {
    use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(e),
    }
    // Not following a symlink: whatever it points at, someone else may have placed it.
    let meta = std::fs::symlink_metadata(dir)?;
    if !meta.is_dir() {
        return Ok(Some(Unsafe::NotADirectory));
    }
    let mode = meta.mode() & 0o7777;
    if meta.uid() != rustix::process::geteuid().as_raw() {
        return Ok(Some(Unsafe::Owner { uid: meta.uid(), mode }));
    }
    if mode & 0o022 != 0 {
        return Ok(Some(Unsafe::Mode { mode }));
    }
    if mode & 0o077 != 0 {
        // Ours and never writable by others (an older cffi-forge made it with the umask):
        // nothing can have been planted, so closing it is enough.
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(None)
}

/// Windows: the temporary directory is already inside the user's profile.
#[cfg(not(unix))]
pub fn check_or_create(dir: &Path) -> std::io::Result<Option<Unsafe>> {
    std::fs::create_dir_all(dir)?;
    Ok(None)
}

/// A `<dir>-XXXXXX` made by an earlier build (only we can own a directory that is ours
/// and private), so the cache survives between builds while `dir` stays unusable.
fn ours_next_to(dir: &Path) -> Option<PathBuf> {
    let parent = dir.parent()?;
    let prefix = format!("{}-", dir.file_name()?.to_str()?);
    let mut candidates: Vec<PathBuf> = std::fs::read_dir(parent)
        .ok()?
        .flatten()
        .filter(|e| e.file_name().to_str().is_some_and(|n| n.starts_with(&prefix)))
        .map(|e| e.path())
        .collect();
    candidates.sort();
    // Only directories that exist: `check_or_create` must not create one here.
    candidates.into_iter().find(|c| matches!(check_or_create(c), Ok(None)))
}

/// A new directory `<dir>-XXXXXX` next to `dir`, created `0700`.
fn fresh_next_to(dir: &Path) -> std::io::Result<PathBuf> {
    let parent = dir.parent().unwrap_or(Path::new("."));
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let prefix = format!("{name}-");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix);
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
    let fresh = builder.tempdir_in(parent)?.keep();
    // Checked like any other: the name was new, so this only fails on a strange system.
    match check_or_create(&fresh)? {
        None => Ok(fresh),
        Some(problem) => Err(std::io::Error::other(format!("{}: {problem}", fresh.display()))),
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};

    fn mode(path: &Path) -> u32 {
        std::fs::symlink_metadata(path).unwrap().mode() & 0o7777
    }

    #[test]
    fn created_private_and_accepted_again() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("cffi-forge-x");
        assert_eq!(check_or_create(&dir).unwrap(), None);
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(check_or_create(&dir).unwrap(), None);
    }

    #[test]
    fn writable_by_others_or_a_symlink_is_refused_readable_is_closed() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("open");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert_eq!(check_or_create(&dir).unwrap(), Some(Unsafe::Mode { mode: 0o777 }));
        assert_eq!(mode(&dir), 0o777, "left alone");
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert_eq!(check_or_create(&dir).unwrap(), None);
        assert_eq!(mode(&dir), 0o700);

        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&dir, &link).unwrap();
        assert_eq!(check_or_create(&link).unwrap(), Some(Unsafe::NotADirectory));

        let fresh = private_dir(&link).unwrap();
        assert_ne!(fresh, link);
        assert!(fresh.file_name().unwrap().to_string_lossy().starts_with("link-"));
        assert_eq!(mode(&fresh), 0o700);
        // The next build reuses it, but not one that others could write into.
        assert_eq!(private_dir(&link).unwrap(), fresh);
        std::fs::set_permissions(&fresh, std::fs::Permissions::from_mode(0o777)).unwrap();
        let another = private_dir(&link).unwrap();
        assert!(another != fresh && another != link, "{}", another.display());
    }

    #[test]
    fn another_users_directory_is_refused_even_when_private() {
        if !rustix::process::geteuid().is_root() {
            return; // only root can give a directory away
        }
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("theirs");
        std::fs::create_dir(&dir).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
        let nobody = rustix::process::Uid::from_raw(65534);
        rustix::fs::chown(&dir, Some(nobody), None).unwrap();
        assert_eq!(check_or_create(&dir).unwrap(), Some(Unsafe::Owner { uid: 65534, mode: 0o700 }));
    }

    #[test]
    fn problems_read_as_reasons() {
        assert_eq!(
            Unsafe::Owner { uid: 65534, mode: 0o777 }.to_string(),
            "it belongs to another user (uid 65534, mode 0777)"
        );
        assert_eq!(Unsafe::Mode { mode: 0o775 }.to_string(), "others can write into it (mode 0775)");
    }
}
