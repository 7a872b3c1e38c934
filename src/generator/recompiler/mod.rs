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

pub mod tables;

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use smallvec::SmallVec;

/// An insertion-ordered map with a fast hash (keys are small ids).
pub type FxIndexMap<K, V> = IndexMap<K, V, FxBuildHasher>;

use crate::generator::model::{
    Abi, ArrayLength, DeclId, DeclKey, DeclKind, DeclValue, Declaration, EnumId, Ffi, Field, FunctionType,
    Quals, StructId, StructKind, Type, TypeId,
};
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
        };
        r.collect_type_table()?;
        r.collect_step_tables()?;
        Ok(r)
    }

    pub fn needs_version(&mut self, v: u32) {
        self.version = self.version.max(v);
    }

    // ---------------------------------------------------------------- types

    /// cffi's `_enum_fields`: C expands anonymous members to check their fields;
    /// Python keeps them as one unnamed field.
    pub fn enum_fields(&self, rec: StructId) -> Result<Vec<Field>> {
        let expand = !self.target_is_python;
        let mut out = Vec::new();
        self.push_fields(rec, expand, &mut vec![rec], &mut out)?;
        Ok(out)
    }

    /// `open`: the records being expanded. cffi's parser accepts a struct redefined
    /// inside its own body; expanding it never ends, and cffi fails with Python's
    /// recursion error, as we do.
    fn push_fields(
        &self,
        rec: StructId,
        expand: bool,
        open: &mut Vec<StructId>,
        out: &mut Vec<Field>,
    ) -> Result<()> {
        let Some(fields) = &self.ffi.struct_(rec).fields else { return Ok(()) };
        for f in fields {
            match self.ffi.ty(f.ty) {
                Type::StructOrUnion(inner) if f.name.is_empty() && expand => {
                    if open.contains(inner) {
                        return Err(recursion_error());
                    }
                    open.push(*inner);
                    self.push_fields(*inner, true, open, out)?;
                    open.pop();
                }
                _ => out.push(f.clone()),
            }
        }
        Ok(())
    }

    /// cffi's `_field_type`: `[...]` array lengths become compiler expressions.
    pub fn field_type(&mut self, rec: StructId, field_name: &str, ty: TypeId) -> Result<TypeId> {
        if let Type::Array { item, length } = self.ffi.ty(ty) {
            let (item, length) = (*item, length.clone());
            let length = if length == ArrayLength::DotDotDot {
                let rec_ty = self.ffi.struct_type(rec);
                let ptr = self
                    .ffi
                    .get_c_name(rec_ty, "*", "a C file", Quals::NONE)
                    .map_err(Refusal::unknown_type_name)?;
                ArrayLength::CExpr(format!("_cffi_array_len((({ptr})0)->{field_name})"))
            } else {
                length
            };
            let item = self.field_type(rec, &format!("{field_name}[0]"), item)?;
            return Ok(self.ffi.array(item, length));
        }
        Ok(ty)
    }

    /// cffi's `_global_type`: the same for globals (and typedefs).
    pub fn global_type(&mut self, ty: TypeId, global_name: &str) -> TypeId {
        if let Type::Array { item, length } = self.ffi.ty(ty) {
            let (item, length) = (*item, length.clone());
            let length = if length == ArrayLength::DotDotDot {
                ArrayLength::CExpr(format!("_cffi_array_len({global_name})"))
            } else {
                length
            };
            let item = self.global_type(item, &format!("{global_name}[0]"));
            return self.ffi.array(item, length);
        }
        ty
    }

    fn typedef_type(&mut self, ty: TypeId, name: &str) -> TypeId {
        if !matches!(self.ffi.ty(ty), Type::Array { .. }) {
            return ty;
        }
        self.global_type(ty, &format!("(*({name} *)0)"))
    }

    fn collect(&mut self, seen: &mut FxIndexMap<TypeId, ()>, ty: TypeId) -> Result<()> {
        if seen.contains_key(&ty) {
            return Ok(());
        }
        seen.insert(ty, ());
        match self.ffi.ty(ty) {
            Type::FunctionPtr(_) => {
                let raw = self.ffi.as_raw_function(ty);
                self.collect(seen, raw)?;
            }
            &Type::StructOrUnion(rec) => {
                if self.ffi.struct_(rec).fields.is_some() {
                    for f in self.enum_fields(rec)? {
                        let ft = self.field_type(rec, &f.name, f.ty)?;
                        self.collect(seen, ft)?;
                    }
                }
            }
            Type::RawFunction(sig) => {
                let args: SmallVec<[TypeId; 8]> = sig.args.iter().copied().collect();
                let result = sig.result;
                for a in args {
                    self.collect(seen, a)?;
                }
                self.collect(seen, result)?;
            }
            &Type::Pointer { to, .. } | &Type::NamedPointer { to, .. } => self.collect(seen, to)?,
            &Type::Array { item, .. } => self.collect(seen, item)?,
            Type::Void
            | Type::Primitive(_)
            | Type::UnknownInteger(_)
            | Type::UnknownFloat(_)
            | Type::Enum(_) => {}
        }
        Ok(())
    }

    fn collect_struct(&mut self, seen: &mut FxIndexMap<TypeId, ()>, ty: TypeId) -> Result<()> {
        self.collect_struct_in(seen, ty, &mut Vec::new())
    }

    fn collect_struct_in(
        &mut self,
        seen: &mut FxIndexMap<TypeId, ()>,
        ty: TypeId,
        open: &mut Vec<StructId>,
    ) -> Result<()> {
        self.collect(seen, ty)?;
        if self.target_is_python {
            // ABI mode lists nested anonymous structs as types of their own.
            if let Type::StructOrUnion(rec) = *self.ffi.ty(ty) {
                if open.contains(&rec) {
                    return Err(recursion_error());
                }
                open.push(rec);
                let anon: Vec<StructId> = self.anonymous_members(rec).collect();
                for inner in anon {
                    let t = self.ffi.struct_type(inner);
                    self.collect_struct_in(seen, t, open)?;
                }
                open.pop();
            }
        }
        Ok(())
    }

    /// The nested anonymous structs/unions of a struct (cffi's
    /// `anonymous_struct_fields()`).
    fn anonymous_members(&self, rec: StructId) -> impl Iterator<Item = StructId> + '_ {
        self.ffi.struct_(rec).fields.iter().flatten().filter_map(move |f| match self.ffi.ty(f.ty) {
            Type::StructOrUnion(r) if f.name.is_empty() => Some(*r),
            _ => None,
        })
    }

    fn collect_decl_types(&mut self, seen: &mut FxIndexMap<TypeId, ()>, d: &Declaration) -> Result<()> {
        let python = self.target_is_python;
        match d.kind() {
            DeclKind::Typedef => {
                let t = self.typedef_type(ty_of(d), d.name());
                self.collect(seen, t)?;
            }
            DeclKind::Function => {
                let raw = self.ffi.as_raw_function(ty_of(d));
                self.collect(seen, raw)?;
                if self.func_sig(ty_of(d)).ellipsis && !python {
                    self.collect(seen, ty_of(d))?;
                }
            }
            DeclKind::Struct | DeclKind::Union => self.collect_struct(seen, ty_of(d))?,
            DeclKind::Anonymous => {
                if matches!(self.ffi.ty(ty_of(d)), Type::Enum(_)) {
                    self.collect(seen, ty_of(d))?;
                } else {
                    self.collect_struct(seen, ty_of(d))?;
                }
            }
            DeclKind::Constant => {
                if !self.ffi.ty(ty_of(d)).is_integer_type() || python {
                    self.collect(seen, ty_of(d))?;
                }
            }
            DeclKind::Enum => self.collect(seen, ty_of(d))?,
            DeclKind::Macro => {}
            DeclKind::Variable => {
                let t = self.global_type(ty_of(d), d.name());
                self.collect(seen, t)?;
            }
            DeclKind::ExternPython | DeclKind::ExternPythonPlusC | DeclKind::DllexportPython => {
                self.collect(seen, ty_of(d))?
            }
        }
        Ok(())
    }

    pub fn func_sig(&self, ty: TypeId) -> &FunctionType {
        match self.ffi.function(ty) {
            Some(f) => f,
            None => panic!("not a function type: {:?}", self.ffi.ty(ty)),
        }
    }

    /// Run `pass` over the declarations in cffi's order, naming the declaration in
    /// what it refuses (the declarations are lent out meanwhile).
    pub fn each_declaration(
        &mut self,
        mut pass: impl FnMut(&mut Self, &Declaration) -> Result<()>,
    ) -> Result<()> {
        let decls = std::mem::take(&mut self.ffi.declarations);
        let order = std::mem::take(&mut self.order);
        let result = order.iter().try_for_each(|&id| {
            let d = &decls[id.0 as usize];
            pass(self, d).map_err(|e| e.in_decl(id, &d.key))
        });
        self.ffi.declarations = decls;
        self.order = order;
        result
    }

    fn collect_type_table(&mut self) -> Result<()> {
        let mut seen = FxIndexMap::default();
        self.each_declaration(|r, d| r.collect_decl_types(&mut seen, d))?;
        // cffi sorts by `str(tp)`, i.e. `repr(tp)`: `<c name>` (the closing `>` matters:
        // `<int const *>` sorts before `<int>`). Stable: ties keep discovery order.
        let mut all: Vec<TypeId> = seen.keys().copied().collect();
        // Unstable sort with the discovery position as the tie-break: the same order
        // as a stable sort, and faster.
        let mut keyed: Vec<(usize, TypeId)> = all.iter().copied().enumerate().collect();
        keyed.sort_unstable_by(|&(i, a), &(j, b)| {
            repr_order(&self.ffi.c_name(a), &self.ffi.c_name(b)).then(i.cmp(&j))
        });
        all.clear();
        all.extend(keyed.into_iter().map(|(_, t)| t));

        // One slot per type, plus the arguments and end marker of each function type.
        let mut slots: Vec<Slot> = Vec::with_capacity(2 * all.len());
        let mut index: FxIndexMap<TypeId, usize> = FxIndexMap::default();
        // Function signatures first, each followed by its arguments.
        for &t in &all {
            if let Type::RawFunction(sig) = self.ffi.ty(t) {
                index.insert(t, slots.len());
                slots.push(None);
                for &a in &sig.args {
                    index.entry(a).or_insert(slots.len());
                    slots.push(None);
                }
                slots.push(None);
            }
        }
        for &t in &all {
            if !matches!(self.ffi.ty(t), Type::RawFunction(_)) && !index.contains_key(&t) {
                index.insert(t, slots.len());
                slots.push(None);
                if let Type::Array { length, .. } = self.ffi.ty(t) {
                    if *length != ArrayLength::Unspecified {
                        slots.push(None);
                    }
                }
            }
        }
        // Structs/unions and enums are numbered in name order.
        let mut recs: Vec<StructId> = Vec::new();
        let mut enums: Vec<EnumId> = Vec::new();
        for &t in &all {
            match self.ffi.ty(t) {
                Type::StructOrUnion(r) => recs.push(*r),
                Type::Enum(e) => enums.push(*e),
                _ => {}
            }
        }
        recs.sort_by(|a, b| self.ffi.struct_(*a).name.cmp(&self.ffi.struct_(*b).name));
        enums.sort_by(|a, b| self.ffi.enum_(*a).name.cmp(&self.ffi.enum_(*b).name));
        self.struct_index = recs.iter().enumerate().map(|(i, r)| (*r, i)).collect();
        self.enum_index = enums.iter().enumerate().map(|(i, e)| (*e, i)).collect();
        // Reorder the index map to the sorted type order (matters only for ties).
        self.type_index = all.iter().map(|t| (*t, index[t])).collect();

        for &t in &all {
            let i = self.type_index[&t];
            self.emit_type_op(&mut slots, t, i)?;
        }
        self.type_ops = slots.into_iter().map(|s| s.expect("every type-table slot is filled")).collect();
        Ok(())
    }

    fn emit_type_op(&mut self, slots: &mut [Slot], t: TypeId, i: usize) -> Result<()> {
        let raw = match self.ffi.ty(t) {
            Type::FunctionPtr(_) => self.ffi.as_raw_function(t),
            _ => t,
        };
        let op = match self.ffi.ty(t) {
            Type::Void => Op::new(OP_PRIMITIVE, PRIM_VOID),
            Type::Primitive(p) => Op::new(OP_PRIMITIVE, p.cffi_index() as i64),
            Type::UnknownInteger(name) => Op {
                op: Some(OP_PRIMITIVE),
                arg: OpArg::Expr(format!(
                    "_cffi_prim_int(sizeof({name}), (\n           (({name})-1) | 0 /* check that {name} is an integer type */\n         ) <= 0)"
                )),
            },
            Type::UnknownFloat(name) => Op {
                op: Some(OP_PRIMITIVE),
                arg: OpArg::Expr(format!(
                    "_cffi_prim_float(sizeof({name}) *\n           ((({name})1) / 2) * 2 /* integer => 0, float => 1 */\n         )"
                )),
            },
            Type::RawFunction(sig) => {
                let mut idx = i + 1;
                for &a in &sig.args {
                    let real = self.type_index[&a];
                    if idx != real {
                        slots[idx] = Some(match self.ffi.ty(a) {
                            Type::Primitive(p) => Op::new(OP_PRIMITIVE, p.cffi_index() as i64),
                            _ => Op::new(OP_NOOP, real as i64),
                        });
                    }
                    idx += 1;
                }
                let mut flags = sig.ellipsis as i64;
                match sig.abi {
                    None => {}
                    Some(Abi::Stdcall) => flags |= 2,
                }
                slots[idx] = Some(Op::new(OP_FUNCTION_END, flags));
                Op::new(OP_FUNCTION, self.type_index[&sig.result] as i64)
            }
            Type::Pointer { to, .. } | Type::NamedPointer { to, .. } => Op::new(OP_POINTER, self.type_index[to] as i64),
            Type::FunctionPtr(_) => Op::new(OP_POINTER, self.type_index[&raw] as i64),
            Type::Array { item, length } => {
                let item_index = self.type_index[item] as i64;
                match length {
                    ArrayLength::Unspecified => Op::new(OP_OPEN_ARRAY, item_index),
                    ArrayLength::DotDotDot => {
                        return Err(Refusal::verification(format!(
                            "type {} badly placed: the '...' array length can only be used on global arrays or on fields of structures",
                            self.ffi.c_name(t).replace("/*...*/", "...")
                        )))
                    }
                    ArrayLength::Known(n) => {
                        slots[i + 1] = Some(Op { op: None, arg: OpArg::Expr(n.to_string()) });
                        Op::new(OP_ARRAY, item_index)
                    }
                    ArrayLength::CExpr(e) => {
                        slots[i + 1] = Some(Op { op: None, arg: OpArg::Expr(e.clone()) });
                        Op::new(OP_ARRAY, item_index)
                    }
                }
            }
            Type::StructOrUnion(r) => Op::new(OP_STRUCT_UNION, self.struct_index[r] as i64),
            Type::Enum(e) => Op::new(OP_ENUM, self.enum_index[e] as i64),
        };
        slots[i] = Some(op);
        Ok(())
    }

    /// The type table as cffi's `check_type_table` prints it (tests).
    #[cfg(test)]
    pub fn type_table_debug(&self) -> String {
        self.type_ops.iter().map(Op::debug_str).collect()
    }

    // ---------------------------------------------------------------- context

    fn collect_step_tables(&mut self) -> Result<()> {
        // Most declarations are globals (functions, variables, constants): one allocation.
        self.globals.reserve(self.order.len());
        self.each_declaration(|r, d| r.decl_ctx(d))?;
        self.add_missing_struct_unions()?;
        self.globals.sort_by(|a, b| a.name.cmp(&b.name));
        self.struct_unions.sort_by(|a, b| a.name.cmp(&b.name));
        self.enums.sort_by(|a, b| a.name.cmp(&b.name));
        self.typenames.sort_by(|a, b| a.name.cmp(&b.name));
        debug_assert_eq!(self.struct_unions.len(), self.struct_index.len());
        debug_assert_eq!(self.enums.len(), self.enum_index.len());
        Ok(())
    }

    fn decl_ctx(&mut self, d: &Declaration) -> Result<()> {
        let python = self.target_is_python;
        match d.kind() {
            DeclKind::Typedef => {
                let t = self.typedef_type(ty_of(d), d.name());
                self.typenames
                    .push(TypenameEntry { name: d.name().to_string(), type_index: self.type_index[&t] });
                match self.ffi.ty(t).clone() {
                    Type::StructOrUnion(r) if self.ffi.struct_(r).from_unknown_type => {
                        let name = self.ffi.struct_(r).name.clone();
                        self.struct_ctx(r, Some(&name), None, None)?;
                    }
                    Type::NamedPointer { to, name } => {
                        if let Type::StructOrUnion(r) = *self.ffi.ty(to) {
                            let rname = self.ffi.struct_(r).name.clone();
                            self.struct_ctx(r, Some(&rname), Some(&name), Some(&name))?;
                        }
                    }
                    _ => {}
                }
            }
            DeclKind::Function => {
                let ty = ty_of(d);
                let (ellipsis, nargs) = (self.func_sig(ty).ellipsis, self.func_sig(ty).args.len());
                if ellipsis && !python {
                    return self.constant_ctx(ty, d.name());
                }
                let raw = self.ffi.as_raw_function(ty);
                let kind = if python {
                    OP_DLOPEN_FUNC
                } else {
                    match nargs {
                        0 => OP_CPYTHON_BLTN_N,
                        1 => OP_CPYTHON_BLTN_O,
                        _ => OP_CPYTHON_BLTN_V,
                    }
                };
                self.globals.push(GlobalEntry {
                    name: d.name().to_string(),
                    kind: GlobalKind::Function,
                    type_op: Op::new(kind, self.type_index[&raw] as i64),
                    check_value: Some(0),
                });
            }
            DeclKind::Struct | DeclKind::Union => {
                let Type::StructOrUnion(r) = *self.ffi.ty(ty_of(d)) else { unreachable!() };
                let (cname, approx) = self.struct_names(ty_of(d))?;
                self.struct_ctx(r, Some(&cname), Some(&approx), None)?;
            }
            DeclKind::Anonymous => match *self.ffi.ty(ty_of(d)) {
                Type::Enum(e) => self.enum_ctx(e, d.name())?,
                Type::StructOrUnion(r) => {
                    self.struct_ctx(r, Some(d.name()), Some(&format!("typedef_{}", d.name())), None)?
                }
                _ => unreachable!("anonymous declaration of a non-struct"),
            },
            DeclKind::Constant => self.constant_ctx(ty_of(d), d.name())?,
            DeclKind::Enum => {
                let Type::Enum(e) = *self.ffi.ty(ty_of(d)) else { unreachable!() };
                let cname = self.ffi.c_name(ty_of(d)).into_owned();
                self.enum_ctx(e, &cname)?;
            }
            DeclKind::Macro => {
                let value = macro_value(d);
                if value.is_none() && python {
                    return Err(Refusal::verification(format!(
                        "cannot use the syntax '...' in '#define {} ...' when using the ABI mode",
                        d.name()
                    )));
                }
                self.globals.push(GlobalEntry {
                    name: d.name().to_string(),
                    kind: GlobalKind::Constant,
                    type_op: Op::new(OP_CONSTANT_INT, -1),
                    check_value: value,
                });
            }
            DeclKind::Variable => {
                let t = self.global_type(ty_of(d), d.name());
                let op = if python { OP_GLOBAL_VAR } else { OP_GLOBAL_VAR_F };
                self.globals.push(GlobalEntry {
                    name: d.name().to_string(),
                    kind: GlobalKind::Variable,
                    type_op: Op::new(op, self.type_index[&t] as i64),
                    check_value: Some(0),
                });
            }
            DeclKind::ExternPython | DeclKind::ExternPythonPlusC | DeclKind::DllexportPython => {
                if python {
                    return Err(Refusal::verification("cannot use 'extern \"Python\"' in the ABI mode"));
                }
                if self.func_sig(ty_of(d)).ellipsis {
                    return Err(Refusal::not_implemented("a vararg function is extern \"Python\""));
                }
                self.globals.push(GlobalEntry {
                    name: d.name().to_string(),
                    kind: GlobalKind::ExternPython,
                    type_op: Op::new(OP_EXTERN_PYTHON, self.type_index[&ty_of(d)] as i64),
                    check_value: Some(0),
                });
            }
        }
        Ok(())
    }

    /// cffi's `_struct_names`: the C name and a C-identifier-friendly variant.
    pub fn struct_names(&self, ty: TypeId) -> Result<(String, String)> {
        let cname =
            self.ffi.get_c_name(ty, "", "a C file", Quals::NONE).map_err(Refusal::unknown_type_name)?;
        let approx = if cname.contains(' ') { cname.replace(' ', "_") } else { format!("_{cname}") };
        Ok((cname, approx))
    }

    fn constant_ctx(&mut self, ty: TypeId, name: &str) -> Result<()> {
        let type_op = if !self.target_is_python && self.ffi.ty(ty).is_integer_type() {
            Op::new(OP_CONSTANT_INT, -1)
        } else {
            let kind = if self.target_is_python { OP_DLOPEN_CONST } else { OP_CONSTANT };
            Op::new(kind, self.type_index[&ty] as i64)
        };
        self.globals.push(GlobalEntry {
            name: name.to_string(),
            kind: GlobalKind::Constant,
            type_op,
            check_value: Some(0),
        });
        Ok(())
    }

    fn check_not_opaque(&self, mut ty: TypeId, location: impl FnOnce() -> String) -> Result<()> {
        while let Type::Array { item, .. } = self.ffi.ty(ty) {
            ty = *item;
        }
        if let Type::StructOrUnion(rec) = *self.ffi.ty(ty) {
            if self.ffi.struct_(rec).fields.is_none() {
                return Err(Refusal::type_error(format!(
                    "{} is of an opaque type (not declared in cdef())",
                    location()
                )));
            }
        }
        Ok(())
    }

    /// cffi's `_struct_ctx`. `cname == None` is an anonymous struct only reachable
    /// through other types; `named_ptr` a `typedef ... *name;`.
    fn struct_ctx(
        &mut self,
        rec: StructId,
        cname: Option<&str>,
        approxname: Option<&str>,
        named_ptr: Option<&str>,
    ) -> Result<()> {
        let ty = self.ffi.struct_type(rec);
        let type_index = self.type_index[&ty];
        let record = self.ffi.struct_(rec);
        let record_name = record.name.clone();
        let mut flags = 0;
        let mut reason: Option<&'static str> = None;
        if record.kind == StructKind::Union {
            flags |= F_UNION;
        }
        if record.fields.is_none() {
            flags |= F_OPAQUE;
            reason = Some("opaque");
        }
        if record.fields.is_some() && !record.partial && self.anonymous_members(rec).next().is_none() {
            flags |= F_CHECK_FIELDS;
        }
        if record.packed != 0 {
            if record.packed > 1 {
                return Err(Refusal::not_implemented(format!(
                    "{} is declared with 'pack={}'; only 0 or 1 are supported in API mode (try to use \"...;\", which does not require a 'pack' declaration)",
                    self.ffi.repr(ty),
                    record.packed
                )));
            }
            flags |= F_PACKED;
        }
        let mut c_fields = Vec::new();
        let entry = if reason.is_none() {
            // The struct's C spellings the field expressions need (`T *` for sizes, `T`
            // for offsets): computed at the first field that needs them, not per field.
            let mut ptr_decl: Option<String> = named_ptr.map(str::to_string);
            let mut plain_decl: Option<String> = None;
            for f in self.enum_fields(rec)? {
                let fty = self.field_type(rec, &f.name, f.ty)?;
                self.check_not_opaque(fty, || format!("field '{}.{}'", record_name, f.name))?;
                let bitsize = f.cffi_bitsize() as i64;
                let bitfield = bitsize >= 0;
                let op = if bitfield { OP_BITFIELD } else { OP_NOOP };
                let open_array =
                    matches!(self.ffi.ty(fty), Type::Array { length: ArrayLength::Unspecified, .. });
                // (the C expressions of size and offset mean nothing to ABI mode)
                let size = if self.target_is_python {
                    String::new()
                } else if bitfield {
                    format!("{bitsize} /* bits */")
                } else if cname.is_none() || open_array {
                    "(size_t)-1".to_string()
                } else {
                    if ptr_decl.is_none() {
                        ptr_decl = Some(
                            self.ffi
                                .get_c_name(ty, "*", "a C file", Quals::NONE)
                                .map_err(Refusal::unknown_type_name)?,
                        );
                    }
                    concat(&["sizeof(((", ptr_decl.as_deref().unwrap_or_default(), ")0)->", &f.name, ")"])
                };
                let offset = if self.target_is_python {
                    String::new()
                } else if cname.is_none() || bitfield {
                    "(size_t)-1".to_string()
                } else if let Some(n) = named_ptr {
                    concat(&["(size_t)(((char *)&((", n, ")4096)->", &f.name, ") - (char *)4096)"])
                } else {
                    if plain_decl.is_none() {
                        plain_decl = Some(
                            self.ffi
                                .get_c_name(ty, "", "a C file", Quals::NONE)
                                .map_err(Refusal::unknown_type_name)?,
                        );
                    }
                    concat(&["offsetof(", plain_decl.as_deref().unwrap_or_default(), ", ", &f.name, ")"])
                };
                c_fields.push(FieldEntry {
                    name: f.name.clone(),
                    offset,
                    size,
                    bitsize,
                    type_op: Op::new(op, self.type_index[&fty] as i64),
                });
            }
            let first = self.fields.len() as i64;
            let num = c_fields.len();
            self.fields.extend(c_fields);
            let (size, alignment, comment) = match (cname, named_ptr) {
                (None, _) => ("(size_t)-2".to_string(), "-2".to_string(), Some("unnamed")),
                (Some(_), Some(n)) => (format!("sizeof(*({n})0)"), "-1 /* unknown alignment */".into(), None),
                (Some(c), None) => (
                    format!("sizeof({c})"),
                    format!("offsetof(struct _cffi_align_{}, y)", approxname.unwrap_or_default()),
                    None,
                ),
            };
            StructUnionEntry {
                name: record_name,
                type_index,
                flags,
                size,
                alignment,
                comment,
                first_field_index: first,
                num_fields: num,
            }
        } else {
            StructUnionEntry {
                name: record_name,
                type_index,
                flags,
                size: "(size_t)-1".into(),
                alignment: "-1".into(),
                comment: reason,
                first_field_index: -1,
                num_fields: 0,
            }
        };
        self.struct_unions.push(entry);
        self.seen_records[rec.0 as usize] = true;
        Ok(())
    }

    fn add_missing_struct_unions(&mut self) -> Result<()> {
        let mut order: Vec<(StructId, usize)> = self.struct_index.iter().map(|(r, i)| (*r, *i)).collect();
        order.sort_by_key(|x| x.1);
        for (rec, _) in order {
            if self.seen_records[rec.0 as usize] {
                continue;
            }
            let ty = self.ffi.struct_type(rec);
            let record = self.ffi.struct_(rec);
            if record.partial {
                return Err(Refusal::not_implemented(format!(
                    "internal inconsistency: {} is partial but was not seen at this point",
                    self.ffi.repr(ty)
                )));
            }
            let approx = if let Some(digits) = record
                .name
                .strip_prefix('$')
                .filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
            {
                digits.to_string()
            } else if record.name == "_IO_FILE" && record.forcename.as_deref() == Some("FILE") {
                self.typenames.push(TypenameEntry { name: "FILE".into(), type_index: self.type_index[&ty] });
                "FILE".to_string()
            } else {
                return Err(Refusal::not_implemented(format!(
                    "internal inconsistency: {}",
                    self.ffi.repr(ty)
                )));
            };
            self.struct_ctx(rec, None, Some(&approx), None)?;
        }
        Ok(())
    }

    fn enum_ctx(&mut self, e: EnumId, cname: &str) -> Result<()> {
        let ty = self.ffi.enum_type(e);
        let type_index = self.type_index[&ty];
        let decl = self.ffi.enum_(e).clone();
        if self.target_is_python && decl.partial {
            return Err(Refusal::new("VerificationMissing", self.ffi.c_name(ty).into_owned()));
        }
        for (name, value) in decl.enumerators.iter().zip(&decl.values) {
            self.globals.push(GlobalEntry {
                name: name.clone(),
                kind: GlobalKind::Constant,
                type_op: Op::new(OP_ENUM, -1),
                check_value: Some(*value),
            });
        }
        let base = if !cname.contains('$') && !self.target_is_python {
            EnumBase::Expr { size: format!("sizeof({cname})"), signed: format!("(({cname})-1) <= 0") }
        } else {
            let (size, signed) = self.enum_base_int(&decl.values, ty)?;
            EnumBase::Known { size, signed }
        };
        self.enums.push(EnumEntry {
            name: decl.name.clone(),
            type_index,
            base,
            enumerators: decl.enumerators.join(","),
        });
        Ok(())
    }

    /// cffi's `EnumType.build_baseinttype`: `int`/`unsigned int` if the values fit,
    /// else `long`/`unsigned long`.
    fn enum_base_int(&self, values: &[i128], ty: TypeId) -> Result<(u32, bool)> {
        let (lo, hi) = match (values.iter().min(), values.iter().max()) {
            (Some(lo), Some(hi)) => (*lo, *hi),
            _ => (0, 0),
        };
        let signed = lo < 0;
        let sign = signed as u32;
        for size in [SIZEOF_INT, SIZEOF_LONG] {
            let bits = 8 * size;
            if lo >= -(1i128 << (bits - 1)) && hi < (1i128 << (bits - sign)) {
                return Ok((size, signed));
            }
        }
        Err(Refusal::new(
            "CDefError",
            format!("{} values don't all fit into either 'long' or 'unsigned long'", self.ffi.c_name(ty)),
        ))
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
    use crate::generator::model::{Primitive, Span, StructOrUnion};

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
