//! Renders diagnostics for people, in the style of rustc. The only file that touches
//! codespan-reporting.

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor};

use super::{Diagnostic, Severity};
use crate::source::Sources;

/// Renders every diagnostic, followed by a summary line when there is any
/// ("error: could not compile: 2 errors, 1 warning"). `color` adds ANSI colours.
pub fn render(diagnostics: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let mut files = SimpleFiles::new();
    for (_, file) in sources.iter() {
        files.add(file.name.as_str(), file.text.as_str());
    }
    let config = term::Config::default();
    let mut out = termcolor::Buffer::no_color();
    if color {
        out = termcolor::Buffer::ansi();
    }
    for diagnostic in diagnostics {
        let cs_diagnostic = to_codespan(diagnostic);
        // A span outside its file can only come from a bug; fall back to the message.
        if term::emit_to_write_style(&mut out, &config, &files, &cs_diagnostic).is_err() {
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

fn to_codespan(diagnostic: &Diagnostic) -> cs::Diagnostic<usize> {
    let severity = match diagnostic.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
    };
    let primary = &diagnostic.primary;
    let mut labels = vec![
        cs::Label::primary(primary.span.file.0, primary.span.range())
            .with_message(primary.message.clone()),
    ];
    labels.extend(diagnostic.secondary.iter().map(|label| {
        cs::Label::secondary(label.span.file.0, label.span.range())
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
