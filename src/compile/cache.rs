//! The content-addressed cache that makes a no-change rebuild cheap.
//!
//! An object file is stored under the hash of everything that decides its content: the
//! compiler (path, size, mtime), the full command line, and the source text. The
//! compiler's own dependency list (`-MD -MF`) is kept next to it with a hash of every
//! header it read, so changing a header invalidates the object even though the key
//! doesn't mention it. A linked module is stored under the hash of its link command and
//! the contents of its inputs.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

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

/// The content hashes of dependency files, each taken once per build (clear it when a
/// build starts): a header several objects include (`Python.h` brings about 190 with it)
/// is read and hashed once, not at every object's lookup and again at its store. Within
/// one build a header counts as unchanging, as it does for the compiler.
#[derive(Default)]
pub struct HashMemo(Mutex<HashMap<PathBuf, Option<String>>>);

impl HashMemo {
    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    fn hash(&self, path: &Path) -> Option<String> {
        if let Some(hash) = self.0.lock().unwrap_or_else(|p| p.into_inner()).get(path) {
            return hash.clone();
        }
        // Hashed outside the lock: parallel compiles hash different headers at once.
        let hash = content_hash(path);
        self.0.lock().unwrap_or_else(|p| p.into_inner()).insert(path.to_path_buf(), hash.clone());
        hash
    }
}

/// What is wrong with a cached file that its entry vouches for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrupt {
    /// The file, relative to the build directory (`objects/<key>/x.o`).
    pub file: PathBuf,
    pub why: String,
}

/// The answer of [`Store::lookup`].
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup {
    /// The file, verified against its entry, with every dependency unchanged.
    Hit(PathBuf),
    /// Nothing usable: never built, a dependency changed, or a half-published entry.
    Miss,
    /// The file is there but not what was stored: truncated, emptied or altered.
    Corrupt(Corrupt),
    /// A header that did not exist at compile time now comes first on the include path.
    Shadowed(PathBuf),
}

/// One kind of cached output (`objects`, `modules`, `libraries`), content-addressed:
/// `<build dir>/<kind>/<key>/<file>` next to `<key>/entry`, the record written when the
/// file was stored: its size and SHA-256, and the files it was made from with theirs.
/// Files and entries are published by rename, so a reader sees a whole file or none.
pub struct Store<'m> {
    build_dir: PathBuf,
    kind: &'static str,
    memo: Option<&'m HashMemo>,
}

const ENTRY: &str = "entry";
const ENTRY_HEADER: &str = "cffi-forge cache entry 1";

impl<'m> Store<'m> {
    pub fn new(build_dir: &Path, kind: &'static str) -> Self {
        Store { build_dir: build_dir.to_path_buf(), kind, memo: None }
    }

    /// Dependency hashes come from (and go into) `memo`, shared by one build's steps.
    pub fn with_memo(mut self, memo: &'m HashMemo) -> Self {
        self.memo = Some(memo);
        self
    }

    fn dep_hash(&self, path: &Path) -> Option<String> {
        match self.memo {
            Some(memo) => memo.hash(path),
            None => content_hash(path),
        }
    }

    fn dir(&self, key: &str) -> PathBuf {
        self.build_dir.join(self.kind).join(key)
    }

    /// The stored file for `key`, if its entry vouches for it and (`deps`) every file it
    /// was made from still has the recorded content.
    pub fn lookup(&self, key: &str, name: &str) -> Lookup {
        let dir = self.dir(key);
        let file = dir.join(name);
        let Ok(text) = std::fs::read_to_string(dir.join(ENTRY)) else { return Lookup::Miss };
        let Some(entry) = Entry::parse(&text) else { return Lookup::Miss };
        let corrupt = |why: String| {
            let shown = file.strip_prefix(&self.build_dir).unwrap_or(&file).to_path_buf();
            Lookup::Corrupt(Corrupt { file: shown, why })
        };
        let bytes = match std::fs::read(&file) {
            Ok(bytes) => bytes,
            Err(e) => return corrupt(format!("cannot read it: {e}")),
        };
        if bytes.len() as u64 != entry.size {
            return corrupt(format!("{} bytes, {} recorded", bytes.len(), entry.size));
        }
        if hex(&Sha256::digest(&bytes)) != entry.sha256 {
            return corrupt("its content differs from the recorded hash".into());
        }
        let deps_unchanged =
            entry.deps.iter().all(|(hash, path)| self.dep_hash(path).as_deref() == Some(hash.as_str()));
        if !deps_unchanged {
            return Lookup::Miss;
        }
        let mut existence = super::includes::Existence::default();
        match entry.absent.into_iter().find(|path| existence.exists(path)) {
            Some(shadowing) => Lookup::Shadowed(shadowing),
            None => Lookup::Hit(file),
        }
    }

