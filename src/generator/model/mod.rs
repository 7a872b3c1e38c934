//! The type model of an FFI: types, declarations and layout facts, as cffi's `model.py`
//! and its parser's declaration table (`cparser.Parser._declarations`,
//! `_int_constants`) describe them. The cdef front end ([`crate::generator::cdef`]) builds it; the
//! recompiler and both emitters read it, and intern the types they derive into it.
//!
//! Conventions, all from cffi:
//! - [`Type`]s are interned ([`TypeId`]): equal types share an id; structs, unions and
//!   enums are equal by identity, through [`StructId`] / [`EnumId`] into the arenas of
//!   [`Ffi`].
//! - Declarations are keyed `"<kind> <name>"` ([`DeclKey`]); the recompiler walks them
//!   sorted by that string ([`Ffi::sorted_declarations`]).
//! - C names are rendered with cffi's `&` marker ([`Ffi::c_name_with_marker`],
//!   [`Ffi::get_c_name`]); a `$` in the result means "no C name" and is an error when
//!   generating C.

mod c_name;
mod records;
mod types;

use std::fmt;
use std::ops::Range;

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;

use crate::diagnostic::{Diagnostic, SourceFile};

pub use c_name::UnknownTypeName;
pub use records::{EnumType, Field, StructKind, StructOrUnion};
pub use types::{Abi, ArrayLength, FunctionType, Primitive, PrimitiveKind, Quals, Type, TypeId, Types};

/// Index of a struct or union in [`Ffi::structs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StructId(pub u32);

/// Index of an enum in [`Ffi::enums`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EnumId(pub u32);

/// A byte range in one of the cdefs of an FFI (index into [`Ffi::sources`]; offsets
/// relative to that cdef's text).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Span {
    pub cdef: u32,
    pub start: u32,
    pub end: u32,
}

/// Where a cdef's text sits in what the user wrote (a copy of
/// [`crate::spec::CdefSource::file`] and `offset`), so spans can be shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceRef {
    pub file: SourceFile,
    pub offset: usize,
}

/// The kind part of a declaration key (cffi's `_declarations` key prefix).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DeclKind {
    /// `anonymous foo_t`: a struct/union/enum without tag, named by a typedef (or
    /// `$enum_$1` for an anonymous enum nobody named).
    Anonymous,
    /// `static const int X;` (no value known at parse time) and other `const` globals.
    Constant,
    /// A function of an `ffi.embedding_api()` (not produced by `cdef()`).
    DllexportPython,
    Enum,
    /// A function in an `extern "Python"` block.
    ExternPython,
    /// A function in an `extern "Python+C"` block.
    ExternPythonPlusC,
    Function,
    /// `#define X 42` / `#define X ...` / an integer `static const` with an initializer.
    Macro,
    Struct,
    Typedef,
    Union,
    /// A global variable.
    Variable,
}

impl DeclKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DeclKind::Anonymous => "anonymous",
            DeclKind::Constant => "constant",
            DeclKind::DllexportPython => "dllexport_python",
            DeclKind::Enum => "enum",
            DeclKind::ExternPython => "extern_python",
            DeclKind::ExternPythonPlusC => "extern_python_plus_c",
            DeclKind::Function => "function",
            DeclKind::Macro => "macro",
            DeclKind::Struct => "struct",
            DeclKind::Typedef => "typedef",
            DeclKind::Union => "union",
            DeclKind::Variable => "variable",
        }
    }
}

impl fmt::Display for DeclKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A declaration key, displayed as cffi spells it: `"function foo"`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DeclKey {
    pub kind: DeclKind,
    pub name: String,
}

impl DeclKey {
    pub fn new(kind: DeclKind, name: impl Into<String>) -> Self {
        DeclKey { kind, name: name.into() }
    }
}

/// A borrowed [`DeclKey`] for lookups without allocating (hashes like `DeclKey`).
#[derive(Hash)]
struct DeclKeyRef<'a> {
    kind: DeclKind,
    name: &'a str,
}

impl indexmap::Equivalent<DeclKey> for DeclKeyRef<'_> {
    fn equivalent(&self, key: &DeclKey) -> bool {
        self.kind == key.kind && self.name == key.name
    }
}

impl fmt::Display for DeclKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.name)
    }
}

/// Index of a declaration in [`Ffi::declarations`] (stable: a redefinition with
/// `override` keeps the index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeclId(pub u32);

