//! The build-directory side of an editable install (PEP 660): the built modules at
//! stable paths under `<build dir>/editable/`, and the manifest the import hook reads to
//! tell whether they are stale.
//!
//! The manifest (`editable/manifest.json`) records the project root, the cffi-forge
//! binary that built it (a copy kept in the build directory: the frontend's isolated
//! build environment, where the binary ran, is deleted after the install), the
//! interpreter, and for every module its file and its inputs (path, size, mtime in
//! nanoseconds, SHA-256): sources, headers from the compiler's depfiles, cdef files,
//! build scripts and `pyproject.toml`. Every file is published by rename, so a process
//! importing while another rebuilds sees the old file or the new one, never half of one.

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use sha2::{Digest, Sha256};

use super::{ArchiveError, BuiltFile, Source};

/// Bumped when the manifest changes shape; the hook rebuilds on any other value.
pub const MANIFEST_FORMAT: u32 = 1;

/// One built module of an editable install and the files it was made from.
#[derive(Clone, Debug)]
pub struct EditableModule {
    /// Dotted module name, e.g. `pkg._foo`.
    pub name: String,
    /// The built file (its path inside a wheel says where it goes under `editable/`).
    pub file: BuiltFile,
    /// Absolute paths of its own inputs.
    pub inputs: Vec<PathBuf>,
}

/// What an editable build leaves in the build directory.
#[derive(Clone, Debug)]
pub struct EditableTree {
    /// `<build dir>/editable/manifest.json`.
    pub manifest: PathBuf,
    /// The dotted names of the modules the hook serves, sorted.
    pub modules: Vec<String>,
    /// (path inside a wheel, file in the tree) of each module.
    pub files: Vec<(String, PathBuf)>,
}

/// Who built the tree, for the hook to run the same build again.
#[derive(Clone, Debug)]
pub struct Builder<'a> {
    pub project_root: &'a Path,
    /// The cffi-forge binary now running (copied next to the tree).
    pub binary: &'a Path,
    pub python: &'a Path,
    /// The interpreter's `EXT_SUFFIX`: the hook leaves modules alone in another one.
    pub ext_suffix: &'a str,
    /// `<base>/<interpreter flavour>`, where the object cache lives.
    pub build_dir: &'a Path,
}

/// Write the modules under `<build dir>/editable/` and the manifest naming them with
/// their inputs and the `common` inputs (which concern every module). Without modules
/// nothing is written (the editable wheel then has no hook).
pub fn write_editable_tree(
    builder: &Builder<'_>,
    modules: &[EditableModule],
    common: &[PathBuf],
) -> Result<EditableTree, ArchiveError> {
    let dir = builder.build_dir.join("editable");
    if modules.is_empty() {
        // Nothing to load or rebuild: no hook, so nothing for it to read.
        return Ok(EditableTree {
            manifest: dir.join("manifest.json"),
            modules: Vec::new(),
            files: Vec::new(),
        });
    }
    let write_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ArchiveError::Write { path, source }
    };
    let binary = keep_binary(builder.binary, builder.build_dir.parent().unwrap_or(builder.build_dir))?;
    let mut entries = serde_json::Map::new();
    let mut files = Vec::new();
    for module in modules {
        let target = dir.join(&module.file.archive_path);
        let bytes = match &module.file.source {
            Source::Bytes(data) => data.clone(),
            Source::File(path) => {
                fs_err::read(path).map_err(|source| ArchiveError::Read { path: path.clone(), source })?
            }
        };
        publish(&target, &bytes, module.file.mode()).map_err(write_err(&target))?;
        files.push((module.file.archive_path.clone(), target.clone()));
        entries.insert(
            module.name.clone(),
            serde_json::json!({
                "file": target,
                "inputs": records(builder, &module.inputs),
            }),
        );
    }
    let manifest = serde_json::json!({
        "format": MANIFEST_FORMAT,
        "project": builder.project_root,
        "binary": binary,
        "python": builder.python,
        "ext_suffix": builder.ext_suffix,
        "build_dir": builder.build_dir.parent().unwrap_or(builder.build_dir),
        "common": records(builder, common),
        "modules": entries,
    });
    let path = dir.join("manifest.json");
    let text = serde_json::to_string_pretty(&manifest).expect("manifests serialise");
    publish(&path, text.as_bytes(), super::writer::MODE_FILE).map_err(write_err(&path))?;
    let mut names: Vec<String> = modules.iter().map(|m| m.name.clone()).collect();
    names.sort();
    Ok(EditableTree { manifest: path, modules: names, files })
}

/// Path, size, mtime and hash of each input inside the project, minus the build
/// directory (generated sources follow from the cdef, which is an input itself).
/// System and Python headers change only with upgrades, which need a reinstall anyway;
/// leaving them out keeps the hook's check to a few `stat` calls. In the order given
/// (what the user wrote before what the compiler found), which the hook reports first.
fn records(builder: &Builder<'_>, inputs: &[PathBuf]) -> Vec<serde_json::Value> {
    let base = builder.build_dir.parent().unwrap_or(builder.build_dir);
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for path in inputs {
        if !path.starts_with(builder.project_root) || path.starts_with(base) || !seen.insert(path) {
            continue;
        }
        let Ok(meta) = std::fs::metadata(path) else { continue };
        let Ok(bytes) = std::fs::read(path) else { continue };
        let mtime_ns =
            meta.modified().ok().and_then(|t| t.duration_since(UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
        let sha256: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        out.push(serde_json::json!({
            "path": path,
            "size": meta.len(),
            // A string: JSON numbers beyond 2^53 lose digits in some readers.
            "mtime_ns": mtime_ns.to_string(),
            "sha256": sha256,
        }));
    }
    out
}

/// Replace `path` with `bytes` by rename; an identical file is left alone (its mtime
/// too, and a module another process has loaded is not replaced for nothing).
fn publish(path: &Path, bytes: &[u8], mode: u32) -> std::io::Result<()> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    let dir = path.parent().expect("a file inside the tree");
    std::fs::create_dir_all(dir)?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".tmp{}-{name}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    set_mode(&tmp, mode)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) -> std::io::Result<()> {
    Ok(())
}

/// A copy of the running binary under `<base>/bin/`, named for its identity (path,
/// size, mtime) so a rebuild of cffi-forge gets a new one and an unchanged one is kept.
/// A hard link when the file system allows, else a copy.
fn keep_binary(binary: &Path, base: &Path) -> Result<PathBuf, ArchiveError> {
    let meta =
        std::fs::metadata(binary).map_err(|source| ArchiveError::Read { path: binary.into(), source })?;
    let identity = format!("{}\0{}\0{:?}", binary.display(), meta.len(), meta.modified().ok());
    let digest: String =
        Sha256::digest(identity.as_bytes()).iter().take(8).map(|b| format!("{b:02x}")).collect();
    let dir = base.join("bin");
    let kept = dir.join(format!("cffi-forge-{digest}{}", std::env::consts::EXE_SUFFIX));
    if std::fs::metadata(&kept).is_ok_and(|m| m.len() == meta.len()) {
        return Ok(kept);
    }
    let fail = |source| ArchiveError::Write { path: kept.clone(), source };
    std::fs::create_dir_all(&dir).map_err(fail)?;
    let tmp = dir.join(format!(".tmp{}-cffi-forge", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    if std::fs::hard_link(binary, &tmp).is_err() {
        std::fs::copy(binary, &tmp).map_err(fail)?;
    }
    std::fs::rename(&tmp, &kept).map_err(fail)?;
    Ok(kept)
}
