//! `setup.py`, read as text and never executed: a small Python tokenizer, a parser for
//! the expressions `setup(...)` arguments are usually written with, and an evaluator
//! for the literal ones (strings, numbers, lists, tuples, dicts, names bound once to a
//! literal, `os.path.join` of literals, `open(...).read()`). What it cannot evaluate is
//! kept as [`Unknown`] with its line and text, so callers can say exactly what was not
//! understood instead of guessing.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum SetupPyError {
    #[error("cannot read {}: {source}", path.display())]
    Read { path: PathBuf, source: std::io::Error },
    #[error("setup.py:{line}: `{key}` is not a literal, and setup.py is never run")]
    NotLiteral { key: &'static str, line: usize },
}

/// What cffi-forge's build takes from a `setup.py`: its literal `cffi_modules` list and
/// the `ext_package` prefix of the module names its build scripts give.
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
    let call = SetupCall::parse(text);
    let Some(arg) = call.arg("cffi_modules") else { return Ok(None) };
    let cffi_modules = arg
        .value
        .as_ref()
        .ok()
        .and_then(Value::as_str_list)
        .ok_or(SetupPyError::NotLiteral { key: "cffi_modules", line: arg.line })?;
    let ext_package = match call.arg("ext_package") {
        None => None,
        Some(arg) => Some(
            arg.value
                .as_ref()
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .ok_or(SetupPyError::NotLiteral { key: "ext_package", line: arg.line })?,
        ),
    };
    Ok(Some(SetupPy { cffi_modules, ext_package }))
}

// ---------------------------------------------------------------------------------
// Values.

/// A Python value known without running anything.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    /// An integer or float literal, as written.
    Num(String),
    Bool(bool),
    None,
    /// Lists, tuples and sets alike.
    List(Vec<Value>),
    /// Keys in source order.
    Dict(Vec<(Value, Value)>),
    /// A call of a function whose meaning the caller decides (`Extension(...)`,
    /// `find_packages(...)`, `glob.glob(...)`, `open(...)`): the dotted name as written and
    /// each argument evaluated separately, so one computed argument does not hide the rest.
    Call {
        func: String,
        args: Vec<Evaluated>,
        kwargs: Vec<(String, Evaluated)>,
    },
    /// The text of a file: `open("README.md").read()`, `Path("README.md").read_text()`.
    FileText(String),
}

/// A value, or the expression that could not be evaluated.
pub type Evaluated = Result<Value, Unknown>;

/// An expression that is not a literal: where it is and what it says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unknown {
    pub line: usize,
    /// The source text, on one line and shortened.
    pub text: String,
    /// Why, when more can be said than "computed" (e.g. "assigned in an `if` block").
    pub why: Option<String>,
}

impl Value {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A list of strings, or one string (setuptools accepts both in many places).
    pub fn as_str_list(&self) -> Option<Vec<String>> {
        match self {
            Value::List(items) => items.iter().map(|v| v.as_str().map(str::to_string)).collect(),
            _ => None,
        }
    }

    /// The last part of a call's function name: `setuptools.Extension` → `Extension`.
    pub fn call_name(&self) -> Option<&str> {
        match self {
            Value::Call { func, .. } => Some(func.rsplit('.').next().unwrap_or(func)),
            _ => None,
        }
    }
}

// ---------------------------------------------------------------------------------
// The `setup(...)` call.

/// One keyword of `setup(...)` (directly, or from a `**kwargs` dict).
#[derive(Clone, Debug, PartialEq)]
pub struct SetupArg {
    pub key: String,
    pub line: usize,
    pub value: Evaluated,
    /// When the value is a module attribute holding a string literal (`pkg.__version__`,
    /// directly or through `from pkg import __version__`): its dotted name and the
    /// directory, relative to the project, its package was found in (`""` or `"src"`).
    pub attr: Option<(String, String)>,
}

/// What a static reading of `setup.py` gives: the keywords of its `setup()` call and the
/// places where it depends on things only running it would know.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SetupCall {
    /// The line of `setup(`, when there is one.
    pub line: Option<usize>,
    pub args: Vec<SetupArg>,
    /// Arguments that could not be read at all (`**computed()`, positional arguments),
    /// a second `setup(` call, reads of the environment or the platform: `(line, message)`.
    pub problems: Vec<(usize, String)>,
}

impl SetupCall {
    pub fn arg(&self, key: &str) -> Option<&SetupArg> {
        self.args.iter().rev().find(|a| a.key == key)
    }

    /// Read `text` without a project around it: module attributes stay unknown.
    pub fn parse(text: &str) -> SetupCall {
        SetupCall::parse_in(text, None)
    }

    /// Read `text`, the setup.py of the project at `root`: `pkg.__version__` and the like
    /// are looked up in the package's source (at the root, `src/` or `lib/`).
    pub fn parse_in(text: &str, root: Option<&Path>) -> SetupCall {
        let chars: Vec<char> = text.chars().collect();
        let tokens = tokenize(&chars);
        let module = Module::new(&tokens, &chars, root, 0);
        let mut call = SetupCall::default();
        call.problems.extend(module.environment_reads());
        let calls: Vec<usize> = (0..tokens.len()).filter(|&i| module.is_setup_call(i)).collect();
        let Some(&first) = calls.first() else { return call };
        for &other in &calls[1..] {
            call.problems
                .push((tokens[other].line, "a second `setup(` call (only the first is read)".to_string()));
        }
        call.line = Some(tokens[first].line);
        let mut parser = Parser { tokens: &tokens, chars: &chars, pos: first + 2 };
        let Some(args) = parser.call_args() else {
            call.problems.push((tokens[first].line, "the `setup(` call could not be read".to_string()));
            return call;
        };
        for arg in args {
            match arg {
                Arg::Keyword(key, node) => call.args.push(SetupArg {
                    key,
                    line: node.line,
                    value: module.eval(&node),
                    attr: module.attr_source(&node, 0),
                }),
                Arg::Unpack(node) => match module.eval(&node) {
                    Ok(Value::Dict(entries)) => {
                        let lines = module.dict_key_lines(&node);
                        for (i, (key, value)) in entries.into_iter().enumerate() {
                            if let Value::Str(key) = key {
                                let line = lines.get(i).copied().unwrap_or(node.line);
                                call.args.push(SetupArg { key, line, value: Ok(value), attr: None });
                            }
                        }
                    }
                    _ => call.problems.push((
                        node.line,
                        format!("`**{}` is not a literal dict; its keywords are not read", node.text),
                    )),
                },
                Arg::Positional(node) | Arg::Star(node) => call.problems.push((
                    node.line,
                    format!("positional argument `{}` of `setup(` is not read", node.text),
                )),
            }
        }
        call
    }
}

