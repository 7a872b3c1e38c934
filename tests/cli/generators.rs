//! Which generator writes a build script's module: cffi-forge's own by default,
//! cffi's emitter with `generator = "cffi"` or when the script uses what only cffi can
//! generate; and pkg-config failures of declarative modules, reported before anything
//! about the wheel is decided.

use std::path::PathBuf;

use crate::cli_support::*;

const POINT_BUILD: &str = r#"
from cffi import FFI
ffibuilder = FFI()
ffibuilder.cdef("""
    typedef struct { int x, y; ...; } point_t;
    int manhattan(point_t *);
    #define ORIGIN_X ...
""")
ffibuilder.set_source("pts._pts", """
    #include <stdlib.h>
    typedef struct { long pad; int x, y; } point_t;
    #define ORIGIN_X (-3)
    static int manhattan(point_t *p) { return abs(p->x - ORIGIN_X) + abs(p->y); }
""", libraries=[])
"#;

const USE_POINTS: &str = "from pts._pts import ffi, lib\n\
    p = ffi.new('point_t *', {'x': 4, 'y': -5})\n\
    print(lib.manhattan(p), lib.ORIGIN_X, ffi.sizeof('point_t'), ffi.offsetof('point_t', 'y'))";

fn points_project(tool: &str) -> tempfile::TempDir {
    project(&[
        ("pyproject.toml", &pyproject("pts", tool)),
        ("pts/__init__.py", ""),
        ("pts/_pts_build.py", POINT_BUILD),
    ])
}

/// Build, install into a fresh venv, run `USE_POINTS`; returns (stderr, output).
fn build_and_use(tool: &str) -> (String, String) {
    let tree = points_project(tool);
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &["-v"]).success();
    let venv = Venv::new();
    venv.install(&PathBuf::from(run.stdout.trim()));
    (run.stderr, venv.run(USE_POINTS))
}

#[test]
fn build_scripts_use_the_native_generator_unless_cffi_is_asked_for() {
    let (native_log, native) = build_and_use("");
    assert!(native_log.contains("Generating pts._pts (native generator)"), "{native_log}");
    let (cffi_log, cffi) = build_and_use("[tool.cffi-forge]\ngenerator = \"cffi\"\n");
    assert!(!cffi_log.contains("native generator"), "{cffi_log}");
    // Same behaviour either way; the layout is the compiler's (padding before x).
    assert_eq!(native, cffi);
    let size = python_output(&python(), "import ctypes; print(ctypes.sizeof(ctypes.c_long) + 8)");
    let offset = python_output(&python(), "import ctypes; print(ctypes.sizeof(ctypes.c_long) + 4)");
    assert_eq!(native, format!("12 -3 {size} {offset}"));
}

#[test]
fn ffi_include_in_a_build_script_is_generated_natively() {
    let base = "from cffi import FFI\nbase = FFI()\nbase.cdef('typedef struct { int a, b; } pair_t;')\n\
                base.set_source('inc._base', 'typedef struct { int a, b; } pair_t;')\n";
    let user = "from cffi import FFI\nimport base_build\nffi = FFI()\nffi.include(base_build.base)\n\
                ffi.cdef('int sum(pair_t *);')\n\
                ffi.set_source('inc._user', 'typedef struct { int a, b; } pair_t;\\n\
                static int sum(pair_t *p) { return p->a + p->b; }')\n";
    let tool = "[tool.cffi-forge]\ncffi-modules = [\"ffi/base_build.py:base\", \"ffi/user_build.py:ffi\"]\n";
    let tree = project(&[
        ("pyproject.toml", &pyproject("inc", tool)),
        ("inc/__init__.py", ""),
        ("ffi/base_build.py", base),
        ("ffi/user_build.py", user),
    ]);
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).success();
    assert!(!run.stderr.contains("Falling back"), "{}", run.stderr);

    let venv = Venv::new();
    venv.install(&PathBuf::from(run.stdout.trim()));
    let got = venv.run(
        "import inc._base\nfrom inc._user import ffi, lib\n\
         print(lib.sum(ffi.new('pair_t *', [2, 5])))",
    );
    assert_eq!(got, "7");
}

