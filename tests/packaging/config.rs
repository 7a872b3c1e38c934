//! Bad `pyproject.toml` input: each error names the key, points at `file:line:col` and
//! shows the line (snapshots of the rendered diagnostics), and good input loads.

use cffi_forge::config::{ConfigError, Generator, Project};
use cffi_forge::diagnostic::{Diagnostic, ToDiagnostic};
use cffi_forge::tags::Abi3Policy;
use crate::packaging_support::*;

const HEAD: &str = "[project]\nname = \"demo\"\nversion = \"1.0\"\n";

fn load(pyproject: &str, files: &[(&str, &str)]) -> Result<Project, ConfigError> {
    let dir = tree(files);
    write_files(dir.path(), &[("pyproject.toml", pyproject)]);
    Project::load(dir.path())
}

/// The rendered error, after checking it points at `location` (`line:col`).
fn error(pyproject: &str, files: &[(&str, &str)], location: &str) -> String {
    let err = load(pyproject, files).expect_err("the project should be refused");
    let diagnostic = err.to_diagnostic();
    assert_eq!(
        diagnostic.location().as_deref(),
        Some(format!("pyproject.toml:{location}").as_str()),
        "{err}"
    );
    assert!(err.to_string().starts_with(&format!("pyproject.toml:{location}: ")), "{err}");
    diagnostic.render(false)
}

#[test]
fn missing_pyproject() {
    let dir = tempfile::tempdir().unwrap();
    let err = Project::load(dir.path()).unwrap_err();
    assert!(matches!(err, ConfigError::Missing { .. }));
    let text = err.to_diagnostic().render(false);
    assert!(text.contains(&format!("no pyproject.toml in {}", dir.path().display())), "{text}");
}

#[test]
fn toml_syntax_error() {
    insta::assert_snapshot!(error("[project]\nname = \"demo\nversion = \"1.0\"\n", &[], "2:13"));
}

#[test]
fn missing_project_table() {
    let text = error("[build-system]\nrequires = []\n", &[], "1:1");
    assert!(text.contains("no [project] table"), "{text}");
}

#[test]
fn unknown_project_key_suggests_the_right_one() {
    insta::assert_snapshot!(error(&format!("{HEAD}dependecies = []\n"), &[], "4:1"));
}

#[test]
fn unknown_tool_key_suggests_the_right_one() {
    insta::assert_snapshot!(error(&format!("{HEAD}[tool.cffi-forge]\ncffi-module = []\n"), &[], "5:1"));
}

#[test]
fn unknown_module_table_key_suggests_the_right_one() {
    let text = error(
        &format!(
            "{HEAD}[[tool.cffi-forge.module]]\nname = \"_m\"\ncdef = \"int f(void);\"\nlibary = [\"m\"]\n"
        ),
        &[],
        "7:1",
    );
    insta::assert_snapshot!(text);
}

#[test]
fn invalid_name() {
    insta::assert_snapshot!(error("[project]\nname = \"my package\"\nversion = \"1.0\"\n", &[], "2:8"));
}

#[test]
fn invalid_version() {
    insta::assert_snapshot!(error("[project]\nname = \"demo\"\nversion = \"1.0-banana\"\n", &[], "3:11"));
}

#[test]
fn wrong_type() {
    let text = error("[project]\nname = \"demo\"\nversion = 1.0\n", &[], "3:11");
    assert!(text.contains("invalid type: float"), "{text}");
}

#[test]
fn missing_version() {
    let text = error("[project]\nname = \"demo\"\n", &[], "1:1");
    assert!(text.contains("[project] has no `version`"), "{text}");
}

#[test]
fn unsupported_dynamic_field() {
    insta::assert_snapshot!(error(
        "[project]\nname = \"demo\"\nversion = \"1.0\"\ndynamic = [\"readme\"]\n",
        &[],
        "4:12"
    ));
}

#[test]
fn dynamic_version_without_a_source() {
    insta::assert_snapshot!(error("[project]\nname = \"demo\"\ndynamic = [\"version\"]\n", &[], "3:11"));
}

#[test]
fn dynamic_version_attr_not_found() {
    let pyproject = "[project]\nname = \"demo\"\ndynamic = [\"version\"]\n[tool.cffi-forge]\nversion = { attr = \"demo.__version__\" }\n";
    let text = error(pyproject, &[("demo/__init__.py", "__version__ = compute()\n")], "5:20");
    insta::assert_snapshot!(text);
}

