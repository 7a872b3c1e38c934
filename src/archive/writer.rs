//! The writer abstraction: entries are collected into [`Entries`] (which dedups and
//! orders them, the single place deciding what goes in and in which order), then
//! streamed into one [`Sink`]: a zip (wheel), a tar.gz (sdist), a directory (metadata
//! directory) or a list (dry runs). RECORD is computed while streaming.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use sha2::{Digest, Sha256};

use super::ArchiveError;

/// Unix permissions of archive entries: fixed, never copied from the disk, so archives
/// do not depend on the umask or the checkout.
pub const MODE_FILE: u32 = 0o644;
pub const MODE_EXECUTABLE: u32 = 0o755;

/// The archive mode of a file from the project: executable (0755) when the file has any
/// execute bit on disk (a bundled `configure` script must stay runnable), else 0644.
pub fn disk_mode(path: &Path) -> u32 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if std::fs::metadata(path).is_ok_and(|m| m.permissions().mode() & 0o111 != 0) {
            return MODE_EXECUTABLE;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    MODE_FILE
}

/// Where archive entries go. Paths are `/`-separated and relative to the archive root
/// (strings, not `Path`s: archives are portable between platforms). Nothing may exist at
/// the sink's final path until [`Sink::finish`] succeeds; a sink dropped without
/// finishing removes its temporary output.
pub trait Sink {
    /// Add one file. `origin` is the file it was read from, if any (for listings).
    fn add(&mut self, path: &str, data: &[u8], mode: u32, origin: Option<&Path>) -> Result<(), ArchiveError>;
    /// Complete the output and move it to its final path, which is returned.
    fn finish(self: Box<Self>) -> Result<PathBuf, ArchiveError>;
}

/// Where an entry's bytes come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A file on disk, read when the archive is written.
    File(PathBuf),
    /// Generated content (metadata files, generated modules).
    Bytes(Vec<u8>),
}

#[derive(Clone, Debug)]
struct Entry {
    source: Source,
    mode: u32,
}

/// How entries are ordered in the output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Sorted, with `*.data/` after the code and `*.dist-info/` last, RECORD at the very
    /// end (PEP 427 recommends metadata last so installers can stream).
    Wheel,
    /// `*/PKG-INFO` first (tools peek at it), then sorted.
    Sdist,
    /// Sorted.
    Sorted,
}

/// The entries of one archive, keyed by archive path. Adding a path again replaces the
/// earlier entry (a generated module replaces a stale copy found in the tree).
#[derive(Clone, Debug, Default)]
pub struct Entries {
    entries: BTreeMap<String, Entry>,
}

impl Entries {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add_file(&mut self, path: impl Into<String>, file: impl Into<PathBuf>, mode: u32) {
        self.entries.insert(path.into(), Entry { source: Source::File(file.into()), mode });
    }

    pub fn add_bytes(&mut self, path: impl Into<String>, data: impl Into<Vec<u8>>, mode: u32) {
        self.entries.insert(path.into(), Entry { source: Source::Bytes(data.into()), mode });
    }

    pub fn add(&mut self, path: impl Into<String>, source: Source, mode: u32) {
        self.entries.insert(path.into(), Entry { source, mode });
    }

    pub fn contains(&self, path: &str) -> bool {
        self.entries.contains_key(path)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn ordered(&self, order: Order) -> Vec<(&String, &Entry)> {
        let mut items: Vec<(&String, &Entry)> = self.entries.iter().collect();
        let rank = |path: &str| -> u8 {
            let top = path.split('/').next().unwrap_or_default();
            match order {
                Order::Wheel if top.ends_with(".dist-info") => 2,
                Order::Wheel if top.ends_with(".data") => 1,
                Order::Sdist
                    if path.split('/').nth(1) == Some("PKG-INFO") && path.matches('/').count() == 1 =>
                {
                    0
                }
                Order::Sdist => 1,
                _ => 0,
            }
        };
        items.sort_by(|a, b| (rank(a.0), a.0).cmp(&(rank(b.0), b.0)));
        items
    }

    /// Stream every entry into `sink` in `order`; with `record = Some("x.dist-info/RECORD")`
    /// also write a RECORD of everything written, as the last entry. Returns the sink's
    /// final path.
    pub fn write(
        &self,
        mut sink: Box<dyn Sink>,
        order: Order,
        record: Option<&str>,
    ) -> Result<PathBuf, ArchiveError> {
        let ordered = self.ordered(order);
        // Checked before anything is written, so a bad name leaves no partial archive.
        for (path, entry) in &ordered {
            if let Some(reason) = super::entry_name_problem(path) {
                let file = match &entry.source {
                    Source::File(file) => file.clone(),
                    Source::Bytes(_) => PathBuf::from(path.as_str()),
                };
                return Err(ArchiveError::BadFileName { file, reason });
            }
        }
        let mut rows = Vec::new();
        for (path, entry) in ordered {
            let (data, origin) = match &entry.source {
                Source::Bytes(bytes) => (std::borrow::Cow::Borrowed(bytes.as_slice()), None),
                Source::File(file) => {
                    let data = fs_err::read(file)
                        .map_err(|source| ArchiveError::Read { path: file.clone(), source })?;
                    (std::borrow::Cow::Owned(data), Some(file.as_path()))
                }
            };
            if record.is_some() {
                rows.push(RecordRow::new(path, &data));
            }
            sink.add(path, &data, entry.mode, origin)?;
        }
        if let Some(record_path) = record {
            let mut text = String::new();
            for row in &rows {
                text.push_str(&row.to_csv());
            }
            text.push_str(&csv_field(record_path));
            text.push_str(",,\n");
            sink.add(record_path, text.as_bytes(), MODE_FILE, None)?;
        }
        sink.finish()
    }
}

/// One line of RECORD (PEP 376 / the binary distribution format spec).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordRow {
    pub path: String,
    /// `sha256=<urlsafe base64 without padding>`.
    pub hash: String,
    pub size: usize,
}

