//! The tables both emitters share (type table, globals, struct/union fields, enums,
//! typenames), built in the order and with the semantics of cffi's `recompiler.py`,
//! which `_cffi_backend` relies on (globals sorted for its binary search, struct and
//! enum indices matching their table positions).
//!
//! The work happens in cffi's three passes over the declarations sorted by key
//! (`"function foo"`, `"struct bar"`, ...): *collect types* (every type reachable from a
//! declaration), *type table* (opcode sequences, functions first), and *context* (the
//! entries of the other tables). The API-mode emitter adds a fourth pass, the C
//! declarations, in [`crate::emit_c`].

pub mod ctype;
pub mod from_model;
pub mod tables;

use indexmap::IndexMap;
use rustc_hash::FxBuildHasher;
use smallvec::SmallVec;

/// An insertion-ordered map with a fast hash (keys are small ids).
pub type FxIndexMap<K, V> = IndexMap<K, V, FxBuildHasher>;

use ctype::{ArrayLen, CType, EnumId, Field, RecordId, RecordKind, TypeId, Types};
use tables::*;

/// Something cffi would refuse: its exception class and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub class: &'static str,
    pub message: String,
    /// Key of the declaration being processed (`"function foo"`), to point at it.
    pub decl: Option<String>,
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
    pub fn in_decl(mut self, key: &str) -> Self {
        if !self.bare {
            self.message = format!("{key}: {}", self.message);
        }
        self.decl = Some(key.to_string());
        self
    }
}

pub type Result<T> = std::result::Result<T, Refusal>;

/// What a declaration is, as the first word of cffi's declaration keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeclKind {
    Typedef,
    Function,
    ExternPython,
    ExternPythonPlusC,
    DllexportPython,
    Struct,
    Union,
    /// An anonymous struct/union/enum named by a typedef (or `$enum_$N`).
    Anonymous,
    Enum,
    Constant,
    Variable,
    Macro,
}

impl DeclKind {
    pub fn tag(self) -> &'static str {
        match self {
            DeclKind::Typedef => "typedef",
            DeclKind::Function => "function",
            DeclKind::ExternPython => "extern_python",
            DeclKind::ExternPythonPlusC => "extern_python_plus_c",
            DeclKind::DllexportPython => "dllexport_python",
            DeclKind::Struct => "struct",
            DeclKind::Union => "union",
            DeclKind::Anonymous => "anonymous",
            DeclKind::Enum => "enum",
            DeclKind::Constant => "constant",
            DeclKind::Variable => "variable",
            DeclKind::Macro => "macro",
        }
    }
}

#[derive(Clone, Debug)]
pub enum DeclValue {
    Type(TypeId),
    /// `#define NAME <int>` (`Some`) or `#define NAME ...` (`None`).
    Macro(Option<i128>),
}

#[derive(Clone, Debug)]
pub struct Decl {
    pub kind: DeclKind,
    pub name: String,
    pub value: DeclValue,
    pub quals: u8,
}

impl Decl {
    pub fn key(&self) -> String {
        format!("{} {}", self.kind.tag(), self.name)
    }
    fn ty(&self) -> TypeId {
        match self.value {
            DeclValue::Type(t) => t,
            DeclValue::Macro(_) => unreachable!("a macro has no type"),
        }
    }
}

/// The declarations of one FFI, in the recompiler's own type representation.
#[derive(Debug, Default)]
pub struct Ffi {
    pub types: Types,
    pub decls: Vec<Decl>,
}

/// Sizes of `int` and `long` on the machine generating, which cffi uses to choose the
/// integer type of enums it cannot ask the compiler about.
const SIZEOF_INT: u32 = 4;
const SIZEOF_LONG: u32 = std::mem::size_of::<std::ffi::c_long>() as u32;

