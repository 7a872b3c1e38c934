//! The API-mode C emitter: a self-contained C (or C++) file that, compiled against
//! Python's headers, is the extension module talking to `_cffi_backend`.
//!
//! Layout of the file: our prelude (`prelude.h`), the user's source verbatim, the type
//! table, one block of C per declaration (wrappers, getters, constant functions,
//! layout checks: cffi's "decl" pass), the other tables, the type context and the
//! module init functions for CPython and PyPy.

mod embedding;
mod functions;
mod tables;

use std::fmt::Write as _;

use rustc_hash::FxHashSet;

use crate::generator::model::{ArrayLength, DeclKind, Declaration, EnumId, Quals, Type, TypeId};
use crate::generator::recompiler::{macro_value, ty_of, Recompiler, Refusal, Result};

const PRELUDE: &str = include_str!("prelude.h");

/// Options of the emitted file that do not come from the cdef.
#[derive(Clone, Debug, Default)]
pub struct COptions {
    /// Never define `Py_LIMITED_API` (`py-limited-api = false`).
    pub no_limited_api: bool,
    /// An embedding library: the Python init code (see `embedding.h`).
    pub embedding: Option<String>,
}

/// The whole C file for a module whose tables `r` holds.
pub fn emit(r: &mut Recompiler<'_>, preamble: &str, options: &COptions) -> Result<String> {
    // Roughly 1 KB of C per declaration: one allocation instead of many regrowths.
    let capacity = PRELUDE.len() + preamble.len() + 2048 * r.order.len() + 64 * r.type_ops.len();
    let mut e = Emitter {
        r,
        out: String::with_capacity(capacity),
        seen_constants: FxHashSet::default(),
        num_externpy: 0,
        embedding: options.embedding.is_some(),
    };
    e.file(preamble, options)?;
    Ok(e.out)
}

struct Emitter<'a, 'f> {
    r: &'a mut Recompiler<'f>,
    out: String,
    seen_constants: FxHashSet<(&'static str, String)>,
    num_externpy: usize,
    /// The module is an embedding library (its context flags say it calls Python).
    embedding: bool,
}

/// `writeln!` into the output.
macro_rules! w {
    ($e:expr, $($arg:tt)*) => {{
        let _ = writeln!($e.out, $($arg)*);
    }};
}
pub(crate) use w;

/// Appends string pieces to a `String` (cheaper than `write!` on hot paths).
macro_rules! put {
    ($out:expr; $($piece:expr),+ $(,)?) => {{
        $( $out.push_str($piece); )+
    }};
}
pub(crate) use put;

impl Emitter<'_, '_> {
    fn c(&self, ty: TypeId, replace_with: &str, context: &str) -> Result<String> {
        self.cq(ty, replace_with, context, Quals::NONE)
    }

    fn cq(&self, ty: TypeId, replace_with: &str, context: &str, quals: Quals) -> Result<String> {
        self.r.ffi.get_c_name(ty, replace_with, context, quals).map_err(Refusal::unknown_type_name)
    }

    /// [`Emitter::c`] appended to `buf`; `context` is only built for the error.
    fn c_into(
        &self,
        buf: &mut String,
        ty: TypeId,
        replace_with: &str,
        context: impl FnOnce() -> String,
    ) -> Result<()> {
        if self.r.ffi.write_c_name(buf, ty, replace_with, Quals::NONE) {
            Ok(())
        } else {
            Err(Refusal::unknown_type_name(self.r.ffi.unknown_type_name(ty, &context())))
        }
    }

    /// [`Emitter::c`] appended to the output.
    fn put_c(&mut self, ty: TypeId, replace_with: &str, context: impl FnOnce() -> String) -> Result<()> {
        if self.r.ffi.write_c_name(&mut self.out, ty, replace_with, Quals::NONE) {
            Ok(())
        } else {
            Err(Refusal::unknown_type_name(self.r.ffi.unknown_type_name(ty, &context())))
        }
    }

    /// A type's index in the type table. cffi fails with a bare `KeyError` when a
    /// type it needs was never collected (a function returning an array).
    fn tindex(&self, ty: TypeId) -> Result<usize> {
        self.r.type_index.get(&ty).copied().ok_or_else(|| Refusal::bare("KeyError", self.r.ffi.repr(ty)))
    }

    fn file(&mut self, preamble: &str, options: &COptions) -> Result<()> {
        // An embedding library links the full libpython and its runtime uses more than
        // the limited API (as cffi's docs say, no Py_LIMITED_API for embedding).
        if options.embedding.is_some() {
            // (the compiler may define it too: the build compiles such modules with it)
            self.out.push_str("#ifndef _CFFI_NO_LIMITED_API\n#  define _CFFI_NO_LIMITED_API\n#endif\n");
        } else if options.no_limited_api {
            self.out.push_str("#define _CFFI_NO_LIMITED_API\n");
        }
        self.out.push_str(PRELUDE);
        if let Some(init_code) = &options.embedding {
            self.r.needs_version(embedding::VERSION_EMBEDDED);
            embedding::runtime_block(&mut self.out, &self.r.module_name, init_code);
        }
        w!(self, "\n/************************************************************/\n");
        w!(self, "{preamble}");
        w!(self, "\n/************************************************************/\n");

        w!(self, "static void *_cffi_types[] = {{");
        for (i, op) in self.r.type_ops.iter().enumerate() {
            self.out.push_str(if i < 10 { "/*  " } else { "/* " });
            push_int(&mut self.out, i);
            self.out.push_str(" */ ");
            op.write_c(&mut self.out);
            self.out.push_str(",\n");
        }
        if self.r.type_ops.is_empty() {
            w!(self, "  0");
        }
        w!(self, "}};\n");

        // (the declarations are lent out by the recompiler meanwhile)
        let mut decls = std::mem::take(&mut self.r.ffi.declarations);
        let order = std::mem::take(&mut self.r.order);
        let result = order.iter().try_for_each(|&id| {
            let d = &decls[id.0 as usize];
            self.decl(d).map_err(|e| e.in_decl(id, &d.key))
        });
        std::mem::swap(&mut self.r.ffi.declarations, &mut decls);
        self.r.order = order;
        result?;

        self.tables();
        self.init_functions();
        Ok(())
    }