impl RecordRow {
    pub fn new(path: &str, data: &[u8]) -> Self {
        let digest = Sha256::digest(data);
        let hash = format!("sha256={}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest));
        Self { path: path.to_string(), hash, size: data.len() }
    }

    pub fn to_csv(&self) -> String {
        format!("{},{},{}\n", csv_field(&self.path), self.hash, self.size)
    }
}

/// Quote a CSV field when it needs it (as Python's `csv` module does by default).
fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    type Captured = Rc<RefCell<Vec<(String, Vec<u8>, u32)>>>;

    /// Records what it receives.
    struct Capture(Captured);

    impl Sink for Capture {
        fn add(&mut self, path: &str, data: &[u8], mode: u32, _: Option<&Path>) -> Result<(), ArchiveError> {
            self.0.borrow_mut().push((path.to_string(), data.to_vec(), mode));
            Ok(())
        }
        fn finish(self: Box<Self>) -> Result<PathBuf, ArchiveError> {
            Ok(PathBuf::from("captured"))
        }
    }

    fn capture(entries: &Entries, order: Order, record: Option<&str>) -> Vec<(String, Vec<u8>, u32)> {
        let out = Rc::new(RefCell::new(Vec::new()));
        entries.write(Box::new(Capture(out.clone())), order, record).unwrap();
        out.take()
    }

    #[test]
    fn wheel_order_puts_data_then_dist_info_last_with_record_at_the_end() {
        let mut e = Entries::new();
        e.add_bytes("p-1.dist-info/METADATA", "m", MODE_FILE);
        e.add_bytes("zzz.py", "z", MODE_FILE);
        e.add_bytes("p-1.data/scripts/tool", "t", MODE_EXECUTABLE);
        e.add_bytes("aaa/__init__.py", "a", MODE_FILE);
        let got: Vec<String> =
            capture(&e, Order::Wheel, Some("p-1.dist-info/RECORD")).into_iter().map(|x| x.0).collect();
        assert_eq!(
            got,
            [
                "aaa/__init__.py",
                "zzz.py",
                "p-1.data/scripts/tool",
                "p-1.dist-info/METADATA",
                "p-1.dist-info/RECORD"
            ]
        );
    }

    #[test]
    fn sdist_order_puts_pkg_info_first() {
        let mut e = Entries::new();
        e.add_bytes("p-1/README.md", "r", MODE_FILE);
        e.add_bytes("p-1/PKG-INFO", "m", MODE_FILE);
        e.add_bytes("p-1/pkg/PKG-INFO", "not the metadata", MODE_FILE);
        let got: Vec<String> = capture(&e, Order::Sdist, None).into_iter().map(|x| x.0).collect();
        assert_eq!(got, ["p-1/PKG-INFO", "p-1/README.md", "p-1/pkg/PKG-INFO"]);
    }

    #[test]
    fn record_hashes_and_quotes() {
        let mut e = Entries::new();
        e.add_bytes("a,b.txt", "hello", MODE_FILE);
        let out = capture(&e, Order::Wheel, Some("x-1.dist-info/RECORD"));
        let record = String::from_utf8(out.last().unwrap().1.clone()).unwrap();
        // sha256("hello"), urlsafe base64 without padding.
        assert_eq!(
            record,
            "\"a,b.txt\",sha256=LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ,5\nx-1.dist-info/RECORD,,\n"
        );
    }

    #[test]
    fn later_entries_replace_earlier_ones() {
        let mut e = Entries::new();
        e.add_bytes("pkg/_x.py", "old", MODE_FILE);
        e.add_bytes("pkg/_x.py", "new", MODE_FILE);
        assert_eq!(
            capture(&e, Order::Sorted, None),
            vec![("pkg/_x.py".to_string(), b"new".to_vec(), MODE_FILE)]
        );
    }

    #[test]
    fn unreadable_file_is_an_error_naming_it() {
        let mut e = Entries::new();
        e.add_file("x", "/nonexistent/file", MODE_FILE);
        let out = Rc::new(RefCell::new(Vec::new()));
        let err = e.write(Box::new(Capture(out)), Order::Sorted, None).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/file"), "{err}");
    }
}
