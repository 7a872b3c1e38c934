//! `cffi-forge build` on small projects: the wheel is built from build scripts found
//! every supported way, installs into a fresh venv, and its modules work.

use crate::cli_support::*;

const CALC_BUILD: &str = r##"
from cffi import FFI
ffibuilder = FFI()
ffibuilder.cdef("int scaled_add(int, int);\n#define CALC_FACTOR ...")
ffibuilder.set_source("calc._calc", '#include "calc.h"',
    sources=["csrc/calc.c"], include_dirs=["csrc/include"], define_macros=[("CALC_FACTOR", "3")])
"##;

fn calc_project() -> tempfile::TempDir {
    project(&[
        ("pyproject.toml", &pyproject("calc", "")),
        ("src/calc/__init__.py", "from calc._calc import ffi, lib\n"),
        ("src/calc/_calc_build.py", CALC_BUILD),
        ("csrc/include/calc.h", "int scaled_add(int a, int b);\n"),
        (
            "csrc/calc.c",
            "#include \"calc.h\"\nint scaled_add(int a, int b) { return (a + b) * CALC_FACTOR; }\n",
        ),
    ])
}

#[test]
fn discovered_api_mode_script_builds_an_abi3_wheel_that_works() {
    let tree = calc_project();
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).success();

    // stdout: the wheel's path and nothing else.
    let wheel = out.path().join(listing(out.path()).pop().unwrap());
    assert_eq!(run.stdout, format!("{}\n", wheel.display()));
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("calc-1.0.0-cp38-abi3-") && name.ends_with(".whl"), "{name}");
    assert!(zip_names(&wheel).contains(&"calc/_calc.abi3.so".to_string()));

    // stderr: cargo-style progress naming the script, the module and the abi3 decision.
    for expected in [
        "Found src/calc/_calc_build.py:ffibuilder",
        "Running src/calc/_calc_build.py",
        "Compiling calc._calc",
        "abi3",
    ] {
        assert!(run.stderr.contains(expected), "missing {expected:?} in\n{}", run.stderr);
    }

    let venv = Venv::new();
    venv.install(&wheel);
    assert_eq!(venv.run("from calc import lib; print(lib.scaled_add(1, 2), lib.CALC_FACTOR)"), "9 3");
}

#[test]
fn configured_scripts_cxx_pkgconfig_and_abi_mode_in_one_wheel() {
    let cxx = r#"
from cffi import FFI
ffi = FFI()
ffi.cdef("int name_len(const char *);")
ffi.set_source("multi._cxx", '''
#include <string>
static int name_len(const char *s) { return (int)std::string(s).size(); }
''', source_extension=".cpp")
"#;
    let zlib = r##"
from cffi import FFI
ffi = FFI()
ffi.cdef("const char *zlibVersion(void);")
ffi.set_source_pkgconfig("multi._z", ["zlib >= 1.2"], "#include <zlib.h>")
"##;
    let abi = "import cffi\ndef make_ffi():\n    ffi = cffi.FFI()\n    ffi.cdef('int abs(int);')\n    \
               ffi.set_source('multi._abi', None)\n    return ffi\n";
    let tool = "[tool.cffi-forge]\ncffi-modules = [\"ffi/cxx_build.py:ffi\", \"ffi/zlib_build.py:ffi\", \
                \"ffi/abi_build.py:make_ffi\"]\n";
    let tree = project(&[
        ("pyproject.toml", &pyproject("multi", tool)),
        ("src/multi/__init__.py", ""),
        ("ffi/cxx_build.py", cxx),
        ("ffi/zlib_build.py", zlib),
        ("ffi/abi_build.py", abi),
    ]);
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).success();
    let wheel = std::path::PathBuf::from(run.stdout.trim());
    let names = zip_names(&wheel);
    for module in ["multi/_abi.py", "multi/_cxx.abi3.so", "multi/_z.abi3.so"] {
        assert!(names.contains(&module.to_string()), "{module} not in {names:?}");
    }
    assert!(!run.stderr.contains("Found"), "configured scripts are not discovered:\n{}", run.stderr);

    let venv = Venv::new();
    venv.install(&wheel);
    let zlib_version = python_output(&python(), "import zlib; print(zlib.ZLIB_RUNTIME_VERSION)");
    let got = venv.run(
        "from multi._cxx import lib as cxx; from multi._z import ffi, lib as z; from multi._abi import ffi as abi\n\
         print(cxx.name_len(b'forge'), ffi.string(z.zlibVersion()).decode(), abi.dlopen(None).abs(-7))",
    );
    assert_eq!(got, format!("5 {zlib_version} 7"));
}

