//! Stage 1, syntax: text to [`ast::File`].
//!
//! In: the text of one `.knet` file. Out: its AST, or its syntax errors (`E0001`),
//! worded for people (see `expected`).
//!
//! Recovery: after an error, the line it is on is blanked (its bytes replaced by spaces,
//! so that every later span stays right) and the file is parsed again, so that the
//! independent mistakes of one file are reported together. A line that opens or closes a
//! block is never blanked: the errors after it would only be echoes of the first.
//!
//! The grammar is `grammar/knet.pest`, with the tokens of `grammar/tokens.pest`;
//! `lower` turns pest's pairs into the AST, one function per grammar rule. A file is
//! parsed a piece at a time (`pieces`), which keeps pest's memory to a few items; when a
//! piece does not parse, the whole file is parsed as one, and the errors come from that
//! parse. (The pieces are read by a parser of their own, with silent punctuation and a
//! faster rule for names: see `pieces`.)

pub mod ast;
mod expected;
mod lower;
mod pieces;
mod tree;

use pest::Parser;
use pest_derive::Parser;

use crate::diagnostic::Diagnostic;
use crate::source::FileId;

#[derive(Parser)]
#[grammar = "../grammar/knet.pest"]
#[grammar = "../grammar/tokens.pest"]
pub(crate) struct KnetParser;

/// At most this many syntax errors are reported per file.
const MAX_SYNTAX_ERRORS: usize = 20;

/// Parses one file. `file` is the id its spans will carry.
pub fn parse(file: FileId, text: &str) -> Result<ast::File, Vec<Diagnostic>> {
    if let Some(tree) = pieces::parse(file, text) {
        return Ok(tree);
    }
    parse_whole(file, text)
}

/// Parses the file as one: the tree, or the syntax errors with recovery.
fn parse_whole(file: FileId, text: &str) -> Result<ast::File, Vec<Diagnostic>> {
    let error = match KnetParser::parse(Rule::file, text) {
        Ok(pairs) => {
            let tree = tree::Tree::new(pairs);
            return match tree.root() {
                Some(root) => Ok(lower::file(file, root)),
                // The `file` rule always produces one pair; an empty result is a bug,
                // reported as a syntax error at the start rather than a panic.
                None => Err(vec![expected::empty_parse(file)]),
            };
        }
        Err(error) => error,
    };
    let mut errors = vec![expected::syntax_error(file, text, &error)];
    let mut text = text.to_string();
    let mut offset = errors[0].primary.span.start();
    while errors.len() < MAX_SYNTAX_ERRORS && blank_line(&mut text, offset) {
        match KnetParser::parse(Rule::file, &text) {
            Ok(_) => break,
            Err(next) => {
                let diagnostic = expected::syntax_error(file, &text, &next);
                if diagnostic.primary.span.start() <= offset {
                    break;
                }
                offset = diagnostic.primary.span.start();
                errors.push(diagnostic);
            }
        }
    }
    Err(errors)
}

/// Replaces the line around `offset` by spaces, unless it opens or closes a block.
pub(crate) fn blank_line(text: &mut String, offset: usize) -> bool {
    let offset = offset.min(text.len());
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = &text[start..end];
    if line.trim().is_empty() || line.contains(['{', '}']) {
        return false;
    }
    let spaces = " ".repeat(line.len());
    text.replace_range(start..end, &spaces);
    true
}