/// `pkg.mod.NAME` read statically from the project at `root` (the package at the root,
/// in `src/` or in `lib/`): its value, whether it is a plain string literal (what
/// cffi-forge's `version = { attr = ... }` reads), and the directory the package is in.
/// `None`: no such module.
pub fn module_attribute(root: &Path, dotted: &str) -> Option<(Evaluated, bool, String)> {
    Module::new(&[], &[], Some(root), 0).module_attribute(dotted)
}

// ---------------------------------------------------------------------------------
// Tokens.

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Name(String),
    Str(String),
    /// An f-string: never a literal.
    FStr,
    Num(String),
    /// `( ) [ ] { } , : = . + * % /` and `-`.
    Punct(char),
    /// Every other operator, as written (`**`, `==`, `+=`, ...).
    Op(String),
    /// The end of a logical line (outside brackets), or `;`.
    Newline,
}

#[derive(Clone, Debug)]
struct Token {
    kind: Tok,
    line: usize,
    /// Char offsets into the source, for quoting expressions back.
    start: usize,
    end: usize,
    /// Column of the first token of this token's logical line.
    indent: usize,
}

const TWO_CHAR_OPS: &[&str] =
    &["**", "==", "!=", "<=", ">=", "+=", "-=", "*=", "/=", "|=", "&=", "%=", "->", ":=", "//", "<<", ">>"];

