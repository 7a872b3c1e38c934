//! The four [`Sink`]s: zip (wheel), tar.gz (sdist), directory (metadata directory) and
//! list (dry runs). Archives are written under a temporary name in the output directory
//! and renamed into place on success; dropping an unfinished sink deletes the temporary.

use std::io::Write;
use std::path::{Path, PathBuf};

use tempfile::{NamedTempFile, TempDir};

use super::writer::Sink;
use super::ArchiveError;

/// 1980-01-01T00:00:00Z: the earliest time a zip can store, used when
/// `SOURCE_DATE_EPOCH` is unset (also for tar, so both archives agree).
pub const DEFAULT_EPOCH: u64 = 315_532_800;

/// The timestamp of every entry: `SOURCE_DATE_EPOCH` (reproducible-builds.org) or
/// [`DEFAULT_EPOCH`]; clamped to what zip can store.
pub fn archive_epoch() -> Result<u64, ArchiveError> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(value) if !value.trim().is_empty() => value
            .trim()
            .parse::<u64>()
            .map(|t| t.max(DEFAULT_EPOCH))
            .map_err(|_| ArchiveError::SourceDateEpoch { value }),
        _ => Ok(DEFAULT_EPOCH),
    }
}

/// Civil date (UTC) of a Unix time: (year, month, day, hour, minute, second).
fn civil(epoch: u64) -> (u16, u8, u8, u8, u8, u8) {
    let days = (epoch / 86_400) as i64;
    let secs = epoch % 86_400;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
    (year, month, day, (secs / 3600) as u8, (secs % 3600 / 60) as u8, (secs % 60) as u8)
}

fn zip_time(epoch: u64) -> zip::DateTime {
    let (y, mo, d, h, mi, s) = civil(epoch);
    // Zip years end in 2107.
    zip::DateTime::from_date_and_time(y.min(2107), mo, d, h, mi, s).unwrap_or_default()
}

/// A temporary file in `dir` that becomes a file for the user once renamed: created with
/// the mode any new file gets (`0666 & ~umask`, 0644 under the usual umask) rather than
/// tempfile's private 0600, so wheels copied into a shared wheelhouse stay readable.
pub fn user_temp_file_in(dir: &Path) -> std::io::Result<NamedTempFile> {
    crate::compile::leftovers::clean_output_dir(dir);
    let prefix = crate::compile::leftovers::output_prefix();
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

fn temp_file_in(dir: &Path, final_path: &Path) -> Result<NamedTempFile, ArchiveError> {
    user_temp_file_in(dir).map_err(|source| ArchiveError::OutputDir {
        path: dir.to_path_buf(),
        target: final_path.to_path_buf(),
        source,
    })
}

fn persist(tmp: NamedTempFile, final_path: &Path) -> Result<PathBuf, ArchiveError> {
    tmp.persist(final_path)
        .map_err(|e| ArchiveError::Write { path: final_path.to_path_buf(), source: e.error })?;
    Ok(final_path.to_path_buf())
}

/// The wheel's temporary file as the zip writer sees it: after the first write error it
/// only counts bytes. `zip::ZipWriter` finalises the archive again when it is dropped
/// after a failure (a full disk) and dumps a debug message to stderr if that fails too;
/// the error was already reported once, and the temporary file is deleted anyway.
struct StopsAtFirstError {
    file: NamedTempFile,
    failed: bool,
    position: u64,
    len: u64,
}

impl StopsAtFirstError {
    /// An interrupted call is retried by the caller, and must not end the writing.
    fn latch(&mut self, error: &std::io::Error) {
        self.failed |= error.kind() != std::io::ErrorKind::Interrupted;
    }
}

impl Write for StopsAtFirstError {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = if self.failed {
            buf.len()
        } else {
            self.file.as_file_mut().write(buf).inspect_err(|e| self.latch(e))?
        };
        self.position += written as u64;
        self.len = self.len.max(self.position);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.failed {
            return Ok(());
        }
        self.file.as_file_mut().flush().inspect_err(|e| self.latch(e))
    }
}

