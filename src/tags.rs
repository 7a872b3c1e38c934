//! Naming and tags: which file name each compiled module gets, which tag the wheel gets,
//! and one line saying why (see `docs/naming.md`).
//!
//! Everything is decided from the target [`Interpreter`]'s facts and the project's
//! modules, never from how cffi-forge itself was built:
//!
//! | target                         | module file          | wheel tag                  |
//! |--------------------------------|----------------------|----------------------------|
//! | CPython, limited API possible  | `_foo.abi3.so` / `.pyd` (floor ≥ 3.15: `.abi3-<SOABI_PLATFORM>.so`) | `cp3X-abi3-<platform>` |
//! | free-threaded CPython 3.15+    | `_foo.abi3t.so` / `.pyd` | `cp3X-abi3.abi3t-<platform>` (X ≥ 15) |
//! | CPython debug / free-threaded before 3.15, or a module with `py_limited_api=False` | `EXT_SUFFIX` | `cpXY-cpXY[t][d]-<platform>` |
//! | PyPy                           | `EXT_SUFFIX`         | `pp3X-pypy3X_pp73-<platform>` |
//! | only ABI-mode modules          | `_foo.py`            | `py3-none-any`             |
//!
//! `3.X` in `cp3X-abi3` is the abi3 floor: `py-limited-api = "cp3X"` when set, else the
//! lower bound of `requires-python`, else the building interpreter's version (the only
//! version the build proves anything about).

use std::fmt;

use crate::compile::LimitedApi;
use crate::interpreter::Interpreter;
use crate::metadata::VersionSpecifiers;
use crate::spec::ModuleSpec;

/// A wheel tag `{python}-{abi}-{platform}`; each part may be a `.`-separated set
/// (`py2.py3`), as in wheel file names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WheelTag {
    pub python: String,
    pub abi: String,
    pub platform: String,
}

impl WheelTag {
    pub fn new(python: impl Into<String>, abi: impl Into<String>, platform: impl Into<String>) -> Self {
        Self { python: python.into(), abi: abi.into(), platform: platform.into() }
    }

    /// `py3-none-any`.
    pub fn pure() -> Self {
        Self::new("py3", "none", "any")
    }

    pub fn is_pure(&self) -> bool {
        self.abi == "none" && self.platform == "any"
    }

    /// Every single tag of a compressed tag set, for the `Tag:` lines of `WHEEL`.
    pub fn expanded(&self) -> Vec<String> {
        let mut out = Vec::new();
        for python in self.python.split('.') {
            for abi in self.abi.split('.') {
                for platform in self.platform.split('.') {
                    out.push(format!("{python}-{abi}-{platform}"));
                }
            }
        }
        out
    }
}

impl fmt::Display for WheelTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}-{}", self.python, self.abi, self.platform)
    }
}

/// What naming needs to know about one module of the project.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleInput {
    /// Dotted module name, e.g. `pkg._foo`.
    pub name: String,
    /// API mode (compiled); `false` for an ABI-mode module (a generated `.py`).
    pub compiled: bool,
    /// The module's `py_limited_api` (`None` = default: abi3 where possible).
    pub py_limited_api: Option<bool>,
    pub kind: ModuleKind,
}

/// What kind of module, for the reason line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModuleKind {
    /// A CFFI module (build script or declarative table).
    Cffi,
    /// A plain C/C++ extension (`[[tool.cffi-forge.extension]]`).
    Extension,
}

impl ModuleInput {
    /// A CFFI module: `compiled` in API mode.
    pub fn cffi(name: impl Into<String>, compiled: bool, py_limited_api: Option<bool>) -> Self {
        Self { name: name.into(), compiled, py_limited_api, kind: ModuleKind::Cffi }
    }

    /// A plain extension, always compiled; limited API only when its table says so.
    pub fn extension(name: impl Into<String>, py_limited_api: bool) -> Self {
        Self {
            name: name.into(),
            compiled: true,
            py_limited_api: Some(py_limited_api),
            kind: ModuleKind::Extension,
        }
    }
}

impl From<&ModuleSpec> for ModuleInput {
    fn from(spec: &ModuleSpec) -> Self {
        Self::cffi(spec.name.clone(), spec.is_api_mode(), spec.options.py_limited_api)
    }
}

/// `[tool.cffi-forge] py-limited-api`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Abi3Policy {
    /// abi3 where possible, floor from `requires-python` (the default).
    #[default]
    Auto,
    /// `py-limited-api = "cp3X"`: abi3 where possible with this floor (3, X).
    Floor(u32, u32),
    /// `py-limited-api = false`: never abi3.
    Disabled,
}