/// A declarative module needing `forgetest >= 3.0`, with a `.pc` file for 2.5.1.
fn pkg_config_project(requirement: &str) -> (tempfile::TempDir, tempfile::TempDir) {
    let tool = format!(
        "[[tool.cffi-forge.module]]\nname = \"pc._m\"\ncdef = \"int f(void);\"\n\
         source = \"static int f(void) {{ return 1; }}\"\npkg-config = [\"{requirement}\"]\n"
    );
    let tree = project(&[("pyproject.toml", &pyproject("pc", &tool)), ("pc/__init__.py", "")]);
    let pc = project(&[(
        "forgetest.pc",
        "prefix=/opt/forge\nName: forgetest\nDescription: test\nVersion: 2.5.1\n\
         Cflags: -I${prefix}/include\nLibs:\n",
    )]);
    (tree, pc)
}

fn build_with_pkg_config_path(tree: &tempfile::TempDir, pc: &tempfile::TempDir) -> Run {
    let out = tempfile::tempdir().unwrap();
    let mut command = cffi_forge(&["build"]);
    command
        .arg(tree.path())
        .arg("-o")
        .arg(out.path())
        .arg("-i")
        .arg(python())
        .env("PKG_CONFIG_PATH", pc.path())
        .env_remove("PKG_CONFIG_SYSROOT_DIR");
    command.output().unwrap().into()
}

#[test]
fn unsatisfied_pkg_config_version_is_reported_before_the_wheel_tag() {
    let (tree, pc) = pkg_config_project("forgetest >= 3.0");
    let run = build_with_pkg_config_path(&tree, &pc).failure();
    assert!(
        run.stderr.contains(
            "module `pc._m`: pkg-config found forgetest 2.5.1, but \"forgetest >= 3.0\" is required"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains(&*pc.path().to_string_lossy()), "the search path is shown:\n{}", run.stderr);
    assert!(!run.stderr.contains("Tagging"), "no tag decision before the failure:\n{}", run.stderr);

    let (tree, pc) = pkg_config_project("forgetest >= 2.5");
    let run = build_with_pkg_config_path(&tree, &pc).success();
    assert!(run.stderr.contains("Tagging"), "{}", run.stderr);
}

#[test]
fn missing_pkg_config_package_names_it_the_path_and_a_hint() {
    let (tree, pc) = pkg_config_project("libnosuchthing");
    let run = build_with_pkg_config_path(&tree, &pc).failure();
    for expected in [
        "pkg-config cannot find \"libnosuchthing\"",
        &*pc.path().to_string_lossy(),
        // An unknown package: how to search for it, no invented package name.
        "apt-file search libnosuchthing.pc",
        "before-all",
    ] {
        assert!(run.stderr.contains(expected), "missing {expected:?} in\n{}", run.stderr);
    }
}

#[test]
fn generate_c_leaves_an_up_to_date_output_untouched_and_rewrites_a_stale_one() {
    // As cffi's make_c_source: same bytes, same file (its timestamp stays for make-style
    // tools); different bytes, replaced.
    let dir = project(&[("spec.toml", "[[module]]\nname = \"_m\"\ncdef = \"int f(int);\"\nsource = \"\"\n")]);
    let spec = dir.path().join("spec.toml");
    let out = dir.path().join("_m.c");
    let generate = || {
        let run: Run = cffi_forge(&[
            "generate-c",
            spec.to_str().unwrap(),
            "--module",
            "_m",
            "-o",
            out.to_str().unwrap(),
        ])
        .output()
        .unwrap()
        .into();
        run.success();
    };
    generate();
    let first = std::fs::read(&out).unwrap();
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000_000);
    std::fs::File::options().write(true).open(&out).unwrap().set_modified(old).unwrap();
    generate();
    assert_eq!(std::fs::metadata(&out).unwrap().modified().unwrap(), old, "an up-to-date file was rewritten");
    assert_eq!(std::fs::read(&out).unwrap(), first);

    std::fs::write(&spec, "[[module]]\nname = \"_m\"\ncdef = \"int g(int);\"\nsource = \"\"\n").unwrap();
    generate();
    assert_ne!(std::fs::metadata(&out).unwrap().modified().unwrap(), old);
    let text = String::from_utf8(std::fs::read(&out).unwrap()).unwrap();
    assert!(text.contains("\"g\"") && !text.contains("\"f\""), "stale output kept");
}
