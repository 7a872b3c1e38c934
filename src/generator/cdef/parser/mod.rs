//! Recursive-descent parser for the C declarations cdef() takes.
//!
//! Grammar decisions follow pycparser (the parser cffi uses), so that exactly the same
//! texts parse: declaration specifiers, declarators with the typedef-name "lexer hack"
//! (an identifier is a type name if a typedef in scope says so), abstract declarators
//! in parameters, C expressions in array sizes, bitfields, enum values and
//! initializers. cffi's `extern "Python"` blocks are recognised here too.
//!
//! This file holds the parser's state: the token cursor, error construction, the
//! nesting bound and the lexer hack's scopes. The grammar is split by area, each
//! rule with a valid and an invalid example beside it (unit tests at the bottom of
//! each file; the `// test_ok` / `// test_err` comments are also checked against
//! cffi by `tests/cdef/differential.rs` and snapshotted by `tests/cdef/diagnostics.rs`):
//! - [`declarations`]: top-level declarations, init-declarators, initializers;
//! - [`types`]: specifier lists, struct/union/enum specifiers, members, enumerators;
//! - [`declarators`]: pointers, arrays, functions, parameters, abstract declarators;
//! - [`expressions`]: C expressions (array sizes, bitfields, enum values);
//! - [`statements`]: function bodies, parsed only to be refused;
//! - [`directives`]: `#pragma`, `_Pragma(...)`, `_Static_assert(...)`, string literals.
//!
//! Nesting is bounded ([`MAX_DEPTH`]) so hostile input gets an error, not a stack
//! overflow.

mod declarations;
mod declarators;
mod directives;
mod expressions;
mod statements;
mod types;

#[cfg(test)]
mod testing;

use std::cell::Cell;

use rustc_hash::FxHashMap;

use super::ast::*;
use super::lexer::{Kw, Punct, Token, TokenKind};

/// Deepest nesting of declarators, expressions, structs and braces we accept, and
/// the most pointer/array/function levels one declarator may add.
pub const MAX_DEPTH: usize = 200;

/// Longest chain of binary operators in one expression (`A | B | C ...`).
pub const MAX_CHAIN: usize = 1000;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyntaxError {
    pub message: String,
    pub span: Span,
    pub help: Option<String>,
    /// The token the error is "before", in pycparser's words (for cffi's message).
    pub before: Option<String>,
    /// pycparser's own message, where it gives one instead of `before: <token>`.
    pub pycparser: Option<&'static str>,
}

/// Errors are rare: boxed, they keep every `PResult` small.
type PResult<T> = Result<T, Box<SyntaxError>>;

/// `'n` borrows the names known before parsing (earlier typedefs); names declared
/// in the text borrow from it for `'a`, which outlives `'n`.
pub struct Parser<'a, 'n> {
    src: &'a str,
    toks: &'a [Token],
    pos: usize,
    /// Scopes of the lexer hack: `true` = typedef name, `false` = ordinary identifier.
    scopes: Vec<FxHashMap<&'n str, bool>>,
    /// The last token the lexer hack classified and the answer, until the scopes
    /// change (the grammar asks about the same identifier several times).
    classified: Cell<Option<(*const Token, bool)>>,
    unit: Unit<'a>,
    depth: usize,
}

