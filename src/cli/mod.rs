//! The command line: arguments, reading sources, printing diagnostics, writing output,
//! exit codes (0 success, 1 the input has errors, 2 usage or I/O error).

mod args;
mod fmt;
mod inputs;
mod output;

use std::io::{IsTerminal, Write};

use clap::Parser;
use knetc::diagnostic::{self, Diagnostic};
use knetc::source::Sources;

use args::{Cli, ColorChoice, Command, Common, MessageFormat};

pub const EXIT_OK: i32 = 0;
pub const EXIT_INPUT: i32 = 1;
pub const EXIT_USAGE: i32 = 2;

pub fn run() -> i32 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let _ = error.print();
            return if error.use_stderr() {
                EXIT_USAGE
            } else {
                EXIT_OK
            };
        }
    };
    match cli.command {
        Command::Check { paths, common } => check(&paths, &common),
        Command::Build {
            paths,
            output,
            common,
        } => build(&paths, output.as_deref(), &common),
        Command::Preview(args::Preview::Iptables {
            paths,
            format,
            common,
        }) => {
            let format = match format {
                args::PreviewFormat::Save => knetc::preview::Format::Save,
                args::PreviewFormat::Restore => knetc::preview::Format::Restore,
            };
            emit_model(&paths, &common, |model| {
                knetc::preview::iptables(model, format)
            })
        }
        Command::Preview(args::Preview::Ipset { paths, common }) => {
            emit_model(&paths, &common, knetc::preview::ipset)
        }
        Command::Fmt {
            paths,
            check,
            common,
        } => fmt::run(&paths, check, &common),
        Command::Explain { code } => explain(&code),
    }
}

/// Prints an I/O or usage problem (not a diagnostic about the input).
fn fail(message: &str) -> i32 {
    eprintln!("error: {message}");
    EXIT_USAGE
}

fn check(paths: &[std::path::PathBuf], common: &Common) -> i32 {
    let sources = match inputs::read(paths) {
        Ok(sources) => sources,
        Err(message) => return fail(&message),
    };
    let checked = knetc::compile(&sources);
    report(&checked.diagnostics, &sources, common)
}

fn build(paths: &[std::path::PathBuf], output: Option<&std::path::Path>, common: &Common) -> i32 {
    let sources = match inputs::read(paths) {
        Ok(sources) => sources,
        Err(message) => return fail(&message),
    };
    match knetc::build_yaml(&sources) {
        Err(diagnostics) => report(&diagnostics, &sources, common),
        Ok((yaml, diagnostics)) => {
            let status = report(&diagnostics, &sources, common);
            if status != EXIT_OK {
                return status;
            }
            match output {
                Some(path) => match output::replace_file(path, yaml.as_bytes()) {
                    Ok(()) => EXIT_OK,
                    Err(message) => fail(&message),
                },
                None => write_stdout(&yaml),
            }
        }
    }
}

/// Checks the model and prints what `render` makes of it on stdout.
fn emit_model(
    paths: &[std::path::PathBuf],
    common: &Common,
    render: impl Fn(&knetc::ir::Model) -> String,
) -> i32 {
    let sources = match inputs::read(paths) {
        Ok(sources) => sources,
        Err(message) => return fail(&message),
    };
    let checked = knetc::compile(&sources);
    let status = report(&checked.diagnostics, &sources, common);
    let Some(model) = checked.model else {
        return status;
    };
    if status != EXIT_OK {
        return status;
    }
    write_stdout(&render(&model))
}

fn write_stdout(text: &str) -> i32 {
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => EXIT_OK,
        // The reader stopped early (`knet preview iptables | head`): not an error.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(error) => fail(&format!("cannot write to standard output: {error}")),
    }
}

fn explain(code: &str) -> i32 {
    match diagnostic::Code::parse(code) {
        Some(code) => write_stdout(knetc::diagnostic::explain::explanation(code)),
        None => fail(&format!(
            "`{code}` is not a knet diagnostic code (codes look like `E0102` or `W0203`)"
        )),
    }
}

/// Prints diagnostics to stderr; returns the exit status they imply.
fn report(diagnostics: &[Diagnostic], sources: &Sources, common: &Common) -> i32 {
    let mut stderr = std::io::stderr().lock();
    match common.message_format {
        MessageFormat::Json => {
            for d in diagnostics {
                let _ = writeln!(stderr, "{}", d.to_json(sources));
            }
        }
        MessageFormat::Human => {
            let color = use_color(common.color);
            let _ = write!(
                stderr,
                "{}",
                diagnostic::render::render(diagnostics, sources, color)
            );
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