/// Just enough of Python's lexer: names, numbers, string literals (prefixes, triple
/// quotes, simple escapes), operators, and logical line ends outside brackets.
fn tokenize(chars: &[char]) -> Vec<Token> {
    let mut tokens: Vec<Token> = Vec::new();
    let (mut i, mut line, mut depth) = (0, 1, 0usize);
    let mut line_start = 0; // char offset where the current physical line starts
    let mut indent: Option<usize> = None; // set by the first token of a logical line
    let push = |tokens: &mut Vec<Token>, kind, line, start, end, indent: &mut Option<usize>, line_start| {
        let col = *indent.get_or_insert(start - line_start);
        tokens.push(Token { kind, line, start, end, indent: col });
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            if depth == 0 && indent.is_some() {
                tokens.push(Token { kind: Tok::Newline, line, start: i, end: i, indent: 0 });
                indent = None;
            }
            line += 1;
            i += 1;
            line_start = i;
        } else if c == '\\' && chars.get(i + 1) == Some(&'\n') {
            line += 1;
            i += 2;
            line_start = i;
        } else if c.is_whitespace() || c == '\\' {
            i += 1;
        } else if c == '#' {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == ';' && depth == 0 {
            tokens.push(Token { kind: Tok::Newline, line, start: i, end: i + 1, indent: 0 });
            indent = None;
            i += 1;
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            let is_prefix = word.len() <= 2 && word.chars().all(|c| "rRbBuUfF".contains(c));
            if is_prefix && i < chars.len() && (chars[i] == '"' || chars[i] == '\'') {
                let raw = word.contains(['r', 'R']);
                let (value, next, lines) = string_literal(chars, i, raw);
                let kind = if word.contains(['f', 'F']) { Tok::FStr } else { Tok::Str(value) };
                push(&mut tokens, kind, line, start, next, &mut indent, line_start);
                line += lines;
                i = next;
            } else {
                push(&mut tokens, Tok::Name(word), line, start, i, &mut indent, line_start);
            }
        } else if c == '"' || c == '\'' {
            let (value, next, lines) = string_literal(chars, i, false);
            push(&mut tokens, Tok::Str(value), line, i, next, &mut indent, line_start);
            line += lines;
            i = next;
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '.' || chars[i] == '_') {
                i += 1;
            }
            let number = chars[start..i].iter().collect();
            push(&mut tokens, Tok::Num(number), line, start, i, &mut indent, line_start);
        } else {
            let two: String = chars[i..chars.len().min(i + 2)].iter().collect();
            let (kind, len) = if TWO_CHAR_OPS.contains(&two.as_str()) {
                (Tok::Op(two), 2)
            } else if "()[]{},:=.+*%/-".contains(c) {
                (Tok::Punct(c), 1)
            } else {
                (Tok::Op(c.to_string()), 1)
            };
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' => depth = depth.saturating_sub(1),
                _ => {}
            }
            push(&mut tokens, kind, line, i, i + len, &mut indent, line_start);
            i += len;
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
                if next == '\n' {
                    lines += 1;
                }
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

// ---------------------------------------------------------------------------------
// Expressions.

#[derive(Clone, Debug)]
enum Expr {
    Str(String),
    Num(String),
    /// A name or dotted name: `x`, `os.path.join`.
    Name(String),
    List(Vec<Node>),
    Dict(Vec<(Node, Node)>),
    Call {
        func: Box<Node>,
        args: Vec<Arg>,
    },
    Attr(Box<Node>, String),
    Binary(Box<Node>, char, Box<Node>),
    /// Anything else (comprehensions, conditionals, subscripts, f-strings, ...).
    Opaque,
}

#[derive(Clone, Debug)]
struct Node {
    expr: Expr,
    line: usize,
    text: String,
}

#[derive(Clone, Debug)]
enum Arg {
    Positional(Node),
    Keyword(String, Node),
    Star(Node),
    Unpack(Node),
}

struct Parser<'a> {
    tokens: &'a [Token],
    chars: &'a [char],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|t| &t.kind)
    }

    fn at(&self, c: char) -> bool {
        self.peek() == Some(&Tok::Punct(c))
    }

    fn eat(&mut self, c: char) -> bool {
        let yes = self.at(c);
        if yes {
            self.pos += 1;
        }
        yes
    }

    /// One list item, argument or right-hand side: the expression, or, when it is not
    /// one we understand, an opaque node spanning it (up to the next `,`, closing bracket
    /// or line end at its own depth).
    fn item(&mut self) -> Node {
        let start = self.pos;
        let parsed = self.expr();
        let ends = matches!(self.peek(), None | Some(Tok::Newline | Tok::Punct(',' | ')' | ']' | '}' | ':')));
        let expr = match parsed {
            Some(expr) if ends => expr,
            _ => {
                self.pos = start;
                self.skip_item();
                Expr::Opaque
            }
        };
        self.node(expr, start)
    }

    fn node(&self, expr: Expr, start: usize) -> Node {
        let first = &self.tokens[start.min(self.tokens.len().saturating_sub(1))];
        let end = self.tokens[..self.pos].last().map_or(first.start, |t| t.end).max(first.start);
        let text: String = self.chars[first.start..end].iter().collect();
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let text = if text.chars().count() > 60 {
            format!("{}...", text.chars().take(57).collect::<String>())
        } else {
            text
        };
        Node { expr, line: first.line, text }
    }

    fn skip_item(&mut self) {
        let mut depth = 0usize;
        while let Some(tok) = self.peek() {
            match tok {
                Tok::Punct('(' | '[' | '{') => depth += 1,
                Tok::Punct(')' | ']' | '}') if depth == 0 => return,
                Tok::Punct(')' | ']' | '}') => depth -= 1,
                Tok::Punct(',' | ':') | Tok::Newline if depth == 0 => return,
                _ => {}
            }
            self.pos += 1;
        }
    }

    /// `a + b`, `a % b`, `a / b` (pathlib), over postfix expressions.
    fn expr(&mut self) -> Option<Expr> {
        let start = self.pos;
        let mut left = self.postfix()?;
        while let Some(Tok::Punct(op @ ('+' | '%' | '/'))) = self.peek().cloned() {
            let lhs = self.node(left, start);
            self.pos += 1;
            let rhs_start = self.pos;
            let right = self.postfix()?;
            let rhs = self.node(right, rhs_start);
            left = Expr::Binary(Box::new(lhs), op, Box::new(rhs));
        }
        Some(left)
    }

    fn postfix(&mut self) -> Option<Expr> {
        let start = self.pos;
        let mut expr = self.atom()?;
        loop {
            if self.eat('.') {
                let Some(Tok::Name(attr)) = self.peek().cloned() else { return None };
                self.pos += 1;
                expr = match expr {
                    Expr::Name(base) => Expr::Name(format!("{base}.{attr}")),
                    other => Expr::Attr(Box::new(self.node(other, start)), attr),
                };
            } else if self.at('(') {
                let func = self.node(expr, start);
                self.pos += 1;
                let args = self.call_args()?;
                expr = Expr::Call { func: Box::new(func), args };
            } else if self.at('[') {
                return None; // subscripts are computed
            } else {
                return Some(expr);
            }
        }
    }

    fn atom(&mut self) -> Option<Expr> {
        let tok = self.peek()?.clone();
        self.pos += 1;
        match tok {
            Tok::Str(mut s) => {
                // Adjacent literals concatenate, as in Python.
                while let Some(Tok::Str(more)) = self.peek() {
                    s.push_str(more);
                    self.pos += 1;
                }
                if self.peek() == Some(&Tok::FStr) {
                    return None;
                }
                Some(Expr::Str(s))
            }
            Tok::Num(n) => Some(Expr::Num(n)),
            Tok::Punct('-') => match self.peek()?.clone() {
                Tok::Num(n) => {
                    self.pos += 1;
                    Some(Expr::Num(format!("-{n}")))
                }
                _ => None,
            },
            Tok::Name(n) if !is_keyword(&n) || matches!(n.as_str(), "True" | "False" | "None") => {
                Some(Expr::Name(n))
            }
            Tok::Punct('[') => Some(Expr::List(self.sequence(']')?)),
            Tok::Punct('(') => {
                if self.eat(')') {
                    return Some(Expr::List(Vec::new()));
                }
                let first = self.item();
                if self.eat(')') {
                    return Some(first.expr); // parenthesised expression
                }
                if !self.eat(',') {
                    return None;
                }
                let mut items = vec![first];
                items.extend(self.sequence(')')?);
                Some(Expr::List(items))
            }
            Tok::Punct('{') => {
                if self.eat('}') {
                    return Some(Expr::Dict(Vec::new()));
                }
                let first = self.item();
                if !self.eat(':') {
                    // A set.
                    let mut items = vec![first];
                    if self.eat(',') {
                        items.extend(self.sequence('}')?);
                    } else if !self.eat('}') {
                        return None;
                    }
                    return Some(Expr::List(items));
                }
                let mut entries = vec![(first, self.item())];
                loop {
                    if self.eat('}') {
                        return Some(Expr::Dict(entries));
                    }
                    if !self.eat(',') {
                        return None;
                    }
                    if self.eat('}') {
                        return Some(Expr::Dict(entries));
                    }
                    if self.peek() == Some(&Tok::Op("**".into())) {
                        return None; // `{**a, ...}` merges: computed
                    }
                    let key = self.item();
                    if !self.eat(':') {
                        return None;
                    }
                    entries.push((key, self.item()));
                }
            }
            _ => None,
        }
    }

    /// Items up to `close` (consumed), with an optional trailing comma.
    fn sequence(&mut self, close: char) -> Option<Vec<Node>> {
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Some(items);
            }
            self.peek()?;
            let item = self.item();
            if matches!(item.expr, Expr::Opaque) {
                return None; // a comprehension or the like: the whole display is opaque
            }
            items.push(item);
            if !self.eat(',') {
                return self.eat(close).then_some(items);
            }
        }
    }

    /// Arguments after `(` up to `)` (consumed).
    fn call_args(&mut self) -> Option<Vec<Arg>> {
        let mut args = Vec::new();
        loop {
            if self.eat(')') {
                return Some(args);
            }
            let arg = match (self.peek()?.clone(), self.tokens.get(self.pos + 1).map(|t| &t.kind)) {
                (Tok::Name(key), Some(Tok::Punct('='))) => {
                    self.pos += 2;
                    Arg::Keyword(key, self.item())
                }
                (Tok::Op(op), _) if op == "**" => {
                    self.pos += 1;
                    Arg::Unpack(self.item())
                }
                (Tok::Punct('*'), _) => {
                    self.pos += 1;
                    Arg::Star(self.item())
                }
                _ => Arg::Positional(self.item()),
            };
            args.push(arg);
            if !self.eat(',') {
                return self.eat(')').then_some(args);
            }
        }
    }
}

