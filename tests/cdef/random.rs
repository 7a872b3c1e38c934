//! Randomized differential test: cdefs assembled from a grammar of C declaration
//! pieces (valid and broken), each given to cffi and to our parser; both must accept
//! or refuse it, and agree on the model (or on the exception class and, outside
//! syntax errors, its message).
//!
//! `CDEF_RANDOM_CASES=N` (default 400) and `CDEF_RANDOM_SEED=S` control the run.
//! Needs a Python with cffi (`CFFI_FORGE_TEST_PYTHON`, else `python3`).

use crate::support::{dump, run_oracle, Case, Cdef, Expect};
use cffi_forge::spec::CdefOptions;

/// xorshift64*: small, deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const BASES: &[&str] = &[
    "int",
    "unsigned",
    "unsigned long",
    "long long",
    "short",
    "char",
    "signed char",
    "double",
    "float",
    "long double",
    "void",
    "size_t",
    "int8_t",
    "uint64_t",
    "FILE",
    "bool",
    "_Bool",
    "float _Complex",
    "foo_t",
    "bar_t",
    "struct s",
    "struct t",
    "union u",
    "enum e",
    "...",
    "int long",
    "__int128",
    "wchar_t",
];
const QUALS: &[&str] = &["", "", "", "const ", "volatile ", "const volatile "];
const DIMS: &[&str] =
    &["", "3", "...", "N", "N + 1", "A * 2", "-1", "x", "0x10", "010", "1.5", "'a'", "sizeof(int)", "1 << 3"];
const NAMES: &[&str] = &["a", "b", "f", "g", "x", "foo_t", "bar_t", "s", "N", "A", "size_t"];

fn declarator(r: &mut Rng, name: &str, depth: usize) -> String {
    let mut d = name.to_string();
    if depth < 3 {
        match r.below(10) {
            0 => d = format!("*{d}"),
            1 => d = format!("* const {d}"),
            2 => d = format!("{d}[{}]", r.pick(DIMS)),
            3 => d = format!("(*{d})({})", params(r, depth + 1)),
            4 => d = format!("{d}({})", params(r, depth + 1)),
            5 => d = format!("(*{d})[{}]", r.pick(DIMS)),
            6 => d = format!("**{d}"),
            7 => d = format!("__stdcall {d}"),
            _ => {}
        }
        if r.chance(20) {
            d = declarator(r, &d, depth + 1);
        }
    }
    d
}

fn params(r: &mut Rng, depth: usize) -> String {
    match r.below(6) {
        0 => String::new(),
        1 => "void".into(),
        _ => {
            let n = 1 + r.below(3);
            let mut ps: Vec<String> = (0..n)
                .map(|_| {
                    let name = if r.chance(50) { r.pick(&["p", "q", ""]).to_string() } else { String::new() };
                    format!("{}{} {}", r.pick(QUALS), r.pick(BASES), declarator(r, &name, depth + 1))
                })
                .collect();
            if r.chance(20) {
                ps.push("...".into());
            }
            ps.join(", ")
        }
    }
}

fn struct_body(r: &mut Rng) -> String {
    let mut fields = Vec::new();
    for _ in 0..r.below(4) {
        let f = match r.below(8) {
            0 => "...;".to_string(),
            1 => format!("int {} : {};", r.pick(&["a", "b", ""]), r.pick(&["1", "3", "0", "N", "-1"])),
            2 => "struct { int x; };".to_string(),
            3 => "union { int y; float z; };".to_string(),
            _ => {
                let name = r.pick(&["a", "b", "c", "d"]);
                format!("{}{} {};", r.pick(QUALS), r.pick(BASES), declarator(r, name, 1))
            }
        };
        fields.push(f);
    }
    format!("{{ {} }}", fields.join(" "))
}

fn enum_body(r: &mut Rng) -> String {
    let mut items = Vec::new();
    for i in 0..1 + r.below(4) {
        let name = format!("{}{}", r.pick(&["A", "B", "C", "X"]), i);
        let item = match r.below(6) {
            0 => format!("{name} = ..."),
            1 => format!("{name} = {}", r.pick(DIMS)),
            2 => "...".to_string(),
            _ => name,
        };
        items.push(item);
    }
    let trailing = if r.chance(20) { "," } else { "" };
    format!("{{ {}{trailing} }}", items.join(", "))
}

