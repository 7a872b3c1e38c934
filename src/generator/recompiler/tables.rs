//! Entries of the tables `_cffi_backend` reads, and their two serialisations: C
//! initialisers (API mode) and the byte strings of an ABI-mode `.py` module.

use crate::generator::cdef::py_repr;

use super::Refusal;

pub const OP_PRIMITIVE: u8 = 1;
pub const OP_POINTER: u8 = 3;
pub const OP_ARRAY: u8 = 5;
pub const OP_OPEN_ARRAY: u8 = 7;
pub const OP_STRUCT_UNION: u8 = 9;
pub const OP_ENUM: u8 = 11;
pub const OP_FUNCTION: u8 = 13;
pub const OP_FUNCTION_END: u8 = 15;
pub const OP_NOOP: u8 = 17;
pub const OP_BITFIELD: u8 = 19;
pub const OP_CPYTHON_BLTN_V: u8 = 23;
pub const OP_CPYTHON_BLTN_N: u8 = 25;
pub const OP_CPYTHON_BLTN_O: u8 = 27;
pub const OP_CONSTANT: u8 = 29;
pub const OP_CONSTANT_INT: u8 = 31;
pub const OP_GLOBAL_VAR: u8 = 33;
pub const OP_DLOPEN_FUNC: u8 = 35;
pub const OP_DLOPEN_CONST: u8 = 37;
pub const OP_GLOBAL_VAR_F: u8 = 39;
pub const OP_EXTERN_PYTHON: u8 = 41;

pub const PRIM_VOID: i64 = 0;

pub const F_UNION: u32 = 0x01;
pub const F_CHECK_FIELDS: u32 = 0x02;
pub const F_PACKED: u32 = 0x04;
pub const F_EXTERNAL: u32 = 0x08;
pub const F_OPAQUE: u32 = 0x10;

/// Version words understood by the runtime.
pub const VERSION_BASE: u32 = 0x2601;
pub const VERSION_CHAR16CHAR32: u32 = 0x2801;

fn op_name(op: u8) -> &'static str {
    match op {
        OP_PRIMITIVE => "PRIMITIVE",
        OP_POINTER => "POINTER",
        OP_ARRAY => "ARRAY",
        OP_OPEN_ARRAY => "OPEN_ARRAY",
        OP_STRUCT_UNION => "STRUCT_UNION",
        OP_ENUM => "ENUM",
        OP_FUNCTION => "FUNCTION",
        OP_FUNCTION_END => "FUNCTION_END",
        OP_NOOP => "NOOP",
        OP_BITFIELD => "BITFIELD",
        OP_CPYTHON_BLTN_V => "CPYTHON_BLTN_V",
        OP_CPYTHON_BLTN_N => "CPYTHON_BLTN_N",
        OP_CPYTHON_BLTN_O => "CPYTHON_BLTN_O",
        OP_CONSTANT => "CONSTANT",
        OP_CONSTANT_INT => "CONSTANT_INT",
        OP_GLOBAL_VAR => "GLOBAL_VAR",
        OP_DLOPEN_FUNC => "DLOPEN_FUNC",
        OP_DLOPEN_CONST => "DLOPEN_CONST",
        OP_GLOBAL_VAR_F => "GLOBAL_VAR_F",
        OP_EXTERN_PYTHON => "EXTERN_PYTHON",
        _ => "?",
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpArg {
    Int(i64),
    /// A C expression only the compiler can evaluate.
    Expr(String),
}

/// One opcode word (cffi's `CffiOp`); `op == None` is a raw value (an array length).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    pub op: Option<u8>,
    pub arg: OpArg,
}

impl Op {
    pub fn new(op: u8, arg: i64) -> Self {
        Op { op: Some(op), arg: OpArg::Int(arg) }
    }

    /// Appends the C initialiser of this word.
    pub fn write_c(&self, out: &mut String) {
        match self.op {
            None => out.push_str("(_cffi_opcode_t)("),
            Some(op) => {
                out.push_str("_CFFI_OP(_CFFI_OP_");
                out.push_str(op_name(op));
                out.push_str(", ");
            }
        }
        match &self.arg {
            OpArg::Int(n) => out.push_str(itoa::Buffer::new().format(*n)),
            OpArg::Expr(e) => out.push_str(e),
        }
        out.push(')');
    }