#[test]
fn unchanged_rebuild_compiles_nothing_and_changed_header_recompiles() {
    let tree = calc_project();
    let out = tempfile::tempdir().unwrap();
    let compiles =
        |run: &Run| run.stderr.lines().filter(|l| l.contains("Running") && l.contains(" -c ")).count();

    let first = build(tree.path(), out.path(), &["-v"]).success();
    assert_eq!(compiles(&first), 2, "generated file and csrc/calc.c:\n{}", first.stderr);
    let second = build(tree.path(), out.path(), &["-v"]).success();
    assert_eq!(compiles(&second), 0, "{}", second.stderr);
    assert!(second.stderr.contains("Fresh calc._calc (linked)"), "{}", second.stderr);

    write_files(tree.path(), &[("csrc/include/calc.h", "int scaled_add(int a, int b); /* changed */\n")]);
    let third = build(tree.path(), out.path(), &["-v"]).success();
    assert_eq!(compiles(&third), 2, "both files include calc.h:\n{}", third.stderr);
}

#[test]
fn setup_py_list_is_read_without_running_setup_py() {
    // The script names its module `_calc`; setup.py's ext_package puts it in `flat`.
    let script = CALC_BUILD.replace("calc._calc", "_calc");
    let setup_py = "raise SystemExit('setup.py must never run')\n\
                    setup(ext_package='flat', cffi_modules=['flat/calc_build.py:ffibuilder'])\n";
    let tree = project(&[
        ("pyproject.toml", &pyproject("flat", "")),
        ("setup.py", setup_py),
        ("flat/__init__.py", ""),
        ("flat/calc_build.py", &script),
        // Discovery would find this one too; the setup.py list wins.
        ("other/unused_build.py", &CALC_BUILD.replace("calc._calc", "unused")),
        ("csrc/include/calc.h", "int scaled_add(int a, int b);\n"),
        (
            "csrc/calc.c",
            "#include \"calc.h\"\nint scaled_add(int a, int b) { return (a + b) * CALC_FACTOR; }\n",
        ),
    ]);
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).success();
    assert!(run.stderr.contains("using `cffi_modules` from setup.py (read, never run)"), "{}", run.stderr);
    let names = zip_names(std::path::Path::new(run.stdout.trim()));
    assert!(names.contains(&"flat/_calc.abi3.so".to_string()), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("unused")), "{names:?}");
}

/// sounddevice 0.5.6's shape: cffi_modules read from setup.py, which also passes
/// `py_modules` and a `packages` computed per platform (a package of bundled Windows and
/// macOS binaries, `None` on Linux). cffi-forge reads neither and discovery ships the
/// binaries' package: the build must say so, with the lines, not finish silently.
#[test]
fn setup_py_layout_keys_left_unread_are_reported() {
    let setup_py = "import sys\n\
                    packages = ['_snd_data'] if sys.platform == 'win32' else None\n\
                    setup(\n    package_dir={'': 'src'},\n    py_modules=['snd'],\n    packages=packages,\n    \
                    cffi_modules=['snd_build.py:ffibuilder'],\n)\n";
    let script = "from cffi import FFI\nffibuilder = FFI()\nffibuilder.set_source('_snd', None)\n\
                  ffibuilder.cdef('int abs(int);')\n";
    let files = |extra: &str| {
        project(&[
            ("pyproject.toml", &pyproject("snd", extra)),
            ("setup.py", setup_py),
            ("snd_build.py", script),
            ("src/snd.py", "import _snd\n"),
            ("src/_snd_data/__init__.py", ""),
            ("src/_snd_data/bin/portaudio.dll", "MZ"),
        ])
    };
    let tree = files("");
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).success();
    let warning =
        run.stderr.lines().find(|l| l.contains("which cffi-forge does not read")).unwrap_or_else(|| {
            panic!("no warning about setup.py's layout keys:\n{}", run.stderr);
        });
    assert!(
        warning.contains(
            "passes `packages` (line 6, computed), `py_modules` (line 5), `package_dir` (line 4) to"
        ),
        "{warning}"
    );
    assert!(warning.contains("discovery found instead: _snd_data/, snd.py"), "{warning}");
    // What the warning says is what the wheel holds.
    let names = zip_names(std::path::Path::new(run.stdout.trim()));
    assert!(names.contains(&"_snd_data/bin/portaudio.dll".to_string()), "{names:?}");

    // Said in pyproject.toml: nothing left unread, no warning, no binaries.
    let tree = files("\n[tool.cffi-forge]\npy-modules = [\"snd\"]\n");
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).success();
    assert!(!run.stderr.contains("which cffi-forge does not read"), "{}", run.stderr);
    let names = zip_names(std::path::Path::new(run.stdout.trim()));
    assert!(names.contains(&"snd.py".to_string()) && names.contains(&"_snd.py".to_string()), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("_snd_data")), "{names:?}");
}