fn is_keyword(name: &str) -> bool {
    matches!(
        name,
        "and"
            | "or"
            | "not"
            | "if"
            | "else"
            | "elif"
            | "for"
            | "in"
            | "is"
            | "lambda"
            | "while"
            | "with"
            | "as"
            | "def"
            | "class"
            | "return"
            | "import"
            | "from"
            | "try"
            | "except"
            | "finally"
            | "raise"
            | "pass"
            | "yield"
            | "await"
            | "async"
            | "del"
            | "global"
            | "nonlocal"
            | "assert"
            | "break"
            | "continue"
            | "True"
            | "False"
            | "None"
    )
}

// ---------------------------------------------------------------------------------
// The module: assignments, and evaluation against them.

/// Where a name gets its value.
enum Binding {
    /// `name = <expr>`, once, not inside a conditional block or loop.
    Once(Node),
    /// Assigned several times, in a conditional block or loop, mutated, or bound by a
    /// `for`/`import`: only running the file would tell. The string says why.
    Computed(String),
}

struct Module<'a> {
    tokens: &'a [Token],
    chars: &'a [char],
    bindings: HashMap<String, Binding>,
    /// The project, for module attributes (`pkg.__version__`); `depth` bounds how many
    /// modules deep the lookup goes.
    root: Option<&'a Path>,
    depth: usize,
}

