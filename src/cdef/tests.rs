//! Unit tests of the whole front end on small cdefs.

use super::*;
use crate::model::{DeclKind, Type};

fn ffi(src: &str) -> Ffi {
    match parse_str(src) {
        Ok(f) => f,
        Err(e) => panic!("{src:?} failed: {} {}", e.cffi_class(), e.cffi_message()),
    }
}

#[test]
fn functions_and_typedefs() {
    let f = ffi("typedef int foo_t; foo_t f(int, char *, ...);");
    let d = f.declaration(DeclKind::Function, "f").unwrap();
    assert_eq!(f.c_name(d.ty().unwrap()), "int(*)(int, char *, ...)");
    assert!(matches!(**f.declaration(DeclKind::Typedef, "foo_t").unwrap().ty().unwrap(), Type::Primitive(_)));
}
