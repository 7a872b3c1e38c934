//! Wheels (PEP 427), editable wheels (PEP 660) and metadata directories.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::editable::EditableTree;
use super::sinks::{DirSink, ListSink, Listed, ZipSink};
use super::writer::{disk_mode, Entries, Order, MODE_EXECUTABLE, MODE_FILE};
use super::{ArchiveError, BuiltFile};
use crate::config::Project;
use crate::metadata::{self, normalize_name};
use crate::tags::WheelTag;

/// `.dist-info` files: METADATA, WHEEL (when the tag is known), entry_points.txt,
/// licences under `licenses/` (PEP 639). RECORD is added when the wheel is written.
fn add_dist_info(project: &Project, tag: Option<&WheelTag>, entries: &mut Entries) {
    let dist_info = project.metadata.dist_info_dir();
    entries.add_bytes(format!("{dist_info}/METADATA"), project.metadata.core_metadata(), MODE_FILE);
    if let Some(tag) = tag {
        entries.add_bytes(
            format!("{dist_info}/WHEEL"),
            metadata::wheel_file(&tag.expanded(), tag.is_pure()),
            MODE_FILE,
        );
    }
    if let Some(entry_points) = project.metadata.entry_points() {
        entries.add_bytes(format!("{dist_info}/entry_points.txt"), entry_points, MODE_FILE);
    }
    for license in &project.metadata.license_files {
        entries.add_file(format!("{dist_info}/licenses/{license}"), project.root.join(license), MODE_FILE);
    }
}

fn check_archive_path(project: &Project, path: &str) -> Result<(), ArchiveError> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.contains('\\')
        || path.split('/').any(|c| c.is_empty() || c == "." || c == "..")
        || path.starts_with(&format!("{}/", project.metadata.dist_info_dir()));
    if bad {
        return Err(ArchiveError::BadArchivePath { path: path.to_string() });
    }
    Ok(())
}

fn add_built(
    project: &Project,
    built: &[BuiltFile],
    prefix: &str,
    entries: &mut Entries,
) -> Result<(), ArchiveError> {
    for file in built {
        check_archive_path(project, &file.archive_path)?;
        entries.add(format!("{prefix}{}", file.archive_path), file.source.clone(), file.mode());
    }
    Ok(())
}

fn wheel_entries(project: &Project, tag: &WheelTag, built: &[BuiltFile]) -> Result<Entries, ArchiveError> {
    let mut entries = Entries::new();
    let from_tree = project.python.wheel_files(&project.files);
    // A wheel without the code of a package it names is the worst thing to ship.
    project.python.check_shipped(&from_tree).map_err(|e| ArchiveError::Layout(Box::new(e)))?;
    for (archive_path, rel) in from_tree {
        let path = project.root.join(&rel);
        let mode = disk_mode(&path);
        entries.add_file(archive_path, path, mode);
    }
    // Built files replace same-named files from the tree (a stale in-place build).
    add_built(project, built, "", &mut entries)?;
    let data = format!("{}.data", project.metadata.file_name_stem());
    for script in &project.tool.script_files {
        let rel = script.get_ref();
        let name = rel.rsplit('/').next().unwrap_or(rel);
        let path = project.root.join(rel);
        let bytes =
            fs_err::read(&path).map_err(|source| ArchiveError::Read { path: path.clone(), source })?;
        entries.add_bytes(format!("{data}/scripts/{name}"), python_shebang(bytes), MODE_EXECUTABLE);
    }
    add_dist_info(project, Some(tag), &mut entries);
    Ok(entries)
}

/// A script whose first line runs Python gets `#!python` instead (keeping its
/// arguments), which installers replace with the target environment's interpreter: what
/// setuptools' `build_scripts` does. Other scripts are shipped as they are.
fn python_shebang(bytes: Vec<u8>) -> Vec<u8> {
    let end = bytes.iter().position(|&b| b == b'\n').unwrap_or(bytes.len());
    let Ok(line) = std::str::from_utf8(&bytes[..end]) else { return bytes };
    let line = line.strip_suffix('\r').unwrap_or(line);
    let Some(command) = line.strip_prefix("#!") else { return bytes };
    let Some(at) = command.rfind("python") else { return bytes };
    let after = command[at + "python".len()..].trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    if !(after.is_empty() || after.starts_with([' ', '\t'])) {
        return bytes;
    }
    let mut out = format!("#!python{after}").into_bytes();
    out.extend_from_slice(&bytes[line.len()..]);
    out
}

fn wheel_path(project: &Project, tag: &WheelTag, out_dir: &Path) -> PathBuf {
    out_dir.join(format!("{}-{tag}.whl", project.metadata.file_name_stem()))
}

fn record_path(project: &Project) -> String {
    format!("{}/RECORD", project.metadata.dist_info_dir())
}

/// `build_wheel`: write `{name}-{version}-{tag}.whl` into `out_dir` and return its path.
///
/// Contents: the project's packages and modules from the tree (with their data files),
/// `built` (compiled modules, generated ABI-mode `.py` files, at their archive paths),
/// `script-files` under `.data/scripts/`, and the `.dist-info`.
pub fn write_wheel(
    project: &Project,
    tag: &WheelTag,
    built: &[BuiltFile],
    out_dir: &Path,
) -> Result<PathBuf, ArchiveError> {
    let entries = wheel_entries(project, tag, built)?;
    let sink = ZipSink::create(wheel_path(project, tag, out_dir))?;
    entries.write(Box::new(sink), Order::Wheel, Some(&record_path(project)))
}

