//! CPython 3.14, 3.15 and their free-threaded builds, driven through the binary.
//!
//! Each interpreter is a stand-in script that prints the facts recorded (or, for the
//! free-threaded builds, derived) in `tests/data/interpreter-facts/`, so naming, tags and
//! `inspect` are checked without the interpreter. Where Debian sid's real 3.14/3.15 are
//! provisioned in the test cache (`tests/provision/python-sid.sh`), the stand-ins point at
//! their real headers and the tests also compile, with `-Werror`:
//! - a 3.15t abi3t wheel (`Py_LIMITED_API` + `Py_TARGET_ABI3T`, which makes CPython's
//!   headers take the free-threaded layout), then install and call it on the real
//!   GIL-enabled 3.15, which loads `.abi3t.so`: the `abi3` half of `abi3.abi3t` for real;
//! - a 3.14t module against 3.14's headers with `Py_GIL_DISABLED` defined (as a
//!   free-threaded `pyconfig.h` does), checked to use the free-threaded refcounting.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli_support::{cffi_forge, zip_names, Run};
use serde_json::Value;

const FACTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/interpreter-facts");

/// The declarative sample with bundled C (no cffi or build script at build time).
fn sample() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-projects/b64kit"), dir.path());
    dir
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "build" && entry.file_name() != "dist" {
                copy_tree(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The test cache (as tests/run.sh and the provisioning scripts use it).
fn test_cache() -> PathBuf {
    match std::env::var_os("CFFI_FORGE_TEST_CACHE") {
        Some(dir) => PathBuf::from(dir),
        None => {
            let base = std::env::var_os("XDG_CACHE_HOME").map(PathBuf::from).unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache")
            });
            base.join("cffi-forge-tests")
        }
    }
}

/// Where tests/provision/python-sid.sh unpacks Debian sid's CPythons, if it has.
fn sid() -> Option<PathBuf> {
    let root = test_cache().join("pythons/sid");
    root.join("venv-3.15/bin/python").exists().then_some(root)
}

/// The free-threaded CPython 3.13.5 tests/provision/python-313t.sh builds, if it has.
fn cpython_313t() -> Option<PathBuf> {
    let python = test_cache().join("pythons/cpython-3.13.5t/bin/python3.13t");
    python.exists().then_some(python)
}

/// A stand-in interpreter answering the facts query with `tests/data/interpreter-facts/
/// <name>.json`; with `headers`, its include folders point there.
struct StandIn {
    dir: tempfile::TempDir,
}

impl StandIn {
    fn new(name: &str, headers: Option<&Path>) -> Self {
        let mut facts: Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{FACTS}/{name}.json")).unwrap()).unwrap();
        if let Some(headers) = headers {
            facts["include"] = headers.display().to_string().into();
            facts["platinclude"] = headers.display().to_string().into();
        }
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("facts.json"), facts.to_string()).unwrap();
        let script = dir.path().join("python");
        std::fs::write(&script, format!("#!/bin/sh\ncat '{}'\n", dir.path().join("facts.json").display()))
            .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        StandIn { dir }
    }

    fn python(&self) -> PathBuf {
        self.dir.path().join("python")
    }
}

fn inspect(python: &Path, project: &Path) -> Value {
    let run: Run = cffi_forge(&["inspect", "--json", "-i"]).arg(python).arg(project).output().unwrap().into();
    serde_json::from_str(&run.success().stdout).expect("inspect --json prints JSON")
}

fn set_requires_python(project: &Path, spec: &str) {
    let path = project.join("pyproject.toml");
    let text = std::fs::read_to_string(&path).unwrap().replace("requires-python = \">=3.8\"", spec);
    std::fs::write(path, text).unwrap();
}

