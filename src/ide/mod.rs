//! Answers to an editor's questions about a unit: positions in, answers out.
//!
//! In: a unit's [`Sources`] and a byte offset in one of its files. Out: the unit's
//! diagnostics (exactly [`crate::compile`]'s), the definitions and references of the
//! name at the offset ([`index`]), a markdown hover ([`hover`]), completions
//! ([`complete`]) and the quick fixes that "did you mean" help lines propose
//! ([`fixes`]). No I/O: the language server (`src/lsp/`) reads files and speaks the
//! protocol; this module knows the language.
//!
//! Files with syntax errors are skipped for navigation (their diagnostics are still
//! reported); completion reads their declarations from a tolerant parse that blanks
//! the broken lines, since the line being typed is usually one of them. Every function
//! accepts any offset and any file id: past the end, inside a character, or of a file
//! the unit does not have, the answer is empty.

pub mod complete;
pub mod fixes;
pub mod hover;
pub mod index;
#[cfg(test)]
mod tests;

pub use complete::{Completion, CompletionKind};
pub use fixes::QuickFix;

use crate::diagnostic::Diagnostic;
use crate::source::{FileId, Sources, Span};
use crate::syntax::{self, ast};
use crate::Checked;
use index::Index;

/// A unit, parsed, checked and indexed once; the queries read it.
#[derive(Debug)]
pub struct Analysis {
    /// The model and the diagnostics, as `knet check` reports them.
    pub checked: Checked,
    /// The files that parse: navigation.
    index: Index,
    /// When some files do not parse: every file, those parsed tolerantly (completion).
    names: Option<Index>,
    broken: Vec<FileId>,
}

impl Analysis {
    pub fn new(sources: &Sources) -> Analysis {
        let parsed = crate::parse(sources);
        let checked = crate::check_parsed(sources, &parsed);
        let index = Index::build(&parsed.trees);
        let tolerant: Vec<ast::File> = parsed
            .broken
            .iter()
            .filter_map(|&id| {
                let file = sources.get(id)?;
                parse_tolerant(id, &file.text)
            })
            .collect();
        let names =
            (!parsed.broken.is_empty()).then(|| Index::build(parsed.trees.iter().chain(&tolerant)));
        Analysis {
            checked,
            names,
            broken: parsed.broken,
            index,
        }
    }

    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.checked.diagnostics
    }

    /// The index completion reads: every file, the broken ones parsed tolerantly.
    fn names(&self) -> &Index {
        self.names.as_ref().unwrap_or(&self.index)
    }

    /// The name at an offset, in a file that parses.
    fn symbol_at(&self, file: FileId, offset: usize) -> Option<&index::Occurrence> {
        if self.broken.contains(&file) {
            return None;
        }
        self.index.at(file, offset)
    }

    /// Where the name at the offset is defined (a namespace: each of its blocks).
    pub fn definition(&self, file: FileId, offset: usize) -> Vec<Span> {
        let Some(at) = self.symbol_at(file, offset) else {
            return Vec::new();
        };
        self.index
            .occurrences(&at.symbol)
            .filter(|o| o.detail.is_some())
            .map(|o| o.span)
            .collect()
    }

    /// Every occurrence of the name at the offset, definitions included, in file order.
    pub fn references(&self, file: FileId, offset: usize) -> Vec<Span> {
        let Some(at) = self.symbol_at(file, offset) else {
            return Vec::new();
        };
        self.index.occurrences(&at.symbol).map(|o| o.span).collect()
    }

    /// Markdown about what is at the offset: a name, a diagnostic code in a comment, or
    /// an `allow` statement.
    pub fn hover(&self, sources: &Sources, file: FileId, offset: usize) -> Option<String> {
        let text = &sources.get(file)?.text;
        if let Some(code) = hover::code_in_comment(text, offset) {
            return Some(code);
        }
        if let Some(at) = self.symbol_at(file, offset) {
            return hover::symbol(&self.index, at);
        }
        if self.broken.contains(&file) {
            return None;
        }
        let (span, _) = self.index.flow_at(file, offset)?;
        Some(hover::flow(sources, self.checked.model.as_ref(), span))
    }

    /// What may be written at the offset.
    pub fn completions(&self, sources: &Sources, file: FileId, offset: usize) -> Vec<Completion> {
        match sources.get(file) {
            Some(source) => complete::completions(self.names(), file, &source.text, offset),
            None => Vec::new(),
        }
    }

    /// The "did you mean" fixes of the unit's diagnostics.
    pub fn quick_fixes(&self, sources: &Sources) -> Vec<QuickFix> {
        fixes::quick_fixes(sources, self.diagnostics())
    }
}

/// [`Analysis::definition`] of a unit analysed for this one question.
pub fn definition(sources: &Sources, file: FileId, offset: usize) -> Vec<Span> {
    Analysis::new(sources).definition(file, offset)
}

/// [`Analysis::references`] of a unit analysed for this one question.
pub fn references(sources: &Sources, file: FileId, offset: usize) -> Vec<Span> {
    Analysis::new(sources).references(file, offset)
}

/// [`Analysis::hover`] of a unit analysed for this one question.
pub fn hover(sources: &Sources, file: FileId, offset: usize) -> Option<String> {
    Analysis::new(sources).hover(sources, file, offset)
}

/// [`Analysis::completions`] of a unit analysed for this one question.
pub fn completions(sources: &Sources, file: FileId, offset: usize) -> Vec<Completion> {
    Analysis::new(sources).completions(sources, file, offset)
}

/// How many rounds of blanking a tolerant parse tries before giving up.
const TOLERANT_ROUNDS: usize = 4;

/// The tree of a file with syntax errors, read as if their lines were blank (lines that
/// open or close a block are kept, so a file whose braces are broken has no tree).
fn parse_tolerant(file: FileId, text: &str) -> Option<ast::File> {
    let mut text = text.to_string();
    for _ in 0..TOLERANT_ROUNDS {
        match syntax::parse(file, &text) {
            Ok(tree) => return Some(tree),
            Err(errors) => {
                let mut blanked = false;
                for error in &errors {
                    blanked |= syntax::blank_line(&mut text, error.primary.span.start());
                }
                if !blanked {
                    return None;
                }
            }
        }
    }
    None
}
