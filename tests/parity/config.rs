//! The setuptools-parity keys of `[tool.cffi-forge]`, on the configuration side:
//! `module-options`, `[[library]]`, `[[extension]]`, `when` markers on each, `sources`
//! globs, `cdef-file` lists, package data, flat-layout modules, dynamic versions from an
//! unpacked sdist. Bad input is refused with an error at `pyproject.toml:line:col`.

use std::path::PathBuf;

use cffi_forge::config::{ConfigError, Project, VersionOrigin};
use cffi_forge::diagnostic::ToDiagnostic;
use cffi_forge::interpreter::Interpreter;
use cffi_forge::spec::Define;
use crate::packaging_support::*;

const HEAD: &str = "[project]\nname = \"demo\"\nversion = \"1.0\"\n";

fn load(pyproject: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, Result<Project, ConfigError>) {
    let dir = tree(files);
    write_files(dir.path(), &[("pyproject.toml", pyproject)]);
    let project = Project::load(dir.path());
    (dir, project)
}

/// The rendered error of `result`, after checking it points at `location` (`line:col`).
fn located(result: Result<impl std::fmt::Debug, ConfigError>, location: &str) -> String {
    let err = result.expect_err("the configuration should be refused");
    let diagnostic = err.to_diagnostic();
    assert_eq!(
        diagnostic.location().as_deref(),
        Some(format!("pyproject.toml:{location}").as_str()),
        "{err}"
    );
    diagnostic.render(false)
}

/// The interpreter the tests resolve `when` markers for.
fn interpreter() -> Interpreter {
    let python =
        PathBuf::from(std::env::var_os("CFFI_FORGE_TEST_PYTHON").unwrap_or_else(|| "python3".into()));
    Interpreter::query(&python).expect("CFFI_FORGE_TEST_PYTHON (or python3) must run")
}

const SOURCES: &[(&str, &str)] = &[
    ("csrc/b.c", ""),
    ("csrc/a.c", ""),
    ("csrc/a.h", ""),
    ("csrc/core/x.c", ""),
    ("csrc/core/y.cpp", ""),
    ("csrc/speedups.c", ""),
];

#[test]
fn module_options_libraries_and_extensions_resolve_with_globs_in_order() {
    let pyproject = format!(
        r#"{HEAD}[tool.cffi-forge.module-options."demo._ffi"]
sources = ["csrc/*.c"]
include-dirs = ["csrc"]
define-macros = ["A", "B=2", ["C", "3"]]
libraries = ["core"]
py-limited-api = false

[[tool.cffi-forge.library]]
name = "core"
sources = ["csrc/core/**"]
extra-compile-args = ["-O3"]

[[tool.cffi-forge.extension]]
name = "demo._speedups"
sources = ["csrc/speedups.c", "csrc/a.c"]
libraries = ["core", "m"]
language = "c++"
"#
    );
    let (_dir, project) = load(&pyproject, SOURCES);
    let tables = project.unwrap().build_tables(None).unwrap();

    let [options] = tables.module_options.as_slice() else { panic!("{tables:?}") };
    assert_eq!(options.module, "demo._ffi");
    assert_eq!(options.table.to_string(), "tool.cffi-forge.module-options.\"demo._ffi\"");
    assert_eq!(options.options.sources, ["csrc/a.c", "csrc/b.c", "csrc/speedups.c"]);
    let define = |n: &str, v: Option<&str>| Define { name: n.into(), value: v.map(Into::into) };
    assert_eq!(
        options.options.define_macros,
        [define("A", None), define("B", Some("2")), define("C", Some("3"))]
    );

    // Merged after what the build script gave; py-limited-api replaces.
    let mut from_script = cffi_forge::spec::BuildOptions {
        sources: vec!["own.c".into()],
        libraries: vec!["z".into()],
        py_limited_api: None,
        ..Default::default()
    };
    from_script.append(&options.options);
    assert_eq!(from_script.sources, ["own.c", "csrc/a.c", "csrc/b.c", "csrc/speedups.c"]);
    assert_eq!(from_script.libraries, ["z", "core"]);
    assert_eq!(from_script.include_dirs, ["csrc"]);
    assert_eq!(from_script.py_limited_api, Some(false));

    let [library] = tables.libraries.as_slice() else { panic!() };
    assert_eq!(library.name, "core");
    assert_eq!(library.options.sources, ["csrc/core/x.c", "csrc/core/y.cpp"]);
    assert_eq!(library.options.extra_compile_args, ["-O3"]);

    let [extension] = tables.extensions.as_slice() else { panic!() };
    assert_eq!(extension.options.sources, ["csrc/speedups.c", "csrc/a.c"]);
    assert!(extension.cxx);
    // Like setuptools' Extension: not limited API unless the table says so.
    assert_eq!(extension.options.py_limited_api, Some(false));
}

