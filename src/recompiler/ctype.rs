//! The recompiler's own view of C types: an interning arena where equal types share one
//! id (as cffi's `BaseType.__eq__`), while structs, unions and enums are distinct by
//! identity (as `BaseTypeByIdentity`). It renders C names exactly like cffi's
//! `c_name_with_marker`, because those strings order the type table and appear in the
//! generated C and in error messages.

use indexmap::IndexSet;
use rustc_hash::{FxBuildHasher, FxHashMap};

/// Index of a type in [`Types`].
pub type TypeId = usize;

/// Type qualifiers, as cffi's `Q_*` bits.
pub const Q_CONST: u8 = 0x01;
pub const Q_RESTRICT: u8 = 0x02;
pub const Q_VOLATILE: u8 = 0x04;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ArrayLen {
    /// `[]`
    Open,
    /// `[...]`: filled in by the C compiler (globals and struct fields only).
    Dots,
    Known(i128),
    /// A C expression computed by the compiler, e.g. `_cffi_array_len(x)`.
    Expr(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FuncSig {
    pub args: Vec<TypeId>,
    pub result: TypeId,
    pub ellipsis: bool,
    pub abi: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CType {
    Void,
    /// One of cffi's primitive type names (`int`, `size_t`, `_cffi_float_complex_t`, ...).
    Primitive(String),
    /// `typedef int... name;`
    UnknownInt(String),
    /// `typedef float... name;`
    UnknownFloat(String),
    RawFunction(FuncSig),
    FunctionPtr(FuncSig),
    Pointer {
        to: TypeId,
        quals: u8,
    },
    /// `typedef ... *name;`: rendered as its name.
    NamedPointer {
        to: TypeId,
        name: String,
    },
    Array {
        item: TypeId,
        len: ArrayLen,
    },
    Record(RecordId),
    Enum(EnumId),
}

pub type RecordId = usize;
pub type EnumId = usize;

#[derive(Clone, Debug)]
pub struct Field {
    /// Empty for an anonymous nested struct/union member (or an unnamed bitfield).
    pub name: String,
    pub ty: TypeId,
    /// -1 when not a bitfield.
    pub bitsize: i64,
    pub quals: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    Struct,
    Union,
}

impl RecordKind {
    pub fn keyword(self) -> &'static str {
        match self {
            RecordKind::Struct => "struct",
            RecordKind::Union => "union",
        }
    }
}

/// A struct or union (cffi's `StructOrUnion`).
#[derive(Clone, Debug)]
pub struct Record {
    pub kind: RecordKind,
    /// cffi's `tp.name`: the tag, or `$N` / `$typedefname` for anonymous ones.
    pub name: String,
    /// The name a typedef forced on it (`FILE`, typedef'd anonymous structs).
    pub forcename: Option<String>,
    /// How C spells it: `struct foo`, or the forced name.
    pub c_name: String,
    /// `None`: opaque.
    pub fields: Option<Vec<Field>>,
    pub partial: bool,
    /// 0 = natural layout, 1 = packed, N = `pack=N`.
    pub packed: u32,
    /// Made by `typedef ... name;`.
    pub unknown_type: bool,
}

impl Record {
    /// Anonymous nested struct/union members (`struct { ... };` inside).
    pub fn anonymous_members<'a>(&'a self, types: &'a Types) -> impl Iterator<Item = RecordId> + 'a {
        self.fields.iter().flatten().filter_map(move |f| match types.get(f.ty) {
            CType::Record(r) if f.name.is_empty() => Some(*r),
            _ => None,
        })
    }
}

/// An enum (cffi's `EnumType`).
#[derive(Clone, Debug)]
pub struct EnumDecl {
    pub name: String,
    /// How C spells it (`enum foo`, or a typedef name).
    pub c_name: String,
    pub enumerators: Vec<String>,
    pub values: Vec<i128>,
    pub partial: bool,
    pub partial_resolved: bool,
    /// Set when the cdef gave the underlying type explicitly.
    pub base: Option<TypeId>,
}

/// Raised by [`Types::c_name`] when a type has no C spelling (anonymous struct).
#[derive(Debug)]
pub struct NoCName(pub String);

#[derive(Default, Debug)]
pub struct Types {
    set: IndexSet<CType, FxBuildHasher>,
    /// cffi's `c_name_with_marker` of each type (`&` where a declarator goes).
    markers: Vec<String>,
    /// The same without the marker (cffi's `_get_c_name()`).
    plain: Vec<String>,
    /// Where the `&` is in each marker, or `None` when the type has no C name (a `$`).
    amp: Vec<Option<u32>>,
    /// Function pointer type → its raw function type.
    raw_of: FxHashMap<TypeId, TypeId>,
    /// Record → its type (records are looked up often, by identity).
    record_ty: FxHashMap<RecordId, TypeId>,
    pub records: Vec<Record>,
    pub enums: Vec<EnumDecl>,
}

fn qualify(quals: u8, replace_with: &str) -> String {
    let mut s = replace_with.to_string();
    if quals & Q_CONST != 0 {
        s = format!(" const {}", s.trim_start());
    }
    if quals & Q_VOLATILE != 0 {
        s = format!(" volatile {}", s.trim_start());
    }
    if quals & Q_RESTRICT != 0 {
        s = format!(" __restrict {}", s.trim_start());
    }
    s
}

impl Types {
    /// An empty arena with room for about `n` types (the big tables grow once).
    pub fn with_capacity(n: usize) -> Self {
        Types {
            set: IndexSet::with_capacity_and_hasher(n, FxBuildHasher),
            markers: Vec::with_capacity(n),
            plain: Vec::with_capacity(n),
            amp: Vec::with_capacity(n),
            ..Types::default()
        }
    }

    pub fn intern(&mut self, ty: CType) -> TypeId {
        let (id, new) = self.set.insert_full(ty);
        if new {
            let marker = self.compute_marker(&self.set[id]);
            if let CType::Record(r) = self.set[id] {
                self.record_ty.insert(r, id);
            }
            let amp = marker.find('&').unwrap_or(marker.len());
            let mut plain = String::with_capacity(marker.len());
            plain.push_str(&marker[..amp]);
            plain.push_str(marker.get(amp + 1..).unwrap_or(""));
            self.amp.push((!marker.contains('$')).then_some(amp as u32));
            self.plain.push(plain);
            self.markers.push(marker);
        }
        id
    }

    pub fn get(&self, id: TypeId) -> &CType {
        &self.set[id]
    }

    pub fn add_record(&mut self, record: Record) -> TypeId {
        self.records.push(record);
        self.intern(CType::Record(self.records.len() - 1))
    }

    pub fn add_enum(&mut self, e: EnumDecl) -> TypeId {
        self.enums.push(e);
        self.intern(CType::Enum(self.enums.len() - 1))
    }

    fn compute_marker(&self, ty: &CType) -> String {
        match ty {
            CType::Void => "void&".into(),
            CType::Primitive(n) | CType::UnknownInt(n) | CType::UnknownFloat(n) => format!("{n}&"),
            CType::RawFunction(sig) | CType::FunctionPtr(sig) => {
                // result's marker with `&` replaced by `(&)(args)` / `(*&)(args)`,
                // the abi (if any) right after the opening parenthesis.
                let (before, after) = self.markers[sig.result].split_once('&').unwrap_or_default();
                let mut m = String::with_capacity(before.len() + after.len() + 16 * sig.args.len() + 8);
                m.push_str(before);
                m.push('(');
                if let Some(abi) = &sig.abi {
                    m.push_str(abi);
                    m.push(' ');
                }
                m.push_str(if matches!(ty, CType::RawFunction(_)) { "&)(" } else { "*&)(" });
                for (i, &a) in sig.args.iter().enumerate() {
                    if i > 0 {
                        m.push_str(", ");
                    }
                    m.push_str(&self.plain[a]);
                }
                if sig.ellipsis {
                    m.push_str(if sig.args.is_empty() { "..." } else { ", ..." });
                } else if sig.args.is_empty() {
                    m.push_str("void");
                }
                m.push(')');
                m.push_str(after);
                m
            }
            CType::Pointer { to, quals } => {
                let extra = if self.is_array(*to) { "(*&)" } else { " *&" };
                self.markers[*to].replacen('&', &qualify(*quals, extra), 1)
            }
            CType::NamedPointer { name, .. } => format!("{name}&"),
            CType::Array { item, len } => {
                let brackets = match len {
                    ArrayLen::Open => "&[]".to_string(),
                    ArrayLen::Dots => "&[/*...*/]".to_string(),
                    ArrayLen::Known(n) => format!("&[{n}]"),
                    ArrayLen::Expr(e) => format!("&[{e}]"),
                };
                self.markers[*item].replacen('&', &brackets, 1)
            }
            CType::Record(r) => format!("{}&", self.records[*r].c_name),
            CType::Enum(e) => format!("{}&", self.enums[*e].c_name),
        }
    }

    pub fn marker(&self, id: TypeId) -> &str {
        &self.markers[id]
    }

    /// cffi's `_get_c_name()` / `str(tp)`: the type's spelling with no declarator.
    pub fn c_name_plain(&self, id: TypeId) -> String {
        self.plain[id].clone()
    }

    /// [`Types::c_name_plain`] without copying.
    pub fn plain(&self, id: TypeId) -> &str {
        &self.plain[id]
    }

    /// cffi's `repr(tp)`.
    pub fn repr(&self, id: TypeId) -> String {
        format!("<{}>", self.c_name_plain(id))
    }

    /// cffi's `get_c_name(replace_with, context, quals)`: a declaration of
    /// `replace_with` with this type, or an error if the type has no C name.
    pub fn c_decl(
        &self,
        id: TypeId,
        replace_with: &str,
        context: &str,
        quals: u8,
    ) -> Result<String, NoCName> {
        let mut decl = String::with_capacity(self.markers[id].len() + replace_with.len() + 4);
        if self.write_decl(&mut decl, id, replace_with, quals) {
            Ok(decl)
        } else {
            Err(self.no_c_name(id, context))
        }
    }

    /// [`Types::c_decl`] appended to `out`; `false` (and nothing written) when the
    /// type has no C name (see [`Types::no_c_name`]).
    pub fn write_decl(&self, out: &mut String, id: TypeId, replace_with: &str, quals: u8) -> bool {
        // (cffi checks the whole declaration: a `$` in the declarator counts too)
        let Some(amp) = self.amp[id] else { return false };
        if replace_with.contains('$') {
            return false;
        }
        let marker = &self.markers[id];
        let rw = replace_with.trim();
        let (before, after) = marker.split_at(amp as usize);
        let after = after.get(1..).unwrap_or("");
        out.push_str(before);
        let parenthesize = rw.starts_with('*') && after.starts_with('[');
        if quals != 0 {
            // cffi's qualify(): the qualifiers go first, then the declarator.
            let inner = if parenthesize { format!("({rw})") } else { rw.to_string() };
            out.push_str(&qualify(quals, &inner));
        } else if parenthesize {
            out.push('(');
            out.push_str(rw);
            out.push(')');
        } else {
            if !rw.is_empty() && !rw.starts_with('[') && !rw.starts_with('(') {
                out.push(' ');
            }
            out.push_str(rw);
        }
        out.push_str(after);
        true
    }

    /// The error of [`Types::c_decl`] for a declaration made in `context`.
    pub fn no_c_name(&self, id: TypeId, context: &str) -> NoCName {
        NoCName(format!("cannot generate '{}' in {}: unknown type name", self.plain[id], context))
    }

    pub fn is_array(&self, id: TypeId) -> bool {
        matches!(self.get(id), CType::Array { .. })
    }

    pub fn is_raw_function(&self, id: TypeId) -> bool {
        matches!(self.get(id), CType::RawFunction(_))
    }

    /// cffi's `is_integer_type()`.
    pub fn is_integer(&self, id: TypeId) -> bool {
        match self.get(id) {
            CType::Primitive(n) => prim_kind(n) == Some('i'),
            CType::UnknownInt(_) => true,
            _ => false,
        }
    }

    pub fn is_complex(&self, id: TypeId) -> bool {
        matches!(self.get(id), CType::Primitive(n) if prim_kind(n) == Some('j'))
    }

    /// The record behind an id, if it is a struct or union.
    pub fn record(&self, id: TypeId) -> Option<&Record> {
        match self.get(id) {
            CType::Record(r) => Some(&self.records[*r]),
            _ => None,
        }
    }

    /// The type of a struct or union.
    pub fn record_type(&mut self, rec: RecordId) -> TypeId {
        match self.record_ty.get(&rec) {
            Some(&t) => t,
            None => self.intern(CType::Record(rec)),
        }
    }

    pub fn pointer(&mut self, to: TypeId) -> TypeId {
        self.intern(CType::Pointer { to, quals: 0 })
    }

    pub fn void(&mut self) -> TypeId {
        self.intern(CType::Void)
    }

    pub fn as_raw_function(&mut self, id: TypeId) -> TypeId {
        if let Some(&raw) = self.raw_of.get(&id) {
            return raw;
        }
        match self.get(id).clone() {
            CType::FunctionPtr(sig) => {
                let raw = self.intern(CType::RawFunction(sig));
                self.raw_of.insert(id, raw);
                raw
            }
            _ => id,
        }
    }

    pub fn as_function_pointer(&mut self, id: TypeId) -> TypeId {
        match self.get(id).clone() {
            CType::RawFunction(sig) => self.intern(CType::FunctionPtr(sig)),
            _ => id,
        }
    }

    pub fn len(&self) -> usize {
        self.set.len()
    }

    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

/// cffi's `PrimitiveType.ALL_PRIMITIVE_TYPES` kinds: 'c' char-like, 'i' integer,
/// 'f' float, 'j' complex.
pub fn prim_kind(name: &str) -> Option<char> {
    Some(match name {
        "char" | "wchar_t" | "char16_t" | "char32_t" => 'c',
        "float" | "double" | "long double" => 'f',
        "_cffi_float_complex_t" | "_cffi_double_complex_t" => 'j',
        _ if prim_index(name).is_some() => 'i',
        _ => return None,
    })
}

/// `_CFFI_PRIM_*` number of a primitive type name.
pub fn prim_index(name: &str) -> Option<u32> {
    Some(match name {
        "_Bool" => 1,
        "char" => 2,
        "signed char" => 3,
        "unsigned char" => 4,
        "short" => 5,
        "unsigned short" => 6,
        "int" => 7,
        "unsigned int" => 8,
        "long" => 9,
        "unsigned long" => 10,
        "long long" => 11,
        "unsigned long long" => 12,
        "float" => 13,
        "double" => 14,
        "long double" => 15,
        "wchar_t" => 16,
        "int8_t" => 17,
        "uint8_t" => 18,
        "int16_t" => 19,
        "uint16_t" => 20,
        "int32_t" => 21,
        "uint32_t" => 22,
        "int64_t" => 23,
        "uint64_t" => 24,
        "intptr_t" => 25,
        "uintptr_t" => 26,
        "ptrdiff_t" => 27,
        "size_t" => 28,
        "ssize_t" => 29,
        "int_least8_t" => 30,
        "uint_least8_t" => 31,
        "int_least16_t" => 32,
        "uint_least16_t" => 33,
        "int_least32_t" => 34,
        "uint_least32_t" => 35,
        "int_least64_t" => 36,
        "uint_least64_t" => 37,
        "int_fast8_t" => 38,
        "uint_fast8_t" => 39,
        "int_fast16_t" => 40,
        "uint_fast16_t" => 41,
        "int_fast32_t" => 42,
        "uint_fast32_t" => 43,
        "int_fast64_t" => 44,
        "uint_fast64_t" => 45,
        "intmax_t" => 46,
        "uintmax_t" => 47,
        "_cffi_float_complex_t" => 48,
        "_cffi_double_complex_t" => 49,
        "char16_t" => 50,
        "char32_t" => 51,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spells_types_like_cffi() {
        let mut t = Types::default();
        let int = t.intern(CType::Primitive("int".into()));
        let arr = t.intern(CType::Array { item: int, len: ArrayLen::Known(5) });
        let parr = t.pointer(arr);
        assert_eq!(t.c_name_plain(parr), "int(*)[5]");
        let cint = t.intern(CType::Pointer { to: int, quals: Q_CONST });
        assert_eq!(t.c_name_plain(cint), "int const *");
        let f = t.intern(CType::FunctionPtr(FuncSig {
            args: vec![int, cint],
            result: int,
            ellipsis: true,
            abi: Some("__stdcall".into()),
        }));
        assert_eq!(t.c_name_plain(f), "int(__stdcall *)(int, int const *, ...)");
        assert_eq!(t.c_decl(parr, "*x", "here", 0).unwrap(), "int(* *x)[5]");
        assert_eq!(t.c_decl(arr, "*x", "here", 0).unwrap(), "int(*x)[5]");
        assert_eq!(t.c_decl(int, "x", "here", Q_CONST).unwrap(), "int const x");
        let rec = t.add_record(Record {
            kind: RecordKind::Struct,
            name: "$1".into(),
            forcename: None,
            c_name: "struct $1".into(),
            fields: None,
            partial: false,
            packed: 0,
            unknown_type: false,
        });
        let e = t.c_decl(rec, "x", "a C file", 0).unwrap_err();
        assert_eq!(e.0, "cannot generate 'struct $1' in a C file: unknown type name");
    }
}