    fn decl(&mut self, d: &Declaration) -> Result<()> {
        match d.kind() {
            DeclKind::Typedef => Ok(()),
            DeclKind::Function => self.function(d),
            DeclKind::Struct | DeclKind::Union => {
                let (cname, approx) = self.r.struct_names(ty_of(d))?;
                self.struct_check(ty_of(d), &cname, &approx)
            }
            DeclKind::Anonymous => {
                let ty = ty_of(d);
                match *self.r.ffi.ty(ty) {
                    Type::Enum(e) => self.enum_constants(e),
                    _ => self.struct_check(ty, d.name(), &format!("typedef_{}", d.name())),
                }
            }
            DeclKind::Constant => {
                let ty = ty_of(d);
                let is_int = self.r.ffi.ty(ty).is_integer_type();
                self.constant(is_int, d.name(), Some(ty), "const", None)
            }
            DeclKind::Enum => {
                let Type::Enum(e) = *self.r.ffi.ty(ty_of(d)) else { unreachable!() };
                self.enum_constants(e)
            }
            DeclKind::Macro => self.constant(true, d.name(), None, "const", macro_value(d)),
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
        let out = &mut self.out;
        if is_int {
            put!(out; "static int _cffi_", category, "_", name, "(unsigned long long *o)\n{\n");
            put!(out; "  int n = (", name, ") <= 0;\n");
            put!(out; "  *o = (unsigned long long)((", name, ") | 0);  /* check that ", name, " is an integer */\n");
            if let Some(v) = check_value {
                out.push_str("  if (!_cffi_check_int(*o, n, ");
                // (the most negative long long has no literal of its own)
                match v {
                    v if v > 0 => {
                        push_int(out, v);
                        out.push('U');
                    }
                    v if v == i64::MIN as i128 => out.push_str("(-9223372036854775807LL - 1)"),
                    v => push_int(out, v),
                }
                out.push_str("))\n    n |= 2;\n");
            }
            out.push_str("  return n;\n}\n\n");
        } else {
            let ty = ty.expect("non-integer constant has a type");
            put!(self.out; "static void _cffi_", category, "_", name, "(char *o)\n{\n  *(");
            self.put_c(ty, "*", || "a C file".into())?;
            put!(self.out; ")o = ", name, ";\n}\n\n");
        }
        Ok(())
    }

    fn enum_constants(&mut self, e: EnumId) -> Result<()> {
        let names = self.r.ffi.enum_(e).enumerators.clone();
        for n in names {
            self.constant(true, &n, None, "const", None)?;
        }
        Ok(())
    }

    // ------------------------------------------------------------ globals

    fn variable(&mut self, d: &Declaration) -> Result<()> {
        let mut ty = self.r.global_type(ty_of(d), d.name());
        let mut amp = "&";
        if let Type::Array { item, length: ArrayLength::Unspecified } = self.r.ffi.ty(ty) {
            ty = *item;
            amp = "";
        }
        let decl = self.cq(ty, &format!("*_cffi_var_{}(void)", d.name()), "a C file", d.quals)?;
        w!(self, "static {decl}\n{{\n  return {amp}({});\n}}\n", d.name());
        Ok(())
    }

    // ------------------------------------------------------------ structs

    /// Compile-time checks of a declared struct's fields (never called; warnings or
    /// errors are the point) and the helper giving its alignment.
    fn struct_check(&mut self, ty: TypeId, cname: &str, approx: &str) -> Result<()> {
        let Type::StructOrUnion(rec) = *self.r.ffi.ty(ty) else { unreachable!() };
        if self.r.ffi.struct_(rec).fields.is_none() {
            return Ok(());
        }
        w!(self, "_CFFI_UNUSED_FN\nstatic void _cffi_checkfld_{approx}({cname} *p)\n{{");
        w!(self, "  /* only to generate compile-time warnings or errors */\n  (void)p;");
        for f in self.r.enum_fields(rec)? {
            let mut fname = f.name.clone();
            let mut fty = f.ty;
            if self.r.ffi.ty(fty).is_integer_type() || f.cffi_bitsize() >= 0 {
                if !fname.is_empty() {
                    w!(self, "  (void)((p->{fname}) | 0);  /* check that '{cname}.{fname}' is an integer */");
                }
                continue;
            }
            while let Type::Array { item, length: ArrayLength::Unspecified | ArrayLength::DotDotDot } =
                self.r.ffi.ty(fty)
            {
                fty = *item;
                fname.push_str("[0]");
            }
            match self.r.ffi.get_c_name(fty, "*tmp", &format!("field '{fname}'"), f.quals) {
                Ok(decl) => w!(self, "  {{ {decl} = &p->{fname}; (void)tmp; }}"),
                Err(e) => w!(self, "  /* {e} */"),
            }
        }
        w!(self, "}}\nstruct _cffi_align_{approx} {{ char x; {cname} y; }};\n");
        Ok(())
    }
}

/// Appends an integer in decimal.
fn push_int(out: &mut String, n: impl itoa::Integer) {
    out.push_str(itoa::Buffer::new().format(n));
}
