//! Reading only the parts of an ELF file that the audit and the symbol check look at: the
//! file header, the section headers, and the dynamic linking sections (`.dynamic`,
//! `.dynsym`, the symbol-version tables) with the string tables they name. A library the
//! loader would map can be tens of megabytes (`libpython3.X.so`, an unstripped `libc`); its
//! dynamic sections are a few hundred kilobytes at most.
//!
//! The result is a buffer as long as the file, zero everywhere else, so the `object`
//! crate parses it as it parses the whole file. The zeroed buffer costs nothing for the
//! parts never read: a large one is fresh pages from the OS ([`Zeroed`]).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use object::elf;
use object::read::elf::{FileHeader, ProgramHeader, SectionHeader};
use object::{Endianness, FileKind};

/// The section types whose contents are read, with the sections they link to (string
/// tables, the symbol table a version table describes).
const WANTED: [u32; 5] =
    [elf::SHT_DYNAMIC, elf::SHT_DYNSYM, elf::SHT_GNU_VERSYM, elf::SHT_GNU_VERNEED, elf::SHT_GNU_VERDEF];

/// The dynamic-linking parts of the ELF file at `path`. A file that is not ELF (or is cut
/// short) comes back as far as it was read: the parser then says what is wrong with it.
pub fn read(path: &Path) -> std::io::Result<Zeroed> {
    let mut file = File::open(path)?;
    let len = usize::try_from(file.metadata()?.len()).unwrap_or(usize::MAX);
    let mut data = Zeroed::new(len)?;
    // The largest ELF header (64-bit) is 64 bytes.
    fill(&mut file, &mut data, 0, 64)?;
    match FileKind::parse(&data[..]) {
        Ok(FileKind::Elf32) => fill_sections::<elf::FileHeader32<Endianness>>(&mut file, &mut data)?,
        Ok(FileKind::Elf64) => fill_sections::<elf::FileHeader64<Endianness>>(&mut file, &mut data)?,
        _ => {
            // Not ELF: read it all, the callers' errors name what it is.
            fill(&mut file, &mut data, 0, len)?;
        }
    }
    Ok(data)
}

fn fill_sections<Elf: FileHeader<Endian = Endianness>>(
    file: &mut File,
    data: &mut [u8],
) -> std::io::Result<()> {
    // A copy: `data` is written below.
    let Ok(&header) = Elf::parse(&*data) else { return Ok(()) };
    let Ok(endian) = header.endian() else { return Ok(()) };
    let offset = usize::try_from(header.e_shoff(endian).into()).unwrap_or(usize::MAX);
    let entsize = usize::from(header.e_shentsize(endian));
    if offset == 0 || entsize == 0 {
        return Ok(());
    }
    // The first section header holds the real count when there are very many.
    fill(file, data, offset, entsize)?;
    let Ok(count) = header.shnum(endian, &*data) else { return Ok(()) };
    fill(file, data, offset, entsize.saturating_mul(count))?;
    let Ok(sections) = header.section_headers(endian, &*data) else { return Ok(()) };
    let mut wanted: Vec<usize> = Vec::new();
    for section in sections {
        if WANTED.contains(&section.sh_type(endian)) {
            wanted.push(section.sh_link(endian) as usize);
        }
    }
    let names = header.shstrndx(endian, &*data).map(|i| i as usize).unwrap_or(0);
    let ranges: Vec<(usize, usize)> = sections
        .iter()
        .enumerate()
        .filter(|(i, s)| {
            WANTED.contains(&s.sh_type(endian)) || wanted.contains(i) || (*i == names && *i != 0)
        })
        .filter(|(_, s)| s.sh_type(endian) != elf::SHT_NOBITS)
        .filter_map(|(_, s)| {
            let (start, size) = s.file_range(endian)?;
            Some((usize::try_from(start).ok()?, usize::try_from(size).ok()?))
        })
        .collect();
    for (start, size) in ranges {
        fill(file, data, start, size)?;
    }
    Ok(())
}

