//! cffi's source rewrites, applied to tokens instead of text.
//!
//! Before parsing, cffi's `_preprocess` turns `__stdcall` / `WINAPI` into
//! `volatile volatile const` (moved before a preceding `(`), drops `__cdecl`, and
//! replaces each `...` by a placeholder name chosen from its context: `[...]`, enum
//! `...` / `X = ...`, `int...`, `float...`, and the general `__dotdotdot__` type name.
//! Doing the same on tokens keeps every token's span in the user's text.

use super::lexer::{Kw, Punct, Token, TokenKind};
use crate::generator::model::Primitive;

/// Placeholder type name for a general `...` (typedef'd before parsing, as in cffi).
pub const DOTDOTDOT: &str = "__dotdotdot__";
/// Placeholder for `int...` (any run of integer keywords before `...`).
pub const DOTDOTDOT_INT: &str = "__dotdotdotint__";
/// Placeholder for `float...` / `double...`.
pub const DOTDOTDOT_FLOAT: &str = "__dotdotdotfloat__";
/// Placeholder identifier for `[...]`.
pub const DOTDOTDOT_ARRAY: &str = "__dotdotdotarray__";
/// Placeholder enumerator for `...` at the end of an enum or `X = ...`.
pub const DOTDOTDOT_ENUM: &str = "__dotdotdot0__";

/// `text` with the placeholder names above written as the user wrote them (`...`), for
/// messages shown to users. (cffi's own messages, kept for parity, still carry them.)
pub fn user_spelling(text: &str) -> String {
    if !text.contains("__dotdotdot") {
        return text.to_string();
    }
    // Longest names first: `__dotdotdot__` is a prefix of none, but the others share
    // `__dotdotdot`.
    [DOTDOTDOT_INT, DOTDOTDOT_FLOAT, DOTDOTDOT_ARRAY, DOTDOTDOT_ENUM, DOTDOTDOT]
        .iter()
        .fold(text.to_string(), |t, placeholder| t.replace(placeholder, "..."))
}

/// Marker declarations `extern "Python"` regions become (cffi's names).
pub const EXTERN_PYTHON_START: &str = "__cffi_extern_python_start";
pub const EXTERN_PYTHON_PLUS_C_START: &str = "__cffi_extern_python_plus_c_start";
pub const EXTERN_PYTHON_STOP: &str = "__cffi_extern_python_stop";

/// A malformed `extern "Python"` region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RewriteError {
    pub not_implemented: bool,
    pub message: &'static str,
    pub span: std::ops::Range<usize>,
    pub help: &'static str,
}

/// Apply cffi's rewrites, in cffi's order: calling conventions, `extern "Python"`,
/// then `...`.
pub fn rewrite(mut tokens: Vec<Token>, src: &str) -> Result<Vec<Token>, RewriteError> {
    // Most cdefs need only some of the rewrites: skip the copies the others would make.
    if tokens.iter().any(|t| is_stdcall(t, src) || is_cdecl(t, src)) {
        tokens = calling_conventions(tokens, src);
    }
    if tokens.windows(2).any(|w| w[0].is_kw(Kw::Extern) && w[1].kind == TokenKind::Str) {
        tokens = extern_python(tokens, src)?;
    }
    dotdotdot(&mut tokens);
    Ok(tokens)
}

/// The string of `extern "..."` that cffi's `_r_extern_python` accepts: `Python`,
/// `Python+C` or `C+Python`, with spaces allowed around `+`.
pub fn is_extern_python_string(quoted: &str) -> bool {
    let Some(inner) = quoted.strip_prefix('"').and_then(|s| s.strip_suffix('"')) else { return false };
    if inner == "Python" {
        return true;
    }
    let plus = |a: &str, b: &str| {
        inner
            .strip_prefix(a)
            .map(|r| r.trim_start())
            .and_then(|r| r.strip_prefix('+'))
            .map(|r| r.trim_start())
            .is_some_and(|r| r == b)
    };
    plus("Python", "C") || plus("C", "Python")
}

fn marker(like: std::ops::Range<usize>, name: &'static str, out: &mut Vec<Token>) {
    let mk = |kind, text| Token { kind, span: like.clone(), synthetic: Some(text) };
    out.push(mk(TokenKind::Kw(Kw::Void), "void"));
    out.push(mk(TokenKind::Ident, name));
    out.push(mk(TokenKind::Punct(Punct::Semi), ";"));
}

