//! Shared by the cdef integration tests: the corpus, the cffi oracle, and a dump of
//! our model in the oracle's format.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cffi_forge::diagnostic::SourceFile;
use cffi_forge::generator::cdef;
use cffi_forge::generator::model::{DeclValue, Ffi, Type, TypeId};
use cffi_forge::spec::{CdefOptions, CdefSource};
use serde_json::{json, Value};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Same verdict, same model or same error class and message.
    Agree,
    /// Same verdict; for errors only the class is compared (syntax errors: pycparser's
    /// wording is not ours).
    SameClass,
    /// A deliberate extension: cffi refuses, we accept.
    OursAccepts,
    /// Same model, but cffi spells a type with a struct's name at the time the type
    /// was built while we use its final name (a later typedef renamed it).
    StaleCName,
    /// Both refuse, with a different exception class (cffi crashes with an internal
    /// `AttributeError` / `AssertionError` where we give a proper error).
    BothRefuse,
}

#[derive(Clone, Debug)]
pub struct Cdef {
    pub text: String,
    pub options: CdefOptions,
}

#[derive(Clone, Debug)]
pub struct Case {
    pub name: String,
    /// Where the case comes from (file and line).
    pub origin: String,
    pub cdefs: Vec<Cdef>,
    pub expect: Expect,
}

impl Case {
    pub fn render(&self) -> String {
        self.cdefs.iter().map(|c| format!("{:?} {:?}", c.options, c.text)).collect::<Vec<_>>().join("\n")
    }

    pub fn sources(&self) -> Vec<CdefSource> {
        self.cdefs
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut s = CdefSource::standalone(format!("{}#{}", self.name, i + 1), c.text.clone());
                s.options = c.options;
                s
            })
            .collect()
    }
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Parse the corpus format:
///
/// ```text
/// ### case-name [class-only] [extension]
/// cdef text
/// --- [override] [packed] [pack=N]
/// second cdef text of the same FFI
/// ```
pub fn parse_corpus(text: &str, file: &str) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    let mut lines_buf: Vec<&str> = Vec::new();
    let mut crlf: Vec<usize> = Vec::new();
    let flush = |cases: &mut Vec<Case>, buf: &mut Vec<&str>| {
        if let Some(case) = cases.last_mut() {
            let text = buf.join("\n");
            case.cdefs.last_mut().expect("a cdef").text = text;
        }
        buf.clear();
    };
    for (i, line) in text.lines().enumerate() {
        if let Some(header) = line.strip_prefix("### ") {
            flush(&mut cases, &mut lines_buf);
            let mut words = header.split_whitespace();
            let name = words.next().expect("case name").to_string();
            let mut expect = Expect::Agree;
            for w in words {
                match w {
                    "class-only" => expect = Expect::SameClass,
                    "extension" => expect = Expect::OursAccepts,
                    "both-refuse" => expect = Expect::BothRefuse,
                    "stale-c-name" => expect = Expect::StaleCName,
                    "crlf" => crlf.push(cases.len()),
                    other => panic!("{file}:{}: unknown flag {other}", i + 1),
                }
            }
            cases.push(Case {
                name,
                origin: format!("{file}:{}", i + 1),
                cdefs: vec![Cdef { text: String::new(), options: CdefOptions::default() }],
                expect,
            });
        } else if let Some(opts) = line.strip_prefix("---") {
            flush(&mut cases, &mut lines_buf);
            let mut options = CdefOptions::default();
            for w in opts.split_whitespace() {
                match w {
                    "override" => options.override_ = true,
                    "packed" => options.packed = true,
                    _ if w.starts_with("pack=") => options.pack = Some(w[5..].parse().expect("pack=N")),
                    other => panic!("{file}:{}: unknown option {other}", i + 1),
                }
            }
            cases.last_mut().expect("a case before ---").cdefs.push(Cdef { text: String::new(), options });
        } else if !cases.is_empty() {
            lines_buf.push(line);
        }
    }
    flush(&mut cases, &mut lines_buf);
    // `crlf`: the same text with Windows line ends.
    for i in crlf {
        for c in &mut cases[i].cdefs {
            c.text = c.text.replace('\n', "\r\n");
        }
    }
    cases
}

