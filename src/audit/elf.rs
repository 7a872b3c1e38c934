//! What the audit needs from one ELF shared object: its architecture, the libraries it
//! names (`DT_NEEDED`), where it asks the loader to look (`DT_RPATH`, `DT_RUNPATH`), the
//! symbol versions it needs from each library, and its undefined symbols with their
//! versions (to name the one that limits a policy).

use std::path::{Path, PathBuf};

use object::elf;
use object::read::elf::{Dyn, FileHeader, Sym};
use object::{Endianness, FileKind};

/// The facts of one ELF file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ElfFile {
    pub path: PathBuf,
    /// The policy name of the architecture (`x86_64`, `aarch64`, `i686`, ...), `None` for
    /// one no policy knows.
    pub arch: Option<&'static str>,
    /// `e_machine`, ELF class and data encoding: a library only serves a module with the
    /// same three.
    pub machine: (u16, bool, bool),
    pub soname: Option<String>,
    pub needed: Vec<String>,
    pub rpath: Vec<String>,
    pub runpath: Vec<String>,
    /// `(library, version)` pairs from `.gnu.version_r`, e.g. `("libc.so.6", "GLIBC_2.14")`.
    pub version_needs: Vec<(String, String)>,
    /// Undefined dynamic symbols with the version they are bound to, if any.
    pub undefined: Vec<UndefinedSymbol>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UndefinedSymbol {
    pub name: String,
    /// `(library, version)` when the reference is versioned.
    pub version: Option<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ElfError {
    #[error("cannot read `{}`: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("`{}` is not an ELF shared object", path.display())]
    NotElf { path: PathBuf },
    #[error("`{}` is a malformed ELF file: {detail}", path.display())]
    Malformed { path: PathBuf, detail: String },
}

impl ElfFile {
    pub fn read(path: &Path) -> Result<ElfFile, ElfError> {
        let data =
            super::partial::read(path).map_err(|source| ElfError::Io { path: path.to_path_buf(), source })?;
        Self::parse(path, &data)
    }

    pub fn parse(path: &Path, data: &[u8]) -> Result<ElfFile, ElfError> {
        let malformed =
            |e: object::read::Error| ElfError::Malformed { path: path.to_path_buf(), detail: e.to_string() };
        match FileKind::parse(data) {
            Ok(FileKind::Elf32) => parse_as::<elf::FileHeader32<Endianness>>(path, data).map_err(malformed),
            Ok(FileKind::Elf64) => parse_as::<elf::FileHeader64<Endianness>>(path, data).map_err(malformed),
            _ => Err(ElfError::NotElf { path: path.to_path_buf() }),
        }
    }

    /// Whether the file is linked against glibc (`libc.so.6`) or musl.
    pub fn libc(&self) -> Option<Libc> {
        self.needed.iter().find_map(|n| Libc::of_soname(n))
    }
}

/// The C library a module was linked against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Libc {
    Glibc,
    Musl,
}

impl Libc {
    pub fn name(self) -> &'static str {
        match self {
            Libc::Glibc => "glibc",
            Libc::Musl => "musl",
        }
    }

    pub fn of_soname(soname: &str) -> Option<Libc> {
        if soname == "libc.so.6" {
            Some(Libc::Glibc)
        } else if soname == "libc.so" || (soname.starts_with("libc.musl-") && soname.ends_with(".so.1")) {
            Some(Libc::Musl)
        } else {
            None
        }
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn parse_as<Elf: FileHeader<Endian = Endianness>>(path: &Path, data: &[u8]) -> object::read::Result<ElfFile> {
    let header = Elf::parse(data)?;
    let endian = header.endian()?;
    let machine = header.e_machine(endian);
    let (is_64, little) = (header.is_class_64(), header.is_little_endian());
    let mut out = ElfFile {
        path: path.to_path_buf(),
        arch: arch_name(machine, is_64, little),
        machine: (machine, is_64, little),
        ..Default::default()
    };
    let sections = header.sections(endian, data)?;
    if let Some((dynamic, strings_index)) = sections.dynamic(endian, data)? {
        let strings = sections.strings(endian, data, strings_index)?;
        for entry in dynamic {
            let tag = entry.tag(endian);
            // An entry whose string cannot be read is left out, as `readelf` shows `<corrupt>`.
            let string = || -> Option<String> {
                let offset = u32::try_from(entry.val(endian)).ok()?;
                strings.get(offset).ok().map(text)
            };
            let split =
                |s: String| s.split(':').filter(|p| !p.is_empty()).map(String::from).collect::<Vec<_>>();
            match tag {
                elf::DT_NEEDED => out.needed.extend(string()),
                elf::DT_SONAME => out.soname = string(),
                elf::DT_RPATH => out.rpath.extend(string().map(split).unwrap_or_default()),
                elf::DT_RUNPATH => out.runpath.extend(string().map(split).unwrap_or_default()),
                _ => {}
            }
        }
    }
    if let Some((mut verneeds, link)) = sections.gnu_verneed(endian, data)? {
        let strings = sections.strings(endian, data, link)?;
        while let Some((verneed, mut auxes)) = verneeds.next()? {
            let file = text(verneed.file(endian, strings)?);
            while let Some(aux) = auxes.next()? {
                out.version_needs.push((file.clone(), text(aux.name(endian, strings)?)));
            }
        }
    }
    let symbols = sections.symbols(endian, data, elf::SHT_DYNSYM)?;
    let versions = sections.versions(endian, data)?;
    for (index, symbol) in symbols.enumerate() {
        if !symbol.is_undefined(endian) || symbol.st_name(endian) == 0 {
            continue;
        }
        let name = text(symbol.name(endian, symbols.strings())?);
        let version = match &versions {
            Some(versions) => versions
                .version(versions.version_index(endian, index))?
                .and_then(|v| Some((text(v.file()?), text(v.name())))),
            None => None,
        };
        out.undefined.push(UndefinedSymbol { name, version });
    }
    Ok(out)
}

/// The architecture names of auditwheel's policies.
fn arch_name(machine: u16, is_64: bool, little: bool) -> Option<&'static str> {
    Some(match (machine, is_64, little) {
        (elf::EM_X86_64, true, _) => "x86_64",
        (elf::EM_386, false, _) => "i686",
        (elf::EM_AARCH64, true, true) => "aarch64",
        (elf::EM_ARM, false, true) => "armv7l",
        (elf::EM_PPC64, true, true) => "ppc64le",
        (elf::EM_PPC64, true, false) => "ppc64",
        (elf::EM_S390, true, _) => "s390x",
        (elf::EM_RISCV, true, _) => "riscv64",
        (elf::EM_LOONGARCH, true, _) => "loongarch64",
        _ => return None,
    })
}
