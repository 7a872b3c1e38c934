//! The generator's boundary: code under `src/generator/` reaches the rest of the crate only
//! through the shared vocabulary. A `crate::config` (or `compile`, `archive`, `pipeline`,
//! ...) here would tie the parser and emitters to the backend; this test names the file
//! and line of any such path.

use std::path::{Path, PathBuf};

/// Top-level modules the generator may name: itself and the shared vocabulary.
const ALLOWED: &[&str] = &["generator", "spec", "diagnostic", "ui"];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module depth of a file below `generator` (`generator/mod.rs` is 0,
/// `generator/generate.rs` and `generator/cdef/mod.rs` are 1, ...).
fn depth(rel: &Path) -> usize {
    let parts = rel.components().count();
    if rel.file_name().is_some_and(|n| n == "mod.rs") {
        parts - 1
    } else {
        parts
    }
}

/// Every top-level module a line of Rust names: `crate::x`, `crate::{x, y::z}`, and
/// `super::` chains that climb out of `generator` (`escape` is how many `super::` a chain
/// needs to leave it).
fn named_modules(line: &str, escape: usize) -> Vec<String> {
    let mut found = Vec::new();
    let ident = |s: &str| s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect::<String>();
    for (i, _) in line.match_indices("crate::") {
        // Not the tail of a longer path or identifier (`cffi_forge::crate::`, `mycrate::`).
        if line[..i].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
            continue;
        }
        let rest = &line[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Top-level items of a group; nested groups belong to the item before them.
            let mut nesting = 0usize;
            let mut at_item = true;
            for (j, c) in group.char_indices() {
                match c {
                    '{' => nesting += 1,
                    '}' if nesting == 0 => break,
                    '}' => nesting -= 1,
                    ',' if nesting == 0 => at_item = true,
                    c if at_item && (c.is_alphanumeric() || c == '_') => {
                        found.push(ident(&group[j..]));
                        at_item = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.push(ident(rest));
        }
    }
    let mut rest = line;
    while let Some(i) = rest.find("super::") {
        let mut chain = &rest[i..];
        let mut supers = 0;
        while let Some(r) = chain.strip_prefix("super::") {
            supers += 1;
            chain = r;
        }
        if supers >= escape {
            found.push(ident(chain));
        }
        rest = chain;
    }
    found
}

fn violations(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(root, &mut files);
    files.sort();
    let mut bad = Vec::new();
    for path in files {
        let rel = path.strip_prefix(root).unwrap();
        if rel == Path::new("boundary_tests.rs") {
            continue; // its examples are the forbidden paths
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // Inline modules (`mod tests {`) add a level: a `super::super::` in them can still
        // be inside the generator. (Never decremented: lenient after one closes, and they
        // come last.)
        let mut inline_mods = 0;
        for (n, line) in text.lines().enumerate() {
            let t = line.trim_start();
            if (t.starts_with("mod ") || t.starts_with("pub mod ") || t.starts_with("pub(crate) mod "))
                && t.ends_with('{')
            {
                inline_mods += 1;
            }
            let escape = depth(rel) + inline_mods + 1;
            for module in named_modules(line, escape) {
                if !module.is_empty() && !ALLOWED.contains(&module.as_str()) {
                    bad.push(format!(
                        "src/generator/{}:{}: uses crate::{module}: {}",
                        rel.display(),
                        n + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    bad
}

#[test]
fn generator_names_only_the_shared_vocabulary() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/generator");
    let bad = violations(&root);
    assert!(
        bad.is_empty(),
        "the generator must not depend on the backend (allowed: {ALLOWED:?}):\n{}",
        bad.join("\n")
    );
}

#[test]
fn forbidden_paths_are_found() {
    // Through the scanner itself, so a broken scanner cannot pass the test above vacuously.
    assert_eq!(named_modules("use crate::config::Project;", 2), ["config"]);
    assert_eq!(named_modules("    let p = crate::compile::compile(x);", 2), ["compile"]);
    assert_eq!(
        named_modules("use crate::{spec::CdefSource, archive::{self, Wheel}, ui};", 2),
        ["spec", "archive", "ui"]
    );
    assert_eq!(named_modules("use cffi_forge::crate::x; use mycrate::y;", 2), Vec::<String>::new());
    // From `generator/cdef/lexer.rs` (depth 2) three `super::` leave the generator.
    assert_eq!(named_modules("use super::super::super::pipeline::x;", 3), ["pipeline"]);
    assert_eq!(named_modules("use super::super::model::Ffi;", 3), Vec::<String>::new());

    let dir = std::env::temp_dir().join(format!("cffi-forge-boundary-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("cdef")).unwrap();
    std::fs::write(dir.join("mod.rs"), "pub mod cdef;\nuse crate::spec::ModuleSpec;\n").unwrap();
    std::fs::write(
        dir.join("cdef/lexer.rs"),
        "use crate::generator::model;\n\nfn f() { crate::process::run(); }\n",
    )
    .unwrap();
    let bad = violations(&dir);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(bad.len(), 1, "{bad:?}");
    assert!(bad[0].starts_with("src/generator/cdef/lexer.rs:3: uses crate::process"), "{}", bad[0]);
}
