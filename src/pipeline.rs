//! The build, one direction: config → module specs → generated source → objects →
//! archive. Every command (`cffi-forge build`, the PEP 517 hooks) is a path through
//! these steps; nothing here knows about the command line.

pub mod inspect;

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;

use fs_err as fs;

use crate::archive::{self, ArchiveError, BuiltFile};
use crate::compile::{self, CompileError, CompileJob, LibraryJob, LimitedApi, Toolchain};
use crate::config::{ConfigError, Extension, Generator, ModuleOptions, Project, SkippedTable, StaticLibrary};
use crate::diagnostic::{Diagnostic, SourceFile, ToDiagnostic};
use crate::discovery::{self, BuildScript, DiscoveryError, ScriptSource};
use crate::generate::{self, GenerateError, Generated};
use crate::interpreter::{Interpreter, InterpreterError};
use crate::pkgconfig::{PkgConfig, PkgConfigError};
use crate::script_runner::{self, ScriptError};
use crate::spec::{ModuleOrigin, ModuleSpec, TableRef};
use crate::tags::{self, ModuleFile, ModuleInput, ModuleKind, Naming};
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
    /// Boxed: generator errors carry the cdef's text for their snippets.
    #[error("module `{module}`: {source}")]
    Generate { module: String, source: Box<GenerateError> },
    #[error("module `{module}`: {source}")]
    PkgConfig { module: String, source: PkgConfigError },
    #[error(transparent)]
    Compile(#[from] CompileError),
    #[error(transparent)]
    Archive(#[from] ArchiveError),
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
    /// A `module-options` table naming no module of the build.
    #[error("`{table}` names no module")]
    UnknownModuleOptions {
        table: TableRef,
        file: SourceFile,
        span: Range<usize>,
        label: String,
        help: String,
    },
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
            PipelineError::Script(e) => e.to_diagnostic(),
            PipelineError::Generate { module, source } => {
                let mut d = source.to_diagnostic();
                d.title = format!("module `{module}`: {}", d.title);
                d
            }
            PipelineError::PkgConfig { module, source } => {
                let mut d = source.to_diagnostic();
                d.title = format!("module `{module}`: {}", d.title);
                d
            }
            PipelineError::Compile(e) => e.to_diagnostic(),
            PipelineError::Archive(e) => e.to_diagnostic(),
            PipelineError::OutputDir { .. } => {
                Diagnostic::error(self.to_string()).with_help("choose a directory you can write to")
            }
            PipelineError::CffiModulesEntry { file, span, .. } => {
                Diagnostic::error(self.to_string()).with_label(file, span.clone(), "listed here")
            }
            PipelineError::UnknownModuleOptions { file, span, label, help, .. } => {
                Diagnostic::error(self.to_string())
                    .with_label(file, span.clone(), label.clone())
                    .with_help(help.clone())
            }
            _ => Diagnostic::error(self.to_string()),
        }
    }
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
    /// A cross build's target triple (see `cross`); `None` builds for `python` itself.
    pub target: Option<String>,
}

/// Build a wheel; returns its path inside `out_dir`.
pub fn build_wheel(request: &WheelRequest) -> Result<PathBuf, PipelineError> {
    let started = Instant::now();
    check_writable(&request.out_dir)?;
    let mut project = load(&request.root)?;
    // Asking the interpreter for its facts and setting up the compiler overlap with the
    // build scripts, which take the longest.
    let (target, from_scripts) = std::thread::scope(|scope| {
        let target = scope.spawn(|| Target::prepare(&project, &request.python, request.target.as_deref()));
        let from_scripts = script_modules(&project, &request.python);
        (target.join().expect("target preparation does not panic"), from_scripts)
    });
    let target = target?;
    let from_scripts = from_scripts?;
    if !from_scripts.is_empty() {
        // What the scripts wrote into the packages ships in this wheel.
        project.rescan_files()?;
    }
    let mut resolved = resolve(&project, target.interp.clone(), from_scripts)?;
    // Missing system libraries are configuration errors: reported before any decision
    // about the wheel is announced.
    apply_pkg_config(&mut resolved)?;
    let naming = resolved.naming.clone();
    if !naming.modules.is_empty() {
        ui::status("Tagging", &naming.reason);
    }

    let built = build_modules(target, resolved)?;
    let kind = if request.editable { "editable wheel" } else { "wheel" };
    ui::status("Writing", format!("{kind} {}-{}.whl", project.metadata.file_name_stem(), naming.tag));
    let wheel = if request.editable {
        archive::write_editable_wheel(&project, &naming.tag, &built, &request.out_dir)?
    } else {
        archive::write_wheel(&project, &naming.tag, &built, &request.out_dir)?
    };
    ui::status("Finished", format!("in {:.2}s", started.elapsed().as_secs_f64()));
    Ok(wheel)
}

