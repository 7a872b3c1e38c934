//! Errors of the cdef front end: what cffi would raise (class and message) plus where
//! in the user's text it happened and what cffi allows instead.

use std::ops::Range;

use crate::diagnostic::{Diagnostic, SourceFile, ToDiagnostic};

/// The Python exception class cffi raises for a rejected cdef.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CffiClass {
    /// `cffi.CDefError`: syntax errors and constructs cdef() does not take.
    CDefError,
    /// `cffi.FFIError`: unsupported types, redefinitions, bad `...`.
    FFIError,
    /// `NotImplementedError`: constructs cffi knows but does not support.
    NotImplementedError,
    /// `ValueError`: bad cdef options or integer literals Python cannot read.
    ValueError,
    /// `ZeroDivisionError`: a constant expression divides by zero.
    ZeroDivisionError,
    /// `TypeError`.
    TypeError,
}

impl CffiClass {
    pub fn as_str(self) -> &'static str {
        match self {
            CffiClass::CDefError => "CDefError",
            CffiClass::FFIError => "FFIError",
            CffiClass::NotImplementedError => "NotImplementedError",
            CffiClass::ValueError => "ValueError",
            CffiClass::ZeroDivisionError => "ZeroDivisionError",
            CffiClass::TypeError => "TypeError",
        }
    }
}

/// A cdef that cffi would refuse (or that exceeds our limits). Boxed: errors are
/// rare, results are everywhere.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{}", self.0.title())]
pub struct CdefError(Box<Inner>);

#[derive(Clone, Debug)]
struct Inner {
    class: CffiClass,
    /// The text of cffi's exception (`str(e)`).
    message: String,
    /// Short description shown as the title when it reads better than cffi's text.
    summary: Option<String>,
    location: Option<(SourceFile, Range<usize>)>,
    label: String,
    help: Option<String>,
    notes: Vec<String>,
}

impl CdefError {
    pub(crate) fn new(class: CffiClass, message: impl Into<String>) -> Self {
        CdefError(Box::new(Inner {
            class,
            message: message.into(),
            summary: None,
            location: None,
            label: String::new(),
            help: None,
            notes: Vec::new(),
        }))
    }

    pub(crate) fn at(mut self, file: &SourceFile, span: Range<usize>, label: impl Into<String>) -> Self {
        self.0.location = Some((file.clone(), span));
        self.0.label = label.into();
        self
    }

    pub(crate) fn with_summary(mut self, summary: impl Into<String>) -> Self {
        self.0.summary = Some(summary.into());
        self
    }

    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.0.help = Some(help.into());
        self
    }

    pub(crate) fn with_note(mut self, note: impl Into<String>) -> Self {
        self.0.notes.push(note.into());
        self
    }

    /// The cffi exception class name (`"CDefError"`, `"FFIError"`, ...).
    pub fn cffi_class(&self) -> &'static str {
        self.0.class.as_str()
    }

    pub fn class(&self) -> CffiClass {
        self.0.class
    }

    /// The message cffi's exception would carry (`str(e)`).
    pub fn cffi_message(&self) -> String {
        self.0.message.clone()
    }

    /// `file:line:col` of the error, if it points into the input.
    pub fn location(&self) -> Option<String> {
        self.0.location.as_ref().map(|(file, span)| {
            let (line, col) = file.line_col(span.start);
            format!("{}:{}:{}", file.name, line, col)
        })
    }

    /// Byte range in the file the error points at.
    pub fn span(&self) -> Option<Range<usize>> {
        self.0.location.as_ref().map(|(_, s)| s.clone())
    }
}

impl Inner {
    fn title(&self) -> String {
        match &self.summary {
            Some(s) => s.clone(),
            None => self.message.lines().next().unwrap_or_default().to_string(),
        }
    }
}

impl ToDiagnostic for CdefError {
    fn to_diagnostic(&self) -> Diagnostic {
        let e = &self.0;
        // Users wrote `...`, not the placeholder names the parser sees.
        let user = super::rewrite::user_spelling;
        let mut d = Diagnostic::error(user(&e.title()));
        if let Some((file, span)) = &e.location {
            d = d.with_label(file, span.clone(), user(&e.label));
        }
        for note in &e.notes {
            d = d.with_note(user(note));
        }
        if let Some(help) = &e.help {
            d = d.with_help(user(help));
        }
        d
    }
}
