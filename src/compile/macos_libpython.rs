//! The libpython a macOS embedding library links when it is cross-built (no macOS
//! libpython on this machine). An embedding library is linked with `-lpython3.X`, as cffi
//! does: on a Mac the linker then records libpython's install name and binds every Python
//! symbol to it (two-level namespace). Off a Mac, the same comes from a text stub in
//! Apple's TAPI format (`libpython3.X.tbd`, like the SDK's `libSystem.tbd`), generated
//! here: the install name to record, and the Python C API symbols, read from the building
//! interpreter's own libpython of the same version (its ELF dynamic symbols: the C API
//! is the same on every platform).
//!
//! The install name is python.org's framework path
//! (`/Library/Frameworks/Python.framework/Versions/3.X/Python`), which needs no run path;
//! `CFFI_FORGE_TARGET_LIBPYTHON` names another (Homebrew's framework,
//! `@rpath/libpython3.X.dylib` for uv's standalone builds). This is the macOS counterpart
//! of `windows::import_library`, which makes the import library of `python3X.dll`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use object::elf;
use object::read::elf::{FileHeader, Sym};
use object::{Endianness, FileKind};

use super::Env;
use crate::interpreter::Interpreter;

/// The environment variable naming the install name a cross-built macOS embedding
/// library records for libpython.
pub const INSTALL_NAME_VAR: &str = "CFFI_FORGE_TARGET_LIBPYTHON";

#[derive(Debug, thiserror::Error)]
pub enum MacLibPythonError {
    #[error(
        "{INSTALL_NAME_VAR} is `{value}`, which is no install name (an absolute path, or one starting \
         with @rpath/, @loader_path/ or @executable_path/)"
    )]
    BadInstallName { value: String },
    #[error(
        "{}: no libpython to read the Python C API from, for the macOS libpython stub ({})",
        python.display(),
        tried.join("; ")
    )]
    NoExporter { python: PathBuf, tried: Vec<String> },
    #[error("cannot read `{}`: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("`{}` is a malformed ELF file: {detail}", path.display())]
    Malformed { path: PathBuf, detail: String },
    #[error("cannot write the libpython stub `{}`: {source}", path.display())]
    Write { path: PathBuf, source: std::io::Error },
}

/// The install name to record: `CFFI_FORGE_TARGET_LIBPYTHON`, else python.org's
/// framework (`PythonT.framework` for a free-threaded build).
pub fn install_name(target: &Interpreter, env: &Env) -> Result<String, MacLibPythonError> {
    let set = env.get(std::ffi::OsStr::new(INSTALL_NAME_VAR)).map(|v| v.to_string_lossy().trim().to_string());
    if let Some(value) = set.filter(|v| !v.is_empty()) {
        let valid = ["/", "@rpath/", "@loader_path/", "@executable_path/"]
            .iter()
            .any(|prefix| value.len() > prefix.len() && value.starts_with(prefix));
        if !valid || value.ends_with('/') {
            return Err(MacLibPythonError::BadInstallName { value });
        }
        return Ok(value);
    }
    let (major, minor) = target.version;
    let framework = if target.free_threaded { "PythonT" } else { "Python" };
    Ok(format!("/Library/Frameworks/{framework}.framework/Versions/{major}.{minor}/{framework}"))
}

/// The file of the building interpreter `host` that exports the C API: its shared
/// libpython, else (a statically linked CPython, as Debian's) the executable itself,
/// which exports the API for extension modules.
pub fn exporter(host: &Interpreter) -> Result<PathBuf, MacLibPythonError> {
    let mut tried = Vec::new();
    match (&host.libdir, &host.ldlibrary) {
        (Some(dir), Some(name)) if !name.ends_with(".a") => {
            let path = dir.join(name);
            if path.is_file() {
                return Ok(path);
            }
            tried.push(format!("its libpython `{}` is missing", path.display()));
        }
        (_, Some(name)) => tried.push(format!("its libpython is static ({name})")),
        _ => tried.push("it names no libpython (LIBDIR, LDLIBRARY)".into()),
    }
    let executable = &host.executable;
    match python_symbols(executable) {
        Ok(symbols) if symbols.functions.contains("Py_Initialize") => return Ok(executable.clone()),
        Ok(_) => tried.push(format!("its executable `{}` exports no Py_Initialize", executable.display())),
        Err(e) => tried.push(e.to_string()),
    }
    Err(MacLibPythonError::NoExporter { python: host.executable.clone(), tried })
}

