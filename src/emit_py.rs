//! The ABI-mode Python emitter: a `.py` module that builds `_cffi_backend.FFI(...)` from
//! the tables, used with `ffi.dlopen()`. Each table entry is a bytes literal whose
//! layout `_cffi_backend` decodes (big-endian 32-bit words followed by names).

use std::fmt::Write as _;

use crate::recompiler::tables::{push_four_bytes, EnumBase, OP_BITFIELD, OP_NOOP};
use crate::recompiler::{Recompiler, Refusal};

/// `_CFFI_PRIM_*` of a fixed-width integer.
fn prim_of(size: u32, signed: bool) -> Result<u32, Refusal> {
    Ok(match (size, signed) {
        (1, false) => 18,
        (1, true) => 17,
        (2, false) => 20,
        (2, true) => 19,
        (4, false) => 22,
        (4, true) => 21,
        (8, false) => 24,
        (8, true) => 23,
        _ => return Err(Refusal::new("ValueError", format!("no integer type of size {size}"))),
    })
}

/// Appends text to a bytes literal body, escaping what a Python literal needs.
fn push_bytes_text(out: &mut String, s: &str) {
    for b in s.bytes() {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\'' => out.push_str("\\'"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02X}");
            }
        }
    }
}

/// A tuple literal of already-rendered items (a 1-tuple keeps its comma).
fn tuple(items: &[String]) -> String {
    if items.len() == 1 {
        format!("({},)", items[0])
    } else {
        format!("({})", items.join(","))
    }
}

/// The `.py` module text.
pub fn emit(r: &Recompiler) -> Result<String, Refusal> {
    // 16 characters per 32-bit word, plus names.
    let words = r.type_ops.len() + 2 * (r.globals.len() + r.fields.len() + r.struct_unions.len());
    let mut out = String::with_capacity(16 * words + 32 * (r.globals.len() + r.fields.len()) + 256);
    out.push_str("# auto-generated file\nimport _cffi_backend\n\n");
    let _ = writeln!(out, "ffi = _cffi_backend.FFI('{}',", r.module_name);
    let _ = writeln!(out, "    _version = 0x{:x},", r.version);

    out.push_str("    _types = b'");
    for op in &r.type_ops {
        push_four_bytes(&mut out, op.python_word()?);
    }
    out.push_str("',\n");

    if !r.globals.is_empty() {
        let mut items = Vec::new();
        for g in &r.globals {
            let mut s = String::from("b'");
            push_four_bytes(&mut s, g.type_op.python_word()?);
            push_bytes_text(&mut s, &g.name);
            let _ = write!(s, "',{}", g.check_value.unwrap_or(0));
            items.push(s);
        }
        let _ = writeln!(out, "    _globals = {},", tuple(&items));
    }

    if !r.struct_unions.is_empty() {
        let mut items = Vec::new();
        for su in &r.struct_unions {
            let mut parts = Vec::new();
            let mut head = String::from("b'");
            push_four_bytes(&mut head, su.type_index as u32);
            push_four_bytes(&mut head, su.flags);
            push_bytes_text(&mut head, &su.name);
            head.push('\'');
            parts.push(head);
            if su.first_field_index >= 0 {
                let first = su.first_field_index as usize;
                for f in &r.fields[first..first + su.num_fields] {
                    let mut s = String::from("b'");
                    push_four_bytes(&mut s, f.type_op.python_word()?);
                    match f.type_op.op {
                        Some(OP_NOOP) => {}
                        Some(OP_BITFIELD) => push_four_bytes(&mut s, f.bitsize as u32),
                        _ => return Err(Refusal::not_implemented("field opcode")),
                    }
                    push_bytes_text(&mut s, &f.name);
                    s.push('\'');
                    parts.push(s);
                }
            }
            let rendered =
                if parts.len() == 1 { format!("({},)", parts[0]) } else { format!("({})", parts.join(",")) };
            items.push(rendered);
        }
        let _ = writeln!(out, "    _struct_unions = {},", tuple(&items));
    }

    if !r.enums.is_empty() {
        let mut items = Vec::new();
        for e in &r.enums {
            let EnumBase::Known { size, signed } = e.base else {
                return Err(Refusal::verification(format!(
                    "enum {}: size only known to the C compiler",
                    e.name
                )));
            };
            let mut s = String::from("b'");
            push_four_bytes(&mut s, e.type_index as u32);
            push_four_bytes(&mut s, prim_of(size, signed)?);
            push_bytes_text(&mut s, &e.name);
            s.push_str("\\x00");
            push_bytes_text(&mut s, &e.enumerators);
            s.push('\'');
            items.push(s);
        }
        let _ = writeln!(out, "    _enums = {},", tuple(&items));
    }

    if !r.typenames.is_empty() {
        let mut items = Vec::new();
        for t in &r.typenames {
            let mut s = String::from("b'");
            push_four_bytes(&mut s, t.type_index as u32);
            push_bytes_text(&mut s, &t.name);
            s.push('\'');
            items.push(s);
        }
        let _ = writeln!(out, "    _typenames = {},", tuple(&items));
    }
    out.push_str(")\n");
    Ok(out)
}
