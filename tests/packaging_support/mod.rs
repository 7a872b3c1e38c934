//! Shared helpers of the `packaging` tests (and the `parity` ones): fixture trees, archive readers,
//! the test Python.
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

// The one copy of the NOT RUN helper lives in cli_support, which every crate including
// this module also includes.
#[allow(unused_imports)] // not every test crate that includes this module uses it
pub use crate::cli_support::not_run;

/// Create a project tree from `(path, content)` pairs. A path ending in `*` is made
/// executable (the `*` is dropped).
pub fn tree(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), files);
    dir
}

pub fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (path, content) in files {
        let (path, executable) = match path.strip_suffix('*') {
            Some(p) => (p, true),
            None => (*path, false),
        };
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, content).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = if executable { 0o755 } else { 0o644 };
            std::fs::set_permissions(&full, std::fs::Permissions::from_mode(mode)).unwrap();
        }
    }
}

pub const DEMO_PYPROJECT: &str = r#"[build-system]
requires = ["cffi-forge"]
build-backend = "cffi_forge"

[project]
name = "Demo.Pkg"
dynamic = ["version"]
description = "A demo of cffi-forge packaging"
readme = "README.md"
requires-python = ">=3.8"
license = "MIT"
authors = [{ name = "Ann Example", email = "ann@example.org" }]
keywords = ["ffi", "demo"]
classifiers = ["Programming Language :: Python :: 3"]
dependencies = ["attrs>=22"]

[project.optional-dependencies]
test = ["pytest>=7", "tomli; python_version < '3.11'"]

[project.urls]
Homepage = "https://example.org/demo"

[project.scripts]
demo = "demo.cli:main"

[tool.cffi-forge]
version = { attr = "demo.__version__" }
cffi-modules = ["src/demo/_ffi_build.py:ffibuilder"]
exclude = ["*.tmp"]
script-files = ["bin/demo-tool"]
"#;

/// A src-layout project with package data, build scripts, C sources outside the
/// package, and the usual clutter that must stay out of distributions.
pub fn demo_files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("pyproject.toml", DEMO_PYPROJECT),
        ("README.md", "# Demo\n\nLong description.\n"),
        ("LICENSE", "MIT License\n\nCopyright (c) Ann\n"),
        ("src/demo/__init__.py", "\"\"\"Demo.\"\"\"\n__version__ = \"1.2.0\"\n"),
        ("src/demo/cli.py", "def main():\n    print('hi')\n"),
        ("src/demo/_ffi_build.py", "from cffi import FFI\nffibuilder = FFI()\n"),
        ("src/demo/data/table.json", "{\"a\": 1}\n"),
        ("csrc/foo.c", "int foo(void) { return 1; }\n"),
        ("csrc/foo.h", "int foo(void);\n"),
        ("csrc/configure*", "#!/bin/sh\necho configured\n"),
        ("bin/demo-tool", "#!/usr/bin/env python\nprint('tool')\n"),
        ("tests/test_demo.py", "def test_x():\n    pass\n"),
        (".gitignore", "*.log\nignored_dir/\n"),
        ("debug.log", "noise\n"),
        ("ignored_dir/x.txt", "noise\n"),
        ("notes.tmp", "noise\n"),
        ("src/demo/_ffi.abi3.so", "stale in-place build\n"),
        ("src/demo/__pycache__/cli.cpython-311.pyc", "bytecode\n"),
        (".venv/pyvenv.cfg", "home = /usr\n"),
        (".venv/lib/site.py", "x = 1\n"),
        ("venv2/pyvenv.cfg", "home = /usr\n"),
        ("venv2/lib/mod.py", "x = 1\n"),
        ("build/lib/demo/__init__.py", "old build\n"),
        ("dist/old-1.0-py3-none-any.whl", "old wheel\n"),
    ]
}

pub fn demo_tree() -> TempDir {
    tree(&demo_files())
}

