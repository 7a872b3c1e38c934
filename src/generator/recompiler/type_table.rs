//! cffi's second pass: the *type table*, opcode sequences for every collected type,
//! functions first, in cffi's order.

use super::*;

impl<'f> Recompiler<'f> {
    pub(super) fn collect_type_table(&mut self) -> Result<()> {
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
}