impl std::io::Seek for StopsAtFirstError {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        if !self.failed {
            self.position = self.file.as_file_mut().seek(to).inspect_err(|e| self.latch(e))?;
            return Ok(self.position);
        }
        let target = match to {
            std::io::SeekFrom::Start(at) => Some(at),
            std::io::SeekFrom::End(delta) => self.len.checked_add_signed(delta),
            std::io::SeekFrom::Current(delta) => self.position.checked_add_signed(delta),
        };
        self.position = target.ok_or_else(|| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        Ok(self.position)
    }
}

/// A wheel: deflated zip entries, fixed time and permissions, Unix "made by".
pub struct ZipSink {
    writer: Option<zip::ZipWriter<StopsAtFirstError>>,
    final_path: PathBuf,
    time: zip::DateTime,
    _registered: crate::process::TempGuard,
}

impl ZipSink {
    pub fn create(final_path: PathBuf) -> Result<Self, ArchiveError> {
        let dir = final_path.parent().unwrap_or(Path::new("."));
        let tmp = temp_file_in(dir, &final_path)?;
        let registered = crate::process::register_temp(tmp.path());
        let file = StopsAtFirstError { file: tmp, failed: false, position: 0, len: 0 };
        Ok(Self {
            writer: Some(zip::ZipWriter::new(file)),
            final_path,
            time: zip_time(archive_epoch()?),
            _registered: registered,
        })
    }

    fn error(&self, e: impl Into<std::io::Error>) -> ArchiveError {
        ArchiveError::Write { path: self.final_path.clone(), source: e.into() }
    }
}

impl Sink for ZipSink {
    fn add(&mut self, path: &str, data: &[u8], mode: u32, _: Option<&Path>) -> Result<(), ArchiveError> {
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(self.time)
            .unix_permissions(mode)
            .system(zip::System::Unix);
        let writer = self.writer.as_mut().expect("not finished");
        let result = writer
            .start_file(path, options)
            .map_err(std::io::Error::from)
            .and_then(|()| writer.write_all(data));
        result.map_err(|e| self.error(e))
    }

    fn finish(mut self: Box<Self>) -> Result<PathBuf, ArchiveError> {
        let writer = self.writer.take().expect("not finished");
        let mut tmp = writer.finish().map_err(|e| self.error(std::io::Error::from(e)))?;
        tmp.flush().map_err(|e| self.error(e))?;
        persist(tmp.file, &self.final_path)
    }
}

/// An sdist: a gzipped POSIX tar with fixed owner, time and permissions; PAX records
/// carry paths longer than ustar allows.
pub struct TarGzSink {
    builder: Option<tar::Builder<flate2::write::GzEncoder<NamedTempFile>>>,
    final_path: PathBuf,
    mtime: u64,
    _registered: crate::process::TempGuard,
}

impl TarGzSink {
    pub fn create(final_path: PathBuf) -> Result<Self, ArchiveError> {
        let dir = final_path.parent().unwrap_or(Path::new("."));
        let tmp = temp_file_in(dir, &final_path)?;
        let registered = crate::process::register_temp(tmp.path());
        // The gzip header's own mtime stays 0 and no file name is stored: both would
        // make the archive depend on when and where it was built.
        let gz = flate2::GzBuilder::new().mtime(0).write(tmp, flate2::Compression::default());
        let mut builder = tar::Builder::new(gz);
        builder.mode(tar::HeaderMode::Deterministic);
        Ok(Self { builder: Some(builder), final_path, mtime: archive_epoch()?, _registered: registered })
    }

    fn error(&self, e: std::io::Error) -> ArchiveError {
        ArchiveError::Write { path: self.final_path.clone(), source: e }
    }
}

impl Sink for TarGzSink {
    fn add(&mut self, path: &str, data: &[u8], mode: u32, _: Option<&Path>) -> Result<(), ArchiveError> {
        let builder = self.builder.as_mut().expect("not finished");
        let mut header = tar::Header::new_ustar();
        header.set_size(data.len() as u64);
        header.set_mode(mode);
        header.set_mtime(self.mtime);
        header.set_uid(0);
        header.set_gid(0);
        header.set_entry_type(tar::EntryType::Regular);
        let result = (|| {
            if header.set_path(path).is_err() {
                // Too long (or not splittable) for ustar: a PAX `path` record holds the real
                // name and the header a truncated placeholder.
                builder.append_pax_extensions([("path", path.as_bytes())])?;
                let short: String =
                    path.chars().rev().take(90).collect::<Vec<_>>().into_iter().rev().collect();
                header.set_path(short.trim_start_matches('/'))?;
            }
            header.set_cksum();
            builder.append(&header, data)
        })();
        result.map_err(|e| self.error(e))
    }

