//! C spelling of types, with cffi's `&` marker convention: the one implementation the
//! parser's messages, the tables and both emitters use.
//!
//! cffi renders every type as a C declaration with a hole, the `&`, where a declarator
//! name goes: `int *&`, `int(*&)(char)`, `int &[5]`. Filling the hole with a name gives
//! a declaration; with nothing, the type name. These strings order the type table and
//! appear in the generated C and in error messages.
//!
//! Names of structs/unions/enums are read from the arenas, and a later typedef may
//! still rename a struct while the cdefs are parsed. So spellings are computed on
//! demand while parsing, and cached once the names are final ([`Ffi::seal_names`]):
//! from then on every type is spelled once, when interned, from its components'
//! cached spellings.

use std::borrow::Cow;

use super::{ArrayLength, Ffi, Quals, Type, TypeId};

/// cffi's `VerificationError("cannot generate '...' in ...: unknown type name")`:
/// the type involves an anonymous struct/union/enum that has no C name.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("cannot generate '{c_name}' in {context}: unknown type name")]
pub struct UnknownTypeName {
    /// The type as cffi's `_get_c_name()` spells it (with `$` names).
    pub c_name: String,
    /// What was being generated (`"a C file"`, `"function foo"`...).
    pub context: String,
}

/// The cached spellings of the interned types (empty until the names are final).
#[derive(Clone, Debug, Default)]
pub(super) struct Spellings {
    sealed: bool,
    /// cffi's `c_name_with_marker` of each type.
    markers: Vec<String>,
    /// The same without the marker (cffi's `_get_c_name()`).
    plain: Vec<String>,
    /// Where the `&` is in each marker, or `None` when the type has no C name (a `$`).
    amp: Vec<Option<u32>>,
}

/// cffi's `qualify()`: prefix a declarator with qualifiers.
fn qualify(quals: Quals, replace_with: &str) -> String {
    let mut s = replace_with.to_string();
    if quals.contains(Quals::CONST) {
        s = format!(" const {}", s.trim_start());
    }
    if quals.contains(Quals::VOLATILE) {
        s = format!(" volatile {}", s.trim_start());
    }
    if quals.contains(Quals::RESTRICT) {
        s = format!(" __restrict {}", s.trim_start());
    }
    s
}

impl Ffi {
    /// The struct, union and enum names are final (the parser is done): spell every
    /// type once and keep the spellings, and spell new types as they are interned.
    pub fn seal_names(&mut self) {
        self.spellings.sealed = true;
        self.spell_new_types();
    }

    pub(super) fn spell_new_types(&mut self) {
        if !self.spellings.sealed {
            return;
        }
        let n = self.types.len();
        let s = &mut self.spellings;
        s.markers.reserve(n - s.markers.len());
        s.plain.reserve(n - s.plain.len());
        s.amp.reserve(n - s.amp.len());
        for i in self.spellings.markers.len()..n {
            let marker = self.compute_marker(&self.types[TypeId::from_index(i)]);
            let amp = marker.find('&').unwrap_or(marker.len());
            let mut plain = String::with_capacity(marker.len());
            plain.push_str(&marker[..amp]);
            plain.push_str(marker.get(amp + 1..).unwrap_or(""));
            let s = &mut self.spellings;
            s.amp.push((!marker.contains('$')).then_some(amp as u32));
            s.plain.push(plain);
            s.markers.push(marker);
        }
    }

