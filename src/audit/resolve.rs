//! Finding the file a `DT_NEEDED` name loads, in the dynamic loader's order: the
//! object's `DT_RPATH` (only when it has no `DT_RUNPATH`), `LD_LIBRARY_PATH`, its
//! `DT_RUNPATH`, the directories of `/etc/ld.so.conf` (with its `include` lines), then
//! the default directories. `$ORIGIN` is the directory of the object naming the library.
//! A candidate of another architecture or ELF class is skipped, as the loader does.

use std::path::{Path, PathBuf};

use super::elf::ElfFile;

/// The search path shared by every lookup of one audit.
#[derive(Clone, Debug, Default)]
pub struct Loader {
    library_path: Vec<PathBuf>,
    configured: Vec<PathBuf>,
}

impl Loader {
    /// The loader of this machine: `LD_LIBRARY_PATH` from the environment and
    /// `/etc/ld.so.conf`.
    pub fn system() -> Loader {
        let library_path = std::env::var("LD_LIBRARY_PATH")
            .map(|v| v.split(':').filter(|p| !p.is_empty()).map(PathBuf::from).collect())
            .unwrap_or_default();
        let mut configured = Vec::new();
        read_conf(Path::new("/etc/ld.so.conf"), &mut configured, 0);
        Loader { library_path, configured }
    }

    /// The file the loader would map for `name` needed by `from`, and its facts.
    pub fn find(&self, name: &str, from: &ElfFile) -> Option<ElfFile> {
        if name.contains('/') {
            return ElfFile::read(Path::new(name)).ok();
        }
        let origin = from.path.parent().unwrap_or(Path::new("/"));
        let expand = |dirs: &[String]| -> Vec<PathBuf> {
            dirs.iter()
                .map(|d| {
                    PathBuf::from(
                        d.replace("${ORIGIN}", "$ORIGIN").replace("$ORIGIN", &origin.to_string_lossy()),
                    )
                })
                .collect()
        };
        let mut dirs = Vec::new();
        if from.runpath.is_empty() {
            dirs.extend(expand(&from.rpath));
        }
        dirs.extend(self.library_path.iter().cloned());
        dirs.extend(expand(&from.runpath));
        dirs.extend(self.configured.iter().cloned());
        dirs.extend(default_dirs(from).into_iter().map(PathBuf::from));
        dirs.into_iter().find_map(|dir| {
            let candidate = dir.join(name);
            let elf = ElfFile::read(&candidate).ok()?;
            (elf.machine == from.machine).then_some(elf)
        })
    }
}

/// The loader's built-in directories for the object's class (multiarch ones included,
/// as Debian's loader has them compiled in).
fn default_dirs(from: &ElfFile) -> Vec<String> {
    let mut dirs = Vec::new();
    if let Some(triplet) = from.arch.and_then(multiarch) {
        dirs.push(format!("/lib/{triplet}"));
        dirs.push(format!("/usr/lib/{triplet}"));
    }
    if from.machine.1 {
        dirs.extend(["/lib64".to_string(), "/usr/lib64".to_string()]);
    }
    dirs.extend(["/lib".to_string(), "/usr/lib".to_string()]);
    dirs
}

fn multiarch(arch: &str) -> Option<&'static str> {
    Some(match arch {
        "x86_64" => "x86_64-linux-gnu",
        "i686" => "i386-linux-gnu",
        "aarch64" => "aarch64-linux-gnu",
        "armv7l" => "arm-linux-gnueabihf",
        "ppc64le" => "powerpc64le-linux-gnu",
        "s390x" => "s390x-linux-gnu",
        "riscv64" => "riscv64-linux-gnu",
        _ => return None,
    })
}

/// The directories of an `ld.so.conf` file: one per line, `#` comments, `include <glob>`
/// lines (relative globs are relative to the file's directory).
fn read_conf(path: &Path, out: &mut Vec<PathBuf>, depth: usize) {
    let Ok(text) = std::fs::read_to_string(path) else { return };
    if depth > 8 {
        return;
    }
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if let Some(pattern) = line.strip_prefix("include").filter(|p| p.starts_with(char::is_whitespace)) {
            for pattern in pattern.split_whitespace() {
                let pattern = path.parent().unwrap_or(Path::new("/")).join(pattern);
                for file in glob_files(&pattern) {
                    read_conf(&file, out, depth + 1);
                }
            }
        } else if !line.is_empty() {
            for dir in line.split([':', ',', ' ', '\t']).filter(|d| d.starts_with('/')) {
                out.push(PathBuf::from(dir));
            }
        }
    }
}

/// The files a glob in the last path component matches, sorted (the loader's order).
fn glob_files(pattern: &Path) -> Vec<PathBuf> {
    let (Some(dir), Some(name)) = (pattern.parent(), pattern.file_name()) else { return Vec::new() };
    let Ok(matcher) = globset::Glob::new(&name.to_string_lossy()).map(|g| g.compile_matcher()) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().is_some_and(|n| matcher.is_match(n)))
        .collect();
    files.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ld_so_conf_follows_includes_and_skips_comments() {
        let dir = tempfile::tempdir().unwrap();
        let conf_d = dir.path().join("ld.so.conf.d");
        std::fs::create_dir(&conf_d).unwrap();
        std::fs::write(dir.path().join("ld.so.conf"), "# main\ninclude ld.so.conf.d/*.conf\n/opt/main/lib\n")
            .unwrap();
        std::fs::write(conf_d.join("b.conf"), "/opt/b # trailing\n").unwrap();
        std::fs::write(conf_d.join("a.conf"), "/opt/a\n").unwrap();
        std::fs::write(conf_d.join("ignored.txt"), "/opt/ignored\n").unwrap();
        let mut out = Vec::new();
        read_conf(&dir.path().join("ld.so.conf"), &mut out, 0);
        assert_eq!(out, ["/opt/a", "/opt/b", "/opt/main/lib"].map(PathBuf::from));
    }
}