    fn finish(mut self: Box<Self>) -> Result<PathBuf, ArchiveError> {
        let builder = self.builder.take().expect("not finished");
        let gz = builder.into_inner().map_err(|e| self.error(e))?;
        let mut tmp = gz.finish().map_err(|e| self.error(e))?;
        tmp.flush().map_err(|e| self.error(e))?;
        persist(tmp, &self.final_path)
    }
}

/// A directory tree (`prepare_metadata_for_build_wheel`): written into a temporary
/// directory beside the target, then the top-level entry `top` is renamed into `dir`.
pub struct DirSink {
    tmp: TempDir,
    dir: PathBuf,
    top: String,
    _registered: crate::process::TempGuard,
}

impl DirSink {
    /// Entries must all live under `top/` (e.g. `name-1.0.dist-info/`).
    pub fn create(dir: PathBuf, top: impl Into<String>) -> Result<Self, ArchiveError> {
        let top = top.into();
        let target = dir.join(&top);
        crate::compile::leftovers::clean_output_dir(&dir);
        let tmp = tempfile::Builder::new()
            .prefix(&crate::compile::leftovers::output_prefix())
            .tempdir_in(&dir)
            .map_err(|source| ArchiveError::OutputDir { path: dir.clone(), target, source })?;
        let registered = crate::process::register_temp(tmp.path());
        Ok(Self { tmp, dir, top, _registered: registered })
    }
}

impl Sink for DirSink {
    fn add(&mut self, path: &str, data: &[u8], mode: u32, _: Option<&Path>) -> Result<(), ArchiveError> {
        let target = self.tmp.path().join(path);
        let write = || -> std::io::Result<()> {
            if let Some(parent) = target.parent() {
                fs_err::create_dir_all(parent)?;
            }
            // Created with `0666 & ~umask`, like any new file; an executable entry also
            // gets `x` wherever the umask left `r`.
            fs_err::write(&target, data)?;
            #[cfg(unix)]
            if mode & 0o111 != 0 {
                use std::os::unix::fs::PermissionsExt;
                let created = fs_err::metadata(&target)?.permissions().mode() & 0o777;
                let executable = created | ((created & 0o444) >> 2);
                fs_err::set_permissions(&target, std::fs::Permissions::from_mode(executable))?;
            }
            #[cfg(not(unix))]
            let _ = mode;
            Ok(())
        };
        write().map_err(|source| ArchiveError::Write { path: self.dir.join(path), source })
    }

    fn finish(self: Box<Self>) -> Result<PathBuf, ArchiveError> {
        let final_path = self.dir.join(&self.top);
        let staged = self.tmp.path().join(&self.top);
        let io = |source| ArchiveError::Write { path: final_path.clone(), source };
        if !staged.exists() {
            fs_err::create_dir_all(&staged).map_err(io)?;
        }
        if final_path.exists() {
            fs_err::remove_dir_all(&final_path).map_err(io)?;
        }
        fs_err::rename(&staged, &final_path).map_err(io)?;
        Ok(final_path)
    }
}

/// One line of a dry-run listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    /// Path inside the archive.
    pub path: String,
    /// The file it comes from, or `None` when generated.
    pub origin: Option<PathBuf>,
    pub size: usize,
}

/// Records entries without writing anything.
pub struct ListSink {
    pub(super) out: std::rc::Rc<std::cell::RefCell<Vec<Listed>>>,
}

impl Sink for ListSink {
    fn add(&mut self, path: &str, data: &[u8], _: u32, origin: Option<&Path>) -> Result<(), ArchiveError> {
        self.out.borrow_mut().push(Listed {
            path: path.to_string(),
            origin: origin.map(Path::to_path_buf),
            size: data.len(),
        });
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<PathBuf, ArchiveError> {
        Ok(PathBuf::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(civil(DEFAULT_EPOCH), (1980, 1, 1, 0, 0, 0));
        // 2024-02-29T12:34:56Z
        assert_eq!(civil(1_709_210_096), (2024, 2, 29, 12, 34, 56));
        assert_eq!(civil(951_782_400), (2000, 2, 29, 0, 0, 0));
    }
}
