//! Wheels, sdists, metadata directories and editable wheels built from fixture trees:
//! contents, RECORD, determinism, sdist→wheel identity, and failure atomicity.

use std::path::Path;

use base64::Engine as _;
use cffi_forge::archive::{self, ArchiveError, BuiltFile};
use cffi_forge::config::Project;
use cffi_forge::tags::WheelTag;
use crate::packaging_support::*;
use sha2::{Digest, Sha256};

fn tag() -> WheelTag {
    WheelTag::new("cp38", "abi3", "linux_x86_64")
}

fn built() -> Vec<BuiltFile> {
    vec![
        BuiltFile::bytes("demo/_ffi.abi3.so", b"\x7fELF pretend shared object".to_vec()),
        BuiltFile::bytes("demo/_abi.py", "# generated ABI-mode module\nVALUE = 42\n"),
    ]
}

fn build_wheel(root: &Path, out: &Path) -> std::path::PathBuf {
    let project = Project::load(root).unwrap();
    archive::write_wheel(&project, &tag(), &built(), out).unwrap()
}

#[test]
fn wheel_contents_modes_and_times() {
    let tree = demo_tree();
    let out = tempfile::tempdir().unwrap();
    let wheel = build_wheel(tree.path(), out.path());
    assert_eq!(wheel.file_name().unwrap(), "demo_pkg-1.2.0-cp38-abi3-linux_x86_64.whl");
    let entries = read_zip(&wheel);
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "demo/__init__.py",
            "demo/_abi.py",
            "demo/_ffi.abi3.so",
            "demo/_ffi_build.py",
            "demo/cli.py",
            "demo/data/table.json",
            "demo_pkg-1.2.0.data/scripts/demo-tool",
            "demo_pkg-1.2.0.dist-info/METADATA",
            "demo_pkg-1.2.0.dist-info/WHEEL",
            "demo_pkg-1.2.0.dist-info/entry_points.txt",
            "demo_pkg-1.2.0.dist-info/licenses/LICENSE",
            "demo_pkg-1.2.0.dist-info/RECORD",
        ]
    );
    let get = |name: &str| entries.iter().find(|e| e.name == name).unwrap();
    // The built module replaced the stale in-place copy found in the tree.
    assert_eq!(get("demo/_ffi.abi3.so").data, b"\x7fELF pretend shared object");
    assert_eq!(get("demo/_ffi.abi3.so").mode, 0o755);
    assert_eq!(get("demo_pkg-1.2.0.data/scripts/demo-tool").mode, 0o755);
    assert_eq!(get("demo/cli.py").mode, 0o644);
    for e in &entries {
        assert_eq!(e.time, (1980, 1, 1, 0, 0, 0), "{}", e.name);
    }
    let wheel_file = String::from_utf8(get("demo_pkg-1.2.0.dist-info/WHEEL").data.clone()).unwrap();
    assert!(wheel_file.contains("Root-Is-Purelib: false\nTag: cp38-abi3-linux_x86_64\n"), "{wheel_file}");
    let entry_points =
        String::from_utf8(get("demo_pkg-1.2.0.dist-info/entry_points.txt").data.clone()).unwrap();
    assert_eq!(entry_points, "[console_scripts]\ndemo = demo.cli:main\n");
}

#[test]
fn record_lists_every_entry_with_its_hash_and_size() {
    let tree = demo_tree();
    let out = tempfile::tempdir().unwrap();
    let entries = read_zip(&build_wheel(tree.path(), out.path()));
    let record = entries.iter().find(|e| e.name.ends_with(".dist-info/RECORD")).unwrap();
    let text = String::from_utf8(record.data.clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), entries.len());
    for entry in &entries {
        let line = lines
            .iter()
            .find(|l| l.starts_with(&format!("{},", entry.name)))
            .unwrap_or_else(|| panic!("{} not in RECORD", entry.name));
        if entry.name.ends_with("/RECORD") {
            assert_eq!(*line, format!("{},,", entry.name));
            continue;
        }
        let digest = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(&entry.data));
        assert_eq!(*line, format!("{},sha256={digest},{}", entry.name, entry.data.len()));
    }
    assert_eq!(entries.last().unwrap().name, record.name, "RECORD is the last entry");
}