    /// cffi's `c_name_with_marker`: the C spelling with one `&` where a declarator
    /// name would go.
    pub fn c_name_with_marker(&self, id: TypeId) -> Cow<'_, str> {
        match self.spellings.markers.get(id.index()) {
            Some(m) => Cow::Borrowed(m),
            None => Cow::Owned(self.compute_marker(&self.types[id])),
        }
    }

    /// cffi's `_get_c_name()` / `str(tp)`: the type name alone (may contain `$`).
    pub fn c_name(&self, id: TypeId) -> Cow<'_, str> {
        match self.spellings.plain.get(id.index()) {
            Some(p) => Cow::Borrowed(p),
            None => Cow::Owned(self.c_name_with_marker(id).replacen('&', "", 1)),
        }
    }

    /// cffi's `repr(tp)`: `<int *>`.
    pub fn repr(&self, id: TypeId) -> String {
        format!("<{}>", self.c_name(id))
    }

    fn compute_marker(&self, ty: &Type) -> String {
        match ty {
            Type::Void => "void&".into(),
            Type::Primitive(p) => format!("{}&", p.name()),
            Type::UnknownInteger(name) | Type::UnknownFloat(name) | Type::NamedPointer { name, .. } => {
                format!("{name}&")
            }
            Type::RawFunction(f) | Type::FunctionPtr(f) => {
                // The result's marker with `&` replaced by `(&)(args)` / `(*&)(args)`,
                // the calling convention (if any) right after the opening parenthesis.
                let result = self.c_name_with_marker(f.result);
                let (before, after) = result.split_once('&').unwrap_or_default();
                let mut m = String::with_capacity(before.len() + after.len() + 16 * f.args.len() + 8);
                m.push_str(before);
                m.push('(');
                if let Some(abi) = f.abi {
                    m.push_str(abi.as_str());
                    m.push(' ');
                }
                m.push_str(if matches!(ty, Type::RawFunction(_)) { "&)(" } else { "*&)(" });
                for (i, &a) in f.args.iter().enumerate() {
                    if i > 0 {
                        m.push_str(", ");
                    }
                    m.push_str(&self.c_name(a));
                }
                if f.ellipsis {
                    m.push_str(if f.args.is_empty() { "..." } else { ", ..." });
                } else if f.args.is_empty() {
                    m.push_str("void");
                }
                m.push(')');
                m.push_str(after);
                m
            }
            Type::Pointer { to, quals } => {
                let extra = if matches!(self.types[*to], Type::Array { .. }) { "(*&)" } else { " *&" };
                self.c_name_with_marker(*to).replacen('&', &qualify(*quals, extra), 1)
            }
            Type::Array { item, length } => {
                let brackets = match length {
                    ArrayLength::Unspecified => "&[]".to_string(),
                    ArrayLength::DotDotDot => "&[/*...*/]".to_string(),
                    ArrayLength::Known(n) => format!("&[{n}]"),
                    ArrayLength::CExpr(e) => format!("&[{e}]"),
                };
                self.c_name_with_marker(*item).replacen('&', &brackets, 1)
            }
            Type::StructOrUnion(id) => format!("{}&", self.struct_(*id).c_name),
            Type::Enum(id) => format!("{}&", self.enum_(*id).c_name),
        }
    }

    /// cffi's `get_c_name(replace_with, context, quals)`: a C declaration of
    /// `replace_with` (a name, `*name`, `(*name)[3]`, or empty for the bare type) with
    /// this type and `quals`. Fails like cffi when the type has no C name.
    pub fn get_c_name(
        &self,
        id: TypeId,
        replace_with: &str,
        context: &str,
        quals: Quals,
    ) -> Result<String, UnknownTypeName> {
        let mut decl = String::new();
        if self.write_c_name(&mut decl, id, replace_with, quals) {
            Ok(decl)
        } else {
            Err(self.unknown_type_name(id, context))
        }
    }

    /// [`Ffi::get_c_name`] appended to `out`; `false` (and nothing written) when the
    /// type has no C name (see [`Ffi::unknown_type_name`]).
    pub fn write_c_name(&self, out: &mut String, id: TypeId, replace_with: &str, quals: Quals) -> bool {
        // (cffi checks the whole declaration: a `$` in the declarator counts too)
        let marker = self.c_name_with_marker(id);
        let amp = match self.spellings.amp.get(id.index()) {
            Some(&amp) => amp.map(|a| a as usize),
            None => (!marker.contains('$')).then(|| marker.find('&').unwrap_or(marker.len())),
        };
        let Some(amp) = amp else { return false };
        if replace_with.contains('$') {
            return false;
        }
        let rw = replace_with.trim();
        let (before, after) = marker.split_at(amp);
        let after = after.get(1..).unwrap_or("");
        out.reserve(marker.len() + rw.len() + 4);
        out.push_str(before);
        let parenthesize = rw.starts_with('*') && after.starts_with('[');
        if !quals.is_empty() {
            // cffi's qualify(): the qualifiers go first, then the declarator.
            let inner = if parenthesize { format!("({rw})") } else { rw.to_string() };
            out.push_str(&qualify(quals, &inner));
        } else if parenthesize {
            out.push('(');
            out.push_str(rw);
            out.push(')');
        } else {
            if !rw.is_empty() && !rw.starts_with('[') && !rw.starts_with('(') {
                out.push(' ');
            }
            out.push_str(rw);
        }
        out.push_str(after);
        true
    }

    /// The error of [`Ffi::get_c_name`] for a declaration made in `context`.
    pub fn unknown_type_name(&self, id: TypeId, context: &str) -> UnknownTypeName {
        UnknownTypeName { c_name: self.c_name(id).into_owned(), context: context.to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::model::{Abi, FunctionType, Primitive, StructKind, StructOrUnion};

    /// The spellings must be the same before (computed) and after (cached) sealing.
    fn both(ffi: &mut Ffi, check: impl Fn(&Ffi)) {
        check(ffi);
        ffi.seal_names();
        check(ffi);
    }

    #[test]
    fn pointers_arrays_and_functions_use_the_marker_like_cffi() {
        let mut ffi = Ffi::default();
        let int = ffi.primitive(Primitive::Int);
        let p = ffi.pointer(int, Quals::NONE);
        let char_ = ffi.primitive(Primitive::Char);
        let cp = ffi.pointer(char_, Quals::CONST);
        let arr = ffi.array(p, ArrayLength::Known(5));
        let arr3 = ffi.array(int, ArrayLength::Known(3));
        let parr = ffi.pointer(arr3, Quals::NONE);
        let f = FunctionType { args: vec![int, p], result: int, ellipsis: true, abi: None };
        let fp = ffi.intern(Type::FunctionPtr(f.clone()));
        let raw = ffi.intern(Type::RawFunction(f));
        let void = ffi.intern(Type::Void);
        let g = ffi.intern(Type::FunctionPtr(FunctionType {
            args: vec![],
            result: void,
            ellipsis: false,
            abi: Some(Abi::Stdcall),
        }));
        let dots = ffi.array(int, ArrayLength::DotDotDot);
        let qual = ffi.pointer(int, Quals::CONST | Quals::VOLATILE | Quals::RESTRICT);
        both(&mut ffi, |ffi| {
            assert_eq!(ffi.c_name(p), "int *");
            assert_eq!(ffi.c_name(cp), "char const *");
            assert_eq!(ffi.c_name(arr), "int *[5]");
            assert_eq!(ffi.c_name(parr), "int(*)[3]");
            assert_eq!(ffi.c_name(fp), "int(*)(int, int *, ...)");
            assert_eq!(ffi.c_name(raw), "int()(int, int *, ...)");
            assert_eq!(ffi.c_name(g), "void(__stdcall *)(void)");
            assert_eq!(ffi.c_name(dots), "int[/*...*/]");
            assert_eq!(ffi.c_name(qual), "int __restrict volatile const *");
        });
    }

    #[test]
    fn get_c_name_places_declarators_and_refuses_dollar_names() {
        let mut ffi = Ffi::default();
        let int = ffi.primitive(Primitive::Int);
        let arr = ffi.array(int, ArrayLength::Known(3));
        let parr = ffi.pointer(arr, Quals::NONE);
        ffi.structs.push(StructOrUnion::new(StructKind::Struct, "$1".into(), None));
        let anon = ffi.intern(Type::StructOrUnion(crate::generator::model::StructId(0)));
        both(&mut ffi, |ffi| {
            assert_eq!(ffi.get_c_name(arr, "*x", "a C file", Quals::NONE).unwrap(), "int(*x)[3]");
            assert_eq!(ffi.get_c_name(parr, "*x", "here", Quals::NONE).unwrap(), "int(* *x)[3]");
            assert_eq!(ffi.get_c_name(int, "x", "a C file", Quals::CONST).unwrap(), "int const x");
            assert_eq!(ffi.get_c_name(int, "", "a C file", Quals::NONE).unwrap(), "int");
            let err = ffi.get_c_name(anon, "x", "a C file", Quals::NONE).unwrap_err();
            assert_eq!(err.to_string(), "cannot generate 'struct $1' in a C file: unknown type name");
        });
    }

    #[test]
    fn a_struct_renamed_before_sealing_is_spelled_with_its_final_name() {
        let mut ffi = Ffi::default();
        ffi.structs.push(StructOrUnion::new(StructKind::Struct, "foo".into(), None));
        let s = ffi.intern(Type::StructOrUnion(crate::generator::model::StructId(0)));
        let p = ffi.pointer(s, Quals::NONE);
        assert_eq!(ffi.c_name(p), "struct foo *");
        ffi.struct_mut(crate::generator::model::StructId(0)).force_the_name(Some("foo_t".into()));
        ffi.seal_names();
        assert_eq!(ffi.c_name(p), "foo_t *");
    }
}