impl<'a> Module<'a> {
    fn new(tokens: &'a [Token], chars: &'a [char], root: Option<&'a Path>, depth: usize) -> Module<'a> {
        let mut module = Module { tokens, chars, bindings: HashMap::new(), root, depth };
        module.collect_bindings();
        module
    }

    /// Indices of the first token of each logical line.
    fn statement_starts(&self) -> Vec<usize> {
        let mut starts = Vec::new();
        let mut at_start = true;
        for (i, t) in self.tokens.iter().enumerate() {
            if t.kind == Tok::Newline {
                at_start = true;
            } else if at_start {
                starts.push(i);
                at_start = false;
            }
        }
        starts
    }

    /// The keyword opening the innermost block around the statement at `starts[k]`
    /// that makes an assignment conditional (`if`, `for`, `try`, ...), if any.
    fn enclosing_condition(&self, starts: &[usize], k: usize) -> Option<(String, usize)> {
        let mut indent = self.tokens[starts[k]].indent;
        for &s in starts[..k].iter().rev() {
            let t = &self.tokens[s];
            if t.indent < indent {
                indent = t.indent;
                if let Tok::Name(word) = &t.kind {
                    if matches!(
                        word.as_str(),
                        "if" | "elif" | "else" | "for" | "while" | "try" | "except" | "finally"
                    ) {
                        return Some((word.clone(), t.line));
                    }
                    // A line like `else:` directly after `if x: ...` on one line is rare
                    // enough to ignore; `def`, `class` and `with` keep walking outwards.
                }
            }
            if indent == 0 {
                break;
            }
        }
        None
    }

    fn collect_bindings(&mut self) {
        let starts = self.statement_starts();
        let mut assigned: HashMap<String, Vec<(usize, Option<Node>)>> = HashMap::new();
        for (k, &s) in starts.iter().enumerate() {
            let toks = &self.tokens[s..];
            let kind = |j: usize| toks.get(j).map(|t| &t.kind);
            let condition = self.enclosing_condition(&starts, k);
            match (kind(0), kind(1)) {
                // `name = value` (also the last target of `a = b = value`).
                (Some(Tok::Name(name)), Some(Tok::Punct('='))) if !is_keyword(name) => {
                    let mut j = 2;
                    let mut targets = vec![name.clone()];
                    while let (Some(Tok::Name(n)), Some(Tok::Punct('='))) = (kind(j), kind(j + 1)) {
                        targets.push(n.clone());
                        j += 2;
                    }
                    let mut parser = Parser { tokens: self.tokens, chars: self.chars, pos: s + j };
                    let node = parser.item();
                    let complete = matches!(parser.peek(), None | Some(Tok::Newline));
                    for target in targets {
                        let value = (condition.is_none() && complete).then(|| node.clone());
                        let why = condition.as_ref().map_or(0, |c| c.1);
                        assigned.entry(target).or_default().push((why, value));
                    }
                }
                // `from pkg import __version__ as v` binds `v` to `pkg.__version__`.
                (Some(Tok::Name(w)), Some(Tok::Name(_))) if w == "from" && condition.is_none() => {
                    let mut j = 1;
                    let mut module = String::new();
                    while let Some(Tok::Name(part)) = kind(j) {
                        if part == "import" {
                            break;
                        }
                        module.push_str(part);
                        j += 1;
                        if kind(j) == Some(&Tok::Punct('.')) {
                            module.push('.');
                            j += 1;
                        }
                    }
                    j += 1; // `import`
                    while let Some(Tok::Name(name)) = kind(j) {
                        let (alias, next) = match (kind(j + 1), kind(j + 2)) {
                            (Some(Tok::Name(a)), Some(Tok::Name(alias))) if a == "as" => {
                                (alias.clone(), j + 3)
                            }
                            _ => (name.clone(), j + 1),
                        };
                        let t = &toks[j];
                        let dotted = format!("{module}.{name}");
                        let node = Node { expr: Expr::Name(dotted.clone()), line: t.line, text: dotted };
                        assigned.entry(alias).or_default().push((0, Some(node)));
                        j = next;
                        if kind(j) != Some(&Tok::Punct(',')) {
                            break;
                        }
                        j += 1;
                    }
                }
                // `with open(...) as f:` binds `f` to the `open(...)` call.
                (Some(Tok::Name(w)), _) if w == "with" => {
                    let mut parser = Parser { tokens: self.tokens, chars: self.chars, pos: s + 1 };
                    if let Some(expr) = parser.expr() {
                        let node = parser.node(expr, s + 1);
                        let next = self.tokens.get(parser.pos + 1).map(|t| &t.kind);
                        if let (Some(Tok::Name(a)), Some(Tok::Name(f))) = (parser.peek(), next) {
                            if a == "as" {
                                assigned.entry(f.clone()).or_default().push((0, Some(node)));
                            }
                        }
                    }
                }
                _ => {}
            }
            // Loop variables, imports, augmented assignments and mutations make a name's
            // value unknowable statically.
            let is_import = matches!(kind(0), Some(Tok::Name(w)) if w == "import" || w == "from");
            for (j, t) in toks.iter().enumerate() {
                if t.kind == Tok::Newline || is_import {
                    break;
                }
                let Tok::Name(name) = &t.kind else { continue };
                let prev = j.checked_sub(1).and_then(kind);
                let next = kind(j + 1);
                let next2 = kind(j + 2);
                let mutated = matches!(next, Some(Tok::Op(op)) if op.ends_with('=') && op != "==" && op != "!=" && op != "<=" && op != ">=")
                    || (matches!(next, Some(Tok::Punct('.')))
                        && matches!(next2, Some(Tok::Name(m)) if matches!(m.as_str(), "append" | "extend" | "update" | "insert" | "setdefault" | "pop" | "remove" | "clear" | "add")))
                    || (matches!(next, Some(Tok::Punct('['))) && subscript_assigned(&toks[j + 1..]));
                let loop_var = matches!(prev, Some(Tok::Name(k)) if k == "for" || k == "as" && !matches!(toks.first().map(|t| &t.kind), Some(Tok::Name(w)) if w == "with"));
                if mutated {
                    self.bindings.insert(
                        name.clone(),
                        Binding::Computed(format!("`{name}` is changed on line {}", t.line)),
                    );
                } else if loop_var && !is_keyword(name) {
                    assigned.entry(name.clone()).or_default().push((t.line, None));
                }
            }
        }
        for (name, list) in assigned {
            if self.bindings.contains_key(&name) {
                continue;
            }
            let binding = match list.as_slice() {
                [(_, Some(node))] => Binding::Once(node.clone()),
                [(0, None)] => Binding::Computed(format!("`{name}` is not a literal")),
                [(line, None)] => {
                    Binding::Computed(format!("`{name}` is assigned conditionally (line {line})"))
                }
                _ => Binding::Computed(format!("`{name}` is assigned more than once")),
            };
            self.bindings.insert(name, binding);
        }
    }

    /// `pkg.mod.NAME` read from the package's source: its value, whether it is assigned
    /// a plain string literal, and the directory the package was found in.
    fn module_attribute(&self, dotted: &str) -> Option<(Evaluated, bool, String)> {
        let root = self.root?;
        let (module, attr) = dotted.rsplit_once('.')?;
        if self.depth > 3
            || matches!(module.split('.').next(), Some("os" | "sys" | "setuptools" | "distutils"))
        {
            return None;
        }
        for base in ["", "src", "lib"] {
            let dir = root.join(base).join(module.replace('.', "/"));
            for path in [dir.join("__init__.py"), dir.with_extension("py")] {
                let Ok(text) = fs::read_to_string(&path) else { continue };
                let chars: Vec<char> = text.chars().collect();
                let tokens = tokenize(&chars);
                let module = Module::new(&tokens, &chars, self.root, self.depth + 1);
                let node = Node { expr: Expr::Name(attr.to_string()), line: 0, text: attr.to_string() };
                let literal =
                    matches!(module.bindings.get(attr), Some(Binding::Once(Node { expr: Expr::Str(_), .. })));
                return Some((module.eval(&node), literal, base.to_string()));
            }
        }
        None
    }

    /// The module attribute `node` stands for, when it is assigned a string literal.
    fn attr_source(&self, node: &Node, depth: usize) -> Option<(String, String)> {
        let Expr::Name(name) = &node.expr else { return None };
        match self.bindings.get(name) {
            Some(Binding::Once(bound)) if depth < 10 => self.attr_source(bound, depth + 1),
            Some(_) => None,
            None if name.contains('.') => match self.module_attribute(name)? {
                (Ok(Value::Str(_)), true, base) => Some((name.clone(), base)),
                _ => None,
            },
            None => None,
        }
    }

    /// Whether the token at `i` starts a call of setuptools' `setup`.
    fn is_setup_call(&self, i: usize) -> bool {
        let kind = |j: usize| self.tokens.get(j).map(|t| &t.kind);
        if kind(i) != Some(&Tok::Name("setup".into())) || kind(i + 1) != Some(&Tok::Punct('(')) {
            return false;
        }
        match i.checked_sub(1).and_then(kind) {
            Some(Tok::Name(w)) if w == "def" => false,
            Some(Tok::Punct('.')) => {
                matches!(i.checked_sub(2).and_then(kind), Some(Tok::Name(m)) if m == "setuptools" || m == "core")
            }
            _ => true,
        }
    }

    /// `os.environ`, `os.getenv`, `sys.argv`, `sys.platform`, `platform.*()`: what a run
    /// of setup.py could decide differently from one machine to the next.
    fn environment_reads(&self) -> Vec<(usize, String)> {
        let mut seen = Vec::new();
        for (i, t) in self.tokens.iter().enumerate() {
            let Tok::Name(name) = &t.kind else { continue };
            let attr =
                match (self.tokens.get(i + 1).map(|t| &t.kind), self.tokens.get(i + 2).map(|t| &t.kind)) {
                    (Some(Tok::Punct('.')), Some(Tok::Name(attr))) => attr.as_str(),
                    _ => continue,
                };
            let what = match (name.as_str(), attr) {
                ("os", "environ" | "getenv") => "reads an environment variable",
                ("sys", "argv") => "reads the command line",
                ("sys", "platform") | ("platform", _) | ("os", "name") => "depends on the platform",
                _ => continue,
            };
            if !seen.iter().any(|(line, _)| *line == t.line) {
                let text = self.statement_text(i);
                seen.push((
                    t.line,
                    format!("{what} (`{text}`): what it switches is not translated; check it"),
                ));
            }
        }
        seen
    }

    /// The text of the line holding token `i`, shortened.
    fn statement_text(&self, i: usize) -> String {
        let t = &self.tokens[i];
        let line_start = self.chars[..t.start].iter().rposition(|&c| c == '\n').map_or(0, |p| p + 1);
        let line_end =
            self.chars[t.start..].iter().position(|&c| c == '\n').map_or(self.chars.len(), |p| t.start + p);
        let text: String = self.chars[line_start..line_end].iter().collect();
        let text = text.trim();
        if text.chars().count() > 60 {
            format!("{}...", text.chars().take(57).collect::<String>())
        } else {
            text.to_string()
        }
    }

    /// The line of each key of a dict literal that `node` is (or names).
    fn dict_key_lines(&self, node: &Node) -> Vec<usize> {
        match &node.expr {
            Expr::Dict(entries) => entries.iter().map(|(k, _)| k.line).collect(),
            Expr::Call { args, .. } => args
                .iter()
                .filter_map(|a| if let Arg::Keyword(_, v) = a { Some(v.line) } else { None })
                .collect(),
            Expr::Name(name) => match self.bindings.get(name) {
                Some(Binding::Once(node)) => self.dict_key_lines(node),
                _ => Vec::new(),
            },
            _ => Vec::new(),
        }
    }

    fn eval(&self, node: &Node) -> Evaluated {
        self.eval_depth(node, 0)
    }

    fn eval_depth(&self, node: &Node, depth: usize) -> Evaluated {
        let unknown = |why: Option<String>| Unknown { line: node.line, text: node.text.clone(), why };
        if depth > 50 {
            return Err(unknown(None));
        }
        let eval = |n: &Node| self.eval_depth(n, depth + 1);
        match &node.expr {
            Expr::Str(s) => Ok(Value::Str(s.clone())),
            Expr::Num(n) => Ok(Value::Num(n.clone())),
            Expr::Name(name) => match name.as_str() {
                "True" => Ok(Value::Bool(true)),
                "False" => Ok(Value::Bool(false)),
                "None" => Ok(Value::None),
                // The project root: paths built from it are relative to the project.
                "__file__" => Ok(Value::Str("setup.py".into())),
                _ => match self.bindings.get(name) {
                    Some(Binding::Once(bound)) => eval(bound).map_err(|mut e| {
                        e.why.get_or_insert_with(|| format!("`{name}` (line {}) is computed", bound.line));
                        Unknown { line: node.line, text: node.text.clone(), why: e.why }
                    }),
                    Some(Binding::Computed(why)) => Err(unknown(Some(why.clone()))),
                    None => match self.module_attribute(name) {
                        Some((value, _, _)) => value.map_err(|e| Unknown {
                            line: node.line,
                            text: node.text.clone(),
                            why: Some(match e.why {
                                Some(why) => format!("in its module, {why}"),
                                None => format!("`{name}` is computed in its module"),
                            }),
                        }),
                        None => Err(unknown(None)),
                    },
                },
            },
            Expr::List(items) => Ok(Value::List(items.iter().map(eval).collect::<Result<_, _>>()?)),
            Expr::Dict(entries) => Ok(Value::Dict(
                entries.iter().map(|(k, v)| Ok((eval(k)?, eval(v)?))).collect::<Result<_, Unknown>>()?,
            )),
            Expr::Binary(lhs, op, rhs) => match (eval(lhs)?, *op, eval(rhs)?) {
                (Value::Str(a), '+', Value::Str(b)) => Ok(Value::Str(a + &b)),
                (Value::List(mut a), '+', Value::List(b)) => {
                    a.extend(b);
                    Ok(Value::List(a))
                }
                // `Path(...) / "name"`: strings cannot be divided, so one side is a Path.
                (Value::Str(a), '/', Value::Str(b)) => Ok(Value::Str(join_paths(&[a, b]))),
                // `glob.glob("*.c") + ["x.c"]`: the caller expands the glob in place.
                (a @ Value::Call { .. }, '+', Value::List(b)) => Ok(Value::List([vec![a], b].concat())),
                (Value::List(mut a), '+', b @ Value::Call { .. }) => {
                    a.push(b);
                    Ok(Value::List(a))
                }
                _ => Err(unknown(None)),
            },
            // `Path(__file__).parent`
            Expr::Attr(base, attr) if attr == "parent" => match eval(base)? {
                Value::Str(path) => Ok(Value::Str(dirname(&path))),
                _ => Err(unknown(None)),
            },
            Expr::Attr(..) => Err(unknown(None)),
            Expr::Call { func, args } => self.eval_call(node, func, args, depth),
            Expr::Opaque => Err(unknown(None)),
        }
    }

    fn eval_call(&self, node: &Node, func: &Node, args: &[Arg], depth: usize) -> Evaluated {
        let unknown = || Unknown { line: node.line, text: node.text.clone(), why: None };
        let eval = |n: &Node| self.eval_depth(n, depth + 1);
        let positional: Vec<&Node> =
            args.iter().filter_map(|a| if let Arg::Positional(n) = a { Some(n) } else { None }).collect();
        let strings = || -> Result<Vec<String>, Unknown> {
            positional.iter().map(|n| eval(n)?.as_str().map(str::to_string).ok_or_else(unknown)).collect()
        };
        // Method calls on a value: `open(p).read()`, `f.read()`, `Path(p).read_text()`.
        let method_call = match &func.expr {
            Expr::Attr(base, method) => Some((eval(base)?, method.as_str())),
            Expr::Name(name) => match name.rsplit_once('.') {
                Some((base, method)) if self.bindings.contains_key(base) => {
                    let base =
                        Node { expr: Expr::Name(base.to_string()), line: func.line, text: base.to_string() };
                    Some((eval(&base)?, method))
                }
                _ => None,
            },
            _ => None,
        };
        if let Some((base_value, method)) = method_call {
            return match (method, &base_value) {
                ("read" | "read_text", Value::Call { func, args, .. })
                    if matches!(func.rsplit('.').next(), Some("open")) =>
                {
                    match args.first() {
                        Some(Ok(Value::Str(path))) => Ok(Value::FileText(path.clone())),
                        _ => Err(unknown()),
                    }
                }
                ("read_text", Value::Str(path)) => Ok(Value::FileText(path.clone())),
                ("resolve" | "absolute", Value::Str(path)) => Ok(Value::Str(path.clone())),
                _ => Err(unknown()),
            };
        }
        let Expr::Name(name) = &func.expr else { return Err(unknown()) };
        let last = name.rsplit('.').next().unwrap_or(name);
        match name.as_str() {
            "os.path.join" | "path.join" | "join" => Ok(Value::Str(join_paths(&strings()?))),
            "os.path.dirname" | "path.dirname" | "dirname" => {
                let [path] = strings()?.try_into().map_err(|_| unknown())?;
                Ok(Value::Str(dirname(&path)))
            }
            "os.path.abspath" | "os.path.realpath" | "os.path.normpath" | "Path" | "pathlib.Path" | "str" => {
                let [path] = strings()?.try_into().map_err(|_| unknown())?;
                Ok(Value::Str(path))
            }
            "dict" if positional.is_empty() => Ok(Value::Dict(
                args.iter()
                    .map(|a| match a {
                        Arg::Keyword(k, v) => Ok((Value::Str(k.clone()), eval(v)?)),
                        _ => Err(unknown()),
                    })
                    .collect::<Result<_, _>>()?,
            )),
            "list" | "tuple" | "sorted" if positional.len() == 1 && args.len() == 1 => eval(positional[0]),
            _ if matches!(
                last,
                "Extension" | "find_packages" | "find_namespace_packages" | "glob" | "iglob" | "open"
            ) =>
            {
                let mut values = Vec::new();
                let mut kwargs = Vec::new();
                for arg in args {
                    match arg {
                        Arg::Positional(n) => values.push(eval(n)),
                        Arg::Keyword(k, n) => kwargs.push((k.clone(), eval(n))),
                        Arg::Star(_) | Arg::Unpack(_) => return Err(unknown()),
                    }
                }
                Ok(Value::Call { func: name.clone(), args: values, kwargs })
            }
            _ => Err(unknown()),
        }
    }
}

fn dirname(path: &str) -> String {
    path.rsplit_once('/').map_or(String::new(), |(dir, _)| dir.to_string())
}

/// `os.path.join` on `/`-separated relative paths: `setup.py`'s own directory (from
/// `__file__`) is the project root, so it becomes the empty string.
fn join_paths(parts: &[String]) -> String {
    let mut out = String::new();
    for part in parts {
        let part = part.trim_start_matches("./");
        if part.starts_with('/') {
            out = part.to_string();
        } else if !part.is_empty() && part != "." {
            if !out.is_empty() && !out.ends_with('/') {
                out.push('/');
            }
            out.push_str(part);
        }
    }
    out
}

/// Whether `[ ... ] =` (an item assignment) follows: `toks` starts at the `[`.
fn subscript_assigned(toks: &[Token]) -> bool {
    let mut depth = 0usize;
    for (j, t) in toks.iter().enumerate() {
        match t.kind {
            Tok::Punct('[' | '(' | '{') => depth += 1,
            Tok::Punct(']' | ')' | '}') => {
                depth -= 1;
                if depth == 0 {
                    return matches!(toks.get(j + 1).map(|t| &t.kind), Some(Tok::Punct('=')))
                        || matches!(toks.get(j + 1).map(|t| &t.kind), Some(Tok::Op(op)) if op.ends_with('=') && op != "==");
                }
            }
            Tok::Newline => return false,
            _ => {}
        }
    }
    false
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
        // A name bound once to a literal is a literal.
        let bound = "\nmods = ['a.py:f']\nsetup(cffi_modules=mods)\n";
        assert_eq!(parse_setup_py(bound).unwrap().unwrap().cffi_modules, ["a.py:f"]);
        let computed = "\nmods = ['a.py:f']\nif X:\n    mods.append('b.py:f')\nsetup(cffi_modules=mods)\n";
        let err = parse_setup_py(computed).unwrap_err();
        assert_eq!(err.to_string(), "setup.py:5: `cffi_modules` is not a literal, and setup.py is never run");
        let err = parse_setup_py("setup(cffi_modules=['a.py:f'], ext_package=NAME)").unwrap_err();
        assert!(err.to_string().contains("`ext_package`"), "{err}");
    }

