//! Nothing silent about build scripts: every FFI a `*_build.py` (found or listed) creates
//! is built, or is an error naming the script and line, or is skipped with a warning
//! saying why. A build never drops a module it was shown and still exits 0.

use crate::cli_support::*;

/// Build `files` (a pyproject named `disc` is added unless given); returns the run and
/// the output directory.
fn build_tree(files: &[(&str, &str)]) -> (Run, tempfile::TempDir) {
    let tree = project(files);
    if !tree.path().join("pyproject.toml").exists() {
        write_files(tree.path(), &[("pyproject.toml", &pyproject("disc", ""))]);
    }
    let out = tempfile::tempdir().unwrap();
    (build(tree.path(), out.path(), &[]), out)
}

/// A failed build: exit status 1, nothing written; returns stderr.
fn fails(files: &[(&str, &str)]) -> String {
    let (run, out) = build_tree(files);
    let run = run.failure();
    assert_eq!(listing(out.path()), Vec::<String>::new(), "nothing at the output path\n{}", run.stderr);
    run.stderr
}

fn configured(entries: &[&str]) -> String {
    let list = entries.iter().map(|e| format!("{e:?}")).collect::<Vec<_>>().join(", ");
    pyproject("disc", &format!("\n[tool.cffi-forge]\ncffi-modules = [{list}]\n"))
}

#[test]
fn an_ffi_made_in_a_function_is_an_error_naming_the_script_and_line() {
    let script = "from cffi import FFI\n\n\ndef make():\n    ffi = FFI()\n    ffi.cdef('int one(void);')\n\
                  \x20   ffi.set_source('_made', 'int one(void) { return 1; }')\n    return ffi\n\n\
                  ffibuilder = make()\n";
    let stderr = fails(&[("tools/made_build.py", script)]);
    insta::assert_snapshot!(stderr);
}

#[test]
fn a_set_source_call_discovery_cannot_follow_is_an_error() {
    // `set_source` reached through another name: the FFI would be dropped unseen.
    let script = "import cffi\nffibuilder = cffi.FFI()\nffibuilder.cdef('int one(void);')\n\
                  declare = ffibuilder.set_source\ndeclare('_aliased', 'int one(void) { return 1; }')\n";
    let stderr = fails(&[("aliased_build.py", script)]);
    assert!(
        stderr.contains(
            "error: aliased_build.py:2: this FFI is not tied to a module-level name with a set_source() call"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("cffi-modules = [\"aliased_build.py:NAME\"]"), "{stderr}");
}

#[test]
fn a_build_script_that_never_calls_set_source_is_skipped_with_a_warning() {
    let script = "from cffi import FFI\nffibuilder = FFI()\nffibuilder.cdef('int one(void);')\n";
    let (run, out) = build_tree(&[("src/disc/__init__.py", ""), ("forgot_build.py", script)]);
    let run = run.success();
    assert!(
        run.stderr.contains(
            "warning: skipping `forgot_build.py`: it creates an FFI (line 2) but never calls set_source(), \
             so it builds no module"
        ),
        "{}",
        run.stderr
    );
    assert_eq!(listing(out.path()), ["disc-1.0.0-py3-none-any.whl"]);
}

const TWO_FFIS: &str = "from cffi import FFI\n\
    ffi = FFI()\n\
    ffi.cdef('int one(void);')\n\
    ffi.set_source('_first', 'int one(void) { return 1; }')\n\
    \n\
    second = FFI()\n\
    second.cdef('int two(void);')\n\
    second.set_source('_second', 'int two(void) { return 2; }')\n";

#[test]
fn a_listed_script_with_a_second_ffi_is_an_error_until_both_are_listed() {
    let stderr = fails(&[("pyproject.toml", &configured(&["two_build.py:ffi"])), ("two_build.py", TWO_FFIS)]);
    insta::assert_snapshot!(stderr);

    // Doing what the help says builds both modules, which work.
    let tree = project(&[
        ("pyproject.toml", &configured(&["two_build.py:ffi", "two_build.py:second"])),
        ("two_build.py", TWO_FFIS),
    ]);
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).success();
    let wheel = std::path::PathBuf::from(run.stdout.trim());
    let venv = Venv::new();
    venv.install(&wheel);
    assert_eq!(venv.run("import _first, _second; print(_first.lib.one() + _second.lib.two())"), "3");
}

#[test]
fn a_discovered_script_with_a_second_ffi_is_an_error() {
    let stderr = fails(&[("two_build.py", TWO_FFIS)]);
    assert!(
        stderr.contains(
            "error: two_build.py:6: this FFI's set_source(\"_second\") module is not listed, so it would be \
             left out of the wheel"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("cffi-modules = [\"two_build.py:ffi\", \"two_build.py:second\"]"), "{stderr}");
}

#[test]
fn a_second_ffi_without_set_source_is_skipped_with_a_warning() {
    // A scratch FFI, used to ask cffi a question, builds nothing: said, not an error.
    let script = "from cffi import FFI\n\
                  ffi = FFI()\n\
                  ffi.cdef('int one(void);')\n\
                  scratch = FFI()\n\
                  scratch.cdef('struct s { int a; char b; };')\n\
                  assert scratch.sizeof('struct s') == 8\n\
                  ffi.set_source('_main', 'int one(void) { return 1; }')\n";
    let (run, out) =
        build_tree(&[("pyproject.toml", &configured(&["main_build.py:ffi"])), ("main_build.py", script)]);
    let run = run.success();
    assert!(
        run.stderr.contains(
            "warning: main_build.py:4: this FFI is skipped: it never calls set_source(), so it builds no module"
        ),
        "{}",
        run.stderr
    );
    let wheel = out.path().join(&listing(out.path())[0]);
    assert!(zip_names(&wheel).iter().any(|n| n.starts_with("_main.")), "{:?}", zip_names(&wheel));
}
