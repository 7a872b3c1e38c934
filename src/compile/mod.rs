//! Compiling and linking API-mode modules, plain extension modules and the static
//! libraries they link.
//!
//! The `cc` crate finds the compiler and its base flags for the target (it honours
//! `CC`, `CXX`, `CFLAGS`, `CXXFLAGS`, cross prefixes and MSVC discovery); cffi-forge
//! builds every command itself so that all object files of all modules compile in
//! parallel on all cores, each command can be shown with `-v` and cached, and a
//! failure shows the compiler's own output. The shared-library link step is ours too
//! (`cc` does not link), shaped like setuptools' `LDSHARED`: `-shared` on Linux,
//! `-bundle -undefined dynamic_lookup` on macOS, `link.exe /DLL` on Windows.
//!
//! One build is one graph: the object files of every module and every static library
//! compile together, then each library is archived once, then every module links (with
//! the archives of the libraries it names in `libraries`).
//!
//! The target is the interpreter's platform, never the platform cffi-forge was built for.
//!
//! Files: `toolchain.rs` finds the compilers (`target.rs`: for which triple) and runs
//! commands; `graph.rs` schedules the build; `steps.rs` compiles, archives and links, each
//! step cached (`cache.rs`); `flavour/` spells the commands for GCC-like drivers and for
//! MSVC; `error.rs` says what failed and how to fix it; `choice.rs` picks a compiler when
//! CC/CXX are not set and the target's usual one is missing (MinGW-w64 on PATH, `zig.rs`).

mod cache;
mod choice;
mod compiler;
mod darwin;
mod error;
mod flavour;
mod graph;
mod includes;
mod launcher;
pub mod leftovers;
mod libc;
pub mod macos_libpython;
pub mod private_dir;
mod probe_cache;
mod steps;
pub mod symbols;
mod target;
mod toolchain;
mod warnings;
mod windows;
mod zig;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use crate::spec::BuildOptions;

pub use error::CompileError;
pub use target::{host_triple, target_triple};
pub use toolchain::Toolchain;

/// The environment the build sees (a snapshot, so tests can vary it without touching
/// the process environment).
pub type Env = BTreeMap<OsString, OsString>;

pub fn process_env() -> Env {
    std::env::vars_os().collect()
}

/// How a module uses Python's limited API; decided by the abi3 rules (see `tags`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LimitedApi {
    /// An abi3 module: every file is compiled with `Py_LIMITED_API` set to the floor
    /// version (`0x03XX0000`), so nothing newer than the wheel tag promises can slip in.
    Abi3 { major: u32, minor: u32 },
    /// An abi3t module (free-threaded 3.15+, PEP 803): `Py_LIMITED_API` and
    /// `Py_TARGET_ABI3T` both set to the floor (3.15 or newer), as cffi does.
    Abi3t { major: u32, minor: u32 },
    /// A version-specific CPython module: `_CFFI_NO_LIMITED_API` keeps cffi's C from
    /// defining `Py_LIMITED_API` itself (what cffi's setuptools integration does).
    Off,
    /// PyPy, or a plain extension that is not abi3: no macro either way.
    Untouched,
}

impl LimitedApi {
    /// The macros a module is compiled with: `(name, value)`.
    pub fn macros(self) -> Vec<(&'static str, Option<String>)> {
        let version = |major: u32, minor: u32| Some(format!("0x{major:02X}{minor:02X}0000"));
        match self {
            LimitedApi::Abi3 { major, minor } => vec![("Py_LIMITED_API", version(major, minor))],
            LimitedApi::Abi3t { major, minor } => {
                vec![("Py_LIMITED_API", version(major, minor)), ("Py_TARGET_ABI3T", version(major, minor))]
            }
            LimitedApi::Off => vec![("_CFFI_NO_LIMITED_API", None)],
            LimitedApi::Untouched => Vec::new(),
        }
    }
}

/// One extension module to compile and link.
#[derive(Clone, Debug)]
pub struct CompileJob {
    /// Dotted module name, for messages.
    pub module: String,
    /// The generated C or C++ file (its extension decides the language), compiled
    /// before `options.sources`. `None` for a module made of `options.sources` alone
    /// (a plain, non-CFFI extension).
    pub generated: Option<PathBuf>,
    /// `set_source` options with pkg-config already merged; relative paths are
    /// relative to the project root.
    pub options: BuildOptions,
    pub limited_api: LimitedApi,
    /// The file name of the module, e.g. `_foo.abi3.so`.
    pub file_name: String,
    /// Link with the C++ driver even if no source is C++ (`language = "c++"`).
    pub cxx_link: bool,
    /// What the link makes.
    pub output: Output,
}

/// What a link makes (it differs on macOS only).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Output {
    /// An extension module the interpreter imports: on macOS an `MH_BUNDLE` whose Python
    /// symbols are found in the loading interpreter (`-undefined dynamic_lookup`).
    #[default]
    Module,
    /// A shared library C programs link (an embedding library): on macOS an `MH_DYLIB`,
    /// as cffi links them (`-dynamiclib`). `libpython`: libpython is among its libraries,
    /// so every symbol must resolve when it is linked (bound to libpython, two-level);
    /// without it the Python symbols are left to the program that loads it.
    Library { libpython: bool },
}

/// A static library to compile once and archive (`lib<name>.a`, `<name>.lib` with
/// MSVC); linked into every [`CompileJob`] whose `options.libraries` names it, in place
/// of `-l<name>`.
#[derive(Clone, Debug)]
pub struct LibraryJob {
    pub name: String,
    /// `sources`, `include_dirs`, `define_macros`, `undef_macros`, `extra_compile_args`.
    pub options: BuildOptions,
}

/// Where a generated source file goes: `<build dir>/gen/<content hash>/<file name>`. Named
/// by its content, so concurrent builds of one tree whose build scripts generate different
/// code never write the same file (one build could otherwise compile the other's code).
pub fn generated_path(build_dir: &Path, file_name: &str, code: &[u8]) -> PathBuf {
    let mut key = cache::Key::new("generated");
    key.bytes(code);
    build_dir.join("gen").join(&key.finish()[..32]).join(file_name)
}

#[cfg(test)]
mod tests;
