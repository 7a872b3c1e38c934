//! The steps of the graph, each cached by the content of what it reads: compile one
//! source file, archive one library, link one module. The same for every compiler; what
//! differs in spelling comes from the build's [`Flavour`](super::flavour::Flavour).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use fs_err as fs;

use crate::spec::{BuildOptions, Language};
use crate::ui;

use super::cache::{self, Key, Lookup, Store};
use super::graph::{Owner, Unit};
use super::toolchain::{resolve_program, show};
use super::{includes, windows, CompileError, CompileJob, LibraryJob, LimitedApi, Toolchain};

impl Toolchain {
    /// The compile command of one source file, without its output arguments.
    /// `limited_api` is `None` for a static library: no Python headers, no Python macros.
    pub(super) fn compile_command(
        &self,
        options: &BuildOptions,
        limited_api: Option<LimitedApi>,
        unit: &Unit,
    ) -> Vec<OsString> {
        let flavour = self.flavour();
        let mut args = self.base_command(&unit.tool);
        args.extend(flavour.interpreter_flags(&self.interp));
        // Like setuptools: CPPFLAGS for every file, CFLAGS for C++ too (cc only adds
        // CXXFLAGS there).
        args.extend(self.env_flags("CPPFLAGS").into_iter().map(OsString::from));
        if unit.language == Language::Cxx {
            args.extend(self.env_flags("CFLAGS").into_iter().map(OsString::from));
            args.extend(flavour.cxx_flags().iter().map(OsString::from));
        }
        let define = |name: &str, value: Option<&str>| flavour.define(name, value);
        for (name, value) in limited_api.map(|l| l.macros()).unwrap_or_default() {
            args.push(define(name, value.as_deref()));
        }
        // Windows' pyconfig.h is shared by both builds: a free-threaded target is told by
        // this macro (which also picks python3t.lib / python3XYt.lib), as setuptools does.
        if limited_api.is_some() && self.interp.free_threaded && self.interp.is_windows() {
            args.push(define("Py_GIL_DISABLED", Some("1")));
        }
        if limited_api.is_some() && self.is_windows_gnu() {
            for (name, value) in windows::defines(&self.interp) {
                args.push(define(name, value.as_deref()));
            }
        }
        for d in &options.define_macros {
            args.push(define(&d.name, d.value.as_deref()));
        }
        for name in &options.undef_macros {
            args.push(flavour.undefine(name));
        }
        let mut includes: Vec<PathBuf> = options.include_dirs.iter().map(|d| self.root.join(d)).collect();
        if limited_api.is_some() {
            for dir in [&self.interp.include, &self.interp.platinclude].into_iter().flatten() {
                if !includes.contains(dir) {
                    includes.push(dir.clone());
                }
            }
        }
        args.extend(includes.iter().map(|dir| flavour.include_dir(dir)));
        args.extend(options.extra_compile_args.iter().map(OsString::from));
        args
    }