#[test]
fn inspect_names_and_tags_for_314_315_and_their_free_threaded_builds() {
    let project = sample();
    // (facts, wheel tag, module file, stable ABI, macros of the limited-API modules)
    let cases: [(&str, &str, &str, Value, &[&str]); 5] = [
        (
            "cpython-3.13t",
            "cp313-cp313t-linux_x86_64",
            "b64kit/_codec.cpython-313t-x86_64-linux-gnu.so",
            Value::Null,
            &[],
        ),
        (
            "cpython-3.14",
            "cp38-abi3-linux_x86_64",
            "b64kit/_codec.abi3.so",
            "abi3".into(),
            &["Py_LIMITED_API=0x03080000"],
        ),
        // 3.15 lists `.abi3-x86_64-linux-gnu.so` first; 3.8 would not load it.
        (
            "cpython-3.15",
            "cp38-abi3-linux_x86_64",
            "b64kit/_codec.abi3.so",
            "abi3".into(),
            &["Py_LIMITED_API=0x03080000"],
        ),
        (
            "cpython-3.14t",
            "cp314-cp314t-linux_x86_64",
            "b64kit/_codec.cpython-314t-x86_64-linux-gnu.so",
            Value::Null,
            &[],
        ),
        (
            "cpython-3.15t",
            "cp315-abi3.abi3t-linux_x86_64",
            "b64kit/_codec.abi3t.so",
            "abi3t".into(),
            &["Py_LIMITED_API=0x030F0000", "Py_TARGET_ABI3T=0x030F0000"],
        ),
    ];
    for (facts, tag, file, stable_abi, macros) in cases {
        let stand_in = StandIn::new(facts, None);
        let report = inspect(&stand_in.python(), project.path());
        let wheel = &report["wheel"];
        assert_eq!(wheel["tag"], tag, "{facts}: {wheel}");
        assert_eq!(wheel["file_name"], format!("b64kit-1.1.0-{tag}.whl"), "{facts}");
        assert_eq!(wheel["stable_abi"], stable_abi, "{facts}: {wheel}");
        assert_eq!(wheel["limited_api_macros"], serde_json::json!(macros), "{facts}: {wheel}");
        assert_eq!(report["modules"][0]["file"], file, "{facts}: {report}");
    }

    // The reason lines say why.
    let report = inspect(&StandIn::new("cpython-3.14t", None).python(), project.path());
    assert_eq!(
        report["wheel"]["reason"],
        "not abi3: free-threaded CPython 3.14 has no stable ABI (abi3t starts with 3.15)"
    );
    let run: Run = cffi_forge(&["inspect", "-i"])
        .arg(StandIn::new("cpython-3.15t", None).python())
        .arg(project.path())
        .output()
        .unwrap()
        .into();
    let text = run.success().stdout;
    assert!(
        text.contains(
            "abi3t: free-threaded, and abi3 (cp315-abi3.abi3t-linux_x86_64): every compiled module uses the \
             limited API; floor 3.15 from abi3t's first version 3.15 (the lower bound of requires-python \
             `>=3.8` says 3.8)\n  limited-API modules are compiled with Py_LIMITED_API=0x030F0000 \
             Py_TARGET_ABI3T=0x030F0000"
        ),
        "{text}"
    );

    // A 3.15 floor: only 3.15+ installs the wheel, so 3.15's platform-specific name is used.
    set_requires_python(project.path(), "requires-python = \">=3.15\"");
    let report = inspect(&StandIn::new("cpython-3.15", None).python(), project.path());
    assert_eq!(report["wheel"]["tag"], "cp315-abi3-linux_x86_64");
    assert_eq!(report["modules"][0]["file"], "b64kit/_codec.abi3-x86_64-linux-gnu.so");
}

/// `cffi-forge build` with a stand-in, `-Werror` added to the compiler flags.
fn build_with(stand_in: &StandIn, project: &Path, out: &Path, cflags: &str) -> PathBuf {
    let run: Run = cffi_forge(&["build", "-i"])
        .arg(stand_in.python())
        .arg(project)
        .arg("-o")
        .arg(out)
        .env("CFLAGS", format!("-Werror {cflags}"))
        .output()
        .unwrap()
        .into();
    run.success();
    let wheels: Vec<PathBuf> = std::fs::read_dir(out).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(wheels.len(), 1, "{wheels:?}");
    wheels.into_iter().next().unwrap()
}

fn undefined_symbols(wheel: &Path, member: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(wheel).unwrap()).unwrap();
    zip.extract(dir.path()).unwrap();
    let out =
        Command::new("nm").args(["-D", "--undefined-only"]).arg(dir.path().join(member)).output().unwrap();
    assert!(out.status.success(), "nm: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().last().map(str::to_string))
        .collect()
}

