//! The cdef front end: a hand-written lexer and recursive-descent parser for cffi's
//! dialect of C declarations, producing the [`crate::generator::model`] of an FFI.
//!
//! Contract used by the generators:
//! `pub fn parse(cdefs: &[crate::spec::CdefSource]) -> Result<crate::generator::model::Ffi, CdefError>`
//! where `CdefError: crate::diagnostic::ToDiagnostic` and names cffi's exception class.
//!
//! Each cdef goes through the same stages as in cffi, so errors come out in the same
//! order: [`lexer`] (cffi's comment and `#define` handling, pycparser's tokens),
//! [`rewrite`] (cffi's `...` / `__stdcall` rewrites, on tokens), [`parser`] (the whole
//! text, pycparser's grammar), then [`builder`] (`#define`s first, then each
//! declaration, with cffi's semantics).

mod ast;
mod builder;
mod constant;
mod error;
mod lexer;
mod parser;
mod rewrite;
mod wintypes;

pub use constant::py_repr;
pub use error::{CdefError, CffiClass};
pub use rewrite::user_spelling;

use crate::diagnostic::{Diagnostic, SourceFile};
use crate::generator::model::{DeclKind, Ffi};
use crate::spec::{CdefOptions, CdefSource, IncludeSpec};

use lexer::{Token, TokenKind};

/// Largest cdef text we accept (bytes). Real cdefs are well under a megabyte.
pub const MAX_INPUT: usize = 32 * 1024 * 1024;

/// Stack the parser runs on: the nesting limits keep recursion bounded, this makes
/// sure the bound fits whatever thread the caller runs on.
const PARSER_STACK: usize = 16 * 1024 * 1024;

/// Parse all `cdef()` calls of one FFI, in order, into its model.
pub fn parse(cdefs: &[CdefSource]) -> Result<Ffi, CdefError> {
    parse_with_includes(cdefs, &[])
}

/// Parse the `cdef()` and `include()` calls of one FFI, in call order, into its model:
/// each include comes after the first `after_cdefs` of the FFI's own cdefs.
pub fn parse_with_includes(cdefs: &[CdefSource], includes: &[IncludeSpec]) -> Result<Ffi, CdefError> {
    // A stack of its own rather than a thread of its own: the allocations stay in the
    // caller's heap, where the later phases reuse the memory the parser frees.
    stacker::grow(PARSER_STACK, || {
        let mut builder = builder::Builder::default();
        let mut entered = rustc_hash::FxHashSet::default();
        parse_calls(&mut builder, cdefs, includes, &mut entered)?;
        Ok(builder.finish())
    })
}

/// `entered`: the named FFIs already included. cffi includes the very same objects
/// again without complaint (a module including two that share a base); their cdefs
/// are entered once.
fn parse_calls(
    builder: &mut builder::Builder,
    cdefs: &[CdefSource],
    includes: &[IncludeSpec],
    entered: &mut rustc_hash::FxHashSet<String>,
) -> Result<(), CdefError> {
    let mut done = 0;
    for include in includes {
        while done < include.after_cdefs.min(cdefs.len()) {
            parse_one(builder, builder.ffi.sources.len() as u32, &cdefs[done])?;
            done += 1;
        }
        if include.name.as_ref().is_some_and(|name| !entered.insert(name.clone())) {
            continue;
        }
        let mark = builder.begin_include();
        let result = parse_calls(builder, &include.cdefs, &include.includes, entered);
        builder.end_include(mark);
        result?;
    }
    for cdef in &cdefs[done..] {
        parse_one(builder, builder.ffi.sources.len() as u32, cdef)?;
    }
    Ok(())
}

/// Parse a single cdef text on its own (tests, tools).
pub fn parse_str(text: &str) -> Result<Ffi, CdefError> {
    parse(&[CdefSource::standalone("<cdef>", text)])
}

fn pack_value(options: &CdefOptions, file: &SourceFile) -> Result<u32, CdefError> {
    let located = |e: CdefError| if file.text.is_empty() { e } else { e.at(file, 0..0, "in this cdef") };
    if options.packed {
        if options.pack.is_some_and(|p| p != 0) {
            return Err(located(
                CdefError::new(CffiClass::ValueError, "cannot give both 'pack' and 'packed'")
                    .with_help("`packed = true` means `pack = 1`; give only one of them"),
            ));
        }
        return Ok(1);
    }
    match options.pack {
        Some(p) if p != 0 && p & (p - 1) != 0 => Err(located(
            CdefError::new(CffiClass::ValueError, format!("'pack' must be a power of two, not {p}"))
                .with_help("use 1, 2, 4, 8, ..."),
        )),
        Some(p) => Ok(p),
        None => Ok(0),
    }
}