/// The resolved configuration of the project for the interpreter `python`: runs the
/// build scripts and evaluates `when` markers, compiles nothing (`cffi-forge inspect`).
pub fn resolve_project(root: &Path, python: &Path) -> Result<(Project, Resolved), PipelineError> {
    let project = load(root)?;
    let (interp, from_scripts) = std::thread::scope(|scope| {
        let interp = scope.spawn(|| Interpreter::query(python));
        let from_scripts = script_modules(&project, python);
        (interp.join().expect("the interpreter query does not panic"), from_scripts)
    });
    let resolved = resolve(&project, interp?, from_scripts?)?;
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

// ---------------------------------------------------------------------------------
// Config → module specs.

/// The build scripts of the project, with the user told how they were found.
fn find_scripts(project: &Project) -> Result<Vec<BuildScript>, PipelineError> {
    let scripts = match &project.tool.cffi_modules {
        // Each entry parsed with its span, so an error points at it in pyproject.toml.
        Some(entries) => entries
            .iter()
            .map(|entry| {
                discovery::parse_spec(
                    &project.root,
                    entry.get_ref(),
                    ScriptSource::Config,
                    discovery::CONFIG_ORIGIN,
                )
                .map_err(|source| PipelineError::CffiModulesEntry {
                    source,
                    file: project.pyproject.clone(),
                    span: entry.span(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
        None => discovery::find_build_scripts(&project.root, None, project.tool.modules.is_empty())?,
    };
    // (`cffi-modules` in pyproject.toml was checked with its span when it was read.)
    for script in scripts.iter().filter(|s| s.source == ScriptSource::SetupPy) {
        let role = crate::config::paths::PathRole::ProjectFile;
        if let Some(why) = crate::config::paths::outside_problem(&project.root, &script.path, role) {
            return Err(PipelineError::SetupPyScriptOutside { spec: script.spec(), why });
        }
    }
    match scripts.first().map(|s| s.source) {
        Some(ScriptSource::SetupPy) => ui::warning(format!(
            "using `cffi_modules` from setup.py (read, never run): {}{}; \
             move it to pyproject.toml as [tool.cffi-forge] cffi-modules",
            scripts.iter().map(|s| format!("{:?}", s.spec())).collect::<Vec<_>>().join(", "),
            scripts[0]
                .ext_package
                .as_ref()
                .map(|p| format!(" with ext_package {p:?} (ext-package)"))
                .unwrap_or_default(),
        )),
        Some(ScriptSource::Discovered) => {
            for script in &scripts {
                ui::status(
                    "Found",
                    format!("{} (set [tool.cffi-forge] cffi-modules to choose)", script.spec()),
                );
            }
        }
        _ => {}
    }
    Ok(scripts)
}

/// The modules the project's build scripts declare, run with `python`.
fn script_modules(project: &Project, python: &Path) -> Result<Vec<ModuleSpec>, PipelineError> {
    let scripts = find_scripts(project)?;
    if scripts.is_empty() {
        return Ok(Vec::new());
    }
    let emit = project.tool.generator == Generator::Cffi;
    let source_dir = project.python.root(&project.root);
    let import_dirs: Vec<PathBuf> = (source_dir != project.root).then_some(source_dir).into_iter().collect();
    let mut specs = script_runner::run_build_scripts(python, &project.root, &import_dirs, &scripts, emit)?;
    // setuptools' `ext_package`: pyproject's `ext-package`, else setup.py's.
    let configured = project.tool.ext_package.as_ref().map(|p| p.get_ref().as_str());
    for spec in &mut specs {
        // The script that declared it (setup.py may give an `ext_package`).
        let from_setup_py = match &spec.origin {
            ModuleOrigin::Script { path, variable } => scripts
                .iter()
                .find(|s| Path::new(&s.path) == path && &s.variable == variable)
                .and_then(|s| s.ext_package.as_deref()),
            ModuleOrigin::Declarative { .. } => None,
        };
        if let Some(prefix) = configured.or(from_setup_py) {
            spec.name = format!("{prefix}.{}", spec.name);
        }
    }
    // Checked before anything is generated or compiled.
    for spec in &specs {
        let problem = crate::spec::module_name_problem(&spec.name)
            .map(|why| {
                format!("set_source names the module {:?}, which cannot be imported: {why}", spec.name)
            })
            .or_else(|| {
                crate::config::paths::build_option_problem(&project.root, &spec.options)
                    .map(|(key, why)| format!("set_source({key}=...): {why}"))
            });
        if let Some(message) = problem {
            return Err(PipelineError::ScriptModule { origin: spec.origin.clone(), message });
        }
    }
    Ok(specs)
}

/// Everything a build for one interpreter makes, decided before anything compiles:
/// what `cffi-forge inspect` shows and [`build_wheel`] builds.
#[derive(Clone, Debug)]
pub struct Resolved {
    pub interp: Interpreter,
    /// CFFI modules: declarative tables, then the build scripts' modules, with their
    /// `module-options` merged in.
    pub modules: Vec<ResolvedModule>,
    /// Plain extension modules.
    pub extensions: Vec<ResolvedExtension>,
    /// Static libraries, with the modules that link them.
    pub libraries: Vec<ResolvedLibrary>,
    /// Tables whose `when` marker is false for this interpreter.
    pub skipped: Vec<SkippedTable>,
    /// File names and the wheel tag (each module and extension carries its own file).
    pub naming: Naming,
}

#[derive(Clone, Debug)]
pub struct ResolvedModule {
    pub spec: ModuleSpec,
    /// The `module-options` tables merged into it.
    pub module_options: Vec<TableRef>,
    /// Where it goes in the wheel.
    pub file: ModuleFile,
    /// How it is compiled (API mode only).
    pub limited_api: LimitedApi,
}

#[derive(Clone, Debug)]
pub struct ResolvedExtension {
    pub extension: Extension,
    /// Where it goes in the wheel.
    pub file: ModuleFile,
    pub limited_api: LimitedApi,
}

#[derive(Clone, Debug)]
pub struct ResolvedLibrary {
    pub library: StaticLibrary,
    /// The modules and extensions that name it in `libraries` (it is built only if any).
    pub linked_into: Vec<String>,
}

/// Every module of the project for `interp`: the tables that apply to it, then the
/// build scripts' modules; `module-options` merged; names checked; tags decided.
fn resolve(
    project: &Project,
    interp: Interpreter,
    from_scripts: Vec<ModuleSpec>,
) -> Result<Resolved, PipelineError> {
    let tables = project.build_tables(Some(&interp))?;
    let mut specs: Vec<(ModuleSpec, Vec<TableRef>)> =
        tables.modules.into_iter().chain(from_scripts).map(|spec| (spec, Vec::new())).collect();

    let mut seen: HashMap<&str, String> = HashMap::new();
    let named = specs
        .iter()
        .map(|(spec, _)| (spec.name.as_str(), spec.origin.to_string()))
        .chain(tables.extensions.iter().map(|e| (e.name.as_str(), e.table.to_string())));
    for (name, origin) in named {
        if let Some(first) = seen.insert(name, origin.clone()) {
            return Err(PipelineError::DuplicateModule { name: name.to_string(), first, second: origin });
        }
    }

    let mut skipped = tables.skipped;
    for options in &tables.module_options {
        let Some((spec, merged)) = specs.iter_mut().find(|(spec, _)| spec.name == options.module) else {
            // The options of a module that a `when` marker leaves out go with it.
            let module_table =
                skipped.iter().find(|s| s.name == options.module && matches!(s.table, TableRef::Module(_)));
            if let Some(module_table) = module_table {
                let when = module_table.when.clone();
                skipped.push(SkippedTable {
                    table: options.table.clone(),
                    name: options.module.clone(),
                    when,
                });
                continue;
            }
            let names: Vec<&str> = specs.iter().map(|(spec, _)| spec.name.as_str()).collect();
            return Err(unknown_module(project, options, &names, &tables.extensions));
        };
        spec.options.append(&options.options);
        merged.push(options.table.clone());
    }

    let libraries: Vec<ResolvedLibrary> = tables
        .libraries
        .into_iter()
        .map(|library| {
            let users = specs
                .iter()
                .map(|(spec, _)| (&spec.name, &spec.options.libraries))
                .chain(tables.extensions.iter().map(|e| (&e.name, &e.options.libraries)));
            let linked_into =
                users.filter(|(_, libs)| libs.contains(&library.name)).map(|(n, _)| n.clone()).collect();
            ResolvedLibrary { library, linked_into }
        })
        .collect();

    let inputs: Vec<ModuleInput> = specs
        .iter()
        .map(|(spec, _)| ModuleInput::from(spec))
        .chain(
            tables
                .extensions
                .iter()
                .map(|e| ModuleInput::extension(e.name.clone(), e.options.py_limited_api == Some(true))),
        )
        .collect();
    let naming = tags::decide(&interp, &inputs, project.requires_python(), project.abi3_policy());
    // Names are unique (checked above), so each module finds its own file.
    let placed = |name: &str, kind: ModuleKind| {
        let file = naming.modules.iter().find(|f| f.name == name).expect("every module is named").clone();
        let limited_api = limited_api(&naming, &file, &interp, kind);
        (file, limited_api)
    };
    let modules = specs
        .into_iter()
        .map(|(spec, module_options)| {
            let (file, limited_api) = placed(&spec.name, ModuleKind::Cffi);
            ResolvedModule { spec, module_options, file, limited_api }
        })
        .collect();
    let extensions = tables
        .extensions
        .into_iter()
        .map(|extension| {
            let (file, limited_api) = placed(&extension.name, ModuleKind::Extension);
            ResolvedExtension { extension, file, limited_api }
        })
        .collect();
    Ok(Resolved { interp, modules, extensions, libraries, skipped, naming })
}

/// How a module is compiled against Python's headers. Outside an abi3 wheel, cffi's C
/// must be kept from defining `Py_LIMITED_API` on CPython, and a plain extension is
/// left alone.
fn limited_api(naming: &Naming, file: &ModuleFile, interp: &Interpreter, kind: ModuleKind) -> LimitedApi {
    match (naming.limited_api(file), kind) {
        (Some(limited), _) => limited,
        (None, ModuleKind::Cffi) if !interp.is_pypy() => LimitedApi::Off,
        (None, _) => LimitedApi::Untouched,
    }
}

/// A `module-options` table naming no module of the build.
fn unknown_module(
    project: &Project,
    options: &ModuleOptions,
    names: &[&str],
    extensions: &[Extension],
) -> PipelineError {
    let label = if extensions.iter().any(|e| e.name == options.module) {
        "this is a [[tool.cffi-forge.extension]]: give the keys in its own table".to_string()
    } else {
        "no module of this build has this name".to_string()
    };
    let closest = names
        .iter()
        .map(|n| (strsim::jaro_winkler(n, &options.module), *n))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    let help = match closest {
        Some((_, name)) => format!("did you mean `{name}`?"),
        None if names.is_empty() => "the build has no CFFI modules".to_string(),
        None => format!(
            "the modules are {} (names after `ext-package`; a table with a false `when` builds nothing)",
            names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        ),
    };
    PipelineError::UnknownModuleOptions {
        table: options.table.clone(),
        file: project.pyproject.clone(),
        span: options.span.clone(),
        label,
        help,
    }
}

// ---------------------------------------------------------------------------------
// Module specs → generated source → compiled modules.

/// What building for one interpreter needs: its facts, the build directory and the
/// compiler. A missing compiler only matters once something must be compiled.
struct Target {
    interp: Interpreter,
    build_dir: PathBuf,
    toolchain: Result<Toolchain, CompileError>,
}

impl Target {
    fn prepare(project: &Project, python: &Path, cross: Option<&str>) -> Result<Target, PipelineError> {
        let env = compile::process_env();
        let mut interp = Interpreter::query(python)?;
        if let Some(triple) = cross {
            interp = crate::cross::retarget(&interp, triple, &env)?;
        }
        let build_dir = build_dir(project, &interp)?;
        let toolchain = Toolchain::new(&interp, &project.root, &build_dir, env);
        Ok(Target { interp, build_dir, toolchain })
    }
}

/// Run pkg-config for every module and extension that names packages, appending the
/// flags to its options (after the user's own, as cffi does).
fn apply_pkg_config(resolved: &mut Resolved) -> Result<(), PipelineError> {
    let pkg_config = PkgConfig::from_env();
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
/// the wheel.
fn build_modules(target: Target, resolved: Resolved) -> Result<Vec<BuiltFile>, PipelineError> {
    let mut built = Vec::new();
    let mut jobs = Vec::new();
    let mut job_paths = Vec::new();
    let Target { build_dir, toolchain, .. } = target;
    let Resolved { modules, extensions, libraries, .. } = resolved;
    for ResolvedModule { mut spec, file, limited_api, .. } in modules {
        let code = match spec.pregenerated.take() {
            Some(pregenerated) => pregenerated.code,
            None => {
                ui::verbose("Generating", format!("{} (native generator)", spec.name));
                match generate::generate(&spec) {
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
            generated: Some(generated),
            options,
            limited_api,
            file_name: file.file_name.clone(),
            cxx_link: false,
        });
        job_paths.push(file.archive_path.clone());
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
    if !jobs.is_empty() {
        let modules = toolchain?.build(&jobs, &library_jobs)?;
        built.extend(job_paths.into_iter().zip(modules).map(|(path, file)| BuiltFile::path(path, file)));
    }
    Ok(built)
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
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    // Named like every cache temporary, so a killed run's is removed by the next build.
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = path.with_file_name(format!(".tmp{}-{name}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn duplicate_module_names_both_tables_by_their_toml_path() {
        let dir = tempfile::tempdir().unwrap();
        let module = "[[tool.cffi-forge.module]]\nname = \"_m\"\ncdef = \"int f(void);\"\n";
        let text = format!("[project]\nname = \"x\"\nversion = \"1\"\n{module}{module}");
        std::fs::write(dir.path().join("pyproject.toml"), text).unwrap();
        let python = std::env::var_os("CFFI_FORGE_TEST_PYTHON").unwrap_or_else(|| "python3".into());
        let err = resolve_project(dir.path(), Path::new(&python)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "two modules are both named `_m`: tool.cffi-forge.module[0] and tool.cffi-forge.module[1]"
        );
    }

    #[test]
    fn a_bad_cffi_modules_entry_is_pointed_at_even_when_an_earlier_one_shares_its_prefix() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a_build.py"), "").unwrap();
        let text = "[project]\nname = \"x\"\nversion = \"1\"\n[tool.cffi-forge]\ncffi-modules = [\n  \"a_build.py:ffi\",\n  \"a:ffi\",\n]\n";
        std::fs::write(dir.path().join("pyproject.toml"), text).unwrap();
        let err = requires_for_build_wheel(dir.path(), Path::new("python3")).unwrap_err();
        assert_eq!(err.to_diagnostic().location().as_deref(), Some("pyproject.toml:7:3"), "{err}");
        assert_eq!(err.to_string(), "'a' does not name an existing file");
    }

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
