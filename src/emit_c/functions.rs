//! The C of functions: the direct-call function, the CPython wrapper converting
//! arguments and result through `_cffi_backend`'s exports, the PyPy entry point, and
//! the C side of `extern "Python"` callbacks.

use std::fmt::Write as _;

use super::{put, ty_of, w, Emitter};
use crate::recompiler::ctype::{CType, TypeId};
use crate::recompiler::tables::VERSION_CHAR16CHAR32;
use crate::recompiler::{Decl, Recompiler, Refusal, Result};

impl Emitter<'_> {
    // ------------------------------------------------------------ functions

    pub(super) fn function(&mut self, d: &Decl) -> Result<()> {
        let ty = ty_of(d);
        let sig = self.r.func_sig(ty).clone();
        let name = d.name.as_str();
        if sig.ellipsis {
            // Variadic: exposed as a constant function pointer of the exact type.
            return self.constant(false, name, Some(ty), "const", None);
        }
        let nargs = sig.args.len();
        let abi = sig.abi.as_ref().map(|a| format!("{a} ")).unwrap_or_default();
        let arg_context = format!("argument of {name}");
        let result_context = format!("result of {name}");
        let void = matches!(self.r.types.get(sig.result), CType::Void);
        let xs: Vec<String> = (0..nargs).map(|i| format!("x{i}")).collect();
        // `T xN`: the parameters of the direct-call function and the wrapper's locals.
        let mut arg_decls = Vec::with_capacity(nargs);
        for (x, &a) in xs.iter().zip(&sig.args) {
            arg_decls.push(self.c(a, x, &arg_context)?);
        }
        let call_args = xs.join(", ");
        let params = if nargs == 0 { "void".to_string() } else { arg_decls.join(", ") };

        // The direct-call version, for `ffi.addressof(lib, name)` and PyPy.
        let head = self.c(sig.result, &format!("{abi}_cffi_d_{name}({params})"), "a C file")?;
        let ret = if void { "" } else { "return " };
        put!(self; "static ", &head, "\n{\n  ", ret, name, "(", &call_args, ");\n}\n");

        // The CPython wrapper: METH_NOARGS, METH_O or METH_VARARGS.
        let argname = match nargs {
            0 => "noarg",
            1 => "arg0",
            _ => "args",
        };
        put!(self; "#ifndef PYPY_VERSION\nstatic PyObject *\n_cffi_f_", name, "(PyObject *self, PyObject *", argname, ")\n{\n");
        for decl in &arg_decls {
            put!(self; "  ", decl, ";\n");
        }
        let has_pointer_arg = sig.args.iter().any(|&a| self.is_pointer(a));
        if has_pointer_arg {
            self.out.push_str("  Py_ssize_t datasize;\n  struct _cffi_freeme_s *large_args_free = NULL;\n");
        }
        let result_decl = if void { None } else { Some(self.c(sig.result, "result", &result_context)?) };
        if let Some(decl) = &result_decl {
            put!(self; "  ", decl, ";\n  PyObject *pyresult;\n");
        }
        let args: Vec<String> = (0..nargs).map(|i| format!("arg{i}")).collect();
        if nargs > 1 {
            for a in &args {
                put!(self; "  PyObject *", a, ";\n");
            }
            let refs = args.iter().map(|a| format!("&{a}")).collect::<Vec<_>>().join(", ");
            let n = nargs.to_string();
            put!(self; "\n  if (!PyArg_UnpackTuple(args, \"", name, "\", ", &n, ", ", &n, ", ", &refs, "))\n    return NULL;\n");
        }
        self.out.push('\n');
        for ((a, x), &t) in args.iter().zip(&xs).zip(&sig.args) {
            self.convert_arg_to_c(t, a, x, "return NULL")?;
            self.out.push('\n');
        }
        let assign = if void { "" } else { "result = " };
        put!(self; "  Py_BEGIN_ALLOW_THREADS\n  _cffi_restore_errno();\n  { ", assign, name, "(", &call_args, "); }\n");
        self.out.push_str("  _cffi_save_errno();\n  Py_END_ALLOW_THREADS\n\n  (void)self; /* unused */\n");
        if nargs == 0 {
            self.out.push_str("  (void)noarg; /* unused */\n");
        }
        let free = "  if (large_args_free != NULL) _cffi_free_array_arguments(large_args_free);\n";
        if !void {
            let conv = self.convert_expr_from_c(sig.result, "result", "result type")?;
            put!(self; "  pyresult = ", &conv, ";\n");
            if has_pointer_arg {
                self.out.push_str(free);
            }
            self.out.push_str("  return pyresult;\n");
        } else {
            if has_pointer_arg {
                self.out.push_str(free);
            }
            self.out.push_str("  Py_INCREF(Py_None);\n  return Py_None;\n");
        }
        self.out.push_str("}\n#else\n");

        // PyPy calls `_cffi_f_*` directly; structs and complex numbers travel by
        // pointer (a struct result through a first pointer argument).
        let indirect =
            |r: &Recompiler, t: TypeId| matches!(r.types.get(t), CType::Record(_)) || r.types.is_complex(t);
        let result_indirect = indirect(self.r, sig.result);
        if sig.args.iter().any(|&a| indirect(self.r, a)) || result_indirect {
            let mut params = Vec::with_capacity(nargs + 1);
            let mut call = Vec::with_capacity(nargs);
            if result_indirect {
                params.push(self.c(sig.result, "*result", &result_context)?);
            }
            for (i, &a) in sig.args.iter().enumerate() {
                if indirect(self.r, a) {
                    params.push(self.c(a, &format!("*x{i}"), &arg_context)?);
                    call.push(format!("*x{i}"));
                } else {
                    params.push(arg_decls[i].clone());
                    call.push(xs[i].clone());
                }
            }
            let params = if params.is_empty() { "void".to_string() } else { params.join(", ") };
            let call = call.join(", ");
            if result_indirect {
                let void_ty = self.r.types.void();
                let head = self.c(void_ty, &format!("{abi}_cffi_f_{name}({params})"), "a C file")?;
                put!(self; "static ", &head, "\n{\n  { *result = ", name, "(", &call, "); }\n}\n");
            } else if let Some(decl) = &result_decl {
                let head = self.c(sig.result, &format!("{abi}_cffi_f_{name}({params})"), "a C file")?;
                put!(self; "static ", &head, "\n{\n  ", decl, ";\n  { result = ", name, "(", &call, "); }\n  return result;\n}\n");
            } else {
                let head = self.c(sig.result, &format!("{abi}_cffi_f_{name}({params})"), "a C file")?;
                put!(self; "static ", &head, "\n{\n  { ", name, "(", &call, "); }\n}\n");
            }
        } else {
            put!(self; "#  define _cffi_f_", name, " _cffi_d_", name, "\n");
        }
        self.out.push_str("#endif\n\n");
        Ok(())
    }

    fn is_pointer(&self, t: TypeId) -> bool {
        matches!(self.r.types.get(t), CType::Pointer { .. } | CType::NamedPointer { .. })
    }

    fn convert_arg_to_c(&mut self, tp: TypeId, from: &str, to: &str, err: &str) -> Result<()> {
        // (argument types were spelled already: their names have no `$` here)
        let cname = self.r.types.plain(tp).to_string();
        match self.r.types.get(tp) {
            CType::Primitive(name) | CType::UnknownInt(name) | CType::UnknownFloat(name)
                if !self.r.types.is_complex(tp) =>
            {
                let unknown_float = matches!(self.r.types.get(tp), CType::UnknownFloat(_));
                if self.r.types.is_integer(tp) && name != "_Bool" {
                    put!(self; "  ", to, " = _cffi_to_c_int(", from, ", ", name.as_str(), ");\n");
                } else if unknown_float {
                    put!(self; "  ", to, " = (", &cname, ")_cffi_to_c_double(", from, ");\n");
                } else {
                    let converter = name.replace(' ', "_");
                    if cname == "char16_t" || cname == "char32_t" {
                        self.r.needs_version(VERSION_CHAR16CHAR32);
                    }
                    put!(self; "  ", to, " = (", &cname, ")_cffi_to_c_", &converter, "(", from, ");\n");
                }
                put!(self; "  if (", to, " == (", &cname, ")-1 && PyErr_Occurred())\n    ", err, ";\n");
            }
            CType::Pointer { .. } | CType::NamedPointer { .. } => {
                let idx = self.tindex(tp)?.to_string();
                put!(self; "  datasize = _cffi_prepare_pointer_call_argument(\n      _cffi_type(", &idx, "), ", from, ", (char **)&", to, ");\n");
                put!(self; "  if (datasize != 0) {\n    ", to, " = ((size_t)datasize) <= 640 ? (", &cname, ")alloca((size_t)datasize) : NULL;\n");
                put!(self; "    if (_cffi_convert_array_argument(_cffi_type(", &idx, "), ", from, ", (char **)&", to, ",\n");
                put!(self; "            datasize, &large_args_free) < 0)\n      ", err, ";\n  }\n");
            }
            CType::Record(_) | CType::Enum(_) | CType::Primitive(_) => {
                let idx = self.tindex(tp)?.to_string();
                put!(self; "  if (_cffi_to_c((char *)&", to, ", _cffi_type(", &idx, "), ", from, ") < 0)\n    ", err, ";\n");
            }
            CType::FunctionPtr(_) => {
                let idx = self.tindex(tp)?.to_string();
                put!(self; "  ", to, " = (", &cname, ")_cffi_to_c_pointer(", from, ", _cffi_type(", &idx, "));\n");
                put!(self; "  if (", to, " == (", &cname, ")NULL && PyErr_Occurred())\n    ", err, ";\n");
            }
            _ => return Err(Refusal::bare("NotImplementedError", self.r.types.repr(tp))),
        }
        Ok(())
    }

    fn convert_expr_from_c(&mut self, tp: TypeId, var: &str, context: &str) -> Result<String> {
        let ctype = self.r.types.get(tp).clone();
        Ok(match &ctype {
            CType::Primitive(name) | CType::UnknownInt(name) | CType::UnknownFloat(name) => {
                if self.r.types.is_integer(tp) && name != "_Bool" {
                    format!("_cffi_from_c_int({var}, {name})")
                } else if matches!(ctype, CType::UnknownFloat(_)) {
                    format!("_cffi_from_c_double({var})")
                } else if name != "long double" && !self.r.types.is_complex(tp) {
                    let cname = name.replace(' ', "_");
                    if cname == "char16_t" || cname == "char32_t" {
                        self.r.needs_version(VERSION_CHAR16CHAR32);
                    }
                    format!("_cffi_from_c_{cname}({var})")
                } else {
                    format!("_cffi_from_c_deref((char *)&{var}, _cffi_type({}))", self.tindex(tp)?)
                }
            }
            CType::Pointer { .. } | CType::NamedPointer { .. } | CType::FunctionPtr(_) => {
                format!("_cffi_from_c_pointer((char *){var}, _cffi_type({}))", self.tindex(tp)?)
            }
            CType::Array { item, .. } => {
                let p = self.r.types.pointer(*item);
                format!("_cffi_from_c_pointer((char *){var}, _cffi_type({}))", self.tindex(p)?)
            }
            CType::Record(r) => {
                if self.r.types.records[*r].fields.is_none() {
                    return Err(Refusal::type_error(format!(
                        "'{}' is used as {context}, but is opaque",
                        self.r.types.c_name_plain(tp)
                    )));
                }
                format!("_cffi_from_c_struct((char *)&{var}, _cffi_type({}))", self.tindex(tp)?)
            }
            CType::Enum(_) => format!("_cffi_from_c_deref((char *)&{var}, _cffi_type({}))", self.tindex(tp)?),
            _ => return Err(Refusal::bare("NotImplementedError", self.r.types.repr(tp))),
        })
    }

    // ------------------------------------------------------------ extern "Python"

    /// A C function that packs its arguments in 8-byte slots and calls the Python
    /// function attached with `@ffi.def_extern()`.
    pub(super) fn extern_python(&mut self, d: &Decl, tag: &str) -> Result<()> {
        let ty = ty_of(d);
        let sig = self.r.func_sig(ty).clone();
        let name = d.name.as_str();
        let void = matches!(self.r.types.get(sig.result), CType::Void);
        let size_of_result = if void {
            "0".to_string()
        } else {
            format!("(int)sizeof({})", self.c(sig.result, "", &format!("result of {name}"))?)
        };
        w!(self, "static struct _cffi_externpy_s _cffi_externpy__{name} =");
        w!(self, "  {{ \"{}.{name}\", {size_of_result}, 0, 0 }};\n", self.r.module_name);
        let context = format!("argument of {name}");
        let mut params = Vec::new();
        for (i, &a) in sig.args.iter().enumerate() {
            params.push(self.c(a, &format!(" a{i}"), &context)?);
        }
        let params = if params.is_empty() { "void".to_string() } else { params.join(", ") };
        let mut name_and_args = format!("{name}({params})");
        if sig.abi.as_deref() == Some("__stdcall") {
            name_and_args = format!("_cffi_stdcall {name_and_args}");
        }
        let long_double =
            |r: &Recompiler, t: TypeId| matches!(r.types.get(t), CType::Primitive(n) if n == "long double");
        let mut size_of_a = (sig.args.len() * 8).max(8);
        if long_double(self.r, sig.result) {
            size_of_a = size_of_a.max(16);
        }
        let size_of_a = if matches!(self.r.types.get(sig.result), CType::Record(_)) {
            let c = self.c(sig.result, "", "a C file")?;
            format!("sizeof({c}) > {size_of_a} ? sizeof({c}) : {size_of_a}")
        } else {
            size_of_a.to_string()
        };
        let head = self.c(sig.result, &name_and_args, "a C file")?;
        w!(self, "{tag}{head}\n{{\n  char a[{size_of_a}];\n  char *p = a;");
        for (i, &a) in sig.args.iter().enumerate() {
            let (arg, t) = if matches!(self.r.types.get(a), CType::Record(_)) || long_double(self.r, a) {
                (format!("&a{i}"), self.r.types.pointer(a))
            } else {
                (format!("a{i}"), a)
            };
            let ptr = self.c(t, "*", "a C file")?;
            w!(self, "  *({ptr})(p + {}) = {arg};", i * 8);
        }
        w!(self, "  _cffi_call_python(&_cffi_externpy__{name}, p);");
        if !void {
            let ptr = self.c(sig.result, "*", "a C file")?;
            w!(self, "  return *({ptr})p;");
        }
        w!(self, "}}\n");
        self.num_externpy += 1;
        Ok(())
    }
}