/// The Python C API an ELF file exports: the defined dynamic symbols named `Py…`/`_Py…`.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct PythonSymbols {
    /// Functions and data.
    pub functions: BTreeSet<String>,
    /// Thread-local variables (`_Py_tss_tstate` in 3.12+), which Mach-O lists apart.
    pub thread_local: BTreeSet<String>,
}

pub fn python_symbols(path: &Path) -> Result<PythonSymbols, MacLibPythonError> {
    let data = crate::audit::partial::read(path)
        .map_err(|source| MacLibPythonError::Read { path: path.to_path_buf(), source })?;
    let malformed = |detail: String| MacLibPythonError::Malformed { path: path.to_path_buf(), detail };
    let parsed = match FileKind::parse(&data[..]) {
        Ok(FileKind::Elf32) => symbols_as::<elf::FileHeader32<Endianness>>(&data),
        Ok(FileKind::Elf64) => symbols_as::<elf::FileHeader64<Endianness>>(&data),
        _ => return Err(malformed("not an ELF file".into())),
    };
    parsed.map_err(|e| malformed(e.to_string()))
}

fn symbols_as<Elf: FileHeader<Endian = Endianness>>(data: &[u8]) -> object::read::Result<PythonSymbols> {
    let header = Elf::parse(data)?;
    let endian = header.endian()?;
    let sections = header.sections(endian, data)?;
    let table = sections.symbols(endian, data, elf::SHT_DYNSYM)?;
    let mut out = PythonSymbols::default();
    for symbol in table.iter() {
        let bind = symbol.st_bind();
        if symbol.is_undefined(endian) || !(bind == elf::STB_GLOBAL || bind == elf::STB_WEAK) {
            continue;
        }
        let name = String::from_utf8_lossy(symbol.name(endian, table.strings())?).into_owned();
        if !(name.starts_with("Py") || name.starts_with("_Py")) {
            continue;
        }
        if symbol.st_type() == elf::STT_TLS {
            out.thread_local.insert(name);
        } else {
            out.functions.insert(name);
        }
    }
    Ok(out)
}

/// The text of `libpython3.X.tbd` for `target` (its architectures: both for
/// universal2): the install name, libpython's own version as compatibility and
/// current version (as CPython's build gives its dylib), and the symbols, with Mach-O's
/// leading underscore.
pub fn tbd(target: &Interpreter, install_name: &str, symbols: &PythonSymbols) -> String {
    let (major, minor) = target.version;
    let targets = super::darwin::slices(target)
        .iter()
        .map(|arch| format!("{arch}-macos"))
        .collect::<Vec<_>>()
        .join(", ");
    let list = |names: &BTreeSet<String>| {
        names.iter().map(|n| format!("'_{n}'")).collect::<Vec<_>>().join(",\n                       ")
    };
    let mut text = format!(
        "--- !tapi-tbd\n\
         tbd-version:     4\n\
         targets:         [ {targets} ]\n\
         install-name:    '{install_name}'\n\
         current-version: {major}.{minor}\n\
         compatibility-version: {major}.{minor}\n\
         exports:\n\
         \x20 - targets:         [ {targets} ]\n"
    );
    if !symbols.functions.is_empty() {
        text.push_str(&format!("    symbols:         [ {} ]\n", list(&symbols.functions)));
    }
    if !symbols.thread_local.is_empty() {
        text.push_str(&format!("    thread-local-symbols: [ {} ]\n", list(&symbols.thread_local)));
    }
    text.push_str("...\n");
    text
}

