//! Module specs → generated source → compiled modules: the target's build directory
//! and compiler, pkg-config, generation and compilation of everything [`Resolved`]
//! lists.

use std::path::{Path, PathBuf};

use fs_err as fs;

use super::provided;
use super::{PipelineError, Resolved, ResolvedExtension, ResolvedLibrary, ResolvedModule};
use crate::archive::BuiltFile;
use crate::compile::{self, CompileError, CompileJob, LibraryJob, Toolchain};
use crate::config::Project;
use crate::generator::{self, Generated};
use crate::interpreter::Interpreter;
use crate::pkgconfig::PkgConfig;
use crate::spec::ModuleSpec;
use crate::ui;

/// What building for one interpreter needs: its facts, the build directory and the
/// compiler. A missing compiler only matters once something must be compiled.
pub(super) struct Target {
    pub(super) interp: Interpreter,
    pub(super) build_dir: PathBuf,
    /// Set up while the build scripts run (`cc` runs the compiler twice to learn its
    /// family); `None` when the configuration needs no compiler (see [`needs_no_compiler`]),
    /// then set up only if something compiles after all.
    toolchain: Option<Result<Toolchain, CompileError>>,
    root: PathBuf,
    env: compile::Env,
}

impl Target {
    pub(super) fn prepare(
        project: &Project,
        python: &Path,
        cross: Option<&str>,
    ) -> Result<Target, PipelineError> {
        let env = compile::process_env();
        let mut interp = Interpreter::query(python)?;
        if let Some(triple) = cross {
            interp = crate::cross::retarget(&interp, triple, &env)?;
        }
        let build_dir = build_dir(project, &interp)?;
        let toolchain = (!needs_no_compiler(project)).then(|| {
            let _t = crate::timings::phase("toolchain");
            Toolchain::new(&interp, &project.root, &build_dir, env.clone())
        });
        Ok(Target { interp, build_dir, toolchain, root: project.root.clone(), env })
    }
}

/// Whether the configuration alone says nothing will compile: only ABI-mode
/// `[[tool.cffi-forge.module]]` tables (no `source`), no build scripts, extensions or
/// libraries. Such a build never starts the compiler, not even to probe it.
fn needs_no_compiler(project: &Project) -> bool {
    let tool = &project.tool;
    !tool.modules.is_empty()
        && tool.cffi_modules.as_ref().is_none_or(|scripts| scripts.is_empty())
        && tool.modules.iter().all(|m| m.source.is_none() && m.source_file.is_none() && m.sources.is_empty())
        && tool.extensions.is_empty()
        && tool.libraries.is_empty()
}

/// Run pkg-config for every module and extension that names packages, appending the
/// flags to its options (after the user's own, as cffi does).
pub(super) fn apply_pkg_config(resolved: &mut Resolved) -> Result<(), PipelineError> {
    let mut pkg_config = PkgConfig::from_env();
    if let Some(libdir) = crate::cross::pkg_config_libdir(&resolved.interp, &compile::process_env()) {
        ui::verbose("pkg-config", format!("cross build: PKG_CONFIG_LIBDIR={libdir}"));
        pkg_config = pkg_config.env("PKG_CONFIG_LIBDIR", Some(std::ffi::OsStr::new(&libdir)));
    }
    let targets = resolved
        .modules
        .iter_mut()
        .map(|m| (&m.spec.name, &mut m.spec.options))
        .chain(resolved.extensions.iter_mut().map(|e| (&e.extension.name, &mut e.extension.options)));
    for (name, options) in targets {
        if options.pkg_config.is_empty() {
            continue;
        }
        let flags = pkg_config
            .flags(&options.pkg_config)
            .map_err(|source| PipelineError::PkgConfig { module: name.clone(), source })?;
        ui::verbose("pkg-config", format!("{}: {flags:?}", options.pkg_config.join(", ")));
        flags.merge_into(options);
    }
    Ok(())
}

