//! What goes into the archives, and what may not: paths that leave the project, symlinks
//! out of it, special files, file and module names archives cannot carry. Each case fails
//! cleanly (exit 1, the key or file named, nothing in the output directory) or is skipped
//! with a warning, never silently packaged or dropped.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::cli_support::*;

const PKG: &[(&str, &str)] = &[("pkg/__init__.py", "X = 1\n")];

fn pure_project(extra: &str) -> tempfile::TempDir {
    let tree = project(PKG);
    write_files(tree.path(), &[("pyproject.toml", &pyproject("inp", extra))]);
    tree
}

/// Run `cffi-forge <command> <root> -o <out>` (with `-i python` for `build`), killing it
/// after `limit`: a hang is a failure, not a stuck test run.
fn run_with_timeout(command: &str, root: &Path, out: &Path, limit: Duration) -> Run {
    let mut cmd = cffi_forge(&[command]);
    cmd.arg(root).arg("-o").arg(out);
    if command == "build" {
        cmd.arg("-i").arg(python());
    }
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return child.wait_with_output().unwrap().into();
        }
        if started.elapsed() > limit {
            child.kill().unwrap();
            let out = child.wait_with_output().unwrap();
            panic!(
                "cffi-forge {command} hung (killed after {limit:?}); stderr:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn sdist_names(path: &Path) -> Vec<String> {
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap());
    let mut tar = tar::Archive::new(gz);
    let mut names: Vec<String> =
        tar.entries().unwrap().map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

fn only_file(dir: &Path) -> std::path::PathBuf {
    let names = listing(dir);
    assert_eq!(names.len(), 1, "one artifact expected: {names:?}");
    dir.join(&names[0])
}

fn assert_mentions(stderr: &str, expected: &[&str]) {
    for e in expected {
        assert!(stderr.contains(e), "missing {e:?} in:\n{stderr}");
    }
}

/// Both commands fail cleanly with nothing written; returns build's stderr.
fn build_and_sdist_fail(tree: &Path) -> String {
    let mut first = None;
    for command in ["build", "sdist"] {
        let out = tempfile::tempdir().unwrap();
        let run = run_with_timeout(command, tree, out.path(), Duration::from_secs(120)).failure();
        assert_eq!(listing(out.path()), Vec::<String>::new(), "{command}: nothing written\n{}", run.stderr);
        first.get_or_insert(run.stderr);
    }
    first.unwrap()
}

// ---------------------------------------------------------------------------------
// Special files and symlinks in the tree.

#[test]
fn fifo_in_the_tree_is_skipped_with_a_warning_not_opened() {
    let tree = pure_project("");
    let fifo = tree.path().join("pkg/pipe");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    for command in ["build", "sdist"] {
        let out = tempfile::tempdir().unwrap();
        let run = run_with_timeout(command, tree.path(), out.path(), Duration::from_secs(60)).success();
        assert_mentions(&run.stderr, &["warning", "`pkg/pipe`", "not a regular file"]);
        let artifact = only_file(out.path());
        let names = if command == "build" { zip_names(&artifact) } else { sdist_names(&artifact) };
        assert!(names.iter().any(|n| n.ends_with("pkg/__init__.py")), "{names:?}");
        assert!(!names.iter().any(|n| n.ends_with("pkg/pipe")), "{names:?}");
    }
}

#[test]
fn fifo_named_gitignore_never_hangs_the_walk() {
    // The walkers (project files, build-script discovery) read every `.gitignore`: a FIFO
    // there would block them forever.
    let tree = pure_project("");
    write_files(tree.path(), &[("data/x.txt", "x\n")]);
    assert!(std::process::Command::new("mkfifo")
        .arg(tree.path().join("data/.gitignore"))
        .status()
        .unwrap()
        .success());
    for command in ["sdist", "build"] {
        let out = tempfile::tempdir().unwrap();
        let run = run_with_timeout(command, tree.path(), out.path(), Duration::from_secs(60)).success();
        assert_mentions(
            &run.stderr,
            &["warning", "skipping the directory `data`", "`.gitignore` is not a regular file"],
        );
        let artifact = only_file(out.path());
        let names = if command == "build" { zip_names(&artifact) } else { sdist_names(&artifact) };
        assert!(names.iter().any(|n| n.ends_with("pkg/__init__.py")), "{names:?}");
        assert!(!names.iter().any(|n| n.contains("data/")), "{names:?}");
    }
    // At the root there is nothing sensible to skip: an error.
    std::fs::rename(tree.path().join("data/.gitignore"), tree.path().join(".gitignore")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = run_with_timeout("build", tree.path(), out.path(), Duration::from_secs(60)).failure();
    assert_mentions(&run.stderr, &[".gitignore: not a regular file"]);
    assert_eq!(listing(out.path()), Vec::<String>::new());
}

#[test]
fn symlink_to_a_file_outside_the_project_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "secret\n").unwrap();
    let tree = pure_project("");
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), tree.path().join("pkg/secret.txt"))
        .unwrap();
    let stderr = build_and_sdist_fail(tree.path());
    assert_mentions(&stderr, &["`pkg/secret.txt` is a symlink to", "secret.txt, outside the project"]);
}

