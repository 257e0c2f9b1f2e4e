//! The command line: arguments, reading sources, printing diagnostics, writing output,
//! exit codes (0 success, 1 the input has errors, 2 usage or I/O error).

mod args;
mod fmt;
mod import;
mod inputs;
mod output;
mod reach;
mod report;

use std::io::Write;

use clap::Parser;
use knetc::diagnostic;

use args::{Cli, Command, Common};
use report::{report, report_to, SarifTo};

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
        Command::Matrix {
            paths,
            format,
            common,
        } => {
            use knetc::analysis::matrix::Format;
            let format = match format {
                args::MatrixFormat::Text => Format::Text,
                args::MatrixFormat::Markdown => Format::Markdown,
                args::MatrixFormat::Csv => Format::Csv,
                args::MatrixFormat::Json => Format::Json,
            };
            emit_model(&paths, &common, |model| {
                knetc::analysis::matrix::render(&knetc::analysis::analyze(model), format)
            })
        }
        Command::Graph {
            paths,
            format,
            common,
        } => reach::graph(&paths, format, &common),
        Command::Why {
            source,
            destination,
            paths,
            common,
        } => reach::why(&paths, &source, &destination, &common),
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
        Command::Import {
            paths,
            output,
            allow_lossy,
            common,
        } => import::run(&paths, output.as_deref(), allow_lossy, &common),
        Command::Fmt {
            paths,
            check,
            common,
        } => fmt::run(&paths, check, &common),
        Command::Lsp => crate::lsp::run(),
        Command::Explain { code } => explain(&code),
    }
}

/// Prints an I/O or usage problem (not a diagnostic about the input).
pub(crate) fn fail(message: &str) -> i32 {
    eprintln!("error: {message}");
    EXIT_USAGE
}

fn check(paths: &[std::path::PathBuf], common: &Common) -> i32 {
    let sources = match inputs::read(paths) {
        Ok(sources) => sources,
        Err(message) => return fail(&message),
    };
    let checked = knetc::compile(&sources);
    // `check` writes nothing else on standard output: a SARIF log goes there.
    report_to(&checked.diagnostics, &sources, common, SarifTo::Stdout)
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
                Some(path) => match output::write_output(path, yaml.as_bytes()) {
                    Ok(()) => EXIT_OK,
                    Err(message) => fail(&message),
                },
                None => write_stdout(&yaml),
            }
        }
    }
}

/// Checks the model and prints what `render` makes of it on stdout.
pub(crate) fn emit_model(
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

pub(crate) fn write_stdout(text: &str) -> i32 {
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
