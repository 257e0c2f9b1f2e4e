//! The one diagnostic type of knet, and its machine-readable form.
//!
//! Every stage reports problems as [`Diagnostic`]s: a stable [`Code`] (from the registry
//! in [`codes`]), a severity, a message, a primary label on the offending text, secondary
//! labels for the other side of a conflict, notes and a help line. [`render`] is the only
//! place that turns them into terminal text; [`Diagnostic::to_json`] is the
//! `--message-format json` form; [`sarif`] makes the `--message-format sarif` log. Every
//! text a diagnostic carries passes through [`shown::visible`] when it is built:
//! invisible characters are named and overlong quoted values cut.

pub mod codes;
pub mod explain;
pub mod render;
pub mod sarif;
pub mod shown;
mod window;

pub use codes::Code;

use crate::source::{Sources, Span};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A span with a message saying what is wrong (or relevant) there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub primary: Label,
    pub secondary: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error with the severity its code implies.
    pub fn new(code: Code, message: impl Into<String>, span: Span) -> Self {
        Diagnostic {
            code,
            severity: code.severity(),
            message: visible(message.into()),
            primary: Label {
                span,
                message: String::new(),
            },
            secondary: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    /// The text under the primary span ("what is wrong here").
    pub fn label(mut self, message: impl Into<String>) -> Self {
        self.primary.message = visible(message.into());
        self
    }

    pub fn secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.secondary.push(Label {
            span,
            message: visible(message.into()),
        });
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(visible(note.into()));
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(visible(help.into()));
        self
    }

    pub fn maybe_help(self, help: Option<String>) -> Self {
        match help {
            Some(h) => self.help(h),
            None => self,
        }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// One JSON object (one line) for `--message-format json`.
    pub fn to_json(&self, sources: &Sources) -> serde_json::Value {
        let file = sources.get(self.primary.span.file());
        // Byte offsets count from the start of the file on disk, byte-order mark included.
        let bom = |f: Option<&crate::source::SourceFile>| f.map_or(0, |f| f.bom_len);
        let (line, column) = file.map_or((1, 1), |f| f.line_column(self.primary.span.start()));
        let (end_line, end_column) =
            file.map_or((1, 1), |f| f.line_column(self.primary.span.end()));
        let label_json = |label: &Label| {
            let f = sources.get(label.span.file());
            let (line, column) = f.map_or((1, 1), |f| f.line_column(label.span.start()));
            serde_json::json!({
                "file": f.map_or("", |f| f.name.as_str()),
                "line": line,
                "column": column,
                "span": { "start": label.span.start() + bom(f), "end": label.span.end() + bom(f) },
                "message": label.message,
            })
        };
        serde_json::json!({
            "code": self.code.as_str(),
            "severity": self.severity.as_str(),
            "message": self.message,
            "file": file.map_or("", |f| f.name.as_str()),
            "line": line,
            "column": column,
            "end_line": end_line,
            "end_column": end_column,
            "span": {
                "start": self.primary.span.start() + bom(file),
                "end": self.primary.span.end() + bom(file),
            },
            "label": self.primary.message,
            "secondary": self.secondary.iter().map(label_json).collect::<Vec<_>>(),
            "notes": self.notes,
            "help": self.help,
        })
    }
}

/// The text as [`shown::visible`] shows it, without copying text that needs no change.
fn visible(text: String) -> String {
    match shown::visible(&text) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(changed) => changed,
    }
}

/// Sorts diagnostics for output: by file, then position, then code, so that the order
/// does not depend on the order in which checks ran.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by(|a, b| {
        (a.primary.span.file(), a.primary.span.start(), a.code).cmp(&(
            b.primary.span.file(),
            b.primary.span.start(),
            b.code,
        ))
    });
}