impl<'a: 'n, 'n> Parser<'a, 'n> {
    /// `typedefs`: names to treat as type names from the start (earlier typedefs,
    /// common types, the `...` placeholders).
    pub fn new(src: &'a str, toks: &'a [Token], typedefs: impl IntoIterator<Item = &'n str>) -> Self {
        let file_scope = typedefs.into_iter().map(|n| (n, true)).collect();
        Parser {
            src,
            toks,
            pos: 0,
            scopes: vec![file_scope],
            classified: Cell::new(None),
            unit: Unit { items: Vec::with_capacity(top_level_semicolons(toks)), sues: Vec::new() },
            depth: 0,
        }
    }

    pub fn parse_unit(mut self) -> PResult<Unit<'a>> {
        while self.pos < self.toks.len() {
            self.external_declaration()?;
        }
        Ok(self.unit)
    }

    fn peek_at(&self, k: usize) -> Option<&'a Token> {
        self.toks.get(self.pos + k)
    }

    fn peek(&self) -> Option<&'a Token> {
        self.peek_at(0)
    }

    fn text(&self, t: &Token) -> &'a str {
        match t.synthetic {
            Some(s) => s,
            None => &self.src[t.span.clone()],
        }
    }

    fn is_punct(&self, k: usize, p: Punct) -> bool {
        self.peek_at(k).is_some_and(|t| t.is_punct(p))
    }

    fn advance(&mut self) -> PResult<&'a Token> {
        match self.toks.get(self.pos) {
            Some(t) => {
                self.pos += 1;
                Ok(t)
            }
            None => Err(self.error_at_end("unexpected end of input")),
        }
    }

    fn accept(&mut self, p: Punct) -> Option<&'a Token> {
        if self.is_punct(0, p) {
            self.pos += 1;
            Some(&self.toks[self.pos - 1])
        } else {
            None
        }
    }

    fn expect(&mut self, p: Punct) -> PResult<&'a Token> {
        match self.peek() {
            Some(t) if t.is_punct(p) => {
                self.pos += 1;
                Ok(t)
            }
            Some(_) => Err(self.error_here(format!("expected `{}`", p.as_str()))),
            None => Err(self.error_at_end(format!("expected `{}` before the end of input", p.as_str()))),
        }
    }

    fn end_offset(&self) -> usize {
        self.toks.last().map_or(0, |t| t.span.end)
    }

    fn error_here(&self, message: impl Into<String>) -> Box<SyntaxError> {
        match self.peek() {
            Some(t) => {
                let shown = self.text(t);
                Box::new(SyntaxError {
                    message: format!("{}, found `{}`", message.into(), shown),
                    span: t.span.clone(),
                    help: None,
                    before: Some(shown.to_string()),
                    pycparser: None,
                })
            }
            None => self.error_at_end(message),
        }
    }

    fn error_at(&self, message: impl Into<String>, span: Span) -> Box<SyntaxError> {
        Box::new(SyntaxError { message: message.into(), span, help: None, before: None, pycparser: None })
    }

    fn error_at_end(&self, message: impl Into<String>) -> Box<SyntaxError> {
        let end = self.end_offset();
        Box::new(SyntaxError {
            message: message.into(),
            span: end..end,
            help: None,
            before: None,
            pycparser: None,
        })
    }

    /// An identifier where a type belongs, followed by what looks like a declarator:
    /// most likely a type nobody declared.
    fn looks_like_unknown_type(&self, k: usize) -> bool {
        self.peek_at(k).is_some_and(|t| self.is_id(t))
            && self.peek_at(k + 1).is_some_and(|n| n.kind == TokenKind::Ident || n.is_punct(Punct::Star))
    }

    fn unknown_type_error(&self, k: usize) -> Box<SyntaxError> {
        let t = self.peek_at(k).expect("checked by looks_like_unknown_type");
        let name = self.text(t);
        Box::new(SyntaxError {
            message: format!("unknown type name `{name}`"),
            span: t.span.clone(),
            help: Some(format!(
                "declare `{name}` before using it: `typedef ... {name};` (opaque), \
                 `typedef struct {name} {name};`, or `typedef int... {name};` (an integer type)"
            )),
            before: Some(name.to_string()),
            pycparser: None,
        })
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            let span = self.peek().map_or(self.end_offset()..self.end_offset(), |t| t.span.clone());
            return Err(Box::new(SyntaxError {
                message: format!("nesting deeper than {MAX_DEPTH} levels"),
                span,
                help: Some("simplify the declaration; cffi-forge limits nesting to keep parsing safe".into()),
                before: None,
                pycparser: None,
            }));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn is_type_name(&self, name: &str) -> bool {
        for scope in self.scopes.iter().rev() {
            if let Some(&is_type) = scope.get(name) {
                return is_type;
            }
        }
        false
    }

    /// Whether an identifier token names a type here.
    fn names_type(&self, t: &Token) -> bool {
        let key = t as *const Token;
        match self.classified.get() {
            Some((k, is_type)) if k == key => is_type,
            _ => {
                let is_type = self.is_type_name(self.text(t));
                self.classified.set(Some((key, is_type)));
                is_type
            }
        }
    }

    /// pycparser's TYPEID: an identifier that names a type here.
    fn is_typeid(&self, t: &Token) -> bool {
        t.kind == TokenKind::Ident && self.names_type(t)
    }

    fn is_id(&self, t: &Token) -> bool {
        t.kind == TokenKind::Ident && !self.names_type(t)
    }

    fn push_scope(&mut self) {
        self.classified.set(None);
        self.scopes.push(FxHashMap::default());
    }

    fn pop_scope(&mut self) {
        self.classified.set(None);
        if self.scopes.len() > 1 {
            self.scopes.pop();
        }
    }

    fn add_typedef_name(&mut self, name: &'a str, span: &Span) -> PResult<()> {
        self.classified.set(None);
        let scope = self.scopes.last_mut().expect("file scope");
        if scope.get(name) == Some(&false) {
            let mut e = self.error_at(
                format!("typedef `{name}` was previously declared as a non-typedef in this scope"),
                span.clone(),
            );
            e.help =
                Some(format!("`{name}` already names a variable or function; pick another typedef name"));
            return Err(e);
        }
        scope.insert(name, true);
        Ok(())
    }

    fn add_identifier(&mut self, name: &'a str, span: &Span) -> PResult<()> {
        self.classified.set(None);
        let scope = self.scopes.last_mut().expect("file scope");
        if name == super::rewrite::DOTDOTDOT {
            // `t ... x;`: the placeholder for `...` landed where a name belongs.
            let mut e = self.error_at("`...` cannot stand here", span.clone());
            e.help = Some(
                "`...` stands for a whole type (`typedef ... foo_t;`), an integer type (`typedef int... t;`), \
                 an array length (`[...]`) or the rest of a struct (`...;`)"
                    .into(),
            );
            return Err(e);
        }
        if scope.get(name) == Some(&true) {
            let mut e = self.error_at(
                format!("`{name}` was previously declared as a typedef name in this scope"),
                span.clone(),
            );
            e.help = Some(format!("`{name}` already names a type; pick another name for this declaration"));
            return Err(e);
        }
        scope.insert(name, false);
        Ok(())
    }

    fn lbrace(&mut self) -> PResult<&'a Token> {
        let t = self.expect(Punct::LBrace)?;
        self.push_scope();
        Ok(t)
    }

    fn rbrace(&mut self) -> PResult<&'a Token> {
        let t = self.expect(Punct::RBrace)?;
        self.pop_scope();
        Ok(t)
    }

    fn starts_declaration_tok(&self, t: &Token) -> bool {
        match t.kind {
            TokenKind::Kw(k) => {
                k.is_storage_class()
                    || k.is_function_spec()
                    || k.is_type_qualifier()
                    || k.is_simple_type_spec()
                    || matches!(k, Kw::Struct | Kw::Union | Kw::Enum | Kw::Alignas)
            }
            TokenKind::Ident => self.is_typeid(t),
            _ => false,
        }
    }

    fn starts_declaration(&self) -> bool {
        self.peek().is_some_and(|t| self.starts_declaration_tok(t))
    }
}

