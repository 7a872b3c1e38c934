//! `cffi-forge migrate`: setuptools projects (setup.py, setup.cfg, both, with and without
//! a pyproject.toml) translated statically into pyproject.toml tables, the todos it
//! prints for what it cannot translate, `--write`, and a migrated project that builds a
//! working wheel.

use std::path::Path;

use crate::cli_support::*;

/// `cffi-forge migrate <root> [extra]`: stdout, then the stderr lines, with the temporary
/// directory replaced.
fn migrate(root: &Path, extra: &[&str]) -> (Run, String) {
    let mut command = cffi_forge(&["migrate"]);
    command.arg(root).args(extra);
    let run: Run = command.output().unwrap().into();
    let stderr = run.stderr.replace(&root.display().to_string(), "[DIR]");
    let text = format!("{}\n----- stderr -----\n{}", run.stdout, stderr);
    (run, text)
}

const KITCHEN_SINK: &str = r#"import os
from glob import glob
from setuptools import setup, find_packages, Extension

here = os.path.abspath(os.path.dirname(__file__))
with open(os.path.join(here, "README.md"), encoding="utf-8") as f:
    long_description = f.read()

SPEEDUPS = Extension(
    "demo._speedups",
    sources=glob("src/speedups/*.c") + ["src/extra.c"],
    include_dirs=["src/speedups"],
    define_macros=[("NDEBUG", None), ("LEVEL", "3")],
    libraries=["helper", "m"],
    extra_compile_args=["-O2"],
)

setup(
    name="demo",
    version="1.2.3",
    description="A demo\n  of migration",
    long_description=long_description,
    long_description_content_type="text/markdown",
    author="Ada Lovelace",
    author_email="ada@example.org",
    url="https://example.org/demo",
    project_urls={"Source": "https://example.org/demo/src"},
    license="MIT",
    classifiers=["Programming Language :: Python :: 3"],
    keywords="demo cffi",
    python_requires=">=3.9",
    install_requires=["attrs>=22"],
    extras_require={"test": ["pytest"], "win:sys_platform == 'win32'": ["pywin32"]},
    entry_points={
        "console_scripts": ["demo = demo.cli:main"],
        "demo.plugins": ["basic = demo.plugins:basic"],
    },
    scripts=["bin/demo-tool"],
    package_dir={"": "src"},
    packages=find_packages(where="src", exclude=["demo.tests"]),
    package_data={"demo": ["data/*.json"]},
    exclude_package_data={"": ["*.c"]},
    setup_requires=["cffi>=1.0", "pkgconfig"],
    cffi_modules=["src/demo/_native_build.py:ffibuilder"],
    ext_package="demo",
    ext_modules=[SPEEDUPS],
    libraries=[("helper", {"sources": ["clib/helper.c"], "include_dirs": ["clib"], "macros": [("X", "1")]})],
    data_files=[("share/demo", ["demo.conf"])],
    zip_safe=False,
)
"#;

#[test]
fn setup_py_with_every_translated_keyword() {
    let dir = project(&[
        ("setup.py", KITCHEN_SINK),
        ("README.md", "# demo\n"),
        ("src/demo/__init__.py", ""),
        ("src/demo/sub/__init__.py", ""),
        ("src/demo/tests/__init__.py", ""),
        ("src/demo/_native_build.py", "import cffi\nffibuilder = cffi.FFI()\n"),
    ]);
    let (run, text) = migrate(dir.path(), &[]);
    run.success();
    insta::assert_snapshot!("setup_py_every_keyword", text);
    assert!(!dir.path().join("pyproject.toml").exists(), "without --write nothing is written");
}