#[test]
fn symlink_inside_the_project_still_ships_as_its_target() {
    let tree = pure_project("");
    write_files(tree.path(), &[("data/table.txt", "rows\n")]);
    std::os::unix::fs::symlink("../data/table.txt", tree.path().join("pkg/table.txt")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).success();
    let wheel = only_file(out.path());
    assert_eq!(zip_read(&wheel, "pkg/table.txt"), "rows\n", "{}", run.stderr);
}

#[test]
fn sources_glob_matching_a_link_outside_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("evil.c"), "int evil(void) { return 6; }\n").unwrap();
    // Excluded from the archives, so only the `sources` glob sees the link.
    let tool = "[tool.cffi-forge]\nexclude = [\"csrc\"]\n[[tool.cffi-forge.module]]\nname = \"pkg._m\"\ncdef = \"int one(void);\"\n\
                source = \"int one(void) { return 1; }\"\nsources = [\"csrc/*.c\"]\n";
    let tree = pure_project(tool);
    std::fs::create_dir(tree.path().join("csrc")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("evil.c"), tree.path().join("csrc/evil.c")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).failure();
    assert_mentions(&run.stderr, &["tool.cffi-forge.module[0].sources", "`csrc/evil.c` is a symlink to"]);
    assert_eq!(listing(out.path()), Vec::<String>::new());
}

// ---------------------------------------------------------------------------------
// File names archives cannot carry.

#[test]
fn backslash_in_a_file_name_is_an_error_naming_the_file() {
    let tree = pure_project("");
    write_files(tree.path(), &[("pkg/x\\..\\..\\evil.txt", "x\n")]);
    let stderr = build_and_sdist_fail(tree.path());
    assert_mentions(&stderr, &["cannot package", "x\\..\\..\\evil.txt", "backslash"]);
}

#[test]
fn control_character_in_a_file_name_is_an_error_naming_the_file() {
    let tree = pure_project("");
    write_files(tree.path(), &[("pkg/two\nlines.txt", "x\n")]);
    let stderr = build_and_sdist_fail(tree.path());
    assert_mentions(&stderr, &["cannot package `", "pkg/two\\nlines.txt`", "U+000A"]);
}

