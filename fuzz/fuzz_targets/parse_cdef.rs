//! Any text given to the cdef parser must come back as a model or an error: no
//! panic, no hang, no stack overflow. When it parses, walking and rendering every
//! declared type must not panic either (the emitters do exactly that).

#![no_main]

use cffi_forge::diagnostic::ToDiagnostic;
use cffi_forge::generator::cdef;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    match cdef::parse_str(text) {
        Ok(ffi) => {
            for d in ffi.sorted_declarations() {
                if let Some(ty) = d.ty() {
                    let _ = ffi.get_c_name(ty, "x", "fuzz", d.quals);
                }
            }
            for id in ffi.struct_ids() {
                let _ = ffi.enumfields(id, true);
            }
            for w in &ffi.warnings {
                let _ = w.render(false);
            }
        }
        Err(e) => {
            let _ = e.to_diagnostic().render(false);
            let _ = (e.cffi_class(), e.cffi_message());
        }
    }
});
