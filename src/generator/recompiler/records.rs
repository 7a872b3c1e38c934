//! The struct/union table and its fields (context pass), including the structs cffi
//! adds because a type names them without declaring them.

use crate::generator::model::{ArrayLength, Quals, StructId, StructKind, Type};

use super::tables::*;
use super::{concat, Recompiler, Refusal, Result};

impl<'f> Recompiler<'f> {
    /// cffi's `_struct_ctx`. `cname == None` is an anonymous struct only reachable
    /// through other types; `named_ptr` a `typedef ... *name;`.
    pub(super) fn struct_ctx(
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
        // A struct that `ffi.include()` brought in (directly, or as what a named pointer
        // typedef points to) is listed as external: the including module's runtime
        // takes its layout from the included module.
        let named_ptr_included = named_ptr.is_some_and(|n| {
            let ptr = Type::NamedPointer { to: ty, name: n.to_string() };
            self.ffi.types.find(&ptr).is_some_and(|p| self.ffi.is_included(p))
        });
        let record = self.ffi.struct_(rec);
        if self.ffi.is_included(ty) || named_ptr_included {
            flags |= F_EXTERNAL;
            reason = Some("external");
        } else {
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

    pub(super) fn add_missing_struct_unions(&mut self) -> Result<()> {
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
}
