//! Which headers a cached object would see if it were compiled now. The compiler's
//! dependency list says which file each `#include` resolved to; the cache entry keeps a
//! hash of each. That misses a header *added* earlier on the search path with the same
//! name (it shadows the old one, and a clean build would use it). So at store time each
//! header is turned back into the names it could have been included by, and every place
//! earlier on the search path where such a name would now be found is recorded as
//! "absent"; if one of them exists at lookup, the object is stale.

use std::collections::HashMap;
use std::ffi::OsString;
use std::path::{Component, Path, PathBuf};

/// How many trailing path components a system header may have been included by
/// (`<stdio.h>`, `<sys/types.h>`, `<x86_64-linux-gnu/bits/types.h>`).
const SYSTEM_NAME_DEPTH: usize = 3;

/// The include search path of a compile command, in order: `-I`, `-iquote`, `-isystem`,
/// `-idirafter` (joined or separate) and MSVC's `/I`, then the `CPATH`-style variables
/// given in `env_dirs`. Relative directories are taken from `cwd`.
pub fn search_path(args: &[OsString], cwd: &Path, env_dirs: &[&str]) -> Vec<PathBuf> {
    const FLAGS: [&str; 5] = ["-iquote", "-isystem", "-idirafter", "-I", "/I"];
    let mut dirs = Vec::new();
    let mut args = args.iter().map(|a| a.to_string_lossy());
    while let Some(arg) = args.next() {
        let Some(flag) = FLAGS.iter().find(|f| arg.starts_with(**f)) else { continue };
        let dir = match &arg[flag.len()..] {
            "" => match args.next() {
                Some(next) => next.into_owned(),
                None => break,
            },
            joined => joined.to_string(),
        };
        dirs.push(normalize(&cwd.join(dir)));
    }
    let separator = if cfg!(windows) { ';' } else { ':' };
    for value in env_dirs {
        dirs.extend(value.split(separator).filter(|d| !d.is_empty()).map(|d| normalize(&cwd.join(d))));
    }
    dirs
}

/// The paths that do not exist now but, if created, would be found before one of the
/// headers in `deps` when compiling `source` with include path `search`.
pub fn shadow_candidates(source: &Path, deps: &[PathBuf], search: &[PathBuf]) -> Vec<PathBuf> {
    // A quoted include looks next to the including file first.
    let source = normalize(source);
    let dirs: Vec<PathBuf> =
        source.parent().map(Path::to_path_buf).into_iter().chain(search.iter().cloned()).collect();
    let mut candidates = Vec::new();
    for dep in deps {
        let dep = normalize(dep);
        if dep == source {
            continue;
        }
        match dirs.iter().position(|d| dep.starts_with(d)) {
            // Found in dirs[found]: the same name in any earlier directory would win.
            Some(found) => {
                let name = dep.strip_prefix(&dirs[found]).unwrap();
                candidates.extend(dirs[..found].iter().map(|d| d.join(name)));
            }
            // A system header: the names it may have been included by, in any directory
            // on the search path (all of them come before the system's).
            None => {
                let parts: Vec<Component> = dep.components().collect();
                for depth in 1..=SYSTEM_NAME_DEPTH.min(parts.len().saturating_sub(1)) {
                    let name: PathBuf = parts[parts.len() - depth..].iter().collect();
                    candidates.extend(dirs.iter().map(|d| d.join(&name)));
                }
            }
        }
    }
    // By bytes, not by components: hundreds of candidates per object, and only the
    // duplicates need to meet (all of them are built the same way, by `join`).
    candidates.sort_unstable_by(|a, b| a.as_os_str().cmp(b.as_os_str()));
    candidates.dedup();
    // One that exists already did not win when the object was compiled (the compiler
    // knows rules this model does not): its appearing is not news.
    let mut existence = Existence::default();
    candidates.retain(|c| !existence.exists(c));
    candidates
}

