//! The PEP 517 / 660 hooks through the Python shim (`backend/cffi_forge`), called the way
//! a frontend calls them: from the project directory, in a Python process.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli_support::*;

/// Run `code` in `python` with the shim importable and pointed at the binary under test.
fn shim(python: &Path, root: &Path, code: &str) -> Run {
    let backend = Path::new(env!("CARGO_MANIFEST_DIR")).join("backend");
    Command::new(python)
        .args(["-c", code])
        .current_dir(root)
        .env("PYTHONPATH", backend)
        .env("CFFI_FORGE_BIN", bin())
        .env("NO_COLOR", "1")
        .env_remove("CFFI_FORGE_BUILD_DIR")
        .output()
        .unwrap()
        .into()
}

fn hook(root: &Path, call: &str) -> Run {
    shim(&python(), root, &format!("import cffi_forge\nprint(repr(cffi_forge.{call}))"))
}

const SCRIPT: &str = "import pathlib\nfrom cffi import FFI\n\
                      pathlib.Path('script-ran').write_text('yes')\n\
                      ffi = FFI()\nffi.cdef('int one(void);')\n\
                      ffi.set_source('hooks._one', 'int one(void) { return 1; }')\n";

fn script_project() -> tempfile::TempDir {
    project(&[
        ("pyproject.toml", &pyproject("hooks", "dependencies = [\"attrs\"]\n")),
        ("src/hooks/__init__.py", ""),
        ("src/hooks/one_build.py", SCRIPT),
    ])
}

#[test]
fn importing_the_shim_imports_nothing_else() {
    let tree = project(&[]);
    let probe = "import sys\nbefore = set(sys.modules)\nimport cffi_forge\n\
                 print(sorted(set(sys.modules) - before - {'cffi_forge'}))";
    let run = shim(&python(), tree.path(), probe).success();
    assert_eq!(run.stdout.trim(), "[]");
}

#[test]
fn requires_cffi_only_when_scripts_run_on_cpython() {
    let scripts = script_project();
    assert_eq!(hook(scripts.path(), "get_requires_for_build_wheel()").success().stdout.trim(), "['cffi']");
    assert_eq!(hook(scripts.path(), "get_requires_for_build_editable()").success().stdout.trim(), "['cffi']");
    assert_eq!(hook(scripts.path(), "get_requires_for_build_sdist()").success().stdout.trim(), "[]");

    let declarative = project(&[(
        "pyproject.toml",
        &pyproject(
            "decl",
            "[[tool.cffi-forge.module]]\nname = \"_decl\"\ncdef = \"int f(void);\"\n\
             source = \"int f(void) { return 1; }\"\n",
        ),
    )]);
    // A stray build script is not discovered when declarative modules exist.
    write_files(declarative.path(), &[("stray_build.py", SCRIPT)]);
    assert_eq!(hook(declarative.path(), "get_requires_for_build_wheel()").success().stdout.trim(), "[]");

    let pypy = PathBuf::from("pypy3");
    let found = Command::new(&pypy).arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(found, "pypy3 is needed for this test (Debian's pypy3 per the team brief)");
    let run =
        shim(&pypy, scripts.path(), "import cffi_forge\nprint(cffi_forge.get_requires_for_build_wheel())");
    assert_eq!(run.success().stdout.trim(), "[]", "cffi is built into PyPy");
}

#[test]
fn prepare_metadata_runs_no_script_and_build_wheel_honours_it() {
    let tree = script_project();
    let meta = tempfile::tempdir().unwrap();
    let call = format!("prepare_metadata_for_build_wheel({:?})", meta.path());
    let run = hook(tree.path(), &call).success();
    assert_eq!(run.stdout.trim(), "'hooks-1.0.0.dist-info'");
    assert!(!tree.path().join("script-ran").exists(), "no build script ran:\n{}", run.stderr);
    let dist_info = meta.path().join("hooks-1.0.0.dist-info");
    assert!(std::fs::read_to_string(dist_info.join("METADATA")).unwrap().contains("Requires-Dist: attrs"));

    let wheels = tempfile::tempdir().unwrap();
    let call = format!("build_wheel({:?}, {{'verbose': 'true'}}, {:?})", wheels.path(), dist_info);
    let run = hook(tree.path(), &call).success();
    let name = run.stdout.trim().trim_matches('\'').to_string();
    assert!(name.starts_with("hooks-1.0.0-cp38-abi3-"), "{name}");
    assert_eq!(listing(wheels.path()), std::slice::from_ref(&name));
    assert!(tree.path().join("script-ran").exists());
    assert!(run.stderr.contains(" -c "), "verbose shows compiler commands:\n{}", run.stderr);

    // Metadata that no longer matches the project: the wheel is refused and removed.
    std::fs::write(dist_info.join("METADATA"), "Metadata-Version: 2.4\nName: other\n").unwrap();
    let again = tempfile::tempdir().unwrap();
    let run = hook(tree.path(), &format!("build_wheel({:?}, None, {:?})", again.path(), dist_info));
    assert!(!run.status.success());
    assert!(run.stderr.contains("METADATA differs"), "{}", run.stderr);
    assert!(listing(again.path()).is_empty());
}

#[test]
fn sdist_and_editable_hooks() {
    let tree = script_project();
    let out = tempfile::tempdir().unwrap();
    let run = hook(tree.path(), &format!("build_sdist({:?})", out.path())).success();
    assert_eq!(run.stdout.trim(), "'hooks-1.0.0.tar.gz'");
    assert!(out.path().join("hooks-1.0.0.tar.gz").is_file());

    let run = hook(tree.path(), &format!("build_editable({:?})", out.path())).success();
    let name = run.stdout.trim().trim_matches('\'').to_string();
    assert!(name.ends_with(".whl") && out.path().join(&name).is_file(), "{name}");
    assert!(zip_names(&out.path().join(&name)).iter().any(|n| n.ends_with(".pth")));
}

#[test]
fn failure_is_printed_once_and_exits_1() {
    let tree = project(&[
        ("pyproject.toml", &pyproject("broken", "")),
        (
            "broken_build.py",
            "from cffi import FFI\nffi = FFI()\nraise ValueError('boom')\nffi.set_source('_b', '')\n",
        ),
    ]);
    let out = tempfile::tempdir().unwrap();
    let run = hook(tree.path(), &format!("build_wheel({:?})", out.path()));
    assert_eq!(run.status.code(), Some(1));
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    // The full error, printed once: no `cffi-forge: ...` line repeats it.
    assert_eq!(
        run.stderr.matches("build script `broken_build.py` failed: ValueError: boom").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("error: build script `broken_build.py` failed"), "{}", run.stderr);
    assert!(listing(out.path()).is_empty());
}