/// Generate and compile every module, extension and library; returns the files for
/// the wheel, and the path in the wheel and inputs of each compiled module.
pub(super) fn build_modules(target: Target, resolved: Resolved) -> Result<Built, PipelineError> {
    let mut built = Vec::new();
    let mut jobs = Vec::new();
    let mut job_paths = Vec::new();
    // The generated source and spec of each CFFI module job, to map what the C does not
    // provide back to the cdef.
    let mut cffi_jobs: Vec<(PathBuf, ModuleSpec)> = Vec::new();
    let Target { build_dir, toolchain, interp, root: project_root, env } = target;
    let Resolved { modules, extensions, libraries, .. } = resolved;
    for ResolvedModule { mut spec, file, limited_api, output, .. } in modules {
        let _t = crate::timings::phase("generate");
        let from_cffi = spec.pregenerated.is_some();
        let code = match spec.pregenerated.take() {
            Some(pregenerated) => pregenerated.code,
            None => {
                ui::verbose("Generating", format!("{} (native generator)", spec.name));
                match generator::generate(&spec) {
                    Ok(Generated::C { code } | Generated::Python { code }) => code,
                    Err(source) => {
                        return Err(PipelineError::Generate {
                            module: spec.name.clone(),
                            source: Box::new(source),
                        })
                    }
                }
            }
        };
        if spec.options.stubs != Some(false) {
            built.extend(stub(&spec, from_cffi)?);
        }
        let Some(source) = &spec.source else {
            ui::status("Generating", format!("{} → {} (ABI mode)", spec.name, file.archive_path));
            built.push(BuiltFile::bytes(file.archive_path.clone(), code.into_bytes()));
            continue;
        };
        let file_name = format!("{}{}", spec.name, source.extension);
        let generated = compile::generated_path(&build_dir, &file_name, code.as_bytes());
        write_if_changed(&generated, code.as_bytes())
            .map_err(|e| PipelineError::BuildDir { path: generated.clone(), source: e })?;
        let options = spec.options.clone();
        ui::status("Compiling", format!("{} → {}", spec.name, file.archive_path));
        jobs.push(CompileJob {
            module: spec.name.clone(),
            generated: Some(generated.clone()),
            options,
            limited_api,
            file_name: file.file_name.clone(),
            cxx_link: false,
            output,
        });
        job_paths.push(file.archive_path.clone());
        cffi_jobs.push((generated, spec));
    }
    for ResolvedExtension { extension, file, limited_api } in extensions {
        ui::status("Compiling", format!("{} (extension) → {}", extension.name, file.archive_path));
        jobs.push(CompileJob {
            options: extension.options,
            module: extension.name,
            generated: None,
            limited_api,
            file_name: file.file_name.clone(),
            cxx_link: extension.cxx,
            output: compile::Output::Module,
        });
        job_paths.push(file.archive_path.clone());
    }
    let mut library_jobs = Vec::new();
    for ResolvedLibrary { library, linked_into } in libraries {
        if linked_into.is_empty() {
            ui::warning(format!(
                "library `{}` ({}) is not built: no module names it in `libraries`",
                library.name, library.table
            ));
            continue;
        }
        ui::status("Compiling", format!("library {} (static, for {})", library.name, linked_into.join(", ")));
        library_jobs.push(LibraryJob { name: library.name, options: library.options });
    }
    let mut inputs = Vec::new();
    if !jobs.is_empty() {
        let by_source: Vec<(PathBuf, &ModuleSpec)> = cffi_jobs.iter().map(|(g, s)| (g.clone(), s)).collect();
        let toolchain = toolchain.unwrap_or_else(|| Toolchain::new(&interp, &project_root, &build_dir, env));
        let compiling = crate::timings::phase("compile");
        let modules = toolchain?
            .build_with_inputs(&jobs, &library_jobs)
            .map_err(|e| provided::compile_error(e, &project_root, &by_source))?;
        drop(compiling);
        let _t = crate::timings::phase("symbols");
        if interp.is_linux() {
            for ((_, spec), (module, _)) in cffi_jobs.iter().zip(&modules) {
                provided::check_linked(spec, module, &interp.executable, &project_root)?;
            }
        }
        for (path, (file, module_inputs)) in job_paths.into_iter().zip(modules) {
            built.push(BuiltFile::path(path.clone(), file));
            inputs.push((path, module_inputs));
        }
    }
    Ok((built, inputs))
}

