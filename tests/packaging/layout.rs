//! Which Python files a wheel ships (issue 15): `python-source` spellings, the check that
//! every named package and module reaches the wheel, hints for packages named like
//! modules (and the reverse), setuptools' automatic discovery for flat and src layouts,
//! build scripts never shipped as top-level modules, and `inspect` saying why each file
//! ships. Whole file lists are compared; a few wheels are installed and imported.

use std::path::Path;

use cffi_forge::archive;
use cffi_forge::config::{ConfigError, Project};
use cffi_forge::diagnostic::ToDiagnostic;
use cffi_forge::tags::WheelTag;
use crate::cli_support::*;

const HEAD: &str = "[project]\nname = \"lay\"\nversion = \"1.0\"\n";

fn load(files: &[(&str, &str)]) -> (tempfile::TempDir, Result<Project, ConfigError>) {
    let tree = project(files);
    let loaded = Project::load(tree.path());
    (tree, loaded)
}

/// The wheel's entries outside `.dist-info`, sorted.
fn shipped(project: &Project) -> Vec<String> {
    let mut names: Vec<String> = archive::list_wheel(project, &WheelTag::pure(), &[])
        .unwrap()
        .into_iter()
        .map(|l| l.path)
        .filter(|p| !p.contains(".dist-info/"))
        .collect();
    names.sort();
    names
}

fn shipped_from(files: &[(&str, &str)]) -> Vec<String> {
    let (_tree, project) = load(files);
    shipped(&project.unwrap())
}

/// The rendered error of a project that must be refused.
fn refused(files: &[(&str, &str)]) -> String {
    let (_tree, project) = load(files);
    project.expect_err("the project should be refused").to_diagnostic().render(false)
}

fn with_tool(tool: &str) -> String {
    format!("{HEAD}[tool.cffi-forge]\n{tool}\n")
}

#[test]
fn every_spelling_of_the_flat_source_ships_the_package() {
    for spelling in [".", "./", "", "./."] {
        let pyproject = if spelling.is_empty() {
            with_tool("packages = [\"pkg\"]")
        } else {
            with_tool(&format!("python-source = \"{spelling}\"\npackages = [\"pkg\"]"))
        };
        let names = shipped_from(&[
            ("pyproject.toml", &pyproject),
            ("pkg/__init__.py", ""),
            ("pkg/core.py", ""),
            ("pkg/data/table.json", "{}"),
            ("tests/test_pkg.py", ""),
        ]);
        assert_eq!(
            names,
            ["pkg/__init__.py", "pkg/core.py", "pkg/data/table.json"],
            "python-source = {spelling:?}"
        );
    }
}

#[test]
fn a_dot_python_source_is_a_flat_layout_for_discovery_too() {
    for spelling in [".", "./"] {
        let (_tree, project) = load(&[
            ("pyproject.toml", &with_tool(&format!("python-source = \"{spelling}\""))),
            ("pkg/__init__.py", ""),
            ("tests/__init__.py", ""),
            ("check.py", ""),
            ("setup.py", ""),
        ]);
        let project = project.unwrap();
        assert_eq!(shipped(&project), ["pkg/__init__.py"], "python-source = {spelling:?}");
        assert_eq!(project.python.source_decided_by, "tool.cffi-forge.python-source");
    }
}

#[test]
fn every_spelling_of_a_src_source_ships_the_package() {
    for spelling in ["src", "src/", "./src", "./src/"] {
        let names = shipped_from(&[
            (
                "pyproject.toml",
                &with_tool(&format!(
                    "python-source = \"{spelling}\"\ncffi-modules = [\"src/gen_ffi.py:ffi\"]"
                )),
            ),
            ("src/pkg/__init__.py", ""),
            ("src/pkg/sub/__init__.py", ""),
            ("src/single.py", ""),
            // The build script, named in cffi-modules: never a top-level module.
            ("src/gen_ffi.py", ""),
        ]);
        assert_eq!(
            names,
            ["pkg/__init__.py", "pkg/sub/__init__.py", "single.py"],
            "python-source = {spelling:?}"
        );
    }
}

