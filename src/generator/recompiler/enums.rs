//! The enum table (context pass): values, and the integer type cffi picks for them.

use super::*;

impl<'f> Recompiler<'f> {
    pub(super) fn enum_ctx(&mut self, e: EnumId, cname: &str) -> Result<()> {
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
