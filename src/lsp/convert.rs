//! Between the protocol's terms and the library's: `file:` URIs and paths, LSP
//! positions (line and UTF-16 column) and byte offsets, knet diagnostics and LSP ones.
//!
//! Every conversion is total: a position past the end of a line or file is clamped to
//! it, a column inside a surrogate pair counts as the character's start, and a URI that
//! is not a `file:` URI simply has no path.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use knetc::diagnostic::{Diagnostic, Severity};
use knetc::source::{floor_boundary, SourceFile, Sources, Span};
use lsp_types::{
    DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Position, Range,
    Uri,
};

/// The path of a `file:` URI (`file:///a/b%20c.knet` → `/a/b c.knet`).
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let path = match rest.find('/') {
        Some(0) => rest,
        Some(slash) if matches!(&rest[..slash], "localhost") => &rest[slash..],
        _ => return None,
    };
    let mut bytes = Vec::with_capacity(path.len());
    let mut iter = path.bytes();
    while let Some(b) = iter.next() {
        if b == b'%' {
            let hex = [iter.next()?, iter.next()?];
            let hex = std::str::from_utf8(&hex).ok()?;
            bytes.push(u8::from_str_radix(hex, 16).ok()?);
        } else {
            bytes.push(b);
        }
    }
    String::from_utf8(bytes).ok().map(PathBuf::from)
}

/// The `file:` URI of an absolute path.
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let mut text = String::from("file://");
    for b in path.to_str()?.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            text.push(char::from(b));
        } else {
            text.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&text).ok()
}

/// The UTF-16 length of the byte-order mark the client's text starts with, when the
/// file had one (`Sources` drops it; the client counts it on line 0).
fn bom_units(file: &SourceFile, line: usize) -> usize {
    usize::from(line == 0 && file.bom_len > 0)
}

/// The byte offset of an LSP position.
pub fn offset(file: &SourceFile, position: Position) -> usize {
    let line = position.line as usize;
    let Some(range) = file.line_range(line) else {
        return file.text.len();
    };
    let mut units = (position.character as usize).saturating_sub(bom_units(file, line));
    let mut offset = range.start;
    for c in file.text.get(range).unwrap_or("").chars() {
        let width = c.len_utf16();
        if units < width {
            break;
        }
        units -= width;
        offset += c.len_utf8();
    }
    offset
}

/// The LSP position of a byte offset.
pub fn position(file: &SourceFile, offset: usize) -> Position {
    let offset = floor_boundary(&file.text, offset);
    let line = file.line_index(offset);
    let start = file.line_range(line).map_or(0, |r| r.start);
    let before = file.text.get(start..offset).unwrap_or("");
    let character = before.encode_utf16().count() + bom_units(file, line);
    Position::new(
        u32::try_from(line).unwrap_or(u32::MAX),
        u32::try_from(character).unwrap_or(u32::MAX),
    )
}

pub fn range(sources: &Sources, span: Span) -> Range {
    match sources.get(span.file()) {
        Some(file) => Range::new(position(file, span.start()), position(file, span.end())),
        None => Range::default(),
    }
}

/// A knet diagnostic as the protocol carries it: the code, the severity, the message
/// with the notes and the help under it, the secondary labels as related information.
/// `uri_of` gives the URI of a file of the unit.
pub fn diagnostic(
    sources: &Sources,
    diagnostic: &Diagnostic,
    uri_of: impl Fn(Span) -> Option<Uri>,
) -> lsp_types::Diagnostic {
    let mut message = diagnostic.message.clone();
    for note in &diagnostic.notes {
        message.push_str(&format!("\nnote: {note}"));
    }
    if let Some(help) = &diagnostic.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .secondary
        .iter()
        .filter_map(|label| {
            Some(DiagnosticRelatedInformation {
                location: Location::new(uri_of(label.span)?, range(sources, label.span)),
                message: label.message.clone(),
            })
        })
        .collect();
    lsp_types::Diagnostic {
        range: range(sources, diagnostic.primary.span),
        severity: Some(match diagnostic.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
        }),
        code: Some(NumberOrString::String(diagnostic.code.as_str().to_string())),
        source: Some("knet".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        let mut sources = Sources::new();
        let id = sources.add("f", text);
        sources.get(id).cloned().expect("file")
    }

    #[test]
    fn positions_count_utf16_units_and_clamp() {
        let f = file("a😀b\ncd\r\n");
        assert_eq!(offset(&f, Position::new(0, 3)), 5);
        // Inside the surrogate pair: the character's start.
        assert_eq!(offset(&f, Position::new(0, 2)), 1);
        assert_eq!(offset(&f, Position::new(0, 99)), 6);
        assert_eq!(offset(&f, Position::new(1, 99)), 9);
        assert_eq!(offset(&f, Position::new(7, 0)), f.text.len());
        assert_eq!(position(&f, 5), Position::new(0, 3));
        assert_eq!(position(&f, 3), Position::new(0, 1));
        assert_eq!(position(&f, 99), Position::new(2, 0));
    }

    #[test]
    fn a_byte_order_mark_counts_on_the_first_line() {
        let f = file("\u{feff}ab\nc");
        assert_eq!(offset(&f, Position::new(0, 2)), 1);
        assert_eq!(position(&f, 1), Position::new(0, 2));
        assert_eq!(position(&f, 3), Position::new(1, 0));
    }

    #[test]
    fn file_uris_round_trip() {
        let path = Path::new("/tmp/a b/ü.knet");
        let uri = path_to_uri(path).expect("uri");
        assert_eq!(uri.as_str(), "file:///tmp/a%20b/%C3%BC.knet");
        assert_eq!(uri_to_path(&uri).as_deref(), Some(path));
        let other = Uri::from_str("untitled:Untitled-1").expect("uri");
        assert_eq!(uri_to_path(&other), None);
    }
}
