//! `setup.py`, read as text and never executed: a small Python tokenizer and the
//! literal keyword arguments of the `setup(...)` call that cffi-forge understands.

use std::fs;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum SetupPyError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("setup.py:{line}: `{key}` is not a literal, and setup.py is never run")]
    NotLiteral { key: &'static str, line: usize },
}

/// What cffi-forge takes from a `setup.py`: its literal `cffi_modules` list and the
/// `ext_package` prefix of the module names its build scripts give.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetupPy {
    pub cffi_modules: Vec<String>,
    pub ext_package: Option<String>,
}

/// `root/setup.py`'s `cffi_modules` (and `ext_package`) if it has them. `Ok(None)`: no
/// setup.py or no `cffi_modules` in it. A value that is not a literal is an error:
/// guessing would build something other than what setuptools built.
pub fn read_setup_py(root: &Path) -> Result<Option<SetupPy>, SetupPyError> {
    let path = root.join("setup.py");
    if !path.is_file() {
        return Ok(None);
    }
    let text = fs::read_to_string(&path).map_err(|source| SetupPyError::Read { path, source })?;
    parse_setup_py(&text)
}

fn parse_setup_py(text: &str) -> Result<Option<SetupPy>, SetupPyError> {
    let tokens = tokenize(text);
    let Some(cffi_modules) = setup_keyword(&tokens, "cffi_modules", literal_string_list)? else {
        return Ok(None);
    };
    let ext_package = setup_keyword(&tokens, "ext_package", |t| match t.first() {
        Some(Token { kind: Tok::Str(s), .. }) => Some(s.clone()),
        _ => None,
    })?;
    Ok(Some(SetupPy { cffi_modules, ext_package }))
}

/// The literal value of `key=...` (a keyword argument) or `"key": ...` (a dict entry).
fn setup_keyword<T>(
    tokens: &[Token],
    key: &'static str,
    literal: impl Fn(&[Token]) -> Option<T>,
) -> Result<Option<T>, SetupPyError> {
    for (i, token) in tokens.iter().enumerate() {
        let next = |c: char| matches!(tokens.get(i + 1), Some(Token { kind: Tok::Punct(p), .. }) if *p == c);
        let is_key = match &token.kind {
            Tok::Name(n) => n == key && next('='),
            Tok::Str(s) => s == key && next(':'),
            _ => false,
        };
        if is_key {
            return match literal(&tokens[i + 2..]) {
                Some(value) => Ok(Some(value)),
                None => Err(SetupPyError::NotLiteral { key, line: token.line }),
            };
        }
    }
    Ok(None)
}