    /// The four big-endian bytes of the ABI-mode encoding.
    pub fn python_word(&self) -> Result<u32, Refusal> {
        match (&self.op, &self.arg) {
            // A raw value (array length) is written as a C expression; only plain
            // non-negative numbers can go to Python, as cffi's `str.isdigit()` test.
            (None, OpArg::Expr(e)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => {
                match e.parse::<u64>() {
                    Ok(n) if n < 1 << 31 => Ok(n as u32),
                    _ => Err(Refusal::new(
                        "OverflowError",
                        format!("cannot emit {}: limited to 2**31-1", py_repr(e)),
                    )),
                }
            }
            (_, OpArg::Expr(e)) => {
                Err(Refusal::verification(format!("cannot emit to Python: {}", py_repr(e))))
            }
            (None, OpArg::Int(n)) => Ok(*n as u32),
            (Some(op), OpArg::Int(n)) => Ok(((*n << 8) | *op as i64) as u32),
        }
    }

    /// cffi's `str(CffiOp)`, as `check_type_table` prints it (tests).
    #[cfg(test)]
    pub fn debug_str(&self) -> String {
        let arg = match &self.arg {
            OpArg::Int(n) => n.to_string(),
            OpArg::Expr(e) => e.clone(),
        };
        match self.op {
            Some(op) => format!("({} {arg})", op_name(op)),
            None => format!("(None {arg})"),
        }
    }
}

/// Appends `\xHH\xHH\xHH\xHH` (big endian) to a Python bytes literal body.
pub fn push_four_bytes(out: &mut String, num: u32) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut buf = [0u8; 16];
    for (i, b) in num.to_be_bytes().into_iter().enumerate() {
        buf[4 * i..4 * i + 4].copy_from_slice(&[b'\\', b'x', HEX[(b >> 4) as usize], HEX[(b & 15) as usize]]);
    }
    out.push_str(std::str::from_utf8(&buf).expect("ASCII"));
}

/// What a global's C address is (the C emitter names it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GlobalKind {
    /// `_cffi_f_<name>`, with the direct-call `_cffi_d_<name>` beside it.
    Function,
    /// `_cffi_const_<name>`: a function computing the value.
    Constant,
    /// `_cffi_var_<name>`: a function returning the address.
    Variable,
    /// `&_cffi_externpy__<name>`, with the C function `<name>` beside it.
    ExternPython,
}

/// `_cffi_globals` entry.
#[derive(Clone, Debug)]
pub struct GlobalEntry {
    pub name: String,
    pub kind: GlobalKind,
    pub type_op: Op,
    /// Expected value of an integer constant (ABI mode: the value itself).
    pub check_value: Option<i128>,
}

/// `_cffi_fields` entry.
#[derive(Clone, Debug)]
pub struct FieldEntry {
    pub name: String,
    pub offset: String,
    pub size: String,
    pub bitsize: i64,
    pub type_op: Op,
}

/// `_cffi_struct_unions` entry.
#[derive(Clone, Debug)]
pub struct StructUnionEntry {
    pub name: String,
    pub type_index: usize,
    pub flags: u32,
    pub size: String,
    pub alignment: String,
    pub comment: Option<&'static str>,
    /// -1 when the fields are not listed (opaque).
    pub first_field_index: i64,
    pub num_fields: usize,
}

impl StructUnionEntry {
    pub fn flags_c(&self) -> String {
        let mut parts = Vec::new();
        for (bit, name) in [
            (F_UNION, "_CFFI_F_UNION"),
            (F_OPAQUE, "_CFFI_F_OPAQUE"),
            (F_CHECK_FIELDS, "_CFFI_F_CHECK_FIELDS"),
            (F_EXTERNAL, "_CFFI_F_EXTERNAL"),
            (F_PACKED, "_CFFI_F_PACKED"),
        ] {
            if self.flags & bit != 0 {
                parts.push(name);
            }
        }
        if parts.is_empty() {
            "0".into()
        } else {
            parts.join("|")
        }
    }
}

/// How an enum's underlying integer type is described.
#[derive(Clone, Debug)]
pub enum EnumBase {
    /// Computed by the compiler (API mode, named enum type).
    Expr { size: String, signed: String },
    /// Computed here from the values.
    Known { size: u32, signed: bool },
}

/// `_cffi_enums` entry.
#[derive(Clone, Debug)]
pub struct EnumEntry {
    pub name: String,
    pub type_index: usize,
    pub base: EnumBase,
    /// Comma-separated enumerator names.
    pub enumerators: String,
}

/// `_cffi_typenames` entry.
#[derive(Clone, Debug)]
pub struct TypenameEntry {
    pub name: String,
    pub type_index: usize,
}
