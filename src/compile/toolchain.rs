//! The toolchain of one build: the compilers found for the target, the environment they
//! see, and running their commands.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use fs_err as fs;

use crate::interpreter::Interpreter;

use super::launcher;
use crate::spec::Language;

use super::compiler::Compiler;
use super::flavour::{Flavour, Gnu, Msvc};
use super::target::{configure, host_triple, make_tool, target_triple};
use super::{choice, darwin, leftovers, windows, zig, CompileError, Env};

/// The toolchain of one build: compilers for the target interpreter, the build
/// directory holding the object cache, and the environment.
pub struct Toolchain {
    pub(super) interp: Interpreter,
    pub(super) root: PathBuf,
    pub(super) build_dir: PathBuf,
    pub(super) env: Env,
    pub(super) target: String,
    pub(super) c: Compiler,
    /// The static-library archiver (`ar`, or `lib.exe` with MSVC) and its arguments.
    pub(super) archiver: Vec<OsString>,
    /// Set up on first use: most projects have no C++.
    pub(super) cxx: Mutex<Option<Compiler>>,
    /// Held while an import library of the Python DLL is found or generated (Windows
    /// without MSVC), so that parallel links generate it once.
    pub(super) import_library: Mutex<()>,
    pub(super) jobs: usize,
    /// `CFFI_FORGE_COMPILER_LAUNCHER`, put in front of compile commands (see `launcher`).
    pub(super) launcher: Vec<OsString>,
    /// zig standing in for a missing compiler (see `choice`).
    pub(super) zig: Option<zig::Zig>,
    /// A macOS target built on another OS: how its compiler was chosen.
    pub(super) darwin: Option<darwin::Setup>,
    /// universal2 built on another OS: one toolchain per slice, and the `lipo` merging them.
    pub(super) universal: Option<(Vec<Toolchain>, PathBuf)>,
    /// Dependency hashes of the build under way (see `cache::HashMemo`).
    pub(super) hashes: super::cache::HashMemo,
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
        let jobs = env
            .get(OsStr::new("CFFI_FORGE_JOBS"))
            .and_then(|j| j.to_str()?.parse().ok())
            .filter(|&j| j > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let mut universal = None;
        let mut darwin = None;
        if darwin::is_cross(interp) {
            let arches = darwin::slices(interp);
            if arches.len() > 1 {
                let lipo = darwin::find_lipo(&env)?;
                let slices = arches
                    .into_iter()
                    .map(|arch| Toolchain::new(&darwin::slice(interp, arch), root, build_dir, env.clone()))
                    .collect::<Result<Vec<_>, _>>()?;
                universal = Some((slices, lipo));
            } else {
                darwin = Some(darwin::setup(interp, &env)?);
            }
        }
        // macOS cross targets choose their compiler in `darwin`; the others here.
        let mut env = env;
        let (zig, usual) = if darwin::is_cross(interp) {
            (None, None)
        } else {
            choice::choose(interp, &mut env, &target, build_dir)?
        };
        // A universal2 toolchain compiles nothing itself: its `c` is its first slice's.
        let cc_env = darwin.as_ref().map_or_else(|| env.clone(), |d| d.cc_env(env.clone()));
        let c = match (&universal, usual) {
            (Some((slices, _)), _) => slices[0].c.clone(),
            (None, Some(tool)) => tool,
            (None, None) => make_tool(interp, &cc_env, &target, build_dir, Language::C, zig.is_some())?,
        };
        let launcher = launcher::from_env(&env, root)?;
        let archiver = configure(interp, &cc_env, &target, build_dir, Language::C, zig.is_some())
            .try_get_archiver()
            .map(|command| {
                std::iter::once(command.get_program()).chain(command.get_args()).map(OsString::from).collect()
            })
            .unwrap_or_else(|_| vec![OsString::from(if c.is_like_msvc() { "lib.exe" } else { "ar" })]);
        let archiver = darwin.as_ref().and_then(|d| d.archiver(&env)).unwrap_or(archiver);
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
            launcher,
            zig,
            darwin,
            universal,
            hashes: Default::default(),
        })
    }

    pub(super) fn var(&self, key: &str) -> Option<&str> {
        self.env.get(OsStr::new(key)).and_then(|v| v.to_str()).filter(|v| !v.trim().is_empty())
    }

    /// Flags from an environment variable, split like a shell would.
    pub(super) fn env_flags(&self, key: &str) -> Vec<String> {
        self.var(key)
            .map(|v| shlex::split(v).unwrap_or_else(|| v.split_whitespace().map(String::from).collect()))
            .unwrap_or_default()
    }

    pub(super) fn cxx(&self) -> Result<Compiler, CompileError> {
        let mut cxx = self.cxx.lock().unwrap();
        if cxx.is_none() {
            let env = self.darwin.as_ref().map_or_else(|| self.env.clone(), |d| d.cc_env(self.env.clone()));
            *cxx = Some(make_tool(
                &self.interp,
                &env,
                &self.target,
                &self.build_dir,
                Language::Cxx,
                self.zig.is_some(),
            )?);
        }
        Ok(cxx.clone().unwrap())
    }

    pub(super) fn is_msvc(&self) -> bool {
        self.c.is_like_msvc()
    }

    /// A Windows target built with a GCC- or Clang-like compiler (MinGW-w64, clang, zig).
    pub(super) fn is_windows_gnu(&self) -> bool {
        self.interp.is_windows() && !self.is_msvc()
    }

    /// The command-line dialect of this build's compiler.
    pub(super) fn flavour(&self) -> &'static dyn Flavour {
        if self.is_msvc() {
            &Msvc
        } else {
            &Gnu
        }
    }

    /// Program and arguments of a `cc` tool, including a wrapper such as
    /// `CC="ccache gcc"`. On macOS, `ARCHFLAGS` (`-arch arm64 -arch x86_64` for
    /// universal2, as cibuildwheel sets it) replaces the tool's own `-arch`, as
    /// setuptools does.
    pub(super) fn base_command(&self, tool: &Compiler) -> Vec<OsString> {
        let mut args: Vec<OsString> = tool.command().to_vec();
        if let Some(darwin) = &self.darwin {
            // Cross builds compile one architecture per toolchain (universal2: one per slice).
            darwin.adjust(&mut args);
            return args;
        }
        let archflags = darwin::native_arch_flags(&self.interp, self.env_flags("ARCHFLAGS"));
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

    /// The command `args` (program first) in the project directory, with the build's
    /// environment. Shown to the user with [`show`], as `args` spell it.
    pub(super) fn command(&self, args: &[OsString]) -> Command {
        // cc knows environment the compiler needs (MSVC's INCLUDE/LIB/PATH).
        let path = self.c.get_envs().find(|(key, _)| *key == "PATH").map(|(_, value)| value);
        let path = path.or_else(|| self.env.get(OsStr::new("PATH")));
        let mut command = Command::new(spawnable(&args[0], path, &self.root));
        #[cfg(unix)]
        std::os::unix::process::CommandExt::arg0(&mut command, &args[0]);
        command.args(&args[1..]).current_dir(&self.root).env_clear().envs(&self.env);
        for (key, value) in self.c.get_envs() {
            command.env(key, value);
        }
        command
    }

    pub(super) fn run(&self, mut command: Command, language: Language) -> Result<RunOutput, CompileError> {
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
    pub(super) fn display(&self, path: &Path) -> PathBuf {
        path.strip_prefix(&self.root).map(Path::to_path_buf).unwrap_or_else(|_| path.to_path_buf())
    }
}

pub(super) struct RunOutput {
    pub(super) status: std::process::ExitStatus,
    /// stderr then stdout (MSVC writes its diagnostics to stdout).
    pub(super) text: String,
}

pub(super) fn language_name(language: &Language) -> &'static str {
    match language {
        Language::C => "C",
        Language::Cxx => "C++",
    }
}

