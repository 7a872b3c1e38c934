//! Embedding libraries (`ffi.embedding_api()`): a shared library a C program loads, which
//! starts the interpreter it was built for on its first call (see the generator's
//! `embedding.h`). Built like a module, but named as a plain library, compiled without
//! `Py_LIMITED_API` and linked with libpython, as cffi's `ffi.compile()` does for them
//! (a macOS cross build links a generated stub of it: `compile::macos_libpython`).

use std::path::{Path, PathBuf};

use fs_err as fs;

use super::build::build_modules;
use super::{check_writable, prepare, PipelineError};
use crate::archive::Source;
use crate::compile::macos_libpython::{self, MacLibPythonError};
use crate::compile::{LimitedApi, Output};
use crate::interpreter::Interpreter;
use crate::spec::{BuildOptions, Define, ModuleSpec};
use crate::ui;

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("the project in {} declares no embedding library (no build script calls ffi.embedding_api())", root.display())]
    NothingToEmbed { root: PathBuf },
    #[error("{python}: cffi-forge builds embedding libraries for CPython only, not PyPy", python = python.display())]
    PyPy { python: PathBuf },
    #[error("module `{module}`: an embedding library needs API mode (set_source() with C source, not None)")]
    AbiMode { module: String },
    #[error(
        "{python}: this interpreter has no shared libpython ({found}), which an embedding library links",
        python = python.display()
    )]
    StaticPython { python: PathBuf, found: String },
    #[error(
        "{python}: its libpython, {}, is missing, and an embedding library links it",
        path.display(),
        python = python.display()
    )]
    MissingLibPython { python: PathBuf, path: PathBuf },
    #[error(transparent)]
    MacLibPython(#[from] MacLibPythonError),
}

impl crate::diagnostic::ToDiagnostic for EmbedError {
    fn to_diagnostic(&self) -> crate::diagnostic::Diagnostic {
        let d = crate::diagnostic::Diagnostic::error(self.to_string());
        match self {
            EmbedError::MacLibPython(MacLibPythonError::BadInstallName { .. }) => d.with_help(format!(
                "set {} to the install name of the target's libpython (`otool -D` of it on the Mac), \
                 or unset it for python.org's framework; see docs/embedding.md",
                macos_libpython::INSTALL_NAME_VAR
            )),
            EmbedError::MacLibPython(MacLibPythonError::NoExporter { .. }) => d.with_help(
                "cross-build with a CPython of the same version that has a shared libpython (pyenv, uv, \
                 Debian's libpython3.X package): its C API is what the macOS stub lists",
            ),
            _ => d,
        }
    }
}

/// What `cffi-forge embed` builds.
#[derive(Clone, Debug)]
pub struct EmbedRequest {
    pub root: PathBuf,
    pub python: PathBuf,
    pub out_dir: PathBuf,
    /// A cross build's target triple (see `cross`); `None` builds for `python` itself.
    pub target: Option<String>,
}

/// Build every embedding library of the project into `out_dir`; returns their paths.
pub fn build_embedded(request: &EmbedRequest) -> Result<Vec<PathBuf>, PipelineError> {
    check_writable(&request.out_dir)?;
    let (_project, target, mut resolved) =
        prepare(&request.root, &request.python, request.target.as_deref())?;
    let interp = target.interp.clone();
    if interp.is_pypy() {
        return Err(EmbedError::PyPy { python: request.python.clone() }.into());
    }
    // Only the embedding libraries: the project's other modules belong in its wheel.
    resolved.modules.retain(|m| m.spec.embedding.is_some());
    resolved.extensions.clear();
    if resolved.modules.is_empty() {
        return Err(EmbedError::NothingToEmbed { root: request.root.clone() }.into());
    }
    // The building interpreter's own facts: a cross target has no libpython of its own.
    let host = crate::interpreter::Interpreter::query(&request.python)?;
    let link = LibPython::of(&interp, &host, &request.python, &target.build_dir)?;
    let mut names = Vec::new();
    for module in &mut resolved.modules {
        if !module.spec.is_api_mode() {
            return Err(EmbedError::AbiMode { module: module.spec.name.clone() }.into());
        }
        module.limited_api = LimitedApi::Off;
        let file_name = library_file_name(&module.spec, &interp);
        module.file.file_name = file_name.clone();
        module.file.archive_path = file_name.clone();
        module.spec.options.stubs = Some(false);
        module.output = Output::Library { libpython: true };
        link.add_to(&mut module.spec.options);
        // (a wheel's library with a target has its name already)
        if module.spec.embedding.as_ref().is_none_or(|e| e.target.is_none()) {
            own_name(&mut module.spec.options, &file_name, &interp, &target.build_dir)?;
        }
        names.push(file_name);
    }
    let (built, _) = build_modules(target, resolved)?;
    let mut written = Vec::new();
    for file in built {
        if !names.contains(&file.archive_path) {
            continue;
        }
        let Source::File(from) = &file.source else { continue };
        let to = request.out_dir.join(&file.archive_path);
        let bytes = fs::read(from).map_err(|e| PipelineError::BuildDir { path: from.clone(), source: e })?;
        crate::atomic_write::write_atomically(&to, &bytes)
            .map_err(|source| PipelineError::OutputDir { path: to.clone(), source })?;
        set_executable(&to);
        ui::status("Wrote", to.display().to_string());
        written.push(to);
    }
    Ok(written)
}

