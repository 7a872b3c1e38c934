//! `cffi-forge build --target TRIPLE`: cross builds whose naming, tags, `when` markers and
//! compiler follow the target, and clear errors for targets it cannot build.

use std::path::Path;

use crate::cli_support::*;

/// Declarative modules for aarch64, x86_64 (as Linux names it) and Windows: only the
/// target's are built.
fn two_machines() -> String {
    pyproject(
        "demo",
        "[[tool.cffi-forge.module]]\nname = \"demo._arm\"\ncdef = \"int f(void);\"\n\
         source = \"int f(void) { return 64; }\"\nwhen = \"platform_machine == 'aarch64'\"\n\
         [[tool.cffi-forge.module]]\nname = \"demo._x86\"\ncdef = \"int f(void);\"\n\
         source = \"int f(void) { return 86; }\"\nwhen = \"platform_machine == 'x86_64'\"\n\
         [[tool.cffi-forge.module]]\nname = \"demo._win\"\ncdef = \"int f(void);\"\n\
         source = \"int f(void) { return 32; }\"\nwhen = \"sys_platform == 'win32'\"\n",
    )
}

fn cross(root: &Path, out: &Path, target: &str, env: &[(&str, &str)]) -> Run {
    let mut command = cffi_forge(&["build"]);
    command.arg(root).arg("-o").arg(out).arg("-i").arg(python()).arg("--target").arg(target);
    command.env_remove("CFFI_FORGE_TARGET").env_remove("CFFI_FORGE_TARGET_INCLUDE").env_remove("CC");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().unwrap().into()
}

fn not_run(what: &str, why: &str) {
    eprintln!("\n!! NOT RUN: {what}: {why}");
    assert_ne!(
        std::env::var("CI").as_deref(),
        Ok("true"),
        "NOT RUN: {what}: {why} (a failure under CI=true)"
    );
}

#[test]
fn unknown_target_is_a_clear_error() {
    let tree = project(&[("pyproject.toml", &two_machines()), ("demo/__init__.py", "")]);
    let out = tempfile::tempdir().unwrap();
    let run = cross(tree.path(), out.path(), "sparc-sun-solaris", &[]).failure();
    assert!(run.stderr.contains("unknown target `sparc-sun-solaris`"), "{}", run.stderr);
    assert!(run.stderr.contains("supported targets: x86_64-pc-windows-gnu"), "{}", run.stderr);
    assert_eq!(listing(out.path()), Vec::<String>::new());
}

#[test]
fn windows_target_without_headers_names_the_variable() {
    let tree = project(&[("pyproject.toml", &two_machines()), ("demo/__init__.py", "")]);
    let out = tempfile::tempdir().unwrap();
    let run = cross(tree.path(), out.path(), "x86_64-pc-windows-gnu", &[]).failure();
    assert!(
        run.stderr.contains("target `x86_64-pc-windows-gnu` needs the Windows Python headers: CFFI_FORGE_TARGET_INCLUDE is not set"),
        "{}",
        run.stderr
    );
    // The variable, as from a PEP 517 frontend's config setting, works like --target.
    let mut command = cffi_forge(&["build"]);
    command.arg(tree.path()).arg("-o").arg(out.path()).arg("-i").arg(python());
    command.env("CFFI_FORGE_TARGET", "sparc-sun-solaris").env_remove("CFFI_FORGE_TARGET_INCLUDE");
    let run: Run = command.output().unwrap().into();
    assert!(run.failure().stderr.contains("unknown target `sparc-sun-solaris`"));
}

