//! `knet fmt`: files rewritten in the canonical layout, each replaced whole; `--check`
//! prints what would change as a unified diff instead and exits 1; `-` formats standard
//! input to standard output. A file with syntax errors is left untouched and its errors
//! are reported (exit 1).

use std::io::Read;
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
        let path = match input {
            inputs::Input::Stdin => {
                status = status.max(stdin(check, reporter));
                continue;
            }
            inputs::Input::File(path) => path,
        };
        let sources = match inputs::read(std::slice::from_ref(&path)) {
            Ok(sources) => sources,
            Err(message) => return fail(&message),
        };
        let name = inputs::display_name(&path);
        let Some((_, file)) = sources.iter().next() else {
            continue;
        };
        if file.invalid_utf8_at.is_some() {
            // Reported as the compiler reports it (`E0002`); the file is left alone.
            let checked = knetc::compile(&sources);
            status = status.max(
                reporter
                    .report(&checked.diagnostics, &sources)
                    .max(EXIT_INPUT),
            );
            continue;
        }
        let text = file.text.clone();
        let formatted = match format(&name, &text, reporter) {
            Ok(formatted) => formatted,
            Err(code) => {
                status = status.max(code);
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        if check {
            print!("{}", diff(&name, &text, &formatted));
            status = status.max(EXIT_INPUT);
        } else if let Err(message) = output::write_output(&path, formatted.as_bytes()) {
            return fail(&message);
        }
    }
    status
}

fn stdin(check: bool, reporter: &mut Reporter<'_>) -> i32 {
    let mut text = String::new();
    if let Err(e) = std::io::stdin().read_to_string(&mut text) {
        return fail(&format!("cannot read standard input: {e}"));
    }
    match format(inputs::STDIN_NAME, &text, reporter) {
        Err(code) => code,
        Ok(formatted) if check => {
            if formatted == text {
                EXIT_OK
            } else {
                print!("{}", diff(inputs::STDIN_NAME, &text, &formatted));
                EXIT_INPUT
            }
        }
        Ok(formatted) => write_stdout(&formatted),
    }
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
