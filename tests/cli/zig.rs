//! The compiler choice without `CC`: the target's usual compiler, else zig from the
//! building interpreter's `ziglang` package, else a clear error listing what was tried.
//! Exercised with arm64 Windows (`aarch64-pc-windows-gnullvm`), for which this machine has
//! no cross compiler: zig compiles and links, and the result is checked for structure
//! (no arm64 Windows runs here): PE machine ARM64, `PyInit_` exported, python3.dll imported.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli_support::*;

const TARGET: &str = "aarch64-pc-windows-gnullvm";

fn demo() -> TempTree {
    project(&[
        (
            "pyproject.toml",
            &pyproject(
                "demo",
                "[[tool.cffi-forge.module]]\nname = \"demo._win\"\ncdef = \"int f(void);\"\n\
                 source = \"int f(void) { return 64; }\"\n",
            ),
        ),
        ("demo/__init__.py", ""),
    ])
}

type TempTree = tempfile::TempDir;

/// Windows' Python headers (tests/windows/provision.sh --headers-only: one pinned download).
fn windows_headers() -> Option<PathBuf> {
    let cache = std::env::var_os("CFFI_FORGE_TEST_CACHE").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/cffi-forge-tests")
    });
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/windows/provision.sh");
    let out = Command::new("bash").arg(script).arg("--headers-only").arg(&cache).output().ok()?;
    if !out.status.success() {
        eprintln!("{}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
    dir.join("Python.h").is_file().then_some(dir)
}

fn build_for(root: &Path, out: &Path, python: &Path, include: &Path, env: &[(&str, &str)]) -> Run {
    let mut command = cffi_forge(&["build"]);
    command.arg(root).arg("-o").arg(out).arg("-i").arg(python).arg("--target").arg(TARGET);
    command
        .env_remove("CFFI_FORGE_TARGET")
        .env_remove("CC")
        .env_remove("CXX")
        .env_remove("AR")
        .env("CFFI_FORGE_TARGET_INCLUDE", include);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap().into()
}

fn llvm_objdump() -> Option<PathBuf> {
    ["llvm-objdump-16", "llvm-objdump"].into_iter().find_map(|name| which::which(name).ok())
}

#[test]
fn arm64_windows_module_is_built_by_zig_when_no_cross_compiler_is_there() {
    let python = python();
    if Command::new(&python).args(["-c", "import ziglang"]).status().map_or(true, |s| !s.success()) {
        return not_run(
            "zig fallback for arm64 Windows",
            "the test Python has no `ziglang` (tools venv pins it)",
        );
    }
    if which::which("aarch64-w64-mingw32-clang").is_ok() || which::which("aarch64-w64-mingw32-gcc").is_ok() {
        return not_run(
            "zig fallback for arm64 Windows",
            "an arm64 MinGW compiler is installed: no fallback",
        );
    }
    let Some(include) = windows_headers() else {
        return not_run("zig fallback for arm64 Windows", "tests/windows/provision.sh --headers-only failed");
    };
    let Some(objdump) = llvm_objdump() else {
        return not_run("zig fallback for arm64 Windows", "no llvm-objdump (apt-get install llvm-16)");
    };
    let tree = demo();
    let out = tempfile::tempdir().unwrap();
    let run = build_for(tree.path(), out.path(), &python, &include, &[]).success();
    let wheel = PathBuf::from(run.stdout.trim());
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.starts_with("demo-1.0.0-cp") && name.ends_with("-abi3-win_arm64.whl"), "{name}");
    assert!(zip_names(&wheel).contains(&"demo/_win.pyd".to_string()), "{:?}", zip_names(&wheel));

    let unpacked = tempfile::tempdir().unwrap();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&wheel).unwrap()).unwrap();
    zip.extract(unpacked.path()).unwrap();
    let pyd = unpacked.path().join("demo/_win.pyd");
    // PE: the COFF header's machine (0xAA64, ARM64) right after the "PE\0\0" signature.
    let bytes = std::fs::read(&pyd).unwrap();
    let pe = u32::from_le_bytes(bytes[0x3c..0x40].try_into().unwrap()) as usize;
    assert_eq!(&bytes[pe..pe + 4], b"PE\0\0");
    assert_eq!(u16::from_le_bytes([bytes[pe + 4], bytes[pe + 5]]), 0xAA64, "machine");
    let dump = Command::new(objdump).arg("-p").arg(&pyd).output().unwrap();
    let dump = String::from_utf8_lossy(&dump.stdout);
    let dlls: Vec<&str> = dump.lines().filter_map(|l| l.trim().strip_prefix("DLL Name: ")).collect();
    assert!(dlls.contains(&"python3.dll"), "{dlls:?}");
    assert!(!dlls.iter().any(|d| d.starts_with("python3") && *d != "python3.dll"), "{dlls:?}");
    assert!(dump.lines().any(|l| l.trim_end().ends_with(" PyInit__win")), "{dump}");
}

#[test]
fn without_a_compiler_or_zig_the_error_lists_what_was_tried() {
    let python = python();
    let Some(include) = windows_headers() else {
        return not_run(
            "no-compiler error for arm64 Windows",
            "tests/windows/provision.sh --headers-only failed",
        );
    };
    if which::which("aarch64-w64-mingw32-clang").is_ok() || which::which("aarch64-w64-mingw32-gcc").is_ok() {
        return not_run("no-compiler error for arm64 Windows", "an arm64 MinGW compiler is installed");
    }
    // A `ziglang` that cannot be imported hides the real one, if any.
    let hide = tempfile::tempdir().unwrap();
    std::fs::create_dir(hide.path().join("ziglang")).unwrap();
    std::fs::write(hide.path().join("ziglang/__init__.py"), "raise ImportError('hidden by the test')\n")
        .unwrap();
    // Only the host's `cc`, no cross compiler: PATH holds a directory with `cc` alone.
    let tree = demo();
    let out = tempfile::tempdir().unwrap();
    let run = build_for(
        tree.path(),
        out.path(),
        &python,
        &include,
        &[("PYTHONPATH", hide.path().to_str().unwrap()), ("PATH", "/nonexistent")],
    )
    .failure();
    assert!(run.stderr.contains("error: no C compiler for aarch64-pc-windows-"), "{}", run.stderr);
    assert!(run.stderr.contains("cannot import `ziglang`"), "{}", run.stderr);
    assert!(run.stderr.contains("(the usual compiler for"), "{}", run.stderr);
    assert!(run.stderr.contains("pip install ziglang"), "{}", run.stderr);
    assert_eq!(listing(out.path()), Vec::<String>::new());
}
