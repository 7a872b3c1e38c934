//! The `cc` crate's answer for a build's compiler — its command line, environment and
//! family — kept between builds in the user cache. Finding it costs `cc` a compiler-family
//! probe (`cc -E` of a test file, then `cc -?`): two compiler runs before every build's
//! first compile, more than cffi-forge's own work in a small build.
//!
//! An entry is keyed by what `cc` decides from: the target and host, the language, the
//! environment variables it reads (`CC`, `CFLAGS`, `CC_<target>`, `AR`, `SDKROOT`, ...;
//! `PATH` is not in the key, see below) and the running cffi-forge binary (a new `cc`
//! crate may decide differently). It records the identity — resolved path, size,
//! modification time — of the compiler and of a wrapper in front of it, as `PATH` finds
//! them now; an entry whose programs are not those any more (an upgraded, replaced or
//! touched compiler, another `PATH`) is asked again. Only native builds use it: for a
//! cross target `cc` picks among prefixed compilers on `PATH`, and zig or a macOS cross
//! setup is chosen elsewhere. Any failure to read or write the cache just means a probe.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::interpreter::Interpreter;
use crate::spec::Language;
use crate::{ui, user_cache};

use super::compiler::Compiler;
use super::target::host_triple;
use super::{darwin, Env};

/// Parts of environment variable names `cc` reads to choose a compiler and its flags
/// (`CC`, `CXX`, `HOST_CC`, `CC_x86_64_unknown_linux_gnu`, `CFLAGS`, `CRATE_CC_NO_DEFAULTS`,
/// `AR`, `SDKROOT`, `MACOSX_DEPLOYMENT_TARGET`, MSVC's `VCINSTALLDIR`, `INCLUDE`, `LIB`,
/// ...). Broad on purpose: a variable matched needlessly only costs a probe when it
/// changes.
const ENV_PARTS: &[&str] = &[
    "CC",
    "CXX",
    "FLAGS",
    "AR",
    "RANLIB",
    "SDK",
    "DEPLOYMENT_TARGET",
    "TARGET",
    "HOST",
    "VC",
    "VS",
    "INCLUDE",
    "LIB",
    "RUST",
    "CARGO",
    "NDK",
    "WRAPPER",
    "CUDA",
    "DEBUG",
    "OPT_LEVEL",
    "PROFILE",
];

pub(super) struct ProbeCache {
    entry: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    /// `(program as the command names it, its identity)` for the wrapper and the compiler.
    programs: Vec<(PathBuf, String)>,
    compiler: Compiler,
}

impl ProbeCache {
    /// The entry for a build's compiler; `None` when the build is not a native one or
    /// there is no cache folder.
    pub(super) fn for_build(
        interp: &Interpreter,
        env: &Env,
        target: &str,
        language: &Language,
        zig: bool,
    ) -> Option<ProbeCache> {
        if zig || darwin::is_cross(interp) || target != host_triple() {
            return None;
        }
        Self::in_folder(&user_cache::folder("compilers")?, interp, env, target, language)
    }

    fn in_folder(
        folder: &Path,
        interp: &Interpreter,
        env: &Env,
        target: &str,
        language: &Language,
    ) -> Option<ProbeCache> {
        let mut key = Sha256::new();
        let mut part = |text: &[u8]| {
            key.update(text);
            key.update([0]);
        };
        part(user_cache::this_binary().as_bytes());
        part(target.as_bytes());
        part(host_triple().as_bytes());
        part(interp.platform.as_bytes());
        part(if *language == Language::Cxx { b"c++" } else { b"c" });
        for (name, value) in env {
            let text = name.to_string_lossy();
            if ENV_PARTS.iter().any(|p| text.contains(p)) {
                part(name.as_encoded_bytes());
                part(value.as_encoded_bytes());
            }
        }
        let key = key.finalize().iter().map(|b| format!("{b:02x}")).collect::<String>();
        Some(ProbeCache { entry: folder.join(format!("{key}.json")) })
    }

    /// The cached compiler, if the entry exists and its programs are unchanged.
    pub(super) fn load(&self, env: &Env) -> Option<Compiler> {
        let text = std::fs::read(&self.entry).ok()?;
        let entry: Entry = serde_json::from_slice(&text).ok()?;
        let current = programs(&entry.compiler, env)?;
        if current != entry.programs {
            return None;
        }
        ui::verbose(
            "Compiler",
            format!(
                "{} (what cc found last time, from {})",
                entry.compiler.path().display(),
                self.entry.display()
            ),
        );
        Some(entry.compiler)
    }

    pub(super) fn store(&self, compiler: &Compiler, env: &Env) {
        // A compiler that cannot be found now (cc names `cc` when it finds none) is
        // not remembered: the build reports it.
        let Some(programs) = programs(compiler, env) else { return };
        let entry = Entry { programs, compiler: compiler.clone() };
        let Ok(json) = serde_json::to_vec(&entry) else { return };
        if let Err(e) = user_cache::store(&self.entry, &[&json]) {
            ui::verbose("Compiler", format!("cannot cache what cc found in {}: {e}", self.entry.display()));
        }
    }
}

/// The identities of the programs `compiler` runs — the wrapper (`ccache` in
/// `CC="ccache gcc"`) and the compiler — found as spawning them would find them.
fn programs(compiler: &Compiler, env: &Env) -> Option<Vec<(PathBuf, String)>> {
    let mut names = vec![compiler.path().to_path_buf()];
    if let Some(first) = compiler.command().first().map(PathBuf::from) {
        if first != names[0] {
            names.insert(0, first);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let found = find(&name, env)?;
            Some((name, user_cache::identity(&found)?))
        })
        .collect()
}

fn find(program: &Path, env: &Env) -> Option<PathBuf> {
    if program.components().count() > 1 || program.is_absolute() {
        return Some(program.to_path_buf());
    }
    let cwd = std::env::current_dir().ok()?;
    which::which_in(program, env.get(OsStr::new("PATH")), cwd).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpreter::tests::cpython;

    #[test]
    fn the_key_follows_the_compiler_variables_not_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let interp = cpython(3, 12);
        let entry = |env: &[(&str, &str)]| {
            let env: Env = env.iter().map(|(k, v)| (k.into(), v.into())).collect();
            ProbeCache::in_folder(dir.path(), &interp, &env, &host_triple(), &Language::C).unwrap().entry
        };
        let plain = entry(&[("HOME", "/root")]);
        assert_eq!(plain, entry(&[("HOME", "/home/other"), ("PIP_BUILD_TRACKER", "/tmp/x")]));
        assert_ne!(plain, entry(&[("CC", "clang")]));
        assert_ne!(plain, entry(&[("CFLAGS", "-O0")]));
        assert_ne!(plain, entry(&[("CC_x86_64_unknown_linux_gnu", "gcc-12")]));
    }
}
