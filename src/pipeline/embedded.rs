//! Embedding libraries (`ffi.embedding_api()`): a shared library a C program loads, which
//! starts the interpreter it was built for on its first call (see the generator's
//! `embedding.h`). Built like a module, but named as a plain library, compiled without
//! `Py_LIMITED_API` and linked with libpython, as cffi's `ffi.compile()` does for them.

use std::path::{Path, PathBuf};

use fs_err as fs;

use super::build::build_modules;
use super::{check_writable, prepare, PipelineError};
use crate::archive::Source;
use crate::compile::LimitedApi;
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
    let link = LibPython::of(&interp, &request.python)?;
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
/// and setuptools' `build_ext` adds `LIBDIR` for a shared CPython; we also add it as the run path, so the library
/// finds a libpython outside the system's folders (pyenv, uv) without `LD_LIBRARY_PATH`.
struct LibPython {
    library: Option<String>,
    dir: Option<PathBuf>,
    rpath: bool,
}

impl LibPython {
    fn of(interp: &Interpreter, python: &Path) -> Result<LibPython, EmbedError> {
        let (major, minor) = interp.version;
        if interp.is_windows() {
            // Every Windows module links its python3X.dll already (see compile::windows,
            // which finds or makes the import library, cross builds included).
            return Ok(LibPython { library: None, dir: None, rpath: false });
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
        Ok(LibPython {
            library: Some(format!("python{major}.{minor}{}", interp.abiflags)),
            dir: interp.libdir.clone(),
            rpath: !interp.is_macos(),
        })
    }

    fn add_to(&self, options: &mut BuildOptions) {
        if let Some(library) = self.library.as_ref().filter(|l| !options.libraries.contains(l)) {
            options.libraries.push(library.clone());
        }
        if let Some(dir) = &self.dir {
            let dir = dir.display().to_string();
            options.library_dirs.push(dir.clone());
            if self.rpath {
                options.runtime_library_dirs.push(dir);
            }
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
