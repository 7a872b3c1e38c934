//! Recursive-descent parser for the C declarations cdef() takes.
//!
//! Grammar decisions follow pycparser (the parser cffi uses), so that exactly the same
//! texts parse: declaration specifiers, declarators with the typedef-name "lexer hack"
//! (an identifier is a type name if a typedef in scope says so), abstract declarators
//! in parameters, C expressions in array sizes, bitfields, enum values and
//! initializers. cffi's `extern "Python"` blocks are recognised here too.
//!
//! Nesting is bounded ([`MAX_DEPTH`]) so hostile input gets an error, not a stack
//! overflow.

use std::cell::Cell;

use rustc_hash::FxHashMap;
use smallvec::{smallvec, SmallVec};

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
}

/// Errors are rare: boxed, they keep every `PResult` small.
type PResult<T> = Result<T, Box<SyntaxError>>;

/// What a specifier list collected (pycparser's `_DeclSpec`).
#[derive(Clone, Debug, Default)]
struct DeclSpec<'a> {
    quals: QualList,
    storage: SmallVec<[&'a str; 2]>,
    /// Type specifiers: names (keywords, typedef names) or one struct/union/enum.
    types: SmallVec<[TypeSpecPart<'a>; 2]>,
    start: Option<usize>,
}

#[derive(Clone, Debug)]
enum TypeSpecPart<'a> {
    Name(&'a str, Span),
    Sue(SueId, Span),
}

/// A declarator before the base type is known: the name and the type constructors
/// from the name outwards (`*p[3]` → array of pointers).
#[derive(Clone, Debug)]
struct Declarator<'a> {
    name: Option<(&'a str, Span)>,
    derivs: Derivs<'a>,
    span: Span,
}

/// The declarators of one declaration (usually one) and what they declare.
/// Inline for the usual single declarator: one heap allocation less per declaration.
type DeclaratorList<'a> = SmallVec<[(Declarator<'a>, Option<Init<'a>>); 1]>;
type DeclList<'a> = SmallVec<[Decl<'a>; 1]>;

type Derivs<'a> = Vec<Deriv<'a>>;