#[test]
fn non_utf8_file_name_is_skipped_with_a_warning() {
    use std::os::unix::ffi::OsStrExt;
    let tree = pure_project("");
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.txt");
    std::fs::write(tree.path().join("pkg").join(name), "x\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = build(tree.path(), out.path(), &[]).success();
    assert_mentions(&run.stderr, &["warning", "pkg/caf\u{fffd}.txt", "not valid UTF-8"]);
}

// ---------------------------------------------------------------------------------
// Paths that leave the project.

const MODULE: &str = "[[tool.cffi-forge.module]]\nname = \"pkg._m\"\n";
const API: &str = "cdef = \"int one(void);\"\nsource = \"int one(void) { return 1; }\"\n";

/// `build` of a project whose pyproject has `extra` (after 8 header lines) fails
/// cleanly; a file `../outside.c` and `../outside.h` exist next to the project. Returns stderr.
fn build_fails(extra: &str, files: &[(&str, &str)]) -> String {
    let parent = tempfile::tempdir().unwrap();
    write_files(
        parent.path(),
        &[("outside.c", "int two(void) { return 2; }\n"), ("outside.h", "int two(void);\n")],
    );
    let root = parent.path().join("proj");
    write_files(&root, PKG);
    write_files(&root, files);
    write_files(&root, &[("pyproject.toml", &pyproject("inp", extra))]);
    let out = tempfile::tempdir().unwrap();
    let run = run_with_timeout("build", &root, out.path(), Duration::from_secs(60)).failure();
    assert_eq!(listing(out.path()), Vec::<String>::new(), "nothing written\n{}", run.stderr);
    run.stderr
}

#[test]
fn dotdot_in_module_sources_is_an_error_naming_the_key() {
    let stderr = build_fails(&format!("{MODULE}{API}sources = [\"../outside.c\"]\n"), &[]);
    assert_mentions(
        &stderr,
        &[
            "invalid `tool.cffi-forge.module[0].sources`",
            "pyproject.toml:13:12",
            "`../outside.c` is outside the project",
        ],
    );
}

#[test]
fn dotdot_cdef_file_is_an_error_naming_the_key() {
    let stderr = build_fails(&format!("{MODULE}cdef-file = \"../outside.h\"\n"), &[]);
    assert_mentions(
        &stderr,
        &["tool.cffi-forge.module[0].cdef-file", "pyproject.toml:11:13", "outside the project"],
    );
}

#[test]
fn absolute_cdef_file_is_refused_before_reading() {
    // `/dev/zero` would be read forever.
    let stderr = build_fails(&format!("{MODULE}cdef-file = \"/dev/zero\"\n"), &[]);
    assert_mentions(&stderr, &["tool.cffi-forge.module[0].cdef-file", "`/dev/zero` is outside the project"]);
}

#[test]
fn fifo_source_file_is_refused_not_opened() {
    let parent = tempfile::tempdir().unwrap();
    let root = parent.path();
    write_files(root, PKG);
    write_files(
        root,
        &[(
            "pyproject.toml",
            &pyproject("inp", &format!("{MODULE}cdef = \"int one(void);\"\nsource-file = \"pipe.c\"\n")),
        )],
    );
    assert!(std::process::Command::new("mkfifo").arg(root.join("pipe.c")).status().unwrap().success());
    let out = tempfile::tempdir().unwrap();
    let run = run_with_timeout("build", root, out.path(), Duration::from_secs(60)).failure();
    assert_mentions(
        &run.stderr,
        &["tool.cffi-forge.module[0].source-file", "`pipe.c` is not a regular file"],
    );
}

#[test]
fn dotdot_include_dirs_and_depends_are_errors() {
    let stderr =
        build_fails(&format!("{MODULE}{API}include-dirs = [\"inc\", \"../inc\"]\n"), &[("inc/x.h", "")]);
    assert_mentions(&stderr, &["tool.cffi-forge.module[0].include-dirs", "`../inc` is outside the project"]);
    let stderr = build_fails(&format!("{MODULE}{API}depends = [\"../outside.h\"]\n"), &[]);
    assert_mentions(&stderr, &["tool.cffi-forge.module[0].depends", "`../outside.h` is outside the project"]);
}

#[test]
fn dotdot_that_stays_inside_the_project_is_fine() {
    let tool = format!("{MODULE}cdef-file = \"inc/../api.h\"\nsource = \"int one(void) {{ return 1; }}\"\nsources = [\"inc/../helper.c\"]\n");
    let tree = pure_project(&tool);
    write_files(
        tree.path(),
        &[("api.h", "int one(void);\n"), ("helper.c", "int helper(void) { return 3; }\n"), ("inc/keep", "")],
    );
    let out = tempfile::tempdir().unwrap();
    build(tree.path(), out.path(), &[]).success();
    let venv = Venv::new();
    venv.install(&only_file(out.path()));
    assert_eq!(venv.run("from pkg._m import lib; print(lib.one())"), "1");
}

#[test]
fn include_glob_with_dotdot_is_an_error() {
    let stderr = build_fails("[tool.cffi-forge]\ninclude = [\"../x*\"]\n", &[]);
    assert_mentions(
        &stderr,
        &["invalid `tool.cffi-forge.include`", "pyproject.toml:10:12", "`..` can never match"],
    );
}

#[test]
fn readme_symlinked_from_outside_is_refused() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("README.md"), "# secret\n").unwrap();
    let tree = project(PKG);
    write_files(
        tree.path(),
        &[(
            "pyproject.toml",
            &pyproject("inp", "[tool.cffi-forge]\nexclude = [\"docs.md\"]\n")
                .replace("requires-python", "readme = \"docs.md\"\nrequires-python"),
        )],
    );
    // Excluded from the walk, so only the readme check sees the link.
    std::os::unix::fs::symlink(outside.path().join("README.md"), tree.path().join("docs.md")).unwrap();
    let stderr = build_and_sdist_fail(tree.path());
    assert_mentions(&stderr, &["invalid `project.readme`", "`docs.md` resolves to", "outside the project"]);
}