#[test]
fn a_named_package_whose_init_would_not_ship_fails_the_wheel() {
    let (tree, project) = load(&[
        ("pyproject.toml", &with_tool("packages = [\"pkg\"]\npackage-data-exclude = [\"pkg/__init__.py\"]")),
        ("pkg/__init__.py", ""),
        ("pkg/core.py", ""),
    ]);
    let project = project.unwrap();
    let out = tempfile::tempdir().unwrap();
    let err = archive::write_wheel(&project, &WheelTag::pure(), &[], out.path()).unwrap_err();
    let text = err.to_diagnostic().render(false);
    assert!(
        text.contains("package `pkg` (tool.cffi-forge.packages) would ship without `pkg/__init__.py`"),
        "{text}"
    );
    assert!(listing(out.path()).is_empty(), "nothing half-written: {:?}", listing(out.path()));

    // The same through `exclude` (the file leaves the sdist too).
    std::fs::write(
        tree.path().join("pyproject.toml"),
        with_tool("packages = [\"pkg\"]\nexclude = [\"pkg/__init__.py\"]"),
    )
    .unwrap();
    let project = Project::load(tree.path()).unwrap();
    let err = archive::write_wheel(&project, &WheelTag::pure(), &[], out.path()).unwrap_err();
    assert!(err.to_string().contains("would ship without `pkg/__init__.py`"), "{err}");
}

#[test]
fn a_package_named_like_a_module_gets_a_hint_and_the_reverse() {
    let text = refused(&[("pyproject.toml", &with_tool("packages = [\"foo\"]")), ("foo.py", "")]);
    assert!(text.contains("no directory `foo` for package `foo`"), "{text}");
    assert!(text.contains("list it in `py-modules = [\"foo\"]` instead"), "{text}");

    let text = refused(&[("pyproject.toml", &with_tool("py-modules = [\"pkg\"]")), ("pkg/__init__.py", "")]);
    assert!(text.contains("no file `pkg.py` for module `pkg`"), "{text}");
    assert!(text.contains("list it in `packages = [\"pkg\"]` instead"), "{text}");
}

#[test]
fn flat_discovery_ships_the_one_package_and_never_stray_or_tooling_modules() {
    let names = shipped_from(&[
        ("pyproject.toml", HEAD),
        ("pkg/__init__.py", ""),
        ("pkg/_foo_build.py", "# a build script inside the package ships, as with setuptools\n"),
        ("check.py", "# scratch file\n"),
        ("conftest.py", ""),
        ("setup.py", ""),
        ("noxfile.py", ""),
        ("foo_build.py", ""),
        ("tests/__init__.py", ""),
        ("docs/__init__.py", ""),
        ("examples/__init__.py", ""),
        ("tools/__init__.py", ""),
        ("scripts/__init__.py", ""),
        ("benchmarks/__init__.py", ""),
        ("_private/__init__.py", ""),
    ]);
    assert_eq!(names, ["pkg/__init__.py", "pkg/_foo_build.py"]);
}

#[test]
fn several_top_level_packages_in_a_flat_layout_are_refused_with_the_lines_to_add() {
    let (_tree, project) =
        load(&[("pyproject.toml", HEAD), ("alpha/__init__.py", ""), ("beta/__init__.py", "")]);
    let err = project.unwrap_err();
    let text = err.to_diagnostic().render(false);
    assert!(text.contains("several top-level packages in a flat layout: alpha, beta"), "{text}");
    assert!(text.contains("[tool.cffi-forge]\n  packages = [\"alpha\", \"beta\"]"), "{text}");
}

#[test]
fn several_top_level_modules_in_a_flat_layout_are_refused_with_the_lines_to_add() {
    let text = refused(&[("pyproject.toml", HEAD), ("one.py", ""), ("two.py", ""), ("setup.py", "")]);
    assert!(text.contains("several top-level modules in a flat layout: one, two"), "{text}");
    assert!(text.contains("py-modules = [\"one\", \"two\"]"), "{text}");
}

