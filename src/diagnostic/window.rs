//! The part of a file one diagnostic shows: the lines its labels touch, each cut to
//! windows around the labels' ends when it is long.
//!
//! In: a [`SourceFile`] and the byte offsets a diagnostic's labels start and end at.
//! Out: a [`FileView`], a small text of just those lines (each ending in `\n`), with a
//! map between offsets of the file and offsets of the view. The renderer hands the view
//! to codespan-reporting instead of the whole file, so that a diagnostic on a 1 MB line
//! prints about [`WINDOW`] characters on either side of each label end, with `…` where
//! the line was cut, and line numbers and columns stay those of the file.
//!
//! Nothing here scans a whole line or file: each window walks at most [`WINDOW`]
//! characters from its point, and columns come from [`SourceFile::line_column`].
//! Control characters (other than tab) are shown as their Unicode control pictures
//! (`␀`, `␛`), so that a source line cannot send escape sequences to the terminal.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::source::{ceil_boundary, floor_boundary, SourceFile};

/// Characters shown on either side of each label's start and end on a long line.
pub const WINDOW: usize = 60;

/// Lines up to this many bytes are shown whole.
const SHORT_LINE: usize = 2 * WINDOW + 40;

/// Lines after the start of a multi-line label that codespan-reporting may show
/// (its `start_context_lines`, 3), and before its end (`end_context_lines`, 1), plus one.
const AFTER_START: usize = 4;
const BEFORE_END: usize = 2;

/// A run of the view copied from (or standing for) a run of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Piece {
    real: Range<usize>,
    view: Range<usize>,
}

/// One line of the file as the view shows it.
#[derive(Debug, Clone)]
struct ViewLine {
    /// 0-based line index in the file.
    index: usize,
    /// Where the line starts and ends (before its `\n`) in the view.
    view: Range<usize>,
    pieces: Vec<Piece>,
}

/// The lines of one file that one diagnostic shows.
#[derive(Debug, Clone)]
pub struct FileView<'a> {
    pub file: &'a SourceFile,
    pub text: String,
    lines: Vec<ViewLine>,
}

impl<'a> FileView<'a> {
    /// The view of `file` for labels starting and ending at `points` (byte offsets).
    pub fn new(file: &'a SourceFile, points: &[(usize, usize)]) -> Self {
        let last_line = file.line_count().saturating_sub(1);
        // Line index -> the points on it.
        let mut wanted: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for &(start, end) in points {
            let start = floor_boundary(&file.text, start);
            let end = floor_boundary(&file.text, end.max(start));
            let (first, last) = (file.line_index(start), file.line_index(end));
            wanted.entry(first).or_default().push(start);
            wanted.entry(last).or_default().push(end);
            let context = (first..=last.min(first + AFTER_START))
                .chain(last.saturating_sub(BEFORE_END).max(first)..=last);
            for line in context {
                wanted.entry(line).or_default();
            }
        }
        // A line between two shown lines is shown rather than elided: add each
        // neighbour, so that whichever one codespan-reporting shows is there.
        let neighbours: Vec<usize> = wanted
            .keys()
            .flat_map(|&line| [line.saturating_sub(1), (line + 1).min(last_line)])
            .collect();
        for line in neighbours {
            wanted.entry(line).or_default();
        }
        let mut view = FileView {
            file,
            text: String::new(),
            lines: Vec::new(),
        };
        for (index, points) in wanted {
            if let Some(range) = file.line_range(index) {
                view.push_line(index, range, &points);
            }
        }
        view
    }

    fn push_line(&mut self, index: usize, line: Range<usize>, points: &[usize]) {
        let text = &self.file.text;
        let windows: Vec<Range<usize>> = if line.len() <= SHORT_LINE {
            vec![line.clone()]
        } else {
            let mut points = points.to_vec();
            if points.is_empty() {
                points.push(line.start);
            }
            points.sort_unstable();
            let mut windows: Vec<Range<usize>> = Vec::new();
            for point in points {
                let point = point.clamp(line.start, line.end);
                let window = back(text, point, line.start)..forward(text, point, line.end);
                match windows.last_mut() {
                    Some(last) if window.start <= last.end => last.end = last.end.max(window.end),
                    _ => windows.push(window),
                }
            }
            windows
        };
        let start = self.text.len();
        let mut pieces = Vec::new();
        let mut at = line.start;
        for window in windows {
            if window.start > at {
                self.text.push('…');
            }
            self.copy(window.clone(), &mut pieces);
            at = window.end;
        }
        if at < line.end {
            self.text.push('…');
        }
        let end = self.text.len();
        self.text.push('\n');
        self.lines.push(ViewLine {
            index,
            view: start..end,
            pieces,
        });
    }