/// cffi's `Recompiler` after `collect_type_table()` and `collect_step_tables()`.
pub struct Recompiler {
    pub types: Types,
    /// Declarations sorted by key.
    pub decls: Vec<Decl>,
    pub target_is_python: bool,
    pub module_name: String,
    /// Type → index in the type table (cffi's `_typesdict`).
    pub type_index: FxIndexMap<TypeId, usize>,
    pub type_ops: Vec<Op>,
    struct_index: FxIndexMap<RecordId, usize>,
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

impl Recompiler {
    /// Run cffi's collect passes: the type table, then the other tables.
    pub fn new(mut ffi: Ffi, module_name: &str, target_is_python: bool) -> Result<Self> {
        // cffi walks `sorted("kind name")`; comparing (kind, name) gives the same order
        // because a kind that is a prefix of another is followed by a space.
        ffi.decls.sort_by(|a, b| (a.kind.tag(), &a.name).cmp(&(b.kind.tag(), &b.name)));
        let nrecords = ffi.types.records.len();
        let mut r = Recompiler {
            types: ffi.types,
            decls: ffi.decls,
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
    pub fn enum_fields(&self, rec: RecordId) -> Result<Vec<Field>> {
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
        rec: RecordId,
        expand: bool,
        open: &mut Vec<RecordId>,
        out: &mut Vec<Field>,
    ) -> Result<()> {
        let Some(fields) = &self.types.records[rec].fields else { return Ok(()) };
        for f in fields {
            match self.types.get(f.ty) {
                CType::Record(inner) if f.name.is_empty() && expand => {
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
    pub fn field_type(&mut self, rec: RecordId, field_name: &str, ty: TypeId) -> Result<TypeId> {
        if let CType::Array { item, len } = self.types.get(ty) {
            let (item, len) = (*item, len.clone());
            let len = if len == ArrayLen::Dots {
                let rec_ty = self.record_type(rec);
                let ptr =
                    self.types.c_decl(rec_ty, "*", "a C file", 0).map_err(|e| Refusal::verification(e.0))?;
                ArrayLen::Expr(format!("_cffi_array_len((({ptr})0)->{field_name})"))
            } else {
                len
            };
            let item = self.field_type(rec, &format!("{field_name}[0]"), item)?;
            return Ok(self.types.intern(CType::Array { item, len }));
        }
        Ok(ty)
    }

    /// cffi's `_global_type`: the same for globals (and typedefs).
    pub fn global_type(&mut self, ty: TypeId, global_name: &str) -> TypeId {
        if let CType::Array { item, len } = self.types.get(ty) {
            let (item, len) = (*item, len.clone());
            let len = if len == ArrayLen::Dots {
                ArrayLen::Expr(format!("_cffi_array_len({global_name})"))
            } else {
                len
            };
            let item = self.global_type(item, &format!("{global_name}[0]"));
            return self.types.intern(CType::Array { item, len });
        }
        ty
    }

    pub fn record_type(&mut self, rec: RecordId) -> TypeId {
        self.types.record_type(rec)
    }

    fn typedef_type(&mut self, ty: TypeId, name: &str) -> TypeId {
        if !self.types.is_array(ty) {
            return ty;
        }
        self.global_type(ty, &format!("(*({name} *)0)"))
    }

    fn collect(&mut self, seen: &mut FxIndexMap<TypeId, ()>, ty: TypeId) -> Result<()> {
        if seen.contains_key(&ty) {
            return Ok(());
        }
        seen.insert(ty, ());
        match self.types.get(ty) {
            CType::FunctionPtr(_) => {
                let raw = self.types.as_raw_function(ty);
                self.collect(seen, raw)?;
            }
            &CType::Record(rec) => {
                if self.types.records[rec].fields.is_some() {
                    for f in self.enum_fields(rec)? {
                        let ft = self.field_type(rec, &f.name, f.ty)?;
                        self.collect(seen, ft)?;
                    }
                }
            }
            CType::RawFunction(sig) => {
                let args: SmallVec<[TypeId; 8]> = sig.args.iter().copied().collect();
                let result = sig.result;
                for a in args {
                    self.collect(seen, a)?;
                }
                self.collect(seen, result)?;
            }
            &CType::Pointer { to, .. } | &CType::NamedPointer { to, .. } => self.collect(seen, to)?,
            &CType::Array { item, .. } => self.collect(seen, item)?,
            CType::Void
            | CType::Primitive(_)
            | CType::UnknownInt(_)
            | CType::UnknownFloat(_)
            | CType::Enum(_) => {}
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
        open: &mut Vec<RecordId>,
    ) -> Result<()> {
        self.collect(seen, ty)?;
        if self.target_is_python {
            // ABI mode lists nested anonymous structs as types of their own.
            if let CType::Record(rec) = *self.types.get(ty) {
                if open.contains(&rec) {
                    return Err(recursion_error());
                }
                open.push(rec);
                let anon: Vec<RecordId> = self.types.records[rec].anonymous_members(&self.types).collect();
                for inner in anon {
                    let t = self.record_type(inner);
                    self.collect_struct_in(seen, t, open)?;
                }
                open.pop();
            }
        }
        Ok(())
    }

    fn collect_decl_types(&mut self, seen: &mut FxIndexMap<TypeId, ()>, d: &Decl) -> Result<()> {
        let python = self.target_is_python;
        match d.kind {
            DeclKind::Typedef => {
                let t = self.typedef_type(d.ty(), &d.name);
                self.collect(seen, t)?;
            }
            DeclKind::Function => {
                let raw = self.types.as_raw_function(d.ty());
                self.collect(seen, raw)?;
                if self.func_sig(d.ty()).ellipsis && !python {
                    self.collect(seen, d.ty())?;
                }
            }
            DeclKind::Struct | DeclKind::Union => self.collect_struct(seen, d.ty())?,
            DeclKind::Anonymous => {
                if matches!(self.types.get(d.ty()), CType::Enum(_)) {
                    self.collect(seen, d.ty())?;
                } else {
                    self.collect_struct(seen, d.ty())?;
                }
            }
            DeclKind::Constant => {
                if !self.types.is_integer(d.ty()) || python {
                    self.collect(seen, d.ty())?;
                }
            }
            DeclKind::Enum => self.collect(seen, d.ty())?,
            DeclKind::Macro => {}
            DeclKind::Variable => {
                let t = self.global_type(d.ty(), &d.name);
                self.collect(seen, t)?;
            }
            DeclKind::ExternPython | DeclKind::ExternPythonPlusC | DeclKind::DllexportPython => {
                self.collect(seen, d.ty())?
            }
        }
        Ok(())
    }

    pub fn func_sig(&self, ty: TypeId) -> &ctype::FuncSig {
        match self.types.get(ty) {
            CType::FunctionPtr(s) | CType::RawFunction(s) => s,
            other => panic!("not a function type: {other:?}"),
        }
    }

    fn collect_type_table(&mut self) -> Result<()> {
        let mut seen = FxIndexMap::default();
        let decls = std::mem::take(&mut self.decls);
        let result = decls
            .iter()
            .try_for_each(|d| self.collect_decl_types(&mut seen, d).map_err(|e| e.in_decl(&d.key())));
        self.decls = decls;
        result?;
        // cffi sorts by `str(tp)`, i.e. `repr(tp)`: `<c name>` (the closing `>` matters:
        // `<int const *>` sorts before `<int>`). Stable: ties keep discovery order.
        let mut all: Vec<TypeId> = seen.keys().copied().collect();
        // Unstable sort with the discovery position as the tie-break: the same order
        // as a stable sort, and faster.
        let mut keyed: Vec<(usize, TypeId)> = all.iter().copied().enumerate().collect();
        keyed.sort_unstable_by(|&(i, a), &(j, b)| {
            repr_order(self.types.plain(a), self.types.plain(b)).then(i.cmp(&j))
        });
        all.clear();
        all.extend(keyed.into_iter().map(|(_, t)| t));

        // One slot per type, plus the arguments and end marker of each function type.
        let mut slots: Vec<Slot> = Vec::with_capacity(2 * all.len());
        let mut index: FxIndexMap<TypeId, usize> = FxIndexMap::default();
        // Function signatures first, each followed by its arguments.
        for &t in &all {
            if let CType::RawFunction(sig) = self.types.get(t) {
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
            if !self.types.is_raw_function(t) && !index.contains_key(&t) {
                index.insert(t, slots.len());
                slots.push(None);
                if let CType::Array { len, .. } = self.types.get(t) {
                    if *len != ArrayLen::Open {
                        slots.push(None);
                    }
                }
            }
        }
        // Structs/unions and enums are numbered in name order.
        let mut recs: Vec<RecordId> = Vec::new();
        let mut enums: Vec<EnumId> = Vec::new();
        for &t in &all {
            match self.types.get(t) {
                CType::Record(r) => recs.push(*r),
                CType::Enum(e) => enums.push(*e),
                _ => {}
            }
        }
        recs.sort_by(|a, b| self.types.records[*a].name.cmp(&self.types.records[*b].name));
        enums.sort_by(|a, b| self.types.enums[*a].name.cmp(&self.types.enums[*b].name));
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
        let raw = match self.types.get(t) {
            CType::FunctionPtr(_) => self.types.as_raw_function(t),
            _ => t,
        };
        let op = match self.types.get(t) {
            CType::Void => Op::new(OP_PRIMITIVE, PRIM_VOID),
            CType::Primitive(name) => Op::new(OP_PRIMITIVE, ctype::prim_index(name).expect("known primitive") as i64),
            CType::UnknownInt(name) => Op {
                op: Some(OP_PRIMITIVE),
                arg: OpArg::Expr(format!(
                    "_cffi_prim_int(sizeof({name}), (\n           (({name})-1) | 0 /* check that {name} is an integer type */\n         ) <= 0)"
                )),
            },
            CType::UnknownFloat(name) => Op {
                op: Some(OP_PRIMITIVE),
                arg: OpArg::Expr(format!(
                    "_cffi_prim_float(sizeof({name}) *\n           ((({name})1) / 2) * 2 /* integer => 0, float => 1 */\n         )"
                )),
            },
            CType::RawFunction(sig) => {
                let mut idx = i + 1;
                for &a in &sig.args {
                    let real = self.type_index[&a];
                    if idx != real {
                        slots[idx] = Some(match self.types.get(a) {
                            CType::Primitive(name) => {
                                Op::new(OP_PRIMITIVE, ctype::prim_index(name).expect("known primitive") as i64)
                            }
                            _ => Op::new(OP_NOOP, real as i64),
                        });
                    }
                    idx += 1;
                }
                let mut flags = sig.ellipsis as i64;
                match sig.abi.as_deref() {
                    None => {}
                    Some("__stdcall") => flags |= 2,
                    Some(other) => return Err(Refusal::not_implemented(format!("abi={}", py_repr(other)))),
                }
                slots[idx] = Some(Op::new(OP_FUNCTION_END, flags));
                Op::new(OP_FUNCTION, self.type_index[&sig.result] as i64)
            }
            CType::Pointer { to, .. } | CType::NamedPointer { to, .. } => Op::new(OP_POINTER, self.type_index[to] as i64),
            CType::FunctionPtr(_) => Op::new(OP_POINTER, self.type_index[&raw] as i64),
            CType::Array { item, len } => {
                let item_index = self.type_index[item] as i64;
                match len {
                    ArrayLen::Open => Op::new(OP_OPEN_ARRAY, item_index),
                    ArrayLen::Dots => {
                        return Err(Refusal::verification(format!(
                            "type {} badly placed: the '...' array length can only be used on global arrays or on fields of structures",
                            self.types.c_name_plain(t).replace("/*...*/", "...")
                        )))
                    }
                    ArrayLen::Known(n) => {
                        slots[i + 1] = Some(Op { op: None, arg: OpArg::Expr(n.to_string()) });
                        Op::new(OP_ARRAY, item_index)
                    }
                    ArrayLen::Expr(e) => {
                        slots[i + 1] = Some(Op { op: None, arg: OpArg::Expr(e.clone()) });
                        Op::new(OP_ARRAY, item_index)
                    }
                }
            }
            CType::Record(r) => Op::new(OP_STRUCT_UNION, self.struct_index[r] as i64),
            CType::Enum(e) => Op::new(OP_ENUM, self.enum_index[e] as i64),
        };
        slots[i] = Some(op);
        Ok(())
    }

    /// The type table as cffi's `check_type_table` prints it (tests).
    pub fn type_table_debug(&self) -> String {
        self.type_ops.iter().map(Op::debug_str).collect()
    }

    // ---------------------------------------------------------------- context

    fn collect_step_tables(&mut self) -> Result<()> {
        let decls = std::mem::take(&mut self.decls);
        // Most declarations are globals (functions, variables, constants): one allocation.
        self.globals.reserve(decls.len());
        let result = decls.iter().try_for_each(|d| self.decl_ctx(d).map_err(|e| e.in_decl(&d.key())));
        self.decls = decls;
        result?;
        self.add_missing_struct_unions()?;
        self.globals.sort_by(|a, b| a.name.cmp(&b.name));
        self.struct_unions.sort_by(|a, b| a.name.cmp(&b.name));
        self.enums.sort_by(|a, b| a.name.cmp(&b.name));
        self.typenames.sort_by(|a, b| a.name.cmp(&b.name));
        debug_assert_eq!(self.struct_unions.len(), self.struct_index.len());
        debug_assert_eq!(self.enums.len(), self.enum_index.len());
        Ok(())
    }

    fn decl_ctx(&mut self, d: &Decl) -> Result<()> {
        let python = self.target_is_python;
        match d.kind {
            DeclKind::Typedef => {
                let t = self.typedef_type(d.ty(), &d.name);
                self.typenames.push(TypenameEntry { name: d.name.clone(), type_index: self.type_index[&t] });
                match self.types.get(t).clone() {
                    CType::Record(r) if self.types.records[r].unknown_type => {
                        let name = self.types.records[r].name.clone();
                        self.struct_ctx(r, Some(&name), None, None)?;
                    }
                    CType::NamedPointer { to, name } => {
                        if let CType::Record(r) = *self.types.get(to) {
                            let rname = self.types.records[r].name.clone();
                            self.struct_ctx(r, Some(&rname), Some(&name), Some(&name))?;
                        }
                    }
                    _ => {}
                }
            }
            DeclKind::Function => {
                let ty = d.ty();
                let (ellipsis, nargs) = (self.func_sig(ty).ellipsis, self.func_sig(ty).args.len());
                if ellipsis && !python {
                    return self.constant_ctx(ty, &d.name);
                }
                let raw = self.types.as_raw_function(ty);
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
                    name: d.name.clone(),
                    kind: GlobalKind::Function,
                    type_op: Op::new(kind, self.type_index[&raw] as i64),
                    check_value: Some(0),
                });
            }
            DeclKind::Struct | DeclKind::Union => {
                let CType::Record(r) = *self.types.get(d.ty()) else { unreachable!() };
                let (cname, approx) = self.struct_names(d.ty())?;
                self.struct_ctx(r, Some(&cname), Some(&approx), None)?;
            }
            DeclKind::Anonymous => match *self.types.get(d.ty()) {
                CType::Enum(e) => self.enum_ctx(e, &d.name)?,
                CType::Record(r) => {
                    self.struct_ctx(r, Some(&d.name), Some(&format!("typedef_{}", d.name)), None)?
                }
                _ => unreachable!("anonymous declaration of a non-struct"),
            },
            DeclKind::Constant => self.constant_ctx(d.ty(), &d.name)?,
            DeclKind::Enum => {
                let CType::Enum(e) = *self.types.get(d.ty()) else { unreachable!() };
                let cname = self.types.c_name_plain(d.ty());
                self.enum_ctx(e, &cname)?;
            }
            DeclKind::Macro => {
                let DeclValue::Macro(value) = d.value else { unreachable!() };
                if value.is_none() && python {
                    return Err(Refusal::verification(format!(
                        "cannot use the syntax '...' in '#define {} ...' when using the ABI mode",
                        d.name
                    )));
                }
                self.globals.push(GlobalEntry {
                    name: d.name.clone(),
                    kind: GlobalKind::Constant,
                    type_op: Op::new(OP_CONSTANT_INT, -1),
                    check_value: value,
                });
            }
            DeclKind::Variable => {
                let t = self.global_type(d.ty(), &d.name);
                let op = if python { OP_GLOBAL_VAR } else { OP_GLOBAL_VAR_F };
                self.globals.push(GlobalEntry {
                    name: d.name.clone(),
                    kind: GlobalKind::Variable,
                    type_op: Op::new(op, self.type_index[&t] as i64),
                    check_value: Some(0),
                });
            }
            DeclKind::ExternPython | DeclKind::ExternPythonPlusC | DeclKind::DllexportPython => {
                if python {
                    return Err(Refusal::verification("cannot use 'extern \"Python\"' in the ABI mode"));
                }
                if self.func_sig(d.ty()).ellipsis {
                    return Err(Refusal::not_implemented("a vararg function is extern \"Python\""));
                }
                self.globals.push(GlobalEntry {
                    name: d.name.clone(),
                    kind: GlobalKind::ExternPython,
                    type_op: Op::new(OP_EXTERN_PYTHON, self.type_index[&d.ty()] as i64),
                    check_value: Some(0),
                });
            }
        }
        Ok(())
    }

    /// cffi's `_struct_names`: the C name and a C-identifier-friendly variant.
    pub fn struct_names(&self, ty: TypeId) -> Result<(String, String)> {
        let cname = self.types.c_decl(ty, "", "a C file", 0).map_err(|e| Refusal::verification(e.0))?;
        let approx = if cname.contains(' ') { cname.replace(' ', "_") } else { format!("_{cname}") };
        Ok((cname, approx))
    }

    fn constant_ctx(&mut self, ty: TypeId, name: &str) -> Result<()> {
        let type_op = if !self.target_is_python && self.types.is_integer(ty) {
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
        while let CType::Array { item, .. } = self.types.get(ty) {
            ty = *item;
        }
        if let Some(rec) = self.types.record(ty) {
            if rec.fields.is_none() {
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
        rec: RecordId,
        cname: Option<&str>,
        approxname: Option<&str>,
        named_ptr: Option<&str>,
    ) -> Result<()> {
        let ty = self.record_type(rec);
        let type_index = self.type_index[&ty];
        let record = &self.types.records[rec];
        let record_name = record.name.clone();
        let mut flags = 0;
        let mut reason: Option<&'static str> = None;
        if record.kind == RecordKind::Union {
            flags |= F_UNION;
        }
        if record.fields.is_none() {
            flags |= F_OPAQUE;
            reason = Some("opaque");
        }
        if record.fields.is_some()
            && !record.partial
            && record.anonymous_members(&self.types).next().is_none()
        {
            flags |= F_CHECK_FIELDS;
        }
        if record.packed != 0 {
            if record.packed > 1 {
                return Err(Refusal::not_implemented(format!(
                    "{} is declared with 'pack={}'; only 0 or 1 are supported in API mode (try to use \"...;\", which does not require a 'pack' declaration)",
                    self.types.repr(ty),
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
                let bitfield = f.bitsize >= 0;
                let op = if bitfield { OP_BITFIELD } else { OP_NOOP };
                let open_array = matches!(self.types.get(fty), CType::Array { len: ArrayLen::Open, .. });
                // (the C expressions of size and offset mean nothing to ABI mode)
                let size = if self.target_is_python {
                    String::new()
                } else if bitfield {
                    format!("{} /* bits */", f.bitsize)
                } else if cname.is_none() || open_array {
                    "(size_t)-1".to_string()
                } else {
                    if ptr_decl.is_none() {
                        ptr_decl = Some(
                            self.types
                                .c_decl(ty, "*", "a C file", 0)
                                .map_err(|e| Refusal::verification(e.0))?,
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
                            self.types
                                .c_decl(ty, "", "a C file", 0)
                                .map_err(|e| Refusal::verification(e.0))?,
                        );
                    }
                    concat(&["offsetof(", plain_decl.as_deref().unwrap_or_default(), ", ", &f.name, ")"])
                };
                c_fields.push(FieldEntry {
                    name: f.name.clone(),
                    offset,
                    size,
                    bitsize: f.bitsize,
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
        self.seen_records[rec] = true;
        Ok(())
    }

    fn add_missing_struct_unions(&mut self) -> Result<()> {
        let mut order: Vec<(RecordId, usize)> = self.struct_index.iter().map(|(r, i)| (*r, *i)).collect();
        order.sort_by_key(|x| x.1);
        for (rec, _) in order {
            if self.seen_records[rec] {
                continue;
            }
            let ty = self.types.record_type(rec);
            let record = &self.types.records[rec];
            if record.partial {
                return Err(Refusal::not_implemented(format!(
                    "internal inconsistency: {} is partial but was not seen at this point",
                    self.types.repr(ty)
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
                    self.types.repr(ty)
                )));
            };
            self.struct_ctx(rec, None, Some(&approx), None)?;
        }
        Ok(())
    }

    fn enum_ctx(&mut self, e: EnumId, cname: &str) -> Result<()> {
        let ty = self.types.intern(CType::Enum(e));
        let type_index = self.type_index[&ty];
        let decl = self.types.enums[e].clone();
        if self.target_is_python && decl.partial && !decl.partial_resolved {
            return Err(Refusal::new("VerificationMissing", self.types.c_name_plain(ty)));
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
            let (size, signed) = self.enum_base_int(e, ty)?;
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
    fn enum_base_int(&self, e: EnumId, ty: TypeId) -> Result<(u32, bool)> {
        let decl = &self.types.enums[e];
        if let Some(base) = decl.base {
            if let CType::Primitive(name) = self.types.get(base) {
                return Ok(primitive_size_sign(name));
            }
        }
        let (lo, hi) = match (decl.values.iter().min(), decl.values.iter().max()) {
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
            format!(
                "{} values don't all fit into either 'long' or 'unsigned long'",
                self.types.c_name_plain(ty)
            ),
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

/// Size and signedness of a primitive integer type on the generating machine.
fn primitive_size_sign(name: &str) -> (u32, bool) {
    let ptr = std::mem::size_of::<usize>() as u32;
    match name {
        "char" | "signed char" | "int8_t" | "int_least8_t" | "int_fast8_t" => (1, true),
        "_Bool" | "unsigned char" | "uint8_t" | "uint_least8_t" | "uint_fast8_t" => (1, false),
        "short" | "int16_t" | "int_least16_t" => (2, true),
        "unsigned short" | "uint16_t" | "uint_least16_t" => (2, false),
        "int" | "int32_t" | "int_least32_t" => (4, true),
        "unsigned int" | "uint32_t" | "uint_least32_t" => (4, false),
        "long" => (SIZEOF_LONG, true),
        "unsigned long" => (SIZEOF_LONG, false),
        "intptr_t" | "ptrdiff_t" | "ssize_t" | "int_fast16_t" | "int_fast32_t" => (ptr, true),
        "uintptr_t" | "size_t" | "uint_fast16_t" | "uint_fast32_t" => (ptr, false),
        n if n.starts_with('u') => (8, false),
        _ => (8, true),
    }
}

#[cfg(test)]
mod tests {
    use super::ctype::{FuncSig, Record};
    use super::*;

    fn prim(t: &mut Types, n: &str) -> TypeId {
        t.intern(CType::Primitive(n.into()))
    }

    fn func(t: &mut Types, args: Vec<TypeId>, result: TypeId, ellipsis: bool) -> TypeId {
        t.intern(CType::FunctionPtr(FuncSig { args, result, ellipsis, abi: None }))
    }

    fn decl(kind: DeclKind, name: &str, ty: TypeId) -> Decl {
        Decl { kind, name: name.into(), value: DeclValue::Type(ty), quals: 0 }
    }

    fn table(types: Types, decls: Vec<Decl>) -> String {
        Recompiler::new(Ffi { types, decls }, "testmod", false).unwrap().type_table_debug()
    }

    // Expected strings are cffi's own, from its test_recompiler.py.
    #[test]
    fn repeated_pointer_args_use_noop() {
        let mut t = Types::default();
        let d = prim(&mut t, "double");
        let pd = t.pointer(d);
        let f = func(&mut t, vec![pd, pd, d], d, false);
        assert_eq!(
            table(t, vec![decl(DeclKind::Function, "sin", f)]),
            "(FUNCTION 3)(POINTER 3)(NOOP 1)(PRIMITIVE 14)(FUNCTION_END 0)"
        );
    }

    #[test]
    fn function_pointer_argument() {
        let mut t = Types::default();
        let (i, d, fl) = (prim(&mut t, "int"), prim(&mut t, "double"), prim(&mut t, "float"));
        let inner = func(&mut t, vec![fl], d, false);
        let f = func(&mut t, vec![inner], i, false);
        assert_eq!(
            table(t, vec![decl(DeclKind::Function, "sin", f)]),
            "(FUNCTION 6)(PRIMITIVE 13)(FUNCTION_END 0)(FUNCTION 7)(POINTER 0)(FUNCTION_END 0)(PRIMITIVE 14)(PRIMITIVE 7)"
        );
    }

    #[test]
    fn variadic_function() {
        let mut t = Types::default();
        let i = prim(&mut t, "int");
        let f = func(&mut t, vec![i], i, true);
        assert_eq!(
            table(t, vec![decl(DeclKind::Function, "sin", f)]),
            "(FUNCTION 1)(PRIMITIVE 7)(FUNCTION_END 1)(POINTER 0)"
        );
    }

    #[test]
    fn struct_used_by_pointer() {
        let mut t = Types::default();
        let (i, l) = (prim(&mut t, "int"), prim(&mut t, "long"));
        let s = t.add_record(Record {
            kind: RecordKind::Struct,
            name: "foo_s".into(),
            forcename: None,
            c_name: "struct foo_s".into(),
            fields: Some(vec![
                Field { name: "a".into(), ty: i, bitsize: -1, quals: 0 },
                Field { name: "b".into(), ty: l, bitsize: -1, quals: 0 },
            ]),
            partial: false,
            packed: 0,
            unknown_type: false,
        });
        let ps = t.pointer(s);
        let f = func(&mut t, vec![ps], i, false);
        assert_eq!(
            table(t, vec![decl(DeclKind::Struct, "foo_s", s), decl(DeclKind::Function, "f", f)]),
            "(FUNCTION 3)(POINTER 5)(FUNCTION_END 0)(PRIMITIVE 7)(PRIMITIVE 9)(STRUCT_UNION 0)"
        );
    }

    #[test]
    fn global_array() {
        let mut t = Types::default();
        let i = prim(&mut t, "int");
        let a = t.intern(CType::Array { item: i, len: ArrayLen::Known(100) });
        assert_eq!(table(t, vec![decl(DeclKind::Variable, "a", a)]), "(PRIMITIVE 7)(ARRAY 0)(None 100)");
    }
}
