//! MSVC: cl.exe, link.exe, lib.exe.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::interpreter::Interpreter;

use super::super::toolchain::concat_os;
use super::super::{CompileError, CompileJob, Toolchain};
use super::Flavour;

pub(in crate::compile) struct Msvc;

impl Flavour for Msvc {
    fn define(&self, name: &str, value: Option<&str>) -> OsString {
        match value {
            Some(value) => format!("/D{name}={value}").into(),
            None => format!("/D{name}").into(),
        }
    }

    fn undefine(&self, name: &str) -> OsString {
        format!("/U{name}").into()
    }

    fn include_dir(&self, dir: &Path) -> OsString {
        concat_os("/I", dir)
    }

    /// `/DNDEBUG`, as setuptools' msvc compiler always adds it.
    fn interpreter_flags(&self, _interp: &Interpreter) -> Vec<OsString> {
        vec!["/DNDEBUG".into()]
    }

    fn cxx_flags(&self) -> &'static [&'static str] {
        &["/EHsc"]
    }

    fn object_extension(&self) -> &'static str {
        "obj"
    }

    fn writes_depfile(&self) -> bool {
        false
    }

    fn compile_output(&self, command: &mut Command, source: &Path, object: &Path, _depfile: &Path) {
        command.arg("/c").arg(source).arg(concat_os("/Fo", object));
    }

    /// `link.exe /DLL`, exporting the module's `PyInit_` function.
    fn link_command(
        &self,
        tc: &Toolchain,
        job: &CompileJob,
        inputs: &[PathBuf],
        system_libraries: &[&str],
        _cxx: bool,
    ) -> Result<Vec<OsString>, CompileError> {
        let opts = &job.options;
        let mut args: Vec<OsString> = Vec::new();
        let linker = cc::windows_registry::find_tool(&tc.target, "link.exe").ok_or_else(|| {
            CompileError::NoCompiler {
                what: "C",
                program: "link.exe".into(),
                from_env: None,
                detail: "the MSVC linker was not found".into(),
            }
        })?;
        args.push(linker.path().into());
        args.extend(["/nologo", "/DLL", "/INCREMENTAL:NO"].map(OsString::from));
        args.extend(inputs.iter().map(OsString::from));
        // python3.lib / python3XY.lib come through pyconfig.h's `#pragma comment(lib)`.
        args.push(concat_os("/LIBPATH:", &tc.interp.base_prefix.join("libs")));
        for dir in &opts.library_dirs {
            args.push(concat_os("/LIBPATH:", &tc.root.join(dir)));
        }
        args.extend(system_libraries.iter().map(|l| OsString::from(format!("{l}.lib"))));
        args.push(format!("/EXPORT:PyInit_{}", job.module.rsplit('.').next().unwrap_or(&job.module)).into());
        args.extend(opts.extra_link_args.iter().map(OsString::from));
        args.extend(tc.env_flags("LDFLAGS").into_iter().map(OsString::from));
        Ok(args)
    }

    fn link_output(&self, command: &mut Command, module: &Path) {
        command.arg(concat_os("/OUT:", module)).arg(concat_os("/IMPLIB:", &module.with_extension("lib")));
    }

    fn archive_name(&self, library: &str) -> String {
        format!("{library}.lib")
    }

    fn archive_args(&self, command: &mut Command, archive: &Path) {
        command.arg("/nologo").arg(concat_os("/OUT:", archive));
    }
}
