//! Printing the diagnostics of a run on standard error, human or JSON, at most
//! `--max-errors` of them, and the exit status they imply.
//!
//! The cap bounds the output of any input (a fuzzed file can hold tens of thousands of
//! mistakes): the first N diagnostics in position order are printed, then one line
//! saying how many were left out. In JSON that line is an object without a `code`:
//! `{"max_errors":100,"not_shown":150}`. The summary line and the exit status count
//! every diagnostic, shown or not.

use std::io::{IsTerminal, Write};

use knetc::diagnostic::{self, Diagnostic};
use knetc::source::Sources;

use super::args::{ColorChoice, Common, MessageFormat};
use super::{EXIT_INPUT, EXIT_OK};

/// Prints diagnostics to stderr; returns the exit status they imply.
pub fn report(diagnostics: &[Diagnostic], sources: &Sources, common: &Common) -> i32 {
    let shown = match common.max_errors {
        0 => diagnostics,
        max => diagnostics.get(..max).unwrap_or(diagnostics),
    };
    let not_shown = diagnostics.len() - shown.len();
    let mut stderr = std::io::stderr().lock();
    match common.message_format {
        MessageFormat::Json => {
            for d in shown {
                let _ = writeln!(stderr, "{}", d.to_json(sources));
            }
            if not_shown > 0 {
                let cut = serde_json::json!({
                    "max_errors": common.max_errors,
                    "not_shown": not_shown,
                });
                let _ = writeln!(stderr, "{cut}");
            }
        }
        MessageFormat::Human => {
            let color = use_color(common.color);
            let _ = write!(
                stderr,
                "{}",
                diagnostic::render::render(shown, sources, color)
            );
            if not_shown > 0 {
                let noun = if not_shown == 1 {
                    "diagnostic was"
                } else {
                    "diagnostics were"
                };
                let _ = writeln!(
                    stderr,
                    "note: {not_shown} more {noun} not shown (`--max-errors 0` shows them all)"
                );
            }
            let summary = diagnostic::render::summary_denying(diagnostics, common.deny_warnings);
            if let Some(summary) = summary {
                let _ = writeln!(stderr, "{summary}");
            }
        }
    }
    let errors = diagnostics.iter().any(Diagnostic::is_error);
    let warnings = diagnostics.iter().any(|d| !d.is_error());
    if errors || (warnings && common.deny_warnings) {
        EXIT_INPUT
    } else {
        EXIT_OK
    }
}

/// `--color auto` colours a terminal unless `NO_COLOR` is set to anything non-empty.
fn use_color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
            !no_color && std::io::stderr().is_terminal()
        }
    }
}
