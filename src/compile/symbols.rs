//! Names the C does not provide, found at the two points where a compiler and linker can
//! tell: a function, global or constant the generated module uses but the C source never
//! declares (a compile error, with implicit declarations made errors), and a symbol the
//! linked module needs that no library it loads defines (what would otherwise surface only
//! at import, as `undefined symbol`). Mapping the names back to the cdef is the caller's.

use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};

use object::elf;
use object::read::elf::{FileHeader, Sym};
use object::{Endianness, FileKind};
use rustc_hash::FxHashSet;

use crate::audit::elf::ElfFile;
use crate::audit::resolve::Loader;

/// The flag that makes a call to an undeclared function an error in C (C89 allowed it and
/// gcc before 14 only warns; the module would then fail at import).
pub fn implicit_declaration_is_error(msvc: bool) -> &'static str {
    // C4013: "'f' undefined; assuming extern returning int".
    if msvc {
        "/we4013"
    } else {
        "-Werror=implicit-function-declaration"
    }
}

/// The identifiers the compiler reports as undeclared in `file_name` (the generated
/// source), in order, once each: gcc, clang and MSVC spellings, C and C++.
pub fn undeclared_names(output: &str, file_name: &str) -> Vec<String> {
    const MARKERS: [&str; 8] = [
        "implicit declaration of function", // gcc
        "undeclared",                       // gcc `'x' undeclared`, clang, MSVC C2065
        "was not declared in this scope",   // g++
        "undefined; assuming extern",       // MSVC C4013
        "implicitly declaring library function",
        "incomplete type",   // a struct, union or enum the C never defines: `'struct s'`
        "unknown type name", // a typedef the C never declares
        "undefined struct",  // MSVC C2079 / C2027
    ];
    let mut names: Vec<String> = Vec::new();
    for line in output.lines() {
        if !line.contains(file_name) || !(line.contains("error") || line.contains("warning")) {
            continue;
        }
        // The message after `file:line:col:` (MSVC: `file(line): error ...`).
        let message = line.rsplit_once(file_name).map_or(line, |(_, rest)| rest);
        if !MARKERS.iter().any(|m| message.contains(m)) {
            continue;
        }
        // `invalid application of 'sizeof' to incomplete type 'struct s'`: the type is
        // the name after the marker; elsewhere the first quoted one.
        let message = message.split_once("incomplete type").map_or(message, |(_, after)| after);
        if let Some(name) = first_quoted(message) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    names
}

/// The first identifier in quotes: `‘x’` (gcc in a UTF-8 locale), `'x'`, `"x"`; a tagged
/// type as `struct s` / `union u` / `enum e`.
fn first_quoted(text: &str) -> Option<String> {
    let start = text.find(['‘', '\'', '"'])?;
    let open = text[start..].chars().next()?;
    let rest = &text[start + open.len_utf8()..];
    let end = rest.find(['’', '\'', '"'])?;
    let name = &rest[..end];
    let identifier = |n: &str| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    let tagged = name
        .split_once(' ')
        .is_some_and(|(tag, n)| ["struct", "union", "enum"].contains(&tag) && identifier(n));
    (identifier(name) || tagged).then(|| name.to_string())
}

/// The undefined (non-weak) dynamic symbols of the ELF module at `module` that nothing the
/// loader would have at import defines: not the libraries it names (`DT_NEEDED`, searched
/// as the loader does, then in `library_dirs`, and theirs in turn), not the interpreter
/// `python` and the libraries it loads (libc, libm, libpython), not Python's C API
/// (`Py*`, `_Py*`, resolved at import). `None` when that cannot be told: not ELF, a library
/// that cannot be found, an interpreter of another architecture (a cross build).
pub fn unresolved(module: &Path, python: &Path, library_dirs: &[PathBuf]) -> Option<Vec<String>> {
    let (elf, symbols) = read(module, None)?;
    // Only the module's own undefined names are looked up in what it loads: a C library
    // or an interpreter defines thousands, which are never collected.
    let api = |name: &str| name.starts_with("Py") || name.starts_with("_Py");
    let wanted: FxHashSet<&[u8]> =
        symbols.undefined.iter().filter(|name| !api(name)).map(|name| name.as_bytes()).collect();
    let (interpreter, python_symbols) = read(python, Some(&wanted))?;
    if interpreter.machine != elf.machine {
        return None;
    }
    let loader = Loader::system();
    let mut defined: HashSet<String> = python_symbols.defined;
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut queue: VecDeque<(String, ElfFile)> = VecDeque::new();
    for from in [&elf, &interpreter] {
        for name in &from.needed {
            queue.push_back((name.clone(), from.clone()));
        }
    }
    while let Some((name, from)) = queue.pop_front() {
        let found = loader.find(&name, &from).or_else(|| {
            library_dirs.iter().find_map(|dir| {
                ElfFile::read(&dir.join(&name)).ok().filter(|lib| lib.machine == from.machine)
            })
        })?;
        let path = std::fs::canonicalize(&found.path).unwrap_or_else(|_| found.path.clone());
        if !seen.insert(path) {
            continue;
        }
        // libpython (tens of megabytes) exports Python's API, taken as provided without
        // reading its symbols; what it needs (libm, ...) counts.
        if !name.starts_with("libpython") {
            defined.extend(read_symbols(&found.path, &wanted)?.defined);
        }
        for needed in &found.needed {
            queue.push_back((needed.clone(), found.clone()));
        }
    }
    let missing =
        symbols.undefined.into_iter().filter(|name| !defined.contains(name) && !api(name)).collect();
    Some(missing)
}

/// The dynamic symbols of an ELF file: the strong undefined ones, or the defined ones
/// among those looked for (see [`symbols_of`]).
#[derive(Default)]
struct Symbols {
    undefined: Vec<String>,
    defined: HashSet<String>,
}

/// The facts and the symbols of an ELF file, from one read.
fn read(path: &Path, wanted: Option<&FxHashSet<&[u8]>>) -> Option<(ElfFile, Symbols)> {
    let data = crate::audit::partial::read(path).ok()?;
    Some((ElfFile::parse(path, &data).ok()?, symbols_of(&data, wanted)?))
}

fn read_symbols(path: &Path, wanted: &FxHashSet<&[u8]>) -> Option<Symbols> {
    symbols_of(&crate::audit::partial::read(path).ok()?, Some(wanted))
}

/// `wanted`: `None`, the undefined symbols (of the module); `Some`, the defined symbols
/// among these names (of what it loads), and no undefined ones.
fn symbols_of(data: &[u8], wanted: Option<&FxHashSet<&[u8]>>) -> Option<Symbols> {
    match FileKind::parse(data).ok()? {
        FileKind::Elf32 => symbols_as::<elf::FileHeader32<Endianness>>(data, wanted).ok(),
        FileKind::Elf64 => symbols_as::<elf::FileHeader64<Endianness>>(data, wanted).ok(),
        _ => None,
    }
}

fn symbols_as<Elf: FileHeader<Endian = Endianness>>(
    data: &[u8],
    wanted: Option<&FxHashSet<&[u8]>>,
) -> object::read::Result<Symbols> {
    let header = Elf::parse(data)?;
    let endian = header.endian()?;
    let sections = header.sections(endian, data)?;
    let table = sections.symbols(endian, data, elf::SHT_DYNSYM)?;
    let mut out = Symbols::default();
    for symbol in table.iter() {
        if symbol.st_name(endian) == 0 {
            continue;
        }
        // Borrowed unless the name is not UTF-8: no allocation for the thousands skipped.
        let name = String::from_utf8_lossy(symbol.name(endian, table.strings())?);
        match wanted {
            None if symbol.is_undefined(endian) && symbol.st_bind() != elf::STB_WEAK => {
                out.undefined.push(name.into_owned());
            }
            Some(wanted) if !symbol.is_undefined(endian) && wanted.contains(name.as_bytes()) => {
                out.defined.insert(name.into_owned());
            }
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn undeclared_names_from_gcc_clang_and_msvc() {
        let gcc = "gen/abc/_mod.c: In function ‘_cffi_d_missing’:\n\
                   gen/abc/_mod.c:390:10: error: implicit declaration of function ‘missing’; did you mean ‘isinf’? [-Werror=implicit-function-declaration]\n\
                   gen/abc/_mod.c:400:10: error: ‘gone_var’ undeclared (first use in this function)\n\
                   gen/abc/_mod.c:406:14: error: implicit declaration of function ‘missing’\n\
                   helper.c:1:1: error: ‘other’ undeclared\n";
        assert_eq!(undeclared_names(gcc, "_mod.c"), ["missing", "gone_var"]);
        let clang = "x/_mod.c:390:10: error: call to undeclared function 'missing'; ISO C99 and later do not support implicit function declarations [-Wimplicit-function-declaration]\n\
                     x/_mod.c:9:3: error: use of undeclared identifier 'K'\n";
        assert_eq!(undeclared_names(clang, "_mod.c"), ["missing", "K"]);
        let msvc = "gen\\_mod.c(390): error C4013: 'missing' undefined; assuming extern returning int\n\
                    gen\\_mod.c(400): error C2065: 'gone_var': undeclared identifier\n";
        assert_eq!(undeclared_names(msvc, "_mod.c"), ["missing", "gone_var"]);
        let gxx = "_mod.cpp:5:3: error: ‘missing’ was not declared in this scope\n\
                   _mod.cpp:9:3: error: invalid application of 'sizeof' to incomplete type 'struct s'\n";
        assert_eq!(undeclared_names(gxx, "_mod.cpp"), ["missing", "struct s"]);
    }
}
