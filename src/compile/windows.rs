//! Windows targets built with a GCC- or Clang-like compiler (MinGW-w64 gcc, clang, `zig
//! cc`) instead of MSVC: what MSVC gets implicitly from CPython's `pyconfig.h` is made
//! explicit here.
//!
//! - `MS_WIN64`: Windows' `pyconfig.h` defines it only under `_MSC_VER`; without it a
//!   64-bit module is compiled with 32-bit `Py_ssize_t`-related definitions.
//! - The Python DLL: MSVC finds `python3.lib` / `python3XY.lib` through `#pragma
//!   comment(lib)`; GNU linkers ignore that pragma, so the import library is linked
//!   explicitly. It is the interpreter's own `libs\<dll>.lib` when it has one (python.org
//!   installers ship them; the embeddable zips do not), else one generated from the
//!   DLL's export list by the `python3-dll-a` crate, so a cross build needs no Windows
//!   files at all.

use std::path::{Path, PathBuf};

use fs_err as fs;

use super::zig::Zig;
use super::LimitedApi;
use crate::interpreter::Interpreter;

/// The Python DLL a module links: `python3` (stable ABI), `python312`, `python313t`,
/// `libpypy3.10-c`.
#[derive(Clone, Debug)]
pub struct PythonDll {
    pub name: String,
    implementation: python3_dll_a::PythonImplementation,
    /// `None` for the version-independent `python3.dll`.
    version: Option<(u8, u8)>,
    abiflags: Option<&'static str>,
}

