//! macOS targets built on another OS (Linux here): no Xcode, so the compiler, the SDK and
//! the merging of universal2 slices are found and driven by cffi-forge.
//!
//! - Compiler: `CC`/`CXX` if set; else a `clang` on PATH (`clang`, `clang-20` … `clang-14`)
//!   with `--target` and an SDK (`SDKROOT`: a directory with `usr/include` and
//!   `usr/lib/libSystem.tbd`), linking with `ld64.lld` (`-fuse-ld=lld`); else `zig cc`
//!   when `ZIG_COMMAND` is set or the building interpreter can import `ziglang` (zig
//!   brings its own macOS headers and libSystem stubs).
//! - Link: a real `MH_BUNDLE` (`-bundle -undefined dynamic_lookup`), as CPython's own
//!   `LDSHARED` on macOS; Python's symbols stay undefined and are found in the loading
//!   interpreter by flat lookup, so no libpython is linked. zig cannot link bundles (it
//!   crashes on `-bundle`): with zig a module is an `MH_DYLIB` (`-shared -undefined
//!   dynamic_lookup`), which CPython's `dlopen` loads the same way. An embedding library
//!   is an `MH_DYLIB` (`-dynamiclib`): programs link it; `cffi-forge embed` links it
//!   with a libpython stub (see `macos_libpython`), so its Python symbols are bound to
//!   libpython, not looked up flat.
//! - universal2: each slice (arm64, x86_64) is built by its own toolchain, every module
//!   is then merged with `lipo` (`LIPO`, else `llvm-lipo`, `llvm-lipo-NN`, `lipo`).
//!
//! On a macOS host none of this applies: Apple's clang knows its SDK and `-arch`.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::cache::{Key, Lookup, Store};
use super::{CompileError, Env, Output};
use crate::interpreter::Interpreter;

/// How the compiler of a macOS cross build was chosen, which decides its extra flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A clang (from PATH, or `CC` naming one): `-isysroot`, `-fuse-ld=lld`, `-bundle`.
    Clang,
    /// `zig cc`: `-target <arch>-macos.<version>`, `-shared`.
    Zig { target: String },
    /// Another compiler from `CC` (osxcross' `o64-clang`, say): it knows its SDK and linker.
    User,
}

/// The macOS cross setup of one single-architecture toolchain.
#[derive(Clone, Debug)]
pub struct Setup {
    pub kind: Kind,
    /// `-isysroot` for clang.
    sdk: Option<PathBuf>,
    /// `CC`/`CXX` for the `cc` crate, when cffi-forge chose the compiler.
    cc: Option<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum DarwinError {
    #[error("no C compiler for macOS target {target}")]
    NoCompiler { target: String, tried: Vec<String> },
    #[error("no `lipo` to merge the slices of a universal2 module")]
    NoLipo { tried: Vec<String> },
}

impl DarwinError {
    pub fn tried(&self) -> &[String] {
        match self {
            DarwinError::NoCompiler { tried, .. } | DarwinError::NoLipo { tried } => tried,
        }
    }

    pub fn help(&self) -> &'static str {
        match self {
            DarwinError::NoCompiler { .. } => {
                "install clang and lld (Debian/Ubuntu: `apt-get install clang-16 lld-16`) and point SDKROOT \
                 at a macOS SDK (tests/provision/macos-sdk.sh makes one from zig's), or `pip install \
                 ziglang` in the building interpreter, or set CC (and CXX) to a macOS cross compiler; see \
                 docs/cross.md"
            }
            DarwinError::NoLipo { .. } => {
                "install LLVM's tools (Debian/Ubuntu: `apt-get install llvm-16`), or set LIPO to a lipo"
            }
        }
    }
}

/// Whether `interp` is a macOS target built on another OS.
pub fn is_cross(interp: &Interpreter) -> bool {
    interp.is_macos() && !cfg!(target_os = "macos")
}