/// The files for the wheel; (path in the wheel, inputs) of each compiled module.
pub(super) type Built = (Vec<BuiltFile>, Vec<(String, Vec<PathBuf>)>);

/// The module's typed stub for the wheel. Our parser read the cdef already unless cffi's
/// emitter made the module (`generator = "cffi"`): a cdef only cffi accepts then costs
/// the stub, with a warning, not the build.
fn stub(spec: &crate::spec::ModuleSpec, from_cffi: bool) -> Result<Option<BuiltFile>, PipelineError> {
    let path = generator::stub_archive_path(&spec.name);
    match generator::typed_stub(spec) {
        Ok(text) => {
            ui::verbose("Stub", format!("{} → {path}", spec.name));
            Ok(Some(BuiltFile::bytes(path, text.into_bytes())))
        }
        Err(source) if from_cffi => {
            ui::warning(format!("module `{}`: no typed stub: {source}", spec.name));
            Ok(None)
        }
        Err(source) => Err(PipelineError::Generate { module: spec.name.clone(), source: Box::new(source) }),
    }
}

/// Where generated sources and the object cache live between builds:
/// `$CFFI_FORGE_BUILD_DIR`, else `build/cffi-forge/` in the project (like setuptools'
/// `build/`), else a folder in the system's temporary directory when the project is
/// read-only. One subfolder per interpreter, since objects depend on its headers.
fn build_dir(project: &Project, interp: &Interpreter) -> Result<PathBuf, PipelineError> {
    // `cpython-311-x86_64-linux-gnu`, `pypy39-pp73-x86_64-linux-gnu`, `cp311-win_amd64`.
    let suffix = interp.ext_suffix.trim_start_matches('.');
    let suffix = suffix.rsplit_once('.').map_or(suffix, |(stem, _)| stem);
    let flavour = if suffix.is_empty() {
        format!("{}-{}.{}", interp.implementation, interp.version.0, interp.version.1)
    } else {
        suffix.to_string()
    };
    // (base, whether it lives in the shared temporary directory and must be private)
    let candidates = match std::env::var_os("CFFI_FORGE_BUILD_DIR") {
        Some(dir) => vec![(PathBuf::from(dir), false)],
        None => vec![
            (project.root.join("build").join("cffi-forge"), false),
            (std::env::temp_dir().join(format!("cffi-forge-{}", stable_hash(&project.root))), true),
        ],
    };
    let mut last_error = None;
    for (base, private) in candidates {
        let base = if private {
            match compile::private_dir::private_dir(&base) {
                Ok(base) => base,
                Err(e) => {
                    last_error = Some((base, e));
                    continue;
                }
            }
        } else {
            base
        };
        let dir = base.join(&flavour);
        match fs::create_dir_all(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) => last_error = Some((dir, e)),
        }
    }
    let (path, source) = last_error.expect("at least one candidate");
    Err(PipelineError::BuildDir { path, source })
}

fn stable_hash(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(path.as_os_str().as_encoded_bytes());
    digest.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// Keep the file (and its timestamp) when the content is the same.
fn write_if_changed(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    crate::atomic_write::write_atomically_unsynced(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_generated_source_keeps_its_timestamp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gen/m.c");
        write_if_changed(&path, b"int x;").unwrap();
        let before = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        write_if_changed(&path, b"int x;").unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), before);
        write_if_changed(&path, b"int y;").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"int y;");
    }
}
