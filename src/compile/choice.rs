//! Which compiler, when `CC`/`CXX` are not set: the target's usual one as the `cc` crate
//! names it (MSVC on Windows, the prefixed cross compiler for a cross build); on Windows
//! without MSVC, MinGW-w64 on PATH (as MSYS2 and llvm-mingw install it); else zig from
//! the building interpreter's `ziglang` package (see `zig`); else an error listing what
//! was tried. The one found becomes the build's `CC`/`CXX` (and `AR`).

use std::ffi::OsStr;
use std::path::Path;

use crate::interpreter::Interpreter;
use crate::spec::Language;
use crate::ui;

use super::compiler::Compiler;
use super::target::{host_triple, make_tool, triple_arch_os};
use super::{zig, CompileError, Env};

/// The compiler for `target`, recorded in `env` when it is not the usual one. Gives zig
/// when zig stands in, and the usual C compiler when it was found (so it is not looked
/// for twice).
pub(super) fn choose(
    interp: &Interpreter,
    env: &mut Env,
    target: &str,
    build_dir: &Path,
) -> Result<(Option<zig::Zig>, Option<Compiler>), CompileError> {
    let set = |env: &Env, key: &str| env.get(OsStr::new(key)).is_some_and(|v| !v.is_empty());
    if set(env, "CC") || set(env, "CXX") {
        return Ok((None, None));
    }
    let usual = make_tool(interp, env, target, build_dir, Language::C, false);
    let cross = triple_arch_os(target) != triple_arch_os(&host_triple());
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
    // Windows without MSVC (or a cffi-forge built for MinGW-w64, whose usual compiler is a
    // plain `gcc.exe`): MinGW-w64's prefixed drivers on PATH.
    if triple_arch_os(target).1 == "windows" {
        let prefix = format!("{}-w64-mingw32", triple_arch_os(target).0);
        for (cc, cxx) in [("gcc", "g++"), ("clang", "clang++")] {
            let program = format!("{prefix}-{cc}");
            if !zig::exists(Path::new(&program), env) {
                tried.push(format!("MinGW-w64 `{program}` on PATH: not found"));
                continue;
            }
            ui::verbose("Compiler", format!("{program} (found on PATH), for {target}"));
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
