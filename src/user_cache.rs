//! The per-user cache folder: answers that outlive a build directory and are expensive to
//! ask again (an interpreter's facts, a compiler's family probe). Every entry is keyed by
//! the identity of the file it describes, so a stale entry is never trusted; losing the
//! folder only costs the questions again.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// `<user cache>/cffi-forge/<kind>`: under `CFFI_FORGE_CACHE_DIR` when set, else the
/// platform's per-user cache folder. `None` when neither is known (no `HOME`).
pub fn folder(kind: &str) -> Option<PathBuf> {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let base = if let Some(dir) = var("CFFI_FORGE_CACHE_DIR") {
        dir
    } else if cfg!(windows) {
        var("LOCALAPPDATA")?.join("cffi-forge").join("cache")
    } else if cfg!(target_os = "macos") {
        var("HOME")?.join("Library").join("Caches").join("cffi-forge")
    } else {
        var("XDG_CACHE_HOME")
            .filter(|d| d.is_absolute())
            .or_else(|| Some(var("HOME")?.join(".cache")))?
            .join("cffi-forge")
    };
    Some(base.join(kind))
}

/// Where a file really is, its size and modification time: what changes when a program
/// is upgraded, rebuilt, replaced or touched. `None` when it cannot be read.
pub fn identity(path: &Path) -> Option<String> {
    let meta = std::fs::metadata(path).ok()?;
    let real = std::fs::canonicalize(path).ok()?;
    Some(format!("{} {} {:?}", real.display(), meta.len(), meta.modified().ok()?))
}

/// The identity of the running cffi-forge: a rebuilt binary (a new `cc` crate, a new
/// configuration) must not trust what an older one cached. Its ELF build ID where there
/// is one: every isolated build environment installs a fresh copy of the binary (another
/// path, another modification time) of the same build. Else the file's identity.
pub fn this_binary() -> String {
    let Ok(exe) = std::env::current_exe() else { return env!("CARGO_PKG_VERSION").to_string() };
    let id = match crate::audit::partial::build_id(&exe) {
        Some(id) => id.iter().map(|b| format!("{b:02x}")).collect(),
        None => identity(&exe).unwrap_or_default(),
    };
    format!("{} {id}", env!("CARGO_PKG_VERSION"))
}

/// Write `parts` into `entry` atomically (a temporary file renamed into place), so a
/// concurrent build never reads half an entry.
pub fn store(entry: &Path, parts: &[&[u8]]) -> std::io::Result<()> {
    let dir = entry.parent().expect("entries live in a cache folder");
    std::fs::create_dir_all(dir)?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    for part in parts {
        file.write_all(part)?;
    }
    file.persist(entry).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_changes_with_size_and_mtime() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("cc");
        std::fs::write(&file, "one").unwrap();
        let first = identity(&file).unwrap();
        assert_eq!(identity(&file).unwrap(), first);
        let f = std::fs::File::options().write(true).open(&file).unwrap();
        f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(5)).unwrap();
        assert_ne!(identity(&file).unwrap(), first, "a touched file is another identity");
        assert!(identity(&dir.path().join("missing")).is_none());
        let entry = dir.path().join("sub/entry.json");
        store(&entry, &[b"a\n", b"b"]).unwrap();
        assert_eq!(std::fs::read_to_string(&entry).unwrap(), "a\nb");
    }
}