/// The name programs linking the library record: the linker writes it under a temporary
/// name, which would otherwise be the DLL's name in its export table (Windows) or missing
/// (the ELF `SONAME`, so that the program records `plugin-1.5.so`, not a path).
fn own_name(
    options: &mut BuildOptions,
    file_name: &str,
    interp: &Interpreter,
    build_dir: &Path,
) -> Result<(), PipelineError> {
    if interp.is_windows() {
        // A module-definition file naming the DLL; the exports stay the dllexport ones.
        let def = build_dir.join("embed").join(format!("{file_name}.def"));
        let text = format!("LIBRARY \"{file_name}\"\n");
        if let Some(dir) = def.parent() {
            fs::create_dir_all(dir)
                .map_err(|e| PipelineError::BuildDir { path: dir.to_path_buf(), source: e })?;
        }
        crate::atomic_write::write_atomically(&def, text.as_bytes())
            .map_err(|source| PipelineError::BuildDir { path: def.clone(), source })?;
        options.extra_objects.push(def.display().to_string());
    } else if interp.is_macos() {
        options.extra_link_args.push(format!("-Wl,-install_name,@rpath/{file_name}"));
    } else {
        options.extra_link_args.push(format!("-Wl,-soname,{file_name}"));
    }
    Ok(())
}

/// Every embedding module is told the version of the interpreter it is built for. In a
/// wheel (`cffi-forge build`), an embedding library with a `target` is named by it,
/// in its module's package folder (`pkg._plugin` with `target = "plugin-1.5.*"` →
/// `pkg/plugin-1.5.so`); without one it keeps its extension module name, as cffi's
/// setuptools integration builds it (importable too). It is not linked with libpython
/// there: the wheel audit would ship a copy of libpython in the wheel; the host program
/// links libpython itself (or uses `cffi-forge embed`'s library).
/// `build_dir`: where the name's helper files go (`None` when nothing will be built).
pub(super) fn name_in_wheel(
    resolved: &mut super::Resolved,
    build_dir: Option<&Path>,
) -> Result<(), PipelineError> {
    let interp = resolved.interp.clone();
    for module in &mut resolved.modules {
        let Some(embedding) = &module.spec.embedding else { continue };
        // The runtime picks its start-up lock word by the version of the libpython that
        // runs (see embedding.h): the one of the interpreter built for.
        let (major, minor) = interp.version;
        module.spec.options.define_macros.push(Define {
            name: "_CFFI_FORGE_PYTHON_HEX".into(),
            value: Some(format!("0x{major:02X}{minor:02X}0000")),
        });
        // A stub types an importable module; a plugin is for C programs.
        if embedding.target.is_some() {
            module.spec.options.stubs = Some(false);
            let file_name = library_file_name(&module.spec, &interp);
            let folder = module.file.archive_path.rsplit_once('/').map(|(folder, _)| folder);
            module.file.archive_path = match folder {
                Some(folder) => format!("{folder}/{file_name}"),
                None => file_name.clone(),
            };
            if let Some(build_dir) = build_dir {
                own_name(&mut module.spec.options, &file_name, &interp, build_dir)?;
            }
            // A library programs link (on macOS a dylib, not a bundle); libpython is the
            // program's to link, except on Windows, where every module links its DLL.
            module.output = Output::Library { libpython: interp.is_windows() };
            module.file.file_name = file_name;
        }
    }
    Ok(())
}

