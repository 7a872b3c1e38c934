//! Tokens of the cdef dialect.
//!
//! What cffi does with regular expressions before handing the text to pycparser
//! (dropping comments, pulling out `#define` lines) happens here as ordinary lexing, so
//! every token keeps its byte span in the user's text. The token rules (numbers,
//! characters, punctuators, which bytes are whitespace) follow pycparser's lexer, which
//! decides what cffi accepts. cffi's rewrites of `...`, `__stdcall` and friends are
//! applied on this token stream by [`super::rewrite`].

use std::ops::Range;

/// Keywords (pycparser's list, plus the `__restrict` spellings we accept as `restrict`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kw {
    Auto,
    Break,
    Case,
    Char,
    Const,
    Continue,
    Default,
    Do,
    Double,
    Else,
    Enum,
    Extern,
    Float,
    For,
    Goto,
    If,
    Inline,
    Int,
    Long,
    Register,
    Offsetof,
    Restrict,
    Return,
    Short,
    Signed,
    Sizeof,
    Static,
    Struct,
    Switch,
    Typedef,
    Union,
    Unsigned,
    Void,
    Volatile,
    While,
    Int128,
    Bool,
    Complex,
    Noreturn,
    ThreadLocal,
    StaticAssert,
    Atomic,
    Alignof,
    Alignas,
    Pragma,
}

impl Kw {
    pub fn from_ident(s: &str) -> Option<Kw> {
        Some(match s.as_bytes() {
            b"auto" => Kw::Auto,
            b"break" => Kw::Break,
            b"case" => Kw::Case,
            b"char" => Kw::Char,
            b"const" => Kw::Const,
            b"continue" => Kw::Continue,
            b"default" => Kw::Default,
            b"do" => Kw::Do,
            b"double" => Kw::Double,
            b"else" => Kw::Else,
            b"enum" => Kw::Enum,
            b"extern" => Kw::Extern,
            b"float" => Kw::Float,
            b"for" => Kw::For,
            b"goto" => Kw::Goto,
            b"if" => Kw::If,
            b"inline" => Kw::Inline,
            b"int" => Kw::Int,
            b"long" => Kw::Long,
            b"register" => Kw::Register,
            b"offsetof" => Kw::Offsetof,
            // `__restrict` / `__restrict__` are what system headers use; pycparser does
            // not know them, we accept them as `restrict`.
            b"restrict" | b"__restrict" | b"__restrict__" => Kw::Restrict,
            b"return" => Kw::Return,
            b"short" => Kw::Short,
            b"signed" => Kw::Signed,
            b"sizeof" => Kw::Sizeof,
            b"static" => Kw::Static,
            b"struct" => Kw::Struct,
            b"switch" => Kw::Switch,
            b"typedef" => Kw::Typedef,
            b"union" => Kw::Union,
            b"unsigned" => Kw::Unsigned,
            b"void" => Kw::Void,
            b"volatile" => Kw::Volatile,
            b"while" => Kw::While,
            b"__int128" => Kw::Int128,
            b"_Bool" => Kw::Bool,
            b"_Complex" => Kw::Complex,
            b"_Noreturn" => Kw::Noreturn,
            b"_Thread_local" => Kw::ThreadLocal,
            b"_Static_assert" => Kw::StaticAssert,
            b"_Atomic" => Kw::Atomic,
            b"_Alignof" => Kw::Alignof,
            b"_Alignas" => Kw::Alignas,
            b"_Pragma" => Kw::Pragma,
            _ => return None,
        })
    }

    /// The simple type specifiers (pycparser's `_TYPE_SPEC_SIMPLE`).
    pub fn is_simple_type_spec(self) -> bool {
        matches!(
            self,
            Kw::Void
                | Kw::Bool
                | Kw::Char
                | Kw::Short
                | Kw::Int
                | Kw::Long
                | Kw::Float
                | Kw::Double
                | Kw::Complex
                | Kw::Signed
                | Kw::Unsigned
                | Kw::Int128
        )
    }

    pub fn is_type_qualifier(self) -> bool {
        matches!(self, Kw::Const | Kw::Restrict | Kw::Volatile | Kw::Atomic)
    }