#[test]
fn setup_cfg_declarative_config() {
    let dir = project(&[
        // cffi accepts a dotted module name here; cffi-forge wants the path.
        ("setup.py", "from setuptools import setup\nsetup(cffi_modules=['cfgdemo._x_build:ffi'])\n"),
        (
            "setup.cfg",
            "[metadata]\nname = cfgdemo\nversion = attr: cfgdemo.__version__\ndescription = Demo\n\
             long_description = file: README.rst\nlicense = BSD 3-Clause License\nclassifiers =\n    \
             License :: OSI Approved :: BSD License\n    Programming Language :: Python :: 3\n\
             project_urls =\n    Docs = https://example.org/docs\n\n[options]\npackages = find:\n\
             python_requires = >=3.8\ninstall_requires =\n    cffi>=1.15\n    typing-extensions; python_version<'3.10'\n\
             include_package_data = True\n\n[options.packages.find]\nexclude =\n    tests*\n\n\
             [options.extras_require]\ndocs = sphinx\n\n[options.entry_points]\nconsole_scripts =\n    \
             cfgdemo = cfgdemo.cli:main\n\n[bdist_wheel]\nuniversal = 0\n",
        ),
        ("README.rst", "demo\n"),
        ("cfgdemo/__init__.py", "__version__ = '0.1'\n"),
        ("cfgdemo/_x_build.py", "import cffi\nffi = cffi.FFI()\n"),
        ("tests/__init__.py", ""),
    ]);
    let (run, text) = migrate(dir.path(), &[]);
    run.success();
    insta::assert_snapshot!("setup_cfg_declarative", text);
}

#[test]
fn computed_values_become_todos_with_lines() {
    let setup = r#"import os, sys
from setuptools import setup, Extension
from setuptools.command.build_ext import build_ext

def get_version():
    return open("VERSION").read().strip()

libraries = ["z"]
if sys.platform == "win32":
    libraries = ["zlib"]

class BuildExt(build_ext):
    pass

kwargs = dict(name="computed")
if os.environ.get("DEMO_DEBUG"):
    kwargs["extra"] = True

setup(
    version=get_version(),
    packages=[p for p in ["a", "b"]],
    ext_modules=[Extension("computed._c", ["c.c"], libraries=libraries)],
    cmdclass={"build_ext": BuildExt},
    platforms=["any"],
    **kwargs
)
"#;
    let dir = project(&[("setup.py", setup)]);
    let (run, text) = migrate(dir.path(), &[]);
    run.success();
    insta::assert_snapshot!("computed_values", text);
}

#[test]
fn existing_pyproject_is_kept_and_completed() {
    let pyproject = "# Project configuration.\n[build-system]\nrequires = [\"setuptools>=61\", \"setuptools_scm\", \"cffi\", \"pycparser\"]\n\
                     build-backend = \"setuptools.build_meta\"\n\n[project]\nname = \"kept\"  # the PyPI name\n\
                     dynamic = [\"version\", \"dependencies\"]\ndescription = \"Kept as written\"\n\n\
                     [tool.setuptools.dynamic]\ndependencies = { file = [\"requirements.txt\"] }\n\n\
                     [tool.ruff]\nline-length = 100\n";
    let dir = project(&[
        ("pyproject.toml", pyproject),
        ("requirements.txt", "# runtime\ncffi>=1.15\nattrs  # for classes\n"),
        ("PKG-INFO", "Metadata-Version: 2.1\nName: kept\nVersion: 4.5.6\n\nbody\n"),
        ("setup.py", "from setuptools import setup\nsetup(description='ignored: pyproject says it', ext_package='kept')\n"),
        ("kept/__init__.py", ""),
        ("kept/_k_build.py", "from setuptools import Extension\nimport cffi\nffi = cffi.FFI()\nffi.set_source('_k', '')\n"),
    ]);
    let (run, text) = migrate(dir.path(), &[]);
    run.success();
    insta::assert_snapshot!("existing_pyproject", text);
}

#[test]
fn write_edits_pyproject_in_place_and_keeps_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = project(&[
        ("pyproject.toml", "[project]\nname = \"w\"\n# keep this comment\nversion = \"1\"\n"),
        ("setup.py", "from setuptools import setup\nsetup(name='w', install_requires=['six'])\n"),
    ]);
    let path = dir.path().join("pyproject.toml");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    let (printed, _) = migrate(dir.path(), &[]);
    let (run, _) = migrate(dir.path(), &["--write"]);
    let run = run.success();
    assert_eq!(run.stdout, "", "--write prints nothing on stdout");
    assert!(run.stderr.contains("Wrote"), "{}", run.stderr);
    let written = std::fs::read_to_string(&path).unwrap();
    assert_eq!(written, printed.stdout, "--write writes what migrate prints");
    assert!(written.contains("# keep this comment\nversion = \"1\"\n"), "{written}");
    assert!(written.contains("dependencies = [\"six\"]"), "{written}");
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
    assert_eq!(listing(dir.path()), ["pyproject.toml", "setup.py"], "no temporary file left");

    // A new pyproject.toml gets the mode the umask gives, as any file the user creates.
    let dir = project(&[("setup.py", "from setuptools import setup\nsetup(name='n', version='1')\n")]);
    migrate(dir.path(), &["--write"]).0.success();
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let umask = status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .map(|m| u32::from_str_radix(m.trim(), 8).unwrap());
    let mode = std::fs::metadata(dir.path().join("pyproject.toml")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o666 & !umask.unwrap(), "mode {mode:o}");
}

