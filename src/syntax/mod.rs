//! Stage 1, syntax: text to [`ast::File`].
//!
//! In: the text of one `.knet` file. Out: its AST, or the syntax error (`E0001`) that
//! stopped the parser, worded for people (see [`expected`]).
//!
//! The grammar is `grammar/knet.pest`; [`lower`] turns pest's pairs into the AST, one
//! function per grammar rule.

pub mod ast;
mod expected;
mod lower;

use pest::Parser;
use pest_derive::Parser;

use crate::diagnostic::Diagnostic;
use crate::source::FileId;

#[derive(Parser)]
#[grammar = "../grammar/knet.pest"]
pub(crate) struct KnetParser;

/// Parses one file. `file` is the id its spans will carry.
pub fn parse(file: FileId, text: &str) -> Result<ast::File, Diagnostic> {
    match KnetParser::parse(Rule::file, text) {
        Ok(mut pairs) => {
            let Some(root) = pairs.next() else {
                // The `file` rule always produces one pair; an empty result is a bug,
                // reported as a syntax error at the start rather than a panic.
                return Err(expected::empty_parse(file));
            };
            Ok(lower::file(file, root))
        }
        Err(error) => Err(expected::syntax_error(file, text, &error)),
    }
}
