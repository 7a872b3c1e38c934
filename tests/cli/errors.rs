//! Bad input to `cffi-forge build`: each case gives a clear message naming the cause,
//! exit status 1, and leaves nothing in the output directory.

use crate::cli_support::*;

const GOOD_SCRIPT: &str = "from cffi import FFI\nffi = FFI()\nffi.cdef('int one(void);')\n\
                           ffi.set_source('_mod', 'int one(void) { return 1; }', sources=SOURCES)\n";

fn script(sources: &str) -> String {
    GOOD_SCRIPT.replace("SOURCES", sources)
}

/// Build `files` (a pyproject is added unless given) and expect a clean failure with
/// an empty output directory; returns stderr.
fn fails(files: &[(&str, &str)], env: &[(&str, &str)]) -> String {
    let tree = project(files);
    if !tree.path().join("pyproject.toml").exists() {
        write_files(tree.path(), &[("pyproject.toml", &pyproject("bad", ""))]);
    }
    let out = tempfile::tempdir().unwrap();
    let mut command = cffi_forge(&["build"]);
    command.arg(tree.path()).arg("-o").arg(out.path()).arg("-i").arg(python());
    for (key, value) in env {
        command.env(key, value);
    }
    let run: Run = command.output().unwrap().into();
    let run = run.failure();
    assert_eq!(listing(out.path()), Vec::<String>::new(), "nothing at the output path\n{}", run.stderr);
    assert!(run.stdout.is_empty(), "stdout stays clean on failure: {}", run.stdout);
    run.stderr
}

fn assert_mentions(stderr: &str, expected: &[&str]) {
    for e in expected {
        assert!(stderr.contains(e), "missing {e:?} in:\n{stderr}");
    }
}

#[test]
fn configured_build_script_missing_points_into_pyproject() {
    let tool = "[tool.cffi-forge]\ncffi-modules = [\n  \"ffi/nope_build.py:ffi\",\n]\n";
    let stderr = fails(&[("pyproject.toml", &pyproject("bad", tool))], &[]);
    // The entry is on line 11 of the generated pyproject.toml, column 3.
    assert_mentions(&stderr, &["'ffi/nope_build.py' does not name an existing file", "pyproject.toml:11:3"]);
}

#[test]
fn dotted_module_spec_gets_cffis_rewrite_hint() {
    let tool = "[tool.cffi-forge]\ncffi-modules = [\"pkg.foo_build:ffi\"]\n";
    let stderr =
        fails(&[("pyproject.toml", &pyproject("bad", tool)), ("pkg/foo_build.py", &script("[]"))], &[]);
    assert_mentions(&stderr, &["(rewrite cffi_modules to ['pkg/foo_build.py:ffi'])"]);
}

#[test]
fn raising_build_script_shows_path_and_traceback() {
    let text = "from cffi import FFI\nffi = FFI()\n\nraise RuntimeError('libfoo headers not found')\n\
                ffi.set_source('_mod', '')\n";
    let stderr = fails(&[("tools/foo_build.py", text)], &[]);
    assert_mentions(
        &stderr,
        &[
            "build script `tools/foo_build.py` failed: RuntimeError: libfoo headers not found",
            "Traceback (most recent call last)",
            "foo_build.py\", line 4",
        ],
    );
}

#[test]
fn build_script_without_set_source() {
    let tool = "[tool.cffi-forge]\ncffi-modules = [\"foo_build.py:ffi\"]\n";
    let text = "from cffi import FFI\nffi = FFI()\nffi.cdef('int one(void);')\n";
    let stderr = fails(&[("pyproject.toml", &pyproject("bad", tool)), ("foo_build.py", text)], &[]);
    assert_mentions(&stderr, &["'foo_build.py:ffi': the set_source() method was not called"]);
}

#[test]
fn pkg_config_package_missing_names_it_the_search_path_and_a_hint() {
    let text = "from cffi import FFI\nffi = FFI()\nffi.cdef('int one(void);')\n\
                ffi.set_source_pkgconfig('_mod', ['libforge-missing >= 2'], '')\n";
    let stderr = fails(&[("foo_build.py", text)], &[("PKG_CONFIG_PATH", "/opt/forge-pc")]);
    assert_mentions(
        &stderr,
        &[
            "module `_mod`: pkg-config cannot find \"libforge-missing >= 2\"",
            "searched: /opt/forge-pc",
            "libforge-missing.pc",
            "before-all",
        ],
    );
}

#[test]
fn no_c_compiler() {
    let stderr = fails(&[("foo_build.py", &script("[]"))], &[("CC", "/nonexistent/cc")]);
    assert_mentions(
        &stderr,
        &["no C compiler: cannot run `/nonexistent/cc` (from CC)", "install a C compiler"],
    );
}

#[test]
fn compile_error_shows_the_compilers_output_module_and_file() {
    let build_script = script("['csrc/bad.c']");
    let bad_c = "int helper(void) {\n    return 1 +;\n}\n";
    let stderr = fails(&[("foo_build.py", &build_script), ("csrc/bad.c", bad_c)], &[]);
    assert_mentions(&stderr, &["failed to compile `csrc/bad.c` of module `_mod`", "csrc/bad.c:2:", "error"]);
}

#[test]
fn output_directory_not_writable() {
    let tree = project(&[("pyproject.toml", &pyproject("bad", "")), ("foo_build.py", &script("[]"))]);
    // A directory below a regular file can never be created, even by root.
    let blocker = tree.path().join("blocker");
    std::fs::write(&blocker, "").unwrap();
    let out = blocker.join("dist");
    let run = build(tree.path(), &out, &[]).failure();
    assert_mentions(&run.stderr, &["cannot write into the output directory", "blocker/dist"]);
    assert!(!run.stderr.contains("Running"), "fails before running anything:\n{}", run.stderr);
    assert!(!out.exists());
}

#[test]
fn invalid_pyproject_names_file_line_and_column() {
    let text = "[project]\nname = \"bad\"\nversion = \"1.0\"\nrequires-python = 3\n";
    let stderr = fails(&[("pyproject.toml", text)], &[]);
    assert_mentions(&stderr, &["pyproject.toml:4:"]);
}

#[test]
fn interpreter_that_cannot_run() {
    let tree = project(&[("pyproject.toml", &pyproject("bad", "")), ("foo_build.py", &script("[]"))]);
    let out = tempfile::tempdir().unwrap();
    let mut command = cffi_forge(&["build"]);
    command.arg(tree.path()).arg("-o").arg(out.path()).args(["-i", "/nonexistent/python3"]);
    let run = Run::from(command.output().unwrap()).failure();
    assert_mentions(&run.stderr, &["cannot run the Python interpreter `/nonexistent/python3`"]);
    assert!(listing(out.path()).is_empty());
}