#[derive(Clone, Debug)]
enum Deriv<'a> {
    Ptr(QualList),
    Array(Option<Expr<'a>>),
    Func(Option<Vec<Param<'a>>>, Span),
}

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

    // ---------------------------------------------------------------- tokens

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
                })
            }
            None => self.error_at_end(message),
        }
    }

    fn error_at(&self, message: impl Into<String>, span: Span) -> Box<SyntaxError> {
        Box::new(SyntaxError { message: message.into(), span, help: None, before: None })
    }

    fn error_at_end(&self, message: impl Into<String>) -> Box<SyntaxError> {
        let end = self.end_offset();
        Box::new(SyntaxError { message: message.into(), span: end..end, help: None, before: None })
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
            }));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    // ---------------------------------------------------------------- lexer hack

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

    // ---------------------------------------------------------------- classification

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

    fn starts_expression(&self) -> bool {
        let Some(t) = self.peek() else { return false };
        match t.kind {
            TokenKind::Ident => self.is_id(t),
            TokenKind::Int | TokenKind::Float | TokenKind::Char | TokenKind::Str | TokenKind::WStr => true,
            TokenKind::Kw(k) => matches!(k, Kw::Sizeof | Kw::Alignof | Kw::Offsetof),
            TokenKind::Punct(p) => matches!(
                p,
                Punct::LParen
                    | Punct::PlusPlus
                    | Punct::MinusMinus
                    | Punct::Plus
                    | Punct::Minus
                    | Punct::Star
                    | Punct::Amp
                    | Punct::Tilde
                    | Punct::Bang
            ),
            TokenKind::Pragma => false,
        }
    }

    fn starts_declarator(&self, id_only: bool) -> bool {
        let Some(t) = self.peek() else { return false };
        if t.is_punct(Punct::Star) || t.is_punct(Punct::LParen) {
            return true;
        }
        if t.kind != TokenKind::Ident {
            return false;
        }
        !id_only || self.is_id(t)
    }

    /// Look ahead through `*`, qualifiers and `(` for the declarator's name: is it an
    /// identifier, a type name, or absent (abstract)? Also: was it inside parens?
    fn peek_declarator_name(&self) -> (Option<bool>, bool) {
        let mut k = 0;
        let mut saw_paren = false;
        loop {
            while self.is_punct(k, Punct::Star) {
                k += 1;
                while self
                    .peek_at(k)
                    .is_some_and(|t| matches!(t.kind, TokenKind::Kw(q) if q.is_type_qualifier()))
                {
                    k += 1;
                }
            }
            match self.peek_at(k) {
                Some(t) if t.kind == TokenKind::Ident => return (Some(self.is_typeid(t)), saw_paren),
                Some(t) if t.is_punct(Punct::LParen) => {
                    saw_paren = true;
                    k += 1;
                }
                _ => return (None, saw_paren),
            }
        }
    }

    // ---------------------------------------------------------------- top level

    // test_ok top_level_declarations
    // int f(int);
    // extern int x;
    // typedef int foo_t;
    // struct s { int a; };
    // ;
    // test_err function_definition
    // int f(void) { return 0; }
    // test_err static_assert
    // _Static_assert(1, "never in a cdef");
    // test_err declaration_without_type class-only
    // foo_t f(void);
    // test_err old_style_parameters
    // int f(a, b);
    fn external_declaration(&mut self) -> PResult<()> {
        let Some(t) = self.peek() else { return Ok(()) };
        match t.kind {
            TokenKind::Pragma => {
                self.pos += 1;
                self.unit.items.push(Item::Pragma { span: t.span.clone() });
                return Ok(());
            }
            TokenKind::Kw(Kw::Pragma) => {
                let span = self.pragma_operator()?;
                self.unit.items.push(Item::Pragma { span });
                return Ok(());
            }
            TokenKind::Punct(Punct::Semi) => {
                self.pos += 1;
                return Ok(());
            }
            TokenKind::Kw(Kw::StaticAssert) => {
                let span = self.static_assert()?;
                self.unit.items.push(Item::StaticAssert { span });
                return Ok(());
            }
            _ => {}
        }
        if !self.starts_declaration() {
            if self.looks_like_unknown_type(0) {
                return Err(self.unknown_type_error(0));
            }
            // pycparser tries an old-style function definition `foo() { ... }` here.
            let d = self.declarator(DeclaratorKind::Id, true)?;
            if !self.is_punct(0, Punct::LBrace) {
                return Err(Box::new(SyntaxError {
                    message: "expected a declaration".into(),
                    span: d.span.clone(),
                    help: Some(
                        "every declaration starts with a type; declare unknown types first, \
                         e.g. `typedef ... foo_t;` or `typedef struct foo foo_t;`"
                            .into(),
                    ),
                    before: None,
                }));
            }
            let start = d.span.start;
            let end = self.compound_statement()?;
            self.unit.items.push(Item::FuncDef { span: start..end });
            return Ok(());
        }
        let (spec, saw_type) = self.declaration_specifiers(true)?;
        let (name_kind, _) = self.peek_declarator_name();
        if name_kind != Some(false) {
            let decls = self.decl_body_with_spec(spec, saw_type)?;
            self.expect(Punct::Semi)?;
            self.push_decls(decls);
            return Ok(());
        }
        let first = self.declarator(DeclaratorKind::Id, true)?;
        if self.is_punct(0, Punct::LBrace) || self.starts_declaration() {
            // A function definition (possibly with K&R parameter declarations).
            while self.starts_declaration() {
                let (s, t) = self.declaration_specifiers(true)?;
                let _ = self.decl_body_with_spec(s, t)?;
                self.expect(Punct::Semi)?;
            }
            if !self.is_punct(0, Punct::LBrace) {
                return Err(self.error_here("expected the body of a function definition"));
            }
            let start = spec.start.unwrap_or(first.span.start);
            // pycparser checks the declaration part before the body.
            let mut spec = spec;
            if spec.storage.contains(&"typedef") {
                let mut e = self.error_at("a function definition cannot be a typedef", first.span.clone());
                e.help = Some("cdef() takes declarations only; drop the body".into());
                return Err(e);
            }
            if spec.types.is_empty() {
                spec.types.push(TypeSpecPart::Name("int", first.span.clone()));
            }
            self.build_declarations(&spec, smallvec![(first, None)], true)?;
            let end = self.compound_statement()?;
            self.unit.items.push(Item::FuncDef { span: start..end });
            return Ok(());
        }
        let init = if self.accept(Punct::Eq).is_some() { Some(self.initializer()?) } else { None };
        let mut list: DeclaratorList<'a> = smallvec![(first, init)];
        while self.accept(Punct::Comma).is_some() {
            list.push(self.init_declarator(false)?);
        }
        let decls = self.build_declarations(&spec, list, true)?;
        self.expect(Punct::Semi)?;
        self.push_decls(decls);
        Ok(())
    }

    fn push_decls(&mut self, decls: DeclList<'a>) {
        self.unit.items.extend(decls.into_iter().map(Item::Decl));
    }

    /// A function body, `{ ... }`: parsed (so syntax errors are found where
    /// pycparser finds them), then dropped, since cdef() refuses it anyway.
    // test_err function_body_syntax_error class-only
    // int f(void) { return (1; }
    fn compound_statement(&mut self) -> PResult<usize> {
        self.enter()?;
        self.lbrace()?;
        while !self.is_punct(0, Punct::RBrace) {
            if self.peek().is_none() {
                return Err(self.error_at_end("expected `}` before the end of input"));
            }
            if self.starts_declaration() {
                let (spec, saw_type) = self.declaration_specifiers(true)?;
                self.decl_body_with_spec(spec, saw_type)?;
                self.expect(Punct::Semi)?;
            } else {
                self.statement()?;
            }
        }
        let end = self.rbrace()?.span.end;
        self.leave();
        Ok(end)
    }

    fn starts_statement(&self) -> bool {
        let Some(t) = self.peek() else { return false };
        let keyword = matches!(
            t.kind,
            TokenKind::Kw(
                Kw::If
                    | Kw::Switch
                    | Kw::While
                    | Kw::Do
                    | Kw::For
                    | Kw::Goto
                    | Kw::Break
                    | Kw::Continue
                    | Kw::Return
                    | Kw::Case
                    | Kw::Default
                    | Kw::Pragma
                    | Kw::StaticAssert
            )
        );
        keyword
            || t.kind == TokenKind::Pragma
            || t.is_punct(Punct::LBrace)
            || t.is_punct(Punct::Semi)
            || self.starts_expression()
    }

    fn statement(&mut self) -> PResult<()> {
        self.enter()?;
        let t = self.peek().ok_or_else(|| self.error_at_end("expected a statement"))?;
        match t.kind {
            TokenKind::Kw(Kw::Case | Kw::Default) => {
                self.pos += 1;
                if t.is_kw(Kw::Case) {
                    self.conditional_expression()?;
                }
                self.expect(Punct::Colon)?;
                if self.starts_statement() {
                    self.statement()?;
                }
            }
            TokenKind::Ident if self.is_id(t) && self.is_punct(1, Punct::Colon) => {
                self.pos += 2;
                if self.starts_statement() {
                    self.statement()?;
                }
            }
            TokenKind::Punct(Punct::LBrace) => {
                self.compound_statement()?;
            }
            TokenKind::Kw(Kw::If | Kw::Switch | Kw::While) => {
                self.pos += 1;
                self.expect(Punct::LParen)?;
                self.expression()?;
                self.expect(Punct::RParen)?;
                self.statement()?;
                if t.is_kw(Kw::If) && self.peek().is_some_and(|e| e.is_kw(Kw::Else)) {
                    self.pos += 1;
                    self.statement()?;
                }
            }
            TokenKind::Kw(Kw::Do) => {
                self.pos += 1;
                self.statement()?;
                if !self.peek().is_some_and(|w| w.is_kw(Kw::While)) {
                    return Err(self.error_here("expected `while`"));
                }
                self.pos += 1;
                self.expect(Punct::LParen)?;
                self.expression()?;
                self.expect(Punct::RParen)?;
                self.expect(Punct::Semi)?;
            }
            TokenKind::Kw(Kw::For) => {
                self.pos += 1;
                self.expect(Punct::LParen)?;
                if self.starts_declaration() {
                    let (spec, saw_type) = self.declaration_specifiers(true)?;
                    self.decl_body_with_spec(spec, saw_type)?;
                } else if self.starts_expression() {
                    self.expression()?;
                }
                self.expect(Punct::Semi)?;
                if self.starts_expression() {
                    self.expression()?;
                }
                self.expect(Punct::Semi)?;
                if self.starts_expression() {
                    self.expression()?;
                }
                self.expect(Punct::RParen)?;
                self.statement()?;
            }
            TokenKind::Kw(Kw::Goto) => {
                self.pos += 1;
                match self.peek() {
                    Some(n) if self.is_id(n) => self.pos += 1,
                    _ => return Err(self.error_here("expected a label")),
                }
                self.expect(Punct::Semi)?;
            }
            TokenKind::Kw(Kw::Break | Kw::Continue) => {
                self.pos += 1;
                self.expect(Punct::Semi)?;
            }
            TokenKind::Kw(Kw::Return) => {
                self.pos += 1;
                if self.accept(Punct::Semi).is_none() {
                    self.expression()?;
                    self.expect(Punct::Semi)?;
                }
            }
            TokenKind::Pragma => self.pos += 1,
            TokenKind::Kw(Kw::Pragma) => {
                self.pragma_operator()?;
            }
            TokenKind::Kw(Kw::StaticAssert) => {
                self.static_assert()?;
            }
            _ => {
                if self.starts_expression() {
                    self.expression()?;
                }
                self.expect(Punct::Semi)?;
            }
        }
        self.leave();
        Ok(())
    }

    fn static_assert(&mut self) -> PResult<Span> {
        let start = self.advance()?.span.start;
        self.expect(Punct::LParen)?;
        self.conditional_expression()?;
        if self.accept(Punct::Comma).is_some() {
            self.string_literal()?;
        }
        let end = self.expect(Punct::RParen)?.span.end;
        Ok(start..end)
    }

    fn pragma_operator(&mut self) -> PResult<Span> {
        let start = self.advance()?.span.start;
        self.expect(Punct::LParen)?;
        self.string_literal()?;
        let end = self.expect(Punct::RParen)?.span.end;
        Ok(start..end)
    }

    fn string_literal(&mut self) -> PResult<Span> {
        let first = match self.peek() {
            Some(t) if t.kind == TokenKind::Str => self.advance()?.span.clone(),
            _ => return Err(self.error_here("expected a string literal")),
        };
        let mut end = first.end;
        while self.peek().is_some_and(|t| t.kind == TokenKind::Str) {
            end = self.advance()?.span.end;
        }
        Ok(first.start..end)
    }

    // ---------------------------------------------------------------- specifiers

    fn declaration_specifiers(&mut self, allow_no_type: bool) -> PResult<(DeclSpec<'a>, bool)> {
        self.specifiers(true, allow_no_type)
    }

    /// Declaration specifiers (`storage = true`) or a specifier-qualifier list.
    // test_ok specifiers_in_any_order
    // long unsigned int a(void);
    // const static unsigned short b;
    // extern _Atomic int c;
    // inline int d(int);
    // test_err two_kinds_of_type class-only
    // int struct s x;
    // test_err qualifier_without_type class-only
    // const x;
    fn specifiers(&mut self, storage: bool, allow_no_type: bool) -> PResult<(DeclSpec<'a>, bool)> {
        let mut spec = DeclSpec::default();
        let mut saw_type = false;
        let mut saw_any = false;
        let mut saw_alignment = false;
        while let Some(t) = self.peek() {
            if spec.start.is_none() {
                spec.start = Some(t.span.start);
            }
            match t.kind {
                TokenKind::Kw(Kw::Alignas) => {
                    self.alignas()?;
                    saw_alignment = true;
                }
                TokenKind::Kw(Kw::Atomic) if self.is_punct(1, Punct::LParen) => {
                    // `_Atomic(T)`: cffi ignores `_Atomic`; keep the inner type.
                    self.pos += 2;
                    let (inner, _) = self.specifiers(false, false)?;
                    let d = self.abstract_declarator_opt()?;
                    self.expect(Punct::RParen)?;
                    if !d.derivs.is_empty() {
                        return Err(
                            self.error_at("`_Atomic(...)` of a derived type is not supported", d.span)
                        );
                    }
                    spec.quals.extend(inner.quals);
                    spec.types.extend(inner.types);
                    saw_type = true;
                }
                TokenKind::Kw(k) if k.is_type_qualifier() => {
                    self.pos += 1;
                    spec.quals.push(match k {
                        Kw::Const => Qual::Const,
                        Kw::Volatile => Qual::Volatile,
                        Kw::Restrict => Qual::Restrict,
                        _ => Qual::Atomic,
                    });
                }
                TokenKind::Kw(k) if storage && (k.is_storage_class() || k.is_function_spec()) => {
                    self.pos += 1;
                    if k.is_storage_class() {
                        spec.storage.push(self.text(t));
                    }
                }
                TokenKind::Kw(k) if k.is_simple_type_spec() => {
                    self.pos += 1;
                    spec.types.push(TypeSpecPart::Name(self.text(t), t.span.clone()));
                    saw_type = true;
                }
                TokenKind::Ident if self.is_typeid(t) => {
                    if saw_type {
                        break;
                    }
                    self.pos += 1;
                    spec.types.push(TypeSpecPart::Name(self.text(t), t.span.clone()));
                    saw_type = true;
                }
                TokenKind::Kw(Kw::Struct | Kw::Union | Kw::Enum) => {
                    let (id, span) = self.sue_specifier()?;
                    spec.types.push(TypeSpecPart::Sue(id, span));
                    saw_type = true;
                }
                _ => break,
            }
            saw_any = true;
        }
        if !saw_any {
            if self.looks_like_unknown_type(0) {
                return Err(self.unknown_type_error(0));
            }
            return Err(if storage {
                self.error_here("expected a declaration")
            } else {
                self.error_here("expected a type")
            });
        }
        let type_ok = saw_type || allow_no_type || (!storage && saw_alignment);
        if !type_ok {
            if self.looks_like_unknown_type(0) {
                return Err(self.unknown_type_error(0));
            }
            return Err(self.error_here("missing type in declaration"));
        }
        Ok((spec, saw_type))
    }

    fn alignas(&mut self) -> PResult<()> {
        self.pos += 1;
        self.expect(Punct::LParen)?;
        if self.starts_declaration() {
            self.type_name()?;
        } else {
            self.conditional_expression()?;
        }
        self.expect(Punct::RParen)?;
        Ok(())
    }

    // ---------------------------------------------------------------- struct / union / enum

    // test_ok struct_union_enum_specifiers
    // struct s;
    // struct s { int a; };
    // union u { int i; float f; };
    // enum e { A, B = 5, C };
    // struct { int x; } anonymous_variable;
    // test_err struct_without_name_or_body class-only
    // struct;
    fn sue_specifier(&mut self) -> PResult<(SueId, Span)> {
        let kw = self.advance()?;
        let kind = match kw.kind {
            TokenKind::Kw(Kw::Struct) => SueKind::Struct,
            TokenKind::Kw(Kw::Union) => SueKind::Union,
            _ => SueKind::Enum,
        };
        self.enter()?;
        let mut name = None;
        let mut span = kw.span.clone();
        if let Some(t) = self.peek().filter(|t| t.kind == TokenKind::Ident) {
            self.pos += 1;
            name = Some(self.text(t));
            if kind != SueKind::Enum {
                span = t.span.clone();
            }
        }
        let body = if self.is_punct(0, Punct::LBrace) {
            let brace = self.lbrace()?.span.clone();
            if name.is_none() && kind != SueKind::Enum {
                span = brace;
            }
            let body = match kind {
                SueKind::Enum => SueBody::Enumerators(self.enumerator_list()?),
                _ => SueBody::Fields(self.struct_declaration_list()?),
            };
            self.rbrace()?;
            body
        } else if name.is_none() {
            let what = if kind == SueKind::Enum { "enum" } else { "struct/union" };
            return Err(self.error_here(format!("expected a name or `{{` after `{what}`")));
        } else {
            SueBody::None
        };
        self.leave();
        let id = SueId(self.unit.sues.len());
        self.unit.sues.push(SueNode { kind, name, span: span.clone(), body });
        Ok((id, span))
    }

    // test_ok struct_members
    // struct s {
    //     int a, *b, c[3];
    //     unsigned flags : 3, : 0;
    //     union { int i; float f; };
    //     struct { int x, y; } point;
    // };
    // struct partial { int a; ...; };
    // test_err struct_member_without_name
    // struct s { int; };
    // test_err struct_pragma both-refuse
    // struct s {
    // #pragma pack(1)
    //     int a;
    // };
    fn struct_declaration_list(&mut self) -> PResult<Vec<Field<'a>>> {
        let mut fields = Vec::new();
        while !self.is_punct(0, Punct::RBrace) {
            let Some(t) = self.peek() else {
                return Err(self.error_at_end("expected `}` before the end of input"));
            };
            if t.is_punct(Punct::Semi) {
                self.pos += 1;
                continue;
            }
            if t.kind == TokenKind::Pragma {
                self.pos += 1;
                fields.push(Field::Pragma(t.span.clone()));
                continue;
            }
            if t.is_kw(Kw::Pragma) {
                let span = self.pragma_operator()?;
                fields.push(Field::Pragma(span));
                continue;
            }
            let (spec, _) = self.specifiers(false, false)?;
            if self.starts_declarator(false) || self.is_punct(0, Punct::Colon) {
                let mut list: SmallVec<[_; 1]> = smallvec![self.struct_declarator()?];
                while self.accept(Punct::Comma).is_some() {
                    list.push(self.struct_declarator()?);
                }
                self.expect(Punct::Semi)?;
                for (d, bits) in list {
                    fields.push(Field::Decl(self.make_decl(&spec, d, None, bits, false)?));
                }
                continue;
            }
            if spec.types.len() == 1 {
                // No declarator: `struct { ... };` (anonymous member), `...;`, `int;`.
                let node = match &spec.types[0] {
                    TypeSpecPart::Name(n, s) => Spec::Names(smallvec![(*n, s.clone())]),
                    TypeSpecPart::Sue(id, s) => Spec::Sue(*id, s.clone()),
                };
                let span = node.span();
                self.expect(Punct::Semi)?;
                fields.push(Field::Decl(Decl {
                    name: None,
                    span,
                    is_typedef: false,
                    storage: SmallVec::new(),
                    ty: TypeNode::Bare(node),
                    init: None,
                    bitsize: None,
                }));
                continue;
            }
            let span = spec.start.unwrap_or(0)..t.span.end;
            return Err(self.error_at("expected a member name", span));
        }
        Ok(fields)
    }

    fn struct_declarator(&mut self) -> PResult<(Declarator<'a>, Option<Expr<'a>>)> {
        if let Some(colon) = self.accept(Punct::Colon) {
            let bits = self.conditional_expression()?;
            let d = Declarator { name: None, derivs: Derivs::new(), span: colon.span.clone() };
            return Ok((d, Some(bits)));
        }
        let d = self.any_declarator(false, false)?;
        let bits =
            if self.accept(Punct::Colon).is_some() { Some(self.conditional_expression()?) } else { None };
        Ok((d, bits))
    }

    // test_ok enumerators
    // enum e { A, B = 2, C = B * 2, D = 'x', E = -1, F = 1 << 4, };
    // enum partial { X, Y = ..., ... };
    // test_err enum_without_enumerators class-only
    // enum e { };
    fn enumerator_list(&mut self) -> PResult<Vec<Enumerator<'a>>> {
        let mut list = vec![self.enumerator()?];
        while self.accept(Punct::Comma).is_some() {
            if self.is_punct(0, Punct::RBrace) {
                break;
            }
            list.push(self.enumerator()?);
        }
        Ok(list)
    }

    // test_err enumerator_is_a_type_name class-only
    // typedef int T;
    // enum e { T };
    fn enumerator(&mut self) -> PResult<Enumerator<'a>> {
        let t = match self.peek() {
            Some(t) if self.is_id(t) => self.advance()?,
            _ => return Err(self.error_here("expected an enumerator name")),
        };
        let name = self.text(t);
        let value =
            if self.accept(Punct::Eq).is_some() { Some(self.conditional_expression()?) } else { None };
        self.add_identifier(name, &t.span)?;
        Ok(Enumerator { name, value, span: t.span.clone() })
    }

    // ---------------------------------------------------------------- declarations

    // test_ok declarations_with_declarators
    // extern int a, *b, c[2], (*d)(void);
    // typedef struct { int x; } point_t, *point_p;
    // test_err declaration_without_name class-only
    // int;
    fn decl_body_with_spec(&mut self, spec: DeclSpec<'a>, saw_type: bool) -> PResult<DeclList<'a>> {
        let mut list = None;
        if saw_type {
            if self.starts_declarator(false) {
                list = Some(self.init_declarator_list(false)?);
            }
        } else if self.starts_declarator(true) {
            list = Some(self.init_declarator_list(true)?);
        }
        match list {
            Some(list) => self.build_declarations(&spec, list, true),
            None => {
                if let [TypeSpecPart::Sue(id, span)] = spec.types.as_slice() {
                    // `struct foo { ... };` or `enum e;`: declares only the tag.
                    return Ok(smallvec![Decl {
                        name: None,
                        span: span.clone(),
                        // pycparser makes this a plain declaration, even with `typedef`.
                        is_typedef: false,
                        storage: spec.storage.iter().copied().collect(),
                        ty: TypeNode::Bare(Spec::Sue(*id, span.clone())),
                        init: None,
                        bitsize: None,
                    }]);
                }
                Err(match self.peek() {
                    Some(_) => self.error_here("expected a name to declare"),
                    None => self.error_at_end("expected a name to declare before the end of input"),
                })
            }
        }
    }

    fn init_declarator_list(&mut self, id_only: bool) -> PResult<DeclaratorList<'a>> {
        let mut list: DeclaratorList<'a> = smallvec![self.init_declarator(id_only)?];
        while self.accept(Punct::Comma).is_some() {
            list.push(self.init_declarator(id_only)?);
        }
        Ok(list)
    }

    fn init_declarator(&mut self, id_only: bool) -> PResult<(Declarator<'a>, Option<Init<'a>>)> {
        let d = if id_only {
            self.declarator(DeclaratorKind::Id, true)?
        } else {
            self.any_declarator(false, false)?
        };
        let init = if self.accept(Punct::Eq).is_some() { Some(self.initializer()?) } else { None };
        Ok((d, init))
    }

    /// Attach the base type to each declarator (pycparser's `_build_declarations`) and
    /// register declared names for the lexer hack when `file_scope_names`.
    // test_err typedef_name_reused_as_variable class-only
    // typedef int foo;
    // extern int foo;
    fn build_declarations(
        &mut self,
        spec: &DeclSpec<'a>,
        list: DeclaratorList<'a>,
        file_scope_names: bool,
    ) -> PResult<DeclList<'a>> {
        let is_typedef = spec.storage.contains(&"typedef");
        let mut out = DeclList::new();
        for (d, init) in list {
            let decl = self.make_decl(spec, d, init, None, is_typedef)?;
            if file_scope_names {
                if let Some(name) = &decl.name {
                    if is_typedef {
                        self.add_typedef_name(name, &decl.span)?;
                    } else {
                        self.add_identifier(name, &decl.span)?;
                    }
                }
            }
            out.push(decl);
        }
        Ok(out)
    }

    /// pycparser's `_fix_decl_name_type`: the base `TypeDecl` gets the specifiers.
    fn base_type(&self, spec: &DeclSpec<'a>, is_function: bool, at: &Span) -> PResult<TypeNode<'a>> {
        let mut names = NameList::new();
        let mut sue = None;
        for part in &spec.types {
            match part {
                TypeSpecPart::Name(n, s) => names.push((*n, s.clone())),
                TypeSpecPart::Sue(id, s) => {
                    if spec.types.len() > 1 {
                        let mut e = self.error_at("more than one type given in a declaration", s.clone());
                        e.help = Some("give each declaration a single type".into());
                        return Err(e);
                    }
                    sue = Some(Spec::Sue(*id, s.clone()));
                }
            }
        }
        let spec_node = match sue {
            Some(s) => s,
            None if names.is_empty() => {
                if !is_function {
                    let mut e = self.error_at("missing type in declaration", at.clone());
                    e.help = Some("add a type, e.g. `const int x;`".into());
                    return Err(e);
                }
                Spec::Names(smallvec![("int", at.clone())])
            }
            None => Spec::Names(names),
        };
        let span = spec_node.span();
        Ok(TypeNode::TypeDecl { quals: spec.quals.clone(), spec: spec_node, span })
    }

    fn make_decl(
        &mut self,
        spec: &DeclSpec<'a>,
        d: Declarator<'a>,
        init: Option<Init<'a>>,
        bitsize: Option<Expr<'a>>,
        is_typedef: bool,
    ) -> PResult<Decl<'a>> {
        let is_function = matches!(d.derivs.first(), Some(Deriv::Func(..)));
        let base = self.base_type(spec, is_function, &d.span)?;
        let ty = apply_derivs(base, d.derivs);
        let (name, span) = match d.name {
            Some((n, s)) => (Some(n), s),
            None => (None, d.span),
        };
        Ok(Decl {
            name,
            span,
            is_typedef,
            storage: spec.storage.iter().filter(|s| **s != "typedef").copied().collect(),
            ty,
            init,
            bitsize,
        })
    }

    // ---------------------------------------------------------------- declarators

    /// pycparser's `_parse_any_declarator`.
    fn any_declarator(
        &mut self,
        allow_abstract: bool,
        typeid_paren_as_abstract: bool,
    ) -> PResult<Declarator<'a>> {
        let (name_kind, saw_paren) = self.peek_declarator_name();
        let abstract_ = match name_kind {
            None => true,
            Some(is_type) => typeid_paren_as_abstract && is_type && saw_paren,
        };
        if abstract_ {
            if !allow_abstract {
                return Err(self.error_here("expected a name in this declarator"));
            }
            return self.abstract_declarator_opt();
        }
        match name_kind {
            Some(true) if typeid_paren_as_abstract => self.declarator(DeclaratorKind::TypeId, false),
            Some(true) => self.declarator(DeclaratorKind::TypeId, true),
            _ => self.declarator(DeclaratorKind::Id, true),
        }
    }

    fn pointer(&mut self) -> Derivs<'a> {
        // Stars left to right; the last star is the outermost constructor.
        let mut stars = Derivs::new();
        while self.accept(Punct::Star).is_some() {
            let mut quals = QualList::new();
            while let Some(q) = self.peek().and_then(|t| match t.kind {
                TokenKind::Kw(Kw::Const) => Some(Qual::Const),
                TokenKind::Kw(Kw::Volatile) => Some(Qual::Volatile),
                TokenKind::Kw(Kw::Restrict) => Some(Qual::Restrict),
                TokenKind::Kw(Kw::Atomic) => Some(Qual::Atomic),
                _ => None,
            }) {
                self.pos += 1;
                quals.push(q);
            }
            stars.push(Deriv::Ptr(quals));
        }
        stars.reverse();
        stars
    }

    // test_ok declarators
    // char (*(*x(void))[3])(void);
    // int (*fp)(int, char);
    // extern int (((y)));
    // test_err unbalanced_declarator class-only
    // int (*fp(int);
    fn declarator(&mut self, kind: DeclaratorKind, allow_paren: bool) -> PResult<Declarator<'a>> {
        self.enter()?;
        let start = self.peek().map_or(self.end_offset(), |t| t.span.start);
        let stars = self.pointer();
        let mut d = if allow_paren && self.accept(Punct::LParen).is_some() {
            let inner = self.declarator(kind, true)?;
            self.expect(Punct::RParen)?;
            inner
        } else {
            let ok = match self.peek() {
                Some(t) => match kind {
                    DeclaratorKind::Id => self.is_id(t),
                    DeclaratorKind::TypeId => self.is_typeid(t),
                },
                None => false,
            };
            if !ok {
                return Err(self.error_here("expected a name"));
            }
            let t = self.advance()?;
            Declarator {
                name: Some((self.text(t), t.span.clone())),
                derivs: Derivs::new(),
                span: t.span.clone(),
            }
        };
        self.suffixes(&mut d.derivs)?;
        d.derivs.extend(stars);
        d.span = start..self.toks[self.pos - 1].span.end;
        self.check_derivs(&d)?;
        self.leave();
        Ok(d)
    }

    fn check_derivs(&self, d: &Declarator<'a>) -> PResult<()> {
        if d.derivs.len() > MAX_DEPTH {
            return Err(Box::new(SyntaxError {
                message: format!("declarator with more than {MAX_DEPTH} pointer, array or function levels"),
                span: d.span.clone(),
                help: Some("simplify the declaration; cffi-forge limits nesting to keep parsing safe".into()),
                before: None,
            }));
        }
        Ok(())
    }

    fn suffixes(&mut self, derivs: &mut Derivs<'a>) -> PResult<()> {
        loop {
            if self.is_punct(0, Punct::LBracket) {
                derivs.push(self.array_suffix()?);
            } else if self.is_punct(0, Punct::LParen) {
                derivs.push(self.function_suffix()?);
            } else {
                return Ok(());
            }
        }
    }

    // test_ok array_sizes
    // #define N 4
    // extern int a[N], b[N * 2 + 1], c[0x10], d[010], e[], f[...], g[2][3];
    // void h(int x[static 3], int y[const]);
    // test_err array_size_not_constant
    // extern int n;
    // extern int a[n];
    // test_err array_size_float
    // extern int a[1.5];
    fn array_suffix(&mut self) -> PResult<Deriv<'a>> {
        self.expect(Punct::LBracket)?;
        let mut saw_static = self.peek().is_some_and(|t| t.is_kw(Kw::Static));
        if saw_static {
            self.pos += 1;
        }
        while self.peek().is_some_and(|t| matches!(t.kind, TokenKind::Kw(k) if k.is_type_qualifier())) {
            self.pos += 1;
        }
        if !saw_static && self.peek().is_some_and(|t| t.is_kw(Kw::Static)) {
            self.pos += 1;
            saw_static = true;
        }
        let dim = if saw_static {
            Some(self.assignment_expression()?)
        } else if self.is_punct(0, Punct::Star) && self.is_punct(1, Punct::RBracket) {
            let t = self.advance()?;
            Some(Expr::Id { name: "*", span: t.span.clone() })
        } else if self.starts_expression() {
            Some(self.assignment_expression()?)
        } else {
            None
        };
        self.expect(Punct::RBracket)?;
        Ok(Deriv::Array(dim))
    }

    // test_ok function_parameters
    // int f(void);
    // int g();
    // int h(int, char *, ...);
    // int k(int (*)(int), int [3], int cb(int));
    // test_err only_ellipsis
    // int f(...);
    fn function_suffix(&mut self) -> PResult<Deriv<'a>> {
        let open = self.expect(Punct::LParen)?.span.clone();
        self.enter()?;
        let params = if self.is_punct(0, Punct::RParen) {
            None
        } else if self.starts_declaration() {
            Some(self.parameter_list()?)
        } else {
            Some(self.identifier_list()?)
        };
        let close = self.expect(Punct::RParen)?.span.clone();
        self.leave();
        Ok(Deriv::Func(params, open.start..close.end))
    }

    fn identifier_list(&mut self) -> PResult<Vec<Param<'a>>> {
        let mut list = Vec::new();
        loop {
            if self.looks_like_unknown_type(0) {
                return Err(self.unknown_type_error(0));
            }
            let t = match self.peek() {
                Some(t) if self.is_id(t) => self.advance()?,
                _ => return Err(self.error_here("expected a parameter")),
            };
            list.push(Param::Ident { name: self.text(t), span: t.span.clone() });
            if self.accept(Punct::Comma).is_none() {
                return Ok(list);
            }
        }
    }

    fn parameter_list(&mut self) -> PResult<Vec<Param<'a>>> {
        let mut list = vec![self.parameter()?];
        while self.accept(Punct::Comma).is_some() {
            list.push(self.parameter()?);
        }
        Ok(list)
    }

    // test_ok parameter_forms
    // typedef int T;
    // void f(register int x, const y, int (T), int T, unsigned long (*)[3]);
    // test_err parameter_of_unknown_type class-only
    // void f(foo_t x);
    fn parameter(&mut self) -> PResult<Param<'a>> {
        let start = self.peek().map_or(self.end_offset(), |t| t.span.start);
        let (mut spec, _) = self.declaration_specifiers(true)?;
        if spec.types.is_empty() {
            spec.types.push(TypeSpecPart::Name("int", start..start));
        }
        let d = if self.starts_declarator(false) {
            self.any_declarator(true, true)?
        } else {
            self.abstract_declarator_opt()?
        };
        let span = start..self.toks[self.pos - 1].span.end;
        let is_function = matches!(d.derivs.first(), Some(Deriv::Func(..)));
        let base = self.base_type(&spec, is_function, &span)?;
        Ok(Param::Typed { ty: apply_derivs(base, d.derivs) })
    }

    /// Optional abstract declarator (`*`, `(*)(int)`, `[3]`, ...).
    // test_ok abstract_declarators
    // void f(int *, char **, int (*)[3], int (*)(void), int (*[2])(int));
    fn abstract_declarator_opt(&mut self) -> PResult<Declarator<'a>> {
        self.enter()?;
        let start = self.peek().map_or(self.end_offset(), |t| t.span.start);
        let stars = self.pointer();
        let mut derivs = Derivs::new();
        if self.is_punct(0, Punct::LParen) || self.is_punct(0, Punct::LBracket) {
            if self.is_punct(0, Punct::LParen) {
                let followed_by_params = self.peek_at(1).is_some_and(|t| self.starts_declaration_tok(t))
                    || self.is_punct(1, Punct::RParen);
                if followed_by_params {
                    derivs.push(self.function_suffix()?);
                } else {
                    self.pos += 1;
                    let inner = self.abstract_declarator_opt()?;
                    if inner.derivs.is_empty() {
                        return Err(self.error_here("expected a declarator"));
                    }
                    self.expect(Punct::RParen)?;
                    derivs = inner.derivs;
                }
            } else {
                derivs.push(self.array_suffix()?);
            }
            self.suffixes(&mut derivs)?;
        }
        derivs.extend(stars);
        let end = if self.pos > 0 { self.toks[self.pos - 1].span.end } else { start };
        self.leave();
        let d = Declarator { name: None, derivs, span: start..end.max(start) };
        self.check_derivs(&d)?;
        Ok(d)
    }

    fn type_name(&mut self) -> PResult<()> {
        let (_, _) = self.specifiers(false, false)?;
        self.abstract_declarator_opt()?;
        Ok(())
    }

    // ---------------------------------------------------------------- initializers

    // test_ok initializers
    // static const int A = 42;
    // static const int B = -0x10;
    // static const double C = 1.5;
    // static const int D[2] = { 1, 2 };
    // struct p { int x; };
    // static const struct p E = { .x = 1 };
    // test_err initializer_python_cannot_read
    // static const int X = 1e5;
    fn initializer(&mut self) -> PResult<Init<'a>> {
        if self.is_punct(0, Punct::LBrace) {
            self.initializer_list()?;
            return Ok(Init::List);
        }
        Ok(Init::Expr(self.assignment_expression()?))
    }

    fn initializer_list(&mut self) -> PResult<Span> {
        self.enter()?;
        let open = self.lbrace()?.span.clone();
        if !self.is_punct(0, Punct::RBrace) {
            loop {
                while self.is_punct(0, Punct::LBracket) || self.is_punct(0, Punct::Period) {
                    if self.accept(Punct::LBracket).is_some() {
                        self.conditional_expression()?;
                        self.expect(Punct::RBracket)?;
                    } else {
                        self.pos += 1;
                        match self.peek() {
                            Some(t) if t.kind == TokenKind::Ident => self.pos += 1,
                            _ => return Err(self.error_here("expected a member name")),
                        }
                    }
                    if !(self.is_punct(0, Punct::LBracket) || self.is_punct(0, Punct::Period)) {
                        self.expect(Punct::Eq)?;
                    }
                }
                self.initializer()?;
                if self.accept(Punct::Comma).is_none() || self.is_punct(0, Punct::RBrace) {
                    break;
                }
            }
        }
        let close = self.rbrace()?.span.clone();
        self.leave();
        Ok(open.start..close.end)
    }

    // ---------------------------------------------------------------- expressions

    fn expression(&mut self) -> PResult<Expr<'a>> {
        let first = self.assignment_expression()?;
        if !self.is_punct(0, Punct::Comma) {
            return Ok(first);
        }
        let mut end = first.span().end;
        while self.accept(Punct::Comma).is_some() {
            end = self.assignment_expression()?.span().end;
        }
        Ok(Expr::Other { span: first.span().start..end })
    }

    fn assignment_expression(&mut self) -> PResult<Expr<'a>> {
        self.enter()?;
        let result = self.assignment_expression_inner();
        self.leave();
        result
    }

    fn assignment_expression_inner(&mut self) -> PResult<Expr<'a>> {
        if self.is_punct(0, Punct::LParen) && self.is_punct(1, Punct::LBrace) {
            // GNU statement expression `({ ... })`.
            let start = self.advance()?.span.start;
            self.compound_statement()?;
            let end = self.expect(Punct::RParen)?.span.end;
            return Ok(Expr::Other { span: start..end });
        }
        let e = self.conditional_expression()?;
        let is_assign = self.peek().is_some_and(|t| {
            matches!(
                t.kind,
                TokenKind::Punct(
                    Punct::Eq
                        | Punct::CaretEq
                        | Punct::StarEq
                        | Punct::SlashEq
                        | Punct::PercentEq
                        | Punct::PlusEq
                        | Punct::MinusEq
                        | Punct::LShiftEq
                        | Punct::RShiftEq
                        | Punct::AmpEq
                        | Punct::PipeEq
                )
            )
        });
        if is_assign {
            self.pos += 1;
            let rhs = self.assignment_expression()?;
            return Ok(Expr::Other { span: e.span().start..rhs.span().end });
        }
        Ok(e)
    }

    fn conditional_expression(&mut self) -> PResult<Expr<'a>> {
        self.enter()?;
        let cond = self.binary_expression(0)?;
        let result = if self.accept(Punct::Question).is_some() {
            self.expression()?;
            self.expect(Punct::Colon)?;
            let no = self.conditional_expression()?;
            Ok(Expr::Other { span: cond.span().start..no.span().end })
        } else {
            Ok(cond)
        };
        self.leave();
        result
    }

    fn binary_op(&self) -> Option<(BinOp, u8)> {
        let TokenKind::Punct(p) = self.peek()?.kind else { return None };
        Some(match p {
            Punct::OrOr => (BinOp::Other, 0),
            Punct::AndAnd => (BinOp::Other, 1),
            Punct::Pipe => (BinOp::BitOr, 2),
            Punct::Caret => (BinOp::BitXor, 3),
            Punct::Amp => (BinOp::BitAnd, 4),
            Punct::EqEq | Punct::Ne => (BinOp::Other, 5),
            Punct::Gt | Punct::Ge | Punct::Lt | Punct::Le => (BinOp::Other, 6),
            Punct::RShift => (BinOp::Shr, 7),
            Punct::LShift => (BinOp::Shl, 7),
            Punct::Plus => (BinOp::Add, 8),
            Punct::Minus => (BinOp::Sub, 8),
            Punct::Star => (BinOp::Mul, 9),
            Punct::Slash => (BinOp::Div, 9),
            Punct::Percent => (BinOp::Mod, 9),
            _ => return None,
        })
    }

    /// Precedence climbing, left-associative, like pycparser's.
    // test_ok constant_expressions
    // enum e { A = 1 + 2 * 3, B = (A << 2) | 1, C = 7 / 2, D = -7 % 3, E = 0x0F & 6 ^ 3 };
    // test_err constant_expression_unsupported_operator
    // enum e { A = 1 == 1 };
    // test_err constant_expression_division_by_zero
    // enum e { A = 1 / 0 };
    fn binary_expression(&mut self, min_prec: u8) -> PResult<Expr<'a>> {
        self.enter()?;
        let mut lhs = self.cast_expression()?;
        let mut chain = 0;
        while let Some((op, prec)) = self.binary_op() {
            if prec < min_prec {
                break;
            }
            chain += 1;
            if chain > MAX_CHAIN {
                return Err(Box::new(SyntaxError {
                    message: format!("expression with more than {MAX_CHAIN} operators"),
                    span: lhs.span(),
                    help: Some(
                        "split the expression; cffi-forge limits its length to keep evaluation safe".into(),
                    ),
                    before: None,
                }));
            }
            self.pos += 1;
            let rhs = self.binary_expression(prec + 1)?;
            let span = lhs.span().start..rhs.span().end;
            lhs = Expr::Binary { op, left: Box::new(lhs), right: Box::new(rhs), span };
        }
        self.leave();
        Ok(lhs)
    }

    /// `( type-name )` if the tokens here are one; restores the position otherwise.
    fn try_paren_type_name(&mut self) -> PResult<Option<usize>> {
        if !self.is_punct(0, Punct::LParen)
            || !self.peek_at(1).is_some_and(|t| self.starts_declaration_tok(t))
        {
            return Ok(None);
        }
        let mark = self.pos;
        let scopes = self.scopes.len();
        self.pos += 1;
        self.type_name()?;
        if self.accept(Punct::RParen).is_none() {
            self.pos = mark;
            self.scopes.truncate(scopes);
            self.classified.set(None);
            return Ok(None);
        }
        Ok(Some(mark))
    }

    fn cast_expression(&mut self) -> PResult<Expr<'a>> {
        self.enter()?;
        let start = self.peek().map_or(self.end_offset(), |t| t.span.start);
        let result = match self.try_paren_type_name()? {
            Some(_) if !self.is_punct(0, Punct::LBrace) => {
                let e = self.cast_expression()?;
                Ok(Expr::Other { span: start..e.span().end })
            }
            Some(mark) => {
                self.pos = mark;
                self.unary_expression()
            }
            None => self.unary_expression(),
        };
        self.leave();
        result
    }

    fn unary_expression(&mut self) -> PResult<Expr<'a>> {
        self.enter()?;
        let t = self.peek().ok_or_else(|| self.error_at_end("expected an expression"))?;
        let start = t.span.start;
        let result = match t.kind {
            TokenKind::Punct(Punct::PlusPlus | Punct::MinusMinus) => {
                self.pos += 1;
                let e = self.unary_expression()?;
                Ok(Expr::Unary { op: UnOp::Other, span: start..e.span().end, expr: Box::new(e) })
            }
            TokenKind::Punct(
                p @ (Punct::Amp | Punct::Star | Punct::Plus | Punct::Minus | Punct::Tilde | Punct::Bang),
            ) => {
                self.pos += 1;
                let e = self.cast_expression()?;
                let op = match p {
                    Punct::Plus => UnOp::Plus,
                    Punct::Minus => UnOp::Minus,
                    _ => UnOp::Other,
                };
                Ok(Expr::Unary { op, span: start..e.span().end, expr: Box::new(e) })
            }
            TokenKind::Kw(Kw::Sizeof) => {
                self.pos += 1;
                if self.try_paren_type_name()?.is_some() {
                    Ok(Expr::Other { span: start..self.toks[self.pos - 1].span.end })
                } else {
                    let e = self.unary_expression()?;
                    Ok(Expr::Other { span: start..e.span().end })
                }
            }
            TokenKind::Kw(Kw::Alignof) => {
                self.pos += 1;
                self.expect(Punct::LParen)?;
                self.type_name()?;
                let end = self.expect(Punct::RParen)?.span.end;
                Ok(Expr::Other { span: start..end })
            }
            _ => self.postfix_expression(),
        };
        self.leave();
        result
    }

    fn postfix_expression(&mut self) -> PResult<Expr<'a>> {
        let start = self.peek().map_or(self.end_offset(), |t| t.span.start);
        if let Some(mark) = self.try_paren_type_name()? {
            if self.is_punct(0, Punct::LBrace) {
                let span = self.initializer_list()?;
                return Ok(Expr::Other { span: start..span.end });
            }
            self.pos = mark;
        }
        let mut e = self.primary_expression()?;
        loop {
            if self.accept(Punct::LBracket).is_some() {
                self.expression()?;
                let end = self.expect(Punct::RBracket)?.span.end;
                e = Expr::Other { span: start..end };
            } else if self.accept(Punct::LParen).is_some() {
                if self.accept(Punct::RParen).is_none() {
                    self.assignment_expression()?;
                    while self.accept(Punct::Comma).is_some() {
                        self.assignment_expression()?;
                    }
                    self.expect(Punct::RParen)?;
                }
                e = Expr::Other { span: start..self.toks[self.pos - 1].span.end };
            } else if self.is_punct(0, Punct::Period) || self.is_punct(0, Punct::Arrow) {
                self.pos += 1;
                let t = self.advance()?;
                if t.kind != TokenKind::Ident {
                    return Err(self.error_at("expected a member name", t.span.clone()));
                }
                e = Expr::Other { span: start..t.span.end };
            } else if self.is_punct(0, Punct::PlusPlus) || self.is_punct(0, Punct::MinusMinus) {
                let t = self.advance()?;
                e = Expr::Other { span: start..t.span.end };
            } else {
                return Ok(e);
            }
        }
    }

    // test_err expression_sizeof
    // extern int a[sizeof(int)];
    // test_err expression_unknown_name
    // enum e { A = UNKNOWN };
    fn primary_expression(&mut self) -> PResult<Expr<'a>> {
        let Some(t) = self.peek() else {
            return Err(self.error_at_end("expected an expression before the end of input"));
        };
        match t.kind {
            TokenKind::Ident if self.is_id(t) => {
                self.pos += 1;
                Ok(Expr::Id { name: self.text(t), span: t.span.clone() })
            }
            TokenKind::Int | TokenKind::Float | TokenKind::Char => {
                self.pos += 1;
                Ok(Expr::Const { text: self.text(t), span: t.span.clone() })
            }
            TokenKind::Str => {
                let span = self.string_literal()?;
                Ok(Expr::Const { text: &self.src[span.clone()], span })
            }
            TokenKind::WStr => {
                let start = t.span.start;
                while self.peek().is_some_and(|t| t.kind == TokenKind::WStr) {
                    self.pos += 1;
                }
                let span = start..self.toks[self.pos - 1].span.end;
                Ok(Expr::Const { text: &self.src[span.clone()], span })
            }
            TokenKind::Punct(Punct::LParen) => {
                self.pos += 1;
                let e = self.expression()?;
                self.expect(Punct::RParen)?;
                Ok(e)
            }
            TokenKind::Kw(Kw::Offsetof) => {
                let start = t.span.start;
                self.pos += 1;
                self.expect(Punct::LParen)?;
                self.type_name()?;
                self.expect(Punct::Comma)?;
                match self.peek() {
                    Some(t) if t.kind == TokenKind::Ident => self.pos += 1,
                    _ => return Err(self.error_here("expected a member name")),
                }
                loop {
                    if self.accept(Punct::Period).is_some() {
                        match self.peek() {
                            Some(t) if t.kind == TokenKind::Ident => self.pos += 1,
                            _ => return Err(self.error_here("expected a member name")),
                        }
                    } else if self.accept(Punct::LBracket).is_some() {
                        self.expression()?;
                        self.expect(Punct::RBracket)?;
                    } else {
                        break;
                    }
                }
                let end = self.expect(Punct::RParen)?.span.end;
                Ok(Expr::Other { span: start..end })
            }
            _ => Err(self.error_here("expected an expression")),
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum DeclaratorKind {
    /// The name must be an ordinary identifier.
    Id,
    /// The name is a typedef name being redeclared.
    TypeId,
}

/// Wrap `base` in the constructors of a declarator, innermost first.
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

fn apply_derivs<'a>(base: TypeNode<'a>, derivs: Derivs<'a>) -> TypeNode<'a> {
    let mut node = base;
    for d in derivs.into_iter().rev() {
        node = match d {
            Deriv::Ptr(quals) => TypeNode::Ptr { quals, to: Box::new(node) },
            Deriv::Array(dim) => TypeNode::Array { dim, item: Box::new(node) },
            Deriv::Func(params, span) => TypeNode::Func { params, result: Box::new(node), span },
        };
    }
    node
}
