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

mod cache;
mod includes;
pub mod leftovers;
pub mod private_dir;
mod windows;
mod zig;

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use cc::Tool;
use fs_err as fs;

use crate::diagnostic::{Diagnostic, ToDiagnostic};
use crate::interpreter::Interpreter;
use crate::spec::{BuildOptions, Language};
use crate::ui;

use cache::{Key, Lookup, Store};

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

#[derive(Debug, thiserror::Error)]
pub enum CompileError {
    #[error("no {what} compiler: cannot run `{program}`{}", from_env.map(|v| format!(" (from {v})")).unwrap_or_default())]
    NoCompiler { what: &'static str, program: String, from_env: Option<&'static str>, detail: String },
    #[error("no C compiler for {target}")]
    NoCompilerFound { target: String, tried: Vec<String> },
    #[error("cannot set up the {what} compiler for {target}: {detail}")]
    Toolchain { what: &'static str, target: String, detail: String },
    /// `owner` is `module `pkg._foo`` or `library `bar``.
    #[error("{owner}: source file `{}` does not exist", path.display())]
    MissingSource { owner: String, path: PathBuf },
    #[error("failed to compile `{}` of {owner}", file.display())]
    Compile { owner: String, file: PathBuf, command: String, output: String },
    #[error("failed to link module `{module}`")]
    Link { module: String, command: String, output: String },
    #[error("failed to archive library `{library}`")]
    Archive { library: String, command: String, output: String },
    #[error(transparent)]
    ImportLibrary(#[from] windows::ImportLibraryError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl ToDiagnostic for CompileError {
    fn to_diagnostic(&self) -> Diagnostic {
        let d = Diagnostic::error(self.to_string());
        match self {
            CompileError::NoCompiler { detail, program, .. } => {
                let d = d.with_note(detail.clone());
                match cross_compiler_package(program) {
                    Some(package) => d.with_help(format!(
                        "install the cross compiler (Debian/Ubuntu: `apt-get install {package}`), or point \
                         CC (and CXX for C++) at one for this target"
                    )),
                    None => d.with_help(
                        "install a C compiler (Debian/Ubuntu: `apt-get install gcc`; Fedora/manylinux: \
                         `yum install gcc`; macOS: `xcode-select --install`; Windows: Visual Studio Build \
                         Tools), or point CC (and CXX for C++) at one",
                    ),
                }
            }
            CompileError::NoCompilerFound { tried, .. } => tried
                .iter()
                .fold(d, |d, tried| d.with_note(format!("tried {tried}")))
                .with_help(
                    "install the target's compiler (on Windows: Visual Studio Build Tools), or `pip install \
                     ziglang` into the building interpreter to compile with `zig cc`, or point CC (and CXX \
                     for C++) at a compiler",
                ),
            CompileError::ImportLibrary(e) => e
                .tried
                .iter()
                .fold(d, |d, tried| d.with_note(format!("tried {tried}")))
                .with_help(
                    "install MinGW-w64's binutils (Debian/Ubuntu: `apt-get install binutils-mingw-w64-x86-64`) \
                     or LLVM's `llvm-dlltool`, or set ZIG_COMMAND (e.g. `python -m ziglang`) to use zig's",
                ),
            CompileError::Compile { output, command, .. }
            | CompileError::Link { output, command, .. }
            | CompileError::Archive { output, command, .. } => {
                let output = output.trim_end();
                let d = if output.is_empty() { d } else { d.with_note(output.to_string()) };
                let d = d.with_note(format!("command: {command}"));
                match missing_python_headers(command, output) {
                    Some(help) => d.with_help(help),
                    None => d,
                }
            }
            _ => d,
        }
    }
}

/// The Debian package of a cross compiler `cc` looked for (`x86_64-w64-mingw32-gcc` →
/// `gcc-mingw-w64-x86-64`, `aarch64-linux-gnu-g++` → `g++-aarch64-linux-gnu`).
fn cross_compiler_package(program: &str) -> Option<String> {
    let name = Path::new(program).file_name()?.to_str()?;
    let (prefix, driver) = name.rsplit_once('-')?;
    let driver = match driver {
        "gcc" | "cc" => "gcc",
        "g++" | "c++" => "g++",
        _ => return None,
    };
    if let Some(arch) = prefix.strip_suffix("-w64-mingw32") {
        return Some(format!("{driver}-mingw-w64-{}", arch.replace('_', "-")));
    }
    prefix.contains("-linux-").then(|| format!("{driver}-{}", prefix.replace('_', "-")))
}

/// The help for a compiler that could not find `Python.h`: the interpreter's headers are
/// not installed. Which directory was searched and which package provides it are read
/// from the command (`-I<include>/python3.X`).
fn missing_python_headers(command: &str, output: &str) -> Option<String> {
    let missing = output.lines().any(|line| {
        line.contains("Python.h")
            && (line.contains("No such file")
                || line.contains("not found")
                || line.contains("Cannot open include"))
    });
    if !missing {
        return None;
    }
    let include = command
        .split_whitespace()
        .map(|arg| arg.trim_matches(|c| c == '\'' || c == '"'))
        .filter_map(|arg| arg.strip_prefix("-I").or_else(|| arg.strip_prefix("/I")))
        .find(|dir| Path::new(dir).file_name().is_some_and(|n| n.to_string_lossy().starts_with("python")));
    let version = include.and_then(|dir| {
        let name = Path::new(dir).file_name()?.to_string_lossy().into_owned();
        let digits: String = name
            .trim_start_matches("python")
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        (!digits.is_empty()).then_some(digits)
    });
    let python = version.map_or("python3".to_string(), |v| format!("python{v}"));
    let searched = include.map(|dir| format!(" (it is not in `{dir}`)")).unwrap_or_default();
    Some(format!(
        "the interpreter's C headers are not installed{searched}: install its development package \
         (Debian/Ubuntu: `apt-get install {python}-dev`; Fedora/RHEL: `dnf install {python}-devel`), \
         or build for an interpreter that has them (pyenv, uv and python.org builds do)"
    ))
}

/// Where a generated source file goes: `<build dir>/gen/<content hash>/<file name>`. Named
/// by its content, so concurrent builds of one tree whose build scripts generate different
/// code never write the same file (one build could otherwise compile the other's code).
pub fn generated_path(build_dir: &Path, file_name: &str, code: &[u8]) -> PathBuf {
    let mut key = Key::new("generated");
    key.bytes(code);
    build_dir.join("gen").join(&key.finish()[..32]).join(file_name)
}

/// The toolchain of one build: compilers for the target interpreter, the build
/// directory holding the object cache, and the environment.
pub struct Toolchain {
    interp: Interpreter,
    root: PathBuf,
    build_dir: PathBuf,
    env: Env,
    target: String,
    c: Tool,
    /// The static-library archiver (`ar`, or `lib.exe` with MSVC) and its arguments.
    archiver: Vec<OsString>,
    /// Set up on first use: most projects have no C++.
    cxx: Mutex<Option<Tool>>,
    /// Held while an import library of the Python DLL is found or generated (Windows
    /// without MSVC), so that parallel links generate it once.
    import_library: Mutex<()>,
    jobs: usize,
    /// zig standing in for a missing compiler (see `zig`).
    zig: Option<zig::Zig>,
}

impl Toolchain {
    /// Find the C compiler for `interp`'s platform. `build_dir` keeps objects between
    /// builds; `root` is the project root (relative paths in options start there).
    pub fn new(interp: &Interpreter, root: &Path, build_dir: &Path, env: Env) -> Result<Self, CompileError> {
        let target = target_triple(interp);
        let mut interp = interp.clone();
        if interp.is_windows() && !host_triple().contains("-windows-") {
            windows::host_paths(&mut interp, &env);
        }
        let interp = &interp;
        fs::create_dir_all(build_dir.join("cc"))?;
        leftovers::clean_build_dir(build_dir);
        let mut env = env;
        let (zig, usual) = fallback_to_zig(interp, &mut env, &target, build_dir)?;
        let jobs = env
            .get(OsStr::new("CFFI_FORGE_JOBS"))
            .and_then(|j| j.to_str()?.parse().ok())
            .filter(|&j| j > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let c = match usual {
            Some(tool) => tool,
            None => make_tool(interp, &env, &target, build_dir, Language::C, zig.is_some())?,
        };
        let archiver = configure(interp, &env, &target, build_dir, Language::C, zig.is_some())
            .try_get_archiver()
            .map(|command| {
                std::iter::once(command.get_program()).chain(command.get_args()).map(OsString::from).collect()
            })
            .unwrap_or_else(|_| vec![OsString::from(if c.is_like_msvc() { "lib.exe" } else { "ar" })]);
        Ok(Toolchain {
            interp: interp.clone(),
            root: root.to_path_buf(),
            build_dir: build_dir.to_path_buf(),
            env,
            target,
            c,
            archiver,
            cxx: Mutex::new(None),
            import_library: Mutex::new(()),
            jobs,
            zig,
        })
    }

    fn var(&self, key: &str) -> Option<&str> {
        self.env.get(OsStr::new(key)).and_then(|v| v.to_str()).filter(|v| !v.trim().is_empty())
    }

    /// Flags from an environment variable, split like a shell would.
    fn env_flags(&self, key: &str) -> Vec<String> {
        self.var(key)
            .map(|v| shlex::split(v).unwrap_or_else(|| v.split_whitespace().map(String::from).collect()))
            .unwrap_or_default()
    }

    fn cxx(&self) -> Result<Tool, CompileError> {
        let mut cxx = self.cxx.lock().unwrap();
        if cxx.is_none() {
            *cxx = Some(make_tool(
                &self.interp,
                &self.env,
                &self.target,
                &self.build_dir,
                Language::Cxx,
                self.zig.is_some(),
            )?);
        }
        Ok(cxx.clone().unwrap())
    }

    fn is_msvc(&self) -> bool {
        self.c.is_like_msvc()
    }

    /// A Windows target built with a GCC- or Clang-like compiler (MinGW-w64, clang, zig).
    fn is_windows_gnu(&self) -> bool {
        self.interp.is_windows() && !self.is_msvc()
    }

    /// Compile every library and module, archive the libraries, link the modules;
    /// returns the built module files, in job order. Built files live in the build
    /// directory's cache: copy them, don't move them.
    pub fn build(&self, jobs: &[CompileJob], libraries: &[LibraryJob]) -> Result<Vec<PathBuf>, CompileError> {
        let mut units = Vec::new();
        let owners = libraries.iter().enumerate().map(|(i, l)| (Owner::Library(i), &l.options, None)).chain(
            jobs.iter().enumerate().map(|(i, j)| (Owner::Module(i), &j.options, j.generated.as_ref())),
        );
        for (owner, options, generated) in owners {
            let mut sources: Vec<PathBuf> = generated.into_iter().cloned().collect();
            for source in &options.sources {
                let path = self.root.join(source);
                if !path.is_file() {
                    return Err(CompileError::MissingSource {
                        owner: owner.describe(jobs, libraries),
                        path: source.into(),
                    });
                }
                sources.push(path);
            }
            for source in sources {
                let language = language_of(&source);
                let tool = match language {
                    Language::C => self.c.clone(),
                    Language::Cxx => self.cxx()?,
                };
                units.push(Unit { owner, source, language, tool });
            }
        }
        fs::create_dir_all(self.build_dir.join("objects"))?;
        let objects = parallel(&units, self.jobs, |unit| self.compile(jobs, libraries, unit))?;
        let objects_of = |owner: Owner| -> Vec<PathBuf> {
            units.iter().zip(&objects).filter(|(u, _)| u.owner == owner).map(|(_, o)| o.clone()).collect()
        };
        let has_cxx = |owner: Owner| units.iter().any(|u| u.owner == owner && u.language == Language::Cxx);

        let archives: Vec<(usize, Vec<PathBuf>)> =
            (0..libraries.len()).map(|i| (i, objects_of(Owner::Library(i)))).collect();
        let archives = parallel(&archives, self.jobs, |(i, objects)| self.archive(&libraries[*i], objects))?;

        let built_names: Vec<&str> = libraries.iter().map(|l| l.name.as_str()).collect();
        let links: Vec<(usize, Vec<PathBuf>)> =
            (0..jobs.len()).map(|i| (i, objects_of(Owner::Module(i)))).collect();
        parallel(&links, self.jobs, |(i, objects)| {
            let job = &jobs[*i];
            // The libraries this module names, as archives, in the order it names them.
            let linked: Vec<usize> = job
                .options
                .libraries
                .iter()
                .filter_map(|name| libraries.iter().position(|l| &l.name == name))
                .collect();
            let cxx = job.cxx_link
                || has_cxx(Owner::Module(*i))
                || linked.iter().any(|&l| has_cxx(Owner::Library(l)));
            let static_libs: Vec<&Path> = linked.iter().map(|&l| archives[l].as_path()).collect();
            self.link(job, objects, &static_libs, &built_names, cxx)
        })
    }

    /// The flags of the interpreter's own build that change what C code means, which
    /// setuptools passes on through sysconfig's CFLAGS: `-DNDEBUG` (projects rely on
    /// `assert` being compiled out in release wheels) and `-fwrapv`. The rest of those
    /// CFLAGS (optimisation, warnings, the build machine's paths) stay out: they belong to
    /// how CPython was built, not to what an extension means. MSVC builds get `/DNDEBUG` as
    /// setuptools' msvc compiler always adds it. Given first, so `CPPFLAGS=-UNDEBUG` wins.
    fn interpreter_flags(&self) -> Vec<OsString> {
        if self.is_msvc() {
            return vec!["/DNDEBUG".into()];
        }
        let cflags = self.interp.cflags.as_deref().unwrap_or("");
        let tokens: Vec<&str> = cflags.split_whitespace().collect();
        ["-DNDEBUG", "-fwrapv"].into_iter().filter(|flag| tokens.contains(flag)).map(OsString::from).collect()
    }

    /// The compile command of one source file, without its output arguments.
    /// `limited_api` is `None` for a static library: no Python headers, no Python macros.
    fn compile_command(
        &self,
        options: &BuildOptions,
        limited_api: Option<LimitedApi>,
        unit: &Unit,
    ) -> Vec<OsString> {
        let msvc = self.is_msvc();
        let mut args = self.base_command(&unit.tool);
        args.extend(self.interpreter_flags());
        // Like setuptools: CPPFLAGS for every file, CFLAGS for C++ too (cc only adds
        // CXXFLAGS there).
        args.extend(self.env_flags("CPPFLAGS").into_iter().map(OsString::from));
        if unit.language == Language::Cxx {
            args.extend(self.env_flags("CFLAGS").into_iter().map(OsString::from));
            if msvc {
                args.push("/EHsc".into());
            }
        }
        let define = |name: &str, value: Option<&str>| -> OsString {
            let flag = if msvc { "/D" } else { "-D" };
            match value {
                Some(value) => format!("{flag}{name}={value}").into(),
                None => format!("{flag}{name}").into(),
            }
        };
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
            args.push(format!("{}{name}", if msvc { "/U" } else { "-U" }).into());
        }
        let mut includes: Vec<PathBuf> = options.include_dirs.iter().map(|d| self.root.join(d)).collect();
        if limited_api.is_some() {
            for dir in [&self.interp.include, &self.interp.platinclude].into_iter().flatten() {
                if !includes.contains(dir) {
                    includes.push(dir.clone());
                }
            }
        }
        for dir in includes {
            let mut flag = OsString::from(if msvc { "/I" } else { "-I" });
            flag.push(dir);
            args.push(flag);
        }
        args.extend(options.extra_compile_args.iter().map(OsString::from));
        args
    }

    fn compile(
        &self,
        jobs: &[CompileJob],
        libraries: &[LibraryJob],
        unit: &Unit,
    ) -> Result<PathBuf, CompileError> {
        let msvc = self.is_msvc();
        let args = match unit.owner {
            Owner::Module(i) => self.compile_command(&jobs[i].options, Some(jobs[i].limited_api), unit),
            Owner::Library(i) => self.compile_command(&libraries[i].options, None, unit),
        };
        let owner = unit.owner.describe(jobs, libraries);
        let mut key = Key::new("compile");
        key.file_identity(&resolve_program(&args[0]));
        for arg in &args {
            key.text(arg);
        }
        for var in ["CPATH", "C_INCLUDE_PATH", "CPLUS_INCLUDE_PATH", "SDKROOT", "MACOSX_DEPLOYMENT_TARGET"] {
            key.text(self.var(var).unwrap_or(""));
        }
        key.file_content(&unit.source);
        let key = key.finish();
        let store = Store::new(&self.build_dir, "objects");
        let stem = unit.source.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let name = format!("{stem}.{}", if msvc { "obj" } else { "o" });
        let shown_source = self.display(&unit.source);
        let what = || format!("{} ({owner})", shown_source.display());
        // MSVC writes no dependency file: its objects are always rebuilt.
        let corrupt = match if msvc { Lookup::Miss } else { store.lookup(&key, &name) } {
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
        // Unique temporary names: two identical units may compile at the same time.
        let tmp_object = store.temp(&key, &name)?;
        let depfile = tmp_object.with_extension("d");
        // Relative to the project (the compiler's working directory) when inside it, so
        // the compiler's messages name files as the user knows them.
        let source = shown_source.clone();
        let mut command = self.command(&args);
        if msvc {
            command.arg("/c").arg(&source).arg(concat_os("/Fo", &self.display(&tmp_object)));
        } else {
            command
                .arg("-c")
                .arg(&source)
                .arg("-o")
                .arg(self.display(&tmp_object))
                .arg("-MD")
                .arg("-MF")
                .arg(self.display(&depfile));
        }
        let shown = show(&command);
        ui::verbose("Running", &shown);
        let output = self.run(command, unit.language.clone())?;
        if !output.status.success() {
            let _ = std::fs::remove_file(&tmp_object);
            let _ = std::fs::remove_file(&depfile);
            return Err(CompileError::Compile { owner, file: source, command: shown, output: output.text });
        }
        if !output.text.trim().is_empty() {
            ui::verbose("Output", output.text.trim_end());
        }
        let (deps, absent) = if msvc {
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
        let object = store.publish(&key, &name, &tmp_object, &deps, &absent)?;
        report_rebuilt(corrupt, &what());
        Ok(object)
    }

    /// `static_libs`: the archives of the project's libraries this module names;
    /// `built_libraries`: every library name the project builds (never passed as `-l`).
    fn link(
        &self,
        job: &CompileJob,
        objects: &[PathBuf],
        static_libs: &[&Path],
        built_libraries: &[&str],
        cxx: bool,
    ) -> Result<PathBuf, CompileError> {
        let opts = &job.options;
        let mut args: Vec<OsString> = Vec::new();
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
        let system_libraries = opts.libraries.iter().filter(|l| !built_libraries.contains(&l.as_str()));
        if self.is_msvc() {
            let linker = cc::windows_registry::find_tool(&self.target, "link.exe").ok_or_else(|| {
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
            args.push(concat_os("/LIBPATH:", &self.interp.base_prefix.join("libs")));
            for dir in &opts.library_dirs {
                args.push(concat_os("/LIBPATH:", &self.root.join(dir)));
            }
            args.extend(system_libraries.map(|l| OsString::from(format!("{l}.lib"))));
            args.push(
                format!("/EXPORT:PyInit_{}", job.module.rsplit('.').next().unwrap_or(&job.module)).into(),
            );
            args.extend(opts.extra_link_args.iter().map(OsString::from));
            args.extend(self.env_flags("LDFLAGS").into_iter().map(OsString::from));
        } else {
            let tool = if cxx { self.cxx()? } else { self.c.clone() };
            match self.var("LDSHARED") {
                // A user's LDSHARED replaces the whole driver, as with setuptools.
                Some(_) => args.extend(self.env_flags("LDSHARED").into_iter().map(OsString::from)),
                None => {
                    args.extend(self.base_command(&tool));
                    if self.interp.is_macos() {
                        args.extend(["-bundle", "-undefined", "dynamic_lookup"].map(OsString::from));
                    } else {
                        args.push("-shared".into());
                    }
                }
            }
            // Record every library named, libc included: with the `--as-needed` some
            // distributions' compilers default to, a module using no libc symbol has no
            // `DT_NEEDED` at all, and no auditor (ours or auditwheel) can tell its libc.
            if self.interp.is_linux() {
                args.push("-Wl,--no-as-needed".into());
            }
            args.extend(inputs.iter().map(OsString::from));
            for dir in &opts.library_dirs {
                args.push(concat_os("-L", &self.root.join(dir)));
            }
            for dir in &opts.runtime_library_dirs {
                args.push(format!("-Wl,-rpath,{dir}").into());
            }
            args.extend(system_libraries.map(|l| OsString::from(format!("-l{l}"))));
            args.extend(opts.extra_link_args.iter().map(OsString::from));
            args.extend(self.env_flags("LDFLAGS").into_iter().map(OsString::from));
        }

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
        let tmp = store.temp(&key, &job.file_name)?;
        let mut command = self.command(&args);
        if self.is_msvc() {
            command.arg(concat_os("/OUT:", &tmp)).arg(concat_os("/IMPLIB:", &tmp.with_extension("lib")));
        } else {
            command.arg("-o").arg(&tmp);
        }
        let shown = show(&command);
        ui::verbose("Running", &shown);
        let output = self.run(command, if cxx { Language::Cxx } else { Language::C })?;
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
        let module = store.publish(&key, &job.file_name, &tmp, &[], &[])?;
        report_rebuilt(corrupt, &what);
        Ok(module)
    }

    /// `lib<name>.a` from a library's objects, cached by their content.
    fn archive(&self, library: &LibraryJob, objects: &[PathBuf]) -> Result<PathBuf, CompileError> {
        let msvc = self.is_msvc();
        let file_name = if msvc { format!("{}.lib", library.name) } else { format!("lib{}.a", library.name) };
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
        if msvc {
            command.arg("/nologo").arg(concat_os("/OUT:", &tmp));
        } else {
            // c: create, r: insert, s: write the symbol index (what `ranlib` does).
            command.arg("crs").arg(&tmp);
        }
        command.args(objects);
        let shown = show(&command);
        ui::verbose("Running", &shown);
        let output = self.run(command, Language::C)?;
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

    /// Program and arguments of a `cc` tool, including a wrapper such as
    /// `CC="ccache gcc"`. On macOS, `ARCHFLAGS` (`-arch arm64 -arch x86_64` for
    /// universal2, as cibuildwheel sets it) replaces the tool's own `-arch`, as
    /// setuptools does.
    fn base_command(&self, tool: &Tool) -> Vec<OsString> {
        let command = tool.to_command();
        let mut args: Vec<OsString> =
            std::iter::once(command.get_program()).chain(command.get_args()).map(OsString::from).collect();
        let archflags = self.env_flags("ARCHFLAGS");
        if self.interp.is_macos() && !archflags.is_empty() {
            let mut kept = Vec::with_capacity(args.len());
            let mut iter = args.into_iter();
            while let Some(arg) = iter.next() {
                if arg == "-arch" {
                    iter.next();
                } else {
                    kept.push(arg);
                }
            }
            kept.extend(archflags.into_iter().map(OsString::from));
            args = kept;
        }
        args
    }

    fn command(&self, args: &[OsString]) -> Command {
        let mut command = Command::new(&args[0]);
        command.args(&args[1..]).current_dir(&self.root).env_clear().envs(&self.env);
        // cc knows environment the compiler needs (MSVC's INCLUDE/LIB/PATH).
        for (key, value) in self.c.get_envs() {
            command.env(key, value);
        }
        command
    }

    fn run(&self, mut command: Command, language: Language) -> Result<RunOutput, CompileError> {
        let program = command.get_program().to_string_lossy().into_owned();
        match crate::process::output(&mut command) {
            Ok(output) => {
                let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
                text.push_str(&String::from_utf8_lossy(&output.stdout));
                Ok(RunOutput { status: output.status, text })
            }
            Err(e) => {
                let var = if language == Language::Cxx { "CXX" } else { "CC" };
                Err(CompileError::NoCompiler {
                    what: language_name(&language),
                    from_env: self.var(var).map(|_| var),
                    program,
                    detail: e.to_string(),
                })
            }
        }
    }

    /// A path as the user knows it: relative to the project when inside it.
    fn display(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.root).map(Path::to_path_buf).unwrap_or_else(|_| path.to_path_buf())
    }
}

fn make_tool(
    interp: &Interpreter,
    env: &Env,
    target: &str,
    build_dir: &Path,
    language: Language,
    zig: bool,
) -> Result<Tool, CompileError> {
    let what = language_name(&language);
    let build = configure(interp, env, target, build_dir, language, zig);
    let tool = build.try_get_compiler().map_err(|e| CompileError::Toolchain {
        what,
        target: target.to_string(),
        detail: e.to_string(),
    })?;
    Ok(tool)
}

/// Without CC/CXX, when the compiler `cc` picks for `target` is not there: on Windows
/// without MSVC, MinGW-w64 on PATH (`x86_64-w64-mingw32-gcc`, as MSYS2 and llvm-mingw
/// install it); else zig from the interpreter's `ziglang` package. The one found becomes
/// the `CC`/`CXX` (and `AR`) of this build. An error lists what was tried when there is
/// none. Also gives the usual C compiler when it was found, so it is not looked for twice.
fn fallback_to_zig(
    interp: &Interpreter,
    env: &mut Env,
    target: &str,
    build_dir: &Path,
) -> Result<(Option<zig::Zig>, Option<Tool>), CompileError> {
    let set = |env: &Env, key: &str| env.get(OsStr::new(key)).is_some_and(|v| !v.is_empty());
    if set(env, "CC") || set(env, "CXX") {
        return Ok((None, None));
    }
    let usual = make_tool(interp, env, target, build_dir, Language::C, false);
    let cross = target_triple_os_arch(target) != target_triple_os_arch(&host_triple());
    let (usable, tried) = match &usual {
        Ok(tool) if tool.is_like_msvc() => (
            cc::windows_registry::find_tool(target, "cl.exe").is_some(),
            "MSVC (`cl.exe`): no Visual Studio installation found".to_string(),
        ),
        Ok(tool) => (
            zig::exists(tool.path(), env),
            format!("`{}` (the usual compiler for {target}): not found", tool.path().display()),
        ),
        Err(e) => (false, format!("the usual compiler for {target}: {e}")),
    };
    // A cross build given the host's own `cc`/`gcc`/`clang` (what `cc` names when it
    // knows no cross compiler for the target): zig, when there is one, can build for it.
    let host_only = cross
        && usable
        && usual.as_ref().is_ok_and(|tool| {
            tool.path().file_name().is_some_and(|name| !name.to_string_lossy().contains('-'))
        });
    if usable && !host_only {
        return Ok((None, usual.ok()));
    }
    let mut tried = vec![tried];
    if usual.as_ref().is_ok_and(|tool| tool.is_like_msvc()) {
        let prefix = format!("{}-w64-mingw32", target_triple_os_arch(target).0);
        for (cc, cxx) in [("gcc", "g++"), ("clang", "clang++")] {
            let program = format!("{prefix}-{cc}");
            if !zig::exists(Path::new(&program), env) {
                tried.push(format!("MinGW-w64 `{program}` on PATH: not found"));
                continue;
            }
            ui::verbose("Compiler", format!("{program} (no MSVC found), for {target}"));
            env.insert("CC".into(), program.into());
            env.insert("CXX".into(), format!("{prefix}-{cxx}").into());
            if !set(env, "AR") && zig::exists(Path::new(&format!("{prefix}-ar")), env) {
                env.insert("AR".into(), format!("{prefix}-ar").into());
            }
            return Ok((None, None));
        }
    }
    let zig = match zig::find(interp, target, env) {
        Ok(zig) => zig,
        Err(_) if host_only => return Ok((None, usual.ok())),
        Err(why) => {
            tried.push(why);
            return Err(CompileError::NoCompilerFound { target: target.to_string(), tried });
        }
    };
    ui::verbose("Compiler", format!("zig ({}), for {target}", zig.program.display()));
    env.insert("CC".into(), zig.compiler(false));
    env.insert("CXX".into(), zig.compiler(true));
    if !set(env, "AR") {
        env.insert("AR".into(), zig.archiver());
    }
    Ok((Some(zig), None))
}

/// The `cc` configuration for the target: compilers and archiver come from it.
fn configure(
    interp: &Interpreter,
    env: &Env,
    target: &str,
    build_dir: &Path,
    language: Language,
    zig: bool,
) -> cc::Build {
    let mut build = cc::Build::new();
    build
        .set_envs_snapshot(env.iter())
        .cargo_metadata(false)
        .cargo_warnings(false)
        .cargo_output(false)
        .inherit_rustflags(false)
        .target(target)
        .host(&host_triple())
        .opt_level(2)
        .debug(false)
        .pic(true)
        // -Wall (unless CFLAGS says otherwise), as setuptools compiles; warnings show with -v.
        .extra_warnings(false)
        .out_dir(build_dir.join("cc"))
        .cpp(language == Language::Cxx);
    if zig {
        // cc's defaults include `--target=<LLVM triple>`, which `zig cc` rejects (its
        // `-target` is in CC already); the rest that matters is given here.
        build.no_default_flags(true).flag("-O2");
        if !interp.is_windows() {
            build.flag("-fPIC");
        }
    }
    if interp.is_macos() && !env.contains_key(OsStr::new("MACOSX_DEPLOYMENT_TARGET")) {
        // Match the deployment target the wheel's platform tag names.
        if let Some(version) = interp.platform.split('-').nth(1) {
            build.env("MACOSX_DEPLOYMENT_TARGET", version);
        }
    }
    build
}

/// What a source file belongs to: the index of a module job or of a library.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    Module(usize),
    Library(usize),
}

impl Owner {
    /// `module `pkg._foo`` / `library `bar``, for messages.
    fn describe(self, jobs: &[CompileJob], libraries: &[LibraryJob]) -> String {
        match self {
            Owner::Module(i) => format!("module `{}`", jobs[i].module),
            Owner::Library(i) => format!("library `{}`", libraries[i].name),
        }
    }
}

struct Unit {
    owner: Owner,
    source: PathBuf,
    language: Language,
    tool: Tool,
}

struct RunOutput {
    status: std::process::ExitStatus,
    /// stderr then stdout (MSVC writes its diagnostics to stdout).
    text: String,
}

fn language_name(language: &Language) -> &'static str {
    match language {
        Language::C => "C",
        Language::Cxx => "C++",
    }
}

/// C++ for the usual C++ extensions, C for everything else.
fn language_of(path: &Path) -> Language {
    match path.extension().and_then(|e| e.to_str()) {
        Some("cpp" | "cxx" | "cc" | "c++" | "C" | "CPP") => Language::Cxx,
        _ => Language::C,
    }
}

fn concat_os(prefix: &str, path: &Path) -> OsString {
    let mut s = OsString::from(prefix);
    s.push(path);
    s
}

/// Say that a corrupt cache entry was replaced (`what`: the source or module it is for).
fn report_rebuilt(corrupt: Option<cache::Corrupt>, what: &str) {
    if let Some(cache::Corrupt { file, why }) = corrupt {
        ui::warning(format!("cache entry {} for {what} was corrupt ({why}); rebuilt", file.display()));
    }
}

/// The full path of a program named on a command line (for cache keys).
fn resolve_program(program: &OsStr) -> PathBuf {
    which::which(program).unwrap_or_else(|_| PathBuf::from(program))
}

/// A command line as a user could paste it into a shell.
fn show(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| {
            let a = a.to_string_lossy();
            shlex::try_quote(&a).map(|q| q.into_owned()).unwrap_or_else(|_| a.into_owned())
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Run `f` over `items` on up to `jobs` threads; results in item order. After the first
/// failure no new item starts; of the items that ran, the earliest failure is returned.
fn parallel<T: Sync, R: Send, E: Send>(
    items: &[T],
    jobs: usize,
    f: impl Fn(&T) -> Result<R, E> + Sync,
) -> Result<Vec<R>, E> {
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let results: Mutex<Vec<Option<Result<R, E>>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= items.len() || failed.load(Ordering::Relaxed) {
                    break;
                }
                let result = f(&items[i]);
                if result.is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
                results.lock().unwrap()[i] = Some(result);
            });
        }
    });
    let mut out = Vec::with_capacity(items.len());
    for result in results.into_inner().unwrap() {
        match result {
            Some(Ok(r)) => out.push(r),
            Some(Err(e)) => return Err(e),
            None => {} // not started after a failure; that failure comes later in order
        }
    }
    Ok(out)
}

/// The triple `cc` should target: the interpreter's platform. When that is the
/// platform cffi-forge runs on, the host triple itself (keeping its C library flavour).
pub fn target_triple(interp: &Interpreter) -> String {
    let host = host_triple();
    let platform = interp.platform.as_str();
    let last = platform.rsplit('-').next().unwrap_or(platform);
    let arch = match (last, interp.machine.as_str()) {
        ("x86_64" | "amd64", _) if interp.pointer_bits == 32 => "i686",
        ("x86_64" | "amd64", _) => "x86_64",
        ("arm64" | "aarch64", _) => "aarch64",
        ("i386" | "i686" | "win32", _) => "i686",
        ("universal2" | "intel" | "fat" | "fat3" | "universal", machine) => {
            if machine == "arm64" {
                "aarch64"
            } else {
                "x86_64"
            }
        }
        ("armv7l", _) => "armv7",
        (other, _) => other,
    };
    let triple = if platform.starts_with("linux") {
        let env = if host.ends_with("musl") { "musl" } else { "gnu" };
        match arch {
            "armv7" => format!("armv7-unknown-linux-{env}eabihf"),
            "riscv64" => format!("riscv64gc-unknown-linux-{env}"),
            "ppc64le" => format!("powerpc64le-unknown-linux-{env}"),
            "ppc64" => format!("powerpc64-unknown-linux-{env}"),
            _ => format!("{arch}-unknown-linux-{env}"),
        }
    } else if platform.starts_with("macosx") {
        format!("{arch}-apple-darwin")
    } else if platform.starts_with("win") {
        // MSVC on Windows; elsewhere MSVC cannot run, and cc then looks for the MinGW-w64
        // cross compiler (`x86_64-w64-mingw32-gcc`) unless CC names another.
        if host.contains("-windows-") {
            format!("{arch}-pc-windows-msvc")
        } else {
            format!("{arch}-pc-windows-gnu")
        }
    } else if let Some(os) = ["freebsd", "netbsd", "openbsd"].into_iter().find(|os| platform.starts_with(os))
    {
        format!("{arch}-unknown-{os}")
    } else {
        host.clone()
    };
    // Same OS and arch as the host: keep the host's exact triple (env, ABI).
    if triple.split('-').next() == host.split('-').next()
        && triple.split('-').nth(2) == host.split('-').nth(2)
    {
        host
    } else {
        triple
    }
}

/// A triple's architecture and OS (`aarch64-pc-windows-gnullvm` → (`aarch64`, `windows`)).
fn target_triple_os_arch(triple: &str) -> (&str, &str) {
    let parts: Vec<&str> = triple.split('-').collect();
    let os = parts.iter().copied().find(|p| ["windows", "linux", "darwin"].contains(p)).unwrap_or("");
    (parts[0], os)
}

/// The triple cffi-forge itself runs on.
pub fn host_triple() -> String {
    let arch = std::env::consts::ARCH;
    if cfg!(target_os = "macos") {
        format!("{arch}-apple-darwin")
    } else if cfg!(target_os = "windows") {
        format!("{arch}-pc-windows-{}", if cfg!(target_env = "gnu") { "gnu" } else { "msvc" })
    } else if cfg!(target_os = "linux") {
        let env = if cfg!(target_env = "musl") { "musl" } else { "gnu" };
        match arch {
            "arm" => format!("armv7-unknown-linux-{env}eabihf"),
            "riscv64" => format!("riscv64gc-unknown-linux-{env}"),
            _ => format!("{arch}-unknown-linux-{env}"),
        }
    } else {
        format!("{arch}-unknown-{}", std::env::consts::OS)
    }
}

#[cfg(test)]
mod python_headers_tests {
    use super::missing_python_headers;

