//! What a build starts besides the compiler's work: the interpreter's facts come from the
//! PEP 517 shim (no second Python starts during a hook) or from the CLI's cache, which a
//! changed interpreter invalidates; a build that compiles nothing never runs the compiler.
//!
//! The interpreter is a logging wrapper: a script that records each of its calls and
//! `exec -a`s the test Python under its own name (so `sys.executable` is the wrapper and
//! every Python the binary starts goes through it).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli_support::*;

struct LoggingPython {
    dir: tempfile::TempDir,
}

impl LoggingPython {
    fn new() -> Self {
        let real = python_output(&python(), "import sys; print(sys.executable)");
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("calls.log");
        let script = format!("#!/bin/bash\nargs=\"$*\"\necho \"${{args//$'\\n'/ }}\" >> '{}'\nexec -a \"$0\" '{real}' \"$@\"\n", log.display());
        let path = dir.path().join("python");
        std::fs::write(&path, script).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        LoggingPython { dir }
    }

    fn path(&self) -> PathBuf {
        self.dir.path().join("python")
    }

    /// The calls since the last `take`, one command line each.
    fn take(&self) -> Vec<String> {
        let log = self.dir.path().join("calls.log");
        let calls = std::fs::read_to_string(&log).unwrap_or_default();
        let _ = std::fs::remove_file(&log);
        calls.lines().map(str::to_string).collect()
    }
}

/// A declarative project: nothing in its build needs a Python but the facts.
fn declarative() -> tempfile::TempDir {
    project(&[(
        "pyproject.toml",
        &pyproject(
            "decl",
            "[[tool.cffi-forge.module]]\nname = \"_decl\"\ncdef = \"int seven(void);\"\n\
             source = \"int seven(void) { return 7; }\"\n",
        ),
    )])
}

fn hook(python: &Path, root: &Path, call: &str) -> Run {
    let backend = Path::new(env!("CARGO_MANIFEST_DIR")).join("backend");
    Command::new(python)
        .args(["-c", &format!("import cffi_forge\nprint(cffi_forge.{call})")])
        .current_dir(root)
        .env("PYTHONPATH", backend)
        .env("CFFI_FORGE_BIN", bin())
        // An empty cache: a hit would hide a query as well as the shim's facts do.
        .env("CFFI_FORGE_CACHE_DIR", root.join("facts-cache"))
        .env("NO_COLOR", "1")
        .env_remove("CFFI_FORGE_BUILD_DIR")
        .output()
        .unwrap()
        .into()
}

#[test]
fn hooks_through_the_shim_start_no_second_python() {
    let python = LoggingPython::new();
    let tree = declarative();
    let out = tree.path().join("dist");
    let calls = |call: &str| {
        hook(&python.path(), tree.path(), call).success();
        python.take()
    };
    for call in [
        "get_requires_for_build_wheel()".to_string(),
        format!("prepare_metadata_for_build_wheel({:?})", out.display().to_string()),
        format!("build_wheel({:?})", out.display().to_string()),
        format!("build_editable({:?})", out.join("editable").display().to_string()),
    ] {
        let calls = calls(&call);
        assert_eq!(calls.len(), 1, "{call}: only the hook's own Python runs, got {calls:#?}");
        assert!(calls[0].starts_with("-c import cffi_forge"), "{calls:?}");
    }
    for dir in [out.clone(), out.join("editable")] {
        let wheels = listing(&dir).into_iter().filter(|n| n.ends_with(".whl")).count();
        assert_eq!(wheels, 1, "{:?}", listing(&dir));
    }
    // (The folder may hold the compiler's probe: `compilers/`.)
    assert!(!tree.path().join("facts-cache/interpreters").exists(), "the shim's facts need no cache");

    // The facts the shim passed name and tag the wheel exactly as the CLI's, which asks
    // the interpreter itself.
    let shim_wheel = listing(&out).into_iter().find(|n| n.ends_with(".whl")).unwrap();
    let cli_out = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    cli_build_into(&python.path(), tree.path(), cache.path(), cli_out.path()).success();
    assert_eq!(listing(cli_out.path()), vec![shim_wheel.clone()]);
    assert_eq!(zip_names(&out.join(&shim_wheel)), zip_names(&cli_out.path().join(&shim_wheel)));
}

