//! Mistakes caught at build time, reported at the user's own line: a cdef declaration the
//! C does not provide, compiler warnings, build-script cdef errors at the script's line
//! and column, each error printed once.

mod cli_support;

use cli_support::*;

/// Build `files` (a pyproject is added unless given); the run, and the output listing.
fn build_tree(files: &[(&str, &str)], extra: &[&str]) -> (Run, Vec<String>) {
    let tree = project(files);
    if !tree.path().join("pyproject.toml").exists() {
        write_files(tree.path(), &[("pyproject.toml", &pyproject("diag", ""))]);
    }
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), extra);
    let listing = listing(out.path());
    (run, listing)
}

/// A failed build: exit status 1, nothing written, stdout clean; returns stderr.
fn fails(files: &[(&str, &str)]) -> String {
    let (run, listing) = build_tree(files, &[]);
    let run = run.failure();
    assert!(listing.is_empty(), "nothing at the output path: {listing:?}\n{}", run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    run.stderr
}

fn assert_mentions(stderr: &str, expected: &[&str]) {
    for e in expected {
        assert!(stderr.contains(e), "missing {e:?} in:\n{stderr}");
    }
}

/// A declarative module whose cdef is `include/api.h`.
fn declarative(source: &str, extra: &str) -> String {
    pyproject(
        "diag",
        &format!(
            "\n[[tool.cffi-forge.module]]\nname = \"_mod\"\ncdef-file = \"include/api.h\"\n\
             source = '''{source}'''\n{extra}"
        ),
    )
}

const API_H: &str = "int one(void);\n\n/* declared, but nobody defines it */\nint missing(int);\n";

#[test]
fn a_cdef_function_the_c_never_declares_fails_the_build_at_the_cdef_line() {
    // gcc before 14 only warns about the implicit declaration: this built "successfully"
    // and failed at import with `undefined symbol: missing`.
    let stderr = fails(&[
        ("pyproject.toml", &declarative("int one(void) { return 1; }", "")),
        ("include/api.h", API_H),
    ]);
    assert_mentions(
        &stderr,
        &[
            "module `_mod`: the cdef declares function `missing`, which the C source does not declare",
            "include/api.h:4:5",
            "int missing(int);",
            "declared in the cdef but not declared by the C source given to set_source",
            "help: declare it in the C source of set_source",
        ],
    );
}

#[test]
fn a_cdef_function_no_linked_library_defines_fails_after_linking() {
    // What the libraries and the interpreter provide is no error: `sqrt` comes from libm,
    // which the interpreter loads (no `-lm` needed), `compressBound` from zlib through
    // `libraries`, `PyLong_FromLong` from Python itself.
    let cdef =
        "double sqrt(double);\nunsigned long compressBound(unsigned long);\nvoid *PyLong_FromLong(long);\n";
    let source = "#include <math.h>\n#include <zlib.h>\n#include <Python.h>";
    let (run, listing) = build_tree(
        &[("pyproject.toml", &declarative(source, "libraries = [\"z\"]\n")), ("include/api.h", cdef)],
        &[],
    );
    let run = run.success();
    assert_eq!(listing.len(), 1, "{}", run.stderr);
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);

    // Declared by the C (so it compiles), defined nowhere: only the loader would notice.
    let source = "int one(void) { return 1; }\nint missing(int);";
    let stderr = fails(&[("pyproject.toml", &declarative(source, "")), ("include/api.h", API_H)]);
    assert_mentions(
        &stderr,
        &[
            "module `_mod`: the cdef declares function `missing`, which neither the C source nor any \
             library it links defines",
            "include/api.h:4:5",
            "declared in the cdef but not defined by the C source or any linked library",
        ],
    );
}
