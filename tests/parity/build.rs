//! Building what `setup.py` used to build around the FFI object, with `cffi-forge build`
//! and `cffi-forge inspect`: `ext-package`, `module-options`, static libraries, plain
//! extensions, `when` markers, script files, package data, tolerant `set_source`
//! arguments. Each wheel is installed into a fresh venv and its modules are called.

use crate::cli_support::*;

/// A CFFI module from a build script, extended by `module-options` (a glob of sources, a
/// macro, a static library), a static library, and a plain C extension linking the same
/// library. `extra` is appended to `[tool.cffi-forge]`.
fn vecmath(extra: &str, extension_limited: bool) -> tempfile::TempDir {
    let pyproject = pyproject(
        "vecmath",
        &format!(
            r#"
[tool.cffi-forge]
cffi-modules = ["src/vecmath/_vec_build.py:ffibuilder"]
{extra}

[tool.cffi-forge.module-options."vecmath._vec"]
sources = ["csrc/vec/*.c"]
include-dirs = ["csrc"]
define-macros = ["VEC_SCALE=2"]
libraries = ["vmcore"]

[tool.cffi-forge.module-options."vecmath._vec_never"]
define-macros = ["NEVER"]
when = "sys_platform == 'no-such-os'"

[[tool.cffi-forge.library]]
name = "vmcore"
sources = ["csrc/core/*.c"]
define-macros = [["CORE_BIAS", "1"]]

[[tool.cffi-forge.extension]]
name = "vecmath._speedups"
sources = ["csrc/speedups.c"]
libraries = ["vmcore"]
py-limited-api = {extension_limited}

[[tool.cffi-forge.extension]]
name = "vecmath._never"
sources = ["csrc/does-not-exist/*.c"]
when = "sys_platform == 'no-such-os'"
"#
        ),
    );
    project(&[
        ("pyproject.toml", &pyproject),
        ("src/vecmath/__init__.py", "from vecmath._vec import ffi, lib\n"),
        (
            "src/vecmath/_vec_build.py",
            "from cffi import FFI\nffibuilder = FFI()\n\
             ffibuilder.cdef('long dot(long *, long *, int); int core_add(int, int);')\n\
             ffibuilder.set_source('vecmath._vec', '#include \"vec.h\"')\n",
        ),
        ("csrc/vec.h", "long dot(long *a, long *b, int n);\nint core_add(int a, int b);\n"),
        (
            "csrc/vec/dot.c",
            "#include \"vec.h\"\nlong dot(long *a, long *b, int n) { long s = 0;\n\
             for (int i = 0; i < n; i++) s = core_add(s, a[i] * b[i]); return s * VEC_SCALE; }\n",
        ),
        ("csrc/vec/zero.c", "int vec_zero(void) { return 0; }\n"),
        ("csrc/core/add.c", "int core_add(int a, int b) { return a + b + CORE_BIAS - 1; }\n"),
        (
            "csrc/speedups.c",
            r#"#include <Python.h>
int core_add(int, int);
static PyObject *add(PyObject *self, PyObject *args) {
    int a, b;
    if (!PyArg_ParseTuple(args, "ii", &a, &b)) return NULL;
    return PyLong_FromLong(core_add(a, b));
}
static PyMethodDef methods[] = {{"add", add, METH_VARARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "_speedups", NULL, -1, methods};
PyMODINIT_FUNC PyInit__speedups(void) { return PyModule_Create(&def); }
"#,
        ),
    ])
}

fn only_wheel(out: &std::path::Path) -> std::path::PathBuf {
    let names = listing(out);
    assert_eq!(names.len(), 1, "{names:?}");
    out.join(&names[0])
}

/// `cc -c` invocations in a `-v` build log, per source file.
fn compiles_of(stderr: &str, file: &str) -> usize {
    stderr.lines().filter(|l| l.contains("Running") && l.contains(" -c ") && l.contains(file)).count()
}

#[test]
fn module_options_static_library_and_limited_api_extension_share_one_abi3_wheel() {
    let tree = vecmath("py-limited-api = \"cp39\"", true);
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &["-v"]).success();
    let wheel = only_wheel(out.path());
    // The floor comes from py-limited-api, not requires-python (>=3.8).
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("vecmath-1.0.0-cp39-abi3-"), "{name}");
    let names = zip_names(&wheel);
    for expected in ["vecmath/_vec.abi3.so", "vecmath/_speedups.abi3.so"] {
        assert!(names.contains(&expected.to_string()), "{expected} in {names:?}");
    }
    assert!(!names.iter().any(|n| n.contains("_never")), "{names:?}");

    // The library compiles once, without Python's macros, and is archived once.
    assert_eq!(compiles_of(&run.stderr, "csrc/core/add.c"), 1, "{}", run.stderr);
    let library_compile = run.stderr.lines().find(|l| l.contains(" -c csrc/core/add.c")).unwrap();
    assert!(!library_compile.contains("Py_LIMITED_API") && library_compile.contains("-DCORE_BIAS=1"));
    assert_eq!(run.stderr.lines().filter(|l| l.contains("Running") && l.contains(" crs ")).count(), 1);
    // module-options' glob and macro reach the module's compile; its `when` false table does not.
    assert_eq!(compiles_of(&run.stderr, "csrc/vec/dot.c"), 1);
    assert_eq!(compiles_of(&run.stderr, "csrc/vec/zero.c"), 1);
    let dot = run.stderr.lines().find(|l| l.contains(" -c csrc/vec/dot.c")).unwrap();
    assert!(dot.contains("-DVEC_SCALE=2") && dot.contains("-DPy_LIMITED_API=0x03090000"), "{dot}");
    assert!(!run.stderr.contains("-DNEVER"));
    let speedups = run.stderr.lines().find(|l| l.contains(" -c csrc/speedups.c")).unwrap();
    assert!(speedups.contains("-DPy_LIMITED_API=0x03090000") && !speedups.contains("_CFFI_NO_LIMITED_API"));
    assert!(run.stderr.contains("Compiling vecmath._speedups (extension)"), "{}", run.stderr);

    let venv = Venv::new();
    venv.install(&wheel);
    let got = venv.run(
        "from vecmath import ffi, lib; import vecmath._speedups as s\n\
         print(lib.dot(ffi.new('long[]', [1, 2]), ffi.new('long[]', [3, 4]), 2), s.add(2, 3))",
    );
    assert_eq!(got, "22 5");

    // Nothing changed: nothing compiles, archives or links again.
    let out2 = tempfile::tempdir().unwrap();
    let again = build(tree.path(), out2.path(), &["-v"]).success();
    assert!(
        !again.stderr.lines().any(|l| l.contains("Running") && !l.contains("build script")),
        "{}",
        again.stderr
    );

    // An editable install finds the extension and the CFFI module too.
    let out3 = tempfile::tempdir().unwrap();
    build(tree.path(), out3.path(), &["--editable"]).success();
    let editable = Venv::new();
    editable.install(&only_wheel(out3.path()));
    let got = editable.run(
        "import vecmath._speedups as s; from vecmath import lib; print(s.add(1, 1), lib.core_add(2, 2))",
    );
    assert_eq!(got, "2 4");
}