/// Which stable ABI a limited-API build targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StableAbi {
    /// `abi3`, for CPython with the GIL: `Py_LIMITED_API`.
    Abi3,
    /// `abi3t` (PEP 803), for free-threaded CPython 3.15+: `Py_LIMITED_API` and
    /// `Py_TARGET_ABI3T`. Such a module also loads on 3.15+ with the GIL (it is abi3 too),
    /// so the wheel carries the compressed tag set `abi3.abi3t`.
    Abi3t,
}

impl StableAbi {
    /// The first CPython that has this stable ABI.
    pub fn first_version(self) -> (u32, u32) {
        match self {
            StableAbi::Abi3 => (3, 2),
            StableAbi::Abi3t => (3, 15),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            StableAbi::Abi3 => "abi3",
            StableAbi::Abi3t => "abi3t",
        }
    }

    /// The ABI part of the wheel tag.
    pub fn wheel_abi(self) -> &'static str {
        match self {
            StableAbi::Abi3 => "abi3",
            StableAbi::Abi3t => "abi3.abi3t",
        }
    }
}

/// The naming decision for a whole wheel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Naming {
    pub tag: WheelTag,
    /// Whether the wheel is tagged abi3 (`abi3` or `abi3.abi3t`).
    pub abi3: bool,
    /// The abi3 floor (3, X) when `abi3`; compilation may define `Py_LIMITED_API` to it.
    pub abi3_floor: Option<(u32, u32)>,
    /// The stable ABI of the limited-API modules when `abi3`.
    pub stable_abi: Option<StableAbi>,
    /// One line for the build output: why the wheel is or is not abi3.
    pub reason: String,
    /// One entry per input module, in input order.
    pub modules: Vec<ModuleFile>,
}

impl Naming {
    /// How `file` is compiled when the wheel is abi3: its stable ABI and the floor.
    /// `None` when the wheel is not abi3 or the module is not built for the limited API.
    pub fn limited_api(&self, file: &ModuleFile) -> Option<LimitedApi> {
        let (major, minor) = self.abi3_floor?;
        match self.stable_abi? {
            _ if !file.limited_api => None,
            StableAbi::Abi3 => Some(LimitedApi::Abi3 { major, minor }),
            StableAbi::Abi3t => Some(LimitedApi::Abi3t { major, minor }),
        }
    }
}

/// Where one module goes in the wheel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleFile {
    pub name: String,
    /// Compile this module with `Py_LIMITED_API` (its file is named `.abi3`).
    pub limited_api: bool,
    /// File name, e.g. `_foo.abi3.so`, `_foo.cpython-311-x86_64-linux-gnu.so`, `_foo.py`.
    pub file_name: String,
    /// Path inside the wheel, e.g. `pkg/_foo.abi3.so`.
    pub archive_path: String,
}

