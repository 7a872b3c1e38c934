//! C spelling of types, with cffi's `&` marker convention.
//!
//! cffi renders every type as a C declaration with a hole, the `&`, where a declarator
//! name goes: `int *&`, `int(*&)(char)`, `int &[5]`. Filling the hole with a name gives
//! a declaration; with nothing, the type name. Names of structs/unions/enums are read
//! from the arenas at render time, so a struct renamed by a later typedef is spelled
//! with its final name.

use std::fmt;

use super::{ArrayLength, Ffi, FunctionType, Quals, Type};

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

impl UnknownTypeName {
    pub fn cffi_class(&self) -> &'static str {
        "VerificationError"
    }
}

/// cffi's `qualify()`: prefix a declarator with qualifiers.
pub(crate) fn qualify(quals: Quals, replace_with: &str) -> String {
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
    /// cffi's `c_name_with_marker`: the C spelling with one `&` where a declarator
    /// name would go.
    pub fn c_name_with_marker(&self, ty: &Type) -> String {
        match ty {
            Type::Void => "void&".into(),
            Type::Primitive(p) => format!("{}&", p.name()),
            Type::UnknownInteger(name) | Type::UnknownFloat(name) | Type::NamedPointer { name, .. } => {
                format!("{name}&")
            }
            Type::RawFunction(f) => self.function_marker(f, "(&)"),
            Type::FunctionPtr(f) => self.function_marker(f, "(*&)"),
            Type::Pointer { to, quals } => {
                let extra = if to.is_array_type() { "(*&)" } else { " *&" };
                self.c_name_with_marker(to).replace('&', &qualify(*quals, extra))
            }
            Type::Array { item, length } => {
                let brackets = match length {
                    ArrayLength::Unspecified => "&[]".to_string(),
                    ArrayLength::DotDotDot => "&[/*...*/]".to_string(),
                    ArrayLength::Known(n) => format!("&[{n}]"),
                    ArrayLength::CExpr(e) => format!("&[{e}]"),
                };
                self.c_name_with_marker(item).replace('&', &brackets)
            }
            Type::StructOrUnion(id) => format!("{}&", self.struct_(*id).c_name),
            Type::Enum(id) => format!("{}&", self.enum_(*id).c_name),
        }
    }

    fn function_marker(&self, f: &FunctionType, pattern: &str) -> String {
        let mut args: Vec<String> = f.args.iter().map(|a| self.c_name(a)).collect();
        if f.ellipsis {
            args.push("...".into());
        }
        if args.is_empty() {
            args.push("void".into());
        }
        // `(&)` / `(*&)` with the calling convention after the opening parenthesis.
        let hole = match f.abi {
            Some(abi) => format!("({} {}", abi.as_str(), &pattern[1..]),
            None => pattern.to_string(),
        };
        let replace_with = format!("{hole}({})", args.join(", "));
        self.c_name_with_marker(&f.result).replace('&', &replace_with)
    }

    /// cffi's `_get_c_name()`: the type name alone (may contain `$`).
    pub fn c_name(&self, ty: &Type) -> String {
        self.c_name_with_marker(ty).replace('&', "")
    }

    /// cffi's `has_c_name()`.
    pub fn has_c_name(&self, ty: &Type) -> bool {
        !self.c_name(ty).contains('$')
    }

    /// cffi's `get_c_name(replace_with, context, quals)`: a C declaration of
    /// `replace_with` (a name, `*name`, `(*name)[3]`, or empty for the bare type) with
    /// this type and `quals`. Fails like cffi when the type has no C name.
    pub fn get_c_name(
        &self,
        ty: &Type,
        replace_with: &str,
        context: &str,
        quals: Quals,
    ) -> Result<String, UnknownTypeName> {
        let result = self.c_name_with_marker(ty);
        let mut replace_with = replace_with.trim().to_string();
        if !replace_with.is_empty() {
            if replace_with.starts_with('*') && result.contains("&[") {
                replace_with = format!("({replace_with})");
            } else if !replace_with.starts_with(['[', '(']) {
                replace_with = format!(" {replace_with}");
            }
        }
        let replace_with = qualify(quals, &replace_with);
        let result = result.replace('&', &replace_with);
        if result.contains('$') {
            return Err(UnknownTypeName { c_name: self.c_name(ty), context: context.to_string() });
        }
        Ok(result)
    }

    /// A displayable `_get_c_name()` of a type (`format!("{}", ffi.display(&ty))`).
    pub fn display<'a>(&'a self, ty: &'a Type) -> impl fmt::Display + 'a {
        struct D<'a>(&'a Ffi, &'a Type);
        impl fmt::Display for D<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0.c_name(self.1))
            }
        }
        D(self, ty)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::model::{Abi, Primitive, StructKind, StructOrUnion};

    fn int() -> Arc<Type> {
        Type::primitive(Primitive::Int)
    }

    #[test]
    fn pointers_arrays_and_functions_use_the_marker_like_cffi() {
        let ffi = Ffi::default();
        let p = Type::pointer(int(), Quals::NONE);
        assert_eq!(ffi.c_name(&p), "int *");
        let cp = Type::pointer(Type::primitive(Primitive::Char), Quals::CONST);
        assert_eq!(ffi.c_name(&cp), "char const *");
        let arr = Type::array(p.clone(), ArrayLength::Known(5));
        assert_eq!(ffi.c_name(&arr), "int *[5]");
        let parr = Type::pointer(Type::array(int(), ArrayLength::Known(3)), Quals::NONE);
        assert_eq!(ffi.c_name(&parr), "int(*)[3]");
        let f = FunctionType { args: vec![int(), p.clone()], result: int(), ellipsis: true, abi: None };
        assert_eq!(ffi.c_name(&Type::FunctionPtr(f.clone())), "int(*)(int, int *, ...)");
        assert_eq!(ffi.c_name(&Type::RawFunction(f)), "int()(int, int *, ...)");
        let g = FunctionType { args: vec![], result: Type::void(), ellipsis: false, abi: Some(Abi::Stdcall) };
        assert_eq!(ffi.c_name(&Type::FunctionPtr(g)), "void(__stdcall *)(void)");
        let dots = Type::array(int(), ArrayLength::DotDotDot);
        assert_eq!(ffi.c_name(&dots), "int[/*...*/]");
        let qual = Quals::CONST | Quals::VOLATILE | Quals::RESTRICT;
        assert_eq!(ffi.c_name(&Type::pointer(int(), qual)), "int __restrict volatile const *");
    }

    #[test]
    fn get_c_name_places_declarators_and_refuses_dollar_names() {
        let mut ffi = Ffi::default();
        let arr = Type::array(int(), ArrayLength::Known(3));
        assert_eq!(ffi.get_c_name(&arr, "*x", "a C file", Quals::NONE).unwrap(), "int(*x)[3]");
        assert_eq!(ffi.get_c_name(&int(), "x", "a C file", Quals::CONST).unwrap(), "int const x");
        assert_eq!(ffi.get_c_name(&int(), "", "a C file", Quals::NONE).unwrap(), "int");
        ffi.structs.push(StructOrUnion::new(StructKind::Struct, "$1".into(), None));
        let anon = Arc::new(Type::StructOrUnion(crate::model::StructId(0)));
        let err = ffi.get_c_name(&anon, "x", "a C file", Quals::NONE).unwrap_err();
        assert_eq!(err.to_string(), "cannot generate 'struct $1' in a C file: unknown type name");
    }
}
