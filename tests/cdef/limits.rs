//! Hostile inputs get a clear error instead of a stack overflow or a hang.

use std::time::Instant;

use cffi_forge::diagnostic::ToDiagnostic;
use cffi_forge::generator::cdef::{self, parse_str};

fn refused_with(src: &str, needle: &str) {
    let start = Instant::now();
    let err = parse_str(src).expect_err("should be refused");
    let rendered = err.to_diagnostic().render(false);
    assert!(rendered.contains(needle), "expected {needle:?} in:\n{rendered}");
    // Not a timing assertion on speed, a guard against pathological blow-ups.
    assert!(start.elapsed().as_secs() < 20, "took {:?}", start.elapsed());
}

#[test]
fn deeply_parenthesized_declarator() {
    let n = 100_000;
    let src = format!("extern int {}x{};", "(".repeat(n), ")".repeat(n));
    refused_with(&src, "nesting deeper than");
}

#[test]
fn very_many_pointer_levels() {
    refused_with(&format!("extern int {}p;", "*".repeat(100_000)), "more than 200 pointer");
}

#[test]
fn very_many_array_levels() {
    refused_with(&format!("extern int a{};", "[1]".repeat(50_000)), "more than 200 pointer");
}

#[test]
fn deeply_nested_structs() {
    let n = 50_000;
    let src = format!("struct s {};", "{ struct ".repeat(n) + &"}; ".repeat(n));
    refused_with(&src, "nesting deeper than");
}

#[test]
fn deeply_nested_expressions() {
    let n = 100_000;
    let src = format!("enum e {{ A = {}1{} }};", "(".repeat(n), ")".repeat(n));
    refused_with(&src, "nesting deeper than");
    refused_with(&format!("enum e {{ A = {}1 }};", "-".repeat(n)), "nesting deeper than");
}

#[test]
fn very_long_operator_chain() {
    refused_with(&format!("enum e {{ A = 1{} }};", " + 1".repeat(100_000)), "more than 1000 operators");
    // Long but reasonable chains are fine.
    let ffi = parse_str(&format!("enum e {{ A = 1{} }};", " | 1".repeat(900))).unwrap();
    assert_eq!(ffi.int_constants["A"], 1);
}

#[test]
fn deeply_nested_initializers_and_bodies() {
    let n = 100_000;
    refused_with(
        &format!("static const int x[1] = {}1{};", "{".repeat(n), "}".repeat(n)),
        "nesting deeper than",
    );
    refused_with(&format!("int f(void) {}{};", "{".repeat(n), "}".repeat(n)), "nesting deeper than");
}

#[test]
fn long_typedef_chains() {
    let mut src = String::from("typedef int *p0;\n");
    for i in 1..1000 {
        src.push_str(&format!("typedef p{} *p{i};\n", i - 1));
    }
    refused_with(&src, "type nested more than");
}

#[test]
fn oversized_input() {
    let src = "int f(void);\n".repeat(cdef::MAX_INPUT / 13 + 1);
    refused_with(&src, "more than the limit");
}

#[test]
fn many_declarations_are_fine() {
    let mut src = String::new();
    for i in 0..20_000 {
        src.push_str(&format!("int f{i}(int, char *);\nstruct s{i} {{ int a; long b[4]; }};\n"));
    }
    let ffi = parse_str(&src).unwrap();
    assert_eq!(ffi.declarations.len(), 40_000);
}