/// The library's file name: its `target` with a final `.*` replaced by the platform's
/// extension, as cffi's `ffi.compile(target=...)` does (`plugin-1.5.*` → `plugin-1.5.so`);
/// without a target, cffi's default `<module base name>.*`.
fn library_file_name(spec: &ModuleSpec, interp: &Interpreter) -> String {
    let extension = if interp.is_windows() {
        "dll"
    } else if interp.is_macos() {
        "dylib"
    } else {
        "so"
    };
    let default = format!("{}.*", spec.basename());
    let target = spec.embedding.as_ref().and_then(|e| e.target.as_deref()).unwrap_or(&default);
    match target.strip_suffix(".*") {
        Some(stem) => format!("{stem}.{extension}"),
        None => target.to_string(),
    }
}

/// How an embedding library links the interpreter: cffi adds `python3.X` plus
/// `sys.abiflags` to `libraries` (on Windows `python3X`, which every module links anyway),
/// and setuptools' `build_ext` adds `LIBDIR` for a shared CPython; we also add it as the
/// run path (off macOS), so the library finds a libpython outside the system's folders
/// (pyenv, uv) without `LD_LIBRARY_PATH`. A macOS target built elsewhere has no libpython
/// to link: a generated stub stands for it.
enum LibPython {
    /// Windows: every module links its python3X.dll already (see compile::windows,
    /// which finds or makes the import library, cross builds included).
    Linked,
    /// `-lpython3.X` found in `dir`.
    Search { library: String, dir: Option<PathBuf>, rpath: bool },
    /// A macOS cross build: the stub `libpython3.X.tbd`, linked by its path.
    Stub(PathBuf),
}

impl LibPython {
    /// `interp`: the target; `host`: the building interpreter (the same for a native build).
    fn of(
        interp: &Interpreter,
        host: &Interpreter,
        python: &Path,
        build_dir: &Path,
    ) -> Result<LibPython, EmbedError> {
        let (major, minor) = interp.version;
        if interp.is_windows() {
            return Ok(LibPython::Linked);
        }
        if interp.is_macos() && !host.is_macos() {
            let env = crate::compile::process_env();
            return Ok(LibPython::Stub(macos_libpython::write_stub(build_dir, interp, host, &env)?));
        }
        if let Some(found) = interp.ldlibrary.as_deref().filter(|l| l.ends_with(".a")) {
            return Err(EmbedError::StaticPython { python: python.to_path_buf(), found: found.to_string() });
        }
        // (a Debian python3.X without the libpython3.X package names one it does not have)
        if let (Some(dir), Some(name)) = (&interp.libdir, &interp.ldlibrary) {
            let path = dir.join(name);
            if !interp.is_macos() && !path.exists() {
                return Err(EmbedError::MissingLibPython { python: python.to_path_buf(), path });
            }
        }
        // A macOS target built on a Mac: the interpreter's own libpython (a cross target
        // of another macOS architecture has the building interpreter's LIBDIR).
        let libdir = if interp.is_macos() {
            interp.libdir.clone().or_else(|| host.libdir.clone())
        } else {
            interp.libdir.clone()
        };
        Ok(LibPython::Search {
            library: format!("python{major}.{minor}{}", interp.abiflags),
            dir: libdir,
            rpath: !interp.is_macos(),
        })
    }

    fn add_to(&self, options: &mut BuildOptions) {
        match self {
            LibPython::Linked => {}
            LibPython::Search { library, dir, rpath } => {
                if !options.libraries.contains(library) {
                    options.libraries.push(library.clone());
                }
                if let Some(dir) = dir {
                    let dir = dir.display().to_string();
                    options.library_dirs.push(dir.clone());
                    if *rpath {
                        options.runtime_library_dirs.push(dir);
                    }
                }
            }
            LibPython::Stub(path) => options.extra_objects.push(path.display().to_string()),
        }
    }
}

#[cfg(unix)]
fn set_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755));
}

#[cfg(not(unix))]
fn set_executable(_: &Path) {}