// ---------------------------------------------------------------------------------
// What build scripts pass to set_source.

fn script(name: &str, sources: &str) -> String {
    format!(
        "from cffi import FFI\nffibuilder = FFI()\nffibuilder.cdef('int one(void);')\n\
         ffibuilder.set_source({name:?}, 'int one(void) {{ return 1; }}', sources={sources})\n"
    )
}

#[test]
fn build_script_sources_outside_the_project_are_an_error_naming_the_script() {
    let stderr = build_fails(
        "[tool.cffi-forge]\ncffi-modules = [\"pkg/m_build.py:ffibuilder\"]\n",
        &[("pkg/m_build.py", &script("pkg._m", "['../outside.c']"))],
    );
    assert_mentions(
        &stderr,
        &[
            "build script `pkg/m_build.py:ffibuilder`",
            "set_source(sources=...)",
            "`../outside.c` is outside the project",
        ],
    );
}

#[test]
fn build_script_outside_the_project_is_an_error_naming_the_entry() {
    // The script exists (next to the project): it would run, but no sdist could carry it.
    let stderr = build_fails(
        "[tool.cffi-forge]\ncffi-modules = [\"../m_build.py:ffibuilder\"]\n",
        &[("../m_build.py", &script("_m", "[]"))],
    );
    assert_mentions(
        &stderr,
        &[
            "invalid `tool.cffi-forge.cffi-modules`",
            "pyproject.toml:10:17",
            "`../m_build.py` is outside the project",
        ],
    );
}

#[test]
fn setup_py_build_script_outside_the_project_is_an_error() {
    let setup = "from setuptools import setup\nsetup(cffi_modules=[\"../m_build.py:ffibuilder\"])\n";
    let stderr = build_fails("", &[("setup.py", setup), ("../m_build.py", &script("_m", "[]"))]);
    assert_mentions(
        &stderr,
        &["setup.py's cffi_modules names `../m_build.py:ffibuilder`", "outside the project"],
    );
}

#[test]
fn build_script_module_names_are_checked_before_any_work() {
    for (name, why) in [("..evil", "empty part"), ("pkg.a b", "a space"), ("pkg._m\nx", "a newline")] {
        let stderr = build_fails(
            "[tool.cffi-forge]\ncffi-modules = [\"pkg/m_build.py:ffibuilder\"]\n",
            &[("pkg/m_build.py", &script(name, "[]"))],
        );
        assert_mentions(&stderr, &["build script `pkg/m_build.py:ffibuilder`", "cannot be imported", why]);
        assert!(!stderr.contains("Compiling"), "nothing compiled for {name:?}:\n{stderr}");
    }
}