    /// A temporary path for building the file of `key` (`.tmp<pid>-<n>-<name>` in its
    /// directory: unique per build, and a dead build's leftovers name their process).
    pub fn temp(&self, key: &str, name: &str) -> std::io::Result<PathBuf> {
        let dir = self.dir(key);
        fs::create_dir_all(&dir)?;
        Ok(dir.join(format!(".tmp{}-{}-{name}", std::process::id(), unique())))
    }

    /// Publish the finished `tmp` as the file of `key`, with an entry recording its size,
    /// hash, the current content of `deps`, and the `absent` paths whose appearing makes
    /// it stale (see `includes`). Returns the stored file.
    pub fn publish(
        &self,
        key: &str,
        name: &str,
        tmp: &Path,
        deps: &[PathBuf],
        absent: &[PathBuf],
    ) -> std::io::Result<PathBuf> {
        let dir = self.dir(key);
        let file = dir.join(name);
        let entry_path = dir.join(ENTRY);
        // The old entry goes first: between the renames, a reader finds no entry (a miss),
        // never an entry that does not match the file.
        match std::fs::remove_file(&entry_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let bytes = fs::read(tmp)?;
        fs::rename(tmp, &file)?;
        let mut text =
            format!("{ENTRY_HEADER}\nsize {}\nsha256 {}\n", bytes.len(), hex(&Sha256::digest(&bytes)));
        for dep in deps {
            // A dependency that vanished since, or a name the record cannot hold, can't be
            // vouched for: no entry, the file is rebuilt next time.
            let Some(hash) = self.dep_hash(dep) else { return Ok(file) };
            let Some(path) = dep.to_str().filter(|p| !p.contains('\n')) else { return Ok(file) };
            let _ = writeln!(text, "dep {hash} {path}");
        }
        for path in absent {
            let Some(path) = path.to_str().filter(|p| !p.contains('\n')) else { return Ok(file) };
            let _ = writeln!(text, "absent {path}");
        }
        let entry_tmp = dir.join(format!(".tmp{}-{}-{ENTRY}", std::process::id(), unique()));
        fs::write(&entry_tmp, text)?;
        fs::rename(&entry_tmp, &entry_path)?;
        Ok(file)
    }
}

/// The files a stored file was made from, as its entry records them (nothing when
/// there is no readable entry).
pub fn recorded_deps(stored: &Path) -> Vec<PathBuf> {
    let Some(dir) = stored.parent() else { return Vec::new() };
    std::fs::read_to_string(dir.join(ENTRY))
        .ok()
        .and_then(|text| Entry::parse(&text))
        .map(|entry| entry.deps.into_iter().map(|(_, path)| path).collect())
        .unwrap_or_default()
}

/// The parsed record of one stored file.
struct Entry {
    size: u64,
    sha256: String,
    /// (content hash, path) of every file it was made from.
    deps: Vec<(String, PathBuf)>,
    /// Paths that did not exist when it was made and would have changed it.
    absent: Vec<PathBuf>,
}

impl Entry {
    fn parse(text: &str) -> Option<Entry> {
        let mut lines = text.lines();
        if lines.next()? != ENTRY_HEADER {
            return None;
        }
        let size = lines.next()?.strip_prefix("size ")?.parse().ok()?;
        let sha256 = lines.next()?.strip_prefix("sha256 ")?.to_string();
        let (mut deps, mut absent) = (Vec::new(), Vec::new());
        for line in lines {
            match line.split_once(' ')? {
                ("dep", rest) => {
                    let (hash, path) = rest.split_once(' ')?;
                    deps.push((hash.to_string(), PathBuf::from(path)));
                }
                ("absent", path) => absent.push(PathBuf::from(path)),
                _ => return None,
            }
        }
        Some(Entry { size, sha256, deps, absent })
    }
}

fn unique() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
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

