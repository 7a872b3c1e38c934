//! The target of a build: the interpreter's platform (never the one cffi-forge was built
//! for) as a Rust-style triple, and the `cc` configuration that finds compilers for it.

use std::ffi::OsStr;
use std::path::Path;

use crate::interpreter::Interpreter;
use crate::spec::Language;

use super::compiler::Compiler;
use super::probe_cache::ProbeCache;
use super::toolchain::language_name;
use super::{darwin, libc, CompileError, Env};

/// The triple `cc` should target: the interpreter's platform, and on Linux its C library
/// (a musl CPython on a glibc machine is built for with `musl-gcc`). When that is the
/// platform of the machine, the host triple itself.
pub fn target_triple(interp: &Interpreter) -> String {
    let host = host_triple();
    let platform = interp.platform.as_str();
    let last = platform.rsplit('-').next().unwrap_or(platform);
    let arch = match (last, interp.machine.as_str()) {
        ("x86_64" | "amd64", _) if interp.pointer_bits == 32 => "i686",
        ("x86_64" | "amd64", _) => "x86_64",
        ("arm64" | "aarch64", _) => "aarch64",
        ("i386" | "i686" | "win32", _) => "i686",
        ("universal2" | "intel" | "fat" | "fat3" | "universal", machine) => {
            if machine == "arm64" {
                "aarch64"
            } else {
                "x86_64"
            }
        }
        ("armv7l", _) => "armv7",
        (other, _) => other,
    };
    let linux = platform.starts_with("linux");
    let triple = if linux {
        let musl = libc::interpreter_uses_musl(&interp.ext_suffix).unwrap_or_else(|| host.ends_with("musl"));
        let env = if musl { "musl" } else { "gnu" };
        match arch {
            "armv7" => format!("armv7-unknown-linux-{env}eabihf"),
            "riscv64" => format!("riscv64gc-unknown-linux-{env}"),
            "ppc64le" => format!("powerpc64le-unknown-linux-{env}"),
            "ppc64" => format!("powerpc64-unknown-linux-{env}"),
            _ => format!("{arch}-unknown-linux-{env}"),
        }
    } else if platform.starts_with("macosx") {
        format!("{arch}-apple-darwin")
    } else if platform.starts_with("win") {
        // MSVC on Windows; elsewhere MSVC cannot run, and cc then looks for the MinGW-w64
        // cross compiler (`x86_64-w64-mingw32-gcc`) unless CC names another.
        if host.contains("-windows-") {
            format!("{arch}-pc-windows-msvc")
        } else {
            format!("{arch}-pc-windows-gnu")
        }
    } else if let Some(os) = ["freebsd", "netbsd", "openbsd"].into_iter().find(|os| platform.starts_with(os))
    {
        format!("{arch}-unknown-{os}")
    } else {
        host.clone()
    };
    // Same OS and arch (and on Linux C library) as the host: keep the host's exact triple.
    let same_libc = !linux || triple.contains("-musl") == host.contains("-musl");
    if triple.split('-').next() == host.split('-').next()
        && triple.split('-').nth(2) == host.split('-').nth(2)
        && same_libc
    {
        host
    } else {
        triple
    }
}

/// A triple's architecture and OS (`aarch64-pc-windows-gnullvm` → (`aarch64`, `windows`)).
pub(super) fn triple_arch_os(triple: &str) -> (&str, &str) {
    let parts: Vec<&str> = triple.split('-').collect();
    let os = parts.iter().copied().find(|p| ["windows", "linux", "darwin"].contains(p)).unwrap_or("");
    (parts[0], os)
}

/// The triple of the machine cffi-forge runs on. On Linux its C library is the machine's
/// (that of its own programs), not necessarily cffi-forge's: the static musl build runs on
/// glibc systems, whose `cc` builds for glibc.
pub fn host_triple() -> String {
    let arch = std::env::consts::ARCH;
    if cfg!(target_os = "macos") {
        format!("{arch}-apple-darwin")
    } else if cfg!(target_os = "windows") {
        format!("{arch}-pc-windows-{}", if cfg!(target_env = "gnu") { "gnu" } else { "msvc" })
    } else if cfg!(target_os = "linux") {
        let env = if libc::machine_uses_musl() { "musl" } else { "gnu" };
        match arch {
            "arm" => format!("armv7-unknown-linux-{env}eabihf"),
            "riscv64" => format!("riscv64gc-unknown-linux-{env}"),
            _ => format!("{arch}-unknown-linux-{env}"),
        }
    } else {
        format!("{arch}-unknown-{}", std::env::consts::OS)
    }
}

pub(super) fn make_tool(
    interp: &Interpreter,
    env: &Env,
    target: &str,
    build_dir: &Path,
    language: Language,
    zig: bool,
) -> Result<Compiler, CompileError> {
    let cache = ProbeCache::for_build(interp, env, target, &language, zig);
    if let Some(compiler) = cache.as_ref().and_then(|c| c.load(env)) {
        return Ok(compiler);
    }
    let what = language_name(&language);
    let build = configure(interp, env, target, build_dir, language, zig);
    let tool = build.try_get_compiler().map_err(|e| CompileError::Toolchain {
        what,
        target: target.to_string(),
        detail: e.to_string(),
    })?;
    let compiler = Compiler::from_tool(&tool);
    if let Some(cache) = cache {
        cache.store(&compiler, env);
    }
    Ok(compiler)
}

/// The `cc` configuration for the target: compilers and archiver come from it. `zig`:
/// the compiler is `zig cc` (see `choice`).
pub(super) fn configure(
    interp: &Interpreter,
    env: &Env,
    target: &str,
    build_dir: &Path,
    language: Language,
    zig: bool,
) -> cc::Build {
    let mut build = cc::Build::new();
    build
        .set_envs_snapshot(env.iter())
        .cargo_metadata(false)
        .cargo_warnings(false)
        .cargo_output(false)
        .inherit_rustflags(false)
        .target(target)
        .host(&host_triple())
        .opt_level(2)
        .debug(false)
        .pic(true)
        // -Wall (unless CFLAGS says otherwise), as setuptools compiles; warnings show with -v.
        .extra_warnings(false)
        .out_dir(build_dir.join("cc"))
        .cpp(language == Language::Cxx);
    if zig {
        // cc's defaults include `--target=<LLVM triple>`, which `zig cc` rejects (its
        // `-target` is in CC already); the rest that matters is given here.
        build.no_default_flags(true).flag("-O2");
        if !interp.is_windows() {
            build.flag("-fPIC");
        }
    }
    if darwin::is_cross(interp) {
        // The cross target settled it (arm64 never below 11.0).
        if let Some(version) = darwin::deployment_target(interp) {
            build.env("MACOSX_DEPLOYMENT_TARGET", version);
        }
    } else if interp.is_macos() && !env.contains_key(OsStr::new("MACOSX_DEPLOYMENT_TARGET")) {
        // Match the deployment target the wheel's platform tag names.
        if let Some(version) = interp.platform.split('-').nth(1) {
            build.env("MACOSX_DEPLOYMENT_TARGET", version);
        }
    }
    build
}