#[test]
fn when_markers_select_tables_for_the_target() {
    let interp = interpreter();
    let platform = interp.marker_environment().unwrap().sys_platform().to_string();
    let pyproject = format!(
        r#"{HEAD}[[tool.cffi-forge.library]]
name = "core"
sources = ["csrc/a.c"]
when = "sys_platform == '{platform}'"

[[tool.cffi-forge.library]]
name = "core"
sources = ["csrc/b.c"]
when = "sys_platform != '{platform}'"

[[tool.cffi-forge.extension]]
name = "demo._old"
sources = ["csrc/speedups.c"]
when = "python_version < '3'"

[tool.cffi-forge.module-options."demo._ffi"]
define-macros = ["HERE"]
when = "sys_platform == '{platform}' and python_version >= '3'"

[[tool.cffi-forge.module]]
name = "demo._never"
cdef = "int f(void);"
when = "implementation_name == 'no-such-python'"
"#
    );
    let (_dir, project) = load(&pyproject, SOURCES);
    let project = project.unwrap();

    let tables = project.build_tables(Some(&interp)).unwrap();
    assert_eq!(tables.libraries.len(), 1);
    assert_eq!(tables.libraries[0].options.sources, ["csrc/a.c"]);
    assert_eq!(tables.libraries[0].table.index(), Some(0));
    assert!(tables.extensions.is_empty() && tables.modules.is_empty());
    assert_eq!(tables.module_options.len(), 1);
    let keys: Vec<String> = tables.skipped.iter().map(|s| s.table.to_string()).collect();
    let skipped: Vec<(&str, &str)> =
        keys.iter().zip(&tables.skipped).map(|(k, s)| (k.as_str(), s.name.as_str())).collect();
    assert_eq!(
        skipped,
        [
            ("tool.cffi-forge.module[0]", "demo._never"),
            ("tool.cffi-forge.library[1]", "core"),
            ("tool.cffi-forge.extension[0]", "demo._old")
        ]
    );
    assert_eq!(tables.skipped[2].when, "python_version < '3'");

    // Without a target every table applies, and two libraries with one name clash.
    let text = located(project.build_tables(None), "10:8");
    assert!(text.contains("library `core` is also defined by library[0]"), "{text}");
}

#[test]
fn bad_tables_point_at_the_key() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "[tool.cffi-forge.module-options.\"demo._ffi\"]\nsource = [\"a.c\"]\n",
            "5:1",
            "did you mean `sources`?",
        ),
        (
            "[tool.cffi-forge.module-options.\"demo.1x\"]\nlibraries = []\n",
            "4:33",
            "expected a dotted module name",
        ),
        (
            "[[tool.cffi-forge.library]]\nname = \"lib core\"\nsources = [\"a.c\"]\n",
            "5:8",
            "expected a library name",
        ),
        ("[[tool.cffi-forge.library]]\nname = \"core\"\nsources = []\n", "6:11", "at least one source file"),
        ("[[tool.cffi-forge.library]]\nname = \"core\"\n", "4:1", "missing field `sources`"),
        (
            "[[tool.cffi-forge.extension]]\nname = \"x\"\nsources = [\"a.c\"]\nlanguage = \"rust\"\n",
            "7:12",
            "expected \"c\" or \"c++\"",
        ),
        (
            "[[tool.cffi-forge.extension]]\nname = \"x\"\nsources = [\"a.c\"]\nwhen = \"os == 'nt'\"\n",
            "7:8",
            "not a valid PEP 508 marker",
        ),
        ("[tool.cffi-forge]\npackage-data-exclude = [\"[\"]\n", "5:25", "invalid glob"),
        ("[tool.cffi-forge]\npackage-data = \"yes\"\n", "5:16", "invalid type"),
    ];
    for (toml, location, expected) in cases {
        let (_dir, result) = load(&format!("{HEAD}{toml}"), &[]);
        let text = located(result, location);
        assert!(text.contains(expected), "{toml}\n{text}");
    }
}