fn parse_one(builder: &mut builder::Builder, index: u32, cdef: &CdefSource) -> Result<(), CdefError> {
    let src = cdef.text.as_str();
    let file = &cdef.file;
    let offset = cdef.offset;
    let at = |r: std::ops::Range<usize>| offset + r.start..offset + r.end;
    if src.len() > MAX_INPUT {
        return Err(CdefError::new(
            CffiClass::CDefError,
            format!("cdef is {} bytes, more than the limit of {} bytes", src.len(), MAX_INPUT),
        )
        .at(file, at(0..0), "this cdef")
        .with_help("split the declarations over several cdefs"));
    }
    let packed = pack_value(&cdef.options, file)?;

    let lexed = lexer::lex(src).map_err(|e| {
        let mut err =
            syntax_error(src, e.span.clone(), &e.message).at(file, at(e.span.clone()), e.message.clone());
        err = err.with_summary(e.message.clone());
        if let Some(h) = e.help {
            err = err.with_help(h);
        }
        err
    })?;
    let tokens = rewrite::rewrite(lexed.tokens, src).map_err(|e| {
        let class = if e.not_implemented { CffiClass::NotImplementedError } else { CffiClass::CDefError };
        CdefError::new(class, e.message).at(file, at(e.span.clone()), "here").with_help(e.help)
    })?;
    warn_string_literals(&tokens, src, file, offset, &mut builder.ffi.warnings);

    let earlier = builder.ffi.declarations.keys().filter(|k| k.kind == DeclKind::Typedef);
    let typedefs = earlier
        .map(|k| k.name.as_str())
        .chain(rewrite::common_type_names(&tokens, src, builder.windows.is_some()))
        .chain([rewrite::DOTDOTDOT, rewrite::DOTDOTDOT_INT, rewrite::DOTDOTDOT_FLOAT]);

    let unit = parser::Parser::new(src, &tokens, typedefs).parse_unit().map_err(|e| {
        let mut err = syntax_error(
            src,
            e.span.clone(),
            &e.pycparser
                .map_or_else(|| format!("before: {}", e.before.as_deref().unwrap_or("")), String::from),
        )
        .at(file, at(e.span.clone()), e.message.clone())
        .with_summary(format!("cannot parse cdef: {}", e.message));
        err = err.with_help(e.help.unwrap_or_else(|| {
            "cdef() takes C declarations: functions, variables, typedefs, structs, unions, enums and \
             `#define NAME <integer or ...>`"
                .into()
        }));
        err
    })?;

    // About one declaration per item: the declaration map grows once, not ten times.
    builder.ffi.declarations.reserve(unit.items.len());
    let cx = builder::CdefContext {
        index,
        src,
        file,
        offset,
        defines: &lexed.defines,
        packed,
        override_: cdef.options.override_,
        dllexport: cdef.options.dllexport,
    };
    builder.add_cdef(&cx, &unit)
}

/// cffi's `parse_type_and_quals`: the syntax tree of a type given as text (the
/// definitions of cffi's Windows type names), parsed as the sole parameter of a
/// dummy function with the typedef names known so far.
pub(crate) fn with_type_text<R>(
    text: &str,
    typedefs: &[String],
    windows: bool,
    f: impl FnOnce(&ast::TypeNode<'_>) -> R,
) -> Option<R> {
    let src = format!("void __dummy(\n{text}\n);");
    let tokens = rewrite::rewrite(lexer::lex(&src).ok()?.tokens, &src).ok()?;
    let names = typedefs.iter().map(String::as_str).chain(rewrite::common_type_names(&tokens, &src, windows));
    let unit = parser::Parser::new(&src, &tokens, names).parse_unit().ok()?;
    match unit.items.first()? {
        ast::Item::Decl(ast::Decl { ty: ast::TypeNode::Func { params: Some(params), .. }, .. }) => {
            match params.first()? {
                ast::Param::Typed { ty } => Some(f(ty)),
                ast::Param::Ident { .. } => None,
            }
        }
        _ => None,
    }
}

/// cffi's message for a pycparser error: `cannot parse "<line>"` and the position.
fn syntax_error(src: &str, span: std::ops::Range<usize>, detail: &str) -> CdefError {
    let start = span.start.min(src.len());
    let line_start = src[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = src[start..].find('\n').map_or(src.len(), |i| start + i);
    let (line, col) = crate::diagnostic::line_col(src, start);
    let text = src[line_start..line_end].trim();
    CdefError::new(
        CffiClass::CDefError,
        format!("cannot parse \"{text}\"\n<cdef source string>:{line}:{col}: {detail}"),
    )
}

/// cffi's `_warn_for_string_literal`: strings left in the cdef (after the
/// `extern "Python"` rewrite) are ignored but may confuse its pre-parsing.
fn warn_string_literals(
    tokens: &[Token],
    src: &str,
    file: &SourceFile,
    offset: usize,
    warnings: &mut Vec<Diagnostic>,
) {
    for t in tokens {
        let is_string = matches!(t.kind, TokenKind::Str | TokenKind::WStr)
            || (t.kind == TokenKind::Char && t.text(src).contains('"'));
        if is_string {
            warnings.push(
                Diagnostic::warning(
                    "String literal found in cdef() or type source. String literals are ignored here, but you \
                     should remove them anyway because some character sequences confuse pre-parsing.",
                )
                .with_label(file, offset + t.span.start..offset + t.span.end, "string literal")
                .with_help("cdef() needs no string values; declare the constant without its initializer"),
            );
            return;
        }
    }
}

#[cfg(test)]
mod tests;