    #[test]
    fn a_missing_cross_compiler_names_its_debian_package() {
        use super::cross_compiler_package as package;
        assert_eq!(package("x86_64-w64-mingw32-gcc").as_deref(), Some("gcc-mingw-w64-x86-64"));
        assert_eq!(package("i686-w64-mingw32-g++").as_deref(), Some("g++-mingw-w64-i686"));
        assert_eq!(package("/usr/bin/aarch64-linux-gnu-gcc").as_deref(), Some("gcc-aarch64-linux-gnu"));
        assert_eq!(package("x86_64-linux-gnu-gcc").as_deref(), Some("gcc-x86-64-linux-gnu"));
        assert_eq!(package("cc"), None);
        assert_eq!(package("x86_64-linux-gnu-gcc-12"), None);
    }

    #[test]
    fn a_missing_python_h_names_the_include_directory_and_the_dev_package() {
        let gcc = "gen/_x.c:1:10: fatal error: Python.h: No such file or directory\ncompilation terminated.";
        let command = "cc -O2 -fPIC -I/usr/include/python3.12 -c gen/_x.c -o x.o";
        let help = missing_python_headers(command, gcc).unwrap();
        assert!(help.contains("(it is not in `/usr/include/python3.12`)"), "{help}");
        assert!(help.contains("apt-get install python3.12-dev"), "{help}");
        assert!(help.contains("dnf install python3.12-devel"), "{help}");
        let clang = "gen/_x.c:1:10: fatal error: 'Python.h' file not found";
        assert!(missing_python_headers("cc -I/opt/py/include/python3.13t -c x.c", clang)
            .unwrap()
            .contains("python3.13-dev"));
        assert_eq!(missing_python_headers(command, "x.c:3: error: expected ';'"), None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Define;

    fn python() -> PathBuf {
        PathBuf::from(std::env::var_os("CFFI_FORGE_TEST_PYTHON").unwrap_or_else(|| "python3".into()))
    }

    const MODULE: &str = r#"
#include <Python.h>
#include "val.h"
int helper(int);
static PyObject *f(PyObject *self, PyObject *arg) { return PyLong_FromLong(helper(VAL) + EXTRA); }
static PyMethodDef methods[] = {{"f", f, METH_NOARGS, NULL}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef def = {PyModuleDef_HEAD_INIT, "tmod", NULL, -1, methods};
PyMODINIT_FUNC PyInit_tmod(void) { return PyModule_Create(&def); }
"#;

    struct Fixture {
        dir: tempfile::TempDir,
        interp: Interpreter,
        log: PathBuf,
    }

    impl Fixture {
        fn new(generated_name: &str) -> Self {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path();
            fs::create_dir_all(root.join("include")).unwrap();
            fs::write(root.join("include/val.h"), "#define VAL 40\n").unwrap();
            fs::write(root.join("helper.c"), "int helper(int x) { return x + 1; }\n").unwrap();
            fs::write(root.join(generated_name), MODULE).unwrap();
            // A compiler wrapper that logs each call, to see what the cache saves.
            let log = root.join("cc.log");
            let wrapper = root.join("logcc");
            fs::write(&wrapper, format!("#!/bin/sh\necho \"$@\" >> '{}'\nexec cc \"$@\"\n", log.display()))
                .unwrap();
            std::fs::set_permissions(&wrapper, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
            let interp = Interpreter::query(&python()).expect("a Python to build against");
            Fixture { dir, interp, log }
        }

        fn root(&self) -> &Path {
            self.dir.path()
        }

        fn env(&self) -> Env {
            let mut env = process_env();
            env.insert("CC".into(), self.root().join("logcc").into());
            env
        }

        fn job(&self, generated: &str) -> CompileJob {
            CompileJob {
                module: "tmod".into(),
                generated: Some(self.root().join(generated)),
                options: BuildOptions {
                    sources: vec!["helper.c".into()],
                    include_dirs: vec!["include".into()],
                    define_macros: vec![Define { name: "EXTRA".into(), value: Some("1".into()) }],
                    ..Default::default()
                },
                limited_api: LimitedApi::Abi3 { major: 3, minor: 8 },
                file_name: "tmod.abi3.so".into(),
                cxx_link: false,
            }
        }

        fn build(&self, env: Env, job: &CompileJob) -> Result<PathBuf, CompileError> {
            let toolchain = Toolchain::new(&self.interp, self.root(), &self.root().join("build"), env)?;
            Ok(toolchain.build(std::slice::from_ref(job), &[])?.remove(0))
        }

        fn compiles(&self) -> usize {
            fs::read_to_string(&self.log)
                .map(|t| t.lines().filter(|l| l.contains(" -c ")).count())
                .unwrap_or(0)
        }

        fn call(&self, module: &Path) -> String {
            let out = Command::new(python())
                .args(["-c", "import sys; sys.path.insert(0, sys.argv[1]); import tmod; print(tmod.f())"])
                .arg(module.parent().unwrap())
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
            String::from_utf8(out.stdout).unwrap().trim().to_string()
        }
    }

    #[test]
    fn builds_an_importable_module_and_rebuilds_only_what_changed() {
        let fx = Fixture::new("tmod.c");
        let job = fx.job("tmod.c");
        let module = fx.build(fx.env(), &job).unwrap();
        assert_eq!(module.file_name().unwrap(), "tmod.abi3.so");
        assert_eq!(fx.call(&module), "42");
        assert_eq!(fx.compiles(), 2);

        // No change: nothing is compiled, the same module comes back.
        assert_eq!(fx.build(fx.env(), &job).unwrap(), module);
        assert_eq!(fx.compiles(), 2);

        // A header only the module file includes: that file alone is recompiled.
        fs::write(fx.root().join("include/val.h"), "#define VAL 100\n").unwrap();
        let module = fx.build(fx.env(), &job).unwrap();
        assert_eq!(fx.compiles(), 3);
        assert_eq!(fx.call(&module), "102");

        // Py_LIMITED_API carries the floor version.
        let log = fs::read_to_string(&fx.log).unwrap();
        assert!(log.contains("-DPy_LIMITED_API=0x03080000"), "{log}");
        assert!(log.contains("-DEXTRA=1"), "{log}");
    }

    #[test]
    fn the_interpreters_ndebug_reaches_every_unit_as_with_setuptools() {
        let mut fx = Fixture::new("tmod.c");
        // VAL is 40 only when NDEBUG is defined, as in a release build of CPython.
        fs::write(
            fx.root().join("include/val.h"),
            "#ifdef NDEBUG\n#define VAL 40\n#else\n#define VAL 0\n#endif\n",
        )
        .unwrap();
        fs::write(
            fx.root().join("helper.c"),
            "#include <assert.h>\nint helper(int x) { assert(x < 0); return x + 1; }\n",
        )
        .unwrap();
        let job = fx.job("tmod.c");
        fx.interp.cflags = Some("-g -DNDEBUG -O3 -Wall -fwrapv".into());
        let module = fx.build(fx.env(), &job).unwrap();
        // The assert in the plain source file is compiled out too (it would abort otherwise).
        assert_eq!(fx.call(&module), "42");
        let log = fs::read_to_string(&fx.log).unwrap();
        assert!(
            log.lines().all(|l| !l.contains(" -c ") || (l.contains("-DNDEBUG") && l.contains("-fwrapv"))),
            "{log}"
        );
        assert!(!log.contains("-O3") && !log.contains(" -g "), "{log}");

        // An interpreter built without NDEBUG (a debug build) leaves it out.
        fx.interp.cflags = Some("-g -O0".into());
        fs::write(fx.root().join("helper.c"), "int helper(int x) { return x + 1; }\n").unwrap();
        let module = fx.build(fx.env(), &job).unwrap();
        assert_eq!(fx.call(&module), "2");
    }

    #[test]
    fn a_static_library_compiles_once_and_links_into_every_module_naming_it() {
        let fx = Fixture::new("tmod.c");
        // `helper` moves from the module's sources into a library both modules link.
        let library = LibraryJob {
            name: "helpers".into(),
            options: BuildOptions { sources: vec!["helper.c".into()], ..Default::default() },
        };
        let mut first = fx.job("tmod.c");
        first.options.sources.clear();
        first.options.libraries = vec!["helpers".into(), "m".into()];
        let text = fs::read_to_string(fx.root().join("tmod.c")).unwrap().replace("tmod", "tmod2");
        fs::write(fx.root().join("tmod2.c"), text).unwrap();
        let mut second = first.clone();
        second.module = "tmod2".into();
        second.generated = Some(fx.root().join("tmod2.c"));
        second.file_name = "tmod2.abi3.so".into();

        let toolchain = Toolchain::new(&fx.interp, fx.root(), &fx.root().join("build"), fx.env()).unwrap();
        let built = toolchain.build(&[first.clone(), second], std::slice::from_ref(&library)).unwrap();
        assert_eq!(fx.call(&built[0]), "42");
        let log = fs::read_to_string(&fx.log).unwrap();
        let helper_compiles: Vec<&str> = log.lines().filter(|l| l.contains("-c helper.c")).collect();
        assert_eq!(helper_compiles.len(), 1, "{log}");
        // No Python headers or macros for the library; `-lhelpers` never reaches the linker.
        assert!(!helper_compiles[0].contains("Py_LIMITED_API") && !helper_compiles[0].contains("python"));
        assert!(!log.contains("-lhelpers") && log.contains("-lm"), "{log}");
        assert_eq!(log.lines().filter(|l| l.contains("libhelpers.a")).count(), 2, "linked into both: {log}");

        let mut broken = library.clone();
        broken.options.sources.push("gone.c".into());
        let err = toolchain.build(&[first], &[broken]).unwrap_err();
        assert_eq!(err.to_string(), "library `helpers`: source file `gone.c` does not exist");
    }

    #[test]
    fn cxx_source_extension_compiles_as_cxx() {
        let fx = Fixture::new("tmod.cpp");
        let mut job = fx.job("tmod.cpp");
        // Valid C++ only: a C compiler would reject it.
        fs::write(
            fx.root().join("include/val.h"),
            "template <int N> struct V { enum { v = N }; };\n#define VAL V<40>::v\n",
        )
        .unwrap();
        fs::write(fx.root().join("helper.c"), "int helper(int x) { return x + 1; }\n").unwrap();
        job.limited_api = LimitedApi::Off;
        // `helper` has C linkage from a .c file; the module declares it in C++.
        let text = fs::read_to_string(fx.root().join("tmod.cpp"))
            .unwrap()
            .replace("int helper(int);", "extern \"C\" int helper(int);");
        fs::write(fx.root().join("tmod.cpp"), text).unwrap();
        let module = fx.build(fx.env(), &job).unwrap();
        assert_eq!(fx.call(&module), "42");
    }

    #[test]
    fn compile_error_shows_compiler_output_module_and_file() {
        let fx = Fixture::new("tmod.c");
        fs::write(fx.root().join("helper.c"), "int helper(int x) { return x + ; }\n").unwrap();
        let err = fx.build(fx.env(), &fx.job("tmod.c")).unwrap_err();
        let text = err.to_diagnostic().render(false);
        assert!(text.contains("failed to compile `helper.c` of module `tmod`"), "{text}");
        assert!(text.contains("helper.c:1:"), "the compiler's own message: {text}");
        assert!(!fx.root().join("build/modules").exists(), "nothing linked");
    }

    #[test]
    fn missing_compiler_and_missing_source() {
        let fx = Fixture::new("tmod.c");
        let mut env = fx.env();
        env.insert("CC".into(), "/nonexistent/cc".into());
        let err = fx.build(env, &fx.job("tmod.c")).unwrap_err();
        assert!(matches!(err, CompileError::NoCompiler { from_env: Some("CC"), .. }), "{err:?}");
        assert!(err.to_string().contains("/nonexistent/cc"), "{err}");

        let mut job = fx.job("tmod.c");
        job.options.sources.push("nope.c".into());
        let err = fx.build(fx.env(), &job).unwrap_err();
        assert_eq!(err.to_string(), "module `tmod`: source file `nope.c` does not exist");
    }

    #[test]
    fn parallel_runs_items_at_the_same_time_and_reports_the_first_failure() {
        // Each item waits until both have started: only concurrent execution passes.
        let started = AtomicUsize::new(0);
        let together = parallel(&[0, 1], 2, |_| {
            started.fetch_add(1, Ordering::SeqCst);
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while started.load(Ordering::SeqCst) < 2 && std::time::Instant::now() < deadline {
                std::thread::yield_now();
            }
            Ok::<_, ()>(started.load(Ordering::SeqCst) == 2)
        })
        .unwrap();
        assert_eq!(together, [true, true]);

        // One thread: the first failure stops the rest.
        let ran = AtomicUsize::new(0);
        let result = parallel(&[1, 2, 3, 4], 1, |&i| {
            ran.fetch_add(1, Ordering::SeqCst);
            if i % 2 == 0 {
                Err(i)
            } else {
                Ok(i)
            }
        });
        assert_eq!((result, ran.load(Ordering::SeqCst)), (Err(2), 2));
        assert_eq!(parallel(&[1, 2, 3], 1, |&i| Ok::<_, ()>(i * 10)), Ok(vec![10, 20, 30]));
    }

    /// A CPython 3.12 for 64-bit Windows whose prefix is `prefix` (no `libs\\` there).
    fn windows_cpython(prefix: &Path) -> Interpreter {
        let mut interp = crate::interpreter::tests::cpython(3, 12);
        interp.platform = "win-amd64".into();
        interp.machine = "AMD64".into();
        interp.ext_suffix = ".cp312-win_amd64.pyd".into();
        interp.extension_suffixes = vec![".cp312-win_amd64.pyd".into(), ".pyd".into()];
        interp.base_prefix = prefix.to_path_buf();
        interp
    }

    /// The DLLs a PE file imports, as MinGW's objdump lists them.
    fn imported_dlls(pe: &Path) -> Vec<String> {
        let out = Command::new("x86_64-w64-mingw32-objdump").arg("-p").arg(pe).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.trim().strip_prefix("DLL Name: ").map(str::to_string))
            .collect()
    }

    #[test]
    fn windows_without_msvc_defines_ms_win64_and_links_the_python_dll() {
        if which::which("x86_64-w64-mingw32-gcc").is_err() {
            eprintln!("NOT RUN: windows_without_msvc (no x86_64-w64-mingw32-gcc; apt-get install gcc-mingw-w64-x86-64)");
            assert_ne!(std::env::var("CI").as_deref(), Ok("true"), "NOT RUN is a failure under CI=true");
            return;
        }
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // What Windows' pyconfig.h needs from a non-MSVC compiler, and a call into the
        // Python DLL that only links when its import library is on the command line.
        fs::write(
            root.join("tmod.c"),
            "#ifndef MS_WIN64\n#error MS_WIN64 is not defined\n#endif\n\
             __declspec(dllimport) void Py_IncRef(void *);\n\
             __declspec(dllexport) void *PyInit_tmod(void) { Py_IncRef(0); return 0; }\n",
        )
        .unwrap();
        let interp = windows_cpython(&root.join("prefix"));
        assert_eq!(target_triple(&interp), "x86_64-pc-windows-gnu");
        let mut env = process_env();
        env.remove(OsStr::new("CC"));
        env.remove(OsStr::new("CFLAGS"));
        env.remove(OsStr::new("LDFLAGS"));
        let toolchain = Toolchain::new(&interp, root, &root.join("build"), env).unwrap();
        let job = |limited_api, file_name: &str| CompileJob {
            module: "tmod".into(),
            generated: Some(root.join("tmod.c")),
            options: BuildOptions::default(),
            limited_api,
            file_name: file_name.into(),
            cxx_link: false,
        };
        let built =
            toolchain.build(&[job(LimitedApi::Abi3 { major: 3, minor: 8 }, "tmod.pyd")], &[]).unwrap();
        assert_eq!(built[0].file_name().unwrap(), "tmod.pyd");
        let dlls = imported_dlls(&built[0]);
        assert!(dlls.contains(&"python3.dll".to_string()), "{dlls:?}");

        // Version-specific: python312.dll, never python3.dll.
        let built = toolchain.build(&[job(LimitedApi::Off, "tmod.cp312-win_amd64.pyd")], &[]).unwrap();
        let dlls = imported_dlls(&built[0]);
        assert!(
            dlls.contains(&"python312.dll".to_string()) && !dlls.contains(&"python3.dll".to_string()),
            "{dlls:?}"
        );
    }

    #[test]
    fn a_windows_interpreter_under_wine_has_its_paths_mapped_to_the_host() {
        let dir = tempfile::tempdir().unwrap();
        let prefix = dir.path().join("prefix");
        let drive = dir.path().join("drive-d");
        fs::create_dir_all(prefix.join("dosdevices")).unwrap();
        fs::create_dir_all(drive.join("Py/libs")).unwrap();
        std::os::unix::fs::symlink(&drive, prefix.join("dosdevices/d:")).unwrap();
        fs::write(drive.join("Py/libs/python3.lib"), "").unwrap();
        let mut interp = windows_cpython(Path::new("D:\\Py"));
        interp.include = Some("D:\\Py\\Include".into());
        interp.platinclude = Some("Q:\\unmapped".into());
        let mut env = Env::new();
        env.insert("WINEPREFIX".into(), prefix.clone().into());
        windows::host_paths(&mut interp, &env);
        let drive = fs::canonicalize(&drive).unwrap();
        assert_eq!(interp.include, Some(drive.join("Py/Include")));
        assert_eq!(interp.base_prefix, drive.join("Py"));
        assert_eq!(interp.platinclude, Some(PathBuf::from("Q:\\unmapped")), "no such drive: left alone");
        // The interpreter's own import library is found there and preferred.
        let dll = windows::PythonDll::for_module(&interp, LimitedApi::Abi3 { major: 3, minor: 8 });
        let lib = windows::import_library(&interp, &dll, &dir.path().join("gen"), None).unwrap();
        assert_eq!(lib, drive.join("Py/libs/python3.lib"));
    }

    #[test]
    fn target_follows_the_interpreter() {
        let mut interp = Interpreter::query(&python()).unwrap();
        assert_eq!(target_triple(&interp), host_triple());
        interp.platform = "macosx-11.0-arm64".into();
        assert_eq!(target_triple(&interp), "aarch64-apple-darwin");
        interp.platform = "win-amd64".into();
        assert_eq!(target_triple(&interp), "x86_64-pc-windows-gnu");
        interp.platform = "linux-aarch64".into();
        assert!(target_triple(&interp).starts_with("aarch64-unknown-linux-"));
    }
}