impl PythonDll {
    /// The DLL a module of `interp` links, given how it uses the limited API.
    pub fn for_module(interp: &Interpreter, limited_api: LimitedApi) -> Self {
        let (major, minor) = interp.version;
        let version = Some((major as u8, minor as u8));
        if interp.is_pypy() {
            return PythonDll {
                name: if minor <= 8 { "libpypy3-c".into() } else { format!("libpypy{major}.{minor}-c") },
                implementation: python3_dll_a::PythonImplementation::PyPy,
                version,
                abiflags: None,
            };
        }
        let (stable, free_threaded) = match limited_api {
            LimitedApi::Abi3 { .. } => (true, false),
            LimitedApi::Abi3t { .. } => (true, true),
            LimitedApi::Off | LimitedApi::Untouched => (false, interp.free_threaded),
        };
        let t = if free_threaded { "t" } else { "" };
        PythonDll {
            name: if stable { format!("python3{t}") } else { format!("python{major}{minor}{t}") },
            implementation: python3_dll_a::PythonImplementation::CPython,
            version: if stable { None } else { version },
            abiflags: free_threaded.then_some("t"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("no import library for `{dll}.dll` (needed to link a Windows module without MSVC)")]
pub struct ImportLibraryError {
    pub dll: String,
    /// What was tried, one line each.
    pub tried: Vec<String>,
}

/// The macros a GCC-like compiler needs for a Windows target, beyond the module's own.
pub fn defines(interp: &Interpreter) -> Vec<(&'static str, Option<String>)> {
    if interp.pointer_bits == 64 {
        vec![("MS_WIN64", None)]
    } else {
        Vec::new()
    }
}

/// The import library of `dll` for a GNU-style link: the interpreter's own when it has
/// one, else generated once into `dir` (kept between builds: regenerating would change
/// its bytes and so every module's link cache key).
pub fn import_library(
    interp: &Interpreter,
    dll: &PythonDll,
    dir: &Path,
    zig: Option<&Zig>,
) -> Result<PathBuf, ImportLibraryError> {
    let mut tried = Vec::new();
    let own = interp.base_prefix.join("libs").join(format!("{}.lib", dll.name));
    if own.is_file() {
        return Ok(own);
    }
    tried.push(format!("the interpreter's own `{}`: not there", own.display()));

    let arch = match interp.pointer_bits {
        32 => "x86",
        _ if interp.platform.ends_with("arm64") => "aarch64",
        _ => "x86_64",
    };
    // MinGW's dlltool writes `<dll>.dll.a`; llvm-dlltool, `zig dlltool` and lib.exe write
    // `<dll>.lib` (the MSVC format, which GNU ld and lld read too).
    for (env, file_name) in [("gnu", format!("{}.dll.a", dll.name)), ("msvc", format!("{}.lib", dll.name))] {
        let dest = dir.join(arch).join(&file_name);
        if dest.is_file() {
            return Ok(dest);
        }
        match generate(dll, arch, env, &dest) {
            Ok(()) => return Ok(dest),
            Err(e) => tried.push(format!("python3-dll-a ({env} flavour): {e}")),
        }
    }
    // No dlltool that python3-dll-a knows (a Windows machine without MSVC): its `.def`
    // file, then `zig dlltool`.
    if let Some(zig) = zig {
        let dest = dir.join(arch).join(format!("{}.lib", dll.name));
        match generate_with_zig(dll, arch, zig, &dest) {
            Ok(()) => return Ok(dest),
            Err(e) => tried.push(format!("zig dlltool: {e}")),
        }
    }
    Err(ImportLibraryError { dll: dll.name.clone(), tried })
}

/// A Windows interpreter run under Wine reports its paths as Windows sees them
/// (`Z:\\opt\\py\\Include`); the compiler and linker run on the host and need the host's.
/// A drive letter maps through the Wine prefix's `dosdevices/<x>:` link (`$WINEPREFIX`, else
/// `~/.wine`); a path that does not map is left alone.
pub fn host_paths(interp: &mut Interpreter, env: &super::Env) {
    let prefix = env
        .get(std::ffi::OsStr::new("WINEPREFIX"))
        .map(PathBuf::from)
        .or_else(|| env.get(std::ffi::OsStr::new("HOME")).map(|home| Path::new(home).join(".wine")));
    let Some(prefix) = prefix else { return };
    let map = |path: &mut PathBuf| {
        let text = path.to_string_lossy();
        let mut chars = text.chars();
        let (Some(drive), Some(':'), Some('\\' | '/')) = (chars.next(), chars.next(), chars.next()) else {
            return;
        };
        let Ok(root) =
            std::fs::canonicalize(prefix.join("dosdevices").join(format!("{}:", drive.to_ascii_lowercase())))
        else {
            return;
        };
        let mapped =
            text[3..].split(['\\', '/']).filter(|p| !p.is_empty()).fold(root, |p, part| p.join(part));
        *path = mapped;
    };
    for path in [&mut interp.include, &mut interp.platinclude, &mut interp.libdir].into_iter().flatten() {
        map(path);
    }
    map(&mut interp.base_prefix);
}

/// Generate into a private directory, then move into place: builds sharing a build
/// directory never see a half-written library.
fn generate(dll: &PythonDll, arch: &str, env: &str, dest: &Path) -> Result<(), String> {
    let parent = dest.parent().expect("a file under a directory");
    fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    let scratch = tempfile::tempdir_in(parent).map_err(|e| e.to_string())?;
    let mut generator = python3_dll_a::ImportLibraryGenerator::new(arch, env);
    generator.version(dll.version).abiflags(dll.abiflags).implementation(dll.implementation);
    generator.generate(scratch.path()).map_err(|e| e.to_string())?;
    let made = scratch.path().join(dest.file_name().expect("a file name"));
    if !made.is_file() {
        return Err(format!("it wrote no `{}`", made.display()));
    }
    fs::rename(&made, dest).map_err(|e| e.to_string())
}

/// The import library from python3-dll-a's `.def` file (written before it looks for a
/// dlltool) and `zig dlltool`.
fn generate_with_zig(dll: &PythonDll, arch: &str, zig: &Zig, dest: &Path) -> Result<(), String> {
    let parent = dest.parent().expect("a file under a directory");
    fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    let scratch = tempfile::tempdir_in(parent).map_err(|e| e.to_string())?;
    let mut generator = python3_dll_a::ImportLibraryGenerator::new(arch, "msvc");
    generator.version(dll.version).abiflags(dll.abiflags).implementation(dll.implementation);
    let _ = generator.generate(scratch.path());
    let def = std::fs::read_dir(scratch.path())
        .map_err(|e| e.to_string())?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .find(|path| path.extension().is_some_and(|e| e == "def"))
        .ok_or("python3-dll-a wrote no .def file")?;
    let machine = match arch {
        "x86" => "i386",
        "aarch64" => "arm64",
        _ => "i386:x86-64",
    };
    let made = scratch.path().join(dest.file_name().expect("a file name"));
    let mut command = zig.dlltool();
    command.arg("-m").arg(machine).arg("-d").arg(&def).arg("-l").arg(&made);
    let output = command.output().map_err(|e| format!("cannot run {}: {e}", zig.program.display()))?;
    if !output.status.success() || !made.is_file() {
        return Err(format!(
            "{} failed: {}",
            zig.program.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    fs::rename(&made, dest).map_err(|e| e.to_string())
}
