//! Editable builds: which files each module is made from (for the import hook's
//! staleness check), and the build-directory tree the hook loads the modules from.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{PipelineError, Resolved};
use crate::archive::{self, BuiltFile, EditableModule, EditableTree};
use crate::config::Project;
use crate::spec::ModuleOrigin;

/// What the configuration says each module is made from, by its path in the wheel:
/// (dotted name, files). Compiler inputs (sources, headers) come later, from the build.
pub(super) struct ConfigInputs {
    /// Files every module depends on: `pyproject.toml`, `setup.cfg`, `setup.py`.
    pub common: Vec<PathBuf>,
    pub modules: HashMap<String, (String, Vec<PathBuf>)>,
}

impl ConfigInputs {
    pub(super) fn of(project: &Project, resolved: &Resolved) -> ConfigInputs {
        let root = &project.root;
        let common: Vec<PathBuf> = ["pyproject.toml", "setup.cfg", "setup.py"]
            .into_iter()
            .map(|name| root.join(name))
            .filter(|path| path.is_file())
            .collect();
        let mut modules = HashMap::new();
        for module in &resolved.modules {
            let spec = &module.spec;
            let mut inputs = Vec::new();
            if let ModuleOrigin::Script { path, .. } = &spec.origin {
                inputs.push(root.join(path));
            }
            inputs.extend(spec.reads.iter().map(|path| root.join(path)));
            // `cdef-file`, `[[cdefs]] file`: their messages name the file they were read from.
            // Those of included modules too: their declarations are in this module's tables.
            let mut cdefs: Vec<&crate::spec::CdefSource> = spec.cdefs.iter().collect();
            let mut pending: Vec<&crate::spec::IncludeSpec> = spec.includes.iter().collect();
            while let Some(include) = pending.pop() {
                cdefs.extend(&include.cdefs);
                pending.extend(&include.includes);
            }
            for cdef in cdefs {
                let path = root.join(&cdef.file.name);
                if path.is_file() && !inputs.contains(&path) {
                    inputs.push(path);
                }
            }
            let table = project.tool.modules.iter().find(|t| t.name.get_ref() == &spec.name);
            if let Some(source_file) = table.and_then(|t| t.source_file.as_ref()) {
                inputs.push(root.join(source_file.get_ref()));
            }
            inputs.extend(spec.options.sources.iter().chain(&spec.options.depends).map(|p| root.join(p)));
            modules.insert(module.file.archive_path.clone(), (spec.name.clone(), inputs));
        }
        for extension in &resolved.extensions {
            let options = &extension.extension.options;
            let inputs = options.sources.iter().chain(&options.depends).map(|p| root.join(p)).collect();
            modules.insert(extension.file.archive_path.clone(), (extension.extension.name.clone(), inputs));
        }
        ConfigInputs { common, modules }
    }
}

/// Put the built files where the hook loads them, with the manifest of their inputs.
/// `compiled`: (path in the wheel, compiler inputs) of each compiled module.
pub(super) fn write_tree(
    project: &Project,
    interp: &crate::interpreter::Interpreter,
    build_dir: &Path,
    built: Vec<BuiltFile>,
    compiled: Vec<(String, Vec<PathBuf>)>,
    mut config: ConfigInputs,
) -> Result<EditableTree, PipelineError> {
    let mut compiled: HashMap<String, Vec<PathBuf>> = compiled.into_iter().collect();
    let mut modules = Vec::new();
    for file in built {
        let Some((name, mut inputs)) = config.modules.remove(&file.archive_path) else { continue };
        inputs.extend(compiled.remove(&file.archive_path).unwrap_or_default());
        modules.push(EditableModule { name, file, inputs });
    }
    let binary = std::env::current_exe()
        .map_err(|source| PipelineError::BuildDir { path: PathBuf::from("cffi-forge"), source })?;
    let builder = archive::editable::Builder {
        project_root: &project.root,
        binary: &binary,
        python: &interp.executable,
        ext_suffix: &interp.ext_suffix,
        build_dir,
    };
    Ok(archive::write_editable_tree(&builder, &modules, &config.common)?)
}
