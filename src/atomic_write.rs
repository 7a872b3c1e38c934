//! Writing a whole file so that no reader ever sees part of it: the generated source the
//! build compiles, `generate-c`/`generate-py` output, the migrated `pyproject.toml`.
//! (Wheels and sdists stream through `archive::sinks`, on the same temporaries.)

use std::io::{self, Read, Write};
use std::path::Path;

/// Write `bytes` to `path` under a temporary name beside it (`.tmp-cffi-forge-<pid>-…`,
/// which the next run removes if this one is killed), flushed to disk and renamed over
/// `path`: a failure leaves the old file, or none, never a half-written one. A file that
/// already holds exactly these bytes is left alone, timestamp included, so make-style
/// tools see it as up to date (as cffi's `make_c_source` does). An existing file keeps
/// its permissions; a new one gets the mode the umask gives.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write(path, bytes, true)
}

/// [`write_atomically`] without flushing to disk first, for files the build directory
/// keeps only for the next build (the generated source): readers still see the whole
/// file or none; after a power loss the next build finds the content differs and writes
/// it again. The flush cost 0.5–4 ms per module here, more on a busy disk.
pub fn write_atomically_unsynced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write(path, bytes, false)
}

fn write(path: &Path, bytes: &[u8], sync: bool) -> io::Result<()> {
    if holds_exactly(path, bytes) {
        return Ok(());
    }
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    // Removed on drop, so every early return below cleans up.
    let mut tmp = crate::archive::sinks::user_temp_file_in(dir)?;
    tmp.write_all(bytes)?;
    if sync {
        tmp.as_file().sync_all()?;
    }
    if let Ok(meta) = std::fs::metadata(path) {
        tmp.as_file().set_permissions(meta.permissions())?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Whether the file at `path` holds exactly `bytes`, compared a block at a time (outputs
/// reach megabytes; reading one whole costs more than generating it).
fn holds_exactly(path: &Path, bytes: &[u8]) -> bool {
    let Ok(mut file) = std::fs::File::open(path) else { return false };
    if !file.metadata().is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64) {
        return false;
    }
    let mut block = [0u8; 64 * 1024];
    let mut rest = bytes;
    loop {
        match file.read(&mut block) {
            Ok(0) => return rest.is_empty(),
            Ok(n) if n <= rest.len() && block[..n] == rest[..n] => rest = &rest[n..],
            Ok(_) | Err(_) => return false,
        }
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::time::{Duration, SystemTime};

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> =
            std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        names.sort();
        names
    }

    #[test]
    fn replaces_keeping_permissions_and_leaves_identical_content_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.c");
        write_atomically(&path, b"int x;").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"int x;");

        // Identical bytes: not rewritten, the timestamp stays.
        let past = SystemTime::now() - Duration::from_secs(3600);
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(past).unwrap();
        write_atomically(&path, b"int x;").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), past);

        // Changed bytes (same length too): replaced, permissions kept, no temporary left.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&path, b"int y;").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"int y;");
        assert_ne!(std::fs::metadata(&path).unwrap().modified().unwrap(), past);
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
        assert_eq!(listing(dir.path()), ["out.c"]);
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("taken");
        // A directory in the way: the rename fails after the temporary was written.
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join("keep"), "old").unwrap();
        assert!(write_atomically(&target, b"new").is_err());
        assert_eq!(listing(dir.path()), ["taken"]);
        assert_eq!(std::fs::read_to_string(target.join("keep")).unwrap(), "old");
        // No directory to write in: an error, nothing created.
        assert!(write_atomically(&dir.path().join("missing/out.c"), b"x").is_err());
        assert_eq!(listing(dir.path()), ["taken"]);
    }
}