    pub fn is_storage_class(self) -> bool {
        matches!(self, Kw::Auto | Kw::Register | Kw::Static | Kw::Extern | Kw::Typedef | Kw::ThreadLocal)
    }

    pub fn is_function_spec(self) -> bool {
        matches!(self, Kw::Inline | Kw::Noreturn)
    }
}

/// Punctuators (longest match wins, as in pycparser).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Punct {
    Ellipsis,
    LShiftEq,
    RShiftEq,
    PlusPlus,
    MinusMinus,
    Arrow,
    AndAnd,
    OrOr,
    LShift,
    RShift,
    Le,
    Ge,
    EqEq,
    Ne,
    StarEq,
    SlashEq,
    PercentEq,
    PlusEq,
    MinusEq,
    AmpEq,
    PipeEq,
    CaretEq,
    Eq,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Pipe,
    Amp,
    Tilde,
    Caret,
    Bang,
    Lt,
    Gt,
    Question,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Period,
    Semi,
    Colon,
}

const PUNCTS: &[(&str, Punct)] = &[
    ("...", Punct::Ellipsis),
    ("<<=", Punct::LShiftEq),
    (">>=", Punct::RShiftEq),
    ("++", Punct::PlusPlus),
    ("--", Punct::MinusMinus),
    ("->", Punct::Arrow),
    ("&&", Punct::AndAnd),
    ("||", Punct::OrOr),
    ("<<", Punct::LShift),
    (">>", Punct::RShift),
    ("<=", Punct::Le),
    (">=", Punct::Ge),
    ("==", Punct::EqEq),
    ("!=", Punct::Ne),
    ("*=", Punct::StarEq),
    ("/=", Punct::SlashEq),
    ("%=", Punct::PercentEq),
    ("+=", Punct::PlusEq),
    ("-=", Punct::MinusEq),
    ("&=", Punct::AmpEq),
    ("|=", Punct::PipeEq),
    ("^=", Punct::CaretEq),
    ("=", Punct::Eq),
    ("+", Punct::Plus),
    ("-", Punct::Minus),
    ("*", Punct::Star),
    ("/", Punct::Slash),
    ("%", Punct::Percent),
    ("|", Punct::Pipe),
    ("&", Punct::Amp),
    ("~", Punct::Tilde),
    ("^", Punct::Caret),
    ("!", Punct::Bang),
    ("<", Punct::Lt),
    (">", Punct::Gt),
    ("?", Punct::Question),
    ("(", Punct::LParen),
    (")", Punct::RParen),
    ("[", Punct::LBracket),
    ("]", Punct::RBracket),
    ("{", Punct::LBrace),
    ("}", Punct::RBrace),
    (",", Punct::Comma),
    (".", Punct::Period),
    (";", Punct::Semi),
    (":", Punct::Colon),
];

/// The longest punctuator at the start of `b`, with its length.
fn punct_at(b: &[u8]) -> Option<(usize, Punct)> {
    use Punct::*;
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let (c1, c2) = (at(1), at(2));
    Some(match b.first()? {
        b'.' if c1 == b'.' && c2 == b'.' => (3, Ellipsis),
        b'.' => (1, Period),
        b'<' if c1 == b'<' && c2 == b'=' => (3, LShiftEq),
        b'<' if c1 == b'<' => (2, LShift),
        b'<' if c1 == b'=' => (2, Le),
        b'<' => (1, Lt),
        b'>' if c1 == b'>' && c2 == b'=' => (3, RShiftEq),
        b'>' if c1 == b'>' => (2, RShift),
        b'>' if c1 == b'=' => (2, Ge),
        b'>' => (1, Gt),
        b'+' if c1 == b'+' => (2, PlusPlus),
        b'+' if c1 == b'=' => (2, PlusEq),
        b'+' => (1, Plus),
        b'-' if c1 == b'-' => (2, MinusMinus),
        b'-' if c1 == b'>' => (2, Arrow),
        b'-' if c1 == b'=' => (2, MinusEq),
        b'-' => (1, Minus),
        b'&' if c1 == b'&' => (2, AndAnd),
        b'&' if c1 == b'=' => (2, AmpEq),
        b'&' => (1, Amp),
        b'|' if c1 == b'|' => (2, OrOr),
        b'|' if c1 == b'=' => (2, PipeEq),
        b'|' => (1, Pipe),
        b'=' if c1 == b'=' => (2, EqEq),
        b'=' => (1, Eq),
        b'!' if c1 == b'=' => (2, Ne),
        b'!' => (1, Bang),
        b'*' if c1 == b'=' => (2, StarEq),
        b'*' => (1, Star),
        b'/' if c1 == b'=' => (2, SlashEq),
        b'/' => (1, Slash),
        b'%' if c1 == b'=' => (2, PercentEq),
        b'%' => (1, Percent),
        b'^' if c1 == b'=' => (2, CaretEq),
        b'^' => (1, Caret),
        b'~' => (1, Tilde),
        b'?' => (1, Question),
        b'(' => (1, LParen),
        b')' => (1, RParen),
        b'[' => (1, LBracket),
        b']' => (1, RBracket),
        b'{' => (1, LBrace),
        b'}' => (1, RBrace),
        b',' => (1, Comma),
        b';' => (1, Semi),
        b':' => (1, Colon),
        _ => return None,
    })
}