/// `[ "a", 'b', ]` or `( ... )` at the start of `tokens`.
fn literal_string_list(tokens: &[Token]) -> Option<Vec<String>> {
    let close = match tokens.first()?.kind {
        Tok::Punct('[') => ']',
        Tok::Punct('(') => ')',
        _ => return None,
    };
    let mut items = Vec::new();
    let mut rest = &tokens[1..];
    loop {
        match &rest.first()?.kind {
            Tok::Punct(c) if *c == close => return Some(items),
            Tok::Str(s) => {
                // Adjacent literals concatenate, as in Python.
                let mut value = s.clone();
                rest = &rest[1..];
                while let Some(Token { kind: Tok::Str(more), .. }) = rest.first() {
                    value.push_str(more);
                    rest = &rest[1..];
                }
                items.push(value);
                match &rest.first()?.kind {
                    Tok::Punct(',') => rest = &rest[1..],
                    Tok::Punct(c) if *c == close => {}
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
}

#[derive(Debug, PartialEq)]
enum Tok {
    Name(String),
    Str(String),
    Punct(char),
    /// Numbers, operators we don't care about.
    Other,
}

#[derive(Debug)]
struct Token {
    kind: Tok,
    line: usize,
}

/// Just enough of Python's lexer to find `cffi_modules` outside comments and strings
/// and read string literals (with prefixes, triple quotes and simple escapes).
fn tokenize(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() || c == '\\' {
            i += 1;
        } else if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let is_prefix = word.len() <= 2 && word.chars().all(|c| "rRbBuUfF".contains(c));
            if is_prefix && i < chars.len() && (chars[i] == '"' || chars[i] == '\'') {
                let raw = word.contains(['r', 'R']);
                let (value, next, lines) = string_literal(&chars, i, raw);
                tokens.push(Token { kind: Tok::Str(value), line });
                line += lines;
                i = next;
            } else {
                tokens.push(Token { kind: Tok::Name(word), line });
            }
        } else if c == '"' || c == '\'' {
            let (value, next, lines) = string_literal(&chars, i, false);
            tokens.push(Token { kind: Tok::Str(value), line });
            line += lines;
            i = next;
        } else if c == '=' && chars.get(i + 1) == Some(&'=') {
            tokens.push(Token { kind: Tok::Other, line });
            i += 2;
        } else if "[](),:=".contains(c) {
            tokens.push(Token { kind: Tok::Punct(c), line });
            i += 1;
        } else {
            tokens.push(Token { kind: Tok::Other, line });
            i += 1;
        }
    }
    tokens
}

/// Read a string literal starting at the quote `chars[start]`; returns its value, the
/// index after it and how many newlines it spans.
fn string_literal(chars: &[char], start: usize, raw: bool) -> (String, usize, usize) {
    let quote = chars[start];
    let triple = chars.get(start + 1) == Some(&quote) && chars.get(start + 2) == Some(&quote);
    let mut i = start + if triple { 3 } else { 1 };
    let (mut value, mut lines) = (String::new(), 0);
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            lines += 1;
            if !triple {
                break;
            }
        }
        if c == '\\' && i + 1 < chars.len() {
            let next = chars[i + 1];
            if raw {
                value.push(c);
                value.push(next);
            } else {
                match next {
                    'n' => value.push('\n'),
                    't' => value.push('\t'),
                    '\n' => lines += 1,
                    other => value.push(other),
                }
            }
            i += 2;
            continue;
        }
        if c == quote && (!triple || (chars.get(i + 1) == Some(&quote) && chars.get(i + 2) == Some(&quote))) {
            return (value, i + if triple { 3 } else { 1 }, lines);
        }
        value.push(c);
        i += 1;
    }
    (value, i, lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_literal_cffi_modules_from_setup_py() {
        let text = r#"
import os  # cffi_modules = ["commented_out.py:x"]
doc = "cffi_modules=['in_a_string.py:x']"
setup(
    name="x",
    cffi_modules=[
        "src/pkg/_a_build.py:ffi",   # first
        'src/pkg/_b_build.py:ffibuilder',
    ],
)
"#;
        let setup = parse_setup_py(text).unwrap().unwrap();
        assert_eq!(setup.cffi_modules, ["src/pkg/_a_build.py:ffi", "src/pkg/_b_build.py:ffibuilder"]);
        assert_eq!(setup.ext_package, None);
        let dict = "kw = {'cffi_modules': ('a.py:f',), 'ext_package': 'pkg'}\nsetup(**kw)";
        let setup = parse_setup_py(dict).unwrap().unwrap();
        assert_eq!(
            (setup.cffi_modules.as_slice(), setup.ext_package.as_deref()),
            (&["a.py:f".to_string()][..], Some("pkg"))
        );
        assert_eq!(parse_setup_py("setup(name='x', ext_package='p')").unwrap(), None);
        let computed = "\nmods = ['a.py:f']\nsetup(cffi_modules=mods)\n";
        let err = parse_setup_py(computed).unwrap_err();
        assert_eq!(err.to_string(), "setup.py:3: `cffi_modules` is not a literal, and setup.py is never run");
        let err = parse_setup_py("setup(cffi_modules=['a.py:f'], ext_package=NAME)").unwrap_err();
        assert!(err.to_string().contains("`ext_package`"), "{err}");
    }
}