/// The architectures a cross build of `interp` compiles: two for universal2.
pub fn slices(interp: &Interpreter) -> Vec<&'static str> {
    match interp.platform.rsplit('-').next() {
        Some("universal2") => vec!["arm64", "x86_64"],
        Some("arm64") => vec!["arm64"],
        _ => vec!["x86_64"],
    }
}

/// The target of one slice of a universal2 build: its own architecture and deployment
/// target (arm64 never below 11.0).
pub fn slice(interp: &Interpreter, arch: &'static str) -> Interpreter {
    let requested = interp
        .macosx_deployment_target
        .as_deref()
        .and_then(crate::cross::parse_macos_version)
        .unwrap_or((10, 12));
    let (major, minor) = crate::cross::slice_deployment_target(arch, requested);
    let mut slice = interp.clone();
    slice.platform = format!("macosx-{major}.{minor}-{arch}");
    slice.host_platform_env = Some(slice.platform.clone());
    slice.machine = arch.into();
    slice.macosx_deployment_target = Some(format!("{major}.{minor}"));
    slice
}

/// On a macOS host, the `-arch` flags that replace the compiler's own: `ARCHFLAGS` when
/// set (as setuptools does), else both architectures for a universal2 target (python.org's
/// universal2 CPythons compile fat through their own CFLAGS, which cffi-forge does not
/// pass on), else none: a universal2 wheel must never hold a single-architecture module.
pub fn native_arch_flags(interp: &Interpreter, archflags: Vec<String>) -> Vec<String> {
    if archflags.is_empty() && interp.platform.ends_with("-universal2") {
        return ["-arch", "arm64", "-arch", "x86_64"].map(String::from).to_vec();
    }
    archflags
}

/// The deployment target the compiler is told.
pub fn deployment_target(interp: &Interpreter) -> Option<String> {
    interp.macosx_deployment_target.clone()
}

fn var<'a>(env: &'a Env, key: &str) -> Option<&'a str> {
    env.get(OsStr::new(key)).and_then(|v| v.to_str()).map(str::trim).filter(|v| !v.is_empty())
}

/// A program on the build's PATH (not cffi-forge's own).
fn on_path(env: &Env, name: &str) -> Option<PathBuf> {
    let path = env.get(OsStr::new("PATH")).cloned().unwrap_or_default();
    which::which_in(name, Some(path), std::env::current_dir().ok()?).ok()
}

fn file_name_of(program: &str) -> &str {
    let first = program.split_whitespace().next().unwrap_or(program);
    first.rsplit('/').next().unwrap_or(first)
}

/// `clang`, `clang-16`, `clang++-16`: a clang that needs an SDK and lld from us.
fn is_plain_clang(program: &str) -> bool {
    let name = file_name_of(program);
    let rest = name.strip_prefix("clang++").or_else(|| name.strip_prefix("clang"));
    match rest {
        Some("") => true,
        Some(version) => {
            version.strip_prefix('-').is_some_and(|v| !v.is_empty() && v.chars().all(|c| c.is_ascii_digit()))
        }
        None => false,
    }
}

/// A usable SDK: `SDKROOT`, when it holds the C headers and libSystem's stubs.
fn sdk(env: &Env, tried: &mut Vec<String>) -> Option<PathBuf> {
    let Some(root) = var(env, "SDKROOT") else {
        tried.push("SDKROOT: not set (clang needs a macOS SDK)".into());
        return None;
    };
    let root = PathBuf::from(root);
    let has = |rel: &str| root.join(rel).is_file();
    if has("usr/include/stdio.h") && (has("usr/lib/libSystem.tbd") || has("usr/lib/libSystem.B.tbd")) {
        Some(root)
    } else {
        tried.push(format!(
            "SDKROOT `{}`: no macOS SDK there (needs usr/include/stdio.h and usr/lib/libSystem.tbd)",
            root.display()
        ));
        None
    }
}

