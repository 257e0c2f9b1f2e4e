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
            routes,
            common,
        } => build(&paths, output.as_deref(), routes, &common),
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
            emit_model(&paths, &common, |model, out| {
                out.push_str(&knetc::analysis::matrix::render(
                    &knetc::analysis::analyze(model),
                    format,
                ));
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
            emit_model(&paths, &common, |model, out| {
                let made = knetc::preview::write(model, format, out);
                // Freed by the exit, not rule by rule (a large preview has millions of
                // allocations).
                std::mem::forget(made);
            })
        }
        Command::Preview(args::Preview::Ipset { paths, common }) => {
            emit_model(&paths, &common, |model, out| {
                out.push_str(&knetc::preview::ipset(model));
            })
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

/// Parses and checks a unit for `check`, which ends right after: the syntax trees are
/// left to the process's exit (as the commands leave the model), since freeing a large
/// model node by node costs a tenth of a `check`. The commands that write output free
/// the trees first, so that the output's structures can reuse their memory.
fn compile(sources: &knetc::source::Sources, options: knetc::Options) -> knetc::Checked {
    let parsed = knetc::parse(sources);
    let checked = knetc::check_parsed_with(sources, &parsed, options);
    std::mem::forget(parsed);
    checked
}

/// Prints an I/O or usage problem (not a diagnostic about the input).
pub(crate) fn fail(message: &str) -> i32 {
    eprintln!("error: {message}");
    EXIT_USAGE
}

fn check(paths: &[std::path::PathBuf], common: &Common) -> i32 {
    crate::memory::keep_freed_memory();
    let sources = match inputs::read(paths) {
        Ok(sources) => sources,
        Err(message) => return fail(&message),
    };
    let checked = compile(&sources, knetc::Options::default());
    // `check` writes nothing else on standard output: a SARIF log goes there.
    let status = report_to(&checked.diagnostics, &sources, common, SarifTo::Stdout);
    std::mem::forget(checked);
    status
}

fn build(
    paths: &[std::path::PathBuf],
    output: Option<&std::path::Path>,
    routes: Option<args::Routes>,
    common: &Common,
) -> i32 {
    crate::memory::keep_freed_memory();
    let sources = match inputs::read(paths) {
        Ok(sources) => sources,
        Err(message) => return fail(&message),
    };
    let options = knetc::Options {
        routes: routes.map(args::Routes::mode),
    };
    let checked = knetc::compile_with(&sources, options);
    let status = report(&checked.diagnostics, &sources, common);
    let Some(model) = checked.model else {
        return status;
    };
    if status != EXIT_OK {
        return status;
    }
    // Not needed once the diagnostics are out (see `emit_model`).
    drop(sources);
    let status = match output {
        // Replaced whole or not at all: the stream is complete before the file is.
        Some(path) => match output::write_output(path, knetc::emit::emit_yaml(&model).as_bytes()) {
            Ok(()) => EXIT_OK,
            Err(message) => fail(&message),
        },
        None => stream_stdout(|out| knetc::emit::write_yaml(&model, out)),
    };
    // The process ends here: the model is freed by the exit, not piece by piece.
    std::mem::forget(model);
    status
}

/// Checks the model and prints what `render` makes of it on stdout.
pub(crate) fn emit_model(
    paths: &[std::path::PathBuf],
    common: &Common,
    render: impl FnOnce(&knetc::ir::Model, &mut knetc::sink::Sink),
) -> i32 {
    crate::memory::keep_freed_memory();
    let sources = match inputs::read(paths) {
        Ok(sources) => sources,
        Err(message) => return fail(&message),
    };
    let checked = knetc::compile_with(&sources, knetc::Options::default());
    let status = report(&checked.diagnostics, &sources, common);
    let Some(model) = checked.model else {
        return status;
    };
    if status != EXIT_OK {
        return status;
    }
    // The source text and its line index (tens of megabytes for a large model) are
    // not needed once the diagnostics are out: freed, their memory serves the output.
    drop(sources);
    let status = stream_stdout(|out| render(&model, out));
    // The process ends here: the model is freed by the exit, not piece by piece.
    std::mem::forget(model);
    status
}

/// Writes what `write` produces to stdout as it is produced.
fn stream_stdout(write: impl FnOnce(&mut knetc::sink::Sink)) -> i32 {
    let stdout = std::io::stdout();
    let mut lock = stdout.lock();
    let mut sink = knetc::sink::Sink::new(&mut lock);
    write(&mut sink);
    written(sink.finish())
}

/// The exit status after writing stdout.
fn written(result: std::io::Result<()>) -> i32 {
    match result {
        Ok(()) => EXIT_OK,
        // The reader stopped early (`knet preview iptables | head`): not an error.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => EXIT_OK,
        Err(error) => fail(&format!("cannot write to standard output: {error}")),
    }
}

pub(crate) fn write_stdout(text: &str) -> i32 {
    let mut stdout = std::io::stdout().lock();
    written(
        stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush()),
    )
}

fn explain(code: &str) -> i32 {
    match diagnostic::Code::parse(code) {
        Some(code) => write_stdout(knetc::diagnostic::explain::explanation(code)),
        None => fail(&format!(
            "`{code}` is not a knet diagnostic code (codes look like `E0102` or `W0203`)"
        )),
    }
}
