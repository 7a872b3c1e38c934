//! Answers of the facts query kept between runs of the CLI, so `cffi-forge build -i
//! PYTHON` starts no Python just to learn what it learnt last time.
//!
//! An entry is keyed by the interpreter's file as it is asked for (path, resolved path,
//! size, modification time), a virtual environment's `pyvenv.cfg` beside it, the
//! environment variables that change what `sysconfig` reports, and the facts script
//! itself; it also records the identity of the executable the interpreter reported
//! (`sys.executable`, which differs for wrapper scripts), checked again on every use.
//! Entries are written atomically (a temporary file renamed into place), so concurrent
//! builds never read half an entry. Any failure to read or write just means a query.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Interpreter, QUERY};
use crate::ui;
use crate::user_cache::{self, identity};

/// Environment variables `sysconfig` and the facts script read, which `-I` does not hide.
const ENV: &[&str] =
    &["_PYTHON_HOST_PLATFORM", "_PYTHON_SYSCONFIGDATA_NAME", "MACOSX_DEPLOYMENT_TARGET", "ARCHFLAGS"];

pub(super) struct FactsCache {
    entry: PathBuf,
}

impl FactsCache {
    /// The cache entry for `python`; `None` when there is no cache folder or the
    /// interpreter's file cannot be found (the query then reports why).
    pub(super) fn for_interpreter(python: &Path) -> Option<FactsCache> {
        Self::for_interpreter_in(python, &cache_root()?)
    }

    fn for_interpreter_in(python: &Path, root: &Path) -> Option<FactsCache> {
        let resolved = resolve(python)?;
        let mut key = Sha256::new();
        let mut part = |text: &str| {
            key.update(text.as_bytes());
            key.update([0]);
        };
        part(env!("CARGO_PKG_VERSION"));
        part(QUERY);
        part(&python.display().to_string());
        part(&identity(&resolved)?);
        if let Some(bin) = resolved.parent() {
            for dir in [Some(bin), bin.parent()].into_iter().flatten() {
                part(&identity(&dir.join("pyvenv.cfg")).unwrap_or_default());
            }
        }
        for name in ENV {
            part(&format!("{name}={:?}", std::env::var_os(name)));
        }
        let key = key.finalize().iter().map(|b| format!("{b:02x}")).collect::<String>();
        Some(FactsCache { entry: root.join(format!("{key}.json")) })
    }

    /// The cached facts, if the entry exists and the executable it names is unchanged.
    pub(super) fn load(&self) -> Option<Interpreter> {
        let text = std::fs::read_to_string(&self.entry).ok()?;
        let (reported, json) = text.split_once('\n')?;
        let interp: Interpreter = serde_json::from_str(json).ok()?;
        if identity(&interp.executable).as_deref() != Some(reported) {
            return None;
        }
        ui::verbose(
            "Interpreter",
            format!("facts of {} from {}", interp.executable.display(), self.entry.display()),
        );
        Some(interp)
    }

    pub(super) fn store(&self, interp: &Interpreter, json: &[u8]) {
        let Some(reported) = identity(&interp.executable) else { return };
        if let Err(e) = self.write(&reported, json) {
            ui::verbose("Interpreter", format!("cannot cache the facts in {}: {e}", self.entry.display()));
        }
    }

    fn write(&self, reported: &str, json: &[u8]) -> std::io::Result<()> {
        user_cache::store(&self.entry, &[reported.as_bytes(), b"\n", json.trim_ascii()])
    }
}

fn cache_root() -> Option<PathBuf> {
    user_cache::folder("interpreters")
}

/// The file `python` names: looked up on `PATH` when it is a bare name, as spawning it
/// would.
fn resolve(python: &Path) -> Option<PathBuf> {
    if python.components().count() == 1 && !python.is_absolute() {
        which::which(python).ok()
    } else {
        std::path::absolute(python).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_names_the_interpreter_file_and_survives_only_while_it_is_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let exe = dir.path().join("python");
        std::fs::write(&exe, "one").unwrap();
        let entry = |exe: &Path| FactsCache::for_interpreter_in(exe, dir.path()).unwrap().entry;
        let first = entry(&exe);
        assert_eq!(first, entry(&exe), "the same file, the same entry");
        std::fs::write(&exe, "longer").unwrap();
        assert_ne!(first, entry(&exe), "a changed interpreter file, a new entry");
        std::fs::write(dir.path().join("pyvenv.cfg"), "home = /usr/bin").unwrap();
        let with_venv = entry(&exe);
        std::fs::write(dir.path().join("pyvenv.cfg"), "home = /opt/python/bin").unwrap();
        assert_ne!(with_venv, entry(&exe), "a recreated virtual environment, a new entry");
    }
}