impl Punct {
    pub fn as_str(self) -> &'static str {
        PUNCTS.iter().find(|(_, p)| *p == self).map(|(s, _)| *s).unwrap_or("?")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    /// An identifier; whether it names a type is decided by the parser (lexer hack).
    Ident,
    Kw(Kw),
    /// Integer constant (decimal, octal, hex, binary, with suffixes) or multi-character
    /// constant `'ab'`.
    Int,
    Float,
    /// `'a'`, `L'a'`, `u'a'`, `U'a'`, `u8'a'`.
    Char,
    /// `"..."`.
    Str,
    /// `L"..."`, `u"..."`, `U"..."`, `u8"..."`.
    WStr,
    Punct(Punct),
    /// A `#pragma` line (pycparser's PPPRAGMA and its text).
    Pragma,
}

/// A token. `text` is normally the source slice; rewrites give some tokens a
/// synthetic spelling (`__dotdotdot__`, `volatile`) while keeping the source span.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Range<usize>,
    pub synthetic: Option<&'static str>,
}

impl Token {
    pub fn text<'s>(&self, src: &'s str) -> &'s str {
        self.synthetic.unwrap_or(&src[self.span.clone()])
    }

    pub fn is_punct(&self, p: Punct) -> bool {
        self.kind == TokenKind::Punct(p)
    }

    pub fn is_kw(&self, k: Kw) -> bool {
        self.kind == TokenKind::Kw(k)
    }
}

/// One `#define NAME value` line, as cffi's `_r_define` sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Define {
    pub name: String,
    pub name_span: Range<usize>,
    /// The value with comments replaced by spaces, `\`-newlines removed, stripped.
    pub value: String,
    /// Span of the whole directive (from `#` to the end of the value).
    pub span: Range<usize>,
    /// Lines cffi's define-removal deletes (blank lines before the directive and
    /// backslash-continued lines), which shift the line numbers cffi reports.
    pub removed_lines: usize,
}

/// A lexing error (pycparser's lexer errors, or a comment cffi could not remove).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LexError {
    pub message: String,
    pub span: Range<usize>,
    pub help: Option<&'static str>,
}

/// The result of lexing one cdef.
#[derive(Clone, Debug, Default)]
pub struct Lexed {
    pub tokens: Vec<Token>,
    pub defines: Vec<Define>,
}

/// Byte-level scanner over one cdef.
struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    /// Only whitespace and comments since the start of the line (cffi's `^\s*#`).
    at_line_start: bool,
    out: Lexed,
}

pub fn lex(src: &str) -> Result<Lexed, LexError> {
    let out = Lexed { tokens: Vec::with_capacity(src.len() / 4), defines: Vec::new() };
    let mut lx = Lexer { src, bytes: src.as_bytes(), pos: 0, at_line_start: true, out };
    lx.run()?;
    Ok(lx.out)
}

/// Bytes that may continue an identifier (`[A-Za-z0-9_$]`), as a table: the
/// lexer asks for every byte of every name.
const IDENT_CHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'_' || c == b'$';
        b += 1;
    }
    t
};

fn is_ident_start(b: u8) -> bool {
    IDENT_CHAR[b as usize] && !b.is_ascii_digit()
}

fn is_ident_char(b: u8) -> bool {
    IDENT_CHAR[b as usize]
}