/// The GNU build ID of the ELF file at `path` (`ld --build-id`, on by default with
/// Debian's, Fedora's and Alpine's toolchains and with Rust's on Linux): a digest of the
/// linked contents, the same for every copy of one build. Reads the headers and the note
/// segments only.
pub fn build_id(path: &Path) -> Option<Vec<u8>> {
    let mut file = File::open(path).ok()?;
    let len = usize::try_from(file.metadata().ok()?.len()).ok()?;
    let mut data = Zeroed::new(len).ok()?;
    fill(&mut file, &mut data, 0, 64).ok()?;
    match FileKind::parse(&data[..]).ok()? {
        FileKind::Elf32 => build_id_as::<elf::FileHeader32<Endianness>>(&mut file, &mut data),
        FileKind::Elf64 => build_id_as::<elf::FileHeader64<Endianness>>(&mut file, &mut data),
        _ => None,
    }
}

fn build_id_as<Elf: FileHeader<Endian = Endianness>>(file: &mut File, data: &mut [u8]) -> Option<Vec<u8>> {
    let &header = Elf::parse(&*data).ok()?;
    let endian = header.endian().ok()?;
    let offset = usize::try_from(header.e_phoff(endian).into()).ok()?;
    let size = usize::from(header.e_phentsize(endian)).checked_mul(usize::from(header.e_phnum(endian)))?;
    fill(file, data, offset, size).ok()?;
    let notes: Vec<(usize, usize)> = header
        .program_headers(endian, &*data)
        .ok()?
        .iter()
        .filter(|segment| segment.p_type(endian) == elf::PT_NOTE)
        .filter_map(|segment| {
            let (start, size) = segment.file_range(endian);
            Some((usize::try_from(start).ok()?, usize::try_from(size).ok()?))
        })
        .collect();
    for (start, size) in notes {
        fill(file, data, start, size).ok()?;
    }
    for segment in header.program_headers(endian, &*data).ok()? {
        let Ok(Some(mut notes)) = segment.notes(endian, &*data) else { continue };
        while let Ok(Some(note)) = notes.next() {
            if note.name() == elf::ELF_NOTE_GNU && note.n_type(endian) == elf::NT_GNU_BUILD_ID {
                return Some(note.desc().to_vec());
            }
        }
    }
    None
}

/// `len` zero bytes. From 1 MiB on, an anonymous private mapping: the kernel hands out
/// zero pages, and a page never written is never touched. `vec![0; len]` promises no
/// such thing: mimalloc, the global allocator, zeroes a large block it reuses, which for
/// libpython (30 MB, read by the symbol check and by the audit) cost more than the
/// rest of a small build's own work.
pub struct Zeroed(Storage);

enum Storage {
    Heap(Vec<u8>),
    #[cfg(unix)]
    Mapped {
        ptr: std::ptr::NonNull<u8>,
        len: usize,
    },
}

impl Zeroed {
    const MAP_FROM: usize = 1 << 20;

    pub fn new(len: usize) -> std::io::Result<Zeroed> {
        #[cfg(unix)]
        if len >= Self::MAP_FROM {
            use rustix::mm::{mmap_anonymous, MapFlags, ProtFlags};
            // SAFETY: a new private anonymous mapping, aliasing nothing; it is unmapped
            // once, on drop, with the same length.
            let ptr = unsafe {
                mmap_anonymous(
                    std::ptr::null_mut(),
                    len,
                    ProtFlags::READ | ProtFlags::WRITE,
                    MapFlags::PRIVATE,
                )
            }?;
            let ptr = std::ptr::NonNull::new(ptr.cast::<u8>()).ok_or(std::io::ErrorKind::OutOfMemory)?;
            return Ok(Zeroed(Storage::Mapped { ptr, len }));
        }
        Ok(Zeroed(Storage::Heap(vec![0u8; len])))
    }
}

impl std::ops::Deref for Zeroed {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match &self.0 {
            Storage::Heap(bytes) => bytes,
            // SAFETY: `len` readable bytes, owned by this value for its whole life.
            #[cfg(unix)]
            Storage::Mapped { ptr, len } => unsafe { std::slice::from_raw_parts(ptr.as_ptr(), *len) },
        }
    }
}