#[test]
fn dynamic_version_from_attr_and_file() {
    let pyproject = "[project]\nname = \"demo\"\ndynamic = [\"version\"]\n[tool.cffi-forge]\nversion = { attr = \"demo.__version__\" }\n";
    let project = load(pyproject, &[("src/demo/__init__.py", "__version__ = '2.0.0.post1'\n")]).unwrap();
    assert_eq!(project.metadata.version.to_string(), "2.0.0.post1");
    let pyproject = "[project]\nname = \"demo\"\ndynamic = [\"version\"]\n[tool.cffi-forge]\nversion = { file = \"VERSION\" }\n";
    let project = load(pyproject, &[("VERSION", "3.1\n")]).unwrap();
    assert_eq!(project.metadata.version.to_string(), "3.1");
    let text = error(pyproject, &[("VERSION", "not a version\n")], "5:20");
    assert!(text.contains("`not a version` is not a valid version"), "{text}");
}

#[test]
fn invalid_license_expression_suggests_the_canonical_one() {
    insta::assert_snapshot!(error(&format!("{HEAD}license = \"mit\"\n"), &[], "4:11"));
    let text = error(&format!("{HEAD}license = \"Apache 2\"\n"), &[], "4:11");
    assert!(text.contains("see https://spdx.org/licenses/"), "{text}");
}

#[test]
fn license_classifier_with_expression() {
    let text = error(
        &format!("{HEAD}license = \"MIT\"\nclassifiers = [\"License :: OSI Approved :: MIT License\"]\n"),
        &[],
        "5:16",
    );
    assert!(text.contains("PEP 639"), "{text}");
}

#[test]
fn license_files_matching_nothing() {
    let text = error(&format!("{HEAD}license = \"MIT\"\nlicense-files = [\"COPYING*\"]\n"), &[], "5:18");
    assert!(text.contains("`COPYING*` matches no file"), "{text}");
}

#[test]
fn invalid_dependency() {
    insta::assert_snapshot!(error(
        &format!("{HEAD}dependencies = [\"attrs >= 22\", \"cffi >== 1.0\"]\n"),
        &[],
        "4:32"
    ));
}

#[test]
fn missing_readme() {
    let text = error(&format!("{HEAD}readme = \"README.md\"\n"), &[], "4:10");
    assert!(text.contains("cannot read `README.md`: no such file"), "{text}");
}

#[test]
fn bad_tool_values() {
    let text = error(&format!("{HEAD}[tool.cffi-forge]\npy-limited-api = \"39\"\n"), &[], "5:18");
    assert!(text.contains("expected a tag like \"cp39\""), "{text}");
    let text = error(&format!("{HEAD}[tool.cffi-forge]\ncffi-modules = [\"build.py\"]\n"), &[], "5:17");
    assert!(text.contains("expected `path/to/foo_build.py:variable`"), "{text}");
    let text = error(&format!("{HEAD}[tool.cffi-forge]\ngenerator = \"fast\"\n"), &[], "5:13");
    assert!(text.contains("expected \"native\" or \"cffi\""), "{text}");
    let text = error(&format!("{HEAD}[tool.cffi-forge]\npackages = [\"missing\"]\n"), &[], "5:13");
    assert!(text.contains("no directory `missing`"), "{text}");
    let text = error(
        &format!("{HEAD}[[tool.cffi-forge.module]]\nname = \"_m\"\ncdef = \"\"\nwhen = \"sys_platform = 'linux'\"\n"),
        &[],
        "7:8",
    );
    assert!(text.contains("invalid `tool.cffi-forge.module[0].when`"), "{text}");
    let text = error(&format!("{HEAD}[tool.cffi-forge]\nscript-files = [\"bin/tool\"]\n"), &[], "5:17");
    assert!(text.contains("no file `bin/tool`"), "{text}");
    let text = error(&format!("{HEAD}[tool.cffi-forge]\npython-source = \"../elsewhere\"\n"), &[], "5:17");
    assert!(text.contains("relative path inside the project"), "{text}");
}

