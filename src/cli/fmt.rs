//! `knet fmt`: files rewritten in the canonical layout, each replaced whole; `--check`
//! prints what would change as a unified diff instead and exits 1; `-` formats standard
//! input to standard output. A file with syntax errors is left untouched and its errors
//! are reported (exit 1).

use std::path::PathBuf;

use knetc::source::Sources;

use super::args::Common;
use super::report::{Reporter, SarifTo};
use super::{fail, inputs, output, write_stdout, EXIT_INPUT, EXIT_OK};

pub fn run(paths: &[PathBuf], check: bool, common: &Common) -> i32 {
    // Standard output carries the diff (`--check`) or the formatted text (`-`).
    let mut reporter = Reporter::new(common, SarifTo::Stderr);
    let status = run_files(paths, check, &mut reporter);
    reporter.finish();
    status
}

fn run_files(paths: &[PathBuf], check: bool, reporter: &mut Reporter<'_>) -> i32 {
    let inputs = match inputs::inputs(paths, inputs::KNET) {
        Ok(inputs) => inputs,
        Err(message) => return fail(&message),
    };
    let mut status = EXIT_OK;
    for input in inputs {
        // Standard input is read as a file is (`-`): a byte-order mark dropped, and a
        // text that is not UTF-8 reported as the compiler reports it.
        let (path, name) = match &input {
            inputs::Input::Stdin => (PathBuf::from("-"), inputs::STDIN_NAME.to_string()),
            inputs::Input::File(path) => (path.clone(), inputs::display_name(path)),
        };
        let sources = match inputs::read(std::slice::from_ref(&path)) {
            Ok(sources) => sources,
            Err(message) => return fail(&message),
        };
        let Some((_, file)) = sources.iter().next() else {
            continue;
        };
        if file.invalid_utf8_at.is_some() {
            // `E0002`; the file is left alone.
            let checked = knetc::compile(&sources);
            status = status.max(
                reporter
                    .report(&checked.diagnostics, &sources)
                    .max(EXIT_INPUT),
            );
            continue;
        }
        let text = &file.text;
        let formatted = match format(&name, text, reporter) {
            Ok(formatted) => formatted,
            Err(code) => {
                status = status.max(code);
                continue;
            }
        };
        status = status.max(match (&input, check) {
            (inputs::Input::Stdin, false) => write_stdout(&formatted),
            _ if formatted == *text => EXIT_OK,
            (_, true) => {
                print!("{}", diff(&name, text, &formatted));
                EXIT_INPUT
            }
            (inputs::Input::File(path), false) => {
                match output::write_output(path, formatted.as_bytes()) {
                    Ok(()) => EXIT_OK,
                    Err(message) => return fail(&message),
                }
            }
        });
    }
    status
}

/// The formatted text, or the exit status after reporting the file's syntax errors.
fn format(name: &str, text: &str, reporter: &mut Reporter<'_>) -> Result<String, i32> {
    let mut sources = Sources::new();
    let id = sources.add(name, text);
    knetc::fmt::format(id, text)
        .map_err(|errors| reporter.report(&errors, &sources).max(EXIT_INPUT))
}

fn diff(name: &str, before: &str, after: &str) -> String {
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(name, &format!("{name} (formatted)"))
        .to_string()
}