/// setup.py's literal layout keys are setuptools' answer to what ships: `package_dir`,
/// an exact `packages` list (a subpackage it leaves out stays out, a stray top-level
/// package discovery would take stays out) and `py_modules` are read, and nothing warns.
#[test]
fn setup_py_literal_layout_decides_what_ships() {
    let setup_py = "from setuptools import setup\n\
                    setup(\n    package_dir={'': 'lib'},\n    packages=['pkg'],\n    py_modules=['single'],\n    \
                    cffi_modules=['pkg_build.py:ffibuilder'],\n)\n";
    let script = "from cffi import FFI\nffibuilder = FFI()\nffibuilder.set_source('pkg._abs', None)\n\
                  ffibuilder.cdef('int abs(int);')\n";
    let tree = project(&[
        ("pyproject.toml", &pyproject("pkg", "")),
        ("setup.py", setup_py),
        ("pkg_build.py", script),
        ("lib/pkg/__init__.py", ""),
        ("lib/pkg/internal/__init__.py", ""),
        ("lib/single.py", "X = 1\n"),
        ("other/__init__.py", ""),
    ]);
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).success();
    assert!(!run.stderr.contains("which cffi-forge does not read"), "{}", run.stderr);
    let names = zip_names(std::path::Path::new(run.stdout.trim()));
    let code: Vec<&String> = names.iter().filter(|n| !n.contains(".dist-info/")).collect();
    assert_eq!(code, ["pkg/__init__.py", "pkg/_abs.py", "pkg/_abs.pyi", "single.py"], "{names:?}");

    // `find_packages` with literal arguments is read too; a package mapped to a directory of
    // another name is an error at its line, not a wheel without it.
    write_files(
        tree.path(),
        &[(
            "setup.py",
            "from setuptools import setup, find_packages\nsetup(\n    package_dir={'': 'lib'},\n    \
                        packages=find_packages('lib', exclude=['pkg.internal']),\n    \
                        cffi_modules=['pkg_build.py:ffibuilder'],\n)\n",
        )],
    );
    let run = build(tree.path(), out.path(), &[]).success();
    let names = zip_names(std::path::Path::new(run.stdout.trim()));
    assert!(names.contains(&"pkg/__init__.py".to_string()), "{names:?}");
    assert!(!names.iter().any(|n| n.starts_with("pkg/internal") || n.starts_with("other/")), "{names:?}");
    write_files(
        tree.path(),
        &[(
            "setup.py",
            "from setuptools import setup\nsetup(\n    package_dir={'pkg': 'lib/elsewhere'},\n)\n",
        )],
    );
    let run = build(tree.path(), out.path(), &[]).failure();
    assert!(run.stderr.contains("setup.py:3:"), "{}", run.stderr);
    assert!(run.stderr.contains("cannot map package `pkg` to `lib/elsewhere`"), "{}", run.stderr);
}

