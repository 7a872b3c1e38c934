//! The tables `_cffi_backend` reads (globals, fields, structs and unions, enums,
//! typenames), the type context that points at them, and the module init functions.

use std::fmt::Write as _;

use super::{push_int, put, w, Emitter};
use crate::generator::recompiler::tables::{EnumBase, GlobalKind};

impl Emitter<'_, '_> {
    // ------------------------------------------------------------ tables

    pub(super) fn tables(&mut self) {
        let r = &*self.r;
        let mut out = String::with_capacity(
            128 * (r.globals.len()
                + r.fields.len()
                + r.struct_unions.len()
                + r.enums.len()
                + r.typenames.len())
                + 1024,
        );
        if !r.globals.is_empty() {
            out.push_str("static const struct _cffi_global_s _cffi_globals[] = {\n");
            for g in &r.globals {
                let n = g.name.as_str();
                out.push_str("  { \"");
                out.push_str(n);
                out.push_str("\", (void *)");
                let (prefix, size_prefix, size) = match g.kind {
                    GlobalKind::Function => ("_cffi_f_", "_cffi_d_", n),
                    GlobalKind::Constant => ("_cffi_const_", "", "0"),
                    GlobalKind::Variable => ("_cffi_var_", "", "0"),
                    GlobalKind::ExternPython => ("&_cffi_externpy__", "", n),
                };
                out.push_str(prefix);
                out.push_str(n);
                out.push_str(", ");
                g.type_op.write_c(&mut out);
                out.push_str(", (void *)");
                out.push_str(size_prefix);
                out.push_str(size);
                out.push_str(" },\n");
            }
            out.push_str("};\n\n");
        }
        if !r.fields.is_empty() {
            out.push_str("static const struct _cffi_field_s _cffi_fields[] = {\n");
            for f in &r.fields {
                put!(out; "  { \"", &f.name, "\", ", &f.offset, ",\n    ", &f.size, ",\n    ");
                f.type_op.write_c(&mut out);
                out.push_str(" },\n");
            }
            out.push_str("};\n\n");
        }
        if !r.struct_unions.is_empty() {
            out.push_str("static const struct _cffi_struct_union_s _cffi_struct_unions[] = {\n");
            for s in &r.struct_unions {
                put!(out; "  { \"", &s.name, "\", ");
                push_int(&mut out, s.type_index);
                put!(out; ", ", &s.flags_c(), ",\n    ", &s.size, ", ", &s.alignment, ", ");
                push_int(&mut out, s.first_field_index);
                out.push_str(", ");
                push_int(&mut out, s.num_fields);
                out.push(' ');
                if let Some(c) = s.comment {
                    put!(out; "/* ", c, " */ ");
                }
                out.push_str("},\n");
            }
            out.push_str("};\n\n");
        }
        if !r.enums.is_empty() {
            out.push_str("static const struct _cffi_enum_s _cffi_enums[] = {\n");
            for e in &r.enums {
                let (size, signed) = match &e.base {
                    EnumBase::Expr { size, signed } => (size.clone(), signed.clone()),
                    EnumBase::Known { size, signed } => (size.to_string(), (*signed as u8).to_string()),
                };
                let _ = writeln!(
                    out,
                    "  {{ \"{}\", {}, _cffi_prim_int({size}, {signed}),\n    \"{}\" }},",
                    e.name, e.type_index, e.enumerators
                );
            }
            out.push_str("};\n\n");
        }
        if !r.typenames.is_empty() {
            out.push_str("static const struct _cffi_typename_s _cffi_typenames[] = {\n");
            for t in &r.typenames {
                put!(out; "  { \"", &t.name, "\", ");
                push_int(&mut out, t.type_index);
                out.push_str(" },\n");
            }
            out.push_str("};\n\n");
        }
        // The modules the runtime imports first, for the types this one includes.
        if !r.includes.is_empty() {
            out.push_str("static const char * const _cffi_includes[] = {\n");
            for name in &r.includes {
                put!(out; "  \"", name, "\",\n");
            }
            out.push_str("  NULL\n};\n\n");
        }
        let table = |present: bool, name: &str| if present { name.to_string() } else { "NULL".to_string() };
        let flags = (self.num_externpy > 0 || self.embedding) as u32;
        let _ = writeln!(out, "static const struct _cffi_type_context_s _cffi_type_context = {{");
        let _ = writeln!(out, "  _cffi_types,");
        let _ = writeln!(out, "  {},", table(!r.globals.is_empty(), "_cffi_globals"));
        let _ = writeln!(out, "  {},", table(!r.fields.is_empty(), "_cffi_fields"));
        let _ = writeln!(out, "  {},", table(!r.struct_unions.is_empty(), "_cffi_struct_unions"));
        let _ = writeln!(out, "  {},", table(!r.enums.is_empty(), "_cffi_enums"));
        let _ = writeln!(out, "  {},", table(!r.typenames.is_empty(), "_cffi_typenames"));
        let _ = writeln!(
            out,
            "  {}, {}, {}, {},  /* globals, struct_unions, enums, typenames */",
            r.globals.len(),
            r.struct_unions.len(),
            r.enums.len(),
            r.typenames.len()
        );
        if r.includes.is_empty() {
            let _ = writeln!(out, "  NULL,  /* no includes */");
        } else {
            let _ = writeln!(out, "  _cffi_includes,");
        }
        let _ = writeln!(out, "  {},  /* num_types */", r.type_ops.len());
        let _ = writeln!(out, "  {flags},  /* flags: 1 = uses extern \"Python\" */\n}};\n");
        self.out.push_str(&out);
    }

    pub(super) fn init_functions(&mut self) {
        let base = self.r.module_name.rsplit('.').next().unwrap_or_default().to_string();
        let version = self.r.version;
        let module = self.r.module_name.clone();
        w!(
            self,
            "#ifdef __GNUC__\n#  pragma GCC visibility push(default)  /* for -fvisibility= */\n#endif\n"
        );
        w!(self, "#ifdef PYPY_VERSION\nPyMODINIT_FUNC\n_cffi_pypyinit_{base}(const void *p[])\n{{");
        if self.num_externpy > 0 {
            w!(self, "    if (((intptr_t)p[0]) >= 0x0A03) {{");
            w!(
                self,
                "        _cffi_call_python_org = (void(*)(struct _cffi_externpy_s *, char *))p[1];\n    }}"
            );
        }
        w!(self, "    p[0] = (const void *)0x{version:x};\n    p[1] = &_cffi_type_context;");
        w!(self, "#if PY_MAJOR_VERSION >= 3\n    return NULL;\n#endif\n}}");
        // MSVC's linker insists on exporting PyInit_<name>; give it one.
        w!(self, "#  ifdef _MSC_VER\nPyMODINIT_FUNC PyInit_{base}(void) {{ return NULL; }}\n#  endif");
        w!(self, "#else\nPyMODINIT_FUNC\nPyInit_{base}(void)\n{{");
        w!(self, "  return _cffi_init(\"{module}\", 0x{version:x}, &_cffi_type_context);\n}}\n#endif\n");
        w!(self, "#ifdef __GNUC__\n#  pragma GCC visibility pop\n#endif");
    }
}
