//! cffi's first pass, *collect types*: every type reachable from a declaration, and the
//! types cffi derives on the way (struct fields, globals, typedefs as it sees them).

use crate::generator::model::{
    ArrayLength, DeclKind, Declaration, Field, FunctionType, Quals, StructId, Type, TypeId,
};
use smallvec::SmallVec;

use super::{recursion_error, ty_of, FxIndexMap, Recompiler, Refusal, Result};

impl<'f> Recompiler<'f> {
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

    pub(super) fn typedef_type(&mut self, ty: TypeId, name: &str) -> TypeId {
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
                // An included struct's fields are its own module's business.
                if self.ffi.struct_(rec).fields.is_some() && !self.ffi.is_included(ty) {
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
    pub(super) fn anonymous_members(&self, rec: StructId) -> impl Iterator<Item = StructId> + '_ {
        self.ffi.struct_(rec).fields.iter().flatten().filter_map(move |f| match self.ffi.ty(f.ty) {
            Type::StructOrUnion(r) if f.name.is_empty() => Some(*r),
            _ => None,
        })
    }

    pub(super) fn collect_decl_types(
        &mut self,
        seen: &mut FxIndexMap<TypeId, ()>,
        d: &Declaration,
    ) -> Result<()> {
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
}
