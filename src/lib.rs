//! knet: a compiler from `.knet` files to Kubernetes networking objects.
//!
//! ```text
//! text --syntax::parse--> AST --check::check--> IR --emit::emit_yaml--------> Kubernetes YAML
//!                                                 |--policy::each_plan (flows grouped into policies)
//!                                                 |--preview::iptables/ipset --> node rules
//!                                                 \--analysis (YAML read back) --> matrix, graph,
//!                                                                               why, `expect`
//! ```
//!
//! The library does no I/O: the CLI (`src/cli/`) reads files into [`source::Sources`],
//! calls [`compile`], and writes what comes back. Every problem with the input is a
//! [`diagnostic::Diagnostic`] with a stable code. [`ide`] answers an editor's questions
//! (definitions, references, hover, completion, quick fixes) over the same stages.

#![forbid(unsafe_code)]

// pest without `std` (no stack probe per rule call: the grammar does not recurse) generates
// code that names `alloc`.
extern crate alloc;

pub mod analysis;
pub mod check;
pub mod collections;
pub mod diagnostic;
pub mod emit;
pub mod fmt;
pub mod ide;
pub mod import;
pub mod ir;
pub mod kube;
pub mod policy;
pub mod preview;
pub mod routes;
pub mod sink;
pub mod source;
pub mod syntax;
#[cfg(test)]
mod testing;

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

/// Every file of a unit parsed: the trees of the files that parse, and the errors of
/// those that do not (syntax, `E0001`; encoding, `E0002`).
#[derive(Debug)]
pub struct Parsed {
    /// The trees of the files that parse, in the order of the sources.
    pub trees: Vec<syntax::ast::File>,
    /// The files that do not parse (or are not UTF-8).
    pub broken: Vec<source::FileId>,
    /// Their errors.
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses every file of a unit, reporting the syntax errors of all files.
pub fn parse(sources: &Sources) -> Parsed {
    let mut parsed = Parsed {
        trees: Vec::new(),
        broken: Vec::new(),
        diagnostics: Vec::new(),
    };
    for (id, file) in sources.iter() {
        if let Some(at) = file.invalid_utf8_at {
            parsed.broken.push(id);
            parsed.diagnostics.push(
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
            Ok(ast) => parsed.trees.push(ast),
            Err(errors) => {
                parsed.broken.push(id);
                parsed.diagnostics.extend(errors);
            }
        }
    }
    parsed
}

/// What the command line may change about a unit without editing it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// `--routes`: replaces the `cluster` block's `routes` setting (an `ingress` block's
    /// own `routes` line still wins).
    pub routes: Option<ir::RoutesMode>,
}

/// Checks a parsed unit: its syntax errors when a file does not parse, else the model
/// and the checker's diagnostics.
pub fn check_parsed(sources: &Sources, parsed: &Parsed) -> Checked {
    check_parsed_with(sources, parsed, Options::default())
}

/// [`check_parsed`] with command-line options.
pub fn check_parsed_with(sources: &Sources, parsed: &Parsed, options: Options) -> Checked {
    if !parsed.diagnostics.is_empty() {
        return Checked {
            model: None,
            diagnostics: parsed.diagnostics.clone(),
        };
    }
    let (mut model, mut diagnostics) = check::check_with(&parsed.trees, options);
    // `expect` lines are checked against the emitted policies, once there is a model.
    if let Some(checked) = &model {
        let failed = analysis::expect::check(checked);
        if !failed.is_empty() {
            diagnostics.extend(failed);
            diagnostic::sort(&mut diagnostics);
            model = None;
        }
    }
    check::allow::apply(&mut diagnostics, sources);
    Checked { model, diagnostics }
}

/// Parses and checks every file of a unit. Syntax errors of all files are reported;
/// the model is checked only when every file parses.
pub fn compile(sources: &Sources) -> Checked {
    compile_with(sources, Options::default())
}

/// [`compile`] with command-line options.
pub fn compile_with(sources: &Sources, options: Options) -> Checked {
    check_parsed_with(sources, &parse(sources), options)
}

/// Compiles a unit to YAML: `Ok` with the stream and any warnings, or `Err` with the
/// diagnostics when there is an error.
pub fn build_yaml(sources: &Sources) -> Result<(String, Vec<Diagnostic>), Vec<Diagnostic>> {
    build_yaml_with(sources, Options::default())
}

/// [`build_yaml`] with command-line options.
pub fn build_yaml_with(
    sources: &Sources,
    options: Options,
) -> Result<(String, Vec<Diagnostic>), Vec<Diagnostic>> {
    let checked = compile_with(sources, options);
    match checked.model {
        Some(model) => Ok((emit::emit_yaml(&model), checked.diagnostics)),
        None => Err(checked.diagnostics),
    }
}