    /// Copies a run of the file, control characters replaced by their pictures.
    fn copy(&mut self, real: Range<usize>, pieces: &mut Vec<Piece>) {
        let run = self.file.text.get(real.clone()).unwrap_or("");
        let mut copied = real.start;
        for (offset, c) in run.char_indices() {
            let Some(picture) = picture(c) else {
                continue;
            };
            let at = real.start + offset;
            self.verbatim(copied..at, pieces);
            let view_start = self.text.len();
            self.text.push(picture);
            pieces.push(Piece {
                real: at..at + c.len_utf8(),
                view: view_start..self.text.len(),
            });
            copied = at + c.len_utf8();
        }
        self.verbatim(copied..real.end, pieces);
    }

    fn verbatim(&mut self, real: Range<usize>, pieces: &mut Vec<Piece>) {
        let view_start = self.text.len();
        self.text
            .push_str(self.file.text.get(real.clone()).unwrap_or(""));
        pieces.push(Piece {
            real,
            view: view_start..self.text.len(),
        });
    }

    /// The view offset showing a file offset (the nearest shown one, if it was cut).
    pub fn to_view(&self, real: usize) -> usize {
        let real = floor_boundary(&self.file.text, real);
        let index = self.file.line_index(real);
        let Ok(position) = self.lines.binary_search_by_key(&index, |l| l.index) else {
            return self.text.len();
        };
        let Some(line) = self.lines.get(position) else {
            return self.text.len();
        };
        through(&line.pieces, real, |p| &p.real, |p| &p.view)
    }

    /// The file offset a view offset shows.
    pub fn to_real(&self, view: usize) -> usize {
        let Some(line) = self.line_at(view) else {
            return self.file.text.len();
        };
        through(&line.pieces, view, |p| &p.view, |p| &p.real)
    }

    /// The file's line index of a view offset (the last line past the end).
    pub fn line_index(&self, view: usize) -> usize {
        self.line_at(view)
            .or(self.lines.last())
            .map_or(0, |line| line.index)
    }

    /// The view range of a file line, with its `\n`; an empty range at the end of the
    /// view for a line of the file the view does not show; `None` past the file's end.
    pub fn line_range(&self, index: usize) -> Option<Range<usize>> {
        match self.lines.binary_search_by_key(&index, |l| l.index) {
            Ok(position) => self
                .lines
                .get(position)
                .map(|line| line.view.start..line.view.end + 1),
            Err(_) if index < self.file.line_count() => Some(self.text.len()..self.text.len()),
            Err(_) => None,
        }
    }

    fn line_at(&self, view: usize) -> Option<&ViewLine> {
        let position = match self.lines.binary_search_by_key(&view, |l| l.view.start) {
            Ok(position) => position,
            Err(next) => next.checked_sub(1)?,
        };
        self.lines.get(position)
    }
}

/// Maps an offset on one side of a line's pieces (`from`: the file or the view) to the
/// other (`to`). An offset in a cut (`…`) maps to the end of the piece before it, or the
/// start of the first piece; inside a replaced character, to its start or end.
fn through(
    pieces: &[Piece],
    at: usize,
    from: fn(&Piece) -> &Range<usize>,
    to: fn(&Piece) -> &Range<usize>,
) -> usize {
    let mut nearest = pieces.first().map_or(0, |p| to(p).start);
    for piece in pieces {
        let (source, target) = (from(piece), to(piece));
        if at < source.start {
            return nearest;
        }
        if at <= source.end {
            return if source.len() == target.len() {
                target.start + (at - source.start)
            } else if at == source.start {
                target.start
            } else {
                target.end
            };
        }
        nearest = target.end;
    }
    nearest
}

/// The start of the window of [`WINDOW`] characters before `point`.
fn back(text: &str, point: usize, line_start: usize) -> usize {
    let before = text.get(line_start..point).unwrap_or("");
    before
        .char_indices()
        .rev()
        .nth(WINDOW - 1)
        .map_or(line_start, |(offset, _)| line_start + offset)
}

