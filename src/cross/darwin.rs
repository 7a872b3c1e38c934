//! macOS targets: `x86_64-apple-darwin`, `aarch64-apple-darwin` (also `arm64-apple-darwin`)
//! and `universal2-apple-darwin` (both, merged into fat modules). The deployment target
//! comes from `MACOSX_DEPLOYMENT_TARGET`, else the oldest macOS that CPython's own
//! installers and cibuildwheel build for: 10.12 on Intel (and universal2), 11.0 on Apple
//! silicon, which did not exist before macOS 11. `ARCHFLAGS` naming both `-arch arm64`
//! and `-arch x86_64` (what cibuildwheel sets for universal2) makes any macOS target
//! universal2.

use super::CrossError;
use crate::compile::Env;
use crate::interpreter::{Interpreter, MarkerFacts};

/// Deployment target when `MACOSX_DEPLOYMENT_TARGET` is unset, per architecture.
const DEFAULT_X86_64: (u32, u32) = (10, 12);
/// The first macOS that runs on Apple silicon.
pub const ARM64_FLOOR: (u32, u32) = (11, 0);

/// The architectures of a macOS target, as Apple names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arches {
    X86_64,
    Arm64,
    Universal2,
}

impl Arches {
    fn from_triple_arch(arch: &str) -> Option<Self> {
        match arch {
            "x86_64" => Some(Arches::X86_64),
            "aarch64" | "arm64" => Some(Arches::Arm64),
            "universal2" => Some(Arches::Universal2),
            _ => None,
        }
    }

    /// The platform's last part: `sysconfig.get_platform()`'s and the wheel tag's.
    pub fn name(self) -> &'static str {
        match self {
            Arches::X86_64 => "x86_64",
            Arches::Arm64 => "arm64",
            Arches::Universal2 => "universal2",
        }
    }
}

/// `MACOSX_DEPLOYMENT_TARGET` as `(major, minor)`: `10.13` → (10, 13), `14` → (14, 0).
pub fn parse_version(text: &str) -> Option<(u32, u32)> {
    let mut parts = text.trim().split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = match parts.next() {
        Some(minor) => minor.parse().ok()?,
        None => 0,
    };
    Some((major, minor))
}

/// The deployment target of a slice of `arch` (`arm64` or `x86_64`): the requested one,
/// raised to 11.0 for arm64.
pub fn slice_deployment_target(arch: &str, requested: (u32, u32)) -> (u32, u32) {
    if arch == "arm64" {
        requested.max(ARM64_FLOOR)
    } else {
        requested
    }
}

/// The facts of a macOS target of `arch` (the triple's first part) for a build run by
/// `host`, into `target` (a copy of `host` with the host's build settings cleared).
pub(super) fn retarget(
    target: &mut Interpreter,
    host: &Interpreter,
    triple: &str,
    arch: &str,
    env: &Env,
) -> Result<(), CrossError> {
    let mut arches = Arches::from_triple_arch(arch)
        .ok_or_else(|| CrossError::UnknownTarget { triple: triple.to_string() })?;
    let var = |key: &str| env.get(std::ffi::OsStr::new(key)).and_then(|v| v.to_str()).map(str::trim);
    let archflags = var("ARCHFLAGS").unwrap_or("");
    let named: Vec<&str> = archflags.split_whitespace().filter(|a| *a != "-arch").collect();
    if named.contains(&"arm64") && named.contains(&"x86_64") {
        arches = Arches::Universal2;
    }
    let requested = match var("MACOSX_DEPLOYMENT_TARGET").filter(|v| !v.is_empty()) {
        Some(text) => parse_version(text)
            .filter(|&(major, _)| major >= 10)
            .ok_or_else(|| CrossError::BadDeploymentTarget { value: text.to_string() })?,
        None if arches == Arches::Arm64 => ARM64_FLOOR,
        None => DEFAULT_X86_64,
    };
    // What the compiler is told; the tag names the oldest macOS any slice runs on.
    let deployment = if arches == Arches::Arm64 { requested.max(ARM64_FLOOR) } else { requested };
    // From macOS 11 on only the major version counts in a tag, as installers expect.
    let tag_version = if deployment.0 >= 11 { (deployment.0, 0) } else { deployment };
    let (major, minor) = host.version;
    let t = if host.free_threaded { "t" } else { "" };
    let platform = format!("macosx-{}.{}-{}", tag_version.0, tag_version.1, arches.name());
    target.platform = platform.clone();
    // The tag is settled here: `MACOSX_DEPLOYMENT_TARGET` must not be applied again.
    target.host_platform_env = Some(platform);
    target.macosx_deployment_target = Some(format!("{}.{}", deployment.0, deployment.1));
    // `platform.machine()` of a universal2 build is its build machine's; the compiler
    // sees each slice's own architecture, markers see Intel's (the first slice on PATH
    // for most tools, and what `target_triple` picks).
    let machine = if arches == Arches::Arm64 { "arm64" } else { "x86_64" };
    target.machine = machine.into();
    target.pointer_bits = 64;
    if host.is_cpython() {
        let soabi = format!("cpython-{major}{minor}{t}-darwin");
        target.ext_suffix = format!(".{soabi}.so");
        target.soabi = Some(soabi);
        target.extension_suffixes = vec![target.ext_suffix.clone(), ".abi3.so".into(), ".so".into()];
    } else {
        // PyPy: `.pypy310-pp73-darwin.so`.
        let soabi = host.soabi.clone().unwrap_or_default();
        let abi = soabi.split('-').take(2).collect::<Vec<_>>().join("-");
        target.ext_suffix = format!(".{abi}-darwin.so");
        target.soabi = Some(format!("{abi}-darwin"));
        target.extension_suffixes = vec![target.ext_suffix.clone(), ".so".into()];
    }
    let markers = host.markers.clone().unwrap_or_default();
    target.markers = Some(MarkerFacts {
        os_name: "posix".into(),
        platform_machine: machine.into(),
        platform_release: String::new(),
        platform_system: "Darwin".into(),
        platform_version: String::new(),
        sys_platform: "darwin".into(),
        ..markers
    });
    Ok(())
}