// ---------------------------------------------------------------------------------
// Files build scripts write.

#[test]
fn a_file_a_build_script_writes_into_its_package_ships_in_the_first_build() {
    let writer = "import os\nfrom cffi import FFI\n\
                  with open(os.path.join(os.path.dirname(__file__), '_generated.py'), 'w') as f:\n\
                  \x20   f.write('VALUE = 7\\n')\n\
                  ffibuilder = FFI()\nffibuilder.cdef('int one(void);')\n\
                  ffibuilder.set_source('pkg._m', 'int one(void) { return 1; }')\n";
    let tree = pure_project("[tool.cffi-forge]\ncffi-modules = [\"pkg/m_build.py:ffibuilder\"]\n");
    write_files(tree.path(), &[("pkg/m_build.py", writer)]);
    let out = tempfile::tempdir().unwrap();
    build(tree.path(), out.path(), &[]).success();
    let wheel = only_file(out.path());
    assert!(zip_names(&wheel).contains(&"pkg/_generated.py".to_string()), "{:?}", zip_names(&wheel));
    let venv = Venv::new();
    venv.install(&wheel);
    assert_eq!(venv.run("import pkg._generated as g, pkg._m as m; print(g.VALUE, m.lib.one())"), "7 1");
}

// ---------------------------------------------------------------------------------
// Messages.

fn sdist_fails(pyproject_bytes: &[u8]) -> String {
    let tree = project(PKG);
    std::fs::write(tree.path().join("pyproject.toml"), pyproject_bytes).unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = run_with_timeout("sdist", tree.path(), out.path(), Duration::from_secs(60)).failure();
    assert_eq!(listing(out.path()), Vec::<String>::new());
    run.stderr
}

#[test]
fn non_utf8_pyproject_points_at_the_first_bad_byte() {
    let stderr = sdist_fails(b"[project]\nname = \"x\"\nversion = \"1\"\ndescription = \"caf\xe9\"\n");
    assert_mentions(&stderr, &["pyproject.toml:4:19", "byte 0xE9 is not valid UTF-8"]);
}

#[test]
fn licence_hint_never_suggests_the_same_broken_expression() {
    // spdx's canonicalisation turns these into other broken expressions (`MIT OR  OR
    // Apache-2.0`, `MIT OR Apache-2.0 OR `): no hint is better than a wrong one.
    for expression in ["MIT OR OR Apache-2.0", "MIT/ OR Apache-2.0", "MIT OR  Apache-2.0 OR"] {
        let text = format!("[project]\nname = \"x\"\nversion = \"1\"\nlicense = \"{expression}\"\n");
        let stderr = sdist_fails(text.as_bytes());
        assert_mentions(&stderr, &["invalid `project.license`", "not a valid SPDX licence expression"]);
        assert!(!stderr.contains("did you mean"), "{stderr}");
    }
    // A hint that fixes the expression is still given.
    let stderr = sdist_fails(b"[project]\nname = \"x\"\nversion = \"1\"\nlicense = \"GPL-2.0+\"\n");
    assert_mentions(&stderr, &["did you mean `GPL-2.0-or-later`?"]);
}

#[test]
fn cdef_errors_show_the_users_spelling_not_internal_names() {
    for (cdef, expected) in [
        ("typedef int t; t ... x;", "`...` cannot stand here"),
        ("typedef int t[...];", "the length of type `t` is written `[...]`"),
        ("struct s { int a[...]; }; extern struct s *p;", "field `a` of `struct s` is written `[...]`"),
        ("typedef int... t;", "`t` is declared with `...`"),
    ] {
        // ABI mode (no `source`): lengths and sizes only the compiler knows are refused.
        let stderr = build_fails(&format!("{MODULE}cdef = \"{cdef}\"\n"), &[]);
        assert_mentions(&stderr, &[expected]);
        let title = stderr.lines().find(|l| l.starts_with("error:")).unwrap_or_default();
        assert_eq!(title.matches("`pkg._m`").count(), 1, "the module named once in the title:\n{stderr}");
        for internal in ["__dotdotdot", "_cffi_array_len", "_cffi_prim_int"] {
            assert!(!stderr.contains(internal), "{internal} in the message for {cdef:?}:\n{stderr}");
        }
    }
}