#[test]
fn a_plain_extension_without_limited_api_decides_the_tag_and_says_so() {
    let tree = vecmath("", false);
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).success();
    let wheel = only_wheel(out.path());
    let python = python();
    let (tag, suffix) = {
        let facts = python_output(
            &python,
            "import sys, sysconfig; v = sys.version_info; print('cp%d%d-cp%d%d' % (v[0], v[1], v[0], v[1]), sysconfig.get_config_var('EXT_SUFFIX'))",
        );
        let (tag, suffix) = facts.split_once(' ').unwrap();
        (tag.to_string(), suffix.to_string())
    };
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with(&format!("vecmath-1.0.0-{tag}-")), "{name}");
    assert!(
        run.stderr.contains("not abi3: extension `vecmath._speedups` is not built for the limited API"),
        "{}",
        run.stderr
    );
    let names = zip_names(&wheel);
    // The CFFI module keeps its abi3 build; the extension gets the interpreter's suffix.
    assert!(names.contains(&"vecmath/_vec.abi3.so".to_string()), "{names:?}");
    assert!(names.contains(&format!("vecmath/_speedups{suffix}")), "{names:?}");
    let venv = Venv::new();
    venv.install(&wheel);
    assert_eq!(venv.run("import vecmath._speedups as s; print(s.add(40, 2))"), "42");
}

