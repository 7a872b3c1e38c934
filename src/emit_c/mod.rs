//! The API-mode C emitter: a self-contained C (or C++) file that, compiled against
//! Python's headers, is the extension module talking to `_cffi_backend`.
//!
//! Layout of the file: our prelude (`prelude.h`), the user's source verbatim, the type
//! table, one block of C per declaration (wrappers, getters, constant functions,
//! layout checks: cffi's "decl" pass), the other tables, the type context and the
//! module init functions for CPython and PyPy.

use std::fmt::Write as _;

use rustc_hash::FxHashSet;

use crate::recompiler::ctype::{ArrayLen, CType, TypeId};
use crate::recompiler::tables::{EnumBase, GlobalKind, VERSION_CHAR16CHAR32};
use crate::recompiler::{Decl, DeclKind, DeclValue, Recompiler, Refusal, Result};

const PRELUDE: &str = include_str!("prelude.h");

/// Options of the emitted file that do not come from the cdef.
#[derive(Clone, Debug, Default)]
pub struct COptions {
    /// Never define `Py_LIMITED_API` (`py-limited-api = false`).
    pub no_limited_api: bool,
}

/// The whole C file for a module whose tables `r` holds.
pub fn emit(r: &mut Recompiler, preamble: &str, options: &COptions) -> Result<String> {
    // Roughly 1 KB of C per declaration: one allocation instead of many regrowths.
    let capacity = PRELUDE.len() + preamble.len() + 2048 * r.decls.len() + 64 * r.type_ops.len();
    let mut e = Emitter {
        r,
        out: String::with_capacity(capacity),
        seen_constants: FxHashSet::default(),
        num_externpy: 0,
    };
    e.file(preamble, options)?;
    Ok(e.out)
}

struct Emitter<'a> {
    r: &'a mut Recompiler,
    out: String,
    seen_constants: FxHashSet<(&'static str, String)>,
    num_externpy: usize,
}

macro_rules! w {
    ($e:expr, $($arg:tt)*) => {{
        let _ = writeln!($e.out, $($arg)*);
    }};
}

/// Appends string pieces to the output (cheaper than `write!` on hot paths).
macro_rules! put {
    ($e:expr; $($piece:expr),+ $(,)?) => {{
        $( $e.out.push_str($piece); )+
    }};
}

fn verr(e: crate::recompiler::ctype::NoCName) -> Refusal {
    Refusal::verification(e.0)
}

