//! User-facing diagnostics: one error, rendered once, pointing into the user's own text.
//!
//! Every layer keeps its own `thiserror` type; the ones that can point at a place in a
//! file (a pyproject key, a cdef line) implement [`ToDiagnostic`]. Rendering goes through
//! `annotate-snippets` behind this type so the output format stays ours.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use annotate_snippets::{AnnotationKind, Group, Level, Renderer, Snippet};

/// A text the user wrote, with the name we show for it (a path relative to the project,
/// or something like `pyproject.toml`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    pub name: String,
    pub text: Arc<str>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        Self { name: name.into(), text: text.into() }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        line_col(&self.text, offset)
    }
}

/// 1-based line and column (in characters) of a byte offset into `text`.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// A place in a source file with a short label.
#[derive(Clone, Debug)]
pub struct Label {
    pub file: SourceFile,
    pub span: Range<usize>,
    pub message: String,
}

#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub severity: Severity,
    pub title: String,
    pub labels: Vec<Label>,
    /// Extra lines such as `help: ...` or `note: ...`, rendered after the snippet.
    pub notes: Vec<Note>,
}

#[derive(Clone, Debug)]
pub enum Note {
    Help(String),
    Note(String),
}

impl Diagnostic {
    pub fn error(title: impl Into<String>) -> Self {
        Self { severity: Severity::Error, title: title.into(), labels: Vec::new(), notes: Vec::new() }
    }

    pub fn warning(title: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, ..Self::error(title) }
    }

    pub fn with_label(mut self, file: &SourceFile, span: Range<usize>, message: impl Into<String>) -> Self {
        self.labels.push(Label { file: file.clone(), span, message: message.into() });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.notes.push(Note::Help(help.into()));
        self
    }

    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(Note::Note(note.into()));
        self
    }

    /// `file:line:col` of the first label, for one-line contexts (logs, `cffi-error:` lines).
    pub fn location(&self) -> Option<String> {
        self.labels.first().map(|l| {
            let (line, col) = l.file.line_col(l.span.start);
            format!("{}:{}:{}", l.file.name, line, col)
        })
    }

    /// Render with colours when `styled` (decided by the caller from the terminal).
    pub fn render(&self, styled: bool) -> String {
        if self.labels.is_empty() {
            return self.render_without_snippet(styled);
        }
        let level = match self.severity {
            Severity::Error => Level::ERROR,
            Severity::Warning => Level::WARNING,
        };
        let title = level.clone().primary_title(self.title.as_str());
        let mut group_elements = Vec::new();
        for label in &self.labels {
            let span = clamp_span(&label.file.text, label.span.clone());
            group_elements.push(
                Snippet::source(&*label.file.text)
                    .path(label.file.name.as_str())
                    .annotation(AnnotationKind::Primary.span(span).label(label.message.as_str())),
            );
        }
        let mut groups = Vec::new();
        let mut first = Group::with_title(title);
        for element in group_elements {
            first = first.element(element);
        }
        groups.push(first);
        for note in &self.notes {
            let (level, text) = match note {
                Note::Help(text) => (Level::HELP, text),
                Note::Note(text) => (Level::NOTE, text),
            };
            groups.push(Group::with_title(level.secondary_title(text.as_str())));
        }
        let renderer = if styled { Renderer::styled() } else { Renderer::plain() };
        renderer.render(&groups)
    }
}

impl Diagnostic {
    /// annotate-snippets draws an empty gutter line between a bare title and its notes;
    /// without a snippet the plain `error: ...` / `help: ...` lines read better.
    fn render_without_snippet(&self, styled: bool) -> String {
        use anstyle::{AnsiColor, Style};
        let paint = |style: Style, word: &str| {
            if styled {
                format!("{style}{word}{style:#}")
            } else {
                word.to_string()
            }
        };
        let (style, word) = match self.severity {
            Severity::Error => (AnsiColor::Red.on_default().bold(), "error"),
            Severity::Warning => (AnsiColor::Yellow.on_default().bold(), "warning"),
        };
        let mut out = format!("{}: {}", paint(style, word), self.title);
        for note in &self.notes {
            let (style, word, text) = match note {
                Note::Help(text) => (AnsiColor::Cyan.on_default().bold(), "help", text),
                Note::Note(text) => (AnsiColor::Green.on_default().bold(), "note", text),
            };
            out.push_str(&format!("\n{}: {}", paint(style, word), text));
        }
        out
    }
}

/// annotate-snippets wants a span inside the text and on char boundaries; an empty span
/// at end of input is widened to the last character so the marker is visible.
fn clamp_span(text: &str, span: Range<usize>) -> Range<usize> {
    let end = floor_char_boundary(text, span.end.min(text.len()));
    let start = floor_char_boundary(text, span.start.min(end));
    if start == end && start == text.len() && start > 0 {
        let prev = floor_char_boundary(text, start - 1);
        return prev..start;
    }
    start..end
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(false))
    }
}

/// Errors that can show the user where in their input the problem is.
pub trait ToDiagnostic {
    fn to_diagnostic(&self) -> Diagnostic;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
        assert_eq!(line_col("é\nx", 3), (2, 1));
    }

    #[test]
    fn renders_notes_without_a_snippet_as_plain_lines() {
        let d = Diagnostic::error("no pyproject.toml in /x").with_help("add one");
        assert_eq!(d.render(false), "error: no pyproject.toml in /x\nhelp: add one");
    }

    #[test]
    fn renders_file_line_and_marker() {
        let file = SourceFile::new("pkg/_foo_build.py: cdef", "int f(int);\nint g(foo_t);\n");
        let d = Diagnostic::error("unknown type name `foo_t`")
            .with_label(&file, 18..23, "not declared before this use")
            .with_help("declare it first, e.g. `typedef ... foo_t;`");
        let text = d.render(false);
        assert!(text.contains("error: unknown type name `foo_t`"), "{text}");
        assert!(text.contains("pkg/_foo_build.py: cdef:2:7"), "{text}");
        assert!(text.contains("int g(foo_t);"), "{text}");
        assert!(text.contains("^^^^^ not declared before this use"), "{text}");
        assert!(text.contains("help: declare it first"), "{text}");
        assert_eq!(d.location().as_deref(), Some("pkg/_foo_build.py: cdef:2:7"));
    }
}
