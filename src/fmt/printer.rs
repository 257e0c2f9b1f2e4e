//! The line printer: indentation, blank lines, and comments put back where they were.
//!
//! Nodes are printed in source order. Before a node, [`Printer::at`] prints every
//! comment that stood before it: a comment alone on its line as its own line, a comment
//! after code at the end of the line it followed. A blank line in the source before a
//! node or comment is kept (one at most), never right after `{` or before `}`.
//! A tree that was not parsed from text (what `knet import` builds) has no source and
//! no comments; only the canonical blank lines are printed.

use super::comments::Comment;

const INDENT: &str = "  ";

/// Lines longer than this are broken after the commas of their list.
pub const MAX_WIDTH: usize = 100;

pub struct Printer<'s> {
    source: &'s str,
    comments: Vec<Comment>,
    next_comment: usize,
    lines: Vec<String>,
    depth: usize,
    blank_wanted: bool,
    /// The last line opened a block (a trailing comment may follow its `{`).
    just_opened: bool,
}

impl<'s> Printer<'s> {
    /// A printer for a tree parsed from `source`, whose comments are `comments`.
    pub fn new(source: &'s str, comments: Vec<Comment>) -> Self {
        Printer {
            source,
            comments,
            next_comment: 0,
            lines: Vec::new(),
            depth: 0,
            blank_wanted: false,
            just_opened: false,
        }
    }

    /// Before the node that starts at byte `offset`: its comments, and a blank line if
    /// the source had one right before it.
    pub fn at(&mut self, offset: usize) {
        while let Some(comment) = self.comments.get(self.next_comment) {
            if comment.offset >= offset {
                break;
            }
            let comment = comment.clone();
            self.next_comment += 1;
            if !comment.own_line && !self.lines.is_empty() {
                if let Some(last) = self.lines.last_mut() {
                    last.push_str("  ");
                    last.push_str(&comment.text);
                }
                continue;
            }
            if self.blank_line_before(comment.offset) {
                self.blank();
            }
            self.line(comment.text);
        }
        if self.blank_line_before(offset) {
            self.blank();
        }
    }

    /// Before a statement whose first part is printed on one line although its source ran
    /// over several (an `allow` line's sources): the comments inside it before `until`,
    /// each on its own line above the statement. A `# knet: allow(CODE)` comment there
    /// then still comes right before the line with the warning it silences.
    pub fn hoist(&mut self, until: usize) {
        while let Some(comment) = self.comments.get(self.next_comment) {
            if comment.offset >= until {
                break;
            }
            let text = comment.text.clone();
            self.next_comment += 1;
            self.line(text);
        }
    }

    /// Asks for a blank line before the next line (none after `{` or at the start).
    pub fn blank(&mut self) {
        self.blank_wanted = true;
    }

    /// One line at the current depth.
    pub fn line(&mut self, text: impl AsRef<str>) {
        let text = text.as_ref();
        if std::mem::take(&mut self.blank_wanted) {
            let at_start = self.lines.last().is_none_or(String::is_empty);
            if !at_start && !self.just_opened {
                self.lines.push(String::new());
            }
        }
        self.lines
            .push(format!("{}{text}", INDENT.repeat(self.depth)));
        self.just_opened = false;
    }

    /// `head` followed by a comma-separated list of `(offset, text)` items: on one line
    /// when it fits in [`MAX_WIDTH`], otherwise broken after commas, each continuation
    /// aligned under the first item. A list with comments between its items keeps one
    /// item per line, each with its comments.
    pub fn list(&mut self, head: &str, items: &[(usize, String)], tail: &str) {
        let texts: Vec<&str> = items.iter().map(|(_, t)| t.as_str()).collect();
        let column = head.chars().count();
        let first = items.first().map_or(0, |(o, _)| *o);
        let last = items.last().map_or(0, |(o, _)| *o);
        let commented = self.comments[self.next_comment..]
            .iter()
            .any(|c| first < c.offset && c.offset < last);
        if commented {
            for (i, (offset, text)) in items.iter().enumerate() {
                let end = if i + 1 == items.len() { tail } else { "," };
                if i == 0 {
                    self.line(format!("{head}{text}{end}"));
                } else {
                    self.at(*offset);
                    self.blank_wanted = false;
                    self.line(format!("{}{text}{end}", " ".repeat(column)));
                }
            }
            return;
        }
        let one_line = format!("{head}{}{tail}", texts.join(", "));
        let indent = INDENT.len() * self.depth;
        if indent + one_line.chars().count() <= MAX_WIDTH || items.len() < 2 {
            self.line(one_line);
            return;
        }
        let mut current = head.to_string();
        let mut lines = Vec::new();
        for (i, item) in texts.iter().enumerate() {
            let piece = if i + 1 == texts.len() {
                format!("{item}{tail}")
            } else {
                format!("{item},")
            };
            let fresh = current.chars().count() == column;
            if !fresh && indent + current.chars().count() + 1 + piece.chars().count() > MAX_WIDTH {
                lines.push(current.trim_end().to_string());
                current = " ".repeat(column);
            } else if !fresh {
                current.push(' ');
            }
            current.push_str(&piece);
        }
        lines.push(current);
        for line in lines {
            self.line(line);
        }
    }

    /// `text {`, and what follows is one level deeper.
    pub fn open(&mut self, text: impl AsRef<str>) {
        self.line(format!("{} {{", text.as_ref()));
        self.just_opened = true;
        self.depth += 1;
    }

    /// The comments inside the block before its `}` at `close`, then `}`.
    pub fn close(&mut self, close: usize) {
        self.at(close);
        self.blank_wanted = false;
        self.depth = self.depth.saturating_sub(1);
        self.line("}");
    }

    /// The text, with the comments after the last node.
    pub fn finish(mut self) -> String {
        self.depth = 0;
        self.at(usize::MAX);
        let mut text = self.lines.join("\n");
        text.push('\n');
        text
    }

    /// Whether the line before the one holding `offset` is blank in the source.
    fn blank_line_before(&self, offset: usize) -> bool {
        let Some(before) = self.source.get(..offset.min(self.source.len())) else {
            return false;
        };
        let Some(line_start) = before.rfind('\n') else {
            return false;
        };
        let previous = &before[..line_start];
        let previous_line = previous
            .rfind('\n')
            .map_or(previous, |i| &previous[i + 1..]);
        offset <= self.source.len() && !previous.is_empty() && previous_line.trim().is_empty()
    }
}