impl Emitter<'_> {
    fn c(&self, ty: TypeId, replace_with: &str, context: &str) -> Result<String> {
        self.r.types.c_decl(ty, replace_with, context, 0).map_err(verr)
    }

    fn cq(&self, ty: TypeId, replace_with: &str, context: &str, quals: u8) -> Result<String> {
        self.r.types.c_decl(ty, replace_with, context, quals).map_err(verr)
    }

    /// A type's index in the type table. cffi fails with a bare `KeyError` when a
    /// type it needs was never collected (a function returning an array).
    fn tindex(&self, ty: TypeId) -> Result<usize> {
        self.r.type_index.get(&ty).copied().ok_or_else(|| Refusal::bare("KeyError", self.r.types.repr(ty)))
    }

    fn file(&mut self, preamble: &str, options: &COptions) -> Result<()> {
        if options.no_limited_api {
            self.out.push_str("#define _CFFI_NO_LIMITED_API\n");
        }
        self.out.push_str(PRELUDE);
        w!(self, "\n/************************************************************/\n");
        w!(self, "{preamble}");
        w!(self, "\n/************************************************************/\n");

        w!(self, "static void *_cffi_types[] = {{");
        for (i, op) in self.r.type_ops.iter().enumerate() {
            let _ = write!(self.out, "/* {i:2} */ ");
            op.write_c(&mut self.out);
            self.out.push_str(",\n");
        }
        if self.r.type_ops.is_empty() {
            w!(self, "  0");
        }
        w!(self, "}};\n");

        let decls = std::mem::take(&mut self.r.decls);
        let result = decls.iter().try_for_each(|d| self.decl(d).map_err(|e| e.in_decl(&d.key())));
        self.r.decls = decls;
        result?;

        self.tables();
        self.init_functions();
        Ok(())
    }

    fn decl(&mut self, d: &Decl) -> Result<()> {
        match d.kind {
            DeclKind::Typedef => Ok(()),
            DeclKind::Function => self.function(d),
            DeclKind::Struct | DeclKind::Union => {
                let (cname, approx) = self.r.struct_names(ty_of(d))?;
                self.struct_check(ty_of(d), &cname, &approx)
            }
            DeclKind::Anonymous => {
                let ty = ty_of(d);
                match self.r.types.get(ty).clone() {
                    CType::Enum(e) => self.enum_constants(e),
                    _ => self.struct_check(ty, &d.name, &format!("typedef_{}", d.name)),
                }
            }
            DeclKind::Constant => {
                let ty = ty_of(d);
                let is_int = self.r.types.is_integer(ty);
                self.constant(is_int, &d.name, Some(ty), "const", None)
            }
            DeclKind::Enum => {
                let CType::Enum(e) = *self.r.types.get(ty_of(d)) else { unreachable!() };
                self.enum_constants(e)
            }
            DeclKind::Macro => {
                let DeclValue::Macro(v) = d.value else { unreachable!() };
                self.constant(true, &d.name, None, "const", v)
            }
            DeclKind::Variable => self.variable(d),
            DeclKind::ExternPython => self.extern_python(d, "static "),
            DeclKind::ExternPythonPlusC => self.extern_python(d, ""),
            DeclKind::DllexportPython => self.extern_python(d, "CFFI_DLLEXPORT "),
        }
    }

    // ------------------------------------------------------------ constants

    /// A function the runtime calls to read a constant: integers come back as
    /// `unsigned long long` plus a "not positive" flag (and a mismatch flag when the
    /// cdef gave the value); other constants are copied to the buffer.
    fn constant(
        &mut self,
        is_int: bool,
        name: &str,
        ty: Option<TypeId>,
        category: &'static str,
        check_value: Option<i128>,
    ) -> Result<()> {
        if !self.seen_constants.insert((category, name.to_string())) {
            return Err(Refusal::verification(format!("duplicate declaration of {category} '{name}'")));
        }
        let func = format!("_cffi_{category}_{name}");
        if is_int {
            w!(self, "static int {func}(unsigned long long *o)\n{{");
            w!(self, "  int n = ({name}) <= 0;");
            w!(self, "  *o = (unsigned long long)(({name}) | 0);  /* check that {name} is an integer */");
            if let Some(v) = check_value {
                // (the most negative long long has no literal of its own)
                let v = match v {
                    v if v > 0 => format!("{v}U"),
                    v if v == i64::MIN as i128 => "(-9223372036854775807LL - 1)".to_string(),
                    v => v.to_string(),
                };
                w!(self, "  if (!_cffi_check_int(*o, n, {v}))\n    n |= 2;");
            }
            w!(self, "  return n;\n}}\n");
        } else {
            let ty = ty.expect("non-integer constant has a type");
            let ptr = self.c(ty, "*", "a C file")?;
            w!(self, "static void {func}(char *o)\n{{\n  *({ptr})o = {name};\n}}\n");
        }
        Ok(())
    }

    fn enum_constants(&mut self, e: usize) -> Result<()> {
        let names = self.r.types.enums[e].enumerators.clone();
        for n in names {
            self.constant(true, &n, None, "const", None)?;
        }
        Ok(())
    }

    // ------------------------------------------------------------ globals

    fn variable(&mut self, d: &Decl) -> Result<()> {
        let mut ty = self.r.global_type(ty_of(d), &d.name);
        let mut amp = "&";
        if let CType::Array { item, len: ArrayLen::Open } = self.r.types.get(ty) {
            ty = *item;
            amp = "";
        }
        let decl = self.cq(ty, &format!("*_cffi_var_{}(void)", d.name), "a C file", d.quals)?;
        w!(self, "static {decl}\n{{\n  return {amp}({});\n}}\n", d.name);
        Ok(())
    }

    // ------------------------------------------------------------ structs

    /// Compile-time checks of a declared struct's fields (never called; warnings or
    /// errors are the point) and the helper giving its alignment.
    fn struct_check(&mut self, ty: TypeId, cname: &str, approx: &str) -> Result<()> {
        let CType::Record(rec) = *self.r.types.get(ty) else { unreachable!() };
        if self.r.types.records[rec].fields.is_none() {
            return Ok(());
        }
        w!(self, "_CFFI_UNUSED_FN\nstatic void _cffi_checkfld_{approx}({cname} *p)\n{{");
        w!(self, "  /* only to generate compile-time warnings or errors */\n  (void)p;");
        for f in self.r.enum_fields(rec)? {
            let mut fname = f.name.clone();
            let mut fty = f.ty;
            if self.r.types.is_integer(fty) || f.bitsize >= 0 {
                if !fname.is_empty() {
                    w!(self, "  (void)((p->{fname}) | 0);  /* check that '{cname}.{fname}' is an integer */");
                }
                continue;
            }
            while let CType::Array { item, len: ArrayLen::Open | ArrayLen::Dots } = self.r.types.get(fty) {
                fty = *item;
                fname.push_str("[0]");
            }
            match self.r.types.c_decl(fty, "*tmp", &format!("field '{fname}'"), f.quals) {
                Ok(decl) => w!(self, "  {{ {decl} = &p->{fname}; (void)tmp; }}"),
                Err(e) => w!(self, "  /* {} */", e.0),
            }
        }
        w!(self, "}}\nstruct _cffi_align_{approx} {{ char x; {cname} y; }};\n");
        Ok(())
    }

    // ------------------------------------------------------------ functions

    fn function(&mut self, d: &Decl) -> Result<()> {
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
    fn extern_python(&mut self, d: &Decl, tag: &str) -> Result<()> {
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

    // ------------------------------------------------------------ tables

    fn tables(&mut self) {
        let r = &*self.r;
        let mut out = String::new();
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
                let _ = writeln!(
                    out,
                    "  {{ \"{}\", {},\n    {},\n    {} }},",
                    f.name,
                    f.offset,
                    f.size,
                    f.type_op.c_expr()
                );
            }
            out.push_str("};\n\n");
        }
        if !r.struct_unions.is_empty() {
            out.push_str("static const struct _cffi_struct_union_s _cffi_struct_unions[] = {\n");
            for s in &r.struct_unions {
                let comment = s.comment.map(|c| format!("/* {c} */ ")).unwrap_or_default();
                let _ = writeln!(
                    out,
                    "  {{ \"{}\", {}, {},\n    {}, {}, {}, {} {comment}}},",
                    s.name,
                    s.type_index,
                    s.flags_c(),
                    s.size,
                    s.alignment,
                    s.first_field_index,
                    s.num_fields
                );
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
                let _ = writeln!(out, "  {{ \"{}\", {} }},", t.name, t.type_index);
            }
            out.push_str("};\n\n");
        }
        let table = |present: bool, name: &str| if present { name.to_string() } else { "NULL".to_string() };
        let flags = (self.num_externpy > 0) as u32;
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
        let _ = writeln!(out, "  NULL,  /* no includes */");
        let _ = writeln!(out, "  {},  /* num_types */", r.type_ops.len());
        let _ = writeln!(out, "  {flags},  /* flags: 1 = uses extern \"Python\" */\n}};\n");
        self.out.push_str(&out);
    }

    fn init_functions(&mut self) {
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

fn ty_of(d: &Decl) -> TypeId {
    match d.value {
        DeclValue::Type(t) => t,
        DeclValue::Macro(_) => unreachable!("a macro has no type"),
    }
}