    fn eval(src: &str) -> Evaluated {
        let call = SetupCall::parse(src);
        call.arg("x").unwrap().value.clone()
    }

    fn s(v: &str) -> Value {
        Value::Str(v.into())
    }

    #[test]
    fn evaluates_literals_names_and_paths() {
        assert_eq!(
            eval("setup(x=('a' 'b', -1, None, True))"),
            Ok(Value::List(vec![s("ab"), Value::Num("-1".into()), Value::None, Value::Bool(true)]))
        );
        assert_eq!(
            eval("setup(x={'k': [1, 2,], 'j': {'a'}})").unwrap(),
            Value::Dict(vec![
                (s("k"), Value::List(vec![Value::Num("1".into()), Value::Num("2".into())])),
                (s("j"), Value::List(vec![s("a")])),
            ])
        );
        let text = "import os\nhere = os.path.abspath(os.path.dirname(__file__))\nA = 'src'\nB = A\n\
                    setup(x=os.path.join(here, B, 'pkg', 'a.c') + '')\n";
        assert_eq!(eval(text), Ok(s("src/pkg/a.c")));
        let text = "with open(os.path.join(here, 'README.md'), encoding='utf-8') as f:\n    long = f.read()\nhere = os.path.dirname(__file__)\nsetup(x=long)";
        assert_eq!(eval(text), Ok(Value::FileText("README.md".into())));
        assert_eq!(eval("setup(x=open('README.rst').read())"), Ok(Value::FileText("README.rst".into())));
        assert_eq!(
            eval("setup(x=(Path(__file__).parent / 'README.md').read_text())"),
            Ok(Value::FileText("README.md".into()))
        );
        assert_eq!(
            eval("setup(x=pathlib.Path('README.md').read_text(encoding='utf-8'))"),
            Ok(Value::FileText("README.md".into()))
        );
    }