/// The inline examples next to the grammar code:
///
/// ```text
/// // test_ok name
/// // int f(void);
/// // test_err name [class-only]
/// // int f(;
/// ```
pub fn inline_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let mut files = Vec::new();
    rust_files(&repo_root().join("src/generator/cdef"), &mut files);
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let rel = path.strip_prefix(repo_root()).unwrap().display().to_string();
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let l = lines[i].trim_start();
            let marker = l
                .strip_prefix("// test_ok ")
                .map(|r| (true, r))
                .or_else(|| l.strip_prefix("// test_err ").map(|r| (false, r)));
            let Some((ok, rest)) = marker else {
                i += 1;
                continue;
            };
            let mut words = rest.split_whitespace();
            let name = words.next().expect("name").to_string();
            let flags: Vec<&str> = words.collect();
            let expect = if flags.contains(&"class-only") {
                Expect::SameClass
            } else if flags.contains(&"both-refuse") {
                Expect::BothRefuse
            } else {
                Expect::Agree
            };
            let start = i + 1;
            let mut body = Vec::new();
            i += 1;
            while i < lines.len() {
                let t = lines[i].trim_start();
                if t.starts_with("// test_ok ") || t.starts_with("// test_err ") {
                    break;
                }
                match t.strip_prefix("// ").or_else(|| (t == "//").then_some("")) {
                    Some(code) => body.push(code),
                    None => break,
                }
                i += 1;
            }
            cases.push(inline_case(name, format!("{rel}:{start}"), body.join("\n"), ok, expect));
        }
    }
    cases
}

/// The `.rs` files under `dir`, at any depth (the parser's grammar is a folder).
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

fn inline_case(name: String, origin: String, text: String, ok: bool, expect: Expect) -> Case {
    Case {
        name: format!("{}:{name}", if ok { "ok" } else { "err" }),
        origin,
        cdefs: vec![Cdef { text, options: CdefOptions::default() }],
        expect,
    }
}

/// Whether an inline case expects acceptance (`ok:` prefix).
pub fn inline_expects_ok(case: &Case) -> bool {
    case.name.starts_with("ok:")
}

pub fn corpus_cases() -> Vec<Case> {
    let dir = repo_root().join("tests/cdef_corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        cases.extend(parse_corpus(&text, &f.strip_prefix(repo_root()).unwrap().display().to_string()));
    }
    cases.extend(inline_cases());
    cases
}

