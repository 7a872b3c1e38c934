//! The C of functions: the direct-call function, the CPython wrapper converting
//! arguments and result through `_cffi_backend`'s exports, the PyPy entry point, and
//! the C side of `extern "Python"` callbacks.

use std::fmt::Write as _;

use smallvec::SmallVec;

use super::{push_int, put, w, Emitter};
use crate::generator::model::{Abi, Declaration, Primitive, Quals, Type, TypeId};
use crate::generator::recompiler::tables::VERSION_CHAR16CHAR32;
use crate::generator::recompiler::{ty_of, Recompiler, Refusal, Result};

impl Emitter<'_, '_> {
    // ------------------------------------------------------------ functions

    pub(super) fn function(&mut self, d: &Declaration) -> Result<()> {
        let ty = ty_of(d);
        let name = d.name();
        if self.r.func_sig(ty).ellipsis {
            // Variadic: exposed as a constant function pointer of the exact type.
            return self.constant(false, name, Some(ty), "const", None);
        }
        let sig = self.r.func_sig(ty).clone();
        let nargs = sig.args.len();
        let abi = sig.abi.map(Abi::as_str);
        let arg_context = || format!("argument of {name}");
        let result_context = || format!("result of {name}");
        let void = matches!(self.r.ffi.ty(sig.result), Type::Void);
        // `T xN`: the parameters of the direct-call function and the wrapper's locals,
        // written one after the other into `decls` (`ends[i]` closes the i-th).
        let mut decls = String::with_capacity(48 * nargs);
        let mut ends: SmallVec<[usize; 8]> = SmallVec::new();
        let mut call_args = String::with_capacity(4 * nargs);
        let mut x = String::new();
        for (i, &a) in sig.args.iter().enumerate() {
            x.clear();
            x.push('x');
            push_int(&mut x, i);
            self.c_into(&mut decls, a, &x, arg_context)?;
            ends.push(decls.len());
            if i > 0 {
                call_args.push_str(", ");
            }
            call_args.push_str(&x);
        }
        let arg_decl = |i: usize| &decls[if i == 0 { 0 } else { ends[i - 1] }..ends[i]];

        // The direct-call version, for `ffi.addressof(lib, name)` and PyPy.
        let mut head = String::with_capacity(decls.len() + name.len() + 32);
        if let Some(abi) = abi {
            head.push_str(abi);
            head.push(' ');
        }
        put!(head; "_cffi_d_", name, "(");
        push_params(&mut head, (0..nargs).map(arg_decl));
        head.push(')');
        self.out.push_str("static ");
        self.put_c(sig.result, &head, || "a C file".into())?;
        let ret = if void { "" } else { "return " };
        put!(self.out; "\n{\n  ", ret, name, "(", &call_args, ");\n}\n");

        // The CPython wrapper: METH_NOARGS, METH_O or METH_VARARGS.
        let argname = match nargs {
            0 => "noarg",
            1 => "arg0",
            _ => "args",
        };
        put!(self.out; "#ifndef PYPY_VERSION\nstatic PyObject *\n_cffi_f_", name, "(PyObject *self, PyObject *", argname, ")\n{\n");
        for i in 0..nargs {
            put!(self.out; "  ", arg_decl(i), ";\n");
        }
        let has_pointer_arg = sig.args.iter().any(|&a| self.is_pointer(a));
        if has_pointer_arg {
            self.out.push_str("  Py_ssize_t datasize;\n  struct _cffi_freeme_s *large_args_free = NULL;\n");
        }
        let result_decl = if void { None } else { Some(self.c(sig.result, "result", &result_context())?) };
        if let Some(decl) = &result_decl {
            put!(self.out; "  ", decl, ";\n  PyObject *pyresult;\n");
        }
        if nargs > 1 {
            for i in 0..nargs {
                self.out.push_str("  PyObject *arg");
                push_int(&mut self.out, i);
                self.out.push_str(";\n");
            }
            put!(self.out; "\n  if (!PyArg_UnpackTuple(args, \"", name, "\", ");
            push_int(&mut self.out, nargs);
            self.out.push_str(", ");
            push_int(&mut self.out, nargs);
            for i in 0..nargs {
                self.out.push_str(", &arg");
                push_int(&mut self.out, i);
            }
            self.out.push_str("))\n    return NULL;\n");
        }
        self.out.push('\n');
        let mut from = String::new();
        for (i, &t) in sig.args.iter().enumerate() {
            from.clear();
            from.push_str("arg");
            push_int(&mut from, i);
            x.clear();
            x.push('x');
            push_int(&mut x, i);
            self.convert_arg_to_c(t, &from, &x, "return NULL")?;
            self.out.push('\n');
        }
        let assign = if void { "" } else { "result = " };
        put!(self.out; "  Py_BEGIN_ALLOW_THREADS\n  _cffi_restore_errno();\n  { ", assign, name, "(", &call_args, "); }\n");
        self.out.push_str("  _cffi_save_errno();\n  Py_END_ALLOW_THREADS\n\n  (void)self; /* unused */\n");
        if nargs == 0 {
            self.out.push_str("  (void)noarg; /* unused */\n");
        }
        let free = "  if (large_args_free != NULL) _cffi_free_array_arguments(large_args_free);\n";
        if !void {
            self.out.push_str("  pyresult = ");
            self.convert_expr_from_c(sig.result, "result", "result type")?;
            self.out.push_str(";\n");
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
        let indirect = |r: &Recompiler, t: TypeId| {
            matches!(r.ffi.ty(t), Type::StructOrUnion(_)) || r.ffi.ty(t).is_complex_type()
        };
        let result_indirect = indirect(self.r, sig.result);
        if sig.args.iter().any(|&a| indirect(self.r, a)) || result_indirect {
            let mut params = Vec::with_capacity(nargs + 1);
            let mut call = Vec::with_capacity(nargs);
            if result_indirect {
                params.push(self.c(sig.result, "*result", &result_context())?);
            }
            for (i, &a) in sig.args.iter().enumerate() {
                if indirect(self.r, a) {
                    params.push(self.c(a, &format!("*x{i}"), &arg_context())?);
                    call.push(format!("*x{i}"));
                } else {
                    params.push(arg_decl(i).to_string());
                    call.push(format!("x{i}"));
                }
            }
            let params = if params.is_empty() { "void".to_string() } else { params.join(", ") };
            let call = call.join(", ");
            let abi = abi.map(|a| format!("{a} ")).unwrap_or_default();
            if result_indirect {
                let void_ty = self.r.ffi.void();
                let head = self.c(void_ty, &format!("{abi}_cffi_f_{name}({params})"), "a C file")?;
                put!(self.out; "static ", &head, "\n{\n  { *result = ", name, "(", &call, "); }\n}\n");
            } else if let Some(decl) = &result_decl {
                let head = self.c(sig.result, &format!("{abi}_cffi_f_{name}({params})"), "a C file")?;
                put!(self.out; "static ", &head, "\n{\n  ", decl, ";\n  { result = ", name, "(", &call, "); }\n  return result;\n}\n");
            } else {
                let head = self.c(sig.result, &format!("{abi}_cffi_f_{name}({params})"), "a C file")?;
                put!(self.out; "static ", &head, "\n{\n  { ", name, "(", &call, "); }\n}\n");
            }
        } else {
            put!(self.out; "#  define _cffi_f_", name, " _cffi_d_", name, "\n");
        }
        self.out.push_str("#endif\n\n");
        Ok(())
    }

    fn is_pointer(&self, t: TypeId) -> bool {
        self.r.ffi.ty(t).is_pointer_type()
    }

    fn convert_arg_to_c(&mut self, tp: TypeId, from: &str, to: &str, err: &str) -> Result<()> {
        // (argument types were spelled already: their names have no `$` here)
        let ffi = &*self.r.ffi;
        let cname = ffi.c_name(tp);
        let cname = cname.as_ref();
        let out = &mut self.out;
        let ty = ffi.ty(tp);
        match ty {
            Type::Primitive(_) | Type::UnknownInteger(_) | Type::UnknownFloat(_) if !ty.is_complex_type() => {
                let name = scalar_name(ty);
                let unknown_float = matches!(ty, Type::UnknownFloat(_));
                if ty.is_integer_type() && name != "_Bool" {
                    put!(out; "  ", to, " = _cffi_to_c_int(", from, ", ", name, ");\n");
                } else if unknown_float {
                    put!(out; "  ", to, " = (", cname, ")_cffi_to_c_double(", from, ");\n");
                } else {
                    put!(out; "  ", to, " = (", cname, ")_cffi_to_c_");
                    push_underscored(out, name);
                    put!(out; "(", from, ");\n");
                }
                put!(out; "  if (", to, " == (", cname, ")-1 && PyErr_Occurred())\n    ", err, ";\n");
                if cname == "char16_t" || cname == "char32_t" {
                    self.r.needs_version(VERSION_CHAR16CHAR32);
                }
            }
            Type::Pointer { .. } | Type::NamedPointer { .. } => {
                let idx = self.tindex(tp)?;
                let out = &mut self.out;
                put!(out; "  datasize = _cffi_prepare_pointer_call_argument(\n      _cffi_type(");
                push_int(out, idx);
                put!(out; "), ", from, ", (char **)&", to, ");\n");
                put!(out; "  if (datasize != 0) {\n    ", to, " = ((size_t)datasize) <= 640 ? (", cname, ")alloca((size_t)datasize) : NULL;\n");
                put!(out; "    if (_cffi_convert_array_argument(_cffi_type(");
                push_int(out, idx);
                put!(out; "), ", from, ", (char **)&", to, ",\n");
                put!(out; "            datasize, &large_args_free) < 0)\n      ", err, ";\n  }\n");
            }
            Type::StructOrUnion(_) | Type::Enum(_) | Type::Primitive(_) => {
                let idx = self.tindex(tp)?;
                let out = &mut self.out;
                put!(out; "  if (_cffi_to_c((char *)&", to, ", _cffi_type(");
                push_int(out, idx);
                put!(out; "), ", from, ") < 0)\n    ", err, ";\n");
            }
            Type::FunctionPtr(_) => {
                let idx = self.tindex(tp)?;
                let out = &mut self.out;
                put!(out; "  ", to, " = (", cname, ")_cffi_to_c_pointer(", from, ", _cffi_type(");
                push_int(out, idx);
                put!(out; "));\n");
                put!(out; "  if (", to, " == (", cname, ")NULL && PyErr_Occurred())\n    ", err, ";\n");
            }
            _ => return Err(Refusal::bare("NotImplementedError", self.r.ffi.repr(tp))),
        }
        Ok(())
    }

    /// Appends the C expression converting `var` (of type `tp`) to a Python object.
    fn convert_expr_from_c(&mut self, tp: TypeId, var: &str, context: &str) -> Result<()> {
        let ffi = &*self.r.ffi;
        let ty = ffi.ty(tp);
        let (call, index_of) = match ty {
            Type::Primitive(_) | Type::UnknownInteger(_) | Type::UnknownFloat(_) => {
                let name = scalar_name(ty);
                if ty.is_integer_type() && name != "_Bool" {
                    put!(self.out; "_cffi_from_c_int(", var, ", ", name, ")");
                    return Ok(());
                } else if matches!(ty, Type::UnknownFloat(_)) {
                    put!(self.out; "_cffi_from_c_double(", var, ")");
                    return Ok(());
                } else if name != "long double" && !ty.is_complex_type() {
                    let char16_or_32 = name == "char16_t" || name == "char32_t";
                    self.out.push_str("_cffi_from_c_");
                    push_underscored(&mut self.out, name);
                    put!(self.out; "(", var, ")");
                    if char16_or_32 {
                        self.r.needs_version(VERSION_CHAR16CHAR32);
                    }
                    return Ok(());
                } else {
                    ("_cffi_from_c_deref((char *)&", tp)
                }
            }
            Type::Pointer { .. } | Type::NamedPointer { .. } | Type::FunctionPtr(_) => {
                ("_cffi_from_c_pointer((char *)", tp)
            }
            Type::Array { item, .. } => {
                let item = *item;
                ("_cffi_from_c_pointer((char *)", self.r.ffi.pointer(item, Quals::NONE))
            }
            Type::StructOrUnion(r) => {
                if ffi.struct_(*r).fields.is_none() {
                    return Err(Refusal::type_error(format!(
                        "'{}' is used as {context}, but is opaque",
                        ffi.c_name(tp)
                    )));
                }
                ("_cffi_from_c_struct((char *)&", tp)
            }
            Type::Enum(_) => ("_cffi_from_c_deref((char *)&", tp),
            _ => return Err(Refusal::bare("NotImplementedError", ffi.repr(tp))),
        };
        let idx = self.tindex(index_of)?;
        put!(self.out; call, var, ", _cffi_type(");
        push_int(&mut self.out, idx);
        self.out.push_str("))");
        Ok(())
    }

    // ------------------------------------------------------------ extern "Python"

    /// A C function that packs its arguments in 8-byte slots and calls the Python
    /// function attached with `@ffi.def_extern()`.
    pub(super) fn extern_python(&mut self, d: &Declaration, tag: &str) -> Result<()> {
        let ty = ty_of(d);
        let sig = self.r.func_sig(ty).clone();
        let name = d.name();
        let void = matches!(self.r.ffi.ty(sig.result), Type::Void);
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
        if sig.abi == Some(Abi::Stdcall) {
            name_and_args = format!("_cffi_stdcall {name_and_args}");
        }
        let long_double =
            |r: &Recompiler, t: TypeId| matches!(r.ffi.ty(t), Type::Primitive(Primitive::LongDouble));
        let mut size_of_a = (sig.args.len() * 8).max(8);
        if long_double(self.r, sig.result) {
            size_of_a = size_of_a.max(16);
        }
        let size_of_a = if matches!(self.r.ffi.ty(sig.result), Type::StructOrUnion(_)) {
            let c = self.c(sig.result, "", "a C file")?;
            format!("sizeof({c}) > {size_of_a} ? sizeof({c}) : {size_of_a}")
        } else {
            size_of_a.to_string()
        };
        let head = self.c(sig.result, &name_and_args, "a C file")?;
        w!(self, "{tag}{head}\n{{\n  char a[{size_of_a}];\n  char *p = a;");
        for (i, &a) in sig.args.iter().enumerate() {
            let (arg, t) = if matches!(self.r.ffi.ty(a), Type::StructOrUnion(_)) || long_double(self.r, a) {
                (format!("&a{i}"), self.r.ffi.pointer(a, Quals::NONE))
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

/// The name of a primitive or of a `typedef int...` / `typedef float...` type.
fn scalar_name(ty: &Type) -> &str {
    match ty {
        Type::Primitive(p) => p.name(),
        Type::UnknownInteger(name) | Type::UnknownFloat(name) => name,
        _ => unreachable!("not a scalar type"),
    }
}

/// A C parameter list: the declarations separated by commas, or `void`.
fn push_params<'s>(out: &mut String, decls: impl ExactSizeIterator<Item = &'s str>) {
    if decls.len() == 0 {
        out.push_str("void");
    }
    for (i, decl) in decls.enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(decl);
    }
}

/// Appends a primitive's name with its spaces as underscores (`unsigned_int`), as
/// the runtime's converter names are spelled.
fn push_underscored(out: &mut String, name: &str) {
    for (i, word) in name.split(' ').enumerate() {
        if i > 0 {
            out.push('_');
        }
        out.push_str(word);
    }
}