/// cffi's `_preprocess_extern_python`: `extern "Python" int f(int);` and
/// `extern "Python" { ... }` become the declarations between
/// `void __cffi_extern_python_start;` and `void __cffi_extern_python_stop;`.
// test_ok extern_python
// extern "Python" int callback(int);
// extern "Python" {
//     int cb1(int);
//     void cb2(char *);
// }
// extern "Python+C" int visible_from_c(int);
// test_err extern_python_variable
// extern "Python" int x;
// test_err extern_python_nested_braces
// extern "Python" { struct s { int a; }; }
// test_err extern_python_unclosed
// extern "Python" { int f(int);
// test_err extern_c class-only
// extern "C" int f(void);
fn extern_python(tokens: Vec<Token>, src: &str) -> Result<Vec<Token>, RewriteError> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        let is_region = t.is_kw(Kw::Extern)
            && tokens
                .get(i + 1)
                .is_some_and(|s| s.kind == TokenKind::Str && is_extern_python_string(s.text(src)))
            && tokens.get(i + 2).is_some();
        if !is_region {
            out.push(t.clone());
            i += 1;
            continue;
        }
        let head = t.span.start..tokens[i + 1].span.end;
        let start = if tokens[i + 1].text(src).contains('C') {
            EXTERN_PYTHON_PLUS_C_START
        } else {
            EXTERN_PYTHON_START
        };
        marker(head.clone(), start, &mut out);
        if tokens[i + 2].is_punct(Punct::LBrace) {
            let Some(close) =
                tokens[i + 3..].iter().position(|t| t.is_punct(Punct::RBrace)).map(|p| p + i + 3)
            else {
                return Err(RewriteError {
                    not_implemented: false,
                    message: "'extern \"Python\" {': no '}' found",
                    span: head,
                    help: "close the block with `}`",
                });
            };
            if let Some(inner) = tokens[i + 3..close].iter().find(|t| t.is_punct(Punct::LBrace)) {
                return Err(RewriteError {
                    not_implemented: true,
                    message: "cannot use { } inside a block 'extern \"Python\" { ... }'",
                    span: inner.span.clone(),
                    help: "declare structs and enums outside the `extern \"Python\"` block",
                });
            }
            out.extend_from_slice(&tokens[i + 3..close]);
            marker(tokens[close].span.clone(), EXTERN_PYTHON_STOP, &mut out);
            i = close + 1;
        } else {
            let Some(semi) = tokens[i + 2..].iter().position(|t| t.is_punct(Punct::Semi)).map(|p| p + i + 2)
            else {
                return Err(RewriteError {
                    not_implemented: false,
                    message: "'extern \"Python\": no ';' found",
                    span: head,
                    help: "end the declaration with `;`",
                });
            };
            out.extend_from_slice(&tokens[i + 2..=semi]);
            marker(tokens[semi].span.clone(), EXTERN_PYTHON_STOP, &mut out);
            i = semi + 1;
        }
    }
    Ok(out)
}

fn is_stdcall(t: &Token, src: &str) -> bool {
    t.kind == TokenKind::Ident && matches!(t.text(src), "__stdcall" | "WINAPI")
}

fn is_cdecl(t: &Token, src: &str) -> bool {
    t.kind == TokenKind::Ident && t.text(src) == "__cdecl"
}

fn synthetic(kind: TokenKind, like: &Token, text: &'static str) -> Token {
    Token { kind, span: like.span.clone(), synthetic: Some(text) }
}

fn stdcall_quals(like: &Token, out: &mut Vec<Token>) {
    out.push(synthetic(TokenKind::Kw(Kw::Volatile), like, "volatile"));
    out.push(synthetic(TokenKind::Kw(Kw::Volatile), like, "volatile"));
    out.push(synthetic(TokenKind::Kw(Kw::Const), like, "const"));
}

