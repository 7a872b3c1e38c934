//! Temporary files of runs that ended without cleaning up (SIGKILL, a crash, a power cut):
//! the cache's `.tmp<pid>-*` files and the output directory's `.tmp-cffi-forge-<pid>-*`.
//! Every temporary name carries the id of the process that made it, so the next build can
//! tell a dead run's leftovers from a concurrent build's work in progress: it removes a
//! temporary whose process is gone, or (the id may have been reused) that is over an hour
//! old.

use std::path::Path;
use std::time::{Duration, SystemTime};

/// Older than this, a temporary is a leftover whatever its process id says.
const MAX_AGE: Duration = Duration::from_secs(60 * 60);

/// The marker of the cache's temporaries (`.tmp<pid>-<n>-<name>`).
pub const CACHE_MARKER: &str = ".tmp";
/// The marker of temporaries in an output directory (`.tmp-cffi-forge-<pid>-XXXXXX`).
pub const OUTPUT_MARKER: &str = ".tmp-cffi-forge-";

/// The prefix of this process's temporaries in an output directory.
pub fn output_prefix() -> String {
    format!("{OUTPUT_MARKER}{}-", std::process::id())
}

/// Remove dead runs' temporaries from an output directory, saying so with `-v`.
pub fn clean_output_dir(dir: &Path) {
    report(remove_in(dir, OUTPUT_MARKER), dir);
}

/// Remove dead runs' temporaries from the build directory's cache, saying so with `-v`.
pub fn clean_build_dir(build_dir: &Path) {
    report(remove_in_build_dir(build_dir), build_dir);
}

fn report(removed: usize, dir: &Path) {
    if removed > 0 {
        let files = if removed == 1 { "file" } else { "files" };
        crate::ui::verbose(
            "Removed",
            format!("{removed} temporary {files} of ended runs from {}", dir.display()),
        );
    }
}

/// Remove the leftovers in the build directory's cache folders; returns how many.
pub fn remove_in_build_dir(build_dir: &Path) -> usize {
    let mut removed = 0;
    for kind in ["objects", "modules", "libraries", "gen"] {
        let kind_dir = build_dir.join(kind);
        // Before content-addressed folders, temporaries lived in `objects/` itself, named
        // `<key>.tmp<pid>-<n>.o` (only cffi-forge's own names there, so matching the marker
        // anywhere in the name is safe).
        removed += remove_matching(&kind_dir, |name| {
            name.find(CACHE_MARKER).map(|i| &name[i + CACHE_MARKER.len()..])
        });
        let Ok(entries) = std::fs::read_dir(&kind_dir) else { continue };
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                removed += remove_in(&entry.path(), CACHE_MARKER);
                // `gen/<hash>/` sources are written by `atomic_write`, on output temporaries.
                removed += remove_in(&entry.path(), OUTPUT_MARKER);
            }
        }
    }
    removed
}

/// Remove the leftovers directly in `dir` whose names start with `marker` followed by a
/// process id; returns how many. Failures are ignored: another build may be removing the
/// same leftover, and a leftover that stays does no harm.
pub fn remove_in(dir: &Path, marker: &str) -> usize {
    remove_matching(dir, |name| name.strip_prefix(marker))
}

/// Remove the leftovers in `dir`; `after_marker` gives what follows the marker in a
/// temporary's name (the process id, `-`, the rest).
fn remove_matching(dir: &Path, after_marker: impl Fn(&str) -> Option<&str>) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(rest) = after_marker(name) else { continue };
        let Ok(meta) = entry.metadata() else { continue };
        let old = meta.modified().ok().and_then(|m| SystemTime::now().duration_since(m).ok()) > Some(MAX_AGE);
        let dead = pid_in(rest).is_some_and(|pid| !is_alive(pid));
        if !(old || dead) {
            continue;
        }
        let path = entry.path();
        let gone = if meta.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        if gone.is_ok() {
            removed += 1;
        }
    }
    removed
}

/// `123-...` → 123: the digits before the first `-`.
fn pid_in(rest: &str) -> Option<u32> {
    let (digits, _) = rest.split_once('-')?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(unix)]
fn is_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) else { return false };
    // EPERM: it exists, as another user's process.
    !matches!(rustix::process::test_kill_process(pid), Err(rustix::io::Errno::SRCH))
}

/// Elsewhere only the age decides.
#[cfg(not(unix))]
fn is_alive(_pid: u32) -> bool {
    true
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn dead_pid() -> u32 {
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        pid
    }

    #[test]
    fn process_ids_in_names() {
        assert_eq!(pid_in("123-4-x.o"), Some(123));
        assert_eq!(pid_in("123-Ab3xYz"), Some(123));
        assert_eq!(pid_in("AbC123"), None, "a name from before process ids");
        assert_eq!(pid_in("123"), None);
        assert_eq!(pid_in("-1-x"), None);
    }

    #[test]
    fn dead_or_old_temporaries_go_live_and_other_files_stay() {
        let dir = tempfile::tempdir().unwrap();
        let (dead, live) = (dead_pid(), std::process::id());
        let write = |name: &str| {
            let path = dir.path().join(name);
            std::fs::write(&path, "x").unwrap();
            path
        };
        write(&format!(".tmp{dead}-0-x.o"));
        let live_file = write(&format!(".tmp{live}-0-x.o"));
        let old = write(&format!(".tmp{live}-1-x.o"));
        std::fs::File::options()
            .write(true)
            .open(&old)
            .unwrap()
            .set_modified(SystemTime::now() - 2 * MAX_AGE)
            .unwrap();
        write("entry");
        write("x.o");
        std::fs::create_dir(dir.path().join(format!("{OUTPUT_MARKER}{dead}-Ab12Cd"))).unwrap();
        write(&format!("{OUTPUT_MARKER}{dead}-Xy34Zw"));

        assert_eq!(remove_in(dir.path(), CACHE_MARKER), 2);
        assert_eq!(remove_in(dir.path(), OUTPUT_MARKER), 2);
        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, [live_file.file_name().unwrap().to_str().unwrap(), "entry", "x.o"]);
    }

    #[test]
    fn a_generated_source_temporary_of_a_dead_run_goes() {
        let build = tempfile::tempdir().unwrap();
        let gen = build.path().join("gen/0123abcd");
        std::fs::create_dir_all(&gen).unwrap();
        let (dead, live) = (dead_pid(), std::process::id());
        std::fs::write(gen.join(format!("{OUTPUT_MARKER}{dead}-Ab12Cd")), "x").unwrap();
        std::fs::write(gen.join(format!("{OUTPUT_MARKER}{live}-Ef34Gh")), "x").unwrap();
        std::fs::write(gen.join("_m.c"), "x").unwrap();
        assert_eq!(remove_in_build_dir(build.path()), 1);
        let mut left: Vec<String> =
            std::fs::read_dir(&gen).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
        left.sort();
        assert_eq!(left, [format!("{OUTPUT_MARKER}{live}-Ef34Gh"), "_m.c".to_string()]);
    }
}
