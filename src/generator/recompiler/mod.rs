//! The tables both emitters share (type table, globals, struct/union fields, enums,
//! typenames), built in the order and with the semantics of cffi's `recompiler.py`,
//! which `_cffi_backend` relies on (globals sorted for its binary search, struct and
//! enum indices matching their table positions).
//!
//! The work happens in cffi's three passes over the declarations sorted by key
//! (`"function foo"`, `"struct bar"`, ...): *collect types* (every type reachable from a
//! declaration), *type table* (opcode sequences, functions first), and *context* (the
//! entries of the other tables). The API-mode emitter adds a fourth pass, the C
//! declarations, in [`crate::generator::emit_c`].
//!
//! One file per pass: `collect.rs`, `type_table.rs` (opcodes in `tables.rs`), and the
//! context pass in `context.rs` (globals, typenames), `records.rs` (structs, unions) and
//! `enums.rs`.

mod collect;
mod context;
mod enums;
mod records;
pub mod tables;
mod type_table;

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;

/// An insertion-ordered map with a fast hash (keys are small ids).
pub type FxIndexMap<K, V> = IndexMap<K, V, FxBuildHasher>;

use crate::generator::model::{DeclId, DeclKey, DeclValue, Declaration, EnumId, Ffi, StructId, TypeId};
use tables::*;

/// Something cffi would refuse: its exception class and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub class: &'static str,
    pub message: String,
    /// The declaration being processed, to point at it.
    pub decl: Option<DeclId>,
    /// cffi raised it with a non-string argument (a type object), so its message
    /// does not get the declaration prefix.
    bare: bool,
}

impl Refusal {
    pub fn new(class: &'static str, message: impl Into<String>) -> Self {
        Refusal { class, message: message.into(), decl: None, bare: false }
    }
    /// An exception cffi raises with an object (not a string) as its argument.
    pub fn bare(class: &'static str, message: impl Into<String>) -> Self {
        Refusal { bare: true, ..Self::new(class, message) }
    }
    pub fn verification(message: impl Into<String>) -> Self {
        Self::new("VerificationError", message)
    }
    pub fn not_implemented(message: impl Into<String>) -> Self {
        Self::new("NotImplementedError", message)
    }
    pub fn type_error(message: impl Into<String>) -> Self {
        Self::new("TypeError", message)
    }
    /// cffi's `attach_exception_info`: prefix the declaration being processed.
    pub fn in_decl(mut self, id: DeclId, key: &DeclKey) -> Self {
        if !self.bare {
            self.message = format!("{key}: {}", self.message);
        }
        self.decl = Some(id);
        self
    }

    /// cffi's `VerificationError` for a type without a C name.
    pub fn unknown_type_name(e: crate::generator::model::UnknownTypeName) -> Self {
        Self::verification(e.to_string())
    }
}

pub type Result<T> = std::result::Result<T, Refusal>;

/// Sizes of `int` and `long` on the machine generating, which cffi uses to choose the
/// integer type of enums it cannot ask the compiler about.
const SIZEOF_INT: u32 = 4;
const SIZEOF_LONG: u32 = std::mem::size_of::<std::ffi::c_long>() as u32;

/// cffi's `Recompiler` after `collect_type_table()` and `collect_step_tables()`. It
/// reads the FFI's model and interns the types it derives into it.
pub struct Recompiler<'f> {
    pub ffi: &'f mut Ffi,
    /// The declarations in cffi's order (sorted by key).
    pub order: Vec<DeclId>,
    pub target_is_python: bool,
    pub module_name: String,
    /// Type → index in the type table (cffi's `_typesdict`).
    pub type_index: FxIndexMap<TypeId, usize>,
    pub type_ops: Vec<Op>,
    struct_index: FxIndexMap<StructId, usize>,
    enum_index: FxIndexMap<EnumId, usize>,
    pub globals: Vec<GlobalEntry>,
    pub fields: Vec<FieldEntry>,
    pub struct_unions: Vec<StructUnionEntry>,
    pub enums: Vec<EnumEntry>,
    pub typenames: Vec<TypenameEntry>,
    pub version: u32,
    seen_records: Vec<bool>,
    /// The modules of the FFIs this one includes (`_cffi_includes` / `_includes`).
    pub includes: Vec<String>,
}

/// A type-table slot: `None` until its opcode is known.
type Slot = Option<Op>;

/// The type of a declaration that has one (every kind but `macro`).
pub fn ty_of(d: &Declaration) -> TypeId {
    d.ty().expect("only macros have no type")
}

impl<'f> Recompiler<'f> {
    /// Run cffi's collect passes: the type table, then the other tables.
    pub fn new(ffi: &'f mut Ffi, module_name: &str, target_is_python: bool) -> Result<Self> {
        // Each declaration brings a few types of its own (raw functions, array lengths).
        ffi.reserve_types(ffi.declarations.len() + 64);
        let nrecords = ffi.structs.len();
        let mut r = Recompiler {
            order: ffi.sorted_declaration_ids(),
            ffi,
            target_is_python,
            module_name: module_name.to_string(),
            type_index: FxIndexMap::default(),
            type_ops: Vec::new(),
            struct_index: FxIndexMap::default(),
            enum_index: FxIndexMap::default(),
            globals: Vec::new(),
            fields: Vec::new(),
            struct_unions: Vec::new(),
            enums: Vec::new(),
            typenames: Vec::new(),
            version: VERSION_BASE,
            seen_records: vec![false; nrecords],
            includes: Vec::new(),
        };
        r.collect_type_table()?;
        r.collect_step_tables()?;
        Ok(r)
    }

