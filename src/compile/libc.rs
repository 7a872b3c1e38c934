//! Which C library (glibc or musl) a Linux build compiles for and which one the machine's
//! own compiler serves, when these are not cffi-forge's own: the static musl release
//! binary runs on glibc systems, and a musl CPython can run on a glibc system next to
//! Debian's `musl-gcc`. `cc` then cross-compiles (finding `musl-gcc`) exactly when the two
//! differ.

use std::sync::OnceLock;

use object::read::elf::{FileHeader, ProgramHeader};
use object::{elf, Endianness, FileKind};

/// Whether the machine's programs are musl ones: `/bin/sh` is loaded by musl's loader
/// (Alpine's busybox) rather than glibc's. Without a readable dynamic `/bin/sh`, the C
/// library cffi-forge itself was built for.
pub fn machine_uses_musl() -> bool {
    static MUSL: OnceLock<bool> = OnceLock::new();
    *MUSL.get_or_init(|| {
        std::fs::read("/bin/sh")
            .ok()
            .and_then(|data| program_interpreter(&data))
            .map_or(cfg!(target_env = "musl"), |loader| is_musl_loader(&loader))
    })
}

/// Whether a Linux interpreter is a musl one, from its `EXT_SUFFIX`
/// (`.cpython-313-x86_64-linux-musl.so`); `None` when the suffix does not say
/// (`.abi3.so`, an old or unusual build).
pub fn interpreter_uses_musl(ext_suffix: &str) -> Option<bool> {
    let stem = ext_suffix.strip_suffix(".so")?;
    if stem.contains("-linux-musl") {
        Some(true)
    } else if stem.contains("-linux-gnu") {
        Some(false)
    } else {
        None
    }
}

fn is_musl_loader(loader: &str) -> bool {
    loader.rsplit('/').next().is_some_and(|name| name.starts_with("ld-musl-"))
}

/// The `PT_INTERP` path of an ELF executable, if it has one.
fn program_interpreter(data: &[u8]) -> Option<String> {
    match FileKind::parse(data).ok()? {
        FileKind::Elf32 => interpreter_of::<elf::FileHeader32<Endianness>>(data),
        FileKind::Elf64 => interpreter_of::<elf::FileHeader64<Endianness>>(data),
        _ => None,
    }
}

fn interpreter_of<Elf: FileHeader<Endian = Endianness>>(data: &[u8]) -> Option<String> {
    let header = Elf::parse(data).ok()?;
    let endian = header.endian().ok()?;
    header
        .program_headers(endian, data)
        .ok()?
        .iter()
        .find_map(|segment| segment.interpreter(endian, data).ok().flatten())
        .map(|path| String::from_utf8_lossy(path).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ext_suffix_names_the_c_library() {
        assert_eq!(interpreter_uses_musl(".cpython-313-x86_64-linux-musl.so"), Some(true));
        assert_eq!(interpreter_uses_musl(".cpython-313t-aarch64-linux-musl.so"), Some(true));
        assert_eq!(interpreter_uses_musl(".cpython-311-x86_64-linux-gnu.so"), Some(false));
        assert_eq!(interpreter_uses_musl(".pypy39-pp73-x86_64-linux-gnu.so"), Some(false));
        assert_eq!(interpreter_uses_musl(".cpython-311-arm-linux-gnueabihf.so"), Some(false));
        assert_eq!(interpreter_uses_musl(".abi3.so"), None);
        assert_eq!(interpreter_uses_musl(".cp311-win_amd64.pyd"), None);
    }

    #[test]
    fn loaders() {
        assert!(is_musl_loader("/lib/ld-musl-x86_64.so.1"));
        assert!(is_musl_loader("/lib/ld-musl-aarch64.so.1"));
        assert!(!is_musl_loader("/lib64/ld-linux-x86-64.so.2"));
        assert!(!is_musl_loader("/lib/ld-linux-aarch64.so.1"));
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn this_machines_shell_has_a_loader() {
        // Every Linux test machine's /bin/sh is dynamic: its loader names its C library.
        let loader = program_interpreter(&std::fs::read("/bin/sh").unwrap()).expect("PT_INTERP of /bin/sh");
        assert!(loader.contains("/ld-"), "{loader}");
        assert_eq!(machine_uses_musl(), is_musl_loader(&loader));
        assert!(program_interpreter(b"#!/bin/sh\n").is_none());
    }
}
