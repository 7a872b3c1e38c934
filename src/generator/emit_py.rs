//! The ABI-mode Python emitter: a `.py` module that builds `_cffi_backend.FFI(...)` from
//! the tables, used with `ffi.dlopen()`. Each table entry is a bytes literal whose
//! layout `_cffi_backend` decodes (big-endian 32-bit words followed by names).

use std::fmt::Write as _;

use crate::generator::recompiler::tables::{push_four_bytes, EnumBase, OP_BITFIELD, OP_NOOP};
use crate::generator::recompiler::{Recompiler, Refusal};

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
    if s.bytes().all(|b| matches!(b, 0x20..=0x7e) && b != b'\\' && b != b'\'') {
        out.push_str(s);
        return;
    }
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

/// Writes `    name = (item,item,...),` with each item rendered by `item` (a
/// 1-tuple keeps its comma, as Python's `repr` does).
fn tuple<T>(
    out: &mut String,
    name: &str,
    items: &[T],
    mut item: impl FnMut(&mut String, &T) -> Result<(), Refusal>,
) -> Result<(), Refusal> {
    out.push_str("    ");
    out.push_str(name);
    out.push_str(" = (");
    for (i, x) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        item(out, x)?;
    }
    out.push_str(if items.len() == 1 { ",),\n" } else { "),\n" });
    Ok(())
}

/// The `.py` module text.
pub fn emit(r: &Recompiler<'_>) -> Result<String, Refusal> {
    // 16 characters per 32-bit word, plus names.
    let words = r.type_ops.len() + 2 * (r.globals.len() + r.fields.len() + r.struct_unions.len());
    let mut out = String::with_capacity(16 * words + 32 * (r.globals.len() + r.fields.len()) + 256);
    out.push_str("# auto-generated file\nimport _cffi_backend\n");
    for (i, name) in r.includes.iter().enumerate() {
        let _ = writeln!(out, "from {name} import ffi as _ffi{i}");
    }
    out.push('\n');
    let _ = writeln!(out, "ffi = _cffi_backend.FFI('{}',", r.module_name);
    let _ = writeln!(out, "    _version = 0x{:x},", r.version);

    out.push_str("    _types = b'");
    for op in &r.type_ops {
        push_four_bytes(&mut out, op.python_word()?);
    }
    out.push_str("',\n");

    if !r.globals.is_empty() {
        tuple(&mut out, "_globals", &r.globals, |out, g| {
            out.push_str("b'");
            push_four_bytes(out, g.type_op.python_word()?);
            push_bytes_text(out, &g.name);
            out.push_str("',");
            out.push_str(itoa::Buffer::new().format(g.check_value.unwrap_or(0)));
            Ok(())
        })?;
    }

    if !r.struct_unions.is_empty() {
        tuple(&mut out, "_struct_unions", &r.struct_unions, |out, su| {
            out.push_str("(b'");
            push_four_bytes(out, su.type_index as u32);
            push_four_bytes(out, su.flags);
            push_bytes_text(out, &su.name);
            out.push('\'');
            let fields = match su.first_field_index {
                first if first >= 0 => &r.fields[first as usize..first as usize + su.num_fields],
                _ => &[],
            };
            for f in fields {
                out.push_str(",b'");
                push_four_bytes(out, f.type_op.python_word()?);
                match f.type_op.op {
                    Some(OP_NOOP) => {}
                    Some(OP_BITFIELD) => push_four_bytes(out, f.bitsize as u32),
                    _ => return Err(Refusal::not_implemented("field opcode")),
                }
                push_bytes_text(out, &f.name);
                out.push('\'');
            }
            out.push_str(if fields.is_empty() { ",)" } else { ")" });
            Ok(())
        })?;
    }

    if !r.enums.is_empty() {
        tuple(&mut out, "_enums", &r.enums, |out, e| {
            let EnumBase::Known { size, signed } = e.base else {
                return Err(Refusal::verification(format!(
                    "enum {}: size only known to the C compiler",
                    e.name
                )));
            };
            out.push_str("b'");
            push_four_bytes(out, e.type_index as u32);
            push_four_bytes(out, prim_of(size, signed)?);
            push_bytes_text(out, &e.name);
            out.push_str("\\x00");
            push_bytes_text(out, &e.enumerators);
            out.push('\'');
            Ok(())
        })?;
    }

    if !r.typenames.is_empty() {
        tuple(&mut out, "_typenames", &r.typenames, |out, t| {
            out.push_str("b'");
            push_four_bytes(out, t.type_index as u32);
            push_bytes_text(out, &t.name);
            out.push('\'');
            Ok(())
        })?;
    }
    if !r.includes.is_empty() {
        let names: Vec<String> = (0..r.includes.len()).map(|i| format!("_ffi{i}")).collect();
        let _ = writeln!(out, "    _includes = ({},),", names.join(", "));
    }
    out.push_str(")\n");
    Ok(out)
}
