//! Compiler launchers: `ccache`, `sccache`, `distcc`, ... put in front of every compile
//! command (not links or archives), as CMake's `<LANG>_COMPILER_LAUNCHER` does, so that
//! objects are shared between build directories, machines and CI runs (sccache's remote
//! storage) beyond what cffi-forge's own per-build-directory cache keeps.
//!
//! `CFFI_FORGE_COMPILER_LAUNCHER` names it (a command line, split like a shell would:
//! `sccache`, `ccache`, `"distcc -j8"`); frontends pass it as the `compiler-launcher`
//! config setting. A wrapper already in `CC` (`CC="ccache gcc"`) is `cc`'s business and
//! runs for links too; a launcher equal to it is not added twice.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use super::Env;

pub const VAR: &str = "CFFI_FORGE_COMPILER_LAUNCHER";

#[derive(Debug, thiserror::Error)]
pub enum LauncherError {
    #[error("{VAR}=`{value}` cannot be split into words (an unclosed quote?)")]
    Unsplittable { value: String },
    #[error("the compiler launcher `{program}` (from {VAR}) is not found: {detail}")]
    NotFound { program: String, detail: String },
}

/// The launcher's words, the program resolved on the build's `PATH`; empty without one.
pub fn from_env(env: &Env, cwd: &Path) -> Result<Vec<OsString>, LauncherError> {
    let Some(value) = env.get(OsStr::new(VAR)).and_then(|v| v.to_str()).map(str::trim) else {
        return Ok(Vec::new());
    };
    if value.is_empty() {
        return Ok(Vec::new());
    }
    let words =
        shlex::split(value).ok_or_else(|| LauncherError::Unsplittable { value: value.to_string() })?;
    let Some((program, args)) = words.split_first() else { return Ok(Vec::new()) };
    let path = env.get(OsStr::new("PATH"));
    let found = which::which_in(program, path, cwd)
        .map_err(|e| LauncherError::NotFound { program: program.clone(), detail: e.to_string() })?;
    Ok(std::iter::once(found.into_os_string()).chain(args.iter().map(OsString::from)).collect())
}

/// `args` (a compile command) behind `launcher`, unless the command already starts with
/// that program (`CC="ccache gcc"` and `CFFI_FORGE_COMPILER_LAUNCHER=ccache`).
pub fn launch(launcher: &[OsString], args: &[OsString]) -> Vec<OsString> {
    let stem = |p: &OsStr| PathBuf::from(p).file_stem().map(OsStr::to_os_string);
    let already = match (launcher.first(), args.first()) {
        (Some(l), Some(a)) => stem(l) == stem(a),
        _ => true,
    };
    if already {
        return args.to_vec();
    }
    launcher.iter().chain(args).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(value: &str) -> Env {
        [(VAR.into(), value.into()), ("PATH".into(), std::env::var_os("PATH").unwrap_or_default())]
            .into_iter()
            .collect()
    }

    fn words(args: &[&str]) -> Vec<OsString> {
        args.iter().map(OsString::from).collect()
    }

    #[test]
    fn a_launcher_goes_in_front_of_the_compiler_once() {
        let launcher = from_env(&env("sh -x"), Path::new("/")).unwrap();
        assert!(Path::new(&launcher[0]).is_absolute(), "{launcher:?}");
        assert_eq!(launcher[1], "-x");
        let launched = launch(&launcher, &words(&["gcc", "-c", "x.c"]));
        assert_eq!(&launched[1..], &words(&["-x", "gcc", "-c", "x.c"])[..]);
        assert_eq!(launch(&launcher, &words(&["/usr/bin/sh", "gcc"])), words(&["/usr/bin/sh", "gcc"]));
        assert_eq!(from_env(&env("  "), Path::new("/")).unwrap(), Vec::<OsString>::new());
    }

    #[test]
    fn a_missing_or_unsplittable_launcher_is_named() {
        let err = from_env(&env("no-such-launcher-here"), Path::new("/")).unwrap_err();
        assert!(
            err.to_string().contains("`no-such-launcher-here` (from CFFI_FORGE_COMPILER_LAUNCHER)"),
            "{err}"
        );
        let err = from_env(&env("sccache \"gcc"), Path::new("/")).unwrap_err();
        assert!(matches!(err, LauncherError::Unsplittable { .. }), "{err}");
    }
}
