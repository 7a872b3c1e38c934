//! GCC-like drivers: gcc, clang, zig cc, MinGW-w64; `ar` for archives.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::interpreter::Interpreter;

use super::super::toolchain::concat_os;
use super::super::{CompileError, CompileJob, Toolchain};
use super::Flavour;

pub(in crate::compile) struct Gnu;

impl Flavour for Gnu {
    fn define(&self, name: &str, value: Option<&str>) -> OsString {
        match value {
            Some(value) => format!("-D{name}={value}").into(),
            None => format!("-D{name}").into(),
        }
    }

    fn undefine(&self, name: &str) -> OsString {
        format!("-U{name}").into()
    }

    fn include_dir(&self, dir: &Path) -> OsString {
        concat_os("-I", dir)
    }

    /// `-DNDEBUG` (projects rely on `assert` being compiled out in release wheels) and
    /// `-fwrapv`, when the interpreter was built with them. The rest of its CFLAGS
    /// (optimisation, warnings, the build machine's paths) stay out: they belong to how
    /// CPython was built, not to what an extension means.
    fn interpreter_flags(&self, interp: &Interpreter) -> Vec<OsString> {
        let cflags = interp.cflags.as_deref().unwrap_or("");
        let tokens: Vec<&str> = cflags.split_whitespace().collect();
        ["-DNDEBUG", "-fwrapv"].into_iter().filter(|flag| tokens.contains(flag)).map(OsString::from).collect()
    }

    fn cxx_flags(&self) -> &'static [&'static str] {
        &[]
    }

    fn object_extension(&self) -> &'static str {
        "o"
    }

    fn writes_depfile(&self) -> bool {
        true
    }

    fn compile_output(&self, command: &mut Command, source: &Path, object: &Path, depfile: &Path) {
        command.arg("-c").arg(source).arg("-o").arg(object).arg("-MD").arg("-MF").arg(depfile);
    }

    /// Shaped like setuptools' `LDSHARED`: the compiler driver with `-shared` (`-bundle
    /// -undefined dynamic_lookup` on macOS, `-dynamiclib` for an embedding library), or
    /// the user's `LDSHARED` in its place.
    fn link_command(
        &self,
        tc: &Toolchain,
        job: &CompileJob,
        inputs: &[PathBuf],
        system_libraries: &[&str],
        cxx: bool,
    ) -> Result<Vec<OsString>, CompileError> {
        let opts = &job.options;
        let mut args: Vec<OsString> = Vec::new();
        let tool = if cxx { tc.cxx()? } else { tc.c.clone() };
        match tc.var("LDSHARED") {
            // A user's LDSHARED replaces the whole driver, as with setuptools.
            Some(_) => args.extend(tc.env_flags("LDSHARED").into_iter().map(OsString::from)),
            None => {
                args.extend(tc.base_command(&tool));
                if let Some(darwin) = &tc.darwin {
                    args.extend(darwin.link_flags(&job.file_name, job.output, &tc.env_flags("LDFLAGS")));
                } else if tc.interp.is_macos() {
                    args.extend(darwin_native_link_flags(job.output));
                } else {
                    args.push("-shared".into());
                }
            }
        }
        // Record every library named, libc included: with the `--as-needed` some
        // distributions' compilers default to, a module using no libc symbol has no
        // `DT_NEEDED` at all, and no auditor (ours or auditwheel) can tell its libc.
        if tc.interp.is_linux() {
            args.push("-Wl,--no-as-needed".into());
        }
        args.extend(inputs.iter().map(OsString::from));
        for dir in &opts.library_dirs {
            args.push(concat_os("-L", &tc.root.join(dir)));
        }
        for dir in &opts.runtime_library_dirs {
            args.push(format!("-Wl,-rpath,{dir}").into());
        }
        args.extend(system_libraries.iter().map(|l| OsString::from(format!("-l{l}"))));
        args.extend(opts.extra_link_args.iter().map(OsString::from));
        args.extend(tc.env_flags("LDFLAGS").into_iter().map(OsString::from));
        Ok(args)
    }

    fn link_output(&self, command: &mut Command, module: &Path) {
        command.arg("-o").arg(module);
    }

    fn archive_name(&self, library: &str) -> String {
        format!("lib{library}.a")
    }

    fn archive_args(&self, command: &mut Command, archive: &Path) {
        // c: create, r: insert, s: write the symbol index (what `ranlib` does).
        command.arg("crs").arg(archive);
    }
}

/// On a macOS host: CPython's `LDSHARED` for a module; for an embedding library,
/// `-dynamiclib` in place of `-bundle` (programs cannot link a bundle), as cffi does, and
/// Python's symbols left undefined only when libpython is not linked.
fn darwin_native_link_flags(output: crate::compile::Output) -> Vec<OsString> {
    let flags: &[&str] = match output {
        crate::compile::Output::Module => &["-bundle", "-undefined", "dynamic_lookup"],
        crate::compile::Output::Library { libpython: false } => {
            &["-dynamiclib", "-undefined", "dynamic_lookup"]
        }
        crate::compile::Output::Library { libpython: true } => &["-dynamiclib"],
    };
    flags.iter().map(OsString::from).collect()
}