/// Decide file names and the wheel tag.
pub fn decide(
    interpreter: &Interpreter,
    modules: &[ModuleInput],
    requires_python: Option<&VersionSpecifiers>,
    policy: Abi3Policy,
) -> Naming {
    let (major, minor) = interpreter.version;
    let compiled: Vec<&ModuleInput> = modules.iter().filter(|m| m.compiled).collect();

    // Why the target as a whole cannot use the limited API, if it cannot.
    let target_blocker = if interpreter.is_pypy() {
        Some("PyPy has no stable ABI (its modules use PyPy's own suffix)".to_string())
    } else if interpreter.debug {
        Some("this is a debug build of CPython (the limited API is off under Py_DEBUG)".to_string())
    } else if interpreter.free_threaded && (major, minor) < StableAbi::Abi3t.first_version() {
        Some(format!("free-threaded CPython {major}.{minor} has no stable ABI (abi3t starts with 3.15)"))
    } else if policy == Abi3Policy::Disabled {
        Some("`py-limited-api = false` in [tool.cffi-forge]".to_string())
    } else {
        None
    };
    let module_limited = |m: &ModuleInput| target_blocker.is_none() && m.py_limited_api != Some(false);
    let stable_abi = if interpreter.free_threaded { StableAbi::Abi3t } else { StableAbi::Abi3 };
    // The floor the limited-API modules are built for (and named after: 3.15's
    // platform-specific abi3 suffix is only loadable from 3.15 on).
    let (floor, floor_why) = abi3_floor(interpreter, requires_python, policy, stable_abi);

    let module_files = modules
        .iter()
        .map(|m| {
            let limited_api = m.compiled && module_limited(m);
            let suffix = if !m.compiled {
                ".py".to_string()
            } else if limited_api {
                limited_api_suffix(interpreter, stable_abi, floor)
            } else {
                interpreter.ext_suffix.clone()
            };
            let basename = m.name.rsplit('.').next().unwrap_or(&m.name);
            ModuleFile {
                name: m.name.clone(),
                limited_api,
                file_name: format!("{basename}{suffix}"),
                archive_path: format!("{}{suffix}", m.name.replace('.', "/")),
            }
        })
        .collect();

    if compiled.is_empty() {
        let reason = if modules.is_empty() {
            "py3-none-any: no compiled modules".to_string()
        } else {
            "py3-none-any: only ABI-mode modules, no compiled code".to_string()
        };
        return Naming {
            tag: WheelTag::pure(),
            abi3: false,
            abi3_floor: None,
            stable_abi: None,
            reason,
            modules: module_files,
        };
    }

    let platform = platform_tag(interpreter);
    if interpreter.is_pypy() {
        let abi = interpreter
            .soabi
            .as_deref()
            .map(|s| s.replace(['-', '.'], "_"))
            .unwrap_or_else(|| format!("pypy{major}{minor}_pp73"));
        let tag = WheelTag::new(format!("pp{major}{minor}"), abi, platform);
        let reason = format!("not abi3: {}", target_blocker.unwrap_or_default());
        return Naming {
            tag,
            abi3: false,
            abi3_floor: None,
            stable_abi: None,
            reason,
            modules: module_files,
        };
    }

    let version_specific = || {
        let abi = format!(
            "cp{major}{minor}{}{}",
            if interpreter.free_threaded { "t" } else { "" },
            if interpreter.debug { "d" } else { "" }
        );
        WheelTag::new(format!("cp{major}{minor}"), abi, platform.clone())
    };
    if let Some(blocker) = target_blocker {
        return Naming {
            tag: version_specific(),
            abi3: false,
            abi3_floor: None,
            stable_abi: None,
            reason: format!("not abi3: {blocker}"),
            modules: module_files,
        };
    }
    // The modules that decide against abi3, named in the reason line.
    let opted_out = |kind: ModuleKind| -> Vec<String> {
        compiled
            .iter()
            .filter(|m| m.kind == kind && m.py_limited_api == Some(false))
            .map(|m| format!("`{}`", m.name))
            .collect()
    };
    let (modules_out, extensions_out) = (opted_out(ModuleKind::Cffi), opted_out(ModuleKind::Extension));
    if !modules_out.is_empty() || !extensions_out.is_empty() {
        let plural = |n: usize, one: &'static str, many: &'static str| if n == 1 { one } else { many };
        let mut why = Vec::new();
        if !modules_out.is_empty() {
            why.push(format!(
                "py_limited_api=False in {} {}",
                plural(modules_out.len(), "module", "modules"),
                modules_out.join(", ")
            ));
        }
        if !extensions_out.is_empty() {
            why.push(format!(
                "{} {} {} not built for the limited API (`py-limited-api = true` in {} table opts in)",
                plural(extensions_out.len(), "extension", "extensions"),
                extensions_out.join(", "),
                plural(extensions_out.len(), "is", "are"),
                plural(extensions_out.len(), "its", "their"),
            ));
        }
        return Naming {
            tag: version_specific(),
            abi3: false,
            abi3_floor: None,
            stable_abi: None,
            reason: format!("not abi3: {}", why.join("; ")),
            modules: module_files,
        };
    }

    let tag = WheelTag::new(format!("cp{}{}", floor.0, floor.1), stable_abi.wheel_abi(), platform);
    let what = match stable_abi {
        StableAbi::Abi3 => "abi3",
        StableAbi::Abi3t => "abi3t: free-threaded, and abi3",
    };
    let reason = format!(
        "{what} ({tag}): every compiled module uses the limited API; floor {}.{} from {floor_why}",
        floor.0, floor.1
    );
    Naming {
        tag,
        abi3: true,
        abi3_floor: Some(floor),
        stable_abi: Some(stable_abi),
        reason,
        modules: module_files,
    }
}