    pub(super) fn compile(
        &self,
        jobs: &[CompileJob],
        libraries: &[LibraryJob],
        unit: &Unit,
    ) -> Result<PathBuf, CompileError> {
        let flavour = self.flavour();
        let mut args = match unit.owner {
            Owner::Module(i) => self.compile_command(&jobs[i].options, Some(jobs[i].limited_api), unit),
            Owner::Library(i) => self.compile_command(&libraries[i].options, None, unit),
        };
        if unit.is_generated(jobs) && unit.language == Language::C {
            args.push(super::symbols::implicit_declaration_is_error(self.is_msvc()).into());
        }
        let owner = unit.owner.describe(jobs, libraries);
        let hashing = crate::timings::phase("cache-lookup");
        let mut key = Key::new("compile");
        // The compiler itself, not a wrapper in front of it (`CC="ccache gcc"`); a
        // launcher changes no object, so it is not part of the key.
        key.file_identity(&resolve_program(unit.tool.path().as_os_str()));
        for arg in &args {
            key.text(arg);
        }
        for var in ["CPATH", "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH", "SDKROOT", "MACOSX_DEPLOYMENT_TARGET"] {
            key.text(self.var(var).unwrap_or(""));
        }
        key.file_content(&unit.source);
        let key = key.finish();
        let store = Store::new(&self.build_dir, "objects").with_memo(&self.hashes);
        let stem = unit.source.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let name = format!("{stem}.{}", flavour.object_extension());
        let shown_source = self.display(&unit.source);
        let what = || format!("{} ({owner})", shown_source.display());
        // Without a dependency file (MSVC) an object is always rebuilt.
        let corrupt = match if flavour.writes_depfile() { store.lookup(&key, &name) } else { Lookup::Miss } {
            Lookup::Hit(object) => {
                ui::verbose("Fresh", what());
                return Ok(object);
            }
            Lookup::Miss => None,
            Lookup::Shadowed(header) => {
                ui::verbose(
                    "Stale",
                    format!(
                        "{}: `{}` now comes first on the include path",
                        what(),
                        self.display(&header).display()
                    ),
                );
                None
            }
            Lookup::Corrupt(corrupt) => Some(corrupt),
        };
        drop(hashing);
        // Unique temporary names: two identical units may compile at the same time.
        let tmp_object = store.temp(&key, &name)?;
        let depfile = tmp_object.with_extension("d");
        // Relative to the project (the compiler's working directory) when inside it, so
        // the compiler's messages name files as the user knows them.
        let source = shown_source.clone();
        let line = super::launcher::launch(&self.launcher, &args);
        let mut command = self.command(&line);
        flavour.compile_output(&mut command, &source, &self.display(&tmp_object), &self.display(&depfile));
        let shown = show(&line[0], &command);
        ui::verbose("Running", &shown);
        let output = {
            let _t = crate::timings::child("compile");
            self.run(command, unit.language.clone())?
        };
        if !output.status.success() {
            let _ = std::fs::remove_file(&tmp_object);
            let _ = std::fs::remove_file(&depfile);
            return Err(CompileError::Compile { owner, file: source, command: shown, output: output.text });
        }
        if !output.text.trim().is_empty() {
            match unit.owner {
                Owner::Module(i) if unit.is_generated(jobs) => {
                    let file_name = unit.source.file_name().unwrap_or_default().to_string_lossy();
                    super::warnings::show_generated(&jobs[i].module, &output.text, &file_name);
                }
                _ => ui::verbose("Output", output.text.trim_end()),
            }
        }
        let (deps, absent) = if !flavour.writes_depfile() {
            (Vec::new(), Vec::new())
        } else {
            let deps = cache::parse_depfile(&fs::read_to_string(&depfile)?, &self.root);
            let _ = std::fs::remove_file(&depfile);
            // gcc's and clang's include variables: CPATH for every language, then one per language.
            let language_var = match unit.language {
                Language::C => "C_INCLUDE_PATH",
                Language::Cxx => "CPLUS_INCLUDE_PATH",
            };
            let env_dirs: Vec<&str> =
                ["CPATH", language_var].into_iter().filter_map(|v| self.var(v)).collect();
            let search = includes::search_path(&args, &self.root, &env_dirs);
            let absent = includes::shadow_candidates(&unit.source, &deps, &search);
            (deps, absent)
        };
        let object = {
            let _t = crate::timings::phase("cache-store");
            store.publish(&key, &name, &tmp_object, &deps, &absent)?
        };
        report_rebuilt(corrupt, &what());
        Ok(object)
    }