    fn stored(store: &Store, key: &str, content: &[u8], deps: &[PathBuf]) -> PathBuf {
        let tmp = store.temp(key, "x.o").unwrap();
        std::fs::write(&tmp, content).unwrap();
        store.publish(key, "x.o", &tmp, deps, &[]).unwrap()
    }

    #[test]
    fn entries_notice_changed_dependencies_by_content_not_mtime() {
        let dir = tempfile::tempdir().unwrap();
        let header = dir.path().join("h.h");
        std::fs::write(&header, "int x;").unwrap();
        let store = Store::new(dir.path(), "objects");
        let file = stored(&store, "k1", b"object", std::slice::from_ref(&header));
        assert_eq!(file, dir.path().join("objects/k1/x.o"));
        assert_eq!(store.lookup("k1", "x.o"), Lookup::Hit(file.clone()));
        std::fs::write(&header, "int x;").unwrap(); // touched, same content
        assert_eq!(store.lookup("k1", "x.o"), Lookup::Hit(file));
        std::fs::write(&header, "int y;").unwrap();
        assert_eq!(store.lookup("k1", "x.o"), Lookup::Miss);
        assert_eq!(store.lookup("k2", "x.o"), Lookup::Miss);
        // Only the published file and its entry remain.
        assert_eq!(listing(&dir.path().join("objects/k1")), ["entry", "x.o"]);
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn an_absent_path_that_appears_makes_the_entry_stale() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path(), "objects");
        let shadow = dir.path().join("a/val.h");
        let tmp = store.temp("k", "x.o").unwrap();
        std::fs::write(&tmp, b"obj").unwrap();
        store.publish("k", "x.o", &tmp, &[], std::slice::from_ref(&shadow)).unwrap();
        assert!(matches!(store.lookup("k", "x.o"), Lookup::Hit(_)));
        std::fs::create_dir(dir.path().join("a")).unwrap();
        std::fs::write(&shadow, "").unwrap();
        assert_eq!(store.lookup("k", "x.o"), Lookup::Shadowed(shadow));
    }

    #[test]
    fn truncated_emptied_altered_or_missing_files_are_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path(), "objects");
        let file = stored(&store, "k", b"0123456789", &[]);
        let corrupt = |why: &str| {
            Lookup::Corrupt(Corrupt { file: PathBuf::from("objects/k/x.o"), why: why.to_string() })
        };
        std::fs::write(&file, b"01234").unwrap();
        assert_eq!(store.lookup("k", "x.o"), corrupt("5 bytes, 10 recorded"));
        std::fs::write(&file, b"").unwrap();
        assert_eq!(store.lookup("k", "x.o"), corrupt("0 bytes, 10 recorded"));
        std::fs::write(&file, b"0123456780").unwrap();
        assert_eq!(store.lookup("k", "x.o"), corrupt("its content differs from the recorded hash"));
        std::fs::remove_file(&file).unwrap();
        assert!(
            matches!(store.lookup("k", "x.o"), Lookup::Corrupt(c) if c.why.starts_with("cannot read it"))
        );
        // Republishing repairs it; a file without an entry (a half-published one) is a miss.
        stored(&store, "k", b"0123456789", &[]);
        assert!(matches!(store.lookup("k", "x.o"), Lookup::Hit(_)));
        std::fs::remove_file(dir.path().join("objects/k/entry")).unwrap();
        assert_eq!(store.lookup("k", "x.o"), Lookup::Miss);
    }

    #[test]
    fn keys_depend_on_every_part() {
        let a = Key::new("compile").text("-O2").text("x.c").finish();
        let b = Key::new("compile").text("-O2x").text(".c").finish();
        assert_ne!(a, b, "parts are separated");
        assert_eq!(a, Key::new("compile").text("-O2").text("x.c").finish());
    }
}
