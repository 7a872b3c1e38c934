//! Embedding libraries (docs/embedding.md): `cffi-forge embed` builds a declarative one
//! with its `target` name, a C program runs it; what cannot be embedded is a clear error;
//! `cffi-forge build` generates build scripts' embedding modules natively (no fallback to
//! cffi's emitter), tags them for one CPython, not abi3, and they import and run from
//! Python too. The comparison with cffi's own builds, threads and init errors are in
//! tests/py/e2e/test_embedding.py.

use std::path::Path;
use std::process::Command;

use crate::cli_support::*;

const PLUGIN: &str = r#"
[[tool.cffi-forge.module]]
name = "_plugin_cffi"
embedding-api = "int times(int, int);"
embedding-init-code-file = "plugin_init.py"
source = ""
target = "plugin-1.5.*"
"#;

const INIT_CODE: &str = "
    from _plugin_cffi import ffi

    @ffi.def_extern()
    def times(a, b):
        return a * b
";

const MAIN_C: &str = r#"
#include <stdio.h>
int times(int, int);
int main(void) { printf("6 * 7 = %d\n", times(6, 7)); return 0; }
"#;

fn embed(root: &Path, out: &Path, python: &Path) -> Run {
    let mut command = cffi_forge(&["embed"]);
    command.arg(root).arg("-o").arg(out).arg("-i").arg(python);
    command.output().unwrap().into()
}

#[test]
fn declarative_library_is_named_by_its_target_and_runs_from_c() {
    let python = python();
    let dir = project(&[
        ("pyproject.toml", &pyproject("plugin", PLUGIN)),
        ("plugin_init.py", INIT_CODE),
        ("main.c", MAIN_C),
    ]);
    let out = dir.path().join("out");
    let run = embed(dir.path(), &out, &python).success();
    let library = out.join("plugin-1.5.so");
    assert_eq!(run.stdout.trim(), library.display().to_string());
    let exe = dir.path().join("main");
    let cc = Command::new("cc")
        .arg(dir.path().join("main.c"))
        .arg("-o")
        .arg(&exe)
        .arg(format!("-L{}", out.display()))
        .arg("-l:plugin-1.5.so")
        .arg(format!("-Wl,-rpath,{}", out.display()))
        .output()
        .unwrap();
    assert!(cc.status.success(), "{}", String::from_utf8_lossy(&cc.stderr));
    // The embedded interpreter starts from the program, not the venv: PYTHONPATH finds
    // _cffi_backend. No LD_LIBRARY_PATH: the library's run path finds libpython.
    let site =
        python_output(&python, "import _cffi_backend, os; print(os.path.dirname(_cffi_backend.__file__))");
    let ran = Command::new(&exe).env("PYTHONPATH", site).env_remove("LD_LIBRARY_PATH").output().unwrap();
    let stdout = String::from_utf8_lossy(&ran.stdout);
    assert!(ran.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&ran.stderr));
    assert_eq!(stdout.trim(), "6 * 7 = 42");
}

#[test]
fn a_project_without_embedding_library_is_an_error() {
    let dir = project(&[(
        "pyproject.toml",
        &pyproject("plain", "[[tool.cffi-forge.module]]\nname = \"_m\"\ncdef = \"int f(int);\"\n"),
    )]);
    let run = embed(dir.path(), &dir.path().join("out"), &python()).failure();
    assert!(run.stderr.contains("declares no embedding library"), "{}", run.stderr);
}

#[test]
fn embedding_keys_need_embedding_api() {
    let extra = "[[tool.cffi-forge.module]]\nname = \"_m\"\ncdef = \"int f(int);\"\nsource = \"\"\n\
                 embedding-init-code = \"x = 1\"\n";
    let dir = project(&[("pyproject.toml", &pyproject("plain", extra))]);
    let run = embed(dir.path(), &dir.path().join("out"), &python()).failure();
    assert!(run.stderr.contains("embedding-init-code"), "{}", run.stderr);
    assert!(run.stderr.contains("only an embedding library (`embedding-api`) takes this"), "{}", run.stderr);
    assert!(run.stderr.contains("pyproject.toml:"), "points at the key: {}", run.stderr);
}

#[test]
fn pypy_is_refused() {
    let Some(pypy) = ["/usr/bin/pypy3"].into_iter().map(Path::new).find(|p| p.is_file()) else {
        return not_run("embedding refused on PyPy", "no /usr/bin/pypy3 (apt package pypy3)");
    };
    let dir = project(&[("pyproject.toml", &pyproject("plugin", PLUGIN)), ("plugin_init.py", INIT_CODE)]);
    let out = dir.path().join("out");
    let run = embed(dir.path(), &out, pypy).failure();
    assert!(run.stderr.contains("CPython only, not PyPy"), "{}", run.stderr);
    assert!(listing(&out).is_empty(), "nothing written: {:?}", listing(&out));
}

#[test]
fn build_scripts_embedding_modules_are_generated_natively_and_not_abi3() {
    let script = r#"
import cffi
ffi = cffi.FFI()
ffi.embedding_api("int plus_one(int);")
ffi.embedding_init_code("""
from _embedded_cffi import ffi
@ffi.def_extern()
def plus_one(x):
    return x + 1
""")
ffi.set_source("_embedded_cffi", "")
"#;
    let python = python();
    let dir = project(&[
        (
            "pyproject.toml",
            &pyproject("embedded", "[tool.cffi-forge]\ncffi-modules = [\"plugin_build.py:ffi\"]\n"),
        ),
        ("plugin_build.py", script),
    ]);
    let out = dir.path().join("dist");
    let run = build(dir.path(), &out, &[]).success();
    assert!(!run.stderr.contains("Falling back"), "{}", run.stderr);
    let (major, minor) =
        python_output(&python, "import sys; print(sys.version_info[0], sys.version_info[1])")
            .split_once(' ')
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .unwrap();
    let wheel = listing(&out).into_iter().find(|n| n.ends_with(".whl")).unwrap();
    assert!(wheel.contains(&format!("-cp{major}{minor}-cp{major}{minor}-")), "{wheel}");
    let names = zip_names(&out.join(&wheel));
    assert!(
        names.iter().any(|n| n.starts_with("_embedded_cffi.cpython-") && n.ends_with(".so")),
        "{names:?}"
    );
}

#[test]
fn inspect_shows_the_embedding_library_and_its_wheel_path() {
    let dir = project(&[("pyproject.toml", &pyproject("plugin", PLUGIN)), ("plugin_init.py", INIT_CODE)]);
    let mut command = cffi_forge(&["inspect"]);
    command.arg(dir.path()).arg("-i").arg(python());
    let run = Run::from(command.output().unwrap()).success();
    let shown = format!("{}{}", run.stdout, run.stderr);
    assert!(shown.contains("_plugin_cffi → plugin-1.5.so"), "{shown}");
    assert!(shown.contains("API mode, full C API, embedding library"), "{shown}");
}
