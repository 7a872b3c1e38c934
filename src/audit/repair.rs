//! Repair: the libraries a policy does not allow are shipped inside the wheel, as
//! `auditwheel repair` does. Each is copied into `<dist>.libs/` under a name made unique by
//! a hash of its content (`libsodium.so.23` → `libsodium-1a2b3c4d.so.23`), its `SONAME`
//! set to that name; every module and bundled library naming it has its `DT_NEEDED` (and
//! the library name of its symbol-version needs) rewritten and a `RUNPATH` pointing at
//! `<dist>.libs/` relative to `$ORIGIN`. The ELF rewriting is `object-rewrite`'s (it moves
//! what grows into a new segment, as patchelf does); nothing external runs.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use object::read::elf::{FileHeader, SectionHeader};
use object::{elf, Endian, Endianness, FileKind};
use sha2::{Digest, Sha256};

use super::Module;

/// A library to ship in the wheel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    /// The name modules need it by.
    pub soname: String,
    pub path: PathBuf,
}

/// The rewritten modules and the libraries to add, as `(path in the wheel, content)`.
#[derive(Debug, Default)]
pub struct Repaired {
    pub modules: Vec<(String, Vec<u8>)>,
    pub libraries: Vec<(String, Vec<u8>)>,
    /// `(soname, new file name)`, for the build output.
    pub renamed: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
pub enum RepairError {
    #[error("cannot read `{}`: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("cannot rewrite `{what}`: {detail}")]
    Rewrite { what: String, detail: String },
}

/// The name a bundled library gets: its SONAME with a hash of its content after the stem.
pub fn hashed_name(soname: &str, content: &[u8]) -> String {
    let digest = Sha256::digest(content);
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    match soname.find(".so") {
        Some(at) => format!("{}-{hash}{}", &soname[..at], &soname[at..]),
        None => format!("{soname}-{hash}"),
    }
}

/// Ship `bundles` in `<libs_dir>/` (a top-level folder of the wheel) and point `modules`
/// at them.
pub fn repair(modules: &[Module], bundles: &[Bundle], libs_dir: &str) -> Result<Repaired, RepairError> {
    let read =
        |path: &PathBuf| std::fs::read(path).map_err(|source| RepairError::Io { path: path.clone(), source });
    let mut contents = Vec::new();
    let mut renames: HashMap<Vec<u8>, Vec<u8>> = HashMap::new();
    let mut out = Repaired::default();
    for bundle in bundles {
        let data = read(&bundle.path)?;
        let new_name = hashed_name(&bundle.soname, &data);
        renames.insert(bundle.soname.clone().into_bytes(), new_name.clone().into_bytes());
        out.renamed.push((bundle.soname.clone(), new_name.clone()));
        contents.push((new_name, data));
    }
    for module in modules {
        let data = read(&module.file)?;
        let depth = module.archive_path.matches('/').count();
        let runpath = format!("$ORIGIN/{}{libs_dir}", "../".repeat(depth));
        if let Some(data) = rewrite(&module.archive_path, &data, &renames, Some(runpath), None)? {
            out.modules.push((module.archive_path.clone(), data));
        }
    }
    for (new_name, data) in contents {
        let what = format!("{libs_dir}/{new_name}");
        let rewritten = rewrite(&what, &data, &renames, Some("$ORIGIN".into()), Some(new_name.clone()))?
            .expect("a SONAME is always set");
        out.libraries.push((what, rewritten));
    }
    Ok(out)
}

/// `data` with the libraries in `renames` renamed where it needs them, its RUNPATH set
/// when it needs any, and its SONAME set when given. `None` when nothing changes.
fn rewrite(
    what: &str,
    data: &[u8],
    renames: &HashMap<Vec<u8>, Vec<u8>>,
    runpath: Option<String>,
    soname: Option<String>,
) -> Result<Option<Vec<u8>>, RepairError> {
    let failed = |detail: String| RepairError::Rewrite { what: what.to_string(), detail };
    let mut rewriter = object_rewrite::Rewriter::read(data).map_err(|e| failed(e.to_string()))?;
    let needed: Vec<Vec<u8>> = rewriter.elf_needed().map(|n| n.to_vec()).collect();
    let used: HashMap<Vec<u8>, Vec<u8>> =
        renames.iter().filter(|(old, _)| needed.contains(old)).map(|(o, n)| (o.clone(), n.clone())).collect();
    if used.is_empty() && soname.is_none() {
        return Ok(None);
    }
    let mut options = object_rewrite::Options::default();
    if !used.is_empty() {
        options.elf.set_runpath = runpath.map(String::into_bytes);
        options.elf.replace_needed = used.clone();
    }
    options.elf.set_soname = soname.map(String::into_bytes);
    rewriter.modify(options).map_err(|e| failed(e.to_string()))?;
    let mut out = Vec::new();
    rewriter.write(&mut out).map_err(|e| failed(e.to_string()))?;
    retarget_version_needs(&mut out, &used).map_err(|e| failed(e.to_string()))?;
    Ok(Some(out))
}

/// The symbol-version needs (`.gnu.version_r`) name the library they come from; the
/// loader looks that name up among the loaded libraries, so a renamed `DT_NEEDED` must be
/// renamed there too. The new name is already in `.dynstr` (the `DT_NEEDED` entry uses
/// it): each entry's `vn_file` offset is pointed at it, in place.
fn retarget_version_needs(data: &mut [u8], renames: &HashMap<Vec<u8>, Vec<u8>>) -> object::read::Result<()> {
    if renames.is_empty() {
        return Ok(());
    }
    let patches = match FileKind::parse(&*data)? {
        FileKind::Elf64 => version_need_patches::<elf::FileHeader64<Endianness>>(data, renames)?,
        FileKind::Elf32 => version_need_patches::<elf::FileHeader32<Endianness>>(data, renames)?,
        _ => return Ok(()),
    };
    for (offset, bytes) in patches {
        data[offset..offset + 4].copy_from_slice(&bytes);
    }
    Ok(())
}

/// `(file offset of a vn_file field, its new value)` for every version need of a renamed
/// library.
fn version_need_patches<Elf: FileHeader<Endian = Endianness>>(
    data: &[u8],
    renames: &HashMap<Vec<u8>, Vec<u8>>,
) -> object::read::Result<Vec<(usize, [u8; 4])>> {
    let header = Elf::parse(data)?;
    let endian = header.endian()?;
    let sections = header.sections(endian, data)?;
    let Some(verneed) = sections.iter().find(|s| s.sh_type(endian) == elf::SHT_GNU_VERNEED) else {
        return Ok(Vec::new());
    };
    let strtab = sections.section(verneed.link(endian))?;
    let strings = strtab.data(endian, data)?;
    // Offsets of every string of `.dynstr`, by content.
    let mut offsets: BTreeMap<&[u8], u32> = BTreeMap::new();
    let mut start = 0;
    for (i, byte) in strings.iter().enumerate() {
        if *byte == 0 {
            offsets.entry(&strings[start..i]).or_insert(start as u32);
            start = i + 1;
        }
    }
    let base = verneed.sh_offset(endian).into() as usize;
    let size = verneed.sh_size(endian).into() as usize;
    let read_u32 = |at: usize| -> u32 {
        let bytes = [data[at], data[at + 1], data[at + 2], data[at + 3]];
        if endian.is_little_endian() {
            u32::from_le_bytes(bytes)
        } else {
            u32::from_be_bytes(bytes)
        }
    };
    let mut patches = Vec::new();
    let mut at = base;
    // Elf_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32.
    while at + 16 <= base + size && at + 16 <= data.len() {
        let file = read_u32(at + 4) as usize;
        let name = strings.get(file..).and_then(|s| s.split(|b| *b == 0).next()).unwrap_or_default();
        if let Some(new) = renames.get(name).and_then(|new| offsets.get(new.as_slice())) {
            let bytes = if endian.is_little_endian() { new.to_le_bytes() } else { new.to_be_bytes() };
            patches.push((at + 4, bytes));
        }
        let next = read_u32(at + 12) as usize;
        if next == 0 {
            break;
        }
        at += next;
    }
    Ok(patches)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashed_names_keep_the_stem_and_the_version() {
        let name = hashed_name("libsodium.so.23", b"content");
        assert!(name.starts_with("libsodium-") && name.ends_with(".so.23"), "{name}");
        assert_eq!(name.len(), "libsodium-.so.23".len() + 8);
        assert_ne!(name, hashed_name("libsodium.so.23", b"other content"));
        assert!(hashed_name("weird", b"x").starts_with("weird-"));
    }
}