// test_ok calling_conventions
// int __stdcall f(int);
// int WINAPI g(int);
// int __cdecl h(int);
// int (__stdcall *fp)(int);
// typedef void (WINAPI *cb_t)(void);
fn calling_conventions(tokens: Vec<Token>, src: &str) -> Vec<Token> {
    let mut out = Vec::with_capacity(tokens.len());
    let mut i = 0;
    while i < tokens.len() {
        let t = &tokens[i];
        if t.is_punct(Punct::LParen) && tokens.get(i + 1).is_some_and(|n| is_stdcall(n, src)) {
            // `(__stdcall *f)` → `volatile volatile const(*f)`: the marker must land on
            // the return type.
            stdcall_quals(&tokens[i + 1], &mut out);
            out.push(t.clone());
            i += 2;
            continue;
        }
        if is_stdcall(t, src) {
            stdcall_quals(t, &mut out);
        } else if !is_cdecl(t, src) {
            out.push(t.clone());
        }
        i += 1;
    }
    out
}

fn is_int_keyword(t: &Token) -> bool {
    matches!(t.kind, TokenKind::Kw(Kw::Int | Kw::Long | Kw::Short | Kw::Signed | Kw::Unsigned | Kw::Char))
}

// test_ok dotdotdot_forms
// typedef ... opaque_t;
// typedef ... *handle_t;
// typedef int... integer_t;
// typedef float... real_t;
// struct s { int a; ...; };
// enum e { A, B = ..., ... };
// extern int arr[...];
// int printf(const char *, ...);
// test_err dotdotdot_as_type
// ... x;
// test_err dotdotdot_typedef_array
// typedef ... foo_t[3];
// test_err dotdotdot_array_in_parameter
// void f(int a[...]);
fn dotdotdot(tokens: &mut Vec<Token>) {
    if !tokens.iter().any(|t| t.is_punct(Punct::Ellipsis)) {
        return;
    }
    // In place: `out` is `tokens[..w]`, and no rewrite makes more tokens than it reads
    // (`w <= i`), so the tokens still to read are never overwritten.
    let mut w = 0;
    for i in 0..tokens.len() {
        let t = tokens[i].clone();
        if !t.is_punct(Punct::Ellipsis) {
            tokens[w] = t;
            w += 1;
            continue;
        }
        let prev = w.checked_sub(1).map(|p| &tokens[p]);
        let next = tokens.get(i + 1);
        let ident = TokenKind::Ident;
        let replacement = if prev.is_some_and(|p| p.is_punct(Punct::LBracket))
            && next.is_some_and(|n| n.is_punct(Punct::RBracket))
        {
            synthetic(ident, &t, DOTDOTDOT_ARRAY)
        } else if prev.is_some_and(|p| p.is_punct(Punct::Eq))
            && next.is_some_and(|n| n.is_punct(Punct::Comma) || n.is_punct(Punct::RBrace))
        {
            // `X = ...,` → `X, __dotdotdot0__,`: X keeps a counted value, the enum
            // becomes partial.
            tokens[w - 1] = synthetic(TokenKind::Punct(Punct::Comma), &tokens[w - 1], ",");
            synthetic(ident, &t, DOTDOTDOT_ENUM)
        } else if next.is_some_and(|n| n.is_punct(Punct::RBrace)) {
            synthetic(ident, &t, DOTDOTDOT_ENUM)
        } else if prev.is_some_and(is_int_keyword) {
            let mut start = t.span.start;
            while w > 0 && is_int_keyword(&tokens[w - 1]) {
                w -= 1;
                start = tokens[w].span.start;
            }
            Token { kind: ident, span: start..t.span.end, synthetic: Some(DOTDOTDOT_INT) }
        } else if prev.is_some_and(|p| p.is_kw(Kw::Float) || p.is_kw(Kw::Double)) {
            w -= 1;
            Token { kind: ident, span: tokens[w].span.start..t.span.end, synthetic: Some(DOTDOTDOT_FLOAT) }
        } else {
            synthetic(ident, &t, DOTDOTDOT)
        };
        tokens[w] = replacement;
        w += 1;
    }
    tokens.truncate(w);
}

/// Names cffi's `COMMON_TYPES` knows: `FILE`, `bool`, the primitive names ending in
/// `_t`, and on Windows its table of Windows type names.
pub fn is_common_type_name(name: &str, windows: bool) -> bool {
    matches!(name, "FILE" | "bool")
        || (name.ends_with("_t") && Primitive::from_name(name).is_some())
        || (windows && super::wintypes::is_windows_type_name(name))
}