#[test]
fn record_is_valid_csv_for_python() {
    // Python's csv module is what installers use to read RECORD.
    let tree = tree(&[
        ("pyproject.toml", "[project]\nname = \"odd\"\nversion = \"1\"\n"),
        ("odd/__init__.py", ""),
        ("odd/a,b \"c\".txt", "comma and quotes\n"),
    ]);
    let out = tempfile::tempdir().unwrap();
    let project = Project::load(tree.path()).unwrap();
    let wheel = archive::write_wheel(&project, &WheelTag::pure(), &[], out.path()).unwrap();
    let code = r#"
import csv, hashlib, base64, io, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
record = [n for n in z.namelist() if n.endswith("RECORD")][0]
rows = list(csv.reader(io.StringIO(z.read(record).decode())))
assert sorted(r[0] for r in rows) == sorted(z.namelist()), rows
for path, digest, size in rows:
    if path == record:
        assert digest == "" and size == ""
        continue
    data = z.read(path)
    expected = "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    assert digest == expected and int(size) == len(data), (path, digest, size)
print(len(rows))
"#;
    assert_eq!(run_python(code, &[wheel.to_str().unwrap()]).trim(), "5");
}

#[test]
fn builds_are_byte_identical_across_runs_and_locations() {
    let a = demo_tree();
    let b = demo_tree();
    let out1 = tempfile::tempdir().unwrap();
    let out2 = tempfile::tempdir().unwrap();
    let w1 = std::fs::read(build_wheel(a.path(), out1.path())).unwrap();
    let w2 = std::fs::read(build_wheel(b.path(), out2.path())).unwrap();
    assert!(w1 == w2, "wheels from two identical trees differ");
    let s1 =
        std::fs::read(archive::write_sdist(&Project::load(a.path()).unwrap(), out1.path()).unwrap()).unwrap();
    let s2 =
        std::fs::read(archive::write_sdist(&Project::load(b.path()).unwrap(), out2.path()).unwrap()).unwrap();
    assert!(s1 == s2, "sdists from two identical trees differ");
}

#[test]
fn sdist_contents() {
    let tree = demo_tree();
    let out = tempfile::tempdir().unwrap();
    let project = Project::load(tree.path()).unwrap();
    let sdist = archive::write_sdist(&project, out.path()).unwrap();
    assert_eq!(sdist.file_name().unwrap(), "demo_pkg-1.2.0.tar.gz");
    let entries = read_tar_gz(&sdist);
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "demo_pkg-1.2.0/PKG-INFO",
            "demo_pkg-1.2.0/LICENSE",
            "demo_pkg-1.2.0/README.md",
            "demo_pkg-1.2.0/bin/demo-tool",
            "demo_pkg-1.2.0/csrc/configure",
            "demo_pkg-1.2.0/csrc/foo.c",
            "demo_pkg-1.2.0/csrc/foo.h",
            "demo_pkg-1.2.0/pyproject.toml",
            "demo_pkg-1.2.0/src/demo/__init__.py",
            "demo_pkg-1.2.0/src/demo/_ffi_build.py",
            "demo_pkg-1.2.0/src/demo/cli.py",
            "demo_pkg-1.2.0/src/demo/data/table.json",
            "demo_pkg-1.2.0/tests/test_demo.py",
        ]
    );
    let pkg_info = String::from_utf8(entries[0].data.clone()).unwrap();
    assert_eq!(pkg_info, project.metadata.core_metadata());
    assert!(pkg_info.contains("\nVersion: 1.2.0\n"), "the resolved dynamic version is recorded");
    for e in &entries {
        assert_eq!((e.mtime, e.uid, e.gid), (315_532_800, 0, 0), "{}", e.name);
        let expected = if e.name.ends_with("/configure") { 0o755 } else { 0o644 };
        assert_eq!(e.mode, expected, "{}", e.name);
    }
}

#[test]
fn wheel_from_unpacked_sdist_is_identical_to_wheel_from_tree() {
    let tree = demo_tree();
    let out = tempfile::tempdir().unwrap();
    let from_tree = std::fs::read(build_wheel(tree.path(), out.path())).unwrap();
    let sdist = archive::write_sdist(&Project::load(tree.path()).unwrap(), out.path()).unwrap();
    let unpacked = tempfile::tempdir().unwrap();
    let root = unpack_sdist(&sdist, unpacked.path());
    let out2 = tempfile::tempdir().unwrap();
    let from_sdist = std::fs::read(build_wheel(&root, out2.path())).unwrap();
    assert!(from_tree == from_sdist, "wheel built from the sdist differs from the one built from the tree");
    // And the sdist of the unpacked sdist is the same sdist.
    let again = archive::write_sdist(&Project::load(&root).unwrap(), out2.path()).unwrap();
    assert!(std::fs::read(&sdist).unwrap() == std::fs::read(again).unwrap());
}

