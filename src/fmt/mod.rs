//! `knet fmt`: the one printer of knet source.
//!
//! In: a file's text (or, for `knet import`, a syntax tree built without text). Out: the
//! same file in the canonical layout ([`write`] says what it is), with every comment
//! kept where it stood ([`printer`], [`comments`]). A file with syntax errors is not
//! formatted: its errors come back instead. Formatting never changes meaning (the
//! tests build every valid input before and after and compare the YAML) and is
//! idempotent. A file with a comment line `# knet: fmt skip` is left as it is (a
//! generated file, or a test input whose layout is the point), and so is a file with a
//! number of 20 digits or more (an error the tree cannot print back).

mod comments;
mod printer;
mod write;

use crate::diagnostic::Diagnostic;
use crate::source::FileId;
use crate::syntax::{self, ast};

/// The comment line that keeps a file out of formatting.
pub const SKIP: &str = "# knet: fmt skip";

/// The canonical text of `text`, or its syntax errors (spans in `file`).
pub fn format(file: FileId, text: &str) -> Result<String, Vec<Diagnostic>> {
    // A carriage return alone ends a line for the grammar; the comment scan and the
    // printer split lines at `\n`, so they read the text as the compiler does.
    let lines = &*crate::source::with_line_feeds(text);
    let tree = syntax::parse(file, lines)?;
    let comments = comments::scan(lines);
    if comments
        .iter()
        .any(|c| c.own_line && c.text.starts_with(SKIP))
        || has_huge_number(lines)
    {
        return Ok(text.to_string());
    }
    let mut printer = printer::Printer::new(lines, comments);
    write::file(&mut printer, &tree);
    Ok(printer.finish())
}

/// A run of 20 or more digits: a number the tree holds only as "too large" (the checker
/// reports it as out of range), which printing would replace by another number.
fn has_huge_number(text: &str) -> bool {
    text.as_bytes()
        .split(|b| !b.is_ascii_digit())
        .any(|run| run.len() >= 20)
}

/// The canonical text of a tree that was not parsed from text (no comments).
pub fn print(tree: &ast::File) -> String {
    let mut printer = printer::Printer::new("", Vec::new());
    write::file(&mut printer, tree);
    printer.finish()
}
