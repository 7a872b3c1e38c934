//! Shared helpers of the `cli` tests (and some `packaging` and `parity` ones): fixture projects, running the
//! `cffi-forge` binary, the test Python, and fresh virtual environments.
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

#[path = "../not_run_support/mod.rs"]
mod not_run_support;
#[allow(unused_imports)] // not every test crate that includes this module uses it
pub use not_run_support::not_run;

/// The binary under test: `CFFI_FORGE_BIN`, else the one cargo built for these tests.
pub fn bin() -> PathBuf {
    match std::env::var_os("CFFI_FORGE_BIN") {
        Some(bin) => PathBuf::from(bin),
        None => PathBuf::from(env!("CARGO_BIN_EXE_cffi-forge")),
    }
}

/// The Python with cffi the tests build for. Fails loudly when cffi is missing.
pub fn python() -> PathBuf {
    let python =
        PathBuf::from(std::env::var_os("CFFI_FORGE_TEST_PYTHON").unwrap_or_else(|| "python3".into()));
    let ok = Command::new(&python).args(["-c", "import cffi"]).status().is_ok_and(|s| s.success());
    assert!(ok, "{} cannot import cffi: set CFFI_FORGE_TEST_PYTHON to a Python with cffi", python.display());
    python
}

/// `python -c <code>` output, trimmed; panics with stderr on failure.
pub fn python_output(python: &Path, code: &str) -> String {
    let out = Command::new(python).args(["-c", code]).output().unwrap();
    assert!(out.status.success(), "{code}\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

pub fn project(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), files);
    dir
}

pub fn write_files(root: &Path, files: &[(&str, &str)]) {
    for (path, content) in files {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(&full, content).unwrap();
    }
}

/// `[build-system]` + `[project]` with `extra` appended.
pub fn pyproject(name: &str, extra: &str) -> String {
    format!(
        "[build-system]\nrequires = [\"cffi-forge\"]\nbuild-backend = \"cffi_forge\"\n\n\
         [project]\nname = \"{name}\"\nversion = \"1.0.0\"\nrequires-python = \">=3.8\"\n{extra}"
    )
}

/// What a run of the binary gave.
pub struct Run {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn success(self) -> Self {
        assert!(self.status.success(), "cffi-forge failed\nstdout: {}\nstderr: {}", self.stdout, self.stderr);
        self
    }

    pub fn failure(self) -> Self {
        assert!(!self.status.success(), "cffi-forge should have failed\nstderr: {}", self.stderr);
        assert_eq!(self.status.code(), Some(1), "a clean error exit, not a crash\n{}", self.stderr);
        self
    }
}

impl From<Output> for Run {
    fn from(out: Output) -> Self {
        Run {
            status: out.status,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// A `cffi-forge` command with colours off and the build cache inside the project.
pub fn cffi_forge(args: &[&str]) -> Command {
    let mut command = Command::new(bin());
    command.args(args).env("NO_COLOR", "1").env_remove("CFFI_FORGE_BUILD_DIR");
    command
}

/// `cffi-forge build <root> -o <out> -i <python> [extra]`.
pub fn build(root: &Path, out: &Path, extra: &[&str]) -> Run {
    let python = python();
    let mut command = cffi_forge(&["build"]);
    command.arg(root).arg("-o").arg(out).arg("-i").arg(&python).args(extra);
    command.output().unwrap().into()
}

/// Names of the entries of a zip archive, sorted.
pub fn zip_names(path: &Path) -> Vec<String> {
    let zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    names.sort();
    names
}

pub fn zip_read(path: &Path, name: &str) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut text = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut text).unwrap();
    text
}

/// The files in a directory (empty if it doesn't exist).
pub fn listing(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut names: Vec<String> =
        entries.map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

/// A fresh virtual environment on the test Python. It sees the test Python's own
/// packages (cffi), so installing a wheel needs no network.
pub struct Venv {
    pub dir: TempDir,
}

impl Venv {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new(python())
            .args(["-m", "venv", "--system-site-packages"])
            .arg(dir.path().join("venv"))
            .output()
            .unwrap();
        assert!(out.status.success(), "venv: {}", String::from_utf8_lossy(&out.stderr));
        Venv { dir }
    }

    pub fn python(&self) -> PathBuf {
        self.dir.path().join("venv/bin/python")
    }

    pub fn install(&self, wheel: &Path) {
        let out = Command::new(self.python())
            .args(["-m", "pip", "install", "--no-deps", "--no-index", "--disable-pip-version-check", "-q"])
            .arg(wheel)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pip install {}: {}",
            wheel.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Run `code` in the venv from a neutral directory (not the project tree).
    pub fn run(&self, code: &str) -> String {
        let out =
            Command::new(self.python()).args(["-c", code]).current_dir(self.dir.path()).output().unwrap();
        assert!(out.status.success(), "{code}\n{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }
}
