//! Property tests of the cdef front end:
//! - printing a declaration from the model (cffi's `get_c_name`) and parsing it back
//!   gives the same type, qualifiers and declaration kind;
//! - any input at all gives a model or an error, never a panic.

use cffi_forge::generator::cdef::parse_str;
use cffi_forge::generator::model::{
    ArrayLength, DeclKind, Ffi, FunctionType, Primitive, Quals, Type, TypeId,
};
use proptest::prelude::*;

/// A type as a tree, to generate (model types live in one FFI's arena).
#[derive(Clone, Debug, PartialEq)]
enum Shape {
    Void,
    Primitive(Primitive),
    Pointer(Box<Shape>, Quals),
    Array(Box<Shape>, i128),
    FunctionPtr { args: Vec<Shape>, result: Box<Shape>, ellipsis: bool },
}

impl Shape {
    fn is_array(&self) -> bool {
        matches!(self, Shape::Array(..))
    }

    /// The type in `ffi`'s arena.
    fn intern(&self, ffi: &mut Ffi) -> TypeId {
        match self {
            Shape::Void => ffi.void(),
            Shape::Primitive(p) => ffi.primitive(*p),
            Shape::Pointer(to, q) => {
                let to = to.intern(ffi);
                ffi.pointer(to, *q)
            }
            Shape::Array(item, n) => {
                let item = item.intern(ffi);
                ffi.array(item, ArrayLength::Known(*n))
            }
            Shape::FunctionPtr { args, result, ellipsis } => {
                let args = args.iter().map(|a| a.intern(ffi)).collect();
                let result = result.intern(ffi);
                ffi.intern(Type::FunctionPtr(FunctionType { args, result, ellipsis: *ellipsis, abi: None }))
            }
        }
    }

    /// The tree of a type of `ffi` (`None` for a type no shape has).
    fn of(ffi: &Ffi, id: TypeId) -> Option<Shape> {
        Some(match ffi.ty(id) {
            Type::Void => Shape::Void,
            Type::Primitive(p) => Shape::Primitive(*p),
            Type::Pointer { to, quals } => Shape::Pointer(Box::new(Shape::of(ffi, *to)?), *quals),
            Type::Array { item, length: ArrayLength::Known(n) } => {
                Shape::Array(Box::new(Shape::of(ffi, *item)?), *n)
            }
            Type::FunctionPtr(f) if f.abi.is_none() => Shape::FunctionPtr {
                args: f.args.iter().map(|&a| Shape::of(ffi, a)).collect::<Option<_>>()?,
                result: Box::new(Shape::of(ffi, f.result)?),
                ellipsis: f.ellipsis,
            },
            _ => return None,
        })
    }
}

fn quals() -> impl Strategy<Value = Quals> {
    (0u8..8).prop_map(Quals::from_bits)
}

fn primitive() -> impl Strategy<Value = Shape> {
    proptest::sample::select(Primitive::ALL).prop_map(Shape::Primitive)
}

/// Types C can declare a variable of, built the way cffi's parser builds them
/// (parameters already decayed, no `void` objects, no arrays of functions).
fn object_type() -> impl Strategy<Value = Shape> {
    primitive().prop_recursive(5, 32, 4, |inner| {
        prop_oneof![
            // Pointers may point at anything, including void.
            (prop_oneof![inner.clone(), Just(Shape::Void)], quals())
                .prop_map(|(t, q)| Shape::Pointer(Box::new(t), q)),
            (inner.clone(), 1i128..9).prop_map(|(t, n)| Shape::Array(Box::new(t), n)),
            (
                proptest::collection::vec(
                    inner.clone().prop_filter("parameters decay", |t| !t.is_array()),
                    0..3
                ),
                prop_oneof![
                    inner.clone().prop_filter("no array results", |t| !t.is_array()),
                    Just(Shape::Void)
                ],
                any::<bool>(),
            )
                .prop_map(|(args, result, ellipsis)| {
                    let ellipsis = ellipsis && !args.is_empty();
                    Shape::FunctionPtr { args, result: Box::new(result), ellipsis }
                }),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn declarations_print_and_parse_back(ty in object_type(), q in quals(), is_extern in any::<bool>()) {
        let mut printer = Ffi::default();
        let id = ty.intern(&mut printer);
        let decl = printer.get_c_name(id, "x", "a test", q).unwrap();
        let storage = if is_extern { "extern " } else { "static " };
        let src = format!("{storage}{decl};");
        let ffi = parse_str(&src).map_err(|e| TestCaseError::fail(format!("{src}: {}", e.cffi_message())))?;
        // cffi: a const (non-array) object is a constant, anything else a variable.
        let kind = if q.is_const() && !ty.is_array() { DeclKind::Constant } else { DeclKind::Variable };
        let d = ffi.declaration(kind, "x");
        prop_assert!(d.is_some(), "{} declared {:?}", src, ffi.declarations.keys().collect::<Vec<_>>());
        let d = d.unwrap();
        prop_assert_eq!(Shape::of(&ffi, d.ty().unwrap()), Some(ty), "{}", src);
        prop_assert_eq!(ffi.c_name(d.ty().unwrap()), printer.c_name(id));
        // For arrays the qualifiers are those of the items; cffi keeps them on the
        // declaration either way.
        prop_assert_eq!(d.quals, q, "{}", src);
    }

    #[test]
    fn functions_print_and_parse_back(
        args in proptest::collection::vec(object_type().prop_filter("parameters decay", |t| !t.is_array()), 0..4),
        result in prop_oneof![object_type().prop_filter("no array results", |t| !t.is_array()), Just(Shape::Void)],
        ellipsis in any::<bool>(),
    ) {
        let ellipsis = ellipsis && !args.is_empty();
        let ty = Shape::FunctionPtr { args, result: Box::new(result), ellipsis };
        let mut printer = Ffi::default();
        let id = ty.intern(&mut printer);
        let raw = printer.as_raw_function(id);
        let decl = printer.get_c_name(raw, "f", "a test", Quals::NONE).unwrap();
        let ffi = parse_str(&format!("{decl};")).map_err(|e| TestCaseError::fail(format!("{decl}: {}", e.cffi_message())))?;
        let d = ffi.declaration(DeclKind::Function, "f").unwrap();
        prop_assert_eq!(Shape::of(&ffi, d.ty().unwrap()), Some(ty), "{}", decl);
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
