//! Structs, unions and enums: the types cffi compares by identity. They live in the
//! [`Ffi`](super::Ffi) arenas and types point at them by id.

use super::{Quals, Span, TypeId};

/// `struct` or `union`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StructKind {
    Struct,
    Union,
}

impl StructKind {
    /// `"struct"` / `"union"` (cffi's `kind`).
    pub fn as_str(self) -> &'static str {
        match self {
            StructKind::Struct => "struct",
            StructKind::Union => "union",
        }
    }
}

/// One field of a struct or union.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// Empty for an anonymous member (nested anonymous struct/union or unnamed
    /// bitfield).
    pub name: String,
    pub ty: TypeId,
    /// Bitfield width; `None` for ordinary fields (cffi stores `-1`, so a declared
    /// width of `-1` is an ordinary field too, as in cffi).
    pub bitsize: Option<i128>,
    /// Qualifiers of the field (`const int x;`).
    pub quals: Quals,
}

impl Field {
    /// cffi's `fldbitsize` value: the width, or `-1` for an ordinary field.
    pub fn cffi_bitsize(&self) -> i128 {
        self.bitsize.unwrap_or(-1)
    }
}

/// A struct or union (cffi's `StructType` / `UnionType`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StructOrUnion {
    pub kind: StructKind,
    /// cffi's `name`: the tag (`foo` for `struct foo`), or for anonymous ones `$foo_t`
    /// (named by `typedef struct { } foo_t;`), `$1`, `$2`... (no name at all),
    /// `$foo` / `$$foo_p` for `typedef ... foo;` / `typedef ... *foo_p;`, `_IO_FILE`
    /// for `FILE`.
    pub name: String,
    /// cffi's `forcename`: the typedef name that replaced `struct name` as C name.
    pub forcename: Option<String>,
    /// cffi's `c_name_with_marker` without the `&`: the official C name
    /// (`get_official_name()`), `struct foo` or the forced name.
    pub c_name: String,
    /// `None` while opaque (declared but never defined), like cffi's
    /// `fldnames is None`.
    pub fields: Option<Vec<Field>>,
    /// Declared with `...;` (or contains a `[...]` array or a partial struct): the
    /// layout must come from the C compiler.
    pub partial: bool,
    /// `0` (natural alignment), `1` (`packed=True` / `pack=1`) or the `pack=N` value.
    pub packed: u32,
    /// Made by `typedef ... foo;` (cffi's `origin == "unknown_type"`), or `FILE`.
    pub from_unknown_type: bool,
    /// Where it was defined (or first mentioned), for diagnostics.
    pub span: Option<Span>,
}

impl StructOrUnion {
    pub fn new(kind: StructKind, name: String, span: Option<Span>) -> Self {
        let c_name = format!("{} {}", kind.as_str(), name);
        StructOrUnion {
            kind,
            name,
            forcename: None,
            c_name,
            fields: None,
            partial: false,
            packed: 0,
            from_unknown_type: false,
            span,
        }
    }

    /// cffi's `force_the_name()`: set (or clear) the forced name and rebuild the C name.
    pub fn force_the_name(&mut self, forcename: Option<String>) {
        self.c_name = match &forcename {
            Some(name) => name.clone(),
            None => format!("{} {}", self.kind.as_str(), self.name),
        };
        self.forcename = forcename;
    }

    /// cffi's `has_c_name()`: the C name has no `$` (it can be written in C).
    pub fn has_c_name(&self) -> bool {
        !self.c_name.contains('$')
    }
}

/// An enum (cffi's `EnumType`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumType {
    /// The tag, or `$foo_t` / `$1` for anonymous enums (as for structs).
    pub name: String,
    /// cffi's `forcename`. Quirk kept from cffi: an enum never named by a typedef gets
    /// `$enum_<tag>` here while its C name stays `enum <tag>`.
    pub forcename: Option<String>,
    /// Official C name (`enum foo` or the typedef name).
    pub c_name: String,
    /// Enumerator names, in order. Empty for an opaque `enum foo;`.
    pub enumerators: Vec<String>,
    /// Their values (explicit or counted on from the previous one).
    pub values: Vec<i128>,
    /// Declared with `...` or `X = ...`: values come from the C compiler.
    pub partial: bool,
    pub span: Option<Span>,
}

impl EnumType {
    pub fn new(name: String, enumerators: Vec<String>, values: Vec<i128>, span: Option<Span>) -> Self {
        let c_name = format!("enum {name}");
        EnumType { name, forcename: None, c_name, enumerators, values, partial: false, span }
    }

    /// cffi's `EnumType.force_the_name()`, quirk included.
    pub fn force_the_name(&mut self, forcename: Option<String>) {
        self.c_name = match &forcename {
            Some(name) => name.clone(),
            None => format!("enum {}", self.name),
        };
        self.forcename = match forcename {
            Some(name) => Some(name),
            None => Some(format!("${}", self.c_name.replace(' ', "_"))),
        };
    }
}

impl Field {
    /// An ordinary (not bitfield, unqualified) field.
    pub fn new(name: impl Into<String>, ty: TypeId) -> Self {
        Field { name: name.into(), ty, bitsize: None, quals: Quals::NONE }
    }
}