impl std::ops::DerefMut for Zeroed {
    fn deref_mut(&mut self) -> &mut [u8] {
        match &mut self.0 {
            Storage::Heap(bytes) => bytes,
            // SAFETY: as for `deref`, and `&mut self` makes this the only reference.
            #[cfg(unix)]
            Storage::Mapped { ptr, len } => unsafe { std::slice::from_raw_parts_mut(ptr.as_ptr(), *len) },
        }
    }
}

impl Drop for Zeroed {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Storage::Mapped { ptr, len } = self.0 {
            // SAFETY: the mapping made in `new`, with its length; nothing borrows it now.
            let _ = unsafe { rustix::mm::munmap(ptr.as_ptr().cast(), len) };
        }
    }
}

/// Read `size` bytes at `start` into the same place of `data`, as far as the file goes.
fn fill(file: &mut File, data: &mut [u8], start: usize, size: usize) -> std::io::Result<()> {
    let end = start.saturating_add(size).min(data.len());
    if start >= end {
        return Ok(());
    }
    file.seek(SeekFrom::Start(start as u64))?;
    let mut buf = &mut data[start..end];
    while !buf.is_empty() {
        match file.read(buf)? {
            0 => break,
            n => buf = &mut buf[n..],
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::ElfFile;

    /// The libraries this machine's loader maps for its shell, and the shell itself.
    #[test]
    #[cfg(target_os = "linux")]
    fn the_parts_read_give_what_the_whole_file_gives() {
        let loader = crate::audit::resolve::Loader::system();
        let shell = ElfFile::read(Path::new("/bin/sh")).unwrap();
        let mut files = vec![shell.path.clone()];
        for name in &shell.needed {
            files.extend(loader.find(name, &shell).map(|f| f.path));
        }
        assert!(files.len() > 1, "/bin/sh loads a C library: {files:?}");
        for file in files {
            let whole = std::fs::read(&file).unwrap();
            let parts = read(&file).unwrap();
            assert_eq!(parts.len(), whole.len());
            let from_parts = ElfFile::parse(&file, &parts).unwrap();
            assert_eq!(from_parts, ElfFile::parse(&file, &whole).unwrap(), "{}", file.display());
            assert!(!from_parts.undefined.is_empty() || !from_parts.needed.is_empty(), "{}", file.display());
            let zeros = parts.iter().filter(|&&b| b == 0).count();
            assert!(
                zeros > whole.iter().filter(|&&b| b == 0).count(),
                "{}: only parts were read",
                file.display()
            );
        }
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("not-elf");
        std::fs::write(&text, "#!/bin/sh\n").unwrap();
        assert_eq!(build_id(&text), None);
        std::fs::write(&text, "#!/bin/sh\n").unwrap();
        assert_eq!(&*read(&text).unwrap(), b"#!/bin/sh\n");
    }

    #[test]
    fn zeroed_buffers_are_zero_and_writable_in_both_kinds() {
        for len in [0, 10, Zeroed::MAP_FROM, Zeroed::MAP_FROM * 3 + 7] {
            let mut buffer = Zeroed::new(len).unwrap();
            assert_eq!(buffer.len(), len);
            assert!(buffer.iter().all(|&b| b == 0));
            if len > 0 {
                buffer[len - 1] = 7;
                buffer[0] = 1;
                assert_eq!((buffer[0], buffer[len - 1]), (1, 7));
            }
        }
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_build_id_is_the_same_for_every_copy_of_a_build() {
        // This test binary is linked with a build ID by rustc's default linker setup.
        let exe = std::env::current_exe().unwrap();
        let Some(id) = build_id(&exe) else { return };
        assert!(id.len() >= 8, "{id:?}");
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("copy");
        std::fs::copy(&exe, &copy).unwrap();
        assert_eq!(build_id(&copy), Some(id.clone()), "a copy elsewhere has the same ID");
        let mut other = std::fs::read(&exe).unwrap();
        let at = other.windows(id.len()).position(|w| w == id.as_slice()).unwrap();
        other[at] ^= 0xff;
        std::fs::write(&copy, &other).unwrap();
        assert_ne!(build_id(&copy), Some(id), "another build, another ID");
    }
}