#[test]
fn build_scripts_named_by_setup_py_never_ship_as_top_level_modules() {
    // Not `*_build.py`: only setup.py's `cffi_modules` says it is a build script.
    let names = shipped_from(&[
        ("pyproject.toml", HEAD),
        ("setup.py", "from setuptools import setup\nsetup(cffi_modules=[\"make_ffi.py:ffibuilder\"])\n"),
        ("make_ffi.py", "ffibuilder = None\n"),
        ("solo.py", ""),
        ("conftest.py", ""),
        ("test_solo.py", ""),
        ("_helpers.py", ""),
        ("tests/test_x.py", ""),
    ]);
    assert_eq!(names, ["solo.py"]);
}

#[test]
fn a_build_script_listed_in_py_modules_is_refused() {
    let text = refused(&[
        ("pyproject.toml", &with_tool("cffi-modules = [\"gen.py:ffi\"]\npy-modules = [\"gen\"]")),
        ("gen.py", ""),
    ]);
    assert!(text.contains("`gen.py` is a build script"), "{text}");
}

fn run(args: &[&std::ffi::OsStr]) -> Run {
    let mut command = cffi_forge(&[]);
    command.args(args);
    command.output().unwrap().into()
}

#[test]
fn inspect_says_why_each_file_ships_and_why_others_do_not() {
    let tree = project(&[
        ("pyproject.toml", HEAD),
        ("pkg/__init__.py", ""),
        ("pkg/data.txt", "x"),
        ("check.py", ""),
        ("conftest.py", ""),
    ]);
    let python = python();
    let run = run(&[
        "inspect".as_ref(),
        tree.path().as_os_str(),
        "-i".as_ref(),
        python.as_os_str(),
        "--json".as_ref(),
    ])
    .success();
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let py = &report["python"];
    assert_eq!(py["source_decided_by"], "flat layout: no src/ with Python code");
    let files: Vec<(String, String)> = py["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["path"].as_str().unwrap().to_string(), f["decided_by"].as_str().unwrap().to_string()))
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
    assert_eq!(files[0].0, "pkg/__init__.py");
    assert_eq!(files[0].1, "discovered: the one top-level package of the flat layout (pkg/__init__.py)");
    assert_eq!(files[1].0, "pkg/data.txt");
    assert!(files[1].1.starts_with("package data of `pkg`"), "{}", files[1].1);
    let not_shipped = py["not_shipped"].as_array().unwrap();
    let check = not_shipped.iter().find(|n| n["path"] == "check.py").unwrap();
    assert!(check["reason"].as_str().unwrap().contains("listed in `py-modules`"), "{check}");

    let text = self::run(&["inspect".as_ref(), tree.path().as_os_str(), "-i".as_ref(), python.as_os_str()])
        .success();
    assert!(
        text.stdout.contains("package       pkg (discovered: the one top-level package of the flat layout"),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("not shipped   check.py: "), "{}", text.stdout);
}

fn build_and_install(root: &Path) -> Venv {
    let out = tempfile::tempdir().unwrap();
    build(root, out.path(), &[]).success();
    let wheels = listing(out.path());
    assert_eq!(wheels.len(), 1, "{wheels:?}");
    let venv = Venv::new();
    venv.install(&out.path().join(&wheels[0]));
    venv
}

#[test]
fn a_dot_python_source_project_installs_and_imports() {
    let tree = project(&[
        (
            "pyproject.toml",
            &with_tool("python-source = \".\"\npackages = [\"dotpkg\"]\npy-modules = [\"dotmod\"]"),
        ),
        ("dotpkg/__init__.py", "from .core import VALUE\n"),
        ("dotpkg/core.py", "VALUE = 41\n"),
        ("dotmod.py", "PLUS = 1\n"),
    ]);
    let venv = build_and_install(tree.path());
    assert_eq!(venv.run("import dotpkg, dotmod; print(dotpkg.VALUE + dotmod.PLUS)"), "42");
}

#[test]
fn a_flat_project_with_a_stray_script_installs_only_its_package() {
    let tree = project(&[
        ("pyproject.toml", HEAD),
        ("flatpkg/__init__.py", "NAME = 'flatpkg'\n"),
        ("check.py", "raise SystemExit('scratch file')\n"),
    ]);
    let venv = build_and_install(tree.path());
    assert_eq!(venv.run("import flatpkg; print(flatpkg.NAME)"), "flatpkg");
    assert_eq!(venv.run("import importlib.util as u; print(u.find_spec('check') is None)"), "True");
}

#[test]
fn a_src_folder_holding_only_a_namespace_package_is_the_python_source() {
    // src/ns/ has no __init__.py (PEP 420): src/ is still where the code lives, whether
    // the package is named or discovered, and the C file beside it does not ship.
    let files = |pyproject: &str| {
        vec![
            ("pyproject.toml".to_string(), pyproject.to_string()),
            ("src/ns/plugin/__init__.py".into(), "from .core import X\n".into()),
            ("src/ns/plugin/core.py".into(), "X = 42\n".into()),
            ("src/ns/plugin/data/t.json".into(), "{}".into()),
            ("src/lib/helper.c".into(), "int f(void) { return 1; }\n".into()),
        ]
    };
    for pyproject in [with_tool("packages = [\"ns.plugin\"]"), HEAD.to_string()] {
        let files = files(&pyproject);
        let files: Vec<(&str, &str)> = files.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        let (tree, project) = load(&files);
        let project = project.unwrap();
        assert_eq!(project.python.source, "src", "{pyproject}");
        assert_eq!(
            shipped(&project),
            ["ns/plugin/__init__.py", "ns/plugin/core.py", "ns/plugin/data/t.json"],
            "{pyproject}"
        );
        if pyproject == HEAD {
            assert_eq!(
                project.python.decided_by["ns.plugin"],
                "discovered: a package under src/ (src/ns/plugin/__init__.py)"
            );
            let venv = build_and_install(tree.path());
            assert_eq!(venv.run("import ns.plugin; print(ns.plugin.X)"), "42");
        }
    }
}

// ---- setuptools' configuration read in place (issue 15 item 7) ----

const BACKEND: &str = "[build-system]\nrequires = [\"cffi-forge\"]\nbuild-backend = \"cffi_forge\"\n";

#[test]
fn tool_setuptools_packages_and_package_dir_decide_the_wheel() {
    let pyproject = format!(
        "{HEAD}[tool.setuptools]\npackages = [\"pkg\", \"pkg.sub\"]\npackage-dir = {{ \"\" = \"lib\" }}\n"
    );
    let (_tree, project) = load(&[
        ("pyproject.toml", &pyproject),
        ("lib/pkg/__init__.py", ""),
        ("lib/pkg/sub/__init__.py", ""),
        ("lib/pkg/data/table.json", "{}"),
        // Not listed: setuptools leaves unlisted subpackages out.
        ("lib/pkg/unlisted/__init__.py", ""),
        ("lib/pkg/unlisted/x.py", ""),
        ("lib/other/__init__.py", ""),
    ]);
    let project = project.unwrap();
    assert_eq!(project.python.source, "lib");
    assert_eq!(project.python.source_decided_by, "tool.setuptools.package-dir");
    assert_eq!(project.python.decided_by["pkg.sub"], "tool.setuptools.packages");
    assert_eq!(shipped(&project), ["pkg/__init__.py", "pkg/data/table.json", "pkg/sub/__init__.py"]);
}

#[test]
fn tool_setuptools_packages_find_with_where_include_exclude_and_namespaces() {
    let pyproject = format!(
        "{HEAD}[tool.setuptools.packages.find]\nwhere = [\"src\"]\ninclude = [\"corp*\"]\nexclude = [\"*.tests\", \"*.tests.*\"]\n"
    );
    let files = [
        ("pyproject.toml", pyproject.as_str()),
        // `corp` has no __init__.py: a PEP 420 namespace package (namespaces = true is the default).
        ("src/corp/tool/__init__.py", ""),
        ("src/corp/tool/core.py", ""),
        ("src/corp/tool/tests/__init__.py", ""),
        ("src/corp/tool/tests/test_core.py", ""),
        ("src/elsewhere/__init__.py", ""),
    ];
    let (_tree, project) = load(&files);
    let project = project.unwrap();
    assert_eq!(project.python.source_decided_by, "tool.setuptools.packages.find.where");
    assert_eq!(shipped(&project), ["corp/tool/__init__.py", "corp/tool/core.py"]);
    assert!(project.python.decided_by["corp.tool"].starts_with("tool.setuptools.packages.find"));

    // namespaces = false: `corp` is not a package, so nothing under it is found.
    let pyproject = pyproject.replace("where = [\"src\"]", "where = [\"src\"]\nnamespaces = false");
    let mut files = files;
    files[0].1 = &pyproject;
    let (_tree, project) = load(&files);
    assert!(shipped(&project.unwrap()).is_empty());
}

#[test]
fn tool_setuptools_py_modules_and_package_data() {
    let pyproject = format!(
        "{HEAD}[tool.setuptools]\npy-modules = [\"one\"]\npackages = [\"pkg\"]\ninclude-package-data = false\n\
         [tool.setuptools.package-data]\npkg = [\"*.json\"]\n\
         [tool.setuptools.exclude-package-data]\npkg = [\"secret.json\"]\n"
    );
    let names = shipped_from(&[
        ("pyproject.toml", &pyproject),
        ("one.py", ""),
        ("two.py", ""),
        ("pkg/__init__.py", ""),
        ("pkg/table.json", "{}"),
        ("pkg/secret.json", "{}"),
        ("pkg/notes.txt", ""),
    ]);
    assert_eq!(names, ["one.py", "pkg/__init__.py", "pkg/table.json"]);
}

#[test]
fn tool_cffi_forge_wins_over_tool_setuptools() {
    let pyproject = format!(
        "{HEAD}[tool.cffi-forge]\npackages = [\"mine\"]\n\
         [tool.setuptools]\npackages = [\"theirs\"]\npackage-dir = {{ \"\" = \"lib\" }}\n"
    );
    let (_tree, project) =
        load(&[("pyproject.toml", &pyproject), ("lib/mine/__init__.py", ""), ("lib/theirs/__init__.py", "")]);
    let project = project.unwrap();
    // Key by key: the package list is ours, the source directory (said only by
    // [tool.setuptools]) is setuptools'.
    assert_eq!(shipped(&project), ["mine/__init__.py"]);
    assert_eq!(project.python.decided_by["mine"], "tool.cffi-forge.packages");
    assert_eq!(project.python.source_decided_by, "tool.setuptools.package-dir");
}

#[test]
fn tool_setuptools_dynamic_version_readme_and_dependencies() {
    let pyproject = "[project]\nname = \"dyn\"\ndynamic = [\"version\", \"readme\", \"dependencies\"]\n\
         [tool.setuptools.dynamic]\nversion = { attr = \"dyn.__version__\" }\n\
         readme = { file = \"README.rst\" }\ndependencies = { file = \"requirements.txt\" }\n";
    let (_tree, project) = load(&[
        ("pyproject.toml", pyproject),
        ("dyn/__init__.py", "__version__ = \"2.3.4\"\n"),
        ("README.rst", "Dyn\n===\n"),
        ("requirements.txt", "# runtime\nattrs>=22\ntomli; python_version < \"3.11\"  # backport\n"),
    ]);
    let project = project.unwrap();
    let m = &project.metadata;
    assert_eq!(m.version.to_string(), "2.3.4");
    let readme = m.readme.as_ref().unwrap();
    assert_eq!((readme.content_type.as_str(), readme.text.as_str()), ("text/x-rst", "Dyn\n===\n"));
    let requires = m.requires_dist();
    assert!(requires.iter().any(|r| r == "attrs>=22"), "{requires:?}");
    assert!(
        requires.iter().any(|r| r.starts_with("tomli") && r.contains("python_version < \"3.11\"")),
        "{requires:?}"
    );
}

#[test]
fn tool_setuptools_package_dir_elsewhere_is_refused_with_its_place() {
    let pyproject = format!("{HEAD}[tool.setuptools]\npackage-dir = {{ \"pkg\" = \"lib/src\" }}\n");
    let text = refused(&[("pyproject.toml", &pyproject), ("lib/src/__init__.py", "")]);
    assert!(text.contains("invalid `tool.setuptools.package-dir`"), "{text}");
    assert!(text.contains("cannot map package `pkg` to `lib/src`"), "{text}");
    assert!(text.contains("pyproject.toml:5:"), "{text}");
}

const SETUP_CFG: &str = "\
[metadata]
name = cfgdemo
version = attr: cfgdemo.__version__
description = A setup.cfg project
long_description = file: README.md
long_description_content_type = text/markdown
author = Ada Lovelace
author_email = ada@example.org
license = MIT
url = https://example.org/cfgdemo
project_urls =
    Source = https://example.org/src
classifiers =
    Programming Language :: Python :: 3

[options]
package_dir =
    = src
packages = find:
python_requires = >=3.8
install_requires =
    attrs>=22
    tomli; python_version < \"3.11\"

[options.extras_require]
fast = ujson>=5

[options.entry_points]
console_scripts =
    cfgdemo = cfgdemo.core:main

[options.packages.find]
where = src
exclude =
    tests*

[options.package_data]
cfgdemo = *.dat
";

fn setup_cfg_project() -> tempfile::TempDir {
    project(&[
        ("pyproject.toml", BACKEND),
        ("setup.cfg", SETUP_CFG),
        ("README.md", "# cfgdemo\n"),
        ("src/cfgdemo/__init__.py", "__version__ = '0.7.1'\nfrom .core import answer\n"),
        ("src/cfgdemo/core.py", "def answer():\n    return 42\n\ndef main():\n    print(answer())\n"),
        ("src/cfgdemo/table.dat", "data"),
        ("src/tests/__init__.py", ""),
    ])
}

#[test]
fn setup_cfg_metadata_and_options_are_read_statically() {
    let tree = setup_cfg_project();
    let project = Project::load(tree.path()).unwrap();
    let m = &project.metadata;
    assert_eq!((m.name.as_str(), m.version.to_string().as_str()), ("cfgdemo", "0.7.1"));
    assert_eq!(m.summary.as_deref(), Some("A setup.cfg project"));
    assert_eq!(m.readme.as_ref().unwrap().content_type, "text/markdown");
    assert_eq!(m.requires_python.as_ref().unwrap().to_string(), ">=3.8");
    assert_eq!(m.classifiers, ["Programming Language :: Python :: 3"]);
    assert!(m.requires_dist().iter().any(|r| r == "attrs>=22"), "{:?}", m.requires_dist());
    assert!(m.requires_dist().iter().any(|r| r == "ujson>=5; extra == \"fast\""), "{:?}", m.requires_dist());
    assert_eq!(m.scripts, [("cfgdemo".to_string(), "cfgdemo.core:main".to_string())]);
    assert_eq!(
        m.urls,
        [
            ("Homepage".to_string(), "https://example.org/cfgdemo".to_string()),
            ("Source".to_string(), "https://example.org/src".to_string())
        ]
    );
    let core = m.core_metadata();
    assert!(core.contains("Author-email: Ada Lovelace <ada@example.org>\n"), "{core}");
    assert!(core.contains("License: MIT\n"), "{core}");
    assert_eq!(project.python.source, "src");
    assert_eq!(project.python.source_decided_by, "setup.cfg [options.packages.find] where");
    assert_eq!(shipped(&project), ["cfgdemo/__init__.py", "cfgdemo/core.py", "cfgdemo/table.dat"]);
    assert!(project.python.decided_by["cfgdemo"].starts_with("setup.cfg [options] packages = find:"));
}

#[test]
fn setup_cfg_errors_point_into_setup_cfg() {
    let text = refused(&[
        ("pyproject.toml", BACKEND),
        ("setup.cfg", "[metadata]\nname = x\nversion = 1.0\n\n[options]\npackages =\n    missing\n"),
    ]);
    assert!(text.contains("invalid `setup.cfg [options] packages`"), "{text}");
    assert!(text.contains("setup.cfg:7:5"), "{text}");
    assert!(text.contains("no directory `missing` for package `missing`"), "{text}");

    let text = refused(&[("pyproject.toml", BACKEND), ("setup.cfg", "[metadata]\nname = x\nbroken line\n")]);
    assert!(text.contains("setup.cfg:3"), "{text}");
}

#[test]
fn a_setup_cfg_project_builds_installs_and_imports() {
    let tree = setup_cfg_project();
    let venv = build_and_install(tree.path());
    assert_eq!(venv.run("import cfgdemo; print(cfgdemo.__version__, cfgdemo.answer())"), "0.7.1 42");
    assert_eq!(venv.run("import importlib.metadata as m; print(m.version('cfgdemo'))"), "0.7.1");
    let script = venv.dir.path().join("venv/bin/cfgdemo");
    let out = std::process::Command::new(script).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "42");
}

