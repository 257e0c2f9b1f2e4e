//! Source files and byte spans into them.
//!
//! The CLI reads files and registers them here; every later stage refers to text by
//! [`Span`] (a file id and a byte range), and diagnostics turn spans into lines and
//! columns through [`Sources`].
//!
//! Two things are undone on the way in, both without moving any later byte: a UTF-8
//! byte-order mark at the start is dropped (editors on Windows write one; its length is
//! kept so that byte offsets shown to tools still count from the start of the file on
//! disk), and a lone carriage return (old Mac line ending) becomes a line feed. The
//! grammar already ends a line at either; doing it here means every other reader of the
//! text (line numbers, `knet: allow` comments, syntax recovery, the renderer) sees one
//! kind of line ending.
//!
//! Line starts are computed once per file, and so are character counts at checkpoints
//! of a file that is not ASCII: finding the line and column of an offset is a binary
//! search and a scan of at most [`CHECKPOINT`] bytes, however long the line.

use std::ops::Range;

use crate::collections::narrow;

/// Index of a file in [`Sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FileId(pub usize);

/// A byte range in one source file.
///
/// Twelve bytes, not twenty-four: every node of the syntax tree and every flow of the
/// model holds spans, and at 100,000 apps they are a good part of `check`'s memory.
/// Offsets past 4 GiB (which no file read into memory here reaches) saturate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    file: u32,
    start: u32,
    end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span {
            file: narrow(file.0),
            start: narrow(start),
            end: narrow(end),
        }
    }

    pub fn file(&self) -> FileId {
        FileId(self.file as usize)
    }

    pub fn start(&self) -> usize {
        self.start as usize
    }

    pub fn end(&self) -> usize {
        self.end as usize
    }

    /// The smallest span covering both (they must be in the same file).
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn range(&self) -> Range<usize> {
        self.start()..self.end()
    }
}

/// The byte-order mark that some editors write at the start of a UTF-8 file.
const BOM: char = '\u{feff}';

/// Bytes between two character-count checkpoints of a non-ASCII file.
pub const CHECKPOINT: usize = 4096;

/// One source file: the name it is shown under and its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub name: String,
    /// The text, without a leading byte-order mark and with lone `\r` made `\n`.
    pub text: String,
    /// Byte offset of the start of each line, in four bytes ([`narrow`]: files over
    /// 4 GiB are refused): a file of 100,000 apps has a million lines.
    line_starts: Vec<u32>,
    /// `(byte offset, characters before it)` every [`CHECKPOINT`] bytes or so, on
    /// character boundaries; empty for an ASCII file, where both counts are equal.
    char_checkpoints: Vec<(usize, usize)>,
    /// For a file that is not UTF-8: where the first invalid byte is. `text` then holds
    /// the valid part before it.
    pub invalid_utf8_at: Option<usize>,
    /// Length of the byte-order mark dropped from the start of the file (0 or 3).
    pub bom_len: usize,
}

impl SourceFile {
    fn new(name: String, text: String, invalid_utf8: bool) -> Self {
        let (text, bom_len) = match text.strip_prefix(BOM) {
            Some(rest) => (rest.to_string(), BOM.len_utf8()),
            None => (text, 0),
        };
        let text = match with_line_feeds(&text) {
            std::borrow::Cow::Borrowed(_) => text,
            std::borrow::Cow::Owned(changed) => changed,
        };
        // memchr's search, not `match_indices`: a file of 100,000 apps has a million
        // short lines, and the char searcher's set-up per line cost more than the scan.
        let line_starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| narrow(i + 1)))
            .collect();
        let char_checkpoints = if text.is_ascii() {
            Vec::new()
        } else {
            checkpoints(&text)
        };
        SourceFile {
            name,
            invalid_utf8_at: invalid_utf8.then_some(text.len()),
            text,
            line_starts,
            char_checkpoints,
            bom_len,
        }
    }

    /// 0-based index of the line holding a byte offset.
    pub fn line_index(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        match self.line_starts.binary_search(&narrow(offset)) {
            Ok(line) => line,
            Err(next) => next.saturating_sub(1),
        }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// The byte range of a line, without its line ending (`\n` or `\r\n`).
    pub fn line_range(&self, line: usize) -> Option<Range<usize>> {
        let start = *self.line_starts.get(line)? as usize;
        let next = self
            .line_starts
            .get(line + 1)
            .map_or(self.text.len(), |&next| next as usize - 1);
        let bytes = self.text.as_bytes();
        let end = if next > start && next < bytes.len() && bytes.get(next - 1) == Some(&b'\r') {
            next - 1
        } else {
            next
        };
        Some(start..end.max(start))
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_column(&self, offset: usize) -> (usize, usize) {
        let offset = floor_boundary(&self.text, offset);
        let line = self.line_index(offset);
        let start = self
            .line_starts
            .get(line)
            .map_or(0, |&start| start as usize);
        let column = self.chars_before(offset) - self.chars_before(start);
        (line + 1, column + 1)
    }

    /// The number of characters before a byte offset (on a character boundary).
    fn chars_before(&self, offset: usize) -> usize {
        if self.char_checkpoints.is_empty() {
            return offset;
        }
        let index = match self
            .char_checkpoints
            .binary_search_by_key(&offset, |&(byte, _)| byte)
        {
            Ok(i) => i,
            Err(next) => next.saturating_sub(1),
        };
        let (byte, chars) = self.char_checkpoints.get(index).copied().unwrap_or((0, 0));
        chars
            + self
                .text
                .get(byte..offset)
                .map_or(offset.saturating_sub(byte), |s| s.chars().count())
    }

    /// The text of a span of this file (empty if the span is not on character
    /// boundaries, which the parser never produces).
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }
}

