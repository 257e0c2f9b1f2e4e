//! Quick fixes: every diagnostic whose help says "did you mean `X`?" (the form
//! `check/suggest.rs` is used with, and the syntax errors' keyword suggestions) becomes
//! an edit that writes `X` over the primary span.
//!
//! In: the sources and the unit's diagnostics. Out: [`QuickFix`]es. Where the suggestion
//! spells out more than the span covers (`did you mean `shop/api`?` on the namespace
//! alone, or on the app alone), the part already written around the span is left out of
//! the replacement.

use crate::diagnostic::Diagnostic;
use crate::source::{Sources, Span};

/// One edit that applies a suggestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuickFix {
    /// The index of the diagnostic it fixes.
    pub diagnostic: usize,
    /// "replace `apii` with `api`"
    pub title: String,
    pub span: Span,
    pub replacement: String,
}

const DID_YOU_MEAN: &str = "did you mean `";

pub fn quick_fixes(sources: &Sources, diagnostics: &[Diagnostic]) -> Vec<QuickFix> {
    diagnostics
        .iter()
        .enumerate()
        .filter_map(|(i, d)| fix(sources, i, d))
        .collect()
}

fn fix(sources: &Sources, index: usize, diagnostic: &Diagnostic) -> Option<QuickFix> {
    let help = diagnostic.help.as_deref()?;
    let start = help.find(DID_YOU_MEAN)? + DID_YOU_MEAN.len();
    let suggested = &help[start..start + help[start..].find('`')?];
    let span = diagnostic.primary.span;
    let text = &sources.get(span.file())?.text;
    let written = text.get(span.range())?;
    let replacement = around_span(text, span, written, suggested);
    if replacement == written || replacement.is_empty() {
        return None;
    }
    Some(QuickFix {
        diagnostic: index,
        title: format!("replace `{written}` with `{replacement}`"),
        span,
        replacement: replacement.to_string(),
    })
}

/// `NS/APP` suggested for a span that covers only one of its halves: the other half is
/// already written next to the span.
fn around_span<'a>(text: &str, span: Span, written: &str, suggested: &'a str) -> &'a str {
    let Some(slash) = suggested.find('/') else {
        return suggested;
    };
    if written.contains('/') {
        return suggested;
    }
    let (head, tail) = suggested.split_at(slash);
    if text[span.end()..].starts_with(tail) {
        return head;
    }
    let head_with_slash = &suggested[..=slash];
    if text[..span.start()].ends_with(head_with_slash) {
        return &tail[1..];
    }
    suggested
}
