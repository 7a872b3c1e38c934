//! The PEP 517 / PEP 660 hooks as the Python shim (`backend/cffi_forge`) calls them:
//! `cffi-forge pep517 <hook> ... -i <python>`, run in the project directory. Each hook
//! returns the one line the shim hands back to the frontend: an artifact's file name,
//! or the requirements as a JSON list.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::audit::Compatibility;
use crate::pipeline::{self, PipelineError, WheelRequest};

#[derive(Clone, Debug)]
pub enum Hook {
    /// `get_requires_for_build_wheel` / `get_requires_for_build_editable`.
    RequiresForBuildWheel,
    /// `prepare_metadata_for_build_wheel` / `..._editable`: the `.dist-info` in `out_dir`.
    PrepareMetadata { out_dir: PathBuf },
    /// `build_wheel` / `build_editable`.
    BuildWheel {
        out_dir: PathBuf,
        metadata_dir: Option<PathBuf>,
        editable: bool,
        compatibility: Option<Compatibility>,
    },
    /// `build_sdist`.
    BuildSdist { out_dir: PathBuf },
}

/// Run a hook for the project at `root` with the target interpreter `python`.
pub fn run(hook: &Hook, root: &Path, python: &Path) -> Result<String, PipelineError> {
    match hook {
        Hook::RequiresForBuildWheel => {
            let requires = pipeline::requires_for_build_wheel(root, python)?;
            Ok(serde_json::to_string(&requires).expect("strings serialise"))
        }
        Hook::PrepareMetadata { out_dir } => Ok(file_name(&pipeline::prepare_metadata(root, out_dir)?)),
        Hook::BuildWheel { out_dir, metadata_dir, editable, compatibility } => {
            let request = WheelRequest {
                root: root.to_path_buf(),
                python: python.to_path_buf(),
                out_dir: out_dir.clone(),
                editable: *editable,
                compatibility: compatibility.clone(),
                // Frontends pass the `target` config setting through the shim as this variable.
                target: crate::cross::requested(None, &crate::compile::process_env()),
            };
            let wheel = pipeline::build_wheel(&request)?;
            if let Some(metadata_dir) = metadata_dir {
                if let Err(e) = check_same_metadata(&wheel, metadata_dir) {
                    let _ = std::fs::remove_file(&wheel);
                    return Err(e);
                }
            }
            Ok(file_name(&wheel))
        }
        Hook::BuildSdist { out_dir } => Ok(file_name(&pipeline::build_sdist(root, out_dir)?)),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

/// PEP 517: a wheel built after `prepare_metadata_for_build_wheel` must carry the
/// metadata the frontend already saw (it may have resolved dependencies from it).
fn check_same_metadata(wheel: &Path, metadata_dir: &Path) -> Result<(), PipelineError> {
    let inconsistent =
        |detail: String| PipelineError::MetadataMismatch { dir: metadata_dir.to_path_buf(), detail };
    let prepared = std::fs::read(metadata_dir.join("METADATA")).map_err(|e| inconsistent(e.to_string()))?;
    let dist_info = file_name(metadata_dir);
    let file = std::fs::File::open(wheel).map_err(|e| inconsistent(e.to_string()))?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| inconsistent(e.to_string()))?;
    let mut entry = zip
        .by_name(&format!("{dist_info}/METADATA"))
        .map_err(|e| inconsistent(format!("{dist_info}/METADATA: {e}")))?;
    let mut built = Vec::new();
    entry.read_to_end(&mut built).map_err(|e| inconsistent(e.to_string()))?;
    if built != prepared {
        return Err(inconsistent("the project changed between the two hooks?".into()));
    }
    Ok(())
}
