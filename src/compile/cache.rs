//! The content-addressed cache that makes a no-change rebuild cheap.
//!
//! An object file is stored under the hash of everything that decides its content: the
//! compiler (path, size, mtime), the full command line, and the source text. The
//! compiler's own dependency list (`-MD -MF`) is kept next to it with a hash of every
//! header it read, so changing a header invalidates the object even though the key
//! doesn't mention it. A linked module is stored under the hash of its link command and
//! the contents of its inputs.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use fs_err as fs;
use sha2::{Digest, Sha256};

/// Builds a cache key from the parts that decide an output.
#[derive(Clone, Default)]
pub struct Key(Sha256);

impl Key {
    pub fn new(kind: &str) -> Self {
        let mut key = Key(Sha256::new());
        key.text(kind);
        key
    }

    pub fn text(&mut self, text: impl AsRef<OsStr>) -> &mut Self {
        self.0.update(text.as_ref().as_encoded_bytes());
        self.0.update([0]);
        self
    }

    pub fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }

    /// A file by identity: path, size and modification time (for the compiler itself,
    /// which is large and changes only on upgrades).
    pub fn file_identity(&mut self, path: &Path) -> &mut Self {
        self.text(path);
        if let Ok(meta) = std::fs::metadata(path) {
            self.text(format!("{} {:?}", meta.len(), meta.modified().ok()));
        }
        self
    }

    /// A file by content; a missing file is part of the key too.
    pub fn file_content(&mut self, path: &Path) -> &mut Self {
        self.text(path);
        match std::fs::read(path) {
            Ok(bytes) => self.bytes(&bytes),
            Err(_) => self.text("<missing>"),
        }
    }

    pub fn finish(&self) -> String {
        hex(&self.0.clone().finalize())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn content_hash(path: &Path) -> Option<String> {
    std::fs::read(path).ok().map(|bytes| hex(&Sha256::digest(&bytes)))
}

/// The dependency record of a cached object: every file the compiler read, with the
/// hash of its content at the time.
pub fn write_deps(record: &Path, deps: &[PathBuf]) -> std::io::Result<()> {
    let mut text = String::new();
    for dep in deps {
        // A dependency that vanished since compiling can't be vouched for: no record.
        let Some(hash) = content_hash(dep) else { return Ok(()) };
        let _ = writeln!(text, "{hash} {}", dep.display());
    }
    fs::write(record, text)
}

/// Whether every file listed in the dependency record still has the recorded content.
pub fn deps_unchanged(record: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(record) else { return false };
    text.lines().all(|line| match line.split_once(' ') {
        Some((hash, path)) => content_hash(Path::new(path)).as_deref() == Some(hash),
        None => false,
    })
}

/// The prerequisites in a Makefile-style dependency file as gcc and clang write it
/// (`obj.o: a.c b.h \` continued lines, spaces in names escaped with `\`),
/// relative paths taken from `cwd`.
pub fn parse_depfile(text: &str, cwd: &Path) -> Vec<PathBuf> {
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    let mut deps = Vec::new();
    for rule in joined.lines() {
        // The target ends at the first ": " (a Windows drive letter has no space after).
        let Some(colon) = rule.find(": ").or_else(|| rule.strip_suffix(':').map(|s| s.len())) else {
            continue;
        };
        let mut current = String::new();
        let mut chars = rule[colon + 1..].chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&' ') => current.push(chars.next().unwrap()),
                '$' if chars.peek() == Some(&'$') => current.push(chars.next().unwrap()),
                c if c.is_whitespace() => {
                    if !current.is_empty() {
                        deps.push(cwd.join(std::mem::take(&mut current)));
                    }
                }
                c => current.push(c),
            }
        }
        if !current.is_empty() {
            deps.push(cwd.join(current));
        }
    }
    deps.sort();
    deps.dedup();
    deps
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depfile_with_continuations_escapes_and_phony_targets() {
        let text =
            "/b/obj.o: /src/a\\ b.c /usr/include/stdio.h \\\n rel.h \\\n  /x/$$y.h\n/usr/include/stdio.h:\n";
        let deps = parse_depfile(text, Path::new("/proj"));
        let expect: Vec<PathBuf> = ["/proj/rel.h", "/src/a b.c", "/usr/include/stdio.h", "/x/$y.h"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(deps, expect);
    }

    #[test]
    fn deps_record_notices_changed_content_not_mtime() {
        let dir = tempfile::tempdir().unwrap();
        let header = dir.path().join("h.h");
        std::fs::write(&header, "int x;").unwrap();
        let record = dir.path().join("obj.deps");
        write_deps(&record, std::slice::from_ref(&header)).unwrap();
        assert!(deps_unchanged(&record));
        std::fs::write(&header, "int x;").unwrap(); // touched, same content
        assert!(deps_unchanged(&record));
        std::fs::write(&header, "int y;").unwrap();
        assert!(!deps_unchanged(&record));
        assert!(!deps_unchanged(&dir.path().join("no-such-record")));
    }

    #[test]
    fn keys_depend_on_every_part() {
        let a = Key::new("compile").text("-O2").text("x.c").finish();
        let b = Key::new("compile").text("-O2x").text(".c").finish();
        assert_ne!(a, b, "parts are separated");
        assert_eq!(a, Key::new("compile").text("-O2").text("x.c").finish());
    }
}