#[test]
fn sources_that_match_nothing_are_errors_at_the_entry() {
    let pyproject = format!(
        "{HEAD}[[tool.cffi-forge.extension]]\nname = \"demo._x\"\nsources = [\"csrc/a.c\", \"csrc/*.cc\"]\n"
    );
    let (_dir, project) = load(&pyproject, SOURCES);
    let text = located(project.unwrap().build_tables(None), "6:24");
    assert!(text.contains("invalid `tool.cffi-forge.extension[0].sources`"), "{text}");
    assert!(text.contains("`csrc/*.cc` matches no file"), "{text}");

    let pyproject = format!("{HEAD}[tool.cffi-forge.module-options.m]\nsources = [\"missing.c\"]\n");
    let (_dir, project) = load(&pyproject, SOURCES);
    let text = located(project.unwrap().build_tables(None), "5:12");
    assert!(text.contains("no file `missing.c`"), "{text}");

    // Declarative modules expand globs too.
    let pyproject =
        format!("{HEAD}[[tool.cffi-forge.module]]\nname = \"m\"\ncdef = \"\"\nsources = [\"csrc/*.c\"]\n");
    let (_dir, project) = load(&pyproject, SOURCES);
    let modules = project.unwrap().declarative_modules(None).unwrap();
    assert_eq!(modules[0].options.sources, ["csrc/a.c", "csrc/b.c", "csrc/speedups.c"]);
}

#[test]
fn cdef_file_lists_are_read_in_order() {
    let pyproject = format!(
        "{HEAD}[[tool.cffi-forge.module]]\nname = \"demo._m\"\ncdef-file = [\"include/types.h\", \"include/api.h\"]\n\
         source = \"#include <api.h>\"\n"
    );
    let (_dir, project) = load(
        &pyproject,
        &[("include/types.h", "typedef int handle_t;\n"), ("include/api.h", "handle_t open_it(void);\n")],
    );
    let modules = project.unwrap().declarative_modules(None).unwrap();
    let cdefs: Vec<(&str, &str)> =
        modules[0].cdefs.iter().map(|c| (c.file.name.as_str(), c.text.as_str())).collect();
    assert_eq!(
        cdefs,
        [("include/types.h", "typedef int handle_t;\n"), ("include/api.h", "handle_t open_it(void);\n")]
    );

    let pyproject =
        format!("{HEAD}[[tool.cffi-forge.module]]\nname = \"demo._m\"\ncdef-file = [\"a.h\", \"gone.h\"]\n");
    let (_dir, project) = load(&pyproject, &[("a.h", "")]);
    let err = project.unwrap().declarative_modules(None).unwrap_err();
    assert!(err.to_string().contains("cdef-file: cannot read"), "{err}");
    assert!(err.to_string().contains("gone.h"), "{err}");
}

#[test]
fn package_data_keys_shape_the_wheel_file_list() {
    let files = &[
        ("src/demo/__init__.py", ""),
        ("src/demo/_impl.c", ""),
        ("src/demo/data/table.json", "{}"),
        ("src/demo/data/big.bin", ""),
    ];
    let wheel_files = |tool: &str| {
        let (_dir, project) = load(&format!("{HEAD}[tool.cffi-forge]\n{tool}"), files);
        let project = project.unwrap();
        project.python.wheel_files(&project.files).into_iter().map(|(a, _)| a).collect::<Vec<_>>()
    };
    assert_eq!(wheel_files("").len(), 4);
    assert_eq!(
        wheel_files("package-data = false\npackage-data-include = [\"demo/data/*.json\"]\n"),
        ["demo/__init__.py", "demo/data/table.json"]
    );
    assert_eq!(
        wheel_files("package-data-exclude = [\"*.c\", \"demo/data/*.bin\"]\n"),
        ["demo/__init__.py", "demo/data/table.json"]
    );
}