/// Whether paths exist (`lstat`), each directory asked about once first: most shadow
/// candidates lie in directories that do not exist at all (`<dir>/bits/`, `<dir>/sys/`),
/// and a path in a directory that cannot be reached cannot be reached either. Over a
/// thousand `lstat` calls per object with `Python.h` become a few hundred.
#[derive(Default)]
pub struct Existence {
    dirs: HashMap<PathBuf, bool>,
}

impl Existence {
    pub fn exists(&mut self, path: &Path) -> bool {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            let reachable = match self.dirs.get(dir) {
                Some(&known) => known,
                None => {
                    let known = std::fs::metadata(dir).is_ok();
                    self.dirs.insert(dir.to_path_buf(), known);
                    known
                }
            };
            if !reachable {
                return false;
            }
        }
        std::fs::symlink_metadata(path).is_ok()
    }
}

/// `a/./b/../c` → `a/c`, without touching the file system (the depfile's paths are as
/// the compiler opened them).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn os(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn search_path_in_command_line_order_then_the_environment() {
        let args =
            os(&["cc", "-O2", "-Iinc", "-I", "/abs/x", "-isystem", "sys", "-DX=1", "/Iwin", "-iquote./q"]);
        let dirs = search_path(&args, Path::new("/proj"), &["/env/a:/env/b", ""]);
        let expect: Vec<PathBuf> =
            ["/proj/inc", "/abs/x", "/proj/sys", "/proj/win", "/proj/q", "/env/a", "/env/b"]
                .iter()
                .map(PathBuf::from)
                .collect();
        assert_eq!(dirs, expect);
    }

    #[test]
    #[cfg(unix)]
    fn existence_answers_as_lstat_does() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        std::fs::create_dir_all(root.join("dir/sub")).unwrap();
        std::fs::write(root.join("dir/file.h"), "").unwrap();
        std::fs::write(root.join("dir/sub/deep.h"), "").unwrap();
        std::os::unix::fs::symlink(root.join("dir"), root.join("link")).unwrap();
        std::os::unix::fs::symlink(root.join("nowhere"), root.join("dir/dangling.h")).unwrap();
        let mut existence = Existence::default();
        for rel in [
            "dir/file.h",
            "dir/missing.h",
            "dir/sub/deep.h",
            "dir/sub/none.h",
            "dir/file.h/inside.h",
            "missing/x.h",
            "missing/deeper/x.h",
            "link/file.h",
            "link/sub/deep.h",
            "link/missing.h",
            "dir/dangling.h",
            "dir/dangling.h/x.h",
        ] {
            let path = root.join(rel);
            // Twice: the second answer comes partly from what was learnt the first time.
            for _ in 0..2 {
                assert_eq!(existence.exists(&path), std::fs::symlink_metadata(&path).is_ok(), "{rel}");
            }
        }
    }

    #[test]
    fn earlier_directories_and_the_source_directory_can_shadow() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        for dir in ["src", "a", "b"] {
            std::fs::create_dir(root.join(dir)).unwrap();
        }
        std::fs::write(root.join("b/val.h"), "").unwrap();
        let source = root.join("src/m.c");
        let search = vec![root.join("a"), root.join("b")];
        let deps = vec![source.clone(), root.join("b/./val.h"), PathBuf::from("/usr/include/sys/types.h")];
        let got = shadow_candidates(&source, &deps, &search);
        for expected in ["src/val.h", "a/val.h", "src/types.h", "a/sys/types.h", "b/include/sys/types.h"] {
            assert!(got.contains(&root.join(expected)), "{expected} in {got:?}");
        }
        assert!(!got.contains(&root.join("b/val.h")), "the header itself");
        assert!(!got.iter().any(|c| c.starts_with("/usr")), "nothing outside the search path: {got:?}");
        // Something there already is not a candidate.
        std::fs::write(root.join("a/val.h"), "").unwrap();
        assert!(!shadow_candidates(&source, &deps, &search).contains(&root.join("a/val.h")));
    }
}
