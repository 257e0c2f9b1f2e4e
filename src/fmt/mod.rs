//! `knet fmt`: the one printer of knet source.
//!
//! In: a file's text (or, for `knet import`, a syntax tree built without text). Out: the
//! same file in the canonical layout ([`write`] says what it is), with every comment
//! kept where it stood ([`printer`], [`comments`]). A file with syntax errors is not
//! formatted: its errors come back instead. Formatting never changes meaning (the
//! tests build every valid input before and after and compare the YAML) and is
//! idempotent.

mod comments;
mod printer;
mod write;

use crate::diagnostic::Diagnostic;
use crate::source::FileId;
use crate::syntax::{self, ast};

/// The canonical text of `text`, or its syntax errors (spans in `file`).
pub fn format(file: FileId, text: &str) -> Result<String, Vec<Diagnostic>> {
    let tree = syntax::parse(file, text)?;
    let mut printer = printer::Printer::new(text, comments::scan(text));
    write::file(&mut printer, &tree);
    Ok(printer.finish())
}

/// The canonical text of a tree that was not parsed from text (no comments).
pub fn print(tree: &ast::File) -> String {
    let mut printer = printer::Printer::new("", Vec::new());
    write::file(&mut printer, tree);
    printer.finish()
}