/// The floor (3, X) of a limited-API build and where it comes from: `py-limited-api =
/// "cp3X"`, else the lower bound of `requires-python`, else the building interpreter;
/// raised to the first version of the stable ABI (3.15 for abi3t).
fn abi3_floor(
    interpreter: &Interpreter,
    requires_python: Option<&VersionSpecifiers>,
    policy: Abi3Policy,
    stable_abi: StableAbi,
) -> ((u32, u32), String) {
    let (major, minor) = interpreter.version;
    let (floor, why) = match policy {
        Abi3Policy::Floor(a, b) => ((a, b), format!("`py-limited-api = \"cp{a}{b}\"`")),
        _ => match requires_python.and_then(lower_bound) {
            Some((a, b)) => {
                let spec = requires_python.map(|s| s.to_string()).unwrap_or_default();
                ((a, b), format!("the lower bound of requires-python `{spec}`"))
            }
            None => (
                (major, minor),
                format!("no requires-python lower bound, so the building Python {major}.{minor}"),
            ),
        },
    };
    let first = stable_abi.first_version();
    if floor < first {
        let (a, b) = first;
        let name = stable_abi.name();
        return (first, format!("{name}'s first version {a}.{b} ({why} says {}.{})", floor.0, floor.1));
    }
    (floor, why)
}

/// The file suffix of a limited-API module. Windows has no stable-ABI suffix: plain `.pyd`.
/// abi3: `.abi3.so`, which every CPython 3.2+ loads; 3.15's platform-specific
/// `.abi3-<SOABI_PLATFORM>.so` only when the floor is 3.15 or newer and the target offers
/// it, since older interpreters do not load it. abi3t: `.abi3t.so` (3.15+ loads it with or
/// without the GIL; free-threaded builds no longer load `.abi3.so`).
fn limited_api_suffix(interpreter: &Interpreter, stable_abi: StableAbi, floor: (u32, u32)) -> String {
    if interpreter.is_windows() || interpreter.ext_suffix.ends_with(".pyd") {
        return ".pyd".to_string();
    }
    let offered =
        |wanted: &dyn Fn(&str) -> bool| interpreter.extension_suffixes.iter().find(|s| wanted(s)).cloned();
    match stable_abi {
        StableAbi::Abi3t => offered(&|s| s.starts_with(".abi3t.")).unwrap_or_else(|| ".abi3t.so".to_string()),
        StableAbi::Abi3 => {
            let platform_specific =
                (floor >= (3, 15)).then(|| offered(&|s| s.starts_with(".abi3-"))).flatten();
            platform_specific
                .or_else(|| offered(&|s| s.starts_with(".abi3.")))
                .unwrap_or_else(|| ".abi3.so".to_string())
        }
    }
}

/// The (major, minor) lower bound of `requires-python`, from its `>=`, `>`, `==`, `~=`
/// clauses (the highest if several). `None` when it has no lower bound. Bounds below
/// 3.2, where abi3 starts, are raised to 3.2.
pub fn lower_bound(specifiers: &VersionSpecifiers) -> Option<(u32, u32)> {
    use pep440_rs::Operator::*;
    let mut best: Option<(u32, u32)> = None;
    for specifier in specifiers.iter() {
        let bounded = matches!(
            specifier.operator(),
            GreaterThanEqual | GreaterThan | Equal | EqualStar | TildeEqual | ExactEqual
        );
        if !bounded {
            continue;
        }
        let release = specifier.version().release();
        let major = *release.first()? as u32;
        let minor = release.get(1).copied().unwrap_or(0) as u32;
        if best.is_none_or(|b| (major, minor) > b) {
            best = Some((major, minor));
        }
    }
    best.map(|b| b.max((3, 2)))
}

/// The platform part of the wheel tag: `sysconfig.get_platform()` of the target
/// (which honours `_PYTHON_HOST_PLATFORM`) in wheel form: `linux_x86_64`,
/// `macosx_11_0_arm64`, `win_amd64`. On macOS, `MACOSX_DEPLOYMENT_TARGET` in the
/// environment (which the compiler also obeys) sets the version part.
pub fn platform_tag(interpreter: &Interpreter) -> String {
    let target = std::env::var("MACOSX_DEPLOYMENT_TARGET").ok();
    platform_tag_with(interpreter, target.as_deref().filter(|t| !t.trim().is_empty()))
}