/// The largest character boundary at or before `offset`, within the text.
pub fn floor_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// The smallest character boundary at or after `offset`, within the text.
pub fn ceil_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset += 1;
    }
    offset
}

fn checkpoints(text: &str) -> Vec<(usize, usize)> {
    let mut out = vec![(0, 0)];
    let mut chars = 0;
    let mut byte = 0;
    while byte < text.len() {
        let next = ceil_boundary(text, byte + CHECKPOINT);
        chars += text.get(byte..next).map_or(0, |s| s.chars().count());
        out.push((next, chars));
        byte = next;
    }
    out
}

/// `text` with each `\r` not followed by `\n` made a `\n`: the grammar ends a line at a
/// carriage return alone (old Mac OS), and everything that reads lines after it
/// (diagnostics' line numbers, `allow` comments, the formatter's comments) splits at
/// `\n`. The same length, so no span moves.
pub fn with_line_feeds(text: &str) -> std::borrow::Cow<'_, str> {
    let bytes = text.as_bytes();
    let mut lone = memchr::memchr_iter(b'\r', bytes).filter(|&i| bytes.get(i + 1) != Some(&b'\n'));
    let Some(first) = lone.next() else {
        return std::borrow::Cow::Borrowed(text);
    };
    let mut changed = bytes.to_vec();
    for i in std::iter::once(first).chain(lone) {
        changed[i] = b'\n';
    }
    // One ASCII byte replaced by another keeps the text UTF-8.
    std::borrow::Cow::Owned(
        String::from_utf8(changed)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
    )
}

/// Every file of one compilation unit, in the order they were added.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> FileId {
        self.files
            .push(SourceFile::new(name.into(), text.into(), false));
        FileId(self.files.len() - 1)
    }

    /// A file that is not valid UTF-8: `valid` is its valid prefix; the checker reports
    /// `E0002` at its end.
    pub fn add_invalid_utf8(
        &mut self,
        name: impl Into<String>,
        valid: impl Into<String>,
    ) -> FileId {
        self.files
            .push(SourceFile::new(name.into(), valid.into(), true));
        FileId(self.files.len() - 1)
    }

    pub fn get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0)
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (FileId(i), f))
    }

    /// The text of a span.
    pub fn slice(&self, span: Span) -> &str {
        self.get(span.file()).map_or("", |f| f.slice(span))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_keeps_its_file_and_offsets() {
        let span = Span::new(FileId(3), 17, 4_000_000_000);
        assert_eq!(
            (span.file(), span.start(), span.end()),
            (FileId(3), 17, 4_000_000_000)
        );
        assert_eq!(
            Span::new(FileId(0), 1, 3)
                .to(Span::new(FileId(0), 2, 8))
                .range(),
            1..8
        );
    }

    fn file(text: &str) -> SourceFile {
        SourceFile::new("f".to_string(), text.to_string(), false)
    }

    /// Line and column by the obvious, slow method: count from the start.
    fn naive(text: &str, offset: usize) -> (usize, usize) {
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[start..].chars().count() + 1)
    }

    #[test]
    fn columns_count_characters_on_every_kind_of_line() {
        let long: String = "é".repeat(3 * CHECKPOINT) + "x\n" + &"ab\u{a0}".repeat(5000);
        for text in ["", "a", "a\nb\n", "é\nàb\nc", long.as_str()] {
            let f = file(text);
            for offset in (0..=text.len()).filter(|&o| text.is_char_boundary(o)) {
                assert_eq!(f.line_column(offset), naive(text, offset), "{offset}");
            }
        }
    }

    #[test]
    fn an_offset_inside_a_character_counts_as_its_start() {
        let f = file("aé");
        assert_eq!(f.line_column(2), (1, 2));
        assert_eq!(f.line_column(99), (1, 3));
    }

    #[test]
    fn a_byte_order_mark_is_dropped_and_remembered() {
        let f = file("\u{feff}namespace a {\n}\n");
        assert_eq!(f.text, "namespace a {\n}\n");
        assert_eq!(f.bom_len, 3);
        assert_eq!(f.line_column(0), (1, 1));
        // Only at the start: elsewhere it is text like any other.
        assert_eq!(file("a\u{feff}").text, "a\u{feff}");
    }

    #[test]
    fn carriage_returns_end_lines_alone_or_before_a_line_feed() {
        let old_mac = file("a\rbc\rd");
        assert_eq!(old_mac.text, "a\nbc\nd");
        assert_eq!(old_mac.line_column(3), (2, 2));
        assert_eq!(old_mac.line_column(5), (3, 1));
        let windows = file("a\r\nbc\r\nd");
        assert_eq!(windows.text, "a\r\nbc\r\nd");
        assert_eq!(windows.line_column(4), (2, 2));
        assert_eq!(windows.line_range(1), Some(3..5));
        assert_eq!(windows.line_range(2), Some(7..8));
        assert_eq!(windows.line_range(3), None);
    }
}
