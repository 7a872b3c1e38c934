//! Naming and tags checked against real interpreters: every tag we choose must be one
//! the interpreter itself accepts (`packaging.tags.sys_tags()`, from pip's vendored
//! copy), and every module file name must use a suffix it imports
//! (`importlib.machinery.EXTENSION_SUFFIXES`).

use std::path::PathBuf;
use std::process::Command;

use cffi_forge::interpreter::Interpreter;
use cffi_forge::metadata::VersionSpecifiers;
use cffi_forge::tags::{decide, Abi3Policy, ModuleInput};

/// The interpreters to check: every one the end-to-end tests use (CPython 3.8+, PyPy),
/// found the same way; a missing one is NOT RUN (a failure under CI=true).
fn interpreters(test: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for (version, path, missing) in crate::packaging_support::test_interpreters() {
        match path {
            Some(path) => out.push(path),
            None => {
                crate::packaging_support::not_run(&format!("packaging_tags {test} on {version}"), &missing)
            }
        }
    }
    out
}

/// (sys_tags, EXTENSION_SUFFIXES) as the interpreter reports them.
fn interpreter_view(python: &PathBuf) -> (Vec<String>, Vec<String>) {
    let code = "import json, importlib.machinery\nfrom pip._vendor.packaging import tags\nprint(json.dumps([[str(t) for t in tags.sys_tags()], importlib.machinery.EXTENSION_SUFFIXES]))";
    let out = Command::new(python).args(["-c", code]).output().unwrap();
    assert!(out.status.success(), "{}: {}", python.display(), String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn module(name: &str, compiled: bool, py_limited_api: Option<bool>) -> ModuleInput {
    ModuleInput::cffi(name, compiled, py_limited_api)
}

#[test]
fn chosen_tags_and_suffixes_are_accepted_by_each_interpreter() {
    let pythons = interpreters("chosen_tags_and_suffixes_are_accepted_by_each_interpreter");
    if pythons.is_empty() {
        crate::packaging_support::not_run("packaging_tags naming", "no interpreter found");
    }
    let mut checked = 0;
    for python in &pythons {
        let interp = Interpreter::query(python).unwrap_or_else(|e| panic!("{}: {e}", python.display()));
        let (sys_tags, suffixes) = interpreter_view(python);
        let floor: VersionSpecifiers = ">=3.8".parse().unwrap();
        let cases = [
            (vec![module("pkg._foo", true, None)], Some(&floor)),
            (vec![module("pkg._foo", true, None), module("pkg._off", true, Some(false))], None),
            (vec![module("pkg._abi", false, None)], None),
        ];
        for (modules, requires_python) in cases {
            let naming = decide(&interp, &modules, requires_python, Abi3Policy::Auto);
            for tag in naming.tag.expanded() {
                assert!(
                    sys_tags.contains(&tag),
                    "{}: {tag} is not a tag it installs ({})",
                    python.display(),
                    naming.reason
                );
            }
            for file in naming.modules.iter().filter(|f| !f.file_name.ends_with(".py")) {
                assert!(
                    suffixes.iter().any(|s| {
                        let stem = file.name.rsplit('.').next().unwrap_or(&file.name);
                        file.file_name == format!("{stem}{s}")
                    }),
                    "{}: {} does not end in one of {suffixes:?}",
                    python.display(),
                    file.file_name
                );
            }
            if interp.is_cpython()
                && !interp.debug
                && !interp.free_threaded
                && modules.iter().all(|m| m.py_limited_api.is_none())
                && modules[0].compiled
            {
                assert!(naming.abi3, "{}: {}", python.display(), naming.reason);
                assert_eq!(naming.tag.to_string(), format!("cp38-abi3-{}", naming.tag.platform));
            }
        }
        checked += 1;
    }
    assert_eq!(checked, pythons.len());
    eprintln!("checked naming against {checked} interpreters");
}

/// An abi3 wheel is installed on every CPython from its floor on, so its module files must
/// be importable there, not only on the interpreter that built it: 3.15 lists its
/// platform-specific `.abi3-x86_64-linux-gnu.so` first, which 3.8–3.13 do not load.
#[test]
fn abi3_module_names_load_on_every_cpython_from_the_floor_on() {
    let mut views = Vec::new();
    for python in interpreters("abi3_module_names_load_on_every_cpython_from_the_floor_on") {
        let interp = Interpreter::query(&python).unwrap_or_else(|e| panic!("{}: {e}", python.display()));
        if interp.is_cpython() && !interp.debug && !interp.free_threaded {
            let (_, suffixes) = interpreter_view(&python);
            views.push((python, interp, suffixes));
        }
    }
    if views.is_empty() {
        crate::packaging_support::not_run("packaging_tags abi3 module names", "no release CPython found");
    }
    let mut checked = 0;
    for (builder, interp, _) in &views {
        for floor in ["3.8", "3.11", "3.15"] {
            let requires_python: VersionSpecifiers = format!(">={floor}").parse().unwrap();
            let naming =
                decide(interp, &[module("pkg._foo", true, None)], Some(&requires_python), Abi3Policy::Auto);
            let Some((3, floor_minor)) = naming.abi3_floor else {
                panic!("{}: {}", builder.display(), naming.reason)
            };
            let file = &naming.modules[0].file_name;
            for (target, other, suffixes) in &views {
                if other.version < (3, floor_minor) {
                    continue;
                }
                // The finder looks for `_foo` + each suffix; `.so` alone does not make
                // `_foo.abi3-x86_64-linux-gnu.so` the module `_foo`.
                assert!(
                    suffixes.iter().any(|s| *file == format!("_foo{s}")),
                    "{file}, built by {} for {}, is not importable by {} ({suffixes:?})",
                    builder.display(),
                    naming.tag,
                    target.display()
                );
                checked += 1;
            }
        }
    }
    eprintln!("checked {checked} (builder, floor, target) combinations");
}

#[test]
fn host_platform_override_is_honoured() {
    let python = crate::packaging_support::python();
    let out = Command::new(&python)
        .env("_PYTHON_HOST_PLATFORM", "linux-aarch64")
        .args(["-c", "import sys; print(sys.platform)"])
        .output()
        .unwrap();
    if String::from_utf8_lossy(&out.stdout).trim() != "linux" {
        crate::packaging_support::not_run(
            "packaging_tags host_platform_override_is_honoured",
            "_PYTHON_HOST_PLATFORM is only honoured by sysconfig on Linux; checked by unit tests only",
        );
        return;
    }
    // Interpreter::query runs a child which inherits our environment; set it there.
    let wrapper = tempfile::tempdir().unwrap();
    let script = wrapper.path().join("python");
    std::fs::write(
        &script,
        format!("#!/bin/sh\n_PYTHON_HOST_PLATFORM=linux-aarch64 exec {} \"$@\"\n", python.display()),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let interp = Interpreter::query(&script).unwrap();
    let naming = decide(&interp, &[module("_m", true, None)], None, Abi3Policy::Auto);
    assert_eq!(naming.tag.platform, "linux_aarch64");
}
