//! Mistakes caught at build time, reported at the user's own line: a cdef declaration the
//! C does not provide, compiler warnings, build-script cdef errors at the script's line
//! and column, each error printed once.

use crate::cli_support::*;

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
    // Globals and constants too: the compiler's 'undeclared' errors map to their lines.
    let api_h = format!("{API_H}extern int gone_var;\n#define GONE_K ...\n");
    let stderr = fails(&[
        ("pyproject.toml", &declarative("int one(void) { return 1; }", "")),
        ("include/api.h", &api_h),
    ]);
    assert_mentions(
        &stderr,
        &[
            "module `_mod`: the cdef declares function `missing`, global variable `gone_var`, constant \
             `GONE_K`, which the C source does not declare",
            "include/api.h:4:5",
            "include/api.h:5:12",
            "include/api.h:6:1",
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

/// The rendered error of a failed build (from `error:` on), printed exactly once.
fn rendered_error(stderr: &str) -> String {
    let start = stderr.find("error:").unwrap_or_else(|| panic!("no error in:\n{stderr}"));
    let error = &stderr[start..];
    let title = error.lines().next().unwrap();
    assert_eq!(stderr.matches(title).count(), 1, "printed once:\n{stderr}");
    error.to_string()
}

fn script_project(script: &str) -> Vec<(&'static str, String)> {
    vec![
        (
            "pyproject.toml",
            pyproject("diag", "[tool.cffi-forge]\ncffi-modules = [\"tools/mod_build.py:ffibuilder\"]\n"),
        ),
        ("tools/mod_build.py", script.to_string()),
    ]
}

fn fails_owned(files: &[(&'static str, String)]) -> String {
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    fails(&files)
}

#[test]
fn a_build_script_cdef_error_points_at_the_scripts_own_line_and_column() {
    // The `;` is missing after `one`: the error is there (line 7 of the script), not at
    // the next declaration, and not at line 3 of the string.
    let script = "import cffi\n\n# the module's declarations\nffibuilder = cffi.FFI()\n\
                  ffibuilder.cdef(\"\"\"\n    typedef int handle_t;\n    int one(handle_t h)\n    \
                  int two(int);\n\"\"\")\nffibuilder.set_source('_mod', 'int one(int h) { return h; }')\n";
    let stderr = fails_owned(&script_project(script));
    let error = rendered_error(&stderr);
    assert_mentions(&error, &["tools/mod_build.py:7:9"]);
    insta::assert_snapshot!(error);
}

#[test]
fn a_cdef_given_through_a_module_level_name_points_into_the_script() {
    let script = "import cffi\nCDEF = '''\nint one(void);\nint two(unknown_t);\n'''\n\
                  ffibuilder = cffi.FFI()\nffibuilder.cdef(CDEF)\n\
                  ffibuilder.set_source('_mod', 'int one(void) { return 1; }')\n";
    let error = rendered_error(&fails_owned(&script_project(script)));
    assert_mentions(&error, &["tools/mod_build.py:4:9", "unknown type `unknown_t`"]);
}

#[test]
fn a_cdef_string_with_escapes_falls_back_to_its_own_lines_with_a_note() {
    let script = "import cffi\nffibuilder = cffi.FFI()\n\n\
                  ffibuilder.cdef(\"int one(void);\\nint two(int)\\nint three(int);\\n\")\n\
                  ffibuilder.set_source('_mod', 'int one(void) { return 1; }')\n";
    let error = rendered_error(&fails_owned(&script_project(script)));
    insta::assert_snapshot!(error);
}

/// Every Debian name of the pkg-config hint table is a real package, not only a name other
/// packages mention (as `libuv-dev` is, whose `apt-cache show` prints nothing).
#[test]
fn every_debian_package_of_the_pkg_config_hints_exists() {
    let names: Vec<&str> = cffi_forge::pkgconfig::packages::all().map(|p| p.debian).collect();
    assert!(names.len() >= 25, "{names:?}");
    let Ok(out) =
        std::process::Command::new("apt-cache").args(["show", "--no-all-versions"]).args(&names).output()
    else {
        return not_run("every_debian_package_of_the_pkg_config_hints_exists", "no apt-cache here");
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let found: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("Package: ")).collect();
    if found.is_empty() {
        return not_run("every_debian_package_of_the_pkg_config_hints_exists", "apt has no package lists");
    }
    let missing: Vec<&&str> = names.iter().filter(|n| !found.contains(n)).collect();
    assert!(missing.is_empty(), "not Debian packages: {missing:?}");
}

#[test]
fn a_missing_pkg_config_package_gets_real_package_names_per_distribution() {
    let script = "from cffi import FFI\nffibuilder = FFI()\nffibuilder.cdef('int uv_version(void);')\n\
                  ffibuilder.set_source_pkgconfig('_mod', ['libuv'], '#include <uv.h>')\n";
    let tree = project(&[
        (
            "pyproject.toml",
            &pyproject("diag", "[tool.cffi-forge]\ncffi-modules = [\"tools/mod_build.py:ffibuilder\"]\n"),
        ),
        ("tools/mod_build.py", script),
    ]);
    let out = tempfile::tempdir().unwrap();
    let mut command = cffi_forge(&["build"]);
    // An empty search path: libuv.pc is never found, whatever this machine has.
    command.arg(tree.path()).arg("-o").arg(out.path()).arg("-i").arg(python());
    command.env("PKG_CONFIG_LIBDIR", tree.path().join("no-pc")).env_remove("PKG_CONFIG_PATH");
    let run = Run::from(command.output().unwrap()).failure();
    let error = rendered_error(&run.stderr);
    assert_mentions(
        &error,
        &["apt-get install libuv1-dev", "dnf install libuv-devel", "apk add libuv-dev", "brew install libuv"],
    );
    // The Debian name that does not exist, as the old pattern guessed it.
    assert!(
        !error.contains("apt-get install libuv-dev") && !error.contains("usually `libuv-dev`"),
        "{error}"
    );
}

/// A cdef that disagrees with the C (`long *` for `int *`): the compiler warns about the
/// generated code at each of the two calls cffi generates. `helper.c` (the user's own)
/// has a warning of its own.
fn warning_project() -> Vec<(&'static str, String)> {
    let script = "from cffi import FFI\nffibuilder = FFI()\nffibuilder.cdef('int two(long *);')\n\
                  ffibuilder.set_source('_mod', 'int two(int *p) { return *p; }', sources=['helper.c'])\n";
    let mut files = script_project(script);
    files.push(("helper.c", "int helper(void) { int unused_here; return 0; }\n".to_string()));
    files
}

fn build_owned(files: &[(&'static str, String)], extra: &[&str]) -> Run {
    let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (*p, t.as_str())).collect();
    let (run, listing) = build_tree(&files, extra);
    let run = run.success();
    assert_eq!(listing.len(), 1, "{}", run.stderr);
    run
}

#[test]
fn warnings_about_the_generated_code_are_shown_once_those_of_bundled_c_with_v() {
    let run = build_owned(&warning_project(), &[]);
    let warning = "module `_mod`: generated code: passing argument 1 of 'two' from incompatible pointer type";
    assert_eq!(
        run.stderr.matches(warning).count(),
        1,
        "once, though the compiler said it twice:\n{}",
        run.stderr
    );
    assert_mentions(&run.stderr, &["note: expected 'int *' but argument is of type 'long int *'"]);
    assert!(!run.stderr.contains("unused_here"), "the user's own C: only with -v\n{}", run.stderr);

    let run = build_owned(&warning_project(), &["-v"]);
    assert_mentions(
        &run.stderr,
        &["helper.c:1:", "unused variable 'unused_here'", "incompatible pointer type"],
    );
}

#[test]
fn under_quiet_warnings_about_the_generated_code_are_one_summary_line() {
    let run = build_owned(&warning_project(), &["-q"]);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(
        lines,
        ["warning: module `_mod`: the C compiler gave 1 warning about the generated code (the cdef and the C \
          may disagree); run without -q to see it"],
        "{}",
        run.stderr
    );
}

#[test]
fn a_compile_error_in_the_c_given_to_set_source_points_at_the_users_line() {
    // A build script's string literal: line 7, column 15 of the script.
    let script = "from cffi import FFI\nffibuilder = FFI()\nffibuilder.cdef('int one(void);')\n\
                  ffibuilder.set_source('_mod', \"\"\"\n#include <stdio.h>\nint one(void) {\n    return 1 +;\n}\n\"\"\")\n";
    let error = rendered_error(&fails_owned(&script_project(script)));
    assert_mentions(
        &error,
        &[
            "module `_mod`: the C source given to set_source does not compile",
            "tools/mod_build.py:7:15",
            "return 1 +;",
        ],
    );

    // A module table's `source-file`, and its inline `source` in pyproject.toml.
    let table = |source: &str| {
        pyproject(
            "diag",
            &format!("\n[[tool.cffi-forge.module]]\nname = \"_mod\"\ncdef = \"int one(void);\"\n{source}\n"),
        )
    };
    let stderr = fails(&[
        ("pyproject.toml", &table("source-file = \"csrc/glue.c\"")),
        ("csrc/glue.c", "/* glue */\nint one(void) { return undefined_thing; }\n"),
    ]);
    assert_mentions(&stderr, &["csrc/glue.c:2:24", "undefined_thing"]);
    let stderr = fails(&[("pyproject.toml", &table("source = '''\nint one(void) { return 1 +; }\n'''"))]);
    // Line 14 of pyproject.toml, inside the table after [build-system] and [project].
    assert_mentions(&rendered_error(&stderr), &["pyproject.toml:14:27"]);
}

#[test]
fn a_bad_set_source_argument_points_at_the_call_in_the_script() {
    let script = "from cffi import FFI\nffibuilder = FFI()\nffibuilder.cdef('int one(void);')\n\n\
                  ffibuilder.set_source('_mod', 'int one(void) { return 1; }',\n    libraries=[1, 2])\n";
    let error = rendered_error(&fails_owned(&script_project(script)));
    assert_mentions(
        &error,
        &[
            "set_source() argument `libraries` must hold strings only",
            "tools/mod_build.py:5:1",
            "set_source() is called here",
        ],
    );
}