#[test]
fn inspect_names_the_setuptools_table_that_decided() {
    let pyproject = format!(
        "{HEAD}[tool.setuptools]\npackages = [\"pkg\"]\ninclude-package-data = false\n\
         [tool.setuptools.package-data]\npkg = [\"*.json\"]\n"
    );
    let tree = project(&[("pyproject.toml", &pyproject), ("pkg/__init__.py", ""), ("pkg/t.json", "{}")]);
    let python = python();
    let run =
        run(&["inspect".as_ref(), tree.path().as_os_str(), "-i".as_ref(), python.as_os_str()]).success();
    assert!(run.stdout.contains("package       pkg (tool.setuptools.packages)"), "{}", run.stdout);
    assert!(
        run.stdout.contains("package data  Python files only ([tool.setuptools] package-data)"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("    include     pkg/*.json"), "{}", run.stdout);
}

#[test]
fn tool_setuptools_errors_point_at_the_entry() {
    let pyproject = format!("{HEAD}[tool.setuptools]\npackages = [\"pkg\", \"nothere\"]\n");
    let text = refused(&[("pyproject.toml", &pyproject), ("pkg/__init__.py", "")]);
    assert!(text.contains("invalid `tool.setuptools.packages`"), "{text}");
    assert!(text.contains("pyproject.toml:5:20"), "{text}");
    assert!(text.contains("no directory `nothere` for package `nothere`"), "{text}");
}

#[test]
fn setuptools_version_errors_name_their_own_key_and_file() {
    let pyproject = "[project]\nname = \"dyn\"\ndynamic = [\"version\"]\n\
         [tool.setuptools.dynamic]\nversion = { attr = \"nomodule.__version__\" }\n";
    let text = refused(&[("pyproject.toml", pyproject)]);
    assert!(text.contains("invalid `tool.setuptools.dynamic.version.attr`"), "{text}");
    assert!(text.contains("no module `nomodule`"), "{text}");

    let pyproject = "[project]\nname = \"dyn\"\ndynamic = [\"version\"]\n\
         [tool.setuptools.dynamic]\nversion = { attr = \"noattribute\" }\n";
    let text = refused(&[("pyproject.toml", pyproject)]);
    assert!(text.contains("expected `module.attribute`"), "{text}");

    let text = refused(&[
        ("pyproject.toml", BACKEND),
        ("setup.cfg", "[metadata]\nname = x\nversion = file: ../VERSION\n"),
    ]);
    assert!(text.contains("invalid `setup.cfg [metadata] version`"), "{text}");
    assert!(text.contains("setup.cfg:3:17"), "{text}");
    assert!(text.contains("`../VERSION` is outside the project"), "{text}");
}
