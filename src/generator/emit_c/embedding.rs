//! The part of an embedding library's C file that starts Python: the module's init code
//! as a byte array, the names the runtime needs, and the runtime itself
//! (`embedding.h`, our own), placed after the prelude and before the user's source (which
//! may call `cffi_start_python()`).

use std::fmt::Write as _;

const RUNTIME: &str = include_str!("embedding.h");

/// cffi's `VERSION_EMBEDDED`: `_cffi_backend` refuses older runtimes for such modules.
pub(super) const VERSION_EMBEDDED: u32 = 0x2701;

/// The block for module `module_name` (dotted) with Python `init_code`.
pub(super) fn runtime_block(out: &mut String, module_name: &str, init_code: &str) {
    let base = module_name.rsplit('.').next().unwrap_or(module_name);
    let _ = writeln!(out, "\n#define _CFFI_FORGE_MODULE_NAME \"{module_name}\"");
    let _ = writeln!(out, "#define _CFFI_FORGE_PYINIT PyInit_{base}");
    // Bytes, not a string literal: MSVC limits literals to 64 KB, and no escaping to get
    // wrong.
    out.push_str("static const char _cffi_forge_init_code[] = {");
    for (i, byte) in init_code.bytes().chain([0]).enumerate() {
        out.push_str(if i % 16 == 0 { "\n  " } else { " " });
        out.push_str(itoa::Buffer::new().format(byte));
        out.push(',');
    }
    out.push_str("\n};\n");
    out.push_str(RUNTIME);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn init_code_is_a_nul_terminated_byte_array() {
        let mut out = String::new();
        runtime_block(&mut out, "pkg._plugin", "x = 'é'\n");
        assert!(out.contains("#define _CFFI_FORGE_MODULE_NAME \"pkg._plugin\""), "{out}");
        assert!(out.contains("#define _CFFI_FORGE_PYINIT PyInit__plugin"), "{out}");
        // 'é' is two UTF-8 bytes; then the newline and the terminating NUL.
        assert!(out.contains("{\n  120, 32, 61, 32, 39, 195, 169, 39, 10, 0,\n};"), "{out}");
    }
}
