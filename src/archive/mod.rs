//! Writing distributions: wheels, editable wheels, sdists and metadata directories.
//!
//! The pipeline calls one function per PEP 517 hook; each writes under a temporary name
//! in the output directory and renames on success, so a failure leaves nothing at the
//! final path:
//!
//! ```no_run
//! # use std::path::Path;
//! # use cffi_forge::{archive::{self, BuiltFile}, config::Project, tags::WheelTag};
//! # fn demo(project: &Project, tag: &WheelTag) -> Result<(), archive::ArchiveError> {
//! // build_wheel: the tree's Python code + what the build produced + .dist-info.
//! let built = [BuiltFile::path("pkg/_foo.abi3.so", "build/_foo.abi3.so")];
//! let wheel = archive::write_wheel(project, tag, &built, Path::new("dist"))?;
//! // build_sdist
//! let sdist = archive::write_sdist(project, Path::new("dist"))?;
//! // prepare_metadata_for_build_wheel: `dist/name-1.0.dist-info/`, no build needed.
//! let dist_info = archive::write_metadata_dir(project, None, Path::new("dist"))?;
//! // build_editable (PEP 660): the modules go into the build directory (see
//! // `editable`), the wheel holds the import hook that finds and rebuilds them.
//! // dry runs: what would go in, and from where
//! for entry in archive::list_wheel(project, tag, &built)? {
//!     println!("{} ({:?})", entry.path, entry.origin);
//! }
//! # Ok(()) }
//! ```
//!
//! All four share one writer ([`writer::Entries`] → [`writer::Sink`]): sorted entries
//! (`.dist-info` last in wheels, `PKG-INFO` first in sdists), fixed timestamps
//! (`SOURCE_DATE_EPOCH`, else 1980-01-01), fixed permissions (0644, 0755 for compiled
//! modules and scripts), RECORD computed while writing. Two builds of the same tree give
//! byte-identical archives, and a wheel built from the unpacked sdist is identical to one
//! built from the tree.

pub mod editable;
pub mod sinks;
pub mod writer;

mod sdist;
mod wheel;

use std::path::PathBuf;

pub use self::editable::{write_editable_tree, EditableModule, EditableTree};
pub use self::sdist::{list_sdist, write_sdist};
pub use self::sinks::Listed;
pub use self::wheel::{list_wheel, write_editable_wheel, write_metadata_dir, write_wheel};
pub use self::writer::Source;
use crate::diagnostic::{Diagnostic, ToDiagnostic};

/// A file the build produced for the wheel: a compiled module or a generated ABI-mode
/// `.py`, at its path inside the wheel (from [`crate::tags::ModuleFile::archive_path`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuiltFile {
    /// `/`-separated path inside the wheel, e.g. `pkg/_foo.abi3.so`.
    pub archive_path: String,
    pub source: Source,
}

impl BuiltFile {
    /// A file on disk (read when the wheel is written).
    pub fn path(archive_path: impl Into<String>, file: impl Into<PathBuf>) -> Self {
        Self { archive_path: archive_path.into(), source: Source::File(file.into()) }
    }

    /// Content in memory.
    pub fn bytes(archive_path: impl Into<String>, data: impl Into<Vec<u8>>) -> Self {
        Self { archive_path: archive_path.into(), source: Source::Bytes(data.into()) }
    }

    /// Compiled modules are executable (0755), like setuptools makes them.
    fn mode(&self) -> u32 {
        let p = self.archive_path.to_ascii_lowercase();
        if p.ends_with(".so") || p.ends_with(".pyd") || p.ends_with(".dylib") || p.ends_with(".dll") {
            writer::MODE_EXECUTABLE
        } else {
            writer::MODE_FILE
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("cannot write {} into {}: {source}", target.display(), path.display())]
    OutputDir { path: PathBuf, target: PathBuf, source: std::io::Error },
    #[error("cannot write {}: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("SOURCE_DATE_EPOCH is `{value}`, not a number of seconds")]
    SourceDateEpoch { value: String },
    #[error("`{path}` is not a valid path inside a wheel")]
    BadArchivePath { path: String },
    #[error(transparent)]
    Layout(Box<crate::config::layout::LayoutError>),
    /// A file whose name an archive must not carry (see [`check_entry_name`]).
    #[error("cannot package `{}`: {reason}", escaped(file))]
    BadFileName { file: PathBuf, reason: String },
}

/// A path as shown in messages: control characters escaped, so a newline in a file name
/// cannot break or forge the output.
fn escaped(path: &std::path::Path) -> String {
    let text = path.to_string_lossy();
    text.chars().map(|c| if c.is_control() { c.escape_debug().to_string() } else { c.to_string() }).collect()
}

/// Names an archive entry must not have, whatever produced it: a backslash is a
/// directory separator on Windows (`x\..\..\evil.txt` would unpack outside its
/// directory), and control characters (a newline, an escape) break RECORD, listings and
/// terminals. `None` when the name is fine.
pub fn entry_name_problem(name: &str) -> Option<String> {
    if name.contains('\\') {
        return Some(
            "its name holds a backslash, a directory separator on Windows (rename the file)".to_string(),
        );
    }
    name.chars()
        .find(|c| c.is_control())
        .map(|c| format!("its name holds the control character U+{:04X} (rename the file)", u32::from(c)))
}

impl ToDiagnostic for ArchiveError {
    fn to_diagnostic(&self) -> Diagnostic {
        if let ArchiveError::Layout(e) = self {
            return e.to_diagnostic();
        }
        let d = Diagnostic::error(self.to_string());
        match self {
            ArchiveError::OutputDir { .. } => {
                d.with_help("check that the output directory exists and is writable")
            }
            ArchiveError::BadFileName { file, .. } => d.with_help(format!(
                "or keep it out of the archives with `exclude = [\"{}\"]` in [tool.cffi-forge]",
                file.file_name()
                    .map(|n| n
                        .to_string_lossy()
                        .replace(|c: char| c == '\\' || c == '"' || c.is_control(), "?"))
                    .unwrap_or_default()
            )),
            ArchiveError::SourceDateEpoch { .. } => {
                d.with_help("set it to a Unix timestamp (e.g. `git log -1 --format=%ct`) or unset it")
            }
            _ => d,
        }
    }
}