/// zig's `-target` for `arch` at deployment target `version`: `aarch64-macos.11.0`.
fn zig_target(arch: &str, version: &str) -> String {
    let arch = if arch == "arm64" { "aarch64" } else { arch };
    format!("{arch}-macos.{version}")
}

/// The zig binary: `ZIG_COMMAND` (`python -m ziglang`, `/opt/zig/zig`), else the one of
/// the `ziglang` package the building interpreter imports.
fn find_zig(interp: &Interpreter, env: &Env, tried: &mut Vec<String>) -> Option<String> {
    if let Some(command) = var(env, "ZIG_COMMAND") {
        return Some(command.to_string());
    }
    let output = Command::new(&interp.executable)
        .args(["-c", "import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), 'zig'))"])
        .env_clear()
        .envs(env)
        .output();
    match output {
        Ok(out) if out.status.success() => {
            let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
            if Path::new(&path).is_file() {
                return Some(path);
            }
            tried.push(format!(
                "zig: `ziglang` imports in {} but has no `{path}`",
                interp.executable.display()
            ));
        }
        _ => tried.push(format!(
            "zig: ZIG_COMMAND is not set and {} cannot import `ziglang`",
            interp.executable.display()
        )),
    }
    None
}

/// Choose the compiler of a single-architecture macOS cross build (see the module docs).
pub fn setup(interp: &Interpreter, env: &Env) -> Result<Setup, DarwinError> {
    let mut tried = Vec::new();
    let arch = slices(interp)[0];
    if let Some(cc) = var(env, "CC") {
        let kind = if is_plain_clang(cc) {
            Kind::Clang
        } else if file_name_of(cc).contains("zig") || cc.contains("ziglang") {
            Kind::Zig { target: zig_target(arch, &deployment_target(interp).unwrap_or_default()) }
        } else {
            Kind::User
        };
        let sdk = if kind == Kind::Clang { sdk(env, &mut Vec::new()) } else { None };
        return Ok(Setup { kind, sdk, cc: None });
    }
    let sdk = sdk(env, &mut tried);
    let mut found_clang = false;
    for version in std::iter::once(String::new()).chain((14..=20).rev().map(|v| format!("-{v}"))) {
        let (c, cxx) = (format!("clang{version}"), format!("clang++{version}"));
        let Some(path) = on_path(env, &c) else { continue };
        found_clang = true;
        if let Some(sdk) = &sdk {
            let cxx = on_path(env, &cxx).map(|p| p.display().to_string()).unwrap_or(cxx);
            return Ok(Setup {
                kind: Kind::Clang,
                sdk: Some(sdk.clone()),
                cc: Some((path.display().to_string(), cxx)),
            });
        }
        tried.push(format!("{}: found, but without a macOS SDK", path.display()));
        break;
    }
    if !found_clang {
        tried.push("clang, clang-20 … clang-14: not on PATH".into());
    }
    if let Some(zig) = find_zig(interp, env, &mut tried) {
        let target = zig_target(arch, &deployment_target(interp).unwrap_or_default());
        return Ok(Setup {
            kind: Kind::Zig { target },
            sdk: None,
            cc: Some((format!("{zig} cc"), format!("{zig} c++"))),
        });
    }
    Err(DarwinError::NoCompiler { target: crate::compile::target_triple(interp), tried })
}

impl Setup {
    /// The environment the `cc` crate configures the compiler from.
    pub fn cc_env(&self, mut env: Env) -> Env {
        if let Some((c, cxx)) = &self.cc {
            env.insert("CC".into(), c.into());
            env.insert("CXX".into(), cxx.into());
        }
        env
    }

