//! The two command-line dialects of C toolchains: GCC-like drivers (gcc, clang, zig cc,
//! MinGW-w64; `gnu.rs`) and MSVC (cl.exe, link.exe, lib.exe; `msvc.rs`). What differs
//! between them, in spelling or in what the tools can do, is here; the steps that run the
//! commands (`steps.rs`) are the same for both.

mod gnu;
mod msvc;

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::interpreter::Interpreter;

use super::{CompileError, CompileJob, Toolchain};

pub(super) use gnu::Gnu;
pub(super) use msvc::Msvc;

pub(super) trait Flavour: Sync {
    /// `NAME` or `NAME=value` defined as a macro.
    fn define(&self, name: &str, value: Option<&str>) -> OsString;
    fn undefine(&self, name: &str) -> OsString;
    fn include_dir(&self, dir: &Path) -> OsString;
    /// The flags of the interpreter's own build that change what C code means, which
    /// setuptools passes on through sysconfig's CFLAGS. Given first, so
    /// `CPPFLAGS=-UNDEBUG` wins.
    fn interpreter_flags(&self, interp: &Interpreter) -> Vec<OsString>;
    /// Flags C++ sources get after CFLAGS.
    fn cxx_flags(&self) -> &'static [&'static str];
    fn object_extension(&self) -> &'static str;
    /// Whether the compiler writes the list of headers an object read: without it a
    /// cached object cannot be known fresh.
    fn writes_depfile(&self) -> bool;
    /// The output arguments of compiling `source` alone into `object` (and, with
    /// [`writes_depfile`](Flavour::writes_depfile), its headers into `depfile`).
    fn compile_output(&self, command: &mut Command, source: &Path, object: &Path, depfile: &Path);
    /// The link command of a module, without its output arguments. `inputs`: objects,
    /// extra objects, archives and import libraries; `system_libraries`: the libraries
    /// named that the project does not build.
    fn link_command(
        &self,
        toolchain: &Toolchain,
        job: &CompileJob,
        inputs: &[PathBuf],
        system_libraries: &[&str],
        cxx: bool,
    ) -> Result<Vec<OsString>, CompileError>;
    fn link_output(&self, command: &mut Command, module: &Path);
    /// The file name of a static library.
    fn archive_name(&self, library: &str) -> String;
    /// The archiver's arguments before the objects.
    fn archive_args(&self, command: &mut Command, archive: &Path);
}
