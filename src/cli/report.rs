//! Printing the diagnostics of a run, human, JSON or SARIF, at most `--max-errors` of
//! them, and the exit status they imply.
//!
//! Human and JSON diagnostics go to standard error as they come. A SARIF log is one
//! document for the whole run, written by [`Reporter::finish`] even when there is no
//! diagnostic (an empty log tells code scanning that earlier alerts are fixed): on
//! standard output for `knet check`, which writes nothing else there, and on standard
//! error for the commands whose standard output is their product (YAML, rules, a diff).
//!
//! The cap bounds the output of any input (a fuzzed file can hold tens of thousands of
//! mistakes): the first N diagnostics in position order are printed, then one line
//! saying how many were left out. In JSON that line is an object without a `code`:
//! `{"max_errors":100,"not_shown":150}`; in SARIF it is a notification of the run's
//! invocation. The summary line and the exit status count every diagnostic, shown or
//! not.

use std::io::{IsTerminal, Write};

use knetc::diagnostic::{self, sarif, Diagnostic};
use knetc::source::Sources;

use super::args::{ColorChoice, Common, MessageFormat};
use super::{EXIT_INPUT, EXIT_OK};

/// Where a SARIF log is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SarifTo {
    /// `knet check`: its standard output is otherwise empty.
    Stdout,
    /// Every other command: its standard output carries its product.
    Stderr,
}

/// Prints the diagnostics of one compiler run (a SARIF log on standard error); returns
/// the exit status they imply.
pub fn report(diagnostics: &[Diagnostic], sources: &Sources, common: &Common) -> i32 {
    report_to(diagnostics, sources, common, SarifTo::Stderr)
}

/// [`report`], with the SARIF log written to `sarif_to`.
pub fn report_to(
    diagnostics: &[Diagnostic],
    sources: &Sources,
    common: &Common,
    sarif_to: SarifTo,
) -> i32 {
    let mut reporter = Reporter::new(common, sarif_to);
    let status = reporter.report(diagnostics, sources);
    reporter.finish();
    status
}

/// Reports the diagnostics of one or more compiler runs (`knet fmt` checks its files
/// one by one) as one output: human and JSON diagnostics are printed as they come, a
/// SARIF log once, by [`Reporter::finish`].
pub struct Reporter<'a> {
    common: &'a Common,
    sarif_to: SarifTo,
    /// SARIF only: what the log will hold, and how many diagnostics the cap left out.
    batches: Vec<(Vec<Diagnostic>, Sources)>,
    shown: usize,
    not_shown: usize,
}

impl<'a> Reporter<'a> {
    pub fn new(common: &'a Common, sarif_to: SarifTo) -> Self {
        Reporter {
            common,
            sarif_to,
            batches: Vec::new(),
            shown: 0,
            not_shown: 0,
        }
    }

    /// Reports one run's diagnostics; returns the exit status they imply.
    pub fn report(&mut self, diagnostics: &[Diagnostic], sources: &Sources) -> i32 {
        if self.common.message_format == MessageFormat::Sarif {
            // One cap for the whole log, however many runs fill it.
            let room = match self.common.max_errors {
                0 => diagnostics.len(),
                max => max.saturating_sub(self.shown),
            };
            let shown = diagnostics.get(..room).unwrap_or(diagnostics);
            self.shown += shown.len();
            self.not_shown += diagnostics.len() - shown.len();
            self.batches.push((shown.to_vec(), sources.clone()));
        } else {
            print(diagnostics, sources, self.common);
        }
        status(diagnostics, self.common.deny_warnings)
    }

    /// Writes the SARIF log, if that is the format.
    pub fn finish(self) {
        if self.common.message_format != MessageFormat::Sarif {
            return;
        }
        let batches: Vec<sarif::Batch<'_>> = self
            .batches
            .iter()
            .map(|(diagnostics, sources)| sarif::Batch {
                diagnostics,
                sources,
            })
            .collect();
        let notes = match self.not_shown {
            0 => Vec::new(),
            n => vec![format!(
                "{n} more {} (`--max-errors 0` shows them all)",
                not_shown_noun(n)
            )],
        };
        let log = sarif::log(&batches, &notes);
        let text = serde_json::to_string_pretty(&log).unwrap_or_default() + "\n";
        // A reader that stopped early is not an error, as for any other output.
        let _ = match self.sarif_to {
            SarifTo::Stdout => std::io::stdout().lock().write_all(text.as_bytes()),
            SarifTo::Stderr => std::io::stderr().lock().write_all(text.as_bytes()),
        };
    }
}

fn not_shown_noun(not_shown: usize) -> &'static str {
    if not_shown == 1 {
        "diagnostic was not shown"
    } else {
        "diagnostics were not shown"
    }
}

/// The exit status diagnostics imply.
fn status(diagnostics: &[Diagnostic], deny_warnings: bool) -> i32 {
    let errors = diagnostics.iter().any(Diagnostic::is_error);
    let warnings = diagnostics.iter().any(|d| !d.is_error());
    if errors || (warnings && deny_warnings) {
        EXIT_INPUT
    } else {
        EXIT_OK
    }
}

/// Prints human or JSON diagnostics on standard error.
fn print(diagnostics: &[Diagnostic], sources: &Sources, common: &Common) {
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
        // Written once, by `Reporter::finish`.
        MessageFormat::Sarif => {}
        MessageFormat::Human => {
            let color = use_color(common.color);
            let _ = write!(
                stderr,
                "{}",
                diagnostic::render::render(shown, sources, color)
            );
            if not_shown > 0 {
                let noun = not_shown_noun(not_shown);
                let _ = writeln!(
                    stderr,
                    "note: {not_shown} more {noun} (`--max-errors 0` shows them all)"
                );
            }
            let summary = diagnostic::render::summary_denying(diagnostics, common.deny_warnings);
            if let Some(summary) = summary {
                let _ = writeln!(stderr, "{summary}");
            }
        }
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
