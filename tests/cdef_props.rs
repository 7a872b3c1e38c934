//! Property tests of the cdef front end:
//! - printing a declaration from the model (cffi's `get_c_name`) and parsing it back
//!   gives the same type, qualifiers and declaration kind;
//! - any input at all gives a model or an error, never a panic.

use std::sync::Arc;

use cffi_forge::cdef::parse_str;
use cffi_forge::model::{ArrayLength, DeclKind, Ffi, FunctionType, Primitive, Quals, Type, TypeRef};
use proptest::prelude::*;

fn quals() -> impl Strategy<Value = Quals> {
    (0u8..8).prop_map(Quals::from_bits)
}

fn primitive() -> impl Strategy<Value = TypeRef> {
    proptest::sample::select(Primitive::ALL).prop_map(Type::primitive)
}

/// Types C can declare a variable of, built the way cffi's parser builds them
/// (parameters already decayed, no `void` objects, no arrays of functions).
fn object_type() -> impl Strategy<Value = TypeRef> {
    primitive().prop_recursive(5, 32, 4, |inner| {
        prop_oneof![
            // Pointers may point at anything, including void.
            (prop_oneof![inner.clone(), Just(Type::void())], quals()).prop_map(|(t, q)| Type::pointer(t, q)),
            (inner.clone(), 1i128..9).prop_map(|(t, n)| Type::array(t, ArrayLength::Known(n))),
            (
                proptest::collection::vec(
                    inner.clone().prop_filter("parameters decay", |t| !t.is_array_type()),
                    0..3
                ),
                prop_oneof![
                    inner.clone().prop_filter("no array results", |t| !t.is_array_type()),
                    Just(Type::void())
                ],
                any::<bool>(),
            )
                .prop_map(|(args, result, ellipsis)| {
                    let ellipsis = ellipsis && !args.is_empty();
                    Arc::new(Type::FunctionPtr(FunctionType { args, result, ellipsis, abi: None }))
                }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn declarations_print_and_parse_back(ty in object_type(), q in quals(), is_extern in any::<bool>()) {
        let printer = Ffi::default();
        let decl = printer.get_c_name(&ty, "x", "a test", q).unwrap();
        let storage = if is_extern { "extern " } else { "static " };
        let src = format!("{storage}{decl};");
        let ffi = parse_str(&src).map_err(|e| TestCaseError::fail(format!("{src}: {}", e.cffi_message())))?;
        // cffi: a const (non-array) object is a constant, anything else a variable.
        let kind = if q.is_const() && !ty.is_array_type() { DeclKind::Constant } else { DeclKind::Variable };
        let d = ffi.declaration(kind, "x");
        prop_assert!(d.is_some(), "{} declared {:?}", src, ffi.declarations.keys().collect::<Vec<_>>());
        let d = d.unwrap();
        prop_assert_eq!(&**d.ty().unwrap(), &*ty, "{}", src);
        prop_assert_eq!(ffi.c_name(d.ty().unwrap()), printer.c_name(&ty));
        // For arrays the qualifiers are those of the items; cffi keeps them on the
        // declaration either way.
        prop_assert_eq!(d.quals, q, "{}", src);
    }

    #[test]
    fn functions_print_and_parse_back(
        args in proptest::collection::vec(object_type().prop_filter("parameters decay", |t| !t.is_array_type()), 0..4),
        result in prop_oneof![object_type().prop_filter("no array results", |t| !t.is_array_type()), Just(Type::void())],
        ellipsis in any::<bool>(),
    ) {
        let ellipsis = ellipsis && !args.is_empty();
        let ty: TypeRef = Arc::new(Type::FunctionPtr(FunctionType { args, result, ellipsis, abi: None }));
        let printer = Ffi::default();
        let raw = ty.as_raw_function().unwrap();
        let decl = printer.get_c_name(&raw, "f", "a test", Quals::NONE).unwrap();
        let ffi = parse_str(&format!("{decl};")).map_err(|e| TestCaseError::fail(format!("{decl}: {}", e.cffi_message())))?;
        let d = ffi.declaration(DeclKind::Function, "f").unwrap();
        prop_assert_eq!(&**d.ty().unwrap(), &*ty, "{}", decl);
    }

    #[test]
    fn arbitrary_text_never_panics(src in "[ -~\\n\\t]{0,200}") {
        let _ = parse_str(&src);
    }

    #[test]
    fn arbitrary_c_like_token_soup_never_panics(
        words in proptest::collection::vec(proptest::sample::select(&[
            "int", "char", "unsigned", "long", "const", "volatile", "struct", "union", "enum", "typedef",
            "extern", "static", "void", "size_t", "FILE", "foo_t", "x", "y", "...", "(", ")", "[", "]", "{",
            "}", ";", ",", "*", "=", ":", "1", "0x10", "-", "+", "<<", "\"Python\"", "__stdcall", "#define N 3\n",
            "sizeof", "'a'", "?", "/*", "*/", "//", "\n", "#pragma x\n", "restrict", "_Bool", "float", "double",
        ][..]), 0..60)
    ) {
        let src = words.join(" ");
        let _ = parse_str(&src);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = parse_str(&String::from_utf8_lossy(&bytes));
    }
}