/// What a declaration stands for (the first half of cffi's `(obj, quals)` pairs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeclValue {
    /// Every kind except [`DeclKind::Macro`].
    Type(TypeId),
    /// `macro`: an integer known at parse time (`#define X 42`,
    /// `static const int X = 42;`).
    Integer(i128),
    /// `macro`: `#define X ...`, value found by the C compiler.
    DotDotDot,
}

/// One entry of the declaration table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Declaration {
    pub key: DeclKey,
    pub value: DeclValue,
    /// Qualifiers of the declared object (`const` for constants, a typedef's
    /// qualifiers, ...).
    pub quals: Quals,
    /// The declaration in the cdef, for diagnostics.
    pub span: Span,
}

impl Declaration {
    pub fn kind(&self) -> DeclKind {
        self.key.kind
    }

    pub fn name(&self) -> &str {
        &self.key.name
    }

    /// The declared type (every kind but `macro`).
    pub fn ty(&self) -> Option<TypeId> {
        match self.value {
            DeclValue::Type(t) => Some(t),
            _ => None,
        }
    }
}

/// Everything the cdefs of one FFI declare.
#[derive(Clone, Debug, Default)]
pub struct Ffi {
    /// Every type, interned.
    pub types: Types,
    /// Their C spellings, once the names are final.
    spellings: c_name::Spellings,
    /// Struct and union arena ([`StructId`] indexes it).
    pub structs: Vec<StructOrUnion>,
    /// Enum arena ([`EnumId`] indexes it).
    pub enums: Vec<EnumType>,
    /// cffi's `_declarations`, in insertion order.
    pub declarations: IndexMap<DeclKey, Declaration, FxBuildHasher>,
    /// cffi's `_int_constants`: every integer constant known at parse time (macros,
    /// integer `static const`, enumerators), in insertion order.
    pub int_constants: IndexMap<String, i128, FxBuildHasher>,
    /// cffi's `_uses_new_feature`: the first `typedef int... x` / `typedef float... x`
    /// seen (`"'typedef int... x'"`); ABI mode refuses these.
    pub uses_new_feature: Option<String>,
    /// Warnings cffi would issue with `warnings.warn` while parsing.
    pub warnings: Vec<Diagnostic>,
    /// The cdefs spans point into, in the order given to `parse`.
    pub sources: Vec<SourceRef>,
    /// cffi's `_included_declarations`: the types that `ffi.include()` brought in (its
    /// structs, unions, enums and typedefs). Included structs are the other module's:
    /// this one lists them as external, without their fields.
    pub included: rustc_hash::FxHashSet<TypeId>,
}

impl Ffi {
    /// The id of `ty`, interned (and spelled, once the names are final).
    pub fn intern(&mut self, ty: Type) -> TypeId {
        let (id, new) = self.types.insert(ty);
        if new {
            self.spell_new_types();
        }
        id
    }

    /// Room for about `n` more types.
    pub fn reserve_types(&mut self, n: usize) {
        self.types.reserve(n);
    }

    pub fn ty(&self, id: TypeId) -> &Type {
        &self.types[id]
    }

    pub fn primitive(&mut self, p: Primitive) -> TypeId {
        self.intern(Type::Primitive(p))
    }

    pub fn void(&mut self) -> TypeId {
        self.intern(Type::Void)
    }

    pub fn pointer(&mut self, to: TypeId, quals: Quals) -> TypeId {
        self.intern(Type::Pointer { to, quals })
    }

    pub fn array(&mut self, item: TypeId, length: ArrayLength) -> TypeId {
        self.intern(Type::Array { item, length })
    }

    /// The type of a struct or union.
    pub fn struct_type(&mut self, id: StructId) -> TypeId {
        self.intern(Type::StructOrUnion(id))
    }

    /// The type of an enum.
    pub fn enum_type(&mut self, id: EnumId) -> TypeId {
        self.intern(Type::Enum(id))
    }

    /// cffi's `FunctionPtrType.as_raw_function()` (other types are returned as they are).
    pub fn as_raw_function(&mut self, id: TypeId) -> TypeId {
        if let Some(raw) = self.types.raw_of(id) {
            return raw;
        }
        match &self.types[id] {
            Type::FunctionPtr(f) => {
                let raw = self.intern(Type::RawFunction(f.clone()));
                self.types.remember_raw(id, raw);
                raw
            }
            _ => id,
        }
    }

    /// cffi's `RawFunctionType.as_function_pointer()` (other types are returned as
    /// they are).
    pub fn as_function_pointer(&mut self, id: TypeId) -> TypeId {
        match &self.types[id] {
            Type::RawFunction(f) => self.intern(Type::FunctionPtr(f.clone())),
            _ => id,
        }
    }