/// The Python used by tests: `CFFI_FORGE_TEST_PYTHON`, else `python3`.
pub fn python() -> PathBuf {
    std::env::var_os("CFFI_FORGE_TEST_PYTHON").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("python3"))
}

/// The interpreters of the end-to-end tests, found as they find them
/// (tests/py/e2e/interpreters.py: `CFFI_FORGE_TEST_PYTHONS` as run.sh exports it, then
/// pyenv, PATH and uv), asked through the test Python: `(version, path or None if missing,
/// message for a missing one)`.
pub fn test_interpreters() -> Vec<(String, Option<PathBuf>, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/e2e");
    let code = "import json, sys\nsys.path.insert(0, sys.argv[1])\nimport interpreters\n\
                print(json.dumps([[v, interpreters.find(v), interpreters.missing_message(v)] \
                for v in interpreters.ALL]))";
    let out = run_python(code, &[dir.to_str().unwrap()]);
    let found: Vec<(String, Option<String>, String)> =
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("interpreters.py said {out:?}: {e}"));
    found.into_iter().map(|(v, path, missing)| (v, path.map(PathBuf::from), missing)).collect()
}

/// Run `python -c code args...` and return stdout; fail the test loudly if Python is
/// missing or the code fails.
pub fn run_python(code: &str, args: &[&str]) -> String {
    let python = python();
    let output = Command::new(&python).arg("-c").arg(code).args(args).output().unwrap_or_else(|e| {
        panic!("cannot run {} (set CFFI_FORGE_TEST_PYTHON to a Python 3.8+): {e}", python.display())
    });
    assert!(
        output.status.success(),
        "python failed:\n--- stdout\n{}\n--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// One entry of a zip archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipEntry {
    pub name: String,
    pub data: Vec<u8>,
    pub mode: u32,
    pub time: (u16, u8, u8, u8, u8, u8),
}

pub fn read_zip(path: &Path) -> Vec<ZipEntry> {
    let mut archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut data = Vec::new();
            file.read_to_end(&mut data).unwrap();
            let t = file.last_modified().unwrap();
            ZipEntry {
                name: file.name().unwrap().to_string(),
                data,
                mode: file.unix_mode().unwrap() & 0o7777,
                time: (t.year(), t.month(), t.day(), t.hour(), t.minute(), t.second()),
            }
        })
        .collect()
}

/// One entry of a tar.gz archive.
#[derive(Debug, Clone)]
pub struct TarEntry {
    pub name: String,
    pub data: Vec<u8>,
    pub mode: u32,
    pub mtime: u64,
    pub uid: u64,
    pub gid: u64,
}

pub fn read_tar_gz(path: &Path) -> Vec<TarEntry> {
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap());
    let mut archive = tar::Archive::new(gz);
    archive
        .entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            let h = e.header();
            TarEntry {
                name: e.path().unwrap().to_string_lossy().into_owned(),
                mode: h.mode().unwrap(),
                mtime: h.mtime().unwrap(),
                uid: h.uid().unwrap(),
                gid: h.gid().unwrap(),
                data,
            }
        })
        .collect()
}

/// Unpack an sdist into `dest` (keeping permissions) and return the project directory.
pub fn unpack_sdist(path: &Path, dest: &Path) -> PathBuf {
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap());
    let mut archive = tar::Archive::new(gz);
    archive.set_preserve_permissions(true);
    archive.unpack(dest).unwrap();
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(dest).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(dirs.len(), 1, "an sdist has one top-level directory: {dirs:?}");
    dirs.pop().unwrap()
}

/// Every file under `dir`, relative, sorted.
pub fn list_dir(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(base, &path, out);
            } else {
                out.push(path.strip_prefix(base).unwrap().to_string_lossy().replace('\\', "/"));
            }
        }
    }
    if dir.exists() {
        walk(dir, dir, &mut out);
    }
    out.sort();
    out
}
