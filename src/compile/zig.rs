//! zig as the C compiler of last resort. Without `CC`/`CXX` the `cc` crate picks the
//! target's usual compiler (MSVC on Windows, `aarch64-linux-gnu-gcc` for an aarch64 Linux
//! cross build, `aarch64-w64-mingw32-clang` for arm64 Windows...). When that compiler is
//! not there and the building interpreter can import the `ziglang` package (`pip install
//! ziglang`: what a Windows user without Visual Studio, or a cross build, can always
//! get), `zig cc -target <zig triple>` compiles and links instead, and `zig dlltool` makes
//! the Python DLL's import library when no other dlltool is there.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::Env;
use crate::interpreter::Interpreter;

/// The `zig` executable of an importable `ziglang` package, with the target it compiles for.
#[derive(Clone, Debug)]
pub struct Zig {
    pub program: PathBuf,
    /// `x86_64-windows-gnu`, `aarch64-linux-gnu`, `aarch64-macos`.
    pub target: String,
}

impl Zig {
    /// The compiler as a `CC`/`CXX` value: `<zig> cc -target <triple>`.
    pub fn compiler(&self, cxx: bool) -> OsString {
        let mut value = self.program.clone().into_os_string();
        value.push(if cxx { " c++ -target " } else { " cc -target " });
        value.push(&self.target);
        value
    }

    /// The archiver as an `AR` value: `<zig> ar`.
    pub fn archiver(&self) -> OsString {
        let mut value = self.program.clone().into_os_string();
        value.push(" ar");
        value
    }

    /// `zig dlltool`, LLVM's dlltool, which reads a `.def` file and writes an import library.
    pub fn dlltool(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.arg("dlltool");
        command
    }
}

/// zig's name for the Rust-style `triple` (`aarch64-pc-windows-gnullvm` → `aarch64-windows-gnu`),
/// or `None` for a platform zig is not used for here.
pub fn zig_target(triple: &str) -> Option<String> {
    let parts: Vec<&str> = triple.split('-').collect();
    let arch = match *parts.first()? {
        "i686" | "i586" | "x86" => "x86",
        "armv7" => "arm",
        "riscv64gc" => "riscv64",
        "powerpc64le" => "powerpc64le",
        arch => arch,
    };
    if parts.contains(&"windows") {
        Some(format!("{arch}-windows-gnu"))
    } else if parts.contains(&"linux") {
        let abi = parts.last().copied().unwrap_or("gnu");
        let abi = if abi.starts_with("musl") {
            abi.to_string()
        } else if abi.ends_with("eabihf") {
            "gnueabihf".to_string()
        } else {
            "gnu".to_string()
        };
        Some(format!("{arch}-linux-{abi}"))
    } else if parts.contains(&"darwin") {
        Some(format!("{arch}-macos"))
    } else {
        None
    }
}

/// The `zig` of the `ziglang` package that `interp` imports, for `triple`. `Err` says why
/// not, for the list of what was tried.
pub fn find(interp: &Interpreter, triple: &str, env: &Env) -> Result<Zig, String> {
    let target = zig_target(triple).ok_or_else(|| format!("zig: no zig target for `{triple}`"))?;
    let code = "import os, ziglang; print(os.path.join(os.path.dirname(ziglang.__file__), \
                'zig.exe' if os.name == 'nt' else 'zig'))";
    let python = interp.executable.display().to_string();
    let output = Command::new(&interp.executable)
        .args(["-c", code])
        .env_clear()
        .envs(env)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("zig: cannot run `{python}`: {e}"))?;
    if !output.status.success() {
        return Err(format!("zig: `{python}` cannot import `ziglang` (pip install ziglang)"));
    }
    let program = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    if !program.is_file() {
        return Err(format!("zig: the `ziglang` package of `{python}` has no `{}`", program.display()));
    }
    Ok(Zig { program, target })
}

/// Whether `program` (a compiler named by `cc`) can be run: an existing file, or found on `PATH`.
pub fn exists(program: &Path, env: &Env) -> bool {
    if program.components().count() > 1 {
        return program.is_file();
    }
    // Windows spells it `Path`, and its variable names ignore case.
    let path = env
        .iter()
        .find(|(key, _)| key.to_str().is_some_and(|k| k.eq_ignore_ascii_case("PATH")))
        .map(|(_, value)| value.clone())
        .unwrap_or_default();
    let cwd = std::env::current_dir().unwrap_or_default();
    which::which_in(program, Some(path), cwd).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_triples_map_to_zig_targets() {
        assert_eq!(zig_target("aarch64-pc-windows-gnullvm").as_deref(), Some("aarch64-windows-gnu"));
        assert_eq!(zig_target("x86_64-pc-windows-msvc").as_deref(), Some("x86_64-windows-gnu"));
        assert_eq!(zig_target("i686-pc-windows-gnu").as_deref(), Some("x86-windows-gnu"));
        assert_eq!(zig_target("aarch64-unknown-linux-gnu").as_deref(), Some("aarch64-linux-gnu"));
        assert_eq!(zig_target("x86_64-unknown-linux-musl").as_deref(), Some("x86_64-linux-musl"));
        assert_eq!(zig_target("armv7-unknown-linux-gnueabihf").as_deref(), Some("arm-linux-gnueabihf"));
        assert_eq!(zig_target("aarch64-apple-darwin").as_deref(), Some("aarch64-macos"));
        assert_eq!(zig_target("wasm32-unknown-emscripten"), None);
    }
}
