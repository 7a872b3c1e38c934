//! Source distributions: `{name}-{version}.tar.gz` holding `{name}-{version}/PKG-INFO`
//! and the project's files.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::sinks::{ListSink, Listed, TarGzSink};
use super::writer::{disk_mode, Entries, Order, MODE_FILE};
use super::ArchiveError;
use crate::config::{Project, VersionSource};
use crate::metadata::License;

/// Everything in the sdist: PKG-INFO (with resolved dynamic values), every file of
/// [`Project::files`] (the tree minus ignored files, with include/exclude applied), and
/// the files the metadata names, even when ignored. Files under `out_dir` (when it is
/// inside the project) are left out, so earlier outputs never end up inside new ones.
fn sdist_entries(project: &Project, out_dir: Option<&Path>) -> Entries {
    let stem = project.metadata.file_name_stem();
    let mut entries = Entries::new();
    let skip_prefix = out_dir.and_then(|dir| {
        let dir = fs_err::canonicalize(dir).ok()?;
        let root = fs_err::canonicalize(&project.root).ok()?;
        crate::config::files::relative(&root, &dir).filter(|rel| !rel.is_empty()).map(|rel| format!("{rel}/"))
    });
    let mut add = |rel: &str| {
        let path = project.root.join(rel);
        let mode = disk_mode(&path);
        entries.add_file(format!("{stem}/{rel}"), path, mode);
    };
    for rel in &project.files {
        if skip_prefix.as_deref().is_some_and(|prefix| rel.starts_with(prefix)) {
            continue;
        }
        add(rel);
    }
    // Files the metadata is built from must be there for a build from the sdist.
    add("pyproject.toml");
    if let Some(readme) = project.metadata.readme.as_ref().and_then(|r| r.file.as_deref()) {
        add(readme);
    }
    if let Some(License::Text { file: Some(file), .. }) = &project.metadata.license {
        add(file);
    }
    for license in &project.metadata.license_files {
        add(license);
    }
    if let Some(VersionSource::File { path, .. }) = &project.tool.version {
        add(path);
    }
    for script in &project.tool.script_files {
        add(script.get_ref());
    }
    entries.add_bytes(format!("{stem}/PKG-INFO"), project.metadata.core_metadata(), MODE_FILE);
    entries
}

/// `build_sdist`: write `{name}-{version}.tar.gz` into `out_dir` and return its path.
pub fn write_sdist(project: &Project, out_dir: &Path) -> Result<PathBuf, ArchiveError> {
    let entries = sdist_entries(project, Some(out_dir));
    let sink = TarGzSink::create(out_dir.join(project.metadata.sdist_file_name()))?;
    entries.write(Box::new(sink), Order::Sdist, None)
}

/// What [`write_sdist`] would write, with each entry's source file (`None` = generated).
pub fn list_sdist(project: &Project) -> Result<Vec<Listed>, ArchiveError> {
    let entries = sdist_entries(project, None);
    let out = Rc::new(RefCell::new(Vec::new()));
    entries.write(Box::new(ListSink { out: out.clone() }), Order::Sdist, None)?;
    Ok(out.take())
}
