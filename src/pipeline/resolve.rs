//! Config → module specs: the build scripts found and run, the tables that apply to
//! the target, `module-options` merged, names checked, and each module's wheel file and
//! limited-API use decided ([`Resolved`]). Nothing here compiles.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{PipelineError, UnknownModuleOptions};
use crate::compile::LimitedApi;
use crate::config::{Extension, Generator, ModuleOptions, Project, SkippedTable, StaticLibrary};
use crate::discovery::{self, BuildScript, ScriptSource};
use crate::interpreter::Interpreter;
use crate::script_runner;
use crate::spec::{ModuleOrigin, ModuleSpec, TableRef};
use crate::tags::{self, ModuleFile, ModuleInput, ModuleKind, Naming};
use crate::ui;

/// The build scripts of the project, with the user told how they were found.
pub(super) fn find_scripts(project: &Project) -> Result<Vec<BuildScript>, PipelineError> {
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
        Some(ScriptSource::SetupPy) => {
            ui::warning(format!(
                "using `cffi_modules` from setup.py (read, never run): {}{}; \
             move it to pyproject.toml as [tool.cffi-forge] cffi-modules",
                scripts.iter().map(|s| format!("{:?}", s.spec())).collect::<Vec<_>>().join(", "),
                scripts[0]
                    .ext_package
                    .as_ref()
                    .map(|p| format!(" with ext_package {p:?} (ext-package)"))
                    .unwrap_or_default(),
            ));
            for message in unread_setup_py_layout(project) {
                ui::warning(message);
            }
        }
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

/// setup.py's `setup()` keys that decide what ships, when setup.py is read (for its
/// `cffi_modules`) but what ships was left to discovery: setuptools does no discovery when
/// they are given, so the two wheels can differ (sounddevice's `packages`, computed per
/// platform, keeps its bundled Windows and macOS PortAudio binaries out of Linux wheels;
/// discovery ships them). Said, with the lines, rather than guessed.
///
/// Also a second `setup(` call: pyvips 3.2.0 calls `setup(cffi_modules=...)` in a `try`
/// and a plain `setup()` in its `except`, so setuptools builds a pure wheel (ABI mode at
/// run time) when the build script fails; cffi-forge reads the first call only.
fn unread_setup_py_layout(project: &Project) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(project.root.join("setup.py")) else { return Vec::new() };
    let call = crate::setup_py::SetupCall::parse_in(&text, Some(&project.root));
    let mut messages: Vec<String> = call
        .problems
        .iter()
        .filter(|(_, problem)| problem.starts_with("a second `setup(` call"))
        .map(|(line, _)| {
            format!(
                "setup.py:{line}: a second `setup(` call, which cffi-forge does not read: if it is \
                 a fallback (in an `except`) that setuptools runs when the build scripts fail, \
                 here their failure fails the build; [tool.cffi-forge] cffi-modules = [] builds \
                 without them"
            )
        })
        .collect();
    messages.extend(unread_layout_keys(project, &call));
    messages
}

fn unread_layout_keys(project: &Project, call: &crate::setup_py::SetupCall) -> Option<String> {
    let layout = &project.python;
    let discovered = layout.decided_by.values().all(|why| why.starts_with("discovered"));
    let default_data = layout.package_data.decided_by.ends_with("the default");
    let keys: &[(&str, bool)] = &[
        ("packages", discovered),
        ("py_modules", discovered),
        ("package_dir", discovered),
        ("package_data", default_data),
        ("include_package_data", default_data),
        ("exclude_package_data", default_data),
    ];
    let unread: Vec<String> = keys
        .iter()
        .filter(|(_, applies)| *applies)
        .filter_map(|(key, _)| call.arg(key))
        .map(|arg| {
            let computed = if arg.value.is_ok() { "" } else { ", computed" };
            format!("`{}` (line {}{computed})", arg.key, arg.line)
        })
        .collect();
    if unread.is_empty() {
        return None;
    }
    let mut shipped: Vec<String> = layout.packages.iter().map(|p| format!("{p}/")).collect();
    shipped.extend(layout.modules.iter().map(|m| format!("{m}.py")));
    Some(format!(
        "setup.py passes {} to setup(), which cffi-forge does not read (only `cffi_modules`); \
         the wheel ships what discovery found instead: {}; say what ships in pyproject.toml \
         ([tool.cffi-forge] packages, py-modules, package-data), or run `cffi-forge migrate`",
        unread.join(", "),
        if shipped.is_empty() { "no Python code".to_string() } else { shipped.join(", ") },
    ))
}

/// The modules the project's build scripts declare, run with `python`.
pub(super) fn script_modules(project: &Project, python: &Path) -> Result<Vec<ModuleSpec>, PipelineError> {
    let _t = crate::timings::phase("scripts");
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
    /// What its link makes: an extension module, or an embedding library (see `embedded`).
    pub output: crate::compile::Output,
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
pub(super) fn resolve(
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
    // A module's own `stubs` (its table or `module-options`) before the project's.
    for (spec, _) in &mut specs {
        spec.options.stubs = spec.options.stubs.or(project.tool.stubs);
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
            ResolvedModule { spec, module_options, file, limited_api, output: Default::default() }
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
    PipelineError::UnknownModuleOptions(Box::new(UnknownModuleOptions {
        table: options.table.clone(),
        file: project.pyproject.clone(),
        span: options.span.clone(),
        label,
        help,
    }))
}

#[cfg(test)]
mod tests {
    use super::super::{requires_for_build_wheel, resolve_project};
    use crate::diagnostic::ToDiagnostic;
    use std::path::Path;

    #[test]
    fn duplicate_module_names_both_tables_by_their_toml_path() {
        let dir = tempfile::tempdir().unwrap();
        let module = "[[tool.cffi-forge.module]]\nname = \"_m\"\ncdef = \"int f(void);\"\n";
        let text = format!("[project]\nname = \"x\"\nversion = \"1\"\n{module}{module}");
        std::fs::write(dir.path().join("pyproject.toml"), text).unwrap();
        let python = std::env::var_os("CFFI_FORGE_TEST_PYTHON").unwrap_or_else(|| "python3".into());
        let err = resolve_project(dir.path(), Path::new(&python), None).unwrap_err();
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
}