impl<'a> Lexer<'a> {
    fn peek(&self, k: usize) -> u8 {
        self.bytes.get(self.pos + k).copied().unwrap_or(0)
    }

    fn err(&self, message: impl Into<String>, span: Range<usize>) -> LexError {
        LexError { message: message.into(), span, help: None }
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        self.out.tokens.push(Token { kind, span: start..self.pos, synthetic: None });
        self.at_line_start = false;
    }

    fn run(&mut self) -> Result<(), LexError> {
        while self.pos < self.bytes.len() {
            let b = self.bytes[self.pos];
            match b {
                b' ' | b'\t' => self.pos += 1,
                b'\n' => {
                    self.pos += 1;
                    self.at_line_start = true;
                }
                // A Windows line end: pycparser refuses `\r`, but files read by Python
                // in text mode never contain one, so accept `\r\n` as a newline.
                b'\r' if self.peek(1) == b'\n' => self.pos += 1,
                b'/' if self.peek(1) == b'*' => {
                    self.block_comment()?;
                }
                b'/' if self.peek(1) == b'/' => self.line_comment(),
                b'#' => self.directive()?,
                _ => self.token()?,
            }
        }
        Ok(())
    }

    /// `/* ... */`; returns whether it spanned a newline.
    // test_ok comments
    // /* a block comment */ int f(void); // a line comment
    // int g(void); /* spanning
    //                 lines */
    // test_err unterminated_comment class-only
    // /* never closed
    // int f(void);
    fn block_comment(&mut self) -> Result<bool, LexError> {
        let start = self.pos;
        match self.src[start + 2..].find("*/") {
            Some(i) => {
                let end = start + 2 + i + 2;
                let multiline = self.src[start..end].contains('\n');
                if multiline {
                    self.at_line_start = false;
                }
                self.pos = end;
                Ok(multiline)
            }
            None => Err(LexError {
                message: "unterminated comment".into(),
                span: start..start + 2,
                help: Some("close the comment with `*/`"),
            }),
        }
    }

    /// `// ...` up to the end of the line; a backslash continues it on the next line.
    fn line_comment(&mut self) {
        while self.pos < self.bytes.len() {
            match self.bytes[self.pos] {
                b'\\' => self.pos += 2,
                b'\n' => break,
                _ => self.pos += 1,
            }
        }
        self.pos = self.pos.min(self.bytes.len());
    }

    fn rest_starts_with_word(&self, at: usize, word: &str) -> bool {
        let s = &self.src[at..];
        s.starts_with(word) && !s[word.len()..].bytes().next().is_some_and(is_ident_char_unicode)
    }

    // test_ok directives
    // #define A 1
    // #pragma once
    // #line 12 "header.h"
    // int f(void);
    // test_err include class-only
    // #include <stdio.h>
    // test_err conditional_compilation class-only
    // #ifdef FOO
    // int f(void);
    // #endif
    fn directive(&mut self) -> Result<(), LexError> {
        let hash = self.pos;
        let mut p = hash + 1;
        while matches!(self.bytes.get(p), Some(b' ' | b'\t')) {
            p += 1;
        }
        // `#line N "file"` / `# N "file"`: pycparser's line markers, accepted anywhere.
        let line_kw = self.src[p..].starts_with("line")
            && self.src[p + 4..].chars().next().is_some_and(|c| !(c.is_alphanumeric() || c == '_'));
        if line_kw || self.bytes.get(p).is_some_and(u8::is_ascii_digit) {
            return self.line_marker(hash, if line_kw { p + 4 } else { p });
        }
        if self.rest_starts_with_word(p, "pragma") && p + 6 < self.bytes.len() {
            let end = self.src[hash..].find('\n').map_or(self.src.len(), |i| hash + i);
            self.pos = end;
            self.push(TokenKind::Pragma, hash);
            return Ok(());
        }
        if self.at_line_start {
            if let Some(()) = self.define(hash)? {
                return Ok(());
            }
        }
        let word_end = p + self.src[p..].bytes().take_while(|b| is_ident_char(*b)).count();
        let word = &self.src[p..word_end];
        let message = if word.is_empty() {
            "directives are not supported in cdef()".to_string()
        } else {
            format!("`#{word}` is not supported in cdef()")
        };
        Err(LexError {
            message,
            span: hash..word_end.max(hash + 1),
            help: Some(
                "cdef() takes only `#define NAME <integer>` and `#define NAME ...`; \
                 other directives must be resolved before the text reaches cdef()",
            ),
        })
    }