/// About the number of top-level declarations: sizes the item list once.
fn top_level_semicolons(toks: &[Token]) -> usize {
    let mut depth = 0i32;
    let mut n = 0;
    for t in toks {
        match t.kind {
            TokenKind::Punct(Punct::LBrace) => depth += 1,
            TokenKind::Punct(Punct::RBrace) => depth -= 1,
            TokenKind::Punct(Punct::Semi) if depth <= 0 => n += 1,
            _ => {}
        }
    }
    n
}

/// The lexer hack: which identifiers name types, by scope.
#[cfg(test)]
mod tests {
    use super::testing::{err, ok};

    #[test]
    fn typedef_names_are_types_after_their_declaration() {
        assert_eq!(ok("typedef int T; T v;"), "typedef T: int\nv: T");
        assert_eq!(err("T v; typedef int T;"), "unknown type name `T` (at `T`)");
    }

    #[test]
    fn function_bodies_and_parameters_have_scopes_of_their_own() {
        assert_eq!(ok("typedef int T; void f(int T); T v;"), "typedef T: int\nf: fn(int) -> void\nv: T");
        assert_eq!(ok("int f(void) { typedef int U; U u; } int U;"), "function definition\nU: int");
        assert_eq!(
            err("int f(void) { typedef int U; int U; }"),
            "`U` was previously declared as a typedef name in this scope (at `U`)"
        );
    }
}
