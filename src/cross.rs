//! Cross builds: `--target TRIPLE` (or `CFFI_FORGE_TARGET`, or the PEP 517 config setting
//! `target`) builds for another platform than the interpreter's. No interpreter of the
//! target is needed: the building interpreter runs the build scripts and gives the
//! Python version; the target's facts (platform, module suffixes, PEP 508 markers) follow
//! from the triple by the target's own naming rules, so naming, tags, `when` markers and
//! the compiler all follow the target, never the host.
//!
//! Headers: the building interpreter's for a target of the same OS; for Windows, whose
//! `pyconfig.h` differs, a directory holding Windows' `Python.h` and `pyconfig.h` named
//! by `CFFI_FORGE_TARGET_INCLUDE` (which also overrides the building interpreter's for
//! any other target). Its parent's `libs\` is searched for the Python DLL's import
//! library (a Windows CPython installation has both); otherwise one is generated.

mod darwin;

use std::path::PathBuf;

pub use darwin::{parse_version as parse_macos_version, slice_deployment_target, ARM64_FLOOR};

use crate::compile::Env;
use crate::interpreter::{Interpreter, MarkerFacts};

/// The environment variable naming the target when `--target` is not given.
pub const TARGET_VAR: &str = "CFFI_FORGE_TARGET";
/// The environment variable naming the target's Python headers.
pub const INCLUDE_VAR: &str = "CFFI_FORGE_TARGET_INCLUDE";

const SUPPORTED: &str = "x86_64-pc-windows-gnu, i686-pc-windows-gnu, aarch64-pc-windows-gnullvm, \
     x86_64-unknown-linux-gnu, aarch64-unknown-linux-gnu, \
     x86_64-apple-darwin, aarch64-apple-darwin, universal2-apple-darwin";

#[derive(Debug, thiserror::Error)]
pub enum CrossError {
    #[error("unknown target `{triple}`")]
    UnknownTarget { triple: String },
    #[error("target `{triple}` needs the Windows Python headers: {INCLUDE_VAR} is not set")]
    NoHeaders { triple: String },
    #[error("{INCLUDE_VAR} is `{}`, which holds no Python.h", dir.display())]
    BadHeaders { dir: PathBuf },
    #[error("MACOSX_DEPLOYMENT_TARGET is `{value}`, which is no macOS version")]
    BadDeploymentTarget { value: String },
}

impl crate::diagnostic::ToDiagnostic for CrossError {
    fn to_diagnostic(&self) -> crate::diagnostic::Diagnostic {
        let d = crate::diagnostic::Diagnostic::error(self.to_string());
        match self {
            CrossError::UnknownTarget { .. } => d.with_help(format!("supported targets: {SUPPORTED}")),
            CrossError::NoHeaders { .. } | CrossError::BadHeaders { .. } => d.with_help(format!(
                "set {INCLUDE_VAR} to the `Include` directory of a Windows CPython (it holds Python.h \
                 and Windows' pyconfig.h; tests/windows/provision.sh makes one); see docs/cross.md"
            )),
            CrossError::BadDeploymentTarget { .. } => {
                d.with_help("set it to a macOS version such as `10.13` or `11.0`, or unset it")
            }
        }
    }
}

/// The target of a build: `requested` (from `--target`), else `CFFI_FORGE_TARGET`.
pub fn requested(requested: Option<&str>, env: &Env) -> Option<String> {
    requested
        .map(str::to_string)
        .or_else(|| env.get(std::ffi::OsStr::new(TARGET_VAR)).and_then(|v| v.to_str()).map(str::to_string))
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
}