    #[test]
    fn computed_values_say_where_and_why() {
        let text = "V = '1'\nif sys.platform == 'win32':\n    V = '2'\nsetup(x=V)";
        let err = eval(text).unwrap_err();
        assert_eq!((err.line, err.text.as_str()), (4, "V"));
        assert_eq!(err.why.as_deref(), Some("`V` is assigned more than once"));
        let text = "if WIN:\n    libs = ['ws2_32']\nsetup(x=libs)";
        assert_eq!(eval(text).unwrap_err().why.as_deref(), Some("`libs` is assigned conditionally (line 1)"));
        let err = eval("setup(\n  x=[c for c in 'ab'],\n  y=1)").unwrap_err();
        assert_eq!((err.line, err.text.as_str()), (2, "[c for c in 'ab']"));
        assert_eq!(eval("setup(x=get_version())").unwrap_err().text, "get_version()");
        assert_eq!(eval("setup(x=f'{a}')").unwrap_err().text, "f'{a}'");
        assert_eq!(eval("setup(x=a[1])").unwrap_err().text, "a[1]");
        assert_eq!(eval("setup(x='a' if b else 'c', y=2)").unwrap_err().text, "'a' if b else 'c'");
    }

    #[test]
    fn setup_call_keywords_from_kwargs_and_problems() {
        let text = "import os\nopts = dict(name='x',\n  version='1')\n\
                    if os.environ.get('X'):\n    pass\nsetuptools.setup(**opts, zip_safe=False)\nsetup(name='y')\n";
        let call = SetupCall::parse(text);
        assert_eq!(call.line, Some(6));
        let keys: Vec<_> = call.args.iter().map(|a| (a.key.as_str(), a.line)).collect();
        assert_eq!(keys, [("name", 2), ("version", 3), ("zip_safe", 6)]);
        assert_eq!(
            call.problems,
            [
                (4, "reads an environment variable (`if os.environ.get('X'):`): what it switches is not translated; check it".to_string()),
                (7, "a second `setup(` call (only the first is read)".to_string()),
            ]
        );
        let ext = "setup(ext_modules=[Extension('a._b', sources=glob.glob('src/*.c') + ['x.c'], define_macros=[('A', None)])])";
        let call = SetupCall::parse(ext);
        let Ok(Value::List(exts)) = &call.args[0].value else { panic!("{call:?}") };
        assert_eq!(exts[0].call_name(), Some("Extension"));
    }
}
