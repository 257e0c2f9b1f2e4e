//! Renders diagnostics for people, in the style of rustc. The only file that touches
//! codespan-reporting.
//!
//! codespan-reporting is not given the files themselves but, per diagnostic, a
//! [`window::FileView`] of each file it points into: only the lines it shows, long
//! lines cut around the labels. Line numbers and columns are still the file's (the
//! [`Files`] implementation below maps them back), and rendering costs the same on a
//! 1 MB line as on a short one.

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Error, Files};
use codespan_reporting::term::{self, termcolor};

use super::window::FileView;
use super::{Diagnostic, Severity};
use crate::source::{FileId, Sources, Span};

/// Renders every diagnostic, followed by a summary line when there is any
/// ("error: could not compile: 2 errors, 1 warning"). `color` adds ANSI colours.
pub fn render(diagnostics: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let config = term::Config::default();
    let mut out = termcolor::Buffer::no_color();
    if color {
        out = termcolor::Buffer::ansi();
    }
    for diagnostic in diagnostics {
        let views = Views::new(diagnostic, sources);
        let cs_diagnostic = to_codespan(diagnostic, &views);
        // A span outside its file can only come from a bug; fall back to the message.
        if term::emit_to_write_style(&mut out, &config, &views, &cs_diagnostic).is_err() {
            let line = format!(
                "{}[{}]: {}\n",
                diagnostic.severity.as_str(),
                diagnostic.code.as_str(),
                diagnostic.message
            );
            let _ = std::io::Write::write_all(&mut out, line.as_bytes());
        }
    }
    String::from_utf8_lossy(out.as_slice()).into_owned()
}

/// The views of the files one diagnostic points into, by file id.
struct Views<'a> {
    files: Vec<(FileId, &'a str, FileView<'a>)>,
}

impl<'a> Views<'a> {
    fn new(diagnostic: &Diagnostic, sources: &'a Sources) -> Self {
        let spans: Vec<Span> = std::iter::once(&diagnostic.primary)
            .chain(&diagnostic.secondary)
            .map(|label| label.span)
            .collect();
        let mut ids: Vec<FileId> = spans.iter().map(|span| span.file()).collect();
        ids.sort_unstable();
        ids.dedup();
        let files = ids
            .into_iter()
            .filter_map(|id| {
                let file = sources.get(id)?;
                let points: Vec<(usize, usize)> = spans
                    .iter()
                    .filter(|span| span.file() == id)
                    .map(|span| (span.start(), span.end()))
                    .collect();
                Some((id, file.name.as_str(), FileView::new(file, &points)))
            })
            .collect();
        Views { files }
    }

    fn view(&self, id: usize) -> Result<&FileView<'a>, Error> {
        self.files
            .iter()
            .find(|(file, _, _)| file.0 == id)
            .map(|(_, _, view)| view)
            .ok_or(Error::FileMissing)
    }

    /// A span of the file as a range of its view.
    fn range(&self, span: Span) -> std::ops::Range<usize> {
        match self.view(span.file().0) {
            Ok(view) => view.to_view(span.start())..view.to_view(span.end().max(span.start())),
            // Unreachable: every labelled file has a view. codespan-reporting then
            // reports the missing file, and `render` falls back to the message.
            Err(_) => span.range(),
        }
    }
}

impl<'a> Files<'a> for Views<'a> {
    type FileId = usize;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: usize) -> Result<&'a str, Error> {
        self.files
            .iter()
            .find(|(file, _, _)| file.0 == id)
            .map(|(_, name, _)| *name)
            .ok_or(Error::FileMissing)
    }

    fn source(&'a self, id: usize) -> Result<&'a str, Error> {
        Ok(self.view(id)?.text.as_str())
    }

    fn line_index(&'a self, id: usize, byte_index: usize) -> Result<usize, Error> {
        Ok(self.view(id)?.line_index(byte_index))
    }

    fn column_number(
        &'a self,
        id: usize,
        _line_index: usize,
        byte_index: usize,
    ) -> Result<usize, Error> {
        let view = self.view(id)?;
        Ok(view.file.line_column(view.to_real(byte_index)).1)
    }

    fn line_range(&'a self, id: usize, line_index: usize) -> Result<std::ops::Range<usize>, Error> {
        let view = self.view(id)?;
        view.line_range(line_index).ok_or(Error::LineTooLarge {
            given: line_index,
            max: view.file.line_count().saturating_sub(1),
        })
    }
}

fn to_codespan(diagnostic: &Diagnostic, views: &Views<'_>) -> cs::Diagnostic<usize> {
    let severity = match diagnostic.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
    };
    let primary = &diagnostic.primary;
    let mut labels = vec![
        cs::Label::primary(primary.span.file().0, views.range(primary.span))
            .with_message(primary.message.clone()),
    ];
    labels.extend(diagnostic.secondary.iter().map(|label| {
        cs::Label::secondary(label.span.file().0, views.range(label.span))
            .with_message(label.message.clone())
    }));
    let mut notes: Vec<String> = diagnostic
        .notes
        .iter()
        .map(|note| format!("note: {note}"))
        .collect();
    if let Some(help) = &diagnostic.help {
        notes.push(format!("help: {help}"));
    }
    cs::Diagnostic::new(severity)
        .with_code(diagnostic.code.as_str())
        .with_message(diagnostic.message.clone())
        .with_labels(labels)
        .with_notes(notes)
}
/// "2 errors, 1 warning": the closing line of a run with diagnostics. With
/// `deny_warnings`, warnings fail the run and the line says so.
pub fn summary_denying(diagnostics: &[Diagnostic], deny_warnings: bool) -> Option<String> {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    if deny_warnings && errors == 0 && warnings > 0 {
        let noun = if warnings == 1 { "warning" } else { "warnings" };
        return Some(format!(
            "error: could not compile: {warnings} {noun} denied (--deny-warnings)"
        ));
    }
    summary(diagnostics)
}

/// "2 errors, 1 warning": the closing line of a run with diagnostics.
pub fn summary(diagnostics: &[Diagnostic]) -> Option<String> {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("1 {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    match (errors, warnings) {
        (0, 0) => None,
        (0, w) => Some(format!("warning: {} emitted", plural(w, "warning"))),
        (e, 0) => Some(format!("error: could not compile: {}", plural(e, "error"))),
        (e, w) => Some(format!(
            "error: could not compile: {}, {}",
            plural(e, "error"),
            plural(w, "warning")
        )),
    }
}