/// The facts of the target `triple`, for a build run by `host`.
pub fn retarget(host: &Interpreter, triple: &str, env: &Env) -> Result<Interpreter, CrossError> {
    let unknown = || CrossError::UnknownTarget { triple: triple.to_string() };
    let parts: Vec<&str> = triple.split('-').collect();
    if parts.len() < 3 {
        return Err(unknown());
    }
    let arch = parts[0];
    let (major, minor) = host.version;
    let include_override =
        env.get(std::ffi::OsStr::new(INCLUDE_VAR)).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(dir) = &include_override {
        if !dir.join("Python.h").is_file() {
            return Err(CrossError::BadHeaders { dir: dir.clone() });
        }
    }
    let mut target = host.clone();
    target.host_platform_env = None;
    target.cc = None;
    target.cxx = None;
    target.ldshared = None;
    target.ldcxxshared = None;
    target.ccshared = None;
    target.libdir = None;
    target.ldlibrary = None;
    target.macosx_deployment_target = None;
    let cpython = host.is_cpython();
    let t = if host.free_threaded { "t" } else { "" };
    let markers = host.markers.clone().unwrap_or_default();

    if parts.contains(&"windows") {
        let (platform, machine, bits) = match arch {
            "x86_64" => ("win-amd64", "AMD64", 64),
            "i686" | "i586" | "x86" => ("win32", "x86", 32),
            "aarch64" => ("win-arm64", "ARM64", 64),
            _ => return Err(unknown()),
        };
        let include = include_override.ok_or_else(|| CrossError::NoHeaders { triple: triple.to_string() })?;
        let tag = platform.replace('-', "_");
        target.platform = platform.into();
        target.machine = machine.into();
        target.pointer_bits = bits;
        target.ext_suffix = if cpython {
            format!(".cp{major}{minor}{t}-{tag}.pyd")
        } else {
            format!(".{}-{tag}.pyd", host.soabi.clone().unwrap_or_default())
        };
        target.extension_suffixes = vec![target.ext_suffix.clone(), ".pyd".into()];
        // Windows builds report a SOABI since 3.13.
        target.soabi = (cpython && (major, minor) >= (3, 13)).then(|| format!("cp{major}{minor}{t}-{tag}"));
        target.abiflags = String::new();
        target.base_prefix = include.parent().map(PathBuf::from).unwrap_or_else(|| include.clone());
        target.include = Some(include.clone());
        target.platinclude = Some(include);
        // What Linux's CPython was built with means nothing to a Windows target.
        target.cflags = None;
        target.markers = Some(MarkerFacts {
            os_name: "nt".into(),
            platform_machine: machine.into(),
            platform_release: String::new(),
            platform_system: "Windows".into(),
            platform_version: String::new(),
            sys_platform: "win32".into(),
            ..markers
        });
    } else if parts.len() >= 3 && parts[2] == "linux" {
        let machine = match arch {
            "x86_64" | "aarch64" | "i686" | "ppc64le" | "s390x" | "riscv64" => arch,
            "armv7" => "armv7l",
            "powerpc64le" => "ppc64le",
            "riscv64gc" => "riscv64",
            _ => return Err(unknown()),
        };
        let env_abi = parts.get(3).copied().unwrap_or("gnu");
        let multiarch_env = if env_abi.starts_with("musl") { "musl" } else { "gnu" };
        let multiarch = match machine {
            "armv7l" => format!("arm-linux-{multiarch_env}eabihf"),
            "ppc64le" => format!("powerpc64le-linux-{multiarch_env}"),
            "riscv64" => format!("riscv64-linux-{multiarch_env}"),
            m => format!("{m}-linux-{multiarch_env}"),
        };
        target.platform = format!("linux-{machine}");
        target.machine = machine.into();
        target.pointer_bits = if machine == "i686" || machine == "armv7l" { 32 } else { 64 };
        if cpython {
            let soabi = format!("cpython-{major}{minor}{}-{multiarch}", host.abiflags);
            target.ext_suffix = format!(".{soabi}.so");
            target.soabi = Some(soabi);
            target.extension_suffixes = vec![target.ext_suffix.clone(), ".abi3.so".into(), ".so".into()];
        } else {
            // PyPy's suffix names its own ABI, then the platform.
            let soabi = host.soabi.clone().unwrap_or_default();
            let abi = soabi.split('-').take(2).collect::<Vec<_>>().join("-");
            target.ext_suffix = format!(".{abi}-{multiarch}.so");
            target.extension_suffixes = vec![target.ext_suffix.clone(), ".so".into()];
        }
        if let Some(include) = include_override {
            target.include = Some(include.clone());
            target.platinclude = Some(include);
        }
        target.markers = Some(MarkerFacts {
            os_name: "posix".into(),
            platform_machine: machine.into(),
            platform_system: "Linux".into(),
            sys_platform: "linux".into(),
            ..markers
        });
    } else if parts[1] == "apple" && parts[2].starts_with("darwin") {
        darwin::retarget(&mut target, host, triple, arch, env)?;
        if let Some(include) = include_override {
            target.include = Some(include.clone());
            target.platinclude = Some(include);
        }
    } else {
        return Err(unknown());
    }
    Ok(target)
}