#[test]
fn a_full_project_loads() {
    let tree = demo_tree();
    let project = Project::load(tree.path()).unwrap();
    let m = &project.metadata;
    assert_eq!(m.name, "Demo.Pkg");
    assert_eq!(m.version.to_string(), "1.2.0");
    assert_eq!(m.summary.as_deref(), Some("A demo of cffi-forge packaging"));
    assert_eq!(m.readme.as_ref().unwrap().content_type, "text/markdown");
    assert_eq!(m.license_files, ["LICENSE"]);
    assert_eq!(
        m.requires_dist(),
        [
            "attrs>=22",
            "cffi>=1.15; platform_python_implementation != 'PyPy'",
            "pytest>=7; extra == \"test\"",
            "tomli; (python_version < '3.11') and extra == \"test\"",
        ]
    );
    assert_eq!(project.python.source, "src");
    assert_eq!(project.python.packages, ["demo"]);
    assert_eq!(project.tool.generator, Generator::Native);
    assert_eq!(project.abi3_policy(), Abi3Policy::Auto);
    let modules: Vec<&str> =
        project.tool.cffi_modules.as_ref().unwrap().iter().map(|m| m.get_ref().as_str()).collect();
    assert_eq!(modules, ["src/demo/_ffi_build.py:ffibuilder"]);
    // Spans let later layers point at the entry.
    let span = project.tool.cffi_modules.as_ref().unwrap()[0].span();
    let d = Diagnostic::error("build script not found").with_label(&project.pyproject, span, "this one");
    assert_eq!(d.location().as_deref(), Some("pyproject.toml:28:17"));
}

#[test]
fn cffi_dependency_rules() {
    let names_cffi = load(&format!("{HEAD}dependencies = [\"CFFI>=1.17\"]\n"), &[]).unwrap();
    assert_eq!(names_cffi.metadata.requires_dist(), ["CFFI>=1.17"]);
    let opted_out = load(&format!("{HEAD}[tool.cffi-forge]\nadd-cffi-dependency = false\n"), &[]).unwrap();
    assert!(opted_out.metadata.requires_dist().is_empty());
    // Naming cffi only in an extra does not remove the runtime requirement.
    let extra = load(&format!("{HEAD}[project.optional-dependencies]\nx = [\"cffi\"]\n"), &[]).unwrap();
    assert_eq!(extra.metadata.requires_dist()[0], "cffi>=1.15; platform_python_implementation != 'PyPy'");
}

#[test]
fn declarative_modules_honour_when_markers() {
    let pyproject = format!(
        "{HEAD}[[tool.cffi-forge.module]]\nname = \"demo._always\"\ncdef = \"int f(void);\"\n\
         [[tool.cffi-forge.module]]\nname = \"demo._never\"\ncdef = \"int g(void);\"\nwhen = \"sys_platform == 'no-such-os'\"\n"
    );
    let project = load(&pyproject, &[]).unwrap();
    assert_eq!(project.declarative_modules(None).unwrap().len(), 2);
    let interpreter = cffi_forge::interpreter::Interpreter::query(&python()).expect("a test Python");
    let names: Vec<String> =
        project.declarative_modules(Some(&interpreter)).unwrap().into_iter().map(|m| m.name).collect();
    assert_eq!(names, ["demo._always"]);
}

#[test]
fn layout_detection() {
    let project = |files: &[(&str, &str)]| {
        let mut all = vec![("pyproject.toml", HEAD)];
        all.extend_from_slice(files);
        let dir = tree(&all);
        Project::load(dir.path()).unwrap().python
    };
    // A src/ holding only C sources and a build script: the package is at the root.
    let flat = project(&[("src/foo.c", ""), ("src/foo_build.py", ""), ("pkg/__init__.py", "")]);
    assert_eq!((flat.source.as_str(), flat.packages.as_slice()), ("", &["pkg".to_string()][..]));
    // A single module in src/ makes it a src layout.
    let single = project(&[("src/solo.py", ""), ("pkg/__init__.py", "")]);
    assert_eq!(single.source, "src");
    assert_eq!(single.modules, ["solo"]);
    assert!(single.packages.is_empty());
}

#[test]
#[cfg(unix)]
fn root_is_absolute_even_when_given_relative() {
    let dir = tree(&[("pyproject.toml", HEAD)]);
    let parent = dir.path().parent().unwrap();
    let name = dir.path().file_name().unwrap();
    // Relative to the current directory, which tests must not change: go through `..`s.
    let cwd = std::env::current_dir().unwrap();
    let ups = cwd.components().count() - 1;
    let relative: std::path::PathBuf = std::iter::repeat_n("..", ups)
        .collect::<std::path::PathBuf>()
        .join(parent.strip_prefix("/").unwrap())
        .join(name);
    let project = Project::load(&relative).unwrap();
    assert!(project.root.is_absolute(), "{}", project.root.display());
    assert!(project.root.join("pyproject.toml").is_file());
}