#[test]
fn aarch64_linux_wheel_is_named_tagged_and_compiled_for_aarch64() {
    if which::which("aarch64-linux-gnu-gcc").is_err() {
        return not_run(
            "aarch64 cross build",
            "no aarch64-linux-gnu-gcc (apt-get install gcc-aarch64-linux-gnu)",
        );
    }
    let tree = project(&[("pyproject.toml", &two_machines()), ("demo/__init__.py", "")]);
    let out = tempfile::tempdir().unwrap();
    let run = cross(tree.path(), out.path(), "aarch64-unknown-linux-gnu", &[]).success();
    let wheel = Path::new(run.stdout.trim());
    let name = wheel.file_name().unwrap().to_string_lossy().into_owned();
    // The audit reads the aarch64 ELF too: it needs only libc, so the platform is the
    // aarch64 manylinux policy its symbol versions allow, never an x86_64 one.
    assert!(
        name.contains("-cp38-abi3-manylinux_") && name.ends_with("_aarch64.whl") && !name.contains("x86_64"),
        "{name}"
    );
    // The `when` marker was evaluated for the target: the arm module only.
    let names = zip_names(wheel);
    assert!(names.contains(&"demo/_arm.abi3.so".to_string()), "{names:?}");
    assert!(!names.iter().any(|n| n.contains("_x86")), "{names:?}");
    // A real aarch64 ELF: e_machine 183 (EM_AARCH64) at offset 18.
    let unpacked = tempfile::tempdir().unwrap();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(wheel).unwrap()).unwrap();
    zip.extract(unpacked.path()).unwrap();
    let so = std::fs::read(unpacked.path().join("demo/_arm.abi3.so")).unwrap();
    assert_eq!(&so[..4], b"\x7fELF");
    assert_eq!(u16::from_le_bytes([so[18], so[19]]), 183, "e_machine");
}

#[test]
fn pkg_config_answers_for_the_target_not_the_host() {
    if which::which("pkg-config").is_err()
        || !Path::new("/usr/lib/x86_64-linux-gnu/pkgconfig/zlib.pc").is_file()
    {
        return not_run("cross pkg-config", "needs pkg-config and the host's zlib.pc (zlib1g-dev)");
    }
    // zlib's .pc exists for the host only: the aarch64 build must not link the host's zlib.
    let pyproject = pyproject(
        "demo",
        "[[tool.cffi-forge.module]]\nname = \"demo._z\"\ncdef = \"const char *zlibVersion(void);\"\n\
         source = \"#include <zlib.h>\"\npkg-config = [\"zlib\"]\n",
    );
    let tree = project(&[("pyproject.toml", &pyproject), ("demo/__init__.py", "")]);
    let out = tempfile::tempdir().unwrap();
    let run =
        cross(tree.path(), out.path(), "aarch64-unknown-linux-gnu", &[("PKG_CONFIG_PATH", "")]).failure();
    assert!(
        run.stderr.contains("searched: /usr/lib/aarch64-linux-gnu/pkgconfig, /usr/share/pkgconfig"),
        "{}",
        run.stderr
    );
    assert_eq!(listing(out.path()), Vec::<String>::new());
}

#[test]
fn inspect_resolves_for_the_target() {
    let tree = project(&[("pyproject.toml", &two_machines()), ("demo/__init__.py", "")]);
    let headers = tempfile::tempdir().unwrap();
    std::fs::write(headers.path().join("Python.h"), "").unwrap();
    let inspect = |target: &str| -> Run {
        let mut command = cffi_forge(&["inspect"]);
        command.arg(tree.path()).arg("-i").arg(python()).arg("--target").arg(target);
        command.env("CFFI_FORGE_TARGET_INCLUDE", headers.path());
        command.output().unwrap().into()
    };
    let windows = inspect("x86_64-pc-windows-gnu").success().stdout;
    // Windows names its machine AMD64, not x86_64, as `platform.machine()` does there.
    assert!(windows.contains("demo._win → demo/_win.pyd"), "{windows}");
    assert!(!windows.contains("demo._arm →") && !windows.contains("demo._x86 →"), "{windows}");
    assert!(windows.contains("demo-1.0.0-cp38-abi3-win_amd64.whl"), "{windows}");
    let arm = inspect("aarch64-unknown-linux-gnu").success().stdout;
    assert!(arm.contains("demo._arm → demo/_arm.abi3.so"), "{arm}");
    assert!(!arm.contains("demo._x86 →") && !arm.contains("demo._win →"), "{arm}");
    assert!(arm.contains("demo-1.0.0-cp38-abi3-linux_aarch64.whl"), "{arm}");
}
