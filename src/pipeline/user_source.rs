//! Compile errors in the C source given to `set_source` (or a module table's `source` /
//! `source-file`), shown at the user's own lines: the generated file holds that text
//! verbatim, so a compiler position inside it maps back to where the user wrote it (the
//! build script's string literal, `pyproject.toml`, the source file).

use std::ops::Range;
use std::path::Path;

use crate::diagnostic::{Diagnostic, SourceFile, ToDiagnostic};
use crate::spec::ModuleSpec;

#[derive(Debug, thiserror::Error)]
#[error("module `{module}`: the C source given to set_source does not compile")]
pub struct SourceError {
    pub module: String,
    /// Each error inside the user's text: where, and the compiler's message.
    pub at: Vec<(SourceFile, Range<usize>, String)>,
    pub command: String,
    pub output: String,
}

impl ToDiagnostic for SourceError {
    fn to_diagnostic(&self) -> Diagnostic {
        let mut d = Diagnostic::error(self.to_string());
        for (file, range, message) in &self.at {
            d = d.with_label(file, range.clone(), message.clone());
        }
        d.with_note(self.output.trim_end().to_string()).with_note(format!("command: {}", self.command))
    }
}

/// Shown errors at most: the first ones are the ones that matter.
const MAX_LABELS: usize = 5;

/// The errors of `output` (about `generated`, the module's generated source) that fall in
/// the spec's C source, at the user's positions; `None` when there are none or the source's
/// place in the user's files is not known.
pub fn locate(output: &str, command: &str, generated: &Path, spec: &ModuleSpec) -> Option<SourceError> {
    let source = spec.source.as_ref()?;
    let (file, offset) = source.at.as_ref()?;
    if source.text.is_empty() {
        return None;
    }
    let code = std::fs::read_to_string(generated).ok()?;
    let start = code.find(&source.text)?;
    let first_line = code[..start].matches('\n').count() + 1;
    let first_col = start - code[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_starts: Vec<usize> =
        std::iter::once(0).chain(source.text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    let file_name = generated.file_name()?.to_string_lossy().into_owned();
    let mut at = Vec::new();
    for line in output.lines() {
        let Some((_, rest)) = line.split_once(&file_name) else { continue };
        // gcc/clang: `:LINE:COL: error: message`.
        let Some(rest) = rest.strip_prefix(':') else { continue };
        let mut parts = rest.splitn(3, ':');
        let (Some(l), Some(c), Some(message)) = (parts.next(), parts.next(), parts.next()) else { continue };
        let (Ok(l), Ok(c)) = (l.parse::<usize>(), c.parse::<usize>()) else { continue };
        let Some(message) = message.trim().strip_prefix("error:") else { continue };
        let Some(index) = l.checked_sub(first_line).filter(|&i| i < line_starts.len()) else { continue };
        let col = c.saturating_sub(1).saturating_sub(if index == 0 { first_col } else { 0 });
        let line_text = &source.text[line_starts[index]..];
        let line_text = &line_text[..line_text.find('\n').unwrap_or(line_text.len())];
        let mut col = col.min(line_text.len());
        while !line_text.is_char_boundary(col) {
            col -= 1;
        }
        let token = line_text[col..]
            .char_indices()
            .find(|(_, ch)| !(ch.is_alphanumeric() || *ch == '_'))
            .map_or(line_text.len() - col, |(i, _)| i)
            .max(1);
        let begin = offset + line_starts[index] + col;
        at.push((file.clone(), begin..begin + token, message.trim().to_string()));
        if at.len() == MAX_LABELS {
            break;
        }
    }
    (!at.is_empty()).then(|| SourceError {
        module: spec.name.clone(),
        at,
        command: command.to_string(),
        output: output.to_string(),
    })
}
