//! cffi's third pass, *context*: one entry per declaration in the globals and typenames
//! tables; structs, unions and enums go to `records.rs` and `enums.rs`.

use super::*;

impl<'f> Recompiler<'f> {
    pub(super) fn collect_step_tables(&mut self) -> Result<()> {
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

    pub(super) fn check_not_opaque(&self, mut ty: TypeId, location: impl FnOnce() -> String) -> Result<()> {
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
}