    /// The function type of a raw function or function pointer type.
    pub fn function(&self, id: TypeId) -> Option<&FunctionType> {
        self.types[id].function()
    }

    pub fn struct_(&self, id: StructId) -> &StructOrUnion {
        &self.structs[id.0 as usize]
    }

    pub fn struct_mut(&mut self, id: StructId) -> &mut StructOrUnion {
        &mut self.structs[id.0 as usize]
    }

    pub fn enum_(&self, id: EnumId) -> &EnumType {
        &self.enums[id.0 as usize]
    }

    pub fn enum_mut(&mut self, id: EnumId) -> &mut EnumType {
        &mut self.enums[id.0 as usize]
    }

    pub fn struct_ids(&self) -> impl Iterator<Item = StructId> {
        (0..self.structs.len() as u32).map(StructId)
    }

    pub fn enum_ids(&self) -> impl Iterator<Item = EnumId> {
        (0..self.enums.len() as u32).map(EnumId)
    }

    /// Look up `"<kind> <name>"`.
    pub fn declaration(&self, kind: DeclKind, name: &str) -> Option<&Declaration> {
        self.declarations.get(&DeclKeyRef { kind, name })
    }

    /// The id of `"<kind> <name>"`.
    pub fn declaration_id(&self, kind: DeclKind, name: &str) -> Option<DeclId> {
        self.declarations.get_index_of(&DeclKeyRef { kind, name }).map(|i| DeclId(i as u32))
    }

    pub fn decl(&self, id: DeclId) -> &Declaration {
        &self.declarations[id.0 as usize]
    }

    /// The declarations in the order cffi's recompiler visits them: sorted by the key
    /// string `"<kind> <name>"`.
    pub fn sorted_declaration_ids(&self) -> Vec<DeclId> {
        let mut ids: Vec<DeclId> = (0..self.declarations.len() as u32).map(DeclId).collect();
        // Comparing (kind, name) gives the order of the key strings: a kind that is a
        // prefix of another is followed by a space there.
        ids.sort_by(|a, b| {
            let (a, b) = (&self.decl(*a).key, &self.decl(*b).key);
            (a.kind.as_str(), &a.name).cmp(&(b.kind.as_str(), &b.name))
        });
        ids
    }

    /// [`Ffi::sorted_declaration_ids`], as the declarations.
    pub fn sorted_declarations(&self) -> Vec<&Declaration> {
        self.sorted_declaration_ids().into_iter().map(|id| self.decl(id)).collect()
    }

    /// cffi's `StructOrUnion.enumfields(expand_anonymous_struct_union)`: the fields,
    /// with nested anonymous structs/unions flattened into their members when
    /// `expand` is set (what the C emitter wants; the Python emitter does not). An
    /// opaque struct has no fields.
    ///
    /// A struct that contains itself as an anonymous member (accepted by cffi's parser,
    /// refused later when its layout is computed) is not expanded into itself.
    pub fn enumfields(&self, id: StructId, expand: bool) -> Vec<Field> {
        let mut out = Vec::new();
        let mut open = vec![id];
        self.collect_fields(id, expand, &mut open, &mut out);
        out
    }

    fn collect_fields(&self, id: StructId, expand: bool, open: &mut Vec<StructId>, out: &mut Vec<Field>) {
        for field in self.struct_(id).fields.iter().flatten() {
            match self.types[field.ty].struct_id() {
                Some(inner) if expand && field.name.is_empty() && !open.contains(&inner) => {
                    open.push(inner);
                    self.collect_fields(inner, true, open, out);
                    open.pop();
                }
                _ => out.push(field.clone()),
            }
        }
    }

    /// The user's file and the absolute byte range of a span, for a diagnostic label.
    pub fn span_location(&self, span: Span) -> Option<(&SourceFile, Range<usize>)> {
        let src = self.sources.get(span.cdef as usize)?;
        Some((&src.file, src.offset + span.start as usize..src.offset + span.end as usize))
    }

    /// Convenience: a diagnostic label at `span`.
    /// Whether `ty` came from an included FFI.
    pub fn is_included(&self, ty: TypeId) -> bool {
        self.included.contains(&ty)
    }

    pub fn label(&self, diagnostic: Diagnostic, span: Span, message: impl Into<String>) -> Diagnostic {
        match self.span_location(span) {
            Some((file, range)) => diagnostic.with_label(file, range, message),
            None => diagnostic,
        }
    }
}
