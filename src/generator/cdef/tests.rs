//! Unit tests of the whole front end on small cdefs.

use super::*;
use crate::generator::model::{DeclKind, Type};

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
    assert!(matches!(
        f.ty(f.declaration(DeclKind::Typedef, "foo_t").unwrap().ty().unwrap()),
        Type::Primitive(_)
    ));
}

/// Parse as cffi does on a Windows host (64-bit unless `win64` is false).
fn ffi_on_windows(src: &str, win64: bool) -> Result<Ffi, CdefError> {
    let mut b = builder::Builder::default();
    b.windows = Some(win64);
    parse_one(&mut b, 0, &CdefSource::standalone("<cdef>", src))?;
    Ok(b.finish())
}

#[test]
fn windows_type_names_resolve_on_windows_only() {
    let src = "DWORD get(HANDLE, LPCWSTR, ULONG_PTR, PUNICODE_STRING);";
    let f = ffi_on_windows(src, true).unwrap();
    let d = f.declaration(DeclKind::Function, "get").unwrap();
    assert_eq!(
        f.c_name(d.ty().unwrap()),
        "unsigned long(*)(void *, wchar_t const *, unsigned long long, struct _UNICODE_STRING *)"
    );
    let f32 = ffi_on_windows(src, false).unwrap();
    let d = f32.declaration(DeclKind::Function, "get").unwrap();
    assert!(f32.c_name(d.ty().unwrap()).contains(", unsigned long, "), "ULONG_PTR is 32-bit on win32");
    // Not a type name elsewhere: cffi on Linux cannot parse it either.
    if !cfg!(windows) {
        assert_eq!(parse_str(src).unwrap_err().cffi_class(), "CDefError");
    }
    let e = ffi_on_windows("TCHAR *name(void);", true).unwrap_err();
    assert_eq!(e.cffi_class(), "FFIError");
    assert!(e.cffi_message().contains("ffi.set_unicode()"), "{}", e.cffi_message());
    // A user typedef of the same name wins, as in cffi.
    let f = ffi_on_windows("typedef int DWORD; DWORD f(void);", true).unwrap();
    let d = f.declaration(DeclKind::Function, "f").unwrap();
    assert_eq!(f.c_name(d.ty().unwrap()), "int(*)(void)");
}

#[test]
fn struct_containing_itself_does_not_loop() {
    // Found by fuzzing. cffi's parser accepts it (and fails later, at layout time).
    let f = ffi("struct flags { unsigned a:1; struct flags { unsigned b:1; }; unsigned c:3; };");
    let id = f.struct_ids().next().unwrap();
    let fields = f.enumfields(id, true);
    assert_eq!(fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["a", "", "c"]);
}