#[test]
fn flat_layout_ships_a_top_level_module_beside_a_c_folder_but_not_tooling() {
    let (_dir, project) = load(
        HEAD,
        &[
            ("chksum.py", "from _chksum import lib\n"),
            ("chksum/crc.c", "int x;\n"),
            ("chksum/crc.h", ""),
            ("setup.py", ""),
            ("conftest.py", ""),
            ("noxfile.py", ""),
            ("chksum_build.py", ""),
            ("test_chksum.py", ""),
            ("tests/__init__.py", ""),
            ("tests/test_x.py", ""),
            ("_private.py", ""),
            ("_vendored/__init__.py", ""),
        ],
    );
    let project = project.unwrap();
    assert_eq!(project.python.source, "");
    // No package (`chksum/` holds no `__init__.py`): the one top-level module ships. (With
    // a package beside it, setuptools' flat-layout rule ships only the package.)
    assert!(project.python.packages.is_empty(), "{:?}", project.python.packages);
    assert_eq!(project.python.modules, ["chksum"]);
    let shipped: Vec<String> =
        project.python.wheel_files(&project.files).into_iter().map(|(a, _)| a).collect();
    assert_eq!(shipped, ["chksum.py"]);

    // A build script named in `cffi-modules` is tooling whatever its name.
    let (_dir, project) = load(
        &format!("{HEAD}[tool.cffi-forge]\ncffi-modules = [\"ffibuild.py:ffi\"]\n"),
        &[("ffibuild.py", ""), ("other.py", "")],
    );
    assert_eq!(project.unwrap().python.modules, ["other"]);

    // `py-modules` names them explicitly (and turns discovery off).
    let (_dir, project) = load(
        &format!("{HEAD}[tool.cffi-forge]\npy-modules = [\"tool\"]\n"),
        &[("tool.py", ""), ("pkg/__init__.py", "")],
    );
    let project = project.unwrap();
    assert_eq!(
        (project.python.packages.len(), project.python.modules.as_slice()),
        (0, &["tool".to_string()][..])
    );
}

#[test]
fn dynamic_version_comes_from_pkg_info_in_an_unpacked_sdist() {
    let pyproject = "[project]\nname = \"demo\"\ndynamic = [\"version\"]\n[tool.cffi-forge]\nversion = { file = \"VERSION\" }\n";
    let (dir, project) = load(pyproject, &[("VERSION", "2.0.0\n")]);
    let project = project.unwrap();
    assert_eq!(project.metadata.version.to_string(), "2.0.0");
    assert_eq!(project.version_origin, VersionOrigin::File("VERSION".into()));

    write_files(
        dir.path(),
        &[("PKG-INFO", "Metadata-Version: 2.4\nName: demo\nVersion: 2.0.1.dev3\n\nbody\n")],
    );
    let project = Project::load(dir.path()).unwrap();
    assert_eq!(project.metadata.version.to_string(), "2.0.1.dev3");
    assert_eq!(project.version_origin, VersionOrigin::PkgInfo);

    // Another project's PKG-INFO is not ours; a static version ignores PKG-INFO.
    write_files(dir.path(), &[("PKG-INFO", "Metadata-Version: 2.4\nName: other\nVersion: 9\n")]);
    assert_eq!(Project::load(dir.path()).unwrap().metadata.version.to_string(), "2.0.0");
    write_files(dir.path(), &[("pyproject.toml", HEAD)]);
    let project = Project::load(dir.path()).unwrap();
    assert_eq!(
        (project.metadata.version.to_string(), project.version_origin),
        ("1.0".into(), VersionOrigin::Static)
    );
}