fn declaration(r: &mut Rng) -> String {
    let name = r.pick(NAMES);
    match r.below(16) {
        0 => format!("typedef {}{} {};", r.pick(QUALS), r.pick(BASES), declarator(r, name, 0)),
        1 => format!("typedef struct {} {};", struct_body(r), declarator(r, name, 1)),
        2 => format!("struct {} {};", r.pick(&["s", "t"]), struct_body(r)),
        3 => format!("union u {};", struct_body(r)),
        4 => format!("enum {} {};", r.pick(&["e", ""]), enum_body(r)),
        5 => format!(
            "#define {} {}\n",
            r.pick(&["N", "A", "X"]),
            r.pick(&["3", "0x10", "...", "-1", "010", "1.5", "abc", "(1)"])
        ),
        6 => format!(
            "static const {} {} = {};",
            r.pick(BASES),
            name,
            r.pick(&["5", "-5", "0x1F", "'a'", "1.5", "N", "1+1"])
        ),
        7 => format!("extern \"Python\" {} {}({});", r.pick(BASES), name, params(r, 1)),
        8 => format!(
            "typedef {} {};",
            r.pick(&["...", "int...", "float...", "... *", "unsigned long..."]),
            name
        ),
        9 => format!("struct {};", r.pick(&["s", "t"])),
        10 => format!("{}{} {};", r.pick(&["", "static ", "const "]), r.pick(BASES), declarator(r, name, 0)),
        _ => format!(
            "{}extern {}{} {};",
            r.pick(&["", ""]),
            r.pick(QUALS),
            r.pick(BASES),
            declarator(r, name, 0)
        ),
    }
}

fn case(r: &mut Rng, i: usize) -> Case {
    let mut cdefs = Vec::new();
    let ncdefs = if r.chance(20) { 2 } else { 1 };
    for _ in 0..ncdefs {
        let mut text = String::new();
        for _ in 0..1 + r.below(4) {
            text.push_str(&declaration(r));
            text.push('\n');
        }
        let mut options = CdefOptions::default();
        if r.chance(15) {
            options.override_ = true;
        }
        if r.chance(10) {
            options.packed = true;
        }
        cdefs.push(Cdef { text, options });
    }
    Case { name: format!("random-{i}"), origin: "generated".into(), cdefs, expect: Expect::Agree }
}