/// pyvips 3.2.0's shape: `setup(cffi_modules=...)` in a `try`, a plain `setup()` in the
/// `except` (setuptools builds a pure wheel when pkg-config finds no libvips). cffi-forge
/// reads the first call only: the failing script fails the build, and the build says
/// why before it, and how to build without the scripts.
#[test]
fn setup_py_fallback_setup_call_is_reported() {
    let setup_py =
        "from setuptools import setup\ntry:\n    setup(cffi_modules=['vips/vips_build.py:ffibuilder'])\n\
                    except Exception as e:\n    print('Falling back to ABI mode', e)\n    setup()\n";
    let files = |extra: &str| {
        project(&[
            ("pyproject.toml", &pyproject("vips", extra)),
            ("setup.py", setup_py),
            ("vips/__init__.py", ""),
            ("vips/vips_build.py", "raise Exception('unable to find pkg-config package \"vips\"')\n"),
        ])
    };
    let tree = files("");
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]);
    assert!(!run.status.success(), "{}", run.stderr);
    let warning = run.stderr.find("setup.py:6: a second `setup(` call, which cffi-forge does not read");
    let error = run.stderr.find("unable to find pkg-config package");
    assert!(matches!((warning, error), (Some(w), Some(e)) if w < e), "{}", run.stderr);
    assert!(run.stderr.contains("[tool.cffi-forge] cffi-modules = [] builds without them"), "{}", run.stderr);

    // What the warning offers: the pure wheel setuptools' fallback builds.
    let tree = files("\n[tool.cffi-forge]\ncffi-modules = []\n");
    let run = build(tree.path(), out.path(), &[]).success();
    assert!(run.stdout.trim().ends_with("vips-1.0.0-py3-none-any.whl"), "{}", run.stdout);
}

#[test]
fn py_limited_api_false_gives_a_version_specific_module_and_wheel() {
    let tree = calc_project();
    let script = CALC_BUILD.replace("define_macros=", "py_limited_api=False, define_macros=");
    write_files(tree.path(), &[("src/calc/_calc_build.py", &script)]);
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &["-v"]).success();
    assert!(run.stderr.contains("-D_CFFI_NO_LIMITED_API"), "{}", run.stderr);
    assert!(!run.stderr.contains("Py_LIMITED_API="), "{}", run.stderr);

    let suffix = python_output(&python(), "import sysconfig; print(sysconfig.get_config_var('EXT_SUFFIX'))");
    let tag = python_output(&python(), "import sys; print('cp%d%d' % sys.version_info[:2])");
    let wheel = std::path::PathBuf::from(run.stdout.trim());
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with(&format!("calc-1.0.0-{tag}-{tag}-")), "{name}");
    assert!(zip_names(&wheel).contains(&format!("calc/_calc{suffix}")));
    let venv = Venv::new();
    venv.install(&wheel);
    assert_eq!(venv.run("from calc import lib; print(lib.scaled_add(2, 2))"), "12");
}

/// Run `code` in the venv; (stdout, stderr).
fn run_in(venv: &Venv, code: &str) -> (String, String) {
    let out = std::process::Command::new(venv.python())
        .args(["-c", code])
        .current_dir(venv.dir.path())
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).trim().to_string();
    assert!(out.status.success(), "{code}\n{}", text(&out.stderr));
    (text(&out.stdout), text(&out.stderr))
}

#[test]
fn editable_install_rebuilds_a_changed_source_on_import_once() {
    let tree = calc_project();
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &["--editable"]).success();
    let venv = Venv::new();
    venv.install(std::path::Path::new(run.stdout.trim()));
    let call = "from calc import lib; print(lib.scaled_add(1, 1))";
    assert_eq!(run_in(&venv, call), ("6".to_string(), String::new()));
    write_files(
        tree.path(),
        &[(
            "csrc/calc.c",
            "#include \"calc.h\"\nint scaled_add(int a, int b) { return (a + b) * CALC_FACTOR + 1; }\n",
        )],
    );
    let (stdout, stderr) = run_in(&venv, call);
    assert_eq!(stdout, "7");
    assert!(stderr.starts_with("cffi-forge: rebuilt calc._calc (csrc/calc.c changed) in "), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(run_in(&venv, call), ("7".to_string(), String::new()));
    // Built into the project's build directory, not the environment.
    let file = run_in(&venv, "import calc._calc as c; print(c.__file__)").0;
    assert!(file.starts_with(&tree.path().join("build/cffi-forge").display().to_string()), "{file}");
}

#[test]
fn editable_wheel_has_compiled_modules_and_live_python() {
    let tree = calc_project();
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &["--editable"]).success();
    let venv = Venv::new();
    venv.install(std::path::Path::new(run.stdout.trim()));
    assert_eq!(venv.run("from calc import lib; print(lib.scaled_add(1, 1))"), "6");
    write_files(tree.path(), &[("src/calc/__init__.py", "from calc._calc import ffi, lib\nLIVE = 'yes'\n")]);
    assert_eq!(venv.run("import calc; print(calc.LIVE)"), "yes");
}