/// Write the stub for `target` into the build directory, named by its content (so a
/// build with another install name or interpreter links its own, and the link cache,
/// which hashes the file, follows); returns its path.
pub fn write_stub(
    build_dir: &Path,
    target: &Interpreter,
    host: &Interpreter,
    env: &Env,
) -> Result<PathBuf, MacLibPythonError> {
    let install_name = install_name(target, env)?;
    let exporter = exporter(host)?;
    let symbols = python_symbols(&exporter)?;
    let text = tbd(target, &install_name, &symbols);
    let (major, minor) = target.version;
    let file_name = format!("libpython{major}.{minor}{}.tbd", target.abiflags);
    let path = super::generated_path(build_dir, &file_name, text.as_bytes());
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir)
            .map_err(|source| MacLibPythonError::Write { path: path.clone(), source })?;
    }
    crate::atomic_write::write_atomically(&path, text.as_bytes())
        .map_err(|source| MacLibPythonError::Write { path: path.clone(), source })?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mac(minor: u32, platform: &str) -> Interpreter {
        let mut interp = crate::interpreter::tests::cpython(3, minor);
        interp.platform = platform.into();
        interp
    }

    #[test]
    fn install_name_defaults_to_python_org_and_follows_the_variable() {
        let mut env = Env::new();
        let arm = mac(12, "macosx-11.0-arm64");
        assert_eq!(
            install_name(&arm, &env).unwrap(),
            "/Library/Frameworks/Python.framework/Versions/3.12/Python"
        );
        let mut ft = mac(13, "macosx-11.0-arm64");
        ft.free_threaded = true;
        assert_eq!(
            install_name(&ft, &env).unwrap(),
            "/Library/Frameworks/PythonT.framework/Versions/3.13/PythonT"
        );
        env.insert(INSTALL_NAME_VAR.into(), "@rpath/libpython3.12.dylib".into());
        assert_eq!(install_name(&arm, &env).unwrap(), "@rpath/libpython3.12.dylib");
        for bad in ["libpython3.12.dylib", "@rpath/", "@weird/x", "/opt/lib/"] {
            env.insert(INSTALL_NAME_VAR.into(), bad.into());
            let err = install_name(&arm, &env).unwrap_err();
            assert!(err.to_string().contains(&format!("is `{bad}`, which is no install name")), "{err}");
        }
    }

    #[test]
    fn tbd_lists_each_slice_and_the_symbols_with_underscores() {
        let symbols = PythonSymbols {
            functions: ["PyLong_FromLong", "_Py_NoneStruct"].map(String::from).into(),
            thread_local: ["_Py_tss_tstate"].map(String::from).into(),
        };
        let text = tbd(&mac(12, "macosx-10.12-universal2"), "/L/Python", &symbols);
        assert!(text.starts_with("--- !tapi-tbd\ntbd-version:     4\n"), "{text}");
        assert!(text.contains("targets:         [ arm64-macos, x86_64-macos ]\n"), "{text}");
        assert!(text.contains("install-name:    '/L/Python'\n"), "{text}");
        assert!(text.contains("compatibility-version: 3.12\n"), "{text}");
        assert!(text.contains("symbols:         [ '_PyLong_FromLong',\n"), "{text}");
        assert!(text.contains("'__Py_NoneStruct' ]\n"), "{text}");
        assert!(text.contains("thread-local-symbols: [ '__Py_tss_tstate' ]\n"), "{text}");
        assert!(text.ends_with("...\n"));
        let arm = tbd(&mac(12, "macosx-11.0-arm64"), "/L/Python", &symbols);
        assert!(arm.contains("targets:         [ arm64-macos ]\n"), "{arm}");
    }

    #[test]
    fn no_libpython_and_no_exporting_executable_is_an_error_naming_both() {
        let dir = tempfile::tempdir().unwrap();
        let mut host = crate::interpreter::tests::cpython(3, 12);
        host.libdir = Some(dir.path().into());
        host.ldlibrary = Some("libpython3.12.so".into());
        host.executable = dir.path().join("python3.12");
        std::fs::write(&host.executable, "#!/bin/sh\n").unwrap();
        let err = exporter(&host).unwrap_err().to_string();
        assert!(err.contains("libpython3.12.so` is missing"), "{err}");
        assert!(err.contains("python3.12` is a malformed ELF file: not an ELF file"), "{err}");
    }
}