#[test]
fn setuptools_file_directives_follow_the_path_rule() {
    // `[tool.setuptools.dynamic]`: `/dev/zero` would be read forever.
    let parent = tempfile::tempdir().unwrap();
    write_files(parent.path(), &[("README.md", "# outside\n")]);
    let root = parent.path().join("proj");
    write_files(&root, PKG);
    let head = "[build-system]\nrequires = [\"cffi-forge\"]\nbuild-backend = \"cffi_forge\"\n";
    let dynamic = format!(
        "{head}[project]\nname = \"x\"\nversion = \"1\"\ndynamic = [\"readme\"]\n\
         [tool.setuptools.dynamic]\nreadme = {{file = \"/dev/zero\"}}\n"
    );
    write_files(&root, &[("pyproject.toml", &dynamic)]);
    let out = tempfile::tempdir().unwrap();
    let run = run_with_timeout("sdist", &root, out.path(), Duration::from_secs(60)).failure();
    assert_mentions(&run.stderr, &["tool.setuptools.dynamic.readme", "`/dev/zero` is", "the project"]);
    // A symlink leading outside (left out of the walk, so only the directive sees it).
    std::os::unix::fs::symlink(parent.path().join("README.md"), root.join("docs.md")).unwrap();
    let linked = dynamic.replace("/dev/zero", "docs.md") + "[tool.cffi-forge]\nexclude = [\"docs.md\"]\n";
    write_files(&root, &[("pyproject.toml", &linked)]);
    let run = run_with_timeout("sdist", &root, out.path(), Duration::from_secs(60)).failure();
    assert_mentions(
        &run.stderr,
        &["tool.setuptools.dynamic.readme", "`docs.md` resolves to", "outside the project"],
    );
    std::fs::remove_file(root.join("docs.md")).unwrap();
    // setup.cfg `file:` directives.
    write_files(&root, &[("pyproject.toml", head)]);
    write_files(
        &root,
        &[("setup.cfg", "[metadata]\nname = x\nversion = 1.0\nlong_description = file: ../README.md\n")],
    );
    let run = run_with_timeout("sdist", &root, out.path(), Duration::from_secs(60)).failure();
    assert_mentions(&run.stderr, &["setup.cfg:4:26", "`../README.md` is", "the project"]);
    assert_eq!(listing(out.path()), Vec::<String>::new());
}

#[test]
fn setuptools_package_dir_outside_the_project_is_an_error() {
    let parent = tempfile::tempdir().unwrap();
    write_files(parent.path(), &[("src/other/__init__.py", "")]);
    let root = parent.path().join("proj");
    write_files(&root, PKG);
    let text = "[build-system]\nrequires = [\"cffi-forge\"]\nbuild-backend = \"cffi_forge\"\n\
                [project]\nname = \"x\"\nversion = \"1\"\n[tool.setuptools.package-dir]\n\"\" = \"../src\"\n";
    write_files(&root, &[("pyproject.toml", text)]);
    let out = tempfile::tempdir().unwrap();
    let run = run_with_timeout("build", &root, out.path(), Duration::from_secs(60)).failure();
    assert_mentions(
        &run.stderr,
        &["tool.setuptools.package-dir", "pyproject.toml:8:6", "`../src` is outside the project"],
    );
    assert_eq!(listing(out.path()), Vec::<String>::new());
}

#[test]
fn module_table_names_say_what_is_wrong() {
    for (name, why) in [("..evil", "empty part"), ("pkg.a b", "a space")] {
        let stderr = build_fails(&format!("[[tool.cffi-forge.module]]\nname = \"{name}\"\n{API}"), &[]);
        assert_mentions(&stderr, &["invalid `tool.cffi-forge.module[0].name`", "pyproject.toml:10:8", why]);
    }
}
