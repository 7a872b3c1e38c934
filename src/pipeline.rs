//! The build, one direction: config → module specs → generated source → objects →
//! archive. Every command (`cffi-forge build`, the PEP 517 hooks) is a path through
//! these steps; nothing here knows about the command line.

mod build;
mod editable;
pub mod embedded;
pub mod inspect;
pub mod provided;
mod resolve;
pub mod user_source;

use build::{apply_pkg_config, build_modules, Target};
use resolve::{find_scripts, script_modules};
pub use resolve::{Resolved, ResolvedExtension, ResolvedLibrary, ResolvedModule};

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;

use fs_err as fs;

use crate::archive::{self, ArchiveError, BuiltFile};
use crate::audit::{self, AuditError, Compatibility};
use crate::compile::CompileError;
use crate::config::{ConfigError, Project};
use crate::diagnostic::{Diagnostic, SourceFile, ToDiagnostic};
use crate::discovery::DiscoveryError;
use crate::generator::GenerateError;
use crate::interpreter::{Interpreter, InterpreterError};
use crate::pkgconfig::PkgConfigError;
use crate::script_runner::ScriptError;
use crate::spec::{ModuleOrigin, TableRef};
use crate::ui;

/// Any failure of a build, from the layer that found it.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Config(Box<ConfigError>),
    #[error(transparent)]
    Interpreter(#[from] InterpreterError),
    #[error(transparent)]
    Discovery(#[from] DiscoveryError),
    #[error(transparent)]
    Cross(#[from] crate::cross::CrossError),
    #[error(transparent)]
    Script(#[from] ScriptError),
    #[error(transparent)]
    Embed(#[from] embedded::EmbedError),
    /// Boxed: generator errors carry the cdef's text for their snippets.
    #[error("module `{module}`: {source}")]
    Generate { module: String, source: Box<GenerateError> },
    #[error("module `{module}`: {source}")]
    PkgConfig { module: String, source: PkgConfigError },
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// A cdef declaration the C does not provide (boxed: it carries cdef snippets).
    #[error(transparent)]
    NotProvided(Box<provided::NotProvided>),
    /// A compile error in the C source given to set_source, at the user's line.
    #[error(transparent)]
    UserSource(Box<user_source::SourceError>),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Repair(Box<audit::RepairError>),
    #[error("{origin}: {why}")]
    Compatibility { origin: String, why: String },
    #[error("two modules are both named `{name}`: {first} and {second}")]
    DuplicateModule { name: String, first: String, second: String },
    #[error("cannot write into the output directory {}: {source}", path.display())]
    OutputDir { path: PathBuf, source: std::io::Error },
    #[error("cannot use the build directory {}: {source}", path.display())]
    BuildDir { path: PathBuf, source: std::io::Error },
    /// A `cffi-modules` entry of `pyproject.toml` naming no usable build script.
    #[error("{source}")]
    CffiModulesEntry { source: DiscoveryError, file: SourceFile, span: Range<usize> },
    #[error("setup.py's cffi_modules names `{spec}`: {why}")]
    SetupPyScriptOutside { spec: String, why: String },
    /// A build script's `set_source` arguments that cannot build a module.
    #[error("{origin}: {message}")]
    ScriptModule { origin: ModuleOrigin, message: String },
    /// A `module-options` table naming no module of the build (boxed: it is large).
    #[error("`{}` names no module", .0.table)]
    UnknownModuleOptions(Box<UnknownModuleOptions>),
    /// PEP 517: the wheel's metadata is not what `prepare_metadata_for_build_wheel` gave.
    #[error("the wheel's METADATA differs from the one prepared earlier in {}: {detail}", dir.display())]
    MetadataMismatch { dir: PathBuf, detail: String },
}

impl ToDiagnostic for PipelineError {
    fn to_diagnostic(&self) -> Diagnostic {
        match self {
            PipelineError::Config(e) => e.as_ref().to_diagnostic(),
            PipelineError::Interpreter(e) => e.to_diagnostic(),
            PipelineError::Discovery(e) => e.to_diagnostic(),
            PipelineError::Cross(e) => e.to_diagnostic(),
            PipelineError::Embed(e) => e.to_diagnostic(),
            PipelineError::Script(e) => e.to_diagnostic(),
            PipelineError::Generate { module, source } => {
                let mut d = source.to_diagnostic();
                // A refusal's title already names the module ("cannot generate module `m`").
                if !matches!(**source, GenerateError::Refused { .. }) {
                    d.title = format!("module `{module}`: {}", d.title);
                }
                if d.labels.iter().any(|l| l.file.name.contains(crate::script_runner::CDEF_STRING_MARKER)) {
                    d = d.with_note(
                        "line and column count from the start of the string given to cdef(): it is \
                         found in the script only when the argument is a plain string literal \
                         (without escapes or computed parts)",
                    );
                }
                d
            }
            PipelineError::PkgConfig { module, source } => {
                let mut d = source.to_diagnostic();
                d.title = format!("module `{module}`: {}", d.title);
                d
            }
            PipelineError::Compile(e) => e.to_diagnostic(),
            PipelineError::NotProvided(e) => e.to_diagnostic(),
            PipelineError::UserSource(e) => e.to_diagnostic(),
            PipelineError::Archive(e) => e.to_diagnostic(),
            PipelineError::Audit(e) => e.to_diagnostic(),
            PipelineError::OutputDir { .. } => {
                Diagnostic::error(self.to_string()).with_help("choose a directory you can write to")
            }
            PipelineError::CffiModulesEntry { file, span, .. } => {
                Diagnostic::error(self.to_string()).with_label(file, span.clone(), "listed here")
            }
            PipelineError::UnknownModuleOptions(e) => {
                let UnknownModuleOptions { file, span, label, help, .. } = e.as_ref();
                Diagnostic::error(self.to_string())
                    .with_label(file, span.clone(), label.clone())
                    .with_help(help.clone())
            }
            _ => Diagnostic::error(self.to_string()),
        }
    }
}

#[derive(Debug)]
pub struct UnknownModuleOptions {
    pub table: TableRef,
    pub file: SourceFile,
    pub span: Range<usize>,
    /// What the label at the table's name says.
    pub label: String,
    pub help: String,
}

impl From<ConfigError> for PipelineError {
    fn from(e: ConfigError) -> Self {
        // Boxed: config errors carry whole diagnostics and would bloat every Result.
        PipelineError::Config(Box::new(e))
    }
}

/// What `build_wheel` / `build_editable` need.
#[derive(Clone, Debug)]
pub struct WheelRequest {
    /// The project root (holding `pyproject.toml`).
    pub root: PathBuf,
    /// The target interpreter.
    pub python: PathBuf,
    pub out_dir: PathBuf,
    /// PEP 660: compiled modules in the wheel, pure Python live from the tree.
    pub editable: bool,
    /// `--compatibility` or the `compatibility` config-setting: overrides
    /// `[tool.cffi-forge] compatibility` and `AUDITWHEEL_PLAT`.
    pub compatibility: Option<Compatibility>,
    /// A cross build's target triple (see `cross`); `None` builds for `python` itself.
    pub target: Option<String>,
}

/// Build a wheel; returns its path inside `out_dir`.
pub fn build_wheel(request: &WheelRequest) -> Result<PathBuf, PipelineError> {
    let started = Instant::now();
    check_writable(&request.out_dir)?;
    let (project, target, resolved) = prepare(&request.root, &request.python, request.target.as_deref())?;
    let naming = resolved.naming.clone();
    if !naming.modules.is_empty() {
        ui::status("Tagging", &naming.reason);
    }
    if request.editable {
        let mut tag = naming.tag.clone();
        let linux = target.interp.is_linux();
        let tree = build_editable_tree(&project, target, resolved)?;
        // The platform tag the audit would give; nothing is repaired: the modules stay in
        // the build directory, next to the system's libraries they were linked with.
        if linux && tag.platform.starts_with("linux_") {
            if let Some(platform) = editable_platform(request, &project, &tree)? {
                tag.platform = platform;
            }
        }
        ui::status("Writing", format!("editable wheel {}-{}.whl", project.metadata.file_name_stem(), tag));
        let wheel = archive::write_editable_wheel(&project, &tag, &tree, &request.out_dir)?;
        ui::status("Finished", format!("in {:.2}s", started.elapsed().as_secs_f64()));
        return Ok(wheel);
    }

    let linux = target.interp.is_linux();
    let (mut built, _) = build_modules(target, resolved)?;
    let mut tag = naming.tag.clone();
    if linux && tag.platform.starts_with("linux_") {
        audit_built(request.compatibility.as_ref(), &project, &mut built, &mut tag)?;
    }
    // A stub the project writes itself wins over the generated one.
    let source_root = project.python.root(&project.root);
    built.retain(|b| !b.archive_path.ends_with(".pyi") || !source_root.join(&b.archive_path).exists());
    ui::status("Writing", format!("wheel {}-{}.whl", project.metadata.file_name_stem(), tag));
    let wheel = {
        let _t = crate::timings::phase("wheel");
        archive::write_wheel(&project, &tag, &built, &request.out_dir)?
    };
    ui::status("Finished", format!("in {:.2}s", started.elapsed().as_secs_f64()));
    Ok(wheel)
}

/// Audit the compiled modules of a Linux build: the platform tag they satisfy goes into
/// `tag`, and the libraries they need from outside the policy are bundled into
/// `<dist>.libs/` (the modules rewritten to find them there).
fn audit_built(
    flag: Option<&Compatibility>,
    project: &Project,
    built: &mut Vec<BuiltFile>,
    tag: &mut crate::tags::WheelTag,
) -> Result<(), PipelineError> {
    let request = compatibility_request(flag, project)?;
    let modules: Vec<audit::Module> = built
        .iter()
        .filter_map(|b| match &b.source {
            archive::Source::File(file) if !b.archive_path.ends_with(".py") => {
                Some(audit::Module { archive_path: b.archive_path.clone(), file: file.clone() })
            }
            _ => None,
        })
        .collect();
    if modules.is_empty() {
        return Ok(());
    }
    let _t = crate::timings::phase("audit");
    let outcome = audit::decide(&modules, &request)?;
    ui::status("Auditing", &outcome.why);
    if !outcome.bundles.is_empty() {
        // `<dist>.libs/` at the top of the wheel, as auditwheel names it.
        let stem = project.metadata.file_name_stem();
        let libs_dir = format!("{}.libs", stem.split('-').next().unwrap_or(&stem));
        let repaired = audit::repair::repair(&modules, &outcome.bundles, &libs_dir)
            .map_err(|e| PipelineError::Repair(Box::new(e)))?;
        for (soname, new_name) in &repaired.renamed {
            ui::verbose("Bundling", format!("{soname} as {libs_dir}/{new_name}"));
        }
        for (path, data) in repaired.modules {
            if let Some(file) = built.iter_mut().find(|b| b.archive_path == path) {
                *file = BuiltFile::bytes(path, data);
            }
        }
        built.extend(repaired.libraries.into_iter().map(|(path, data)| BuiltFile::bytes(path, data)));
    }
    if let Some(platform) = outcome.platform {
        tag.platform = platform;
    }
    Ok(())
}

/// What a build-tool plugin (the hatchling and pdm-backend hooks) adds to the wheel that
/// the other tool writes: the compiled and generated files, and the wheel's tag.
pub struct PluginBuild {
    pub files: Vec<BuiltFile>,
    pub tag: crate::tags::WheelTag,
    /// The directory holding importable code (where an in-place build puts the files).
    pub source_root: PathBuf,
}

/// Build every module of `project` for `python` as [`build_wheel`] does (audit and
/// repair included), without writing a wheel: the plugin's host writes it.
pub fn build_for_plugin(
    project: Project,
    python: &Path,
    compatibility: Option<&Compatibility>,
) -> Result<PluginBuild, PipelineError> {
    let (project, target, resolved) = prepare_loaded(project, python, None)?;
    let naming = resolved.naming.clone();
    if !naming.modules.is_empty() {
        ui::status("Tagging", &naming.reason);
    }
    let linux = target.interp.is_linux();
    let (mut built, _) = build_modules(target, resolved)?;
    let mut tag = naming.tag.clone();
    if linux && tag.platform.starts_with("linux_") {
        audit_built(compatibility, &project, &mut built, &mut tag)?;
    }
    let source_root = project.python.root(&project.root);
    built.retain(|b| !b.archive_path.ends_with(".pyi") || !source_root.join(&b.archive_path).exists());
    Ok(PluginBuild { files: built, tag, source_root })
}

/// The project loaded, the target prepared, the build scripts run and everything
/// resolved for `python`: what every build does before compiling.
fn prepare(
    root: &Path,
    python: &Path,
    cross: Option<&str>,
) -> Result<(Project, Target, Resolved), PipelineError> {
    prepare_loaded(load(root)?, python, cross)
}

/// [`prepare`] for a project already loaded.
fn prepare_loaded(
    mut project: Project,
    python: &Path,
    cross: Option<&str>,
) -> Result<(Project, Target, Resolved), PipelineError> {
    // Asking the interpreter for its facts and setting up the compiler overlap with the
    // build scripts, which take the longest.
    let (target, from_scripts) = std::thread::scope(|scope| {
        let target = scope.spawn(|| Target::prepare(&project, python, cross));
        let from_scripts = script_modules(&project, python);
        (target.join().expect("target preparation does not panic"), from_scripts)
    });
    let target = target?;
    let from_scripts = from_scripts?;
    if !from_scripts.is_empty() {
        // What the scripts wrote into the packages ships in this wheel.
        project.rescan_files()?;
    }
    let _t = crate::timings::phase("resolve");
    let mut resolved = resolve::resolve(&project, target.interp.clone(), from_scripts)?;
    embedded::name_in_wheel(&mut resolved, Some(&target.build_dir))?;
    // Missing system libraries are configuration errors: reported before any decision
    // about the wheel is announced.
    apply_pkg_config(&mut resolved)?;
    Ok((project, target, resolved))
}

/// Compile everything into the build directory's editable tree (see `editable`).
fn build_editable_tree(
    project: &Project,
    target: Target,
    resolved: Resolved,
) -> Result<archive::EditableTree, PipelineError> {
    let inputs = editable::ConfigInputs::of(project, &resolved);
    let (interp, build_dir) = (target.interp.clone(), target.build_dir.clone());
    let (mut built, compiled) = build_modules(target, resolved)?;
    // Type checkers do not look inside the hook's build folder: stubs would be dead weight.
    built.retain(|b| !b.archive_path.ends_with(".pyi"));
    editable::write_tree(project, &interp, &build_dir, built, compiled, inputs)
}

/// The platform tag the audit gives the editable tree's compiled modules, if any.
fn editable_platform(
    request: &WheelRequest,
    project: &Project,
    tree: &archive::EditableTree,
) -> Result<Option<String>, PipelineError> {
    let modules: Vec<audit::Module> = tree
        .files
        .iter()
        .filter(|(archive_path, _)| !archive_path.ends_with(".py"))
        .map(|(archive_path, file)| audit::Module { archive_path: archive_path.clone(), file: file.clone() })
        .collect();
    if modules.is_empty() {
        return Ok(None);
    }
    let outcome = audit::decide(&modules, &compatibility_request(request.compatibility.as_ref(), project)?)?;
    ui::status("Auditing", &outcome.why);
    Ok(outcome.platform)
}

/// `cffi-forge editable-rebuild`: what the import hook of an editable install runs when
/// an input changed. Rebuilds every module of the project for `python` (unchanged ones
/// come from the object cache) into the build directory's editable tree, and rewrites
/// its manifest. Returns the manifest's path.
pub fn rebuild_editable(root: &Path, python: &Path) -> Result<PathBuf, PipelineError> {
    let (project, target, resolved) = prepare(root, python, None)?;
    Ok(build_editable_tree(&project, target, resolved)?.manifest)
}

/// Which compatibility the build asks for: `--compatibility` (or the config-setting), else
/// `[tool.cffi-forge] compatibility`, else `AUDITWHEEL_PLAT` (set inside cibuildwheel's
/// and the manylinux images), else automatic.
pub fn compatibility_request(
    flag: Option<&Compatibility>,
    project: &Project,
) -> Result<audit::Request, PipelineError> {
    if let Some(compatibility) = flag {
        return Ok(audit::Request {
            compatibility: compatibility.clone(),
            origin: "--compatibility".into(),
            exclude: project.tool.repair_exclude.clone(),
        });
    }
    if let Some(compatibility) = &project.tool.compatibility {
        let origin = "[tool.cffi-forge] compatibility".to_string();
        return Ok(audit::Request {
            compatibility: compatibility.clone(),
            origin,
            exclude: project.tool.repair_exclude.clone(),
        });
    }
    let mut request = compatibility_from_env(std::env::var("AUDITWHEEL_PLAT").ok().as_deref())?;
    request.exclude = project.tool.repair_exclude.clone();
    Ok(request)
}

fn compatibility_from_env(value: Option<&str>) -> Result<audit::Request, PipelineError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(plat) => {
            let origin = format!("AUDITWHEEL_PLAT={plat}");
            let compatibility = Compatibility::parse(plat)
                .map_err(|why| PipelineError::Compatibility { origin: origin.clone(), why })?;
            Ok(audit::Request { compatibility, origin, exclude: Vec::new() })
        }
        None => Ok(audit::Request {
            compatibility: Compatibility::Auto,
            origin: "the default".into(),
            exclude: Vec::new(),
        }),
    }
}

/// The resolved configuration of the project for the interpreter `python`: runs the
/// build scripts and evaluates `when` markers, compiles nothing (`cffi-forge inspect`).
/// `cross`: a target triple, as for [`WheelRequest::target`].
pub fn resolve_project(
    root: &Path,
    python: &Path,
    cross: Option<&str>,
) -> Result<(Project, Resolved), PipelineError> {
    let project = load(root)?;
    let (interp, from_scripts) = std::thread::scope(|scope| {
        let interp = scope.spawn(|| Interpreter::query(python));
        let from_scripts = script_modules(&project, python);
        (interp.join().expect("the interpreter query does not panic"), from_scripts)
    });
    let mut interp = interp?;
    if let Some(triple) = cross {
        interp = crate::cross::retarget(&interp, triple, &crate::compile::process_env())?;
    }
    let mut resolved = resolve::resolve(&project, interp, from_scripts?)?;
    embedded::name_in_wheel(&mut resolved, None)?;
    Ok((project, resolved))
}

/// Write the source distribution; returns its path inside `out_dir`.
pub fn build_sdist(root: &Path, out_dir: &Path) -> Result<PathBuf, PipelineError> {
    let started = Instant::now();
    check_writable(out_dir)?;
    let project = load(root)?;
    ui::status("Writing", format!("sdist {}", project.metadata.sdist_file_name()));
    let sdist = archive::write_sdist(&project, out_dir)?;
    ui::status("Finished", format!("in {:.2}s", started.elapsed().as_secs_f64()));
    Ok(sdist)
}

/// `prepare_metadata_for_build_wheel`: the `.dist-info` directory, from `pyproject.toml`
/// alone (no build script runs, nothing compiles). Returns its path.
pub fn prepare_metadata(root: &Path, out_dir: &Path) -> Result<PathBuf, PipelineError> {
    check_writable(out_dir)?;
    let project = load(root)?;
    Ok(archive::write_metadata_dir(&project, None, out_dir)?)
}

/// `get_requires_for_build_wheel`: `cffi` when build scripts must run (they import it),
/// except on PyPy, where cffi is built in. Decided without running anything.
pub fn requires_for_build_wheel(root: &Path, python: &Path) -> Result<Vec<String>, PipelineError> {
    let project = load(root)?;
    let scripts = find_scripts(&project)?;
    if scripts.is_empty() {
        return Ok(Vec::new());
    }
    let interp = Interpreter::query(python)?;
    Ok(if interp.is_pypy() { Vec::new() } else { vec!["cffi".to_string()] })
}

/// Load the project with an absolute root, so every path shown or passed on is
/// unambiguous (`csrc/foo.c`, not `./csrc/foo.c`).
fn load(root: &Path) -> Result<Project, PipelineError> {
    let _t = crate::timings::phase("config");
    let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    Ok(Project::load(&root)?)
}

/// Fail before any work if the artifact could not be written.
fn check_writable(dir: &Path) -> Result<(), PipelineError> {
    let fail = |source| PipelineError::OutputDir { path: dir.to_path_buf(), source };
    fs::create_dir_all(dir).map_err(fail)?;
    tempfile::tempfile_in(dir).map_err(fail)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Generator;

    fn project(tool: &str) -> Project {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("[project]\nname = \"x\"\nversion = \"1\"\n{tool}");
        Project::from_text(dir.path(), text).unwrap()
    }

    #[test]
    fn build_scripts_use_the_native_generator_unless_cffi_is_asked_for() {
        assert_eq!(project("").tool.generator, Generator::Native);
        assert_eq!(project("[tool.cffi-forge]\ngenerator = \"cffi\"\n").tool.generator, Generator::Cffi);
        assert_eq!(project("[tool.cffi-forge]\ngenerator = \"native\"\n").tool.generator, Generator::Native);
    }
}