#[test]
fn random_cdefs_agree_with_cffi() {
    let n: usize = std::env::var("CDEF_RANDOM_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(400);
    let seed: u64 =
        std::env::var("CDEF_RANDOM_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_cdef);
    let mut r = Rng(seed | 1);
    let cases: Vec<Case> = (0..n).map(|i| case(&mut r, i)).collect();
    let oracle = run_oracle(&cases);
    let mut failures = Vec::new();
    let mut accepted = 0;
    let (mut crashed, mut stale) = (0, 0);
    for (case, theirs) in cases.iter().zip(&oracle) {
        let ours = dump(case);
        if theirs["ok"].as_bool() == Some(true) {
            accepted += 1;
        }
        // cffi crashes with an internal error on some broken inputs where we give a
        // proper one: both refuse, which is what matters.
        let cffi_crashed = matches!(theirs["class"].as_str(), Some("AttributeError" | "AssertionError"));
        let problem = if cffi_crashed && ours["ok"] == false {
            crashed += 1;
            None
        } else if ours["ok"] != theirs["ok"] {
            Some(format!("cffi: {theirs}\nours: {ours}"))
        } else if theirs["ok"].as_bool() == Some(false) {
            let msg = theirs["message"].as_str().unwrap_or_default();
            let syntax = msg.starts_with("cannot parse") || msg.starts_with("parse error");
            let same = ours["class"] == theirs["class"] && (syntax || ours["message"] == theirs["message"]);
            (!same).then(|| {
                format!(
                    "cffi: {}: {}\nours: {}: {}",
                    theirs["class"], theirs["message"], ours["class"], ours["message"]
                )
            })
        } else {
            // cffi spells a type with the struct names of the moment it built it; we
            // use final names. Same declarations otherwise.
            let strip = |v: &serde_json::Value| -> Vec<String> {
                v.as_array()
                    .unwrap()
                    .iter()
                    .map(|d| format!("{} {}", d[0], d[1].as_str().unwrap().split(" = ").next().unwrap()))
                    .collect()
            };
            if ours["decls"] != theirs["decls"] && strip(&ours["decls"]) == strip(&theirs["decls"]) {
                stale += 1;
            }
            let keys: &[&str] = if strip(&ours["decls"]) == strip(&theirs["decls"]) {
                &["consts", "records", "warnings", "feature"]
            } else {
                &["decls", "consts", "records", "warnings", "feature"]
            };
            let diff: Vec<String> = keys
                .iter()
                .filter(|k| ours[**k] != theirs[**k])
                .map(|k| format!("{k}:\n  cffi: {}\n  ours: {}", theirs[*k], ours[*k]))
                .collect();
            (!diff.is_empty()).then(|| diff.join("\n"))
        };
        if let Some(p) = problem {
            failures.push(format!("--- {}\n{}\n{p}", case.name, case.render()));
        }
    }
    eprintln!(
        "random cdefs: {n} cases (seed {seed:#x}), cffi accepted {accepted}, cffi crashed on {crashed}, \
         stale C names {stale}, {} disagreements",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

const SOUP: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ";",
    ",",
    "*",
    "...",
    "=",
    ":",
    "int",
    "const",
    "struct",
    "enum",
    "union",
    "typedef",
    "extern",
    "static",
    "x",
    "foo_t",
    "size_t",
    "3",
    "-",
    "+",
    "\"Python\"",
    "void",
    "unsigned",
    "long",
    "__stdcall",
    "#define N 2\n",
    "'a'",
    "0x10",
    "?",
    "&",
    "sizeof",
    "inline",
    "_Bool",
    "restrict",
    "volatile",
];

/// A generated declaration with random token damage (deleted, repeated, inserted).
fn mutated(r: &mut Rng) -> String {
    let text = declaration(r) + " " + &declaration(r);
    let mut toks: Vec<String> = text.split_whitespace().map(str::to_string).collect();
    for _ in 0..1 + r.below(3) {
        if toks.is_empty() {
            break;
        }
        let i = r.below(toks.len());
        match r.below(3) {
            0 => {
                toks.remove(i);
            }
            1 => {
                let t = toks[i].clone();
                toks.insert(i, t);
            }
            _ => toks.insert(i, r.pick(SOUP).to_string()),
        }
    }
    toks.join(" ")
}

#[test]
fn mutated_cdefs_are_accepted_or_refused_like_cffi() {
    let n: usize = std::env::var("CDEF_RANDOM_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(400);
    let seed: u64 = std::env::var("CDEF_RANDOM_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0xbad_cdef);
    let mut r = Rng(seed | 1);
    let cases: Vec<Case> = (0..n)
        .map(|i| Case {
            name: format!("mutated-{i}"),
            origin: "generated".into(),
            cdefs: vec![Cdef { text: mutated(&mut r), options: CdefOptions::default() }],
            expect: Expect::SameClass,
        })
        .collect();
    let oracle = run_oracle(&cases);
    let mut failures = Vec::new();
    let mut accepted = 0;
    for (case, theirs) in cases.iter().zip(&oracle) {
        let ours = dump(case);
        accepted += usize::from(theirs["ok"] == true);
        let cffi_crashed = matches!(theirs["class"].as_str(), Some("AttributeError" | "AssertionError"));
        if cffi_crashed && ours["ok"] == false {
            continue;
        }
        if ours["ok"] != theirs["ok"] || ours["class"] != theirs["class"] {
            failures.push(format!(
                "--- {}\n{}\ncffi: {}: {}\nours: {}: {}",
                case.name,
                case.render(),
                theirs["class"],
                theirs["message"],
                ours["class"],
                ours["message"]
            ));
        }
    }
    eprintln!(
        "mutated cdefs: {n} cases (seed {seed:#x}), cffi accepted {accepted}, {} disagreements",
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