#[test]
fn abi3t_wheel_for_315t_compiles_and_runs_on_the_real_315() {
    let Some(sid) = sid() else {
        crate::cli_support::not_run(
            "cli_free_threaded abi3t_wheel_for_315t_compiles_and_runs_on_the_real_315",
            "CPython 3.15 not provisioned (tests/provision/python-sid.sh)",
        );
        return;
    };
    let project = sample();
    let out = tempfile::tempdir().unwrap();
    let stand_in = StandIn::new("cpython-3.15t", Some(&sid.join("tree/usr/include/python3.15")));
    let wheel = build_with(&stand_in, project.path(), out.path(), "");
    assert_eq!(
        wheel.file_name().unwrap(),
        "b64kit-1.1.0-cp315-abi3.abi3t-manylinux_2_5_x86_64.manylinux1_x86_64.whl"
    );
    assert!(zip_names(&wheel).contains(&"b64kit/_codec.abi3t.so".to_string()));
    // Free-threaded layout: reference counts go through functions, never `ob_refcnt`.
    let symbols = undefined_symbols(&wheel, "b64kit/_codec.abi3t.so");
    assert!(symbols.iter().any(|s| s == "_Py_DecRef"), "{symbols:?}");

    // The GIL-enabled 3.15 installs `cp315-abi3` from the tag set and loads `.abi3t.so`.
    let python = sid.join("venv-3.15/bin/python");
    let target = tempfile::tempdir().unwrap();
    let pip = Command::new(&python)
        .args([
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-index",
            "--disable-pip-version-check",
            "-q",
            "--target",
        ])
        .arg(target.path())
        .arg(&wheel)
        .output()
        .unwrap();
    assert!(pip.status.success(), "pip: {}", String::from_utf8_lossy(&pip.stderr));
    let code =
        "import b64kit, b64kit._codec as m; print(m.__file__.rsplit('/', 1)[1], b64kit.b64encode(b'forge'))";
    let run = Command::new(&python).args(["-c", code]).env("PYTHONPATH", target.path()).output().unwrap();
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    assert_eq!(String::from_utf8_lossy(&run.stdout).trim(), "_codec.abi3t.so b'Zm9yZ2U='");
}

#[test]
fn free_threaded_314_compiles_against_314_headers_without_the_limited_api() {
    let Some(sid) = sid() else {
        crate::cli_support::not_run(
            "cli_free_threaded free_threaded_314_compiles_against_314_headers_without_the_limited_api",
            "CPython 3.14 not provisioned (tests/provision/python-sid.sh)",
        );
        return;
    };
    let project = sample();
    let out = tempfile::tempdir().unwrap();
    let stand_in = StandIn::new("cpython-3.14t", Some(&sid.join("tree/usr/include/python3.14")));
    // A free-threaded pyconfig.h defines Py_GIL_DISABLED; Debian's GIL one does not.
    let wheel = build_with(&stand_in, project.path(), out.path(), "-DPy_GIL_DISABLED=1");
    assert_eq!(
        wheel.file_name().unwrap(),
        "b64kit-1.1.0-cp314-cp314t-manylinux_2_5_x86_64.manylinux1_x86_64.whl"
    );
    let member = "b64kit/_codec.cpython-314t-x86_64-linux-gnu.so";
    assert!(zip_names(&wheel).contains(&member.to_string()));
    // The full C API's free-threaded refcounting: biased counts merged on the shared path.
    let symbols = undefined_symbols(&wheel, member);
    assert!(symbols.iter().any(|s| s == "_Py_DecRefShared"), "{symbols:?}");
}

/// A real free-threaded build: facts from its own `sysconfig` (`Py_GIL_DISABLED`), its own
/// headers (whose pyconfig.h defines `Py_GIL_DISABLED`), and the tags its pip accepts.
#[test]
fn a_real_free_threaded_313_is_detected_named_and_compiled_for() {
    let Some(python) = cpython_313t() else {
        eprintln!("NOTE: no free-threaded CPython 3.13 (tests/provision/python-313t.sh); not checked");
        return;
    };
    let project = sample();
    let report = inspect(&python, project.path());
    assert_eq!(report["wheel"]["tag"], "cp313-cp313t-linux_x86_64", "{report}");
    assert_eq!(report["wheel"]["stable_abi"], Value::Null);
    assert_eq!(report["modules"][0]["file"], "b64kit/_codec.cpython-313t-x86_64-linux-gnu.so");
    assert_eq!(
        report["wheel"]["reason"],
        "not abi3: free-threaded CPython 3.13 has no stable ABI (abi3t starts with 3.15)"
    );
    let code = "from pip._vendor.packaging import tags; print('cp313-cp313t-linux_x86_64' in {str(t) for t in tags.sys_tags()})";
    let accepted = Command::new(&python).args(["-c", code]).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&accepted.stdout).trim(),
        "True",
        "{}",
        String::from_utf8_lossy(&accepted.stderr)
    );

    let out = tempfile::tempdir().unwrap();
    let run: Run = cffi_forge(&["build", "-i"])
        .arg(&python)
        .arg(project.path())
        .arg("-o")
        .arg(out.path())
        .env("CFLAGS", "-Werror")
        .output()
        .unwrap()
        .into();
    run.success();
    let wheel = out.path().join("b64kit-1.1.0-cp313-cp313t-manylinux_2_5_x86_64.manylinux1_x86_64.whl");
    let symbols = undefined_symbols(&wheel, "b64kit/_codec.cpython-313t-x86_64-linux-gnu.so");
    assert!(symbols.iter().any(|s| s == "_Py_DecRefShared"), "{symbols:?}");
}
