//! knet: a compiler from `.knet` files to Kubernetes networking objects.
//!
//! ```text
//! text --syntax::parse--> AST --check::check--> IR --emit::emit_yaml--------> Kubernetes YAML
//!                                                 |--policy::plan (flows grouped into policies)
//!                                                 \--preview::iptables/ipset --> node rules
//! ```
//!
//! The library does no I/O: the CLI (`src/cli/`) reads files into [`source::Sources`],
//! calls [`compile`], and writes what comes back. Every problem with the input is a
//! [`diagnostic::Diagnostic`] with a stable code.

pub mod check;
pub mod diagnostic;
pub mod emit;
pub mod fmt;
pub mod import;
pub mod ir;
pub mod policy;
pub mod preview;
pub mod source;
pub mod syntax;

use diagnostic::Diagnostic;
use source::Sources;

/// The result of checking a compilation unit.
#[derive(Debug)]
pub struct Checked {
    /// The model, when there is no error.
    pub model: Option<ir::Model>,
    /// Every diagnostic, sorted by position.
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses and checks every file of a unit. Syntax errors of all files are reported;
/// the model is checked only when every file parses.
pub fn compile(sources: &Sources) -> Checked {
    let mut files = Vec::new();
    let mut diagnostics = Vec::new();
    for (id, file) in sources.iter() {
        if let Some(at) = file.invalid_utf8_at {
            diagnostics.push(
                Diagnostic::new(
                    diagnostic::Code::NotUtf8,
                    format!("`{}` is not valid UTF-8", file.name),
                    source::Span::new(id, at, at),
                )
                .label("the first invalid byte is here")
                .help("save the file as UTF-8"),
            );
            continue;
        }
        match syntax::parse(id, &file.text) {
            Ok(ast) => files.push(ast),
            Err(errors) => diagnostics.extend(errors),
        }
    }
    if !diagnostics.is_empty() {
        return Checked {
            model: None,
            diagnostics,
        };
    }
    let (model, mut diagnostics) = check::check(&files);
    check::allow::apply(&mut diagnostics, sources);
    Checked { model, diagnostics }
}

/// Compiles a unit to YAML: `Ok` with the stream and any warnings, or `Err` with the
/// diagnostics when there is an error.
pub fn build_yaml(sources: &Sources) -> Result<(String, Vec<Diagnostic>), Vec<Diagnostic>> {
    let checked = compile(sources);
    match checked.model {
        Some(model) => Ok((emit::emit_yaml(&model), checked.diagnostics)),
        None => Err(checked.diagnostics),
    }
}