    fn line_marker(&mut self, hash: usize, mut p: usize) -> Result<(), LexError> {
        let end = self.src[hash..].find('\n').map_or(self.src.len(), |i| hash + i);
        let bad = |_: &Self| LexError {
            message: "invalid #line directive".into(),
            span: hash..end,
            help: Some("write `#line NUMBER \"FILE\"`"),
        };
        let bytes = self.bytes;
        let skip_ws = |p: &mut usize| {
            while matches!(bytes.get(*p), Some(b' ' | b'\t')) {
                *p += 1;
            }
        };
        skip_ws(&mut p);
        let digits = self.src[p..end].bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return Err(bad(self));
        }
        p += digits;
        skip_ws(&mut p);
        if p < end {
            if self.bytes[p] != b'"' {
                return Err(bad(self));
            }
            match self.src[p + 1..end].find('"') {
                Some(i) => p = p + 1 + i + 1,
                None => return Err(bad(self)),
            }
            loop {
                skip_ws(&mut p);
                if p >= end {
                    break;
                }
                let n = self.src[p..end].bytes().take_while(u8::is_ascii_digit).count();
                if n == 0 {
                    return Err(bad(self));
                }
                p += n;
            }
        }
        self.pos = end;
        self.at_line_start = false;
        Ok(())
    }

    /// cffi's `_r_define`: `#define NAME value` at the start of a line. Returns
    /// `None` when the line is not a define (then it is an unsupported directive).
    // test_ok defines
    // #define A 42
    // #define B -0x10UL
    // #define C 010
    // #define D ...
    // #define E \
    //     7
    //   #  define F 1 /* a comment */
    // test_err define_expression
    // #define A (1 + 2)
    // test_err define_name
    // #define A B
    // test_err define_python_cannot_read
    // #define A 0b101
    fn define(&mut self, hash: usize) -> Result<Option<()>, LexError> {
        let b = self.bytes;
        let mut p = hash + 1;
        while p < b.len() && (b[p] as char).is_ascii_whitespace() {
            p += 1;
        }
        if !self.src[p..].starts_with("define") {
            return Ok(None);
        }
        p += 6;
        let ws = p;
        while p < b.len() && (b[p] as char).is_ascii_whitespace() {
            p += 1;
        }
        if p == ws || p >= b.len() || !(b[p].is_ascii_alphabetic() || b[p] == b'_') {
            return Ok(None);
        }
        let name_start = p;
        while p < b.len() && (b[p].is_ascii_alphanumeric() || b[p] == b'_') {
            p += 1;
        }
        if self.src[p..].chars().next().is_some_and(|c| c.is_alphanumeric() && !c.is_ascii()) {
            return Ok(None);
        }
        let name_span = name_start..p;
        // The value: up to the first newline not escaped by a backslash; comments
        // count as a space, and one spanning lines ends the value (cffi removes
        // comments, keeping their newlines, before looking for defines).
        let mut value = String::new();
        self.pos = p;
        let mut value_end = p;
        loop {
            if self.pos >= b.len() {
                break;
            }
            match b[self.pos] {
                b'\n' => break,
                b'\\' if self.pos + 1 < b.len() => {
                    let next_len = self.src[self.pos + 1..].chars().next().map_or(1, char::len_utf8);
                    value.push_str(&self.src[self.pos..self.pos + 1 + next_len]);
                    self.pos += 1 + next_len;
                }
                b'/' if self.peek(1) == b'*' => {
                    let multiline = self.block_comment()?;
                    value.push(' ');
                    if multiline {
                        value_end = self.pos;
                        break;
                    }
                }
                b'/' if self.peek(1) == b'/' => {
                    self.line_comment();
                    value.push(' ');
                }
                _ => {
                    let c = self.src[self.pos..].chars().next().unwrap_or(' ');
                    value.push(c);
                    self.pos += c.len_utf8();
                }
            }
            value_end = self.pos;
        }
        let continuations = value.matches("\\\n").count();
        let value = value.replace("\\\n", "").trim().to_string();
        let name = self.src[name_span.clone()].to_string();
        // cffi's `^\s*#` also swallows the blank lines just before the directive.
        let before = &self.src[..hash];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let mut match_start = line_start;
        while match_start > 0 {
            let prev_start = self.src[..match_start - 1].rfind('\n').map_or(0, |i| i + 1);
            if !self.src[prev_start..match_start - 1].trim().is_empty() {
                break;
            }
            match_start = prev_start;
        }
        let removed_lines = self.src[match_start..hash].matches('\n').count() + continuations;
        self.out.defines.push(Define { name, name_span, value, span: hash..value_end, removed_lines });
        self.at_line_start = false;
        Ok(Some(()))
    }

    // test_err stray_backslash class-only
    // int x \
    //     ;
    // test_err stray_character class-only
    // int x @;
    fn token(&mut self) -> Result<(), LexError> {
        let start = self.pos;
        let b = self.bytes[start];
        // Wide character and string literals: `L'a'`, `u8"x"`, ...
        let maybe_prefix = matches!(b, b'u' | b'L' | b'U');
        for prefix in ["u8", "L", "u", "U"] {
            if maybe_prefix && self.src[start..].starts_with(prefix) {
                let q = self.bytes.get(start + prefix.len()).copied();
                if q == Some(b'\'') {
                    self.pos += prefix.len();
                    return self.char_const(start);
                }
                if q == Some(b'"') {
                    self.pos += prefix.len();
                    self.string_lit(start)?;
                    self.out.tokens.last_mut().expect("just pushed").kind = TokenKind::WStr;
                    return Ok(());
                }
            }
        }
        if is_ident_start(b) {
            let len = self.bytes[start..]
                .iter()
                .position(|&c| !is_ident_char(c))
                .unwrap_or(self.bytes.len() - start);
            self.pos = start + len;
            let word = &self.src[start..self.pos];
            // (every keyword starts with a lowercase letter or `_`, and is at most 14 bytes)
            let kw =
                if len <= 14 && (b.is_ascii_lowercase() || b == b'_') { Kw::from_ident(word) } else { None };
            let kind = kw.map_or(TokenKind::Ident, TokenKind::Kw);
            self.push(kind, start);
            return Ok(());
        }
        if b.is_ascii_digit() || (b == b'.' && self.peek(1).is_ascii_digit()) {
            return self.number(start);
        }
        if b == b'\'' {
            return self.char_const(start);
        }
        if b == b'"' {
            return self.string_lit(start);
        }
        if let Some((len, p)) = punct_at(&self.bytes[start..]) {
            self.pos += len;
            self.push(TokenKind::Punct(p), start);
            return Ok(());
        }
        let c = self.src[start..].chars().next().unwrap_or('?');
        let shown: String = if c.is_ascii_graphic() { c.to_string() } else { c.escape_default().to_string() };
        let mut e = self.err(format!("illegal character `{shown}`"), start..start + c.len_utf8());
        e.help = Some(match c {
            '\\' => "a backslash continues a line only inside a `#define`",
            '\r' => "use `\\n` (or `\\r\\n`) line ends",
            c if !c.is_ascii() => {
                "cdef() takes ASCII C declarations; non-ASCII text may appear only in comments"
            }
            _ => "this character cannot appear in C declarations",
        });
        Err(e)
    }

    fn digits(&mut self, pred: impl Fn(u8) -> bool) -> usize {
        let s = self.pos;
        while self.pos < self.bytes.len() && pred(self.bytes[self.pos]) {
            self.pos += 1;
        }
        self.pos - s
    }

    fn int_suffix(&mut self) {
        // pycparser: u, l, ul, lu, ll, llu, ull (case per group), longest first.
        let rest = &self.src[self.pos..];
        for s in [
            "ull", "uLL", "Ull", "ULL", "llu", "llU", "LLu", "LLU", "ll", "LL", "ul", "uL", "Ul", "UL", "lu",
            "lU", "Lu", "LU", "l", "L", "u", "U",
        ] {
            if rest.starts_with(s) {
                self.pos += s.len();
                return;
            }
        }
    }

    // test_err bad_octal class-only
    // extern int a[09];
    fn number(&mut self, start: usize) -> Result<(), LexError> {
        let b = self.bytes;
        // Hexadecimal (float or int).
        if b[start] == b'0' && matches!(self.peek(1), b'x' | b'X') {
            self.pos += 2;
            let int_digits = self.digits(|c| c.is_ascii_hexdigit());
            let mut frac = false;
            if self.pos < b.len() && b[self.pos] == b'.' {
                let save = self.pos;
                self.pos += 1;
                let fd = self.digits(|c| c.is_ascii_hexdigit());
                if int_digits + fd > 0 {
                    frac = true;
                } else {
                    self.pos = save;
                }
            }
            if matches!(self.bytes.get(self.pos), Some(b'p' | b'P')) {
                let save = self.pos;
                self.pos += 1;
                if matches!(self.bytes.get(self.pos), Some(b'+' | b'-')) {
                    self.pos += 1;
                }
                if self.digits(|c| c.is_ascii_digit()) > 0 && (int_digits > 0 || frac) {
                    if matches!(self.bytes.get(self.pos), Some(b'f' | b'F' | b'l' | b'L')) {
                        self.pos += 1;
                    }
                    self.push(TokenKind::Float, start);
                    return Ok(());
                }
                self.pos = save;
            }
            if int_digits == 0 {
                // `0x` alone: pycparser lexes `0` then an identifier.
                self.pos = start + 1;
                self.push(TokenKind::Int, start);
                return Ok(());
            }
            // A hex "fraction" without exponent is not a number: back off to the int.
            self.pos = start + 2 + int_digits;
            self.int_suffix();
            self.push(TokenKind::Int, start);
            return Ok(());
        }
        // Decimal float: digits* '.' digits+ | digits+ '.' | digits+ exponent.
        let int_digits = self.digits(|c| c.is_ascii_digit());
        let mut is_float = false;
        if self.pos < b.len() && b[self.pos] == b'.' {
            self.pos += 1;
            self.digits(|c| c.is_ascii_digit());
            is_float = true;
        }
        if matches!(self.bytes.get(self.pos), Some(b'e' | b'E')) {
            let save = self.pos;
            self.pos += 1;
            if matches!(self.bytes.get(self.pos), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if self.digits(|c| c.is_ascii_digit()) > 0 {
                is_float = true;
            } else {
                self.pos = save;
            }
        }
        if is_float {
            if matches!(self.bytes.get(self.pos), Some(b'f' | b'F' | b'l' | b'L')) {
                self.pos += 1;
            }
            self.push(TokenKind::Float, start);
            return Ok(());
        }
        self.pos = start + int_digits;
        let text = &self.src[start..self.pos];
        if b[start] == b'0' && matches!(self.peek(0), b'b' | b'B') && matches!(self.peek(1), b'0' | b'1') {
            self.pos += 1;
            self.digits(|c| c == b'0' || c == b'1');
        } else if text.starts_with('0') && text.bytes().any(|c| c == b'8' || c == b'9') {
            return Err(LexError {
                message: format!("invalid octal constant `{text}`"),
                span: start..self.pos,
                help: Some("a leading 0 makes the number octal (digits 0-7)"),
            });
        }
        self.int_suffix();
        self.push(TokenKind::Int, start);
        Ok(())
    }

    /// `'x'`, `'\n'`, `'ab'` (multi-character, an int in pycparser).
    fn char_const(&mut self, start: usize) -> Result<(), LexError> {
        debug_assert_eq!(self.bytes[self.pos], b'\'');
        self.pos += 1;
        let mut count = 0;
        loop {
            match self.bytes.get(self.pos) {
                None | Some(b'\n') => {
                    return Err(LexError {
                        message: "unmatched `'`".into(),
                        span: start..self.pos,
                        help: Some("close the character constant with `'`"),
                    })
                }
                Some(b'\'') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => {
                    let esc = self.src[self.pos + 1..].chars().next().unwrap_or(' ');
                    if !(esc.is_ascii_alphanumeric() || "._~!=&^-\\?'\"".contains(esc)) {
                        let mut e = self.err("invalid escape in character constant", self.pos..self.pos + 1);
                        e.help = Some("use a C escape such as `\\n`, `\\0` or `\\x41`");
                        return Err(e);
                    }
                    self.pos += 1 + esc.len_utf8();
                    if esc.is_ascii_digit() {
                        self.digits(|c| c.is_ascii_digit());
                    } else if esc == 'x' {
                        self.digits(|c| c.is_ascii_hexdigit());
                    }
                    count += 1;
                }
                Some(_) => {
                    let c = self.src[self.pos..].chars().next().unwrap_or(' ');
                    self.pos += c.len_utf8();
                    count += 1;
                }
            }
        }
        let is_plain = self.bytes[start] == b'\'';
        match count {
            1 => self.push(TokenKind::Char, start),
            2..=4 if is_plain => self.push(TokenKind::Int, start),
            _ => {
                return Err(LexError {
                    message: format!("invalid character constant {}", &self.src[start..self.pos]),
                    span: start..self.pos,
                    help: Some("a character constant holds one character (or up to four for an int)"),
                })
            }
        }
        Ok(())
    }

    fn string_lit(&mut self, start: usize) -> Result<(), LexError> {
        debug_assert_eq!(self.bytes[self.pos], b'"');
        self.pos += 1;
        loop {
            match self.bytes.get(self.pos) {
                None | Some(b'\n') => {
                    return Err(LexError {
                        message: "unterminated string literal".into(),
                        span: start..self.pos,
                        help: Some("close the string with `\"` on the same line"),
                    })
                }
                Some(b'"') => {
                    self.pos += 1;
                    break;
                }
                Some(b'\\') => {
                    let esc = self.src[self.pos + 1..].chars().next().unwrap_or(' ');
                    self.pos += 1 + esc.len_utf8();
                }
                Some(_) => {
                    let c = self.src[self.pos..].chars().next().unwrap_or(' ');
                    self.pos += c.len_utf8();
                }
            }
        }
        self.push(TokenKind::Str, start);
        Ok(())
    }
}