#[test]
fn sdist_leaves_out_its_own_output_directory() {
    let tree = demo_tree();
    let out = tree.path().join("wheelhouse-custom");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("previous.tar.gz"), "old").unwrap();
    let project = Project::load(tree.path()).unwrap();
    let sdist = archive::write_sdist(&project, &out).unwrap();
    assert!(read_tar_gz(&sdist).iter().all(|e| !e.name.contains("wheelhouse-custom")));
}

#[test]
fn metadata_directory_matches_the_wheel() {
    let tree = demo_tree();
    let project = Project::load(tree.path()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let dist_info = archive::write_metadata_dir(&project, None, dir.path()).unwrap();
    assert_eq!(dist_info, dir.path().join("demo_pkg-1.2.0.dist-info"));
    assert_eq!(
        list_dir(dir.path()),
        [
            "demo_pkg-1.2.0.dist-info/METADATA",
            "demo_pkg-1.2.0.dist-info/entry_points.txt",
            "demo_pkg-1.2.0.dist-info/licenses/LICENSE",
        ]
    );
    let out = tempfile::tempdir().unwrap();
    let wheel = read_zip(&archive::write_wheel(&project, &tag(), &built(), out.path()).unwrap());
    let in_wheel = wheel.iter().find(|e| e.name.ends_with("/METADATA")).unwrap();
    assert_eq!(std::fs::read(dist_info.join("METADATA")).unwrap(), in_wheel.data);
    // Written again (the frontend may call the hook twice), it replaces the old one.
    archive::write_metadata_dir(&project, Some(&tag()), dir.path()).unwrap();
    assert!(dist_info.join("WHEEL").is_file());
}

#[test]
fn listings_name_sources() {
    let tree = demo_tree();
    let project = Project::load(tree.path()).unwrap();
    let listed = archive::list_wheel(&project, &tag(), &built()).unwrap();
    let cli = listed.iter().find(|l| l.path == "demo/cli.py").unwrap();
    assert_eq!(cli.origin.as_deref(), Some(tree.path().join("src/demo/cli.py").as_path()));
    let metadata = listed.iter().find(|l| l.path.ends_with("/METADATA")).unwrap();
    assert_eq!(metadata.origin, None);
    let sdist = archive::list_sdist(&project).unwrap();
    assert_eq!(sdist[0].path, "demo_pkg-1.2.0/PKG-INFO");
    assert!(sdist.iter().any(|l| l.path == "demo_pkg-1.2.0/csrc/foo.c"));
}

#[test]
fn failed_writes_leave_nothing_behind() {
    let tree = demo_tree();
    let project = Project::load(tree.path()).unwrap();
    let out = tempfile::tempdir().unwrap();

    // A built file that does not exist: the error names it; no wheel, no temporary.
    let missing = [BuiltFile::path("demo/_ffi.abi3.so", tree.path().join("no/such/_ffi.abi3.so"))];
    let err = archive::write_wheel(&project, &tag(), &missing, out.path()).unwrap_err();
    assert!(matches!(err, ArchiveError::Read { .. }), "{err}");
    assert!(err.to_string().contains("no/such/_ffi.abi3.so"), "{err}");
    assert_eq!(list_dir(out.path()), Vec::<String>::new());

    // An output "directory" that is a file.
    let not_a_dir = out.path().join("file");
    std::fs::write(&not_a_dir, "").unwrap();
    for result in [
        archive::write_wheel(&project, &tag(), &built(), &not_a_dir).map(|_| ()),
        archive::write_sdist(&project, &not_a_dir).map(|_| ()),
        archive::write_metadata_dir(&project, None, &not_a_dir).map(|_| ()),
    ] {
        let err = result.unwrap_err();
        assert!(matches!(err, ArchiveError::OutputDir { .. }), "{err}");
        assert!(err.to_string().contains(not_a_dir.to_str().unwrap()), "{err}");
    }
    assert_eq!(list_dir(out.path()), ["file"]);

    // A wheel path that cannot be replaced (a directory is in the way): the old
    // content stays, no temporary remains.
    let blocker = out.path().join("demo_pkg-1.2.0-cp38-abi3-linux_x86_64.whl");
    std::fs::create_dir(&blocker).unwrap();
    std::fs::write(blocker.join("keep"), "").unwrap();
    assert!(archive::write_wheel(&project, &tag(), &built(), out.path()).is_err());
    assert_eq!(list_dir(out.path()), ["demo_pkg-1.2.0-cp38-abi3-linux_x86_64.whl/keep", "file"]);

    // Archive paths escaping the wheel are refused.
    let bad = [BuiltFile::bytes("../evil.so", "x")];
    assert!(matches!(
        archive::write_wheel(&project, &tag(), &bad, out.path()),
        Err(ArchiveError::BadArchivePath { .. })
    ));
}

#[test]
fn editable_wheel_serves_sources_from_the_tree_and_built_modules_from_the_build_dir() {
    let tree = demo_tree();
    let project = Project::load(tree.path()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let build_dir = tree.path().join("build/cffi-forge/flavour");
    let binary = std::env::current_exe().unwrap();
    let builder = archive::editable::Builder {
        project_root: &project.root,
        binary: &binary,
        python: Path::new("python3"),
        ext_suffix: "",
        build_dir: &build_dir,
    };
    let modules: Vec<archive::EditableModule> = built()
        .into_iter()
        .zip(["demo._ffi", "demo._abi"])
        .map(|(file, name)| archive::EditableModule { name: name.into(), file, inputs: Vec::new() })
        .collect();
    // A project without built modules: nothing in the build directory, no hook.
    let pure = archive::write_editable_tree(&builder, &[], &[]).unwrap();
    assert!(!build_dir.join("editable").exists() && !tree.path().join("build/cffi-forge/bin").exists());
    let pure_wheel = archive::write_editable_wheel(&project, &tag(), &pure, out.path()).unwrap();
    let pure_names: Vec<String> = read_zip(&pure_wheel).into_iter().map(|e| e.name).collect();
    assert!(
        pure_names
            .iter()
            .all(|n| n == "_cffi_forge_editable_demo_pkg.pth" || n.starts_with("demo_pkg-1.2.0.dist-info/")),
        "{pure_names:?}"
    );
    std::fs::remove_file(&pure_wheel).unwrap();

    let editable = archive::write_editable_tree(&builder, &modules, &[]).unwrap();
    assert_eq!(editable.modules, ["demo._abi", "demo._ffi"]);
    assert_eq!(editable.manifest, build_dir.join("editable/manifest.json"));
    assert!(build_dir.join("editable/demo/_ffi.abi3.so").is_file());
    let wheel = archive::write_editable_wheel(&project, &tag(), &editable, out.path()).unwrap();
    let entries = read_zip(&wheel);
    let names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "_cffi_forge_editable_demo_pkg.pth",
            "_cffi_forge_editable_demo_pkg.py",
            "_cffi_forge_editable_demo_pkg.start",
            "demo_pkg-1.2.0.dist-info/METADATA",
            "demo_pkg-1.2.0.dist-info/WHEEL",
            "demo_pkg-1.2.0.dist-info/entry_points.txt",
            "demo_pkg-1.2.0.dist-info/licenses/LICENSE",
            "demo_pkg-1.2.0.dist-info/RECORD",
        ]
    );
    // "Install" it the way an installer would (unpack into a site directory) and import:
    // `demo` comes from the tree, the generated `demo._abi` from the build directory.
    let site = tempfile::tempdir().unwrap();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&wheel).unwrap()).unwrap();
    zip.extract(site.path()).unwrap();
    let code = "import site, sys; site.addsitedir(sys.argv[1]); import demo, demo._abi; print(demo.__file__); print(demo._abi.__file__); print(demo._abi.VALUE)";
    let stdout = run_python(code, &[site.path().to_str().unwrap()]);
    let lines: Vec<&str> = stdout.lines().collect();
    let src = std::fs::canonicalize(tree.path().join("src/demo/__init__.py")).unwrap();
    let abi = build_dir.join("editable/demo/_abi.py");
    assert_eq!(lines, [src.to_str().unwrap(), abi.to_str().unwrap(), "42"]);

    // CPython 3.15+ (PEP 829) installs the hook from the `.start` entry point and skips the
    // `.pth`'s import line; `-v` makes site.py say so.
    let start = entries.iter().find(|e| e.name.ends_with(".start")).unwrap();
    assert_eq!(String::from_utf8_lossy(&start.data), "_cffi_forge_editable_demo_pkg:install\n");
    let python315 = test_interpreters().into_iter().find(|(v, _, _)| v == "3.15");
    let Some((_, Some(python), _)) = python315 else {
        not_run(
            "the editable hook's .start file on CPython 3.15",
            "no CPython 3.15 (tests/provision/python-sid.sh)",
        );
        return;
    };
    let out =
        std::process::Command::new(python).arg("-v").arg("-c").arg(code).arg(site.path()).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().last(), Some("42"));
    assert!(
        stderr.contains("_cffi_forge_editable_demo_pkg.pth are suppressed due to matching"),
        "{}",
        stderr.lines().filter(|l| l.contains("_cffi_forge_editable")).collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn flat_layout_with_top_level_module_and_license_files() {
    let tree = tree(&[
        (
            "pyproject.toml",
            "[project]\nname = \"flat\"\nversion = \"0.1\"\nlicense = \"Apache-2.0 OR MIT\"\nlicense-files = [\"LICENSES/*.txt\"]\n",
        ),
        ("flat/__init__.py", ""),
        ("flat/_impl_build.py", ""),
        ("helper.py", "X = 1\n"),
        ("cmod.py", "from ._cmod import lib\n"),
        ("cmod/cmod.c", "int f(void) { return 0; }\n"),
        ("flat_build.py", "# build script, not shipped\n"),
        ("setup.py", "# not shipped\n"),
        ("conftest.py", ""),
        ("tests/__init__.py", ""),
        ("docs/__init__.py", ""),
        ("LICENSES/MIT.txt", "mit"),
        ("LICENSES/Apache-2.0.txt", "apache"),
    ]);
    let project = Project::load(tree.path()).unwrap();
    assert_eq!(project.python.source, "");
    assert_eq!(project.python.packages, ["flat"]);
    // As setuptools' flat layout: with a package found, top-level modules ship only when
    // `py-modules` lists them (a stray `helper.py` is not installed into site-packages).
    assert!(project.python.modules.is_empty(), "{:?}", project.python.modules);
    let not_shipped: Vec<&str> = project.python.not_shipped.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(not_shipped, ["cmod.py", "conftest.py", "flat_build.py", "helper.py", "setup.py"]);
    let names: Vec<String> =
        archive::list_wheel(&project, &WheelTag::pure(), &[]).unwrap().into_iter().map(|l| l.path).collect();
    assert_eq!(
        names,
        [
            "flat/__init__.py",
            "flat/_impl_build.py",
            "flat-0.1.dist-info/METADATA",
            "flat-0.1.dist-info/WHEEL",
            "flat-0.1.dist-info/licenses/LICENSES/Apache-2.0.txt",
            "flat-0.1.dist-info/licenses/LICENSES/MIT.txt",
            "flat-0.1.dist-info/RECORD",
        ]
    );
    let metadata = project.metadata.core_metadata();
    assert!(metadata.contains("License-Expression: Apache-2.0 OR MIT\nLicense-File: LICENSES/Apache-2.0.txt\nLicense-File: LICENSES/MIT.txt\n"), "{metadata}");
}

#[test]
fn packages_override_and_include_globs() {
    let tree = tree(&[
        (
            "pyproject.toml",
            "[project]\nname = \"x\"\nversion = \"1\"\n[tool.cffi-forge]\npython-source = \"python\"\npackages = [\"a\"]\ninclude = [\"python/a/generated.txt\"]\nexclude = [\"python/a/secret.py\"]\n",
        ),
        (".gitignore", "generated.txt\n"),
        ("python/a/__init__.py", ""),
        ("python/a/generated.txt", "made by a tool"),
        ("python/a/secret.py", ""),
        ("python/b/__init__.py", ""),
    ]);
    let project = Project::load(tree.path()).unwrap();
    let names: Vec<String> = archive::list_wheel(&project, &WheelTag::pure(), &[])
        .unwrap()
        .into_iter()
        .map(|l| l.path)
        .filter(|p| !p.contains(".dist-info/"))
        .collect();
    assert_eq!(names, ["a/__init__.py", "a/generated.txt"]);
}

#[test]
fn long_paths_survive_in_sdists() {
    // One path splittable into ustar's prefix and name fields, one with a component too
    // long for either (needs a PAX record).
    let deep = format!("pkg/{}/{}/data.txt", "d".repeat(90), "e".repeat(90));
    let wide = format!("pkg/{}.txt", "w".repeat(120));
    let tree = tree(&[
        ("pyproject.toml", "[project]\nname = \"long\"\nversion = \"1\"\n"),
        ("pkg/__init__.py", ""),
        (&deep, "deep"),
        (&wide, "wide"),
    ]);
    let project = Project::load(tree.path()).unwrap();
    let out = tempfile::tempdir().unwrap();
    let sdist = archive::write_sdist(&project, out.path()).unwrap();
    let code = "import sys, tarfile\nfor m in tarfile.open(sys.argv[1]).getmembers(): print(m.name)";
    let names = run_python(code, &[sdist.to_str().unwrap()]);
    assert!(names.lines().any(|n| n == format!("long-1/{deep}")), "{names}");
    assert!(names.lines().any(|n| n == format!("long-1/{wide}")), "{names}");
    let unpacked = tempfile::tempdir().unwrap();
    let root = unpack_sdist(&sdist, unpacked.path());
    assert_eq!(std::fs::read_to_string(root.join(&wide)).unwrap(), "wide");
}
