//! Rendered diagnostics of rejected cdefs, snapshotted: every `test_err` example
//! next to the grammar code, plus errors located inside a pyproject.toml and a .h
//! file, and the warnings cffi would print.

use crate::support::{inline_cases, inline_expects_ok, source};
use cffi_forge::diagnostic::{SourceFile, ToDiagnostic};
use cffi_forge::generator::cdef;
use cffi_forge::spec::{CdefOptions, CdefSource};

fn render_error(sources: &[CdefSource]) -> String {
    match cdef::parse(sources) {
        Ok(_) => panic!("expected an error for {:?}", sources.iter().map(|s| &s.text).collect::<Vec<_>>()),
        Err(e) => {
            let d = e.to_diagnostic();
            assert!(!d.labels.is_empty(), "error without location: {e}");
            assert!(
                d.notes.iter().any(|n| matches!(n, cffi_forge::diagnostic::Note::Help(_))),
                "error without help: {e}"
            );
            format!("{}\n--- cffi: {}: {}", d.render(false), e.cffi_class(), e.cffi_message())
        }
    }
}

#[test]
fn inline_error_examples() {
    let mut seen = 0;
    for case in inline_cases() {
        if inline_expects_ok(&case) {
            continue;
        }
        seen += 1;
        let name = case.name.trim_start_matches("err:").to_string();
        let sources: Vec<CdefSource> =
            case.cdefs.iter().map(|c| source(&format!("{name}.h"), &c.text)).collect();
        insta::assert_snapshot!(name, render_error(&sources));
    }
    assert!(seen > 30, "only {seen} error examples");
}

#[test]
fn error_inside_pyproject_points_at_the_toml_line() {
    let pyproject = r#"[project]
name = "demo"

[[tool.cffi-forge.module]]
name = "demo._ffi"
cdef = """
int ok(int);
typedef long foo_t;
foo_t bad(unknown_t);
"""
"#;
    let start = pyproject.find("int ok").unwrap();
    let end = pyproject[start..].find("\"\"\"").unwrap() + start;
    let cdef = CdefSource {
        text: pyproject[start..end].to_string(),
        file: SourceFile::new("pyproject.toml", pyproject),
        offset: start,
        options: CdefOptions::default(),
    };
    let rendered = render_error(&[cdef]);
    assert!(rendered.contains("pyproject.toml:9:"), "{rendered}");
    insta::assert_snapshot!(rendered);
}

#[test]
fn error_in_second_cdef_file() {
    let first = source("include/first.h", "typedef int handle_t;\nint open_it(handle_t *);\n");
    let second = source("include/second.h", "/* more */\ntypedef long handle_t;\n");
    insta::assert_snapshot!(render_error(&[first, second]));
}

#[test]
fn bad_pack_option() {
    let mut s = source("pack.h", "struct s { char a; int b; };\n");
    s.options.pack = Some(3);
    insta::assert_snapshot!(render_error(&[s]));
}

#[test]
fn warnings_are_rendered_with_their_place() {
    let src = "int counter;\n#pragma pack(1)\nenum flags;\nstatic const char *const s = \"x\";\n";
    let ffi = cdef::parse(&[source("globals.h", src)]).unwrap();
    let rendered: Vec<String> = ffi.warnings.iter().map(|w| w.render(false)).collect();
    assert_eq!(rendered.len(), 4, "{rendered:#?}");
    insta::assert_snapshot!(rendered.join("\n"));
}