/// Where pkg-config looks for the target's `.pc` files when cffi-forge builds for another
/// platform than its own and the user set neither `PKG_CONFIG_LIBDIR` nor `PKG_CONFIG`:
/// the target's multiarch folder (Debian's layout for cross libraries, e.g.
/// `/usr/lib/aarch64-linux-gnu/pkgconfig`, MinGW-w64's `/usr/x86_64-w64-mingw32/lib/pkgconfig`),
/// never the host's, whose libraries the target's linker cannot use. `None` for a native build.
pub fn pkg_config_libdir(target: &Interpreter, env: &Env) -> Option<String> {
    let set = |key: &str| env.get(std::ffi::OsStr::new(key)).is_some_and(|v| !v.is_empty());
    if set("PKG_CONFIG_LIBDIR") || set("PKG_CONFIG") {
        return None;
    }
    let triple = crate::compile::target_triple(target);
    let host = crate::compile::host_triple();
    let same = |i: usize| triple.split('-').nth(i) == host.split('-').nth(i);
    if same(0) && same(2) {
        return None;
    }
    let arch = triple.split('-').next().unwrap_or_default();
    if target.is_windows() {
        let prefix = match arch {
            "i686" => "i686-w64-mingw32",
            "aarch64" => "aarch64-w64-mingw32",
            _ => "x86_64-w64-mingw32",
        };
        return Some(format!("/usr/{prefix}/lib/pkgconfig"));
    }
    if target.is_macos() {
        // macOS has no multiarch folders: the SDK's own (`SDKROOT`), else none at all —
        // the host's `.pc` files name libraries a Mach-O linker cannot use.
        let sdk = env.get(std::ffi::OsStr::new("SDKROOT")).filter(|v| !v.is_empty());
        return Some(
            sdk.map(|sdk| format!("{}/usr/lib/pkgconfig", sdk.to_string_lossy())).unwrap_or_default(),
        );
    }
    // `.cpython-311-aarch64-linux-gnu.so`: the multiarch triple is the suffix's last part.
    let multiarch = target
        .ext_suffix
        .trim_end_matches(".so")
        .split_once('-')
        .and_then(|(_, rest)| rest.split_once('-'))
        .map(|(_, multiarch)| multiarch.to_string())
        .filter(|m| m.contains("-linux-"))?;
    Some(format!("/usr/lib/{multiarch}/pkgconfig:/usr/share/pkgconfig"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The building interpreter: CPython 3.`minor` on x86_64 Linux, with its markers.
    fn cpython(major: u32, minor: u32) -> Interpreter {
        let mut host = crate::interpreter::tests::cpython(major, minor);
        host.markers = Some(MarkerFacts {
            implementation_name: "cpython".into(),
            implementation_version: format!("{major}.{minor}.1"),
            os_name: "posix".into(),
            platform_machine: "x86_64".into(),
            platform_python_implementation: "CPython".into(),
            platform_release: "6.1.0".into(),
            platform_system: "Linux".into(),
            platform_version: "#1 SMP".into(),
            python_full_version: format!("{major}.{minor}.1"),
            python_version: format!("{major}.{minor}"),
            sys_platform: "linux".into(),
        });
        host
    }

    fn env_with_include() -> (tempfile::TempDir, Env) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("Include")).unwrap();
        std::fs::write(dir.path().join("Include/Python.h"), "").unwrap();
        let mut env = Env::new();
        env.insert(INCLUDE_VAR.into(), dir.path().join("Include").into());
        (dir, env)
    }

    #[test]
    fn windows_target_names_and_markers_follow_the_target() {
        let (dir, env) = env_with_include();
        let host = cpython(3, 12);
        let t = retarget(&host, "x86_64-pc-windows-gnu", &env).unwrap();
        assert_eq!((t.platform.as_str(), t.pointer_bits), ("win-amd64", 64));
        assert_eq!(t.ext_suffix, ".cp312-win_amd64.pyd");
        assert_eq!(t.include.as_deref(), Some(dir.path().join("Include").as_path()));
        assert_eq!(t.base_prefix, dir.path());
        let m = t.marker_environment().unwrap();
        assert_eq!(m.sys_platform(), "win32");
        assert_eq!(m.platform_system(), "Windows");
        assert_eq!(crate::compile::target_triple(&t), "x86_64-pc-windows-gnu");
        assert_eq!(crate::tags::platform_tag(&t), "win_amd64");
        assert_eq!(retarget(&host, "aarch64-pc-windows-gnullvm", &env).unwrap().platform, "win-arm64");
    }

    /// What a real Windows CPython reports (recorded under Wine:
    /// tests/data/interpreter-facts/cpython-3.X-win_amd64.json) is what the rules derive.
    #[test]
    fn windows_rules_match_recorded_windows_interpreters() {
        let (_dir, env) = env_with_include();
        for (minor, file) in [(8, "cpython-3.8-win_amd64.json"), (13, "cpython-3.13-win_amd64.json")] {
            let path = format!("{}/tests/data/interpreter-facts/{file}", env!("CARGO_MANIFEST_DIR"));
            let real: Interpreter = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
            let derived = retarget(&cpython(3, minor), "x86_64-pc-windows-gnu", &env).unwrap();
            assert_eq!(
                (&derived.platform, &derived.machine, derived.pointer_bits, &derived.ext_suffix),
                (&real.platform, &real.machine, real.pointer_bits, &real.ext_suffix),
                "{file}"
            );
            assert_eq!(
                (&derived.soabi, &derived.extension_suffixes),
                (&real.soabi, &real.extension_suffixes),
                "{file}"
            );
            let (d, r) = (derived.markers.clone().unwrap(), real.markers.clone().unwrap());
            assert_eq!(
                (&d.os_name, &d.sys_platform, &d.platform_system, &d.platform_machine),
                (&r.os_name, &r.sys_platform, &r.platform_system, &r.platform_machine),
                "{file}"
            );
            assert_eq!(crate::tags::platform_tag(&derived), crate::tags::platform_tag(&real));
        }
    }

    #[test]
    fn linux_aarch64_target_uses_its_own_suffix() {
        let host = cpython(3, 11);
        let t = retarget(&host, "aarch64-unknown-linux-gnu", &Env::new()).unwrap();
        assert_eq!(t.ext_suffix, ".cpython-311-aarch64-linux-gnu.so");
        assert_eq!(crate::tags::platform_tag(&t), "linux_aarch64");
        assert_eq!(t.marker_environment().unwrap().platform_machine(), "aarch64");
        assert!(crate::compile::target_triple(&t).starts_with("aarch64-unknown-linux-"));
    }

    #[test]
    fn macos_targets_name_tag_and_mark_like_macos() {
        let host = cpython(3, 12);
        let env = Env::new();
        let arm = retarget(&host, "aarch64-apple-darwin", &env).unwrap();
        assert_eq!(arm.ext_suffix, ".cpython-312-darwin.so");
        assert_eq!(arm.extension_suffixes, [".cpython-312-darwin.so", ".abi3.so", ".so"]);
        assert_eq!(crate::tags::platform_tag(&arm), "macosx_11_0_arm64");
        assert_eq!(arm.macosx_deployment_target.as_deref(), Some("11.0"));
        assert_eq!(crate::compile::target_triple(&arm), "aarch64-apple-darwin");
        let m = arm.marker_environment().unwrap();
        assert_eq!(
            (m.sys_platform(), m.platform_system(), m.platform_machine()),
            ("darwin", "Darwin", "arm64")
        );
        assert_eq!(retarget(&host, "arm64-apple-darwin", &env).unwrap().platform, "macosx-11.0-arm64");

        let intel = retarget(&host, "x86_64-apple-darwin", &env).unwrap();
        assert_eq!(crate::tags::platform_tag(&intel), "macosx_10_12_x86_64");
        assert_eq!(crate::compile::target_triple(&intel), "x86_64-apple-darwin");
        let fat = retarget(&host, "universal2-apple-darwin", &env).unwrap();
        assert_eq!(crate::tags::platform_tag(&fat), "macosx_10_12_universal2");

        // ARCHFLAGS naming both architectures (cibuildwheel's universal2) makes any macOS target universal2.
        let mut archflags = Env::new();
        archflags.insert("ARCHFLAGS".into(), "-arch arm64 -arch x86_64".into());
        let fat = retarget(&host, "x86_64-apple-darwin", &archflags).unwrap();
        assert_eq!(crate::tags::platform_tag(&fat), "macosx_10_12_universal2");
    }

    #[test]
    fn macos_deployment_target_is_honoured_and_arm64_starts_at_11() {
        let host = cpython(3, 11);
        let with = |value: &str| {
            let mut env = Env::new();
            env.insert("MACOSX_DEPLOYMENT_TARGET".into(), value.into());
            env
        };
        let intel = retarget(&host, "x86_64-apple-darwin", &with("10.15")).unwrap();
        assert_eq!(crate::tags::platform_tag(&intel), "macosx_10_15_x86_64");
        assert_eq!(intel.macosx_deployment_target.as_deref(), Some("10.15"));
        let arm = retarget(&host, "aarch64-apple-darwin", &with("10.15")).unwrap();
        assert_eq!(crate::tags::platform_tag(&arm), "macosx_11_0_arm64");
        let arm = retarget(&host, "aarch64-apple-darwin", &with("14.2")).unwrap();
        assert_eq!(crate::tags::platform_tag(&arm), "macosx_14_0_arm64");
        assert_eq!(arm.macosx_deployment_target.as_deref(), Some("14.2"));
        let fat = retarget(&host, "universal2-apple-darwin", &with("10.13")).unwrap();
        assert_eq!(crate::tags::platform_tag(&fat), "macosx_10_13_universal2");
        let err = retarget(&host, "x86_64-apple-darwin", &with("ten")).unwrap_err();
        assert_eq!(err.to_string(), "MACOSX_DEPLOYMENT_TARGET is `ten`, which is no macOS version");
        let err = retarget(&host, "powerpc-apple-darwin", &Env::new()).unwrap_err();
        assert_eq!(err.to_string(), "unknown target `powerpc-apple-darwin`");
    }

    #[test]
    fn pkg_config_searches_the_targets_folders() {
        let host = cpython(3, 11);
        let arm = retarget(&host, "aarch64-unknown-linux-gnu", &Env::new()).unwrap();
        if crate::compile::host_triple().starts_with("x86_64-") {
            assert_eq!(
                pkg_config_libdir(&arm, &Env::new()).as_deref(),
                Some("/usr/lib/aarch64-linux-gnu/pkgconfig:/usr/share/pkgconfig")
            );
        }
        let (_dir, env) = env_with_include();
        let win = retarget(&host, "x86_64-pc-windows-gnu", &env).unwrap();
        assert_eq!(pkg_config_libdir(&win, &env).as_deref(), Some("/usr/x86_64-w64-mingw32/lib/pkgconfig"));
        // macOS: the SDK's folder, never the host's.
        let mac = retarget(&host, "aarch64-apple-darwin", &Env::new()).unwrap();
        assert_eq!(pkg_config_libdir(&mac, &Env::new()).as_deref(), Some(""));
        let mut sdk = Env::new();
        sdk.insert("SDKROOT".into(), "/sdk".into());
        assert_eq!(pkg_config_libdir(&mac, &sdk).as_deref(), Some("/sdk/usr/lib/pkgconfig"));
        // The user's own choice stands; a native build changes nothing.
        let mut user = Env::new();
        user.insert("PKG_CONFIG_LIBDIR".into(), "/opt/sysroot/lib/pkgconfig".into());
        assert_eq!(pkg_config_libdir(&arm, &user), None);
        assert_eq!(pkg_config_libdir(&host, &Env::new()), None);
    }

    #[test]
    fn bad_targets_and_missing_headers_are_clear_errors() {
        let host = cpython(3, 12);
        let err = retarget(&host, "sparc-sun-solaris", &Env::new()).unwrap_err();
        assert_eq!(err.to_string(), "unknown target `sparc-sun-solaris`");
        let err = retarget(&host, "x86_64-pc-windows-gnu", &Env::new()).unwrap_err();
        assert!(err.to_string().contains("CFFI_FORGE_TARGET_INCLUDE is not set"), "{err}");
        let mut env = Env::new();
        env.insert(INCLUDE_VAR.into(), "/nonexistent".into());
        let err = retarget(&host, "x86_64-pc-windows-gnu", &env).unwrap_err();
        assert!(err.to_string().contains("holds no Python.h"), "{err}");
    }
}