#[test]
fn errors_write_nothing() {
    let dir = project(&[("README.md", "")]);
    let (run, _) = migrate(dir.path(), &["--write"]);
    let run = run.failure();
    assert!(
        run.stderr.contains("no setup.py, setup.cfg or setuptools pyproject.toml to migrate from"),
        "{}",
        run.stderr
    );
    assert_eq!(listing(dir.path()), ["README.md"]);

    let bad = "[project\nname = 'x'\n";
    let dir = project(&[("setup.py", "setup(name='x')\n"), ("pyproject.toml", bad)]);
    let (run, _) = migrate(dir.path(), &["--write"]);
    let run = run.failure();
    assert!(run.stderr.contains("pyproject.toml: not valid TOML"), "{}", run.stderr);
    assert!(run.stderr.contains("line 1"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(dir.path().join("pyproject.toml")).unwrap(), bad);

    let dir = project(&[("setup.cfg", "[metadata]\nname = x\nthis line is not an entry\n")]);
    let (run, _) = migrate(dir.path(), &["--write"]);
    let run = run.failure();
    assert!(run.stderr.contains("cannot read setup.cfg"), "{}", run.stderr);
    assert!(run.stderr.contains("setup.cfg:3"), "{}", run.stderr);
    assert_eq!(listing(dir.path()), ["setup.cfg"]);
}

/// A setuptools project with a CFFI build script, a build_clib library it links and a
/// plain C extension: `migrate --write`, then `cffi-forge build`, install, import, call.
#[test]
fn migrated_project_builds_a_working_wheel() {
    let setup = r#"from setuptools import setup, Extension

setup(
    name="migrated",
    version="0.3.0",
    package_dir={"": "src"},
    packages=["migrated"],
    cffi_modules=["src/migrated/_calc_build.py:ffibuilder"],
    ext_package="migrated",
    libraries=[("twice", {"sources": ["clib/twice.c"], "include_dirs": ["clib"]})],
    ext_modules=[Extension("migrated._plain", sources=["ext/plain.c"])],
    install_requires=["cffi>=1.15"],
)
"#;
    let build_script = r#"from cffi import FFI
ffibuilder = FFI()
ffibuilder.cdef("int add_twice(int a, int b);")
ffibuilder.set_source("_calc", '#include "twice.h"\nint add_twice(int a, int b) { return twice(a + b); }\n',
                      include_dirs=["clib"], libraries=["twice"])
"#;
    let plain = r#"#define PY_SSIZE_T_CLEAN
#include <Python.h>
static PyObject *answer(PyObject *self, PyObject *args) { return PyLong_FromLong(42); }
static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_plain", NULL, -1, methods};
PyMODINIT_FUNC PyInit__plain(void) { return PyModule_Create(&module); }
"#;
    let dir = project(&[
        ("setup.py", setup),
        ("src/migrated/__init__.py", "from ._calc import lib\n"),
        ("src/migrated/_calc_build.py", build_script),
        ("clib/twice.h", "int twice(int x);\n"),
        ("clib/twice.c", "int twice(int x) { return 2 * x; }\n"),
        ("ext/plain.c", plain),
    ]);
    let (run, _) = migrate(dir.path(), &["--write"]);
    let run = run.success();
    assert!(!run.stderr.contains("todo:"), "nothing left to do by hand:\n{}", run.stderr);
    let pyproject = std::fs::read_to_string(dir.path().join("pyproject.toml")).unwrap();
    assert!(pyproject.contains("[[tool.cffi-forge.library]]"), "{pyproject}");
    assert!(pyproject.contains("[[tool.cffi-forge.extension]]"), "{pyproject}");
    // Without setup.py the build must rely on pyproject.toml alone.
    std::fs::remove_file(dir.path().join("setup.py")).unwrap();
    let out = tempfile::tempdir().unwrap();
    build(dir.path(), out.path(), &[]).success();
    let wheels = listing(out.path());
    assert_eq!(wheels.len(), 1, "{wheels:?}");
    let venv = Venv::new();
    venv.install(&out.path().join(&wheels[0]));
    let result = venv.run(
        "import migrated, migrated._plain; print(migrated.lib.add_twice(2, 3), migrated._plain.answer())",
    );
    assert_eq!(result, "10 42");
}

/// `version=pkg.__version__` (and names imported from the package) read from the
/// package's source; `":marker"` extras are dependencies; a pyproject.toml with only
/// tool tables gets `[build-system]` and `[project]` in front of them.
#[test]
fn module_attributes_markers_and_table_order() {
    let setup = r#"import sys
sys.path.insert(0, "src")
import attrpkg
from attrpkg.about import __summary__ as summary, __uri__

setup(
    name=attrpkg.__title__,
    version=attrpkg.__version__,
    description=summary,
    url=__uri__,
    license=attrpkg.__license__,
    extras_require={":python_version < '3.8'": ["importlib-metadata"], "fast": ["ujson"]},
    packages=["attrpkg"],
    package_dir={"": "src"},
)
"#;
    let dir = project(&[
        ("setup.py", setup),
        ("pyproject.toml", "[tool.black]\nline-length = 79\n"),
        (
            "src/attrpkg/__init__.py",
            "__title__ = 'attrpkg'\n__version__ = '2.0.1'\n__license__ = '-'.join(['MIT'])\n",
        ),
        ("src/attrpkg/about.py", "__summary__ = 'Read from the package'\n__uri__ = 'https://example.org'\n"),
    ]);
    let (run, text) = migrate(dir.path(), &[]);
    run.success();
    insta::assert_snapshot!("module_attributes", text);
}

/// `[tool.setuptools]` in an existing pyproject.toml is read like setup() keywords
/// (`packages.find` looks for namespace packages unless `namespaces = false`).
#[test]
fn setuptools_tables_of_pyproject() {
    let pyproject = "[build-system]\nrequires = [\"setuptools\"]\nbuild-backend = \"setuptools.build_meta\"\n\n\
                     [project]\nname = \"tabled\"\nversion = \"1\"\ndynamic = [\"readme\"]\n\n\
                     [tool.setuptools.dynamic]\nreadme = { file = [\"README.rst\", \"CHANGES.rst\"] }\n\n[tool.setuptools]\nscript-files = [\"bin/t\"]\n\
                     include-package-data = false\n\n[tool.setuptools.package-data]\ntabled = [\"*.txt\"]\n\n\
                     [tool.setuptools.packages.find]\nwhere = [\"lib\"]\nexclude = [\"tabled.tests*\"]\nnamespaces = false\n\n\
                     [[tool.setuptools.ext-modules]]\nname = \"tabled._speed\"\nsources = [\"lib/speed.c\"]\n\
                     define-macros = [[\"FAST\", \"1\"]]\n";
    let dir = project(&[
        ("pyproject.toml", pyproject),
        ("setup.py", "from setuptools import setup\nsetup()\n"),
        ("lib/tabled/__init__.py", ""),
        ("lib/tabled/tests/__init__.py", ""),
        ("lib/tabled/sub/__init__.py", ""),
    ]);
    let (run, text) = migrate(dir.path(), &[]);
    run.success();
    insta::assert_snapshot!("setuptools_tables", text);
    // Without setup.py: pyproject.toml alone configures setuptools, and migrates the same.
    std::fs::remove_file(dir.path().join("setup.py")).unwrap();
    let (run, without) = migrate(dir.path(), &[]);
    run.success();
    assert_eq!(without, text);
}

/// `license-files` cannot go with a legacy license table (cffi-forge refuses the pair),
/// also when the table was already in pyproject.toml.
#[test]
fn license_files_are_not_added_to_a_legacy_license_table() {
    let dir = project(&[
        ("pyproject.toml", "[project]\nname = \"lic\"\nversion = \"1\"\nlicense = { text = \"BSD\" }\n"),
        ("setup.cfg", "[metadata]\nlicense_files = LICENSE\n"),
    ]);
    let (run, _) = migrate(dir.path(), &[]);
    let run = run.success();
    assert!(!run.stdout.contains("license-files"), "{}", run.stdout);
    assert!(
        run.stderr.contains("setup.cfg:2: note: `license_files` cannot go with a legacy license table"),
        "{}",
        run.stderr
    );
}