fn cli_build(python: &Path, root: &Path, cache: &Path) -> Run {
    cli_build_into(python, root, cache, tempfile::tempdir().unwrap().path())
}

fn cli_build_into(python: &Path, root: &Path, cache: &Path, out: &Path) -> Run {
    let mut command = cffi_forge(&["build"]);
    command.arg(root).arg("-o").arg(out).arg("-i").arg(python);
    command.env("CFFI_FORGE_CACHE_DIR", cache).output().unwrap().into()
}

fn facts_queries(calls: &[String]) -> usize {
    calls.iter().filter(|c| c.starts_with("-I -c")).count()
}

#[test]
fn the_cli_caches_facts_until_the_interpreter_changes() {
    let python = LoggingPython::new();
    let tree = declarative();
    let cache = tempfile::tempdir().unwrap();

    cli_build(&python.path(), tree.path(), cache.path()).success();
    assert_eq!(facts_queries(&python.take()), 1, "the first build asks");
    let entries = listing(&cache.path().join("interpreters"));
    assert_eq!(entries.len(), 1, "one complete entry, no temporary left: {entries:?}");
    let entry = std::fs::read_to_string(cache.path().join("interpreters").join(&entries[0])).unwrap();
    let (_, json) = entry.split_once('\n').unwrap();
    let facts: serde_json::Value = serde_json::from_str(json).expect("the entry holds the facts as JSON");
    assert_eq!(facts["executable"], python.path().display().to_string());

    cli_build(&python.path(), tree.path(), cache.path()).success();
    assert_eq!(python.take(), Vec::<String>::new(), "the second build starts no Python");

    // An upgraded (here: edited) interpreter is asked again.
    let script = std::fs::read_to_string(python.path()).unwrap();
    std::fs::write(python.path(), format!("{script}# upgraded\n")).unwrap();
    cli_build(&python.path(), tree.path(), cache.path()).success();
    assert_eq!(facts_queries(&python.take()), 1, "a changed interpreter file is asked again");

    // So is one whose host-platform override changed what sysconfig reports.
    let mut command = cffi_forge(&["inspect", "--json", "-i"]);
    command.arg(python.path()).arg(tree.path()).env("CFFI_FORGE_CACHE_DIR", cache.path());
    Run::from(command.env("_PYTHON_HOST_PLATFORM", "linux-x86_64").output().unwrap()).success();
    assert_eq!(facts_queries(&python.take()), 1, "a changed _PYTHON_HOST_PLATFORM is asked again");
}

#[test]
fn a_corrupt_cache_entry_is_asked_again() {
    let python = LoggingPython::new();
    let tree = declarative();
    let cache = tempfile::tempdir().unwrap();
    cli_build(&python.path(), tree.path(), cache.path()).success();
    python.take();
    let dir = cache.path().join("interpreters");
    for entry in listing(&dir) {
        std::fs::write(dir.join(entry), "half an entr").unwrap();
    }
    cli_build(&python.path(), tree.path(), cache.path()).success();
    assert_eq!(facts_queries(&python.take()), 1, "a corrupt entry is not trusted");
    cli_build(&python.path(), tree.path(), cache.path()).success();
    assert_eq!(facts_queries(&python.take()), 0, "and is replaced by a good one");
}