    /// Adjust a compiler command line (`cc`'s program and base flags) for the target.
    pub fn adjust(&self, args: &mut Vec<OsString>) {
        match &self.kind {
            Kind::Clang => {
                if let Some(sdk) = &self.sdk {
                    if !args.iter().any(|a| a == "-isysroot") {
                        args.push("-isysroot".into());
                        args.push(sdk.into());
                    }
                }
            }
            // zig reads its own triples, not clang's: `--target=arm64-apple-macosx` is
            // an unknown architecture to it.
            Kind::Zig { target } => {
                args.retain(|a| !a.to_string_lossy().starts_with("--target="));
                args.push("-target".into());
                args.push(target.into());
            }
            Kind::User => {}
        }
    }

    /// The flags that make the driver link `file_name`, replacing `-shared`: a bundle for
    /// an extension module; for an embedding library an `MH_DYLIB` (programs link it; its
    /// install name comes with its options), whose symbols must all resolve when
    /// libpython is linked (so they are bound to it, two-level, never looked up flat).
    pub fn link_flags(&self, file_name: &str, output: Output, ldflags: &[String]) -> Vec<OsString> {
        let mut flags: Vec<OsString> = match (&self.kind, output) {
            // A dylib records its own name: the module's, not the temporary file's.
            (Kind::Zig { .. }, Output::Module) => {
                vec!["-shared".into(), format!("-Wl,-install_name,{file_name}").into()]
            }
            (Kind::Zig { .. }, Output::Library { .. }) => vec!["-shared".into()],
            (_, Output::Module) => vec!["-bundle".into()],
            (_, Output::Library { .. }) => vec!["-dynamiclib".into()],
        };
        if output != (Output::Library { libpython: true }) {
            flags.extend(["-undefined", "dynamic_lookup"].map(OsString::from));
        }
        // GNU ld cannot write Mach-O: clang on Linux links through ld64.lld.
        if self.kind == Kind::Clang && !ldflags.iter().any(|f| f.starts_with("-fuse-ld")) {
            flags.push("-fuse-ld=lld".into());
        }
        flags
    }
}

impl Setup {
    /// The archiver for the project's static libraries, unless `AR` names one: GNU `ar`
    /// cannot index Mach-O objects (ld64.lld then refuses the archive), so LLVM's `llvm-ar`
    /// (the one beside `clang-NN` first) or `zig ar`.
    pub fn archiver(&self, env: &Env) -> Option<Vec<OsString>> {
        if var(env, "AR").is_some() {
            return None;
        }
        let compiler = self.cc.as_ref().map(|(c, _)| c.as_str()).or_else(|| var(env, "CC"))?;
        match self.kind {
            Kind::Zig { .. } => {
                let zig = compiler.strip_suffix(" cc").unwrap_or(compiler);
                Some(vec![zig.into(), "ar".into()])
            }
            Kind::Clang => {
                let name = file_name_of(compiler);
                let version =
                    name.rsplit_once('-').map(|(_, v)| v).filter(|v| v.chars().all(|c| c.is_ascii_digit()));
                let names = version
                    .map(|v| format!("llvm-ar-{v}"))
                    .into_iter()
                    .chain(std::iter::once("llvm-ar".to_string()))
                    .chain((14..=20).rev().map(|v| format!("llvm-ar-{v}")));
                names.into_iter().find_map(|name| on_path(env, &name)).map(|path| vec![path.into()])
            }
            Kind::User => None,
        }
    }
}

/// `lipo`: `LIPO`, else LLVM's or Apple's on PATH.
pub fn find_lipo(env: &Env) -> Result<PathBuf, DarwinError> {
    if let Some(lipo) = var(env, "LIPO") {
        return Ok(PathBuf::from(lipo));
    }
    let names: Vec<String> = ["llvm-lipo".to_string()]
        .into_iter()
        .chain((14..=20).rev().map(|v| format!("llvm-lipo-{v}")))
        .chain(["lipo".to_string()])
        .collect();
    names.iter().find_map(|name| on_path(env, name)).ok_or_else(|| DarwinError::NoLipo {
        tried: vec![format!("LIPO (not set), then on PATH: {}", names.join(", "))],
    })
}

