//! Differential acceptance test: every cdef of the corpus (`tests/cdef_corpus/*.txt`,
//! plus the `test_ok` / `test_err` examples next to the grammar code) is given to cffi
//! itself (one Python process for the whole corpus, `tests/cdef_corpus/oracle.py`)
//! and to our parser; both must accept or reject it, and agree on what it declares:
//! declaration keys, types, qualifiers, integer constants, struct/union/enum contents,
//! warnings, and for rejected cdefs the exception class and message.
//!
//! Needs a Python with cffi: `CFFI_FORGE_TEST_PYTHON`, else `python3`.

use std::collections::BTreeMap;

use crate::support::{corpus_cases, dump, run_oracle, Case, Expect};
use serde_json::Value;

#[test]
fn corpus_agrees_with_cffi() {
    let cases = corpus_cases();
    assert!(cases.len() > 100, "corpus too small: {}", cases.len());
    let oracle = run_oracle(&cases);
    let mut failures = Vec::new();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (case, theirs) in cases.iter().zip(&oracle) {
        let ours = dump(case);
        let verdict = compare(case, &ours, theirs);
        *counts.entry(verdict.as_ref().map_or("agree", |(k, _)| k)).or_default() += 1;
        if let Some((_, msg)) = verdict {
            failures.push(format!("--- {} ({})\n{}\n{}", case.name, case.origin, case.render(), msg));
        }
    }
    eprintln!("cdef corpus: {} cases, {counts:?}", cases.len());
    assert!(
        failures.is_empty(),
        "{} of {} cases disagree with cffi:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// `None` when the case passes; otherwise a category and an explanation.
fn compare(case: &Case, ours: &Value, theirs: &Value) -> Option<(&'static str, String)> {
    let ours_ok = ours["ok"].as_bool().unwrap();
    let theirs_ok = theirs["ok"].as_bool().unwrap();
    match case.expect {
        // A deliberate extension: cffi refuses, we accept.
        Expect::OursAccepts => {
            if theirs_ok {
                return Some(("stale-extension", "marked as an extension but cffi accepts it too".into()));
            }
            if !ours_ok {
                return Some(("extension-refused", format!("we refuse: {}", ours["message"])));
            }
            return None;
        }
        Expect::BothRefuse => {
            if theirs_ok || ours_ok {
                return Some((
                    "accept-mismatch",
                    format!("expected both to refuse; cffi ok={theirs_ok}, ours ok={ours_ok}"),
                ));
            }
            return None;
        }
        Expect::Agree | Expect::SameClass | Expect::StaleCName => {}
    }
    if case.name.starts_with("ok:") != theirs_ok
        && (case.name.starts_with("ok:") || case.name.starts_with("err:"))
    {
        return Some(("inline-annotation", format!("annotated {} but cffi says ok={theirs_ok}", case.name)));
    }
    if ours_ok != theirs_ok {
        let explain = if theirs_ok {
            format!("cffi accepts, we refuse with {}: {}", ours["class"], ours["message"])
        } else {
            format!("cffi refuses with {}: {}\nwe accept", theirs["class"], theirs["message"])
        };
        return Some(("accept-mismatch", explain));
    }
    if !ours_ok {
        if ours["class"] != theirs["class"] {
            return Some((
                "class-mismatch",
                format!(
                    "cffi: {}: {}\nours: {}: {}",
                    theirs["class"], theirs["message"], ours["class"], ours["message"]
                ),
            ));
        }
        if case.expect == Expect::Agree && ours["message"] != theirs["message"] {
            return Some((
                "message-mismatch",
                format!("cffi: {}\nours: {}", theirs["message"], ours["message"]),
            ));
        }
        return None;
    }
    let mut diffs = Vec::new();
    if case.expect == Expect::StaleCName {
        let strip = |v: &Value| -> Vec<Value> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|d| {
                    let mut d = d.clone();
                    let s = d[1].as_str().unwrap().split(" = ").next().unwrap().to_string();
                    d[1] = Value::String(s);
                    d
                })
                .collect()
        };
        if strip(&ours["decls"]) != strip(&theirs["decls"]) {
            diffs
                .push(format!("decls (ignoring C names): cffi {} / ours {}", theirs["decls"], ours["decls"]));
        }
    }
    for key in ["decls", "consts", "records", "warnings", "feature"] {
        if key == "decls" && case.expect == Expect::StaleCName {
            continue;
        }
        if ours[key] != theirs[key] {
            diffs.push(format!(
                "{key}:\n  cffi: {}\n  ours: {}",
                serde_json::to_string(&theirs[key]).unwrap(),
                serde_json::to_string(&ours[key]).unwrap()
            ));
        }
    }
    if diffs.is_empty() {
        None
    } else {
        Some(("model-mismatch", diffs.join("\n")))
    }
}