fn is_ident_char_unicode(b: u8) -> bool {
    is_ident_char(b) || b >= 0x80
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(TokenKind, String)> {
        lex(src).unwrap().tokens.iter().map(|t| (t.kind, t.text(src).to_string())).collect()
    }

    #[test]
    fn numbers_follow_pycparser() {
        let k = kinds("0x1Fu 0777 12ULL 0b101 1.5f .5 1e3 0x1p3 'a' 'ab' L'x'");
        let got: Vec<TokenKind> = k.iter().map(|(k, _)| *k).collect();
        use TokenKind::*;
        assert_eq!(got, vec![Int, Int, Int, Int, Float, Float, Float, Float, Char, Int, Char]);
        assert_eq!(k[2].1, "12ULL");
        assert!(lex("int a[08];").is_err());
    }

    #[test]
    fn comments_vanish_and_defines_are_pulled_out() {
        let src =
            "/* a */ int x; // b \\\n still comment\n#define N 0x10 /* c */\n  #  define  M  \\\n 42\nint y;";
        let lexed = lex(src).unwrap();
        let texts: Vec<&str> = lexed.tokens.iter().map(|t| t.text(src)).collect();
        assert_eq!(texts, ["int", "x", ";", "int", "y", ";"]);
        let defs: Vec<(&str, &str)> =
            lexed.defines.iter().map(|d| (d.name.as_str(), d.value.as_str())).collect();
        assert_eq!(defs, [("N", "0x10"), ("M", "42")]);
    }

    #[test]
    fn ellipsis_is_one_token() {
        let k = kinds("int f(int, ...);");
        assert_eq!(k[5], (TokenKind::Punct(Punct::Ellipsis), "...".into()));
    }

    #[test]
    fn other_directives_and_stray_characters_are_errors() {
        assert!(lex("#include <stdio.h>\n").unwrap_err().message.contains("#include"));
        assert!(lex("int x; #define X 1\n").is_err(), "a define must start its line");
        assert!(lex("int x \\\n;").is_err());
        assert!(lex("int x;\rint y;").is_err());
        assert!(lex("int x;\r\nint y;").is_ok());
        assert!(lex("/* open").is_err());
        let lexed = lex("#pragma pack(1)\nint x;").unwrap();
        assert_eq!(lexed.tokens[0].kind, TokenKind::Pragma);
        assert!(lex("#line 5 \"foo.h\"\nint x;").is_ok());
        assert!(lex("#line foo\n").is_err());
    }
}