#[test]
fn a_build_that_compiles_nothing_never_runs_the_compiler() {
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("cc.log");
    let cc = bin.path().join("cc");
    std::fs::write(&cc, format!("#!/bin/sh\necho \"$*\" >> '{}'\nexec cc \"$@\"\n", log.display())).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cc, std::fs::Permissions::from_mode(0o755)).unwrap();
    let build = |tree: &Path| {
        let out = tempfile::tempdir().unwrap();
        let mut command = cffi_forge(&["build"]);
        command.arg(tree).arg("-o").arg(out.path()).arg("-i").arg(python()).env("CC", &cc);
        Run::from(command.output().unwrap()).success();
        let calls = std::fs::read_to_string(&log).unwrap_or_default();
        let _ = std::fs::remove_file(&log);
        (listing(out.path()), calls)
    };
    let abi = project(&[(
        "pyproject.toml",
        &pyproject("abionly", "[[tool.cffi-forge.module]]\nname = \"_abionly\"\ncdef = \"int abs(int);\"\n"),
    )]);
    let (wheel, calls) = build(abi.path());
    assert!(wheel[0].ends_with("-py3-none-any.whl"), "{wheel:?}");
    assert_eq!(calls, "", "an ABI-mode build starts no compiler, not even cc's probe");
    // The same logger sees an API-mode build's compiles.
    let (_, calls) = build(declarative().path());
    assert!(calls.lines().any(|l| l.contains("-c ")), "{calls}");
}

/// A logging compiler: records each call, then runs the real `cc`.
fn logging_cc(dir: &Path, log: &Path, extra: &str) -> PathBuf {
    let cc = dir.join("cc");
    std::fs::write(&cc, format!("#!/bin/sh\n{extra}echo \"$*\" >> '{}'\nexec cc \"$@\"\n", log.display()))
        .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cc, std::fs::Permissions::from_mode(0o755)).unwrap();
    cc
}

#[test]
fn the_compiler_probe_is_cached_until_the_compiler_changes() {
    let bin = tempfile::tempdir().unwrap();
    let log = bin.path().join("cc.log");
    let cc = logging_cc(bin.path(), &log, "");
    let cache = tempfile::tempdir().unwrap();
    let tree = declarative();
    // A fresh build directory each time: cffi-forge's object cache must not hide the probe.
    let out = tempfile::tempdir().unwrap();
    let build = || {
        let _ = std::fs::remove_dir_all(tree.path().join("build"));
        let _ = std::fs::remove_dir_all(out.path());
        let mut command = cffi_forge(&["build"]);
        command.arg(tree.path()).arg("-o").arg(out.path()).arg("-i").arg(python());
        command.env("CC", &cc).env("CFFI_FORGE_CACHE_DIR", cache.path());
        Run::from(command.output().unwrap()).success();
        let calls = std::fs::read_to_string(&log).unwrap_or_default();
        let _ = std::fs::remove_file(&log);
        calls
    };
    let probes = |calls: &str| calls.lines().filter(|l| l.starts_with("-E ") || *l == "-?").count();
    let compiles = |calls: &str| calls.lines().filter(|l| l.contains(" -c ")).count();

    let first = build();
    assert_eq!(probes(&first), 2, "the first build probes the compiler (-E, -?):\n{first}");
    assert_eq!(listing(&cache.path().join("compilers")).len(), 1, "one entry, no temporary left");
    let second = build();
    assert_eq!(probes(&second), 0, "the second build trusts the cache:\n{second}");
    assert_eq!(compiles(&second), 1, "and compiles as before:\n{second}");
    // The module built with the cached answer works.
    let wheel = listing(out.path()).into_iter().find(|n| n.ends_with(".whl")).expect("a wheel");
    let venv = Venv::new();
    venv.install(&out.path().join(wheel));
    assert_eq!(venv.run("from _decl import lib; print(lib.seven())"), "7");

    // A touched compiler (same content, new modification time) is probed again.
    let file = std::fs::File::options().write(true).open(&cc).unwrap();
    file.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(10)).unwrap();
    drop(file);
    assert_eq!(probes(&build()), 2, "a touched compiler is probed again");
    assert_eq!(probes(&build()), 0);

    // So is a replaced one, and the replacement is what the build runs.
    let marker = bin.path().join("replaced");
    logging_cc(bin.path(), &log, &format!("touch '{}'\n", marker.display()));
    let replaced = build();
    assert_eq!(probes(&replaced), 2, "a replaced compiler is probed again:\n{replaced}");
    assert!(marker.exists(), "the new compiler ran");
    assert_eq!(probes(&build()), 0);
}