/// The end of the window of [`WINDOW`] characters from `point`.
fn forward(text: &str, point: usize, line_end: usize) -> usize {
    let after = text.get(point..line_end).unwrap_or("");
    after
        .char_indices()
        .nth(WINDOW)
        .map_or(line_end, |(offset, _)| ceil_boundary(text, point + offset))
}

/// What a control character is shown as: its Unicode control picture.
fn picture(c: char) -> Option<char> {
    match c {
        '\t' => None,
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + u32::from(c)),
        '\u{7f}' => Some('\u{2421}'),
        c if c.is_control() => Some('\u{fffd}'),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Sources;

    fn sources(text: &str) -> Sources {
        let mut sources = Sources::new();
        sources.add("f.knet", text);
        sources
    }

    fn view_of<'a>(sources: &'a Sources, points: &[(usize, usize)]) -> FileView<'a> {
        let file = sources
            .get(crate::source::FileId(0))
            .expect("one file was added");
        FileView::new(file, points)
    }

    #[test]
    fn short_lines_are_shown_whole() {
        let s = sources("a\nbb\ncc\ndd\nee\n");
        let view = view_of(&s, &[(3, 4)]);
        // The line and its neighbours.
        assert_eq!(view.text, "a\nbb\ncc\n");
        assert_eq!(view.to_view(3), 3);
        assert_eq!(view.to_real(3), 3);
        assert_eq!(view.line_index(3), 1);
        assert_eq!(view.line_range(1), Some(2..5));
        assert_eq!(view.line_range(4), Some(8..8));
        assert_eq!(view.line_range(6), None);
    }

    #[test]
    fn a_long_line_is_cut_around_the_label() {
        let line = "x".repeat(1000) + "BAD" + &"y".repeat(1000);
        let s = sources(&format!("first\n{line}\nlast\n"));
        let bad = 6 + 1000;
        let view = view_of(&s, &[(bad, bad + 3)]);
        let shown = view.text.lines().nth(1).expect("the long line");
        let expected = format!("…{}BAD{}…", "x".repeat(WINDOW), "y".repeat(WINDOW));
        assert_eq!(shown, expected);
        let at = view.to_view(bad);
        assert_eq!(view.text.get(at..at + 3), Some("BAD"));
        assert_eq!(view.to_real(at), bad);
        assert_eq!(view.line_index(at), 1);
        // The column is the file's.
        assert_eq!(
            s.get(crate::source::FileId(0))
                .map(|f| f.line_column(view.to_real(at))),
            Some((2, 1001))
        );
    }

    #[test]
    fn far_apart_labels_on_one_line_get_a_window_each() {
        let line = "a".repeat(500) + "B" + &"c".repeat(500) + "D" + &"e".repeat(500);
        let s = sources(&line);
        let view = view_of(&s, &[(500, 501), (1001, 1002)]);
        assert_eq!(view.text.matches('…').count(), 3, "{}", view.text);
        for real in [500, 1001] {
            let at = view.to_view(real);
            assert_eq!(view.to_real(at), real);
        }
        // A label from B to D spans the cut between them.
        let (from, to) = (view.to_view(500), view.to_view(1002));
        assert!(view.text.get(from..to).is_some_and(|t| t.contains('…')));
    }

    #[test]
    fn control_characters_are_shown_as_pictures() {
        let s = sources("a\u{0}b\u{1b}[31mc\n");
        let view = view_of(&s, &[(3, 4)]);
        // The line and the empty line after the last line feed.
        assert_eq!(view.text, "a\u{2400}b\u{241b}[31mc\n\n");
        let at = view.to_view(3);
        assert_eq!(view.text.get(at..at + 3), Some("\u{241b}"));
        assert_eq!(view.to_view(4), at + 3);
        assert_eq!(view.to_real(at + 3), 4);
    }

    #[test]
    fn multibyte_text_is_cut_on_character_boundaries() {
        let line = "é".repeat(400) + "X" + &"ü".repeat(400);
        let s = sources(&line);
        let x = 800;
        let view = view_of(&s, &[(x, x + 1)]);
        assert_eq!(view.text.chars().filter(|&c| c == 'é').count(), WINDOW);
        assert_eq!(view.text.chars().filter(|&c| c == 'ü').count(), WINDOW);
        let at = view.to_view(x);
        assert_eq!(view.text.get(at..at + 1), Some("X"));
    }
}