fn platform_tag_with(interpreter: &Interpreter, deployment_target: Option<&str>) -> String {
    let (platform, overridden) = match &interpreter.host_platform_env {
        Some(env) if !env.is_empty() => (env.as_str(), true),
        _ => (interpreter.platform.as_str(), false),
    };
    let mut tag = platform.replace(['-', '.', ' '], "_");
    if let (Some(target), false) = (deployment_target, overridden) {
        // `macosx-10.9-universal2` → `macosx_<target>_universal2`; from macOS 11 on only
        // the major version counts (`11.3` → `11_0`), as installers expect.
        if let Some(arch) =
            platform.strip_prefix("macosx-").and_then(|rest| rest.split_once('-')).map(|(_, a)| a)
        {
            let mut parts = target.trim().split('.');
            let major: Option<u32> = parts.next().and_then(|m| m.parse().ok());
            let minor: u32 = parts.next().and_then(|m| m.parse().ok()).unwrap_or(0);
            if let Some(major) = major {
                let minor = if major >= 11 { 0 } else { minor };
                tag = format!("macosx_{major}_{minor}_{}", arch.replace(['-', '.'], "_"));
            }
        }
    }
    // A 32-bit Python on a 64-bit Linux kernel reports the kernel's machine; name the
    // userland's instead, as `packaging.tags` does.
    if interpreter.pointer_bits == 32 {
        match tag.as_str() {
            "linux_x86_64" => return "linux_i686".to_string(),
            "linux_aarch64" => return "linux_armv7l".to_string(),
            _ => {}
        }
    }
    tag
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interpreter::tests::{cpython, pypy};

    fn api(name: &str) -> ModuleInput {
        ModuleInput::cffi(name, true, None)
    }
    fn abi(name: &str) -> ModuleInput {
        ModuleInput::cffi(name, false, None)
    }

    #[test]
    fn cpython_api_mode_is_abi3_with_floor_from_requires_python() {
        let interp = cpython(3, 11);
        let rp: VersionSpecifiers = ">=3.8, <4".parse().unwrap();
        let n = decide(&interp, &[api("pkg._foo"), abi("pkg._bar")], Some(&rp), Abi3Policy::Auto);
        assert_eq!(n.tag.to_string(), "cp38-abi3-linux_x86_64");
        assert!(n.abi3);
        assert_eq!(n.abi3_floor, Some((3, 8)));
        assert_eq!(n.modules[0].archive_path, "pkg/_foo.abi3.so");
        assert!(n.modules[0].limited_api);
        assert_eq!(n.modules[1].archive_path, "pkg/_bar.py");
        assert!(n.reason.starts_with("abi3 (cp38-abi3-linux_x86_64)"), "{}", n.reason);
        assert!(n.reason.contains("requires-python `>=3.8, <4`"), "{}", n.reason);
    }

    #[test]
    fn floor_defaults_to_the_building_python_and_config_overrides() {
        let interp = cpython(3, 12);
        let n = decide(&interp, &[api("_foo")], None, Abi3Policy::Auto);
        assert_eq!(n.tag.to_string(), "cp312-abi3-linux_x86_64");
        assert!(n.reason.contains("building Python 3.12"), "{}", n.reason);
        let rp: VersionSpecifiers = ">=3.8".parse().unwrap();
        let n = decide(&interp, &[api("_foo")], Some(&rp), Abi3Policy::Floor(3, 10));
        assert_eq!(n.tag.to_string(), "cp310-abi3-linux_x86_64");
        assert!(n.reason.contains("py-limited-api = \"cp310\""), "{}", n.reason);
    }

    #[test]
    fn opt_out_module_makes_the_wheel_version_specific_but_others_stay_abi3() {
        let interp = cpython(3, 11);
        let mut off = api("pkg._off");
        off.py_limited_api = Some(false);
        let n = decide(&interp, &[api("pkg._on"), off], None, Abi3Policy::Auto);
        assert_eq!(n.tag.to_string(), "cp311-cp311-linux_x86_64");
        assert!(!n.abi3);
        assert_eq!(n.modules[0].file_name, "_on.abi3.so");
        assert_eq!(n.modules[1].file_name, "_off.cpython-311-x86_64-linux-gnu.so");
        assert_eq!(n.reason, "not abi3: py_limited_api=False in module `pkg._off`");
    }

    #[test]
    fn a_plain_extension_decides_unless_it_opts_in() {
        let interp = cpython(3, 11);
        let rp: VersionSpecifiers = ">=3.9".parse().unwrap();
        let n = decide(
            &interp,
            &[api("pkg._ffi"), ModuleInput::extension("pkg._speedups", false)],
            Some(&rp),
            Abi3Policy::Auto,
        );
        assert_eq!(n.tag.to_string(), "cp311-cp311-linux_x86_64");
        assert_eq!(
            n.reason,
            "not abi3: extension `pkg._speedups` is not built for the limited API \
             (`py-limited-api = true` in its table opts in)"
        );
        // The CFFI module keeps its abi3 file name; the extension gets the full suffix.
        assert_eq!(n.modules[0].file_name, "_ffi.abi3.so");
        assert_eq!(n.modules[1].file_name, "_speedups.cpython-311-x86_64-linux-gnu.so");

        let n = decide(
            &interp,
            &[api("pkg._ffi"), ModuleInput::extension("pkg._speedups", true)],
            Some(&rp),
            Abi3Policy::Auto,
        );
        assert_eq!(n.tag.to_string(), "cp39-abi3-linux_x86_64");
        assert!(n.modules[1].limited_api);
        assert_eq!(n.modules[1].archive_path, "pkg/_speedups.abi3.so");

        let mut off = api("pkg._off");
        off.py_limited_api = Some(false);
        let n = decide(
            &interp,
            &[off, ModuleInput::extension("a", false), ModuleInput::extension("b", false)],
            None,
            Abi3Policy::Auto,
        );
        assert_eq!(
            n.reason,
            "not abi3: py_limited_api=False in module `pkg._off`; extensions `a`, `b` are not built \
             for the limited API (`py-limited-api = true` in their table opts in)"
        );
    }

    #[test]
    fn debug_and_free_threaded_builds_are_not_abi3() {
        let mut interp = cpython(3, 13);
        interp.free_threaded = true;
        interp.ext_suffix = ".cpython-313t-x86_64-linux-gnu.so".into();
        let n = decide(&interp, &[api("_foo")], None, Abi3Policy::Auto);
        assert_eq!(n.tag.to_string(), "cp313-cp313t-linux_x86_64");
        assert_eq!(n.modules[0].file_name, "_foo.cpython-313t-x86_64-linux-gnu.so");
        assert!(n.reason.contains("free-threaded CPython 3.13"), "{}", n.reason);

        let mut interp = cpython(3, 11);
        interp.debug = true;
        let n = decide(&interp, &[api("_foo")], None, Abi3Policy::Auto);
        assert_eq!(n.tag.abi, "cp311d");
        assert!(n.reason.contains("debug build"), "{}", n.reason);
        assert!(!n.modules[0].limited_api);
    }

    /// CPython 3.15 as Debian sid's 3.15.2 reports itself (`EXTENSION_SUFFIXES`).
    fn cpython315() -> Interpreter {
        let mut interp = cpython(3, 15);
        interp.extension_suffixes = [
            ".cpython-315-x86_64-linux-gnu.so",
            ".abi3-x86_64-linux-gnu.so",
            ".abi3.so",
            ".abi3t-x86_64-linux-gnu.so",
            ".abi3t.so",
            ".so",
        ]
        .map(String::from)
        .to_vec();
        interp
    }

    /// A free-threaded CPython 3.`minor` (3.15t loads no `.abi3.so`, PEP 803).
    fn free_threaded(minor: u32) -> Interpreter {
        let mut interp = cpython(3, minor);
        interp.free_threaded = true;
        interp.abiflags = "t".into();
        interp.ext_suffix = format!(".cpython-3{minor}t-x86_64-linux-gnu.so");
        interp.extension_suffixes = vec![interp.ext_suffix.clone(), ".so".into()];
        if minor >= 15 {
            interp.extension_suffixes.insert(1, ".abi3t.so".into());
        }
        interp
    }

    #[test]
    fn platform_specific_abi3_suffix_only_with_a_315_floor() {
        // A 3.8 floor built on 3.15: 3.8–3.13 load `.abi3.so` but not 3.15's
        // `.abi3-x86_64-linux-gnu.so`, even though 3.15 lists that one first.
        let rp: VersionSpecifiers = ">=3.8".parse().unwrap();
        let n = decide(&cpython315(), &[api("pkg._foo")], Some(&rp), Abi3Policy::Auto);
        assert_eq!(n.tag.to_string(), "cp38-abi3-linux_x86_64");
        assert_eq!(n.modules[0].file_name, "_foo.abi3.so");
        assert_eq!(n.stable_abi, Some(StableAbi::Abi3));
        assert_eq!(n.limited_api(&n.modules[0]), Some(LimitedApi::Abi3 { major: 3, minor: 8 }));

        // A 3.15 floor: only 3.15+ installs the wheel, so the platform-specific name is safe.
        let rp: VersionSpecifiers = ">=3.15".parse().unwrap();
        let n = decide(&cpython315(), &[api("pkg._foo")], Some(&rp), Abi3Policy::Auto);
        assert_eq!(n.tag.to_string(), "cp315-abi3-linux_x86_64");
        assert_eq!(n.modules[0].archive_path, "pkg/_foo.abi3-x86_64-linux-gnu.so");
        let n = decide(&cpython315(), &[api("_foo")], None, Abi3Policy::Auto);
        assert_eq!(n.modules[0].file_name, "_foo.abi3-x86_64-linux-gnu.so");
        let n = decide(&cpython315(), &[api("_foo")], None, Abi3Policy::Floor(3, 14));
        assert_eq!(n.modules[0].file_name, "_foo.abi3.so");

        // A 3.15 floor on an interpreter without the platform-specific suffix.
        let n = decide(&cpython(3, 15), &[api("_foo")], None, Abi3Policy::Auto);
        assert_eq!(n.modules[0].file_name, "_foo.abi3.so");
    }

    #[test]
    fn free_threaded_314_is_version_specific() {
        let rp: VersionSpecifiers = ">=3.9".parse().unwrap();
        let n = decide(&free_threaded(14), &[api("pkg._foo")], Some(&rp), Abi3Policy::Auto);
        assert_eq!(n.tag.to_string(), "cp314-cp314t-linux_x86_64");
        assert_eq!(n.modules[0].file_name, "_foo.cpython-314t-x86_64-linux-gnu.so");
        assert!(!n.modules[0].limited_api && !n.abi3 && n.stable_abi.is_none());
        assert_eq!(n.limited_api(&n.modules[0]), None);
        assert_eq!(
            n.reason,
            "not abi3: free-threaded CPython 3.14 has no stable ABI (abi3t starts with 3.15)"
        );
    }

    #[test]
    fn free_threaded_315_is_abi3t_tagged_abi3_abi3t() {
        let rp: VersionSpecifiers = ">=3.9".parse().unwrap();
        let n = decide(&free_threaded(15), &[api("pkg._foo"), abi("pkg._bar")], Some(&rp), Abi3Policy::Auto);
        assert_eq!(n.tag.to_string(), "cp315-abi3.abi3t-linux_x86_64");
        assert_eq!(n.tag.expanded(), vec!["cp315-abi3-linux_x86_64", "cp315-abi3t-linux_x86_64"]);
        assert!(n.abi3);
        assert_eq!(n.stable_abi, Some(StableAbi::Abi3t));
        // The floor is raised to 3.15, the first version with abi3t.
        assert_eq!(n.abi3_floor, Some((3, 15)));
        assert_eq!(n.modules[0].archive_path, "pkg/_foo.abi3t.so");
        assert_eq!(n.modules[1].archive_path, "pkg/_bar.py");
        assert_eq!(n.limited_api(&n.modules[0]), Some(LimitedApi::Abi3t { major: 3, minor: 15 }));
        assert_eq!(
            n.reason,
            "abi3t: free-threaded, and abi3 (cp315-abi3.abi3t-linux_x86_64): every compiled module \
             uses the limited API; floor 3.15 from abi3t's first version 3.15 (the lower bound of \
             requires-python `>=3.9` says 3.9)"
        );
        // A floor above 3.15 stays.
        let n = decide(&free_threaded(15), &[api("_foo")], None, Abi3Policy::Floor(3, 16));
        assert_eq!(n.tag.to_string(), "cp316-abi3.abi3t-linux_x86_64");
        assert_eq!(n.limited_api(&n.modules[0]), Some(LimitedApi::Abi3t { major: 3, minor: 16 }));
        // Without requires-python the building 3.15 is the floor, and no note is needed.
        let n = decide(&free_threaded(15), &[api("_foo")], None, Abi3Policy::Auto);
        assert!(
            n.reason.ends_with("floor 3.15 from no requires-python lower bound, so the building Python 3.15"),
            "{}",
            n.reason
        );
    }

    #[test]
    fn free_threaded_315_opt_outs_debug_and_windows() {
        // `py-limited-api = false`: the interpreter's own suffix and tag.
        let n = decide(&free_threaded(15), &[api("_foo")], None, Abi3Policy::Disabled);
        assert_eq!(n.tag.to_string(), "cp315-cp315t-linux_x86_64");
        assert_eq!(n.modules[0].file_name, "_foo.cpython-315t-x86_64-linux-gnu.so");
        // A debug free-threaded build: no limited API at all.
        let mut interp = free_threaded(15);
        interp.debug = true;
        let n = decide(&interp, &[api("_foo")], None, Abi3Policy::Auto);
        assert_eq!(n.tag.abi, "cp315td");
        assert!(n.reason.contains("debug build"), "{}", n.reason);
        // Windows: no stable-ABI file suffix, `.pyd` as for abi3.
        let mut interp = free_threaded(15);
        interp.platform = "win-amd64".into();
        interp.ext_suffix = ".cp315t-win_amd64.pyd".into();
        interp.extension_suffixes = vec![interp.ext_suffix.clone(), ".pyd".into()];
        let n = decide(&interp, &[api("pkg._foo")], None, Abi3Policy::Auto);
        assert_eq!(n.tag.to_string(), "cp315-abi3.abi3t-win_amd64");
        assert_eq!(n.modules[0].file_name, "_foo.pyd");
    }

    #[test]
    fn disabled_by_config() {
        let n = decide(&cpython(3, 11), &[api("_foo")], None, Abi3Policy::Disabled);
        assert_eq!(n.tag.to_string(), "cp311-cp311-linux_x86_64");
        assert!(n.reason.contains("py-limited-api = false"), "{}", n.reason);
    }

    #[test]
    fn pypy_gets_its_own_suffix_and_tags() {
        let n = decide(&pypy(), &[api("pkg._foo")], None, Abi3Policy::Auto);
        assert_eq!(n.tag.to_string(), "pp39-pypy39_pp73-linux_x86_64");
        assert_eq!(n.modules[0].archive_path, "pkg/_foo.pypy39-pp73-x86_64-linux-gnu.so");
        assert!(n.reason.starts_with("not abi3: PyPy"), "{}", n.reason);
    }

    #[test]
    fn abi_mode_only_is_pure() {
        let n = decide(&pypy(), &[abi("pkg._foo")], None, Abi3Policy::Auto);
        assert_eq!(n.tag.to_string(), "py3-none-any");
        assert!(n.tag.is_pure());
        assert_eq!(n.modules[0].archive_path, "pkg/_foo.py");
    }

    #[test]
    fn windows_and_macos_names() {
        let mut interp = cpython(3, 11);
        interp.platform = "win-amd64".into();
        interp.ext_suffix = ".cp311-win_amd64.pyd".into();
        interp.extension_suffixes = vec![".cp311-win_amd64.pyd".into(), ".pyd".into()];
        let n = decide(&interp, &[api("pkg._foo")], None, Abi3Policy::Auto);
        assert_eq!(n.tag.to_string(), "cp311-abi3-win_amd64");
        assert_eq!(n.modules[0].file_name, "_foo.pyd");

        let mut interp = cpython(3, 11);
        interp.platform = "macosx-11.0-arm64".into();
        assert_eq!(platform_tag_with(&interp, None), "macosx_11_0_arm64");
        interp.host_platform_env = Some("macosx-10.9-universal2".into());
        assert_eq!(platform_tag_with(&interp, None), "macosx_10_9_universal2");
        let mut interp = cpython(3, 11);
        interp.pointer_bits = 32;
        assert_eq!(platform_tag_with(&interp, None), "linux_i686");
    }

    #[test]
    fn macos_deployment_target() {
        let mut interp = cpython(3, 12);
        interp.platform = "macosx-10.9-universal2".into();
        assert_eq!(platform_tag_with(&interp, None), "macosx_10_9_universal2");
        assert_eq!(platform_tag_with(&interp, Some("10.13")), "macosx_10_13_universal2");
        assert_eq!(platform_tag_with(&interp, Some("11.3")), "macosx_11_0_universal2");
        assert_eq!(platform_tag_with(&interp, Some("14")), "macosx_14_0_universal2");
        // Not macOS, or an explicit host platform: the target does not apply.
        assert_eq!(platform_tag_with(&cpython(3, 12), Some("11.0")), "linux_x86_64");
        interp.host_platform_env = Some("macosx-11.0-arm64".into());
        assert_eq!(platform_tag_with(&interp, Some("12.0")), "macosx_11_0_arm64");
    }

    #[test]
    fn requires_python_lower_bounds() {
        let lb = |s: &str| lower_bound(&s.parse().unwrap());
        assert_eq!(lb(">=3.8"), Some((3, 8)));
        assert_eq!(lb(">=3.8,!=3.9.*"), Some((3, 8)));
        assert_eq!(lb(">3.9.1"), Some((3, 9)));
        assert_eq!(lb("~=3.10"), Some((3, 10)));
        assert_eq!(lb("==3.11.*"), Some((3, 11)));
        assert_eq!(lb(">=3.7, >=3.9"), Some((3, 9)));
        assert_eq!(lb("<4"), None);
        assert_eq!(lb(">=2.7"), Some((3, 2)));
    }

    #[test]
    fn expanded_tags() {
        assert_eq!(WheelTag::new("py2.py3", "none", "any").expanded(), vec!["py2-none-any", "py3-none-any"]);
    }
}
