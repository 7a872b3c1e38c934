//! Conversion from the parser's [`crate::model`] to the recompiler's own types: the
//! recompiler derives new types as it goes (arrays whose length becomes a compiler
//! expression, raw function types, pointers to array items), so it keeps an arena of
//! its own where equal types share one id.

use rustc_hash::FxHashMap;

use crate::model;

use super::ctype::{ArrayLen, CType, EnumDecl, Field, FuncSig, Record, RecordKind, TypeId, Types};
use super::{Decl, DeclKind, DeclValue, Ffi};

pub fn convert(m: &model::Ffi) -> Ffi {
    // Each declaration brings a few types (its own, its arguments', pointers).
    let mut types = Types::with_capacity(2 * m.declarations.len() + 4 * m.structs.len() + 64);
    for s in &m.structs {
        types.records.push(Record {
            kind: match s.kind {
                model::StructKind::Struct => RecordKind::Struct,
                model::StructKind::Union => RecordKind::Union,
            },
            name: s.name.clone(),
            forcename: s.forcename.clone(),
            c_name: s.c_name.clone(),
            fields: None,
            partial: s.partial,
            packed: s.packed,
            unknown_type: s.from_unknown_type,
        });
    }
    for e in &m.enums {
        types.enums.push(EnumDecl {
            name: e.name.clone(),
            c_name: e.c_name.clone(),
            enumerators: e.enumerators.clone(),
            values: e.values.clone(),
            partial: e.partial,
            partial_resolved: false,
            base: None,
        });
    }
    let mut conv = Converter { types, memo: FxHashMap::default() };
    for (i, e) in m.enums.iter().enumerate() {
        if let Some(base) = &e.base_int_type {
            let b = conv.ty(base);
            conv.types.enums[i].base = Some(b);
        }
    }
    for (i, s) in m.structs.iter().enumerate() {
        if let Some(fields) = &s.fields {
            let fields = fields
                .iter()
                .map(|f| Field {
                    name: f.name.clone(),
                    ty: conv.ty(&f.ty),
                    bitsize: f.cffi_bitsize() as i64,
                    quals: f.quals.bits(),
                })
                .collect();
            conv.types.records[i].fields = Some(fields);
        }
    }
    let mut decls = Vec::with_capacity(m.declarations.len());
    for d in m.declarations.values() {
        let kind = match d.key.kind {
            model::DeclKind::Anonymous => DeclKind::Anonymous,
            model::DeclKind::Constant => DeclKind::Constant,
            model::DeclKind::DllexportPython => DeclKind::DllexportPython,
            model::DeclKind::Enum => DeclKind::Enum,
            model::DeclKind::ExternPython => DeclKind::ExternPython,
            model::DeclKind::ExternPythonPlusC => DeclKind::ExternPythonPlusC,
            model::DeclKind::Function => DeclKind::Function,
            model::DeclKind::Macro => DeclKind::Macro,
            model::DeclKind::Struct => DeclKind::Struct,
            model::DeclKind::Typedef => DeclKind::Typedef,
            model::DeclKind::Union => DeclKind::Union,
            model::DeclKind::Variable => DeclKind::Variable,
        };
        let value = match &d.value {
            model::DeclValue::Type(t) => DeclValue::Type(conv.ty(t)),
            model::DeclValue::Integer(v) => DeclValue::Macro(Some(*v)),
            model::DeclValue::DotDotDot => DeclValue::Macro(None),
        };
        decls.push(Decl { kind, name: d.key.name.clone(), value, quals: d.quals.bits() });
    }
    Ffi { types: conv.types, decls }
}

struct Converter {
    types: Types,
    /// Model types are shared (`Arc`); convert each allocation once.
    memo: FxHashMap<*const model::Type, TypeId>,
}

impl Converter {
    fn ty(&mut self, t: &model::TypeRef) -> TypeId {
        let key = std::sync::Arc::as_ptr(t);
        if let Some(&id) = self.memo.get(&key) {
            return id;
        }
        let ct = match &**t {
            model::Type::Void => CType::Void,
            model::Type::Primitive(p) => CType::Primitive(p.name().to_string()),
            model::Type::UnknownInteger(n) => CType::UnknownInt(n.clone()),
            model::Type::UnknownFloat(n) => CType::UnknownFloat(n.clone()),
            model::Type::RawFunction(f) => CType::RawFunction(self.sig(f)),
            model::Type::FunctionPtr(f) => CType::FunctionPtr(self.sig(f)),
            model::Type::Pointer { to, quals } => CType::Pointer { to: self.ty(to), quals: quals.bits() },
            model::Type::NamedPointer { to, name } => {
                CType::NamedPointer { to: self.ty(to), name: name.clone() }
            }
            model::Type::Array { item, length } => CType::Array {
                item: self.ty(item),
                len: match length {
                    model::ArrayLength::Known(n) => ArrayLen::Known(*n),
                    model::ArrayLength::Unspecified => ArrayLen::Open,
                    model::ArrayLength::DotDotDot => ArrayLen::Dots,
                    model::ArrayLength::CExpr(e) => ArrayLen::Expr(e.clone()),
                },
            },
            model::Type::StructOrUnion(id) => CType::Record(id.0 as usize),
            model::Type::Enum(id) => CType::Enum(id.0 as usize),
        };
        let id = self.types.intern(ct);
        // Keep the Arc alive through `t` (owned by the model) while the key is in use.
        self.memo.insert(key, id);
        id
    }

    fn sig(&mut self, f: &model::FunctionType) -> FuncSig {
        FuncSig {
            args: f.args.iter().map(|a| self.ty(a)).collect(),
            result: self.ty(&f.result),
            ellipsis: f.ellipsis,
            abi: f.abi.map(|a| a.as_str().to_string()),
        }
    }
}