/// cffi's `_common_type_names`: the common type names the cdef seems to use (and does
/// not typedef itself). They are declared as typedef names before parsing, so that
/// `size_t x;` parses; a cdef that defines `size_t` itself gets no such help.
pub fn common_type_names<'s>(tokens: &[Token], src: &'s str, windows: bool) -> Vec<&'s str> {
    // cffi scans words; only `;`, `,`, `(`, `)`, `typedef` and the common type names
    // matter, and a word may stop being looked for (the name a typedef defines).
    #[derive(Clone, Copy, PartialEq)]
    enum Word<'a> {
        Semi,
        Comma,
        Open,
        Close,
        Typedef,
        Common(&'a str),
        Other,
    }
    let classify = |t: &Token| -> Word<'_> {
        match t.kind {
            TokenKind::Punct(Punct::Semi) => Word::Semi,
            TokenKind::Punct(Punct::Comma) => Word::Comma,
            TokenKind::Punct(Punct::LParen) => Word::Open,
            TokenKind::Punct(Punct::RParen) => Word::Close,
            TokenKind::Kw(Kw::Typedef) => Word::Typedef,
            TokenKind::Ident if is_common_type_name(t.text(src), windows) => Word::Common(t.text(src)),
            _ => Word::Other,
        }
    };
    let mut dropped: Vec<Word<'_>> = Vec::new();
    let mut used: Vec<&str> = Vec::new();
    let mut is_typedef = false;
    let mut paren = 0i32;
    let mut previous = Word::Other;
    for t in tokens {
        let word = classify(t);
        if word != Word::Other && !dropped.contains(&word) {
            let mut end_of_name = false;
            match word {
                Word::Semi => {
                    end_of_name = is_typedef;
                    is_typedef = false;
                }
                Word::Comma => end_of_name = is_typedef && paren == 0,
                Word::Typedef => {
                    is_typedef = true;
                    paren = 0;
                }
                Word::Open => paren += 1,
                Word::Close => paren -= 1,
                Word::Common(name) => {
                    if !used.contains(&name) {
                        used.push(name);
                    }
                }
                Word::Other => {}
            }
            if end_of_name && previous != Word::Other {
                if let Word::Common(name) = previous {
                    used.retain(|w| *w != name);
                }
                // (a set in cffi: each word once, or the scan above turns quadratic)
                if !dropped.contains(&previous) {
                    dropped.push(previous);
                }
            }
        }
        previous = word;
    }
    used.sort_unstable();
    used
}

#[cfg(test)]
mod tests {
    use super::super::lexer::lex;
    use super::*;

    fn words(src: &str) -> Vec<String> {
        rewrite(lex(src).unwrap().tokens, src).unwrap().iter().map(|t| t.text(src).to_string()).collect()
    }

    #[test]
    fn dotdotdot_placeholders_depend_on_context() {
        assert_eq!(words("int a[...];"), ["int", "a", "[", DOTDOTDOT_ARRAY, "]", ";"]);
        assert_eq!(words("enum e { A = ..., B, ... };")[3..8], ["A", ",", DOTDOTDOT_ENUM, ",", "B"]);
        assert_eq!(words("typedef unsigned long... t;"), ["typedef", DOTDOTDOT_INT, "t", ";"]);
        assert_eq!(words("typedef long double... t;"), ["typedef", "long", DOTDOTDOT_FLOAT, "t", ";"]);
        assert_eq!(words("int f(int, ...);")[5], DOTDOTDOT);
        assert_eq!(words("struct s { ...; };")[3], DOTDOTDOT);
    }

    #[test]
    fn stdcall_becomes_qualifiers_before_the_paren() {
        assert_eq!(words("int (__stdcall *f)(int);")[..5], ["int", "volatile", "volatile", "const", "("]);
        assert_eq!(words("int WINAPI f(void);")[..4], ["int", "volatile", "volatile", "const"]);
        assert_eq!(words("int __cdecl f(void);")[..3], ["int", "f", "("]);
    }

    #[test]
    fn common_types_are_those_used_not_defined() {
        let src = "size_t f(FILE *); typedef int int8_t; int8_t g(void);";
        let toks = rewrite(lex(src).unwrap().tokens, src).unwrap();
        assert_eq!(common_type_names(&toks, src, false), ["FILE", "size_t"]);
    }
}