    /// `static_libs`: the archives of the project's libraries this module names;
    /// `built_libraries`: every library name the project builds (never passed as `-l`).
    pub(super) fn link(
        &self,
        job: &CompileJob,
        objects: &[PathBuf],
        static_libs: &[&Path],
        built_libraries: &[&str],
        cxx: bool,
    ) -> Result<PathBuf, CompileError> {
        let opts = &job.options;
        let mut inputs: Vec<PathBuf> = objects.to_vec();
        inputs.extend(opts.extra_objects.iter().map(|o| self.root.join(o)));
        // After the objects that use them, before the system libraries they may use.
        inputs.extend(static_libs.iter().map(|l| l.to_path_buf()));
        if self.is_windows_gnu() {
            // GNU linkers ignore pyconfig.h's `#pragma comment(lib)`: name the DLL's import library.
            let dll = windows::PythonDll::for_module(&self.interp, job.limited_api);
            let _generating = self.import_library.lock().unwrap();
            inputs.push(windows::import_library(
                &self.interp,
                &dll,
                &self.build_dir.join("python-dll"),
                self.zig.as_ref(),
            )?);
        }
        let system_libraries: Vec<&str> =
            opts.libraries.iter().map(String::as_str).filter(|l| !built_libraries.contains(l)).collect();
        let args = self.flavour().link_command(self, job, &inputs, &system_libraries, cxx)?;

        let hashing = crate::timings::phase("cache-lookup");
        let mut key = Key::new("link");
        key.file_identity(&resolve_program(&args[0]));
        for arg in &args {
            key.text(arg);
        }
        for input in &inputs {
            key.file_content(input);
        }
        // Static libraries picked by `-l` change what is linked in.
        for dir in &opts.library_dirs {
            for lib in &opts.libraries {
                for name in [format!("lib{lib}.a"), format!("{lib}.lib")] {
                    key.file_identity(&self.root.join(dir).join(name));
                }
            }
        }
        key.text(&job.file_name);
        let key = key.finish();
        let store = Store::new(&self.build_dir, "modules");
        let what = format!("module `{}`", job.module);
        let corrupt = match store.lookup(&key, &job.file_name) {
            Lookup::Hit(module) => {
                ui::verbose("Fresh", format!("{} (linked)", job.module));
                return Ok(module);
            }
            Lookup::Miss | Lookup::Shadowed(_) => None,
            Lookup::Corrupt(corrupt) => Some(corrupt),
        };
        drop(hashing);
        let tmp = store.temp(&key, &job.file_name)?;
        let mut command = self.command(&args);
        self.flavour().link_output(&mut command, &tmp);
        let shown = show(&args[0], &command);
        ui::verbose("Running", &shown);
        let output = {
            let _t = crate::timings::child("link");
            self.run(command, if cxx { Language::Cxx } else { Language::C })?
        };
        if !output.status.success() {
            let _ = std::fs::remove_file(&tmp);
            return Err(CompileError::Link {
                module: job.module.clone(),
                command: shown,
                output: output.text,
            });
        }
        if !output.text.trim().is_empty() {
            ui::verbose("Output", output.text.trim_end());
        }
        let module = {
            let _t = crate::timings::phase("cache-store");
            store.publish(&key, &job.file_name, &tmp, &[], &[])?
        };
        report_rebuilt(corrupt, &what);
        Ok(module)
    }

    /// `lib<name>.a` from a library's objects, cached by their content.
    pub(super) fn archive(&self, library: &LibraryJob, objects: &[PathBuf]) -> Result<PathBuf, CompileError> {
        let flavour = self.flavour();
        let file_name = flavour.archive_name(&library.name);
        let mut key = Key::new("archive");
        key.file_identity(&resolve_program(&self.archiver[0]));
        for arg in &self.archiver {
            key.text(arg);
        }
        for object in objects {
            key.file_content(object);
        }
        key.text(&file_name);
        let key = key.finish();
        let store = Store::new(&self.build_dir, "libraries");
        let corrupt = match store.lookup(&key, &file_name) {
            Lookup::Hit(archive) => {
                ui::verbose("Fresh", format!("library {} (archived)", library.name));
                return Ok(archive);
            }
            Lookup::Miss | Lookup::Shadowed(_) => None,
            Lookup::Corrupt(corrupt) => Some(corrupt),
        };
        let tmp = store.temp(&key, &file_name)?;
        let mut command = self.command(&self.archiver);
        flavour.archive_args(&mut command, &tmp);
        command.args(objects);
        let shown = show(&self.archiver[0], &command);
        ui::verbose("Running", &shown);
        let output = {
            let _t = crate::timings::child("ar");
            self.run(command, Language::C)?
        };
        if !output.status.success() {
            let _ = std::fs::remove_file(&tmp);
            return Err(CompileError::Archive {
                library: library.name.clone(),
                command: shown,
                output: output.text,
            });
        }
        let archive = store.publish(&key, &file_name, &tmp, &[], &[])?;
        report_rebuilt(corrupt, &format!("library `{}`", library.name));
        Ok(archive)
    }
}

/// Say that a corrupt cache entry was replaced (`what`: the source or module it is for).
fn report_rebuilt(corrupt: Option<cache::Corrupt>, what: &str) {
    if let Some(cache::Corrupt { file, why }) = corrupt {
        ui::warning(format!("cache entry {} for {what} was corrupt ({why}); rebuilt", file.display()));
    }
}