pub fn python() -> String {
    std::env::var("CFFI_FORGE_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// Run cffi on every case (one process); panics loudly if Python or cffi is missing.
pub fn run_oracle(cases: &[Case]) -> Vec<Value> {
    let input: Vec<Value> = cases
        .iter()
        .map(|c| {
            Value::Array(
                c.cdefs
                    .iter()
                    .map(|d| {
                        json!({"text": d.text, "override": d.options.override_, "packed": d.options.packed, "pack": d.options.pack})
                    })
                    .collect(),
            )
        })
        .collect();
    let py = python();
    let script = repo_root().join("tests/cdef_corpus/oracle.py");
    let mut child = Command::new(&py)
        .arg(&script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("cannot run {py} (set CFFI_FORGE_TEST_PYTHON to a Python with cffi): {e}")
        });
    child.stdin.take().unwrap().write_all(serde_json::to_string(&input).unwrap().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the cffi oracle failed (is cffi importable by {py}? set CFFI_FORGE_TEST_PYTHON):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.len(), cases.len());
    v
}

fn desc(ffi: &Ffi, id: TypeId, records: &mut BTreeMap<String, Value>) -> String {
    let ty = ffi.ty(id);
    match ty {
        Type::Void => "void".into(),
        Type::Primitive(p) => p.name().into(),
        Type::UnknownInteger(n) => format!("int...:{n}"),
        Type::UnknownFloat(n) => format!("float...:{n}"),
        Type::RawFunction(f) | Type::FunctionPtr(f) => {
            let kind = if matches!(ty, Type::RawFunction(_)) { "rawfunc" } else { "funcptr" };
            let mut args: Vec<String> = f.args.iter().map(|&a| desc(ffi, a, records)).collect();
            if f.ellipsis {
                args.push("...".into());
            }
            let abi = f.abi.map(|a| format!(" {}", a.as_str())).unwrap_or_default();
            format!("{kind}{abi}({})->{}", args.join(", "), desc(ffi, f.result, records))
        }
        Type::NamedPointer { to, name } => format!("namedptr:{name}({})", desc(ffi, *to, records)),
        Type::Pointer { to, quals } => format!("ptr{}({})", quals.bits(), desc(ffi, *to, records)),
        Type::Array { item, length } => {
            use cffi_forge::generator::model::ArrayLength::*;
            let l = match length {
                Known(n) => n.to_string(),
                Unspecified => "None".into(),
                DotDotDot => "...".into(),
                CExpr(e) => e.clone(),
            };
            format!("array[{l}]({})", desc(ffi, *item, records))
        }
        Type::StructOrUnion(id) => {
            let s = ffi.struct_(*id);
            let key = format!("{}#{}", s.kind.as_str(), s.name);
            if !records.contains_key(&key) {
                records.insert(key.clone(), Value::Null);
                let fields = s.fields.as_ref().map(|fs| {
                    fs.iter()
                        .map(|f| {
                            json!([
                                f.name,
                                desc(ffi, f.ty, records),
                                f.cffi_bitsize().to_string(),
                                f.quals.bits()
                            ])
                        })
                        .collect::<Vec<_>>()
                });
                let r = json!({
                    "c_name": s.c_name, "forcename": s.forcename, "partial": s.partial,
                    "packed": s.packed, "unknown": s.from_unknown_type, "fields": fields,
                });
                records.insert(key.clone(), r);
            }
            key
        }
        Type::Enum(id) => {
            let e = ffi.enum_(*id);
            let key = format!("enum#{}", e.name);
            if !records.contains_key(&key) {
                let r = json!({
                    "c_name": e.c_name, "forcename": e.forcename, "enumerators": e.enumerators,
                    "values": e.values.iter().map(|v| v.to_string()).collect::<Vec<_>>(), "partial": e.partial,
                });
                records.insert(key.clone(), r);
            }
            key
        }
    }
}

/// Our model in the oracle's format.
pub fn dump(case: &Case) -> Value {
    let ffi = match cdef::parse(&case.sources()) {
        Ok(f) => f,
        Err(e) => return json!({"ok": false, "class": e.cffi_class(), "message": e.cffi_message()}),
    };
    let mut records = BTreeMap::new();
    let mut decls = Vec::new();
    for d in ffi.sorted_declarations() {
        let v = match &d.value {
            DeclValue::Type(t) => format!("{} = {}", desc(&ffi, *t, &mut records), ffi.c_name(*t)),
            DeclValue::Integer(i) => format!("value:{i}"),
            DeclValue::DotDotDot => "value:...".into(),
        };
        decls.push(json!([d.key.to_string(), v, d.quals.bits()]));
    }
    let consts: serde_json::Map<String, Value> =
        ffi.int_constants.iter().map(|(k, v)| (k.clone(), Value::String(v.to_string()))).collect();
    let mut warnings: Vec<String> = ffi
        .warnings
        .iter()
        .map(|w| w.title.chars().take(60).collect::<String>())
        // cffi warns about value-less enums only when it builds their type at run time.
        .filter(|w| !w.contains("has no values explicitly defined"))
        .collect();
    warnings.sort();
    json!({
        "ok": true, "decls": decls, "consts": consts, "records": records,
        "warnings": warnings, "feature": ffi.uses_new_feature,
    })
}

/// A standalone source for snapshot tests.
pub fn source(name: &str, text: &str) -> CdefSource {
    CdefSource {
        text: text.into(),
        file: SourceFile::new(name, text),
        offset: 0,
        options: CdefOptions::default(),
    }
}
