//! One compiler of a build, as cffi-forge uses it: the driver's command line (a wrapper
//! such as `CC="ccache gcc"` first), the environment it needs (MSVC's `INCLUDE`/`LIB`),
//! and whether it speaks MSVC's dialect. Made from the `cc` crate's answer, or from the
//! probe cache (`probe_cache`), which remembers that answer so later builds need not ask
//! `cc` — and so not run its compiler-family probe — again.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Compiler {
    /// The compiler itself (not a wrapper in front of it); may be a bare name found on
    /// `PATH` when it runs.
    path: PathBuf,
    /// Program and arguments: the wrapper, if any, then the compiler and its base flags.
    command: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
    msvc: bool,
}

impl Compiler {
    pub(super) fn from_tool(tool: &cc::Tool) -> Compiler {
        let command = tool.to_command();
        Compiler {
            path: tool.path().to_path_buf(),
            command: std::iter::once(command.get_program())
                .chain(command.get_args())
                .map(OsString::from)
                .collect(),
            envs: tool.get_envs().map(|(k, v)| (k.to_os_string(), v.to_os_string())).collect(),
            msvc: tool.is_like_msvc(),
        }
    }

    /// The compiler driver (not a wrapper in front of it).
    pub(super) fn path(&self) -> &Path {
        &self.path
    }

    /// Program and arguments of every command this compiler runs.
    pub(super) fn command(&self) -> &[OsString] {
        &self.command
    }

    pub(super) fn get_envs(&self) -> impl Iterator<Item = (&OsString, &OsString)> {
        self.envs.iter().map(|(k, v)| (k, v))
    }

    pub(super) fn is_like_msvc(&self) -> bool {
        self.msvc
    }
}