pub(super) fn concat_os(prefix: &str, path: &Path) -> OsString {
    let mut s = OsString::from(prefix);
    s.push(path);
    s
}

/// The full path of a program named on a command line (for cache keys).
pub(super) fn resolve_program(program: &OsStr) -> PathBuf {
    which::which(program).unwrap_or_else(|_| PathBuf::from(program))
}

/// A bare program name (`cc`, `ccache`) as the full path the child's `PATH` finds it at,
/// as `execvp` would. Rust's standard library starts a child with `posix_spawn` only when
/// it need not search a `PATH` it was given; otherwise it forks the whole process, whose
/// later writes then fault page by page: about a millisecond per compile here. A name not
/// found stays as it is (spawning it fails as before).
fn spawnable(program: &OsStr, path: Option<&OsString>, cwd: &Path) -> PathBuf {
    let bare = cfg!(unix) && !program.is_empty() && !program.as_encoded_bytes().contains(&b'/');
    match path {
        Some(path) if bare => which::which_in(program, Some(path), cwd).unwrap_or_else(|_| program.into()),
        _ => program.into(),
    }
}

#[cfg(all(test, unix))]
mod spawn_tests {
    use super::*;

    #[test]
    fn a_bare_name_is_found_on_the_childs_path_as_execvp_would() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let (first, second) = (dir.path().join("a"), dir.path().join("b"));
        for d in [&first, &second] {
            std::fs::create_dir(d).unwrap();
        }
        // Not executable in the first directory: execvp goes on to the next one.
        std::fs::write(first.join("tool"), "").unwrap();
        std::fs::write(second.join("tool"), "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(second.join("tool"), std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = std::env::join_paths([&first, &second]).unwrap();
        let cwd = dir.path();
        assert_eq!(spawnable(OsStr::new("tool"), Some(&path), cwd), second.join("tool"));
        assert_eq!(spawnable(OsStr::new("absent-tool"), Some(&path), cwd), PathBuf::from("absent-tool"));
        assert_eq!(spawnable(OsStr::new("tool"), None, cwd), PathBuf::from("tool"));
        assert_eq!(spawnable(OsStr::new("./a/tool"), Some(&path), cwd), PathBuf::from("./a/tool"));
        assert_eq!(spawnable(OsStr::new("/bin/sh"), Some(&path), cwd), PathBuf::from("/bin/sh"));
    }
}

/// A command line as a user could paste it into a shell; `program` as the command line
/// gave it (the command itself holds the program's full path, see [`spawnable`]).
pub(super) fn show(program: &OsStr, command: &Command) -> String {
    std::iter::once(program)
        .chain(command.get_args())
        .map(|a| {
            let a = a.to_string_lossy();
            shlex::try_quote(&a).map(|q| q.into_owned()).unwrap_or_else(|_| a.into_owned())
        })
        .collect::<Vec<_>>()
        .join(" ")
}