/// Merge the slices of one module (`slices`: its file from each slice's build, in
/// [`slices`] order) into a universal2 module, cached by the slices' contents.
pub fn merge(
    build_dir: &Path,
    lipo: &Path,
    module: &str,
    file_name: &str,
    slices: &[PathBuf],
    env: &Env,
) -> Result<PathBuf, CompileError> {
    let mut key = Key::new("lipo");
    key.file_identity(lipo);
    for slice in slices {
        key.file_content(slice);
    }
    key.text(file_name);
    let key = key.finish();
    let store = Store::new(build_dir, "modules");
    if let Lookup::Hit(merged) = store.lookup(&key, file_name) {
        crate::ui::verbose("Fresh", format!("{module} (universal2)"));
        return Ok(merged);
    }
    let tmp = store.temp(&key, file_name)?;
    let mut command = Command::new(lipo);
    command.arg("-create").args(slices).arg("-output").arg(&tmp).env_clear().envs(env);
    let shown = super::toolchain::show(lipo.as_os_str(), &command);
    crate::ui::verbose("Running", &shown);
    let output = match crate::process::output(&mut command) {
        Ok(output) => output,
        Err(e) => {
            return Err(CompileError::Link { module: module.into(), command: shown, output: e.to_string() });
        }
    };
    if !output.status.success() {
        let _ = std::fs::remove_file(&tmp);
        let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
        text.push_str(&String::from_utf8_lossy(&output.stdout));
        return Err(CompileError::Link { module: module.into(), command: shown, output: text });
    }
    Ok(store.publish(&key, file_name, &tmp, &[], &[])?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_clang_names() {
        for name in ["clang", "clang-16", "/usr/bin/clang++-16", "clang++"] {
            assert!(is_plain_clang(name), "{name}");
        }
        for name in ["o64-clang", "x86_64-apple-darwin21-clang", "clang-cl", "gcc", "zig cc"] {
            assert!(!is_plain_clang(name), "{name}");
        }
    }

    #[test]
    fn universal2_slices_keep_arm64_at_or_above_11() {
        let mut interp = crate::interpreter::tests::cpython(3, 12);
        interp.platform = "macosx-10.12-universal2".into();
        interp.macosx_deployment_target = Some("10.13".into());
        assert_eq!(slices(&interp), ["arm64", "x86_64"]);
        let arm = slice(&interp, "arm64");
        assert_eq!(
            (arm.platform.as_str(), arm.macosx_deployment_target.as_deref()),
            ("macosx-11.0-arm64", Some("11.0"))
        );
        assert_eq!(crate::compile::target_triple(&arm), "aarch64-apple-darwin");
        let intel = slice(&interp, "x86_64");
        assert_eq!(intel.macosx_deployment_target.as_deref(), Some("10.13"));
        assert_eq!(crate::compile::target_triple(&intel), "x86_64-apple-darwin");
    }

    #[test]
    fn a_universal2_interpreter_compiles_both_architectures_natively() {
        let mut interp = crate::interpreter::tests::cpython(3, 12);
        interp.platform = "macosx-10.9-universal2".into();
        assert_eq!(native_arch_flags(&interp, Vec::new()), ["-arch", "arm64", "-arch", "x86_64"]);
        // cibuildwheel's thin builds on a universal2 interpreter: ARCHFLAGS decides.
        assert_eq!(native_arch_flags(&interp, vec!["-arch".into(), "arm64".into()]), ["-arch", "arm64"]);
        interp.platform = "macosx-11.0-arm64".into();
        assert!(native_arch_flags(&interp, Vec::new()).is_empty());
    }

    #[test]
    fn zig_gets_its_own_target_and_links_a_dylib() {
        let setup = Setup { kind: Kind::Zig { target: zig_target("arm64", "11.0") }, sdk: None, cc: None };
        let mut args: Vec<OsString> =
            ["zig", "cc", "--target=arm64-apple-macosx", "-O2"].map(OsString::from).to_vec();
        setup.adjust(&mut args);
        assert_eq!(args, ["zig", "cc", "-O2", "-target", "aarch64-macos.11.0"].map(OsString::from));
        assert_eq!(
            setup.link_flags("_m.abi3.so", Output::Module, &[]),
            ["-shared", "-Wl,-install_name,_m.abi3.so", "-undefined", "dynamic_lookup"].map(OsString::from)
        );
        let clang = Setup { kind: Kind::Clang, sdk: Some("/sdk".into()), cc: None };
        assert!(clang.link_flags("_m.so", Output::Module, &[]).contains(&OsString::from("-fuse-ld=lld")));
        assert!(!clang
            .link_flags("_m.so", Output::Module, &["-fuse-ld=ld64".into()])
            .contains(&OsString::from("-fuse-ld=lld")));
        // An embedding library: a dylib; with libpython linked, nothing is left to flat lookup.
        assert_eq!(
            clang.link_flags("p.dylib", Output::Library { libpython: true }, &[]),
            ["-dynamiclib", "-fuse-ld=lld"].map(OsString::from)
        );
        assert_eq!(
            clang.link_flags("p.dylib", Output::Library { libpython: false }, &[]),
            ["-dynamiclib", "-undefined", "dynamic_lookup", "-fuse-ld=lld"].map(OsString::from)
        );
        assert_eq!(
            setup.link_flags("p.dylib", Output::Library { libpython: true }, &[]),
            ["-shared"].map(OsString::from)
        );
    }

    #[test]
    fn mach_o_archives_come_from_llvm_ar_or_zig_unless_ar_is_set() {
        let dir = tempfile::tempdir().unwrap();
        for tool in ["llvm-ar-16", "llvm-ar-17"] {
            let path = dir.path().join(tool);
            std::fs::write(&path, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        }
        let mut env = Env::new();
        env.insert("PATH".into(), dir.path().into());
        let clang = Setup {
            kind: Kind::Clang,
            sdk: None,
            cc: Some(("/usr/bin/clang-16".into(), "clang++-16".into())),
        };
        // The llvm-ar of clang's own version, not merely the newest.
        assert_eq!(clang.archiver(&env), Some(vec![dir.path().join("llvm-ar-16").into()]));
        let zig = Setup {
            kind: Kind::Zig { target: "aarch64-macos.11.0".into() },
            sdk: None,
            cc: Some(("/z/zig cc".into(), "/z/zig c++".into())),
        };
        assert_eq!(zig.archiver(&env), Some(vec!["/z/zig".into(), "ar".into()]));
        env.insert("AR".into(), "/opt/ar".into());
        assert_eq!(clang.archiver(&env), None);
        // No lipo: the error says where it looked.
        let mut empty = Env::new();
        empty.insert("PATH".into(), "/nonexistent".into());
        let err = find_lipo(&empty).unwrap_err();
        assert!(err.tried()[0].contains("llvm-lipo-16"), "{:?}", err.tried());
    }

    #[test]
    fn without_sdk_or_zig_the_error_lists_what_was_tried() {
        let mut interp = crate::interpreter::tests::cpython(3, 12);
        interp.platform = "macosx-11.0-arm64".into();
        interp.macosx_deployment_target = Some("11.0".into());
        interp.executable = "/nonexistent/python".into();
        let mut env = Env::new();
        env.insert("PATH".into(), "/nonexistent".into());
        let err = setup(&interp, &env).unwrap_err();
        assert_eq!(err.to_string(), "no C compiler for macOS target aarch64-apple-darwin");
        let tried = err.tried().join("\n");
        assert!(tried.contains("SDKROOT: not set"), "{tried}");
        assert!(tried.contains("cannot import `ziglang`"), "{tried}");
    }
}