#[test]
fn inspect_reports_origins_libraries_extensions_skipped_tables_and_the_tag() {
    let tree = vecmath("py-limited-api = \"cp39\"", true);
    let python = python();
    let run: Run =
        cffi_forge(&["inspect", "--json", "-i"]).arg(&python).arg(tree.path()).output().unwrap().into();
    let run = run.success();
    let report: serde_json::Value = serde_json::from_str(&run.stdout).expect("inspect --json prints JSON");
    let module = &report["modules"][0];
    assert_eq!(module["name"], "vecmath._vec");
    assert_eq!(module["origin"]["kind"], "script");
    assert_eq!(module["origin"]["script"], "src/vecmath/_vec_build.py:ffibuilder");
    assert_eq!(module["module_options"][0], "tool.cffi-forge.module-options.\"vecmath._vec\"");
    assert_eq!(module["options"]["sources"], serde_json::json!(["csrc/vec/dot.c", "csrc/vec/zero.c"]));
    assert_eq!(module["file"], "vecmath/_vec.abi3.so");
    assert_eq!(report["extensions"][0]["name"], "vecmath._speedups");
    assert_eq!(report["extensions"][0]["limited_api"], true);
    assert_eq!(
        report["libraries"][0]["linked_into"],
        serde_json::json!(["vecmath._vec", "vecmath._speedups"])
    );
    let skipped: Vec<&str> =
        report["skipped"].as_array().unwrap().iter().map(|s| s["table"].as_str().unwrap()).collect();
    assert_eq!(
        skipped,
        ["tool.cffi-forge.module-options.\"vecmath._vec_never\"", "tool.cffi-forge.extension[1]"]
    );
    assert_eq!(report["wheel"]["abi3"], true);
    assert!(report["wheel"]["tag"].as_str().unwrap().starts_with("cp39-abi3-"));
    assert!(report["wheel"]["reason"].as_str().unwrap().contains("py-limited-api = \"cp39\""));
    // Nothing was compiled.
    assert!(!tree
        .path()
        .join("build/cffi-forge")
        .read_dir()
        .map(|mut d| d.any(|e| { e.unwrap().path().join("objects").exists() }))
        .unwrap_or(false));

    // The text form says the same for people.
    let run: Run = cffi_forge(&["inspect", "-i"]).arg(&python).arg(tree.path()).output().unwrap().into();
    let text = run.success().stdout;
    for expected in [
        "vecmath 1.0.0 (version from [project] version)",
        "vecmath._vec → vecmath/_vec.abi3.so",
        "build script src/vecmath/_vec_build.py:ffibuilder + tool.cffi-forge.module-options.\"vecmath._vec\"",
        "vmcore (linked into vecmath._vec, vecmath._speedups)",
        "tool.cffi-forge.extension[1] (vecmath._never): when = \"sys_platform == 'no-such-os'\"",
        "Wheel vecmath-1.0.0-cp39-abi3-",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn module_options_for_a_module_that_is_not_built_is_an_error() {
    let tree = vecmath("", true);
    let text = std::fs::read_to_string(tree.path().join("pyproject.toml")).unwrap();
    let text = text.replace("module-options.\"vecmath._vec\"]", "module-options.\"vecmath._vecc\"]");
    write_files(tree.path(), &[("pyproject.toml", &text)]);
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).failure();
    assert!(
        run.stderr.contains("`tool.cffi-forge.module-options.\"vecmath._vecc\"` names no module"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("pyproject.toml:14:33"), "{}", run.stderr);
    assert!(run.stderr.contains("did you mean `vecmath._vec`?"), "{}", run.stderr);
    assert!(listing(out.path()).is_empty());
}

#[test]
fn ext_package_scripts_package_data_and_tolerant_set_source_arguments() {
    // A flat layout: package `crcpkg`, a top-level `crcutil.py` beside a C folder of the
    // same name, a build script at the root naming its module `_crc` (ext-package puts it
    // in `crcpkg`), string-valued set_source arguments, a private helper module imported
    // from the root. Neither the build script nor the helper is shipped. As with setuptools,
    // a flat layout with a package ships a top-level module only when `py-modules` names it.
    let pyproject = pyproject(
        "crc",
        r#"
[tool.cffi-forge]
cffi-modules = ["ffibuild.py:ffibuilder"]
packages = ["crcpkg"]
py-modules = ["crcutil"]
ext-package = "crcpkg"
script-files = ["bin/crc-sum", "bin/crc-sh"]
package-data-exclude = ["*.c"]
add-cffi-dependency = false

[project.optional-dependencies]
ffi = ["cffi>=1.15"]
"#,
    );
    let script = r#"
from cffi import FFI
import _helpers
ffibuilder = FFI()
ffibuilder.cdef("unsigned crc_sum(const char *, int);")
ffibuilder.set_source("_crc", '#include "crc.h"', sources="crcutil/crc.c", include_dirs="crcutil",
                      extra_compile_args=_helpers.FLAGS, extra_link_args="", libraries="")
"#;
    let tree = project(&[
        ("pyproject.toml", &pyproject),
        ("ffibuild.py", script),
        ("_helpers.py", "FLAGS = '-DCRC_SEED=7 -DCRC_UNUSED'\n"),
        ("crcutil.py", "from crcpkg._crc import lib\ndef crc(b):\n    return lib.crc_sum(b, len(b))\n"),
        ("crcutil/crc.h", "unsigned crc_sum(const char *p, int n);\n"),
        (
            "crcutil/crc.c",
            "#include \"crc.h\"\nunsigned crc_sum(const char *p, int n) { unsigned s = CRC_SEED;\n\
             for (int i = 0; i < n; i++) s += (unsigned char)p[i]; return s; }\n",
        ),
        ("crcpkg/__init__.py", ""),
        ("crcpkg/data/table.txt", "data\n"),
        ("crcpkg/stray.c", "int stray;\n"),
        (
            "bin/crc-sum",
            "#!/usr/bin/env python3\nimport sys, crcutil\nprint(crcutil.crc(sys.argv[1].encode()))\n",
        ),
        ("bin/crc-sh", "#!/bin/sh\necho shell\n"),
        ("tests/test_crc.py", ""),
        ("conftest.py", ""),
    ]);
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).success();
    assert!(
        run.stderr.contains("set_source(sources=\"crcutil/crc.c\") should be a list of strings"),
        "{}",
        run.stderr
    );
    let wheel = only_wheel(out.path());
    let names = zip_names(&wheel);
    let data = "crc-1.0.0.data/scripts";
    for expected in [
        "crcpkg/__init__.py",
        "crcpkg/_crc.abi3.so",
        "crcpkg/data/table.txt",
        "crcutil.py",
        &format!("{data}/crc-sum"),
        &format!("{data}/crc-sh"),
    ] {
        assert!(names.contains(&expected.to_string()), "{expected} in {names:?}");
    }
    for absent in ["crcpkg/stray.c", "ffibuild.py", "_helpers.py", "conftest.py", "crcutil/crc.c"] {
        assert!(!names.iter().any(|n| n == absent), "{absent} in {names:?}");
    }
    assert!(zip_read(&wheel, &format!("{data}/crc-sum")).starts_with("#!python\n"));
    assert!(zip_read(&wheel, &format!("{data}/crc-sh")).starts_with("#!/bin/sh\n"));
    let metadata = zip_read(&wheel, "crc-1.0.0.dist-info/METADATA");
    assert!(metadata.contains("Requires-Dist: cffi>=1.15; extra == \"ffi\""), "{metadata}");
    assert!(!metadata.contains("platform_python_implementation"), "no cffi added: {metadata}");

    let venv = Venv::new();
    venv.install(&wheel);
    // 7 + sum of the bytes of "ab" (97 + 98).
    assert_eq!(venv.run("import crcutil; print(crcutil.crc(b'ab'))"), "202");
    let script = venv.dir.path().join("venv/bin/crc-sum");
    let first_line = std::fs::read_to_string(&script).unwrap().lines().next().unwrap().to_string();
    assert_eq!(first_line, format!("#!{}", venv.python().display()));
    let out = std::process::Command::new(&script).arg("ab").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "202",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn dynamic_version_is_recorded_in_the_sdist_and_a_build_from_it_uses_it() {
    let pyproject = "[build-system]\nrequires = [\"cffi-forge\"]\nbuild-backend = \"cffi_forge\"\n\
        [project]\nname = \"dyn\"\ndynamic = [\"version\"]\nrequires-python = \">=3.8\"\n\
        [tool.cffi-forge]\nversion = { attr = \"dyn.__version__\" }\n";
    let tree = project(&[
        ("pyproject.toml", pyproject),
        ("dyn/__init__.py", "__version__ = '3.1.4'\nfrom dyn._d import lib\n"),
        (
            "dyn/_d_build.py",
            "from cffi import FFI\nffibuilder = FFI()\nffibuilder.cdef('int three(void);')\n\
             ffibuilder.set_source('dyn._d', 'int three(void) { return 3; }')\n",
        ),
    ]);
    let dist = tempfile::tempdir().unwrap();
    let run: Run = cffi_forge(&["sdist", "-o"]).arg(dist.path()).arg(tree.path()).output().unwrap().into();
    let sdist = std::path::PathBuf::from(run.success().stdout.trim());
    assert_eq!(sdist.file_name().unwrap(), "dyn-3.1.4.tar.gz");

    let unpacked = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("tar")
        .args(["-xzf"])
        .arg(&sdist)
        .arg("-C")
        .arg(unpacked.path())
        .status()
        .unwrap();
    assert!(status.success());
    let root = unpacked.path().join("dyn-3.1.4");
    assert!(std::fs::read_to_string(root.join("PKG-INFO")).unwrap().contains("\nVersion: 3.1.4\n"));
    // The recorded version wins over the tree, as the sdist is a snapshot.
    write_files(&root, &[("dyn/__init__.py", "__version__ = '9.9'\nfrom dyn._d import lib\n")]);
    let out = tempfile::tempdir().unwrap();
    build(&root, out.path(), &[]).success();
    let wheel = only_wheel(out.path());
    assert!(wheel.file_name().unwrap().to_string_lossy().starts_with("dyn-3.1.4-"), "{}", wheel.display());
}

/// Copy a parity sample into a fresh directory.
fn sample(name: &str) -> tempfile::TempDir {
    fn copy(from: &std::path::Path, to: &std::path::Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let source =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-projects/parity-samples").join(name);
    copy(&source, dir.path());
    dir
}

#[test]
fn declarative_modules_with_cdef_file_lists_module_options_and_when() {
    let tree = sample("declgeom");
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &["-v"]).success();
    assert!(!run.stderr.contains("build script"), "no Python runs at build time: {}", run.stderr);
    let wheel = only_wheel(out.path());
    assert!(wheel.file_name().unwrap().to_string_lossy().starts_with("declgeom-0.7.0-cp38-abi3-"));
    let names = zip_names(&wheel);
    assert!(names.contains(&"declgeom/_geom.abi3.so".to_string()), "{names:?}");
    assert_eq!(names.contains(&"declgeom/_libm.py".to_string()), cfg!(target_os = "linux"), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("_win")), "{names:?}");
    let geom = run
        .stderr
        .lines()
        .find(|l| l.contains("Running") && l.contains(" -c ") && l.contains("_geom.c"))
        .unwrap();
    assert!(geom.contains("-DGEOM_UNIT=10"), "module-options reach a declarative module: {geom}");

    let venv = Venv::new();
    venv.install(&wheel);
    let got = venv.run("import declgeom; print(declgeom.dist((0, 0), (3, 4)), declgeom.bounds([(1, 5), (-2, 3)]), declgeom.lib.geom_unit())");
    assert_eq!(got, "5.0 ((-2.0, 3.0), (1.0, 5.0)) 10");

    // inspect: the Windows module and its options are skipped together.
    let run: Run =
        cffi_forge(&["inspect", "--json", "-i"]).arg(python()).arg(tree.path()).output().unwrap().into();
    let report: serde_json::Value = serde_json::from_str(&run.success().stdout).unwrap();
    let skipped: Vec<(&str, &str)> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["table"].as_str().unwrap(), s["when"].as_str().unwrap()))
        .collect();
    assert_eq!(
        skipped,
        [
            ("tool.cffi-forge.module[2]", "sys_platform == 'win32'"),
            ("tool.cffi-forge.module-options.\"declgeom._win\"", "sys_platform == 'win32'")
        ]
    );
    assert_eq!(
        report["modules"][0]["origin"],
        serde_json::json!({"kind": "declarative", "table": "tool.cffi-forge.module[0]"})
    );
    assert_eq!(
        report["modules"][0]["module_options"][0],
        "tool.cffi-forge.module-options.\"declgeom._geom\""
    );

    // A cdef file that breaks is reported in its own file and line.
    write_files(
        tree.path(),
        &[(
            "cdefs/api.h",
            "double geom_dist(point_t a, point_t b);\nbox_t geom_bounds(const point_t *points, int n\n",
        )],
    );
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).failure();
    assert!(run.stderr.contains("cdefs/api.h:"), "{}", run.stderr);
    assert!(listing(out.path()).is_empty());
}