/// What [`write_wheel`] would write, with each entry's source file (`None` = generated).
pub fn list_wheel(
    project: &Project,
    tag: &WheelTag,
    built: &[BuiltFile],
) -> Result<Vec<Listed>, ArchiveError> {
    let entries = wheel_entries(project, tag, built)?;
    let out = Rc::new(RefCell::new(Vec::new()));
    entries.write(Box::new(ListSink { out: out.clone() }), Order::Wheel, Some(&record_path(project)))?;
    Ok(out.take())
}

/// `build_editable` (PEP 660): a wheel whose `.pth` puts the project's Python source
/// root on `sys.path` (so edits to `.py` files are live) and installs a small import
/// hook (`_cffi_forge_editable_<name>.py`, from `backend/cffi_forge/_editable.py`) that
/// loads the built modules from the build directory (`tree`, see
/// [`super::editable`]) and rebuilds them on import when an input changed. Python
/// 3.15+ installs the hook from the matching `.start` file (PEP 829: its entry point
/// replaces the `.pth`'s deprecated `import` line); older Pythons ignore `.start` files
/// and run the `.pth`'s `import` line.
pub fn write_editable_wheel(
    project: &Project,
    tag: &WheelTag,
    tree: &EditableTree,
    out_dir: &Path,
) -> Result<PathBuf, ArchiveError> {
    let hook = format!("_cffi_forge_editable_{}", normalize_name(&project.metadata.name).replace('-', "_"));
    let source_root = project.python.root(&project.root);
    let source_root = fs_err::canonicalize(&source_root)
        .map_err(|source| ArchiveError::Read { path: source_root.clone(), source })?;
    let mut pth = format!("{}\n", source_root.display());
    let mut entries = Entries::new();
    if !tree.modules.is_empty() {
        pth.push_str(&format!("import {hook}\n"));
        entries.add_bytes(format!("{hook}.start"), format!("{hook}:install\n"), MODE_FILE);
        entries.add_bytes(format!("{hook}.py"), editable_hook(project, tree), MODE_FILE);
    }
    entries.add_bytes(format!("{hook}.pth"), pth, MODE_FILE);
    add_dist_info(project, Some(tag), &mut entries);
    let sink = ZipSink::create(wheel_path(project, tag, out_dir))?;
    entries.write(Box::new(sink), Order::Wheel, Some(&record_path(project)))
}

/// The hook's code, shared by every editable install; see its docstring.
const EDITABLE_RUNTIME: &str = include_str!("../../backend/cffi_forge/_editable.py");

/// The import hook of an editable install: the shared runtime, then what it serves.
fn editable_hook(project: &Project, tree: &EditableTree) -> String {
    // A JSON string literal is a valid Python string literal, whatever the text.
    let py = |text: &str| serde_json::to_string(text).expect("strings serialise");
    let modules: Vec<String> = tree.modules.iter().map(|m| py(m)).collect();
    format!(
        "# Editable install of {name}, written by cffi-forge.\n{EDITABLE_RUNTIME}\n\
         _MANIFEST = {manifest}\n_MODULES = frozenset([{modules}])\n\n\
         install()  # importing the module (the .pth's import line before 3.15) installs it too\n",
        name = project.metadata.name.replace('\n', " "),
        manifest = py(&tree.manifest.to_string_lossy()),
        modules = modules.join(", "),
    )
}

/// `prepare_metadata_for_build_wheel`: write `{name}-{version}.dist-info/` (METADATA,
/// entry_points.txt, licences; WHEEL when `tag` is given) into `dir` and return its
/// path. Needs no build: nothing is run or compiled.
pub fn write_metadata_dir(
    project: &Project,
    tag: Option<&WheelTag>,
    dir: &Path,
) -> Result<PathBuf, ArchiveError> {
    let mut entries = Entries::new();
    add_dist_info(project, tag, &mut entries);
    let sink = DirSink::create(dir.to_path_buf(), project.metadata.dist_info_dir())?;
    entries.write(Box::new(sink), Order::Sorted, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_shebangs_are_rewritten_for_installers() {
        let rewrite = |s: &str| String::from_utf8(python_shebang(s.as_bytes().to_vec())).unwrap();
        assert_eq!(rewrite("#!/usr/bin/env python3\nprint(1)\n"), "#!python\nprint(1)\n");
        assert_eq!(rewrite("#!/usr/bin/python3.11 -u\r\nx\n"), "#!python -u\r\nx\n");
        assert_eq!(rewrite("#!/bin/sh\necho hi\n"), "#!/bin/sh\necho hi\n");
        assert_eq!(rewrite("#!/usr/bin/pythonista\n"), "#!/usr/bin/pythonista\n");
        assert_eq!(rewrite("print(1)\n"), "print(1)\n");
        assert_eq!(rewrite("#!/usr/bin/python"), "#!python");
    }
}