    pub fn needs_version(&mut self, v: u32) {
        self.version = self.version.max(v);
    }
}

/// The order of `"<a>"` and `"<b>"` without building them: where one name is a
/// prefix of the other, the shorter one continues with `>`.
fn repr_order(a: &str, b: &str) -> std::cmp::Ordering {
    let common = a.len().min(b.len());
    match a.as_bytes()[..common].cmp(&b.as_bytes()[..common]) {
        std::cmp::Ordering::Equal => {
            let next = |s: &str| s.as_bytes().get(common).copied().unwrap_or(b'>');
            next(a).cmp(&next(b))
        }
        other => other,
    }
}

/// The pieces joined, in one allocation (cheaper than `format!` on hot paths).
fn concat(pieces: &[&str]) -> String {
    let mut s = String::with_capacity(pieces.iter().map(|p| p.len()).sum());
    for p in pieces {
        s.push_str(p);
    }
    s
}

/// What cffi ends with when a struct contains itself as an anonymous member.
fn recursion_error() -> Refusal {
    Refusal::new("RecursionError", "maximum recursion depth exceeded while calling a Python object")
}

/// The value of a `macro` declaration: known (`Some`) or found by the compiler.
pub fn macro_value(d: &Declaration) -> Option<i128> {
    match d.value {
        DeclValue::Integer(v) => Some(v),
        DeclValue::DotDotDot => None,
        DeclValue::Type(_) => unreachable!("a macro has no type"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::model::{
        ArrayLength, DeclKind, Field, FunctionType, Primitive, Quals, Span, StructKind, StructOrUnion, Type,
    };

    fn prim(ffi: &mut Ffi, p: Primitive) -> TypeId {
        ffi.primitive(p)
    }

    fn func(ffi: &mut Ffi, args: Vec<TypeId>, result: TypeId, ellipsis: bool) -> TypeId {
        ffi.intern(Type::FunctionPtr(FunctionType { args, result, ellipsis, abi: None }))
    }

    fn decl(ffi: &mut Ffi, kind: DeclKind, name: &str, ty: TypeId) {
        let key = DeclKey::new(kind, name);
        let span = Span { cdef: 0, start: 0, end: 0 };
        ffi.declarations
            .insert(key.clone(), Declaration { key, value: DeclValue::Type(ty), quals: Quals::NONE, span });
    }

    fn table(mut ffi: Ffi) -> String {
        ffi.seal_names();
        Recompiler::new(&mut ffi, "testmod", false).unwrap().type_table_debug()
    }

    // Expected strings are cffi's own, from its test_recompiler.py.
    #[test]
    fn repeated_pointer_args_use_noop() {
        let mut t = Ffi::default();
        let d = prim(&mut t, Primitive::Double);
        let pd = t.pointer(d, Quals::NONE);
        let f = func(&mut t, vec![pd, pd, d], d, false);
        decl(&mut t, DeclKind::Function, "sin", f);
        assert_eq!(table(t), "(FUNCTION 3)(POINTER 3)(NOOP 1)(PRIMITIVE 14)(FUNCTION_END 0)");
    }

    #[test]
    fn function_pointer_argument() {
        let mut t = Ffi::default();
        let i = prim(&mut t, Primitive::Int);
        let d = prim(&mut t, Primitive::Double);
        let fl = prim(&mut t, Primitive::Float);
        let inner = func(&mut t, vec![fl], d, false);
        let f = func(&mut t, vec![inner], i, false);
        decl(&mut t, DeclKind::Function, "sin", f);
        assert_eq!(
            table(t),
            "(FUNCTION 6)(PRIMITIVE 13)(FUNCTION_END 0)(FUNCTION 7)(POINTER 0)(FUNCTION_END 0)(PRIMITIVE 14)(PRIMITIVE 7)"
        );
    }

    #[test]
    fn variadic_function() {
        let mut t = Ffi::default();
        let i = prim(&mut t, Primitive::Int);
        let f = func(&mut t, vec![i], i, true);
        decl(&mut t, DeclKind::Function, "sin", f);
        assert_eq!(table(t), "(FUNCTION 1)(PRIMITIVE 7)(FUNCTION_END 1)(POINTER 0)");
    }

    #[test]
    fn struct_used_by_pointer() {
        let mut t = Ffi::default();
        let i = prim(&mut t, Primitive::Int);
        let l = prim(&mut t, Primitive::Long);
        let mut foo = StructOrUnion::new(StructKind::Struct, "foo_s".into(), None);
        foo.fields = Some(vec![Field::new("a", i), Field::new("b", l)]);
        t.structs.push(foo);
        let s = t.struct_type(StructId(0));
        let ps = t.pointer(s, Quals::NONE);
        let f = func(&mut t, vec![ps], i, false);
        decl(&mut t, DeclKind::Struct, "foo_s", s);
        decl(&mut t, DeclKind::Function, "f", f);
        assert_eq!(
            table(t),
            "(FUNCTION 3)(POINTER 5)(FUNCTION_END 0)(PRIMITIVE 7)(PRIMITIVE 9)(STRUCT_UNION 0)"
        );
    }

    #[test]
    fn global_array() {
        let mut t = Ffi::default();
        let i = prim(&mut t, Primitive::Int);
        let a = t.array(i, ArrayLength::Known(100));
        decl(&mut t, DeclKind::Variable, "a", a);
        assert_eq!(table(t), "(PRIMITIVE 7)(ARRAY 0)(None 100)");
    }
}
