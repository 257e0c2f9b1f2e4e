//! Writes YAML documents as they are made, in the block style of `kubectl get -o yaml`:
//! the emitters call a [`Map`] or a [`Seq`] field by field, and the text goes straight
//! into the output buffer. No tree of the document is built, so none is allocated or
//! freed: at 10,000 apps that was a sixth of `build`.
//!
//! Layout: a map's entries at its indentation, a nested map two deeper, a sequence
//! under a key at the key's indentation (as kubectl writes it), an empty map `{}` and
//! an empty sequence `[]` on the key's line. A container does not know whether it is
//! empty until it closes, so its first entry writes the line break its key left open,
//! and a container that stays empty writes `{}` or `[]`, or, when it is one to leave
//! out, takes its key back: a document is written into a `String` (the sink writes its
//! buffer out only between documents), so that text is still there to remove.

use super::yaml::{pad, plain_is_safe, push_scalar};
use crate::sink::Sink;

/// How a container's first entry starts: after a key (`key:`, then a line break and
/// the indentation), or where the text already is (after `- ` or `---`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Opening {
    AfterKey,
    InPlace,
}

/// What a map and a sequence share: where they write, at which indentation, how their
/// first entry starts, and how many entries they have.
struct Block<'o> {
    out: &'o mut String,
    indent: usize,
    opening: Opening,
    entries: usize,
}

impl<'o> Block<'o> {
    fn new(out: &'o mut String, indent: usize, opening: Opening) -> Self {
        Block {
            out,
            indent,
            opening,
            entries: 0,
        }
    }

    /// Starts an entry: the line break and indentation before it.
    fn start(&mut self) {
        if self.entries > 0 || self.opening == Opening::AfterKey {
            if self.entries == 0 {
                self.out.push('\n');
            }
            pad(self.out, self.indent);
        }
        self.entries += 1;
    }

    /// Ends the block: `empty` (`{}` or `[]`) when nothing was written in it.
    fn end(self, empty: &str) {
        if self.entries > 0 {
            return;
        }
        if self.opening == Opening::AfterKey {
            self.out.push(' ');
        }
        self.out.push_str(empty);
        self.out.push('\n');
    }
}

/// The entries of one block map.
pub struct Map<'o>(Block<'o>);

/// The items of one block sequence.
pub struct Seq<'o>(Block<'o>);

/// One document, starting with `---`, whose top level is the map `write` fills.
pub fn document(out: &mut Sink, write: impl FnOnce(&mut Map)) {
    let out: &mut String = out;
    out.push_str("---\n");
    let mut map = Map(Block::new(out, 0, Opening::InPlace));
    write(&mut map);
    map.0.end("{}");
}

impl Map<'_> {
    /// `key:` for a field name of the Kubernetes API (fixed and plain).
    fn field(&mut self, key: &'static str) {
        debug_assert!(plain_is_safe(key), "field `{key}` needs quoting");
        self.0.start();
        self.0.out.push_str(key);
        self.0.out.push(':');
    }

    /// `key: value`.
    pub fn str(&mut self, key: &'static str, value: &str) {
        self.field(key);
        self.0.out.push(' ');
        push_scalar(self.0.out, value);
        self.0.out.push('\n');
    }

    /// `key: value` when there is a value.
    pub fn opt_str(&mut self, key: &'static str, value: Option<&str>) {
        if let Some(value) = value {
            self.str(key, value);
        }
    }

    /// `key: 123`.
    pub fn int(&mut self, key: &'static str, value: impl Into<i64>) {
        self.field(key);
        self.0.out.push(' ');
        self.0
            .out
            .push_str(itoa::Buffer::new().format(value.into()));
        self.0.out.push('\n');
    }

    /// `key: 123` when there is a value.
    pub fn opt_int(&mut self, key: &'static str, value: Option<impl Into<i64>>) {
        if let Some(value) = value {
            self.int(key, value);
        }
    }

    /// `key: VALUE` for a key of the model (a label's), quoted when YAML needs it.
    pub fn text(&mut self, key: &str, value: &str) {
        self.0.start();
        push_scalar(self.0.out, key);
        self.0.out.push_str(": ");
        push_scalar(self.0.out, value);
        self.0.out.push('\n');
    }

    /// `key:` and the map `write` fills, not yet ended.
    fn map_under(&mut self, key: &'static str, write: impl FnOnce(&mut Map)) -> Block<'_> {
        self.field(key);
        let mut inner = Map(Block::new(self.0.out, self.0.indent + 2, Opening::AfterKey));
        write(&mut inner);
        inner.0
    }

    /// `key:` and the sequence `write` fills, not yet ended: at the key's indentation.
    fn seq_under(&mut self, key: &'static str, write: impl FnOnce(&mut Seq)) -> Block<'_> {
        self.field(key);
        let mut inner = Seq(Block::new(self.0.out, self.0.indent, Opening::AfterKey));
        write(&mut inner);
        inner.0
    }

    /// Runs `write`, which writes one entry and says how many entries its map or
    /// sequence got; with none, the entry is taken back, key and all.
    fn unless_empty(&mut self, write: impl FnOnce(&mut Self) -> usize) {
        let (mark, entries) = (self.0.out.len(), self.0.entries);
        if write(self) == 0 {
            self.0.out.truncate(mark);
            self.0.entries = entries;
        }
    }

    /// A nested map (`{}` when `write` adds nothing).
    pub fn map(&mut self, key: &'static str, write: impl FnOnce(&mut Map)) {
        self.map_under(key, write).end("{}");
    }

    /// A nested map, left out when `write` adds nothing.
    pub fn map_if_any(&mut self, key: &'static str, write: impl FnOnce(&mut Map)) {
        self.unless_empty(|map| map.map_under(key, write).entries);
    }

    /// A map of strings (labels, selectors, annotations); `{}` when empty.
    pub fn strings<'a>(
        &mut self,
        key: &'static str,
        pairs: impl IntoIterator<Item = (&'a String, &'a String)>,
    ) {
        self.map(key, |map| {
            pairs.into_iter().for_each(|(k, v)| map.text(k, v))
        });
    }

    /// A sequence (`[]` when `write` adds nothing), at the key's indentation.
    pub fn seq(&mut self, key: &'static str, write: impl FnOnce(&mut Seq)) {
        self.seq_under(key, write).end("[]");
    }

    /// A sequence, left out when `write` adds nothing.
    pub fn seq_if_any(&mut self, key: &'static str, write: impl FnOnce(&mut Seq)) {
        self.unless_empty(|map| map.seq_under(key, write).entries);
    }
}

impl Seq<'_> {
    /// Starts an item: the line break and indentation, then `- `.
    fn start(&mut self) {
        self.0.start();
        self.0.out.push_str("- ");
    }

    /// `- value`.
    pub fn str(&mut self, value: &str) {
        self.start();
        push_scalar(self.0.out, value);
        self.0.out.push('\n');
    }

    /// `- ` and a map (`- {}` when `write` adds nothing).
    pub fn map(&mut self, write: impl FnOnce(&mut Map)) {
        self.start();
        let mut inner = Map(Block::new(self.0.out, self.0.indent + 2, Opening::InPlace));
        write(&mut inner);
        inner.0.end("{}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(write: impl FnOnce(&mut Map)) -> String {
        crate::sink::to_string(|out| document(out, write))
    }

    #[test]
    fn block_layout() {
        let text = written(|doc| {
            doc.str("a", "x");
            doc.map("empty", |_| {});
            doc.seq("list", |list| {
                list.map(|item| {
                    item.str("k", "v");
                    item.int("m", 1);
                });
                list.str("s");
                list.map(|_| {});
            });
            doc.map("nested", |nested| {
                nested.seq("b", |_| {});
                nested.seq("c", |c| c.str("d"));
            });
        });
        assert_eq!(
            text,
            "---\na: x\nempty: {}\nlist:\n- k: v\n  m: 1\n- s\n- {}\nnested:\n  b: []\n  c:\n  - d\n"
        );
    }

    #[test]
    fn containers_left_out_when_empty_take_their_key_back() {
        let text = written(|doc| {
            doc.seq_if_any("gone", |_| {});
            doc.map_if_any("gone-too", |inner| inner.seq_if_any("x", |_| {}));
            doc.map("kept", |kept| {
                kept.seq_if_any("gone", |_| {});
                kept.map_if_any("here", |here| here.str("k", "v"));
            });
            doc.seq_if_any("first", |first| first.str("only"));
        });
        assert_eq!(text, "---\nkept:\n  here:\n    k: v\nfirst:\n- only\n");
        assert_eq!(written(|doc| doc.seq_if_any("gone", |_| {})), "---\n{}\n");
    }

    proptest::proptest! {
        /// Any string, as a key and as a value, reads back as itself.
        #[test]
        fn strings_round_trip(s in "\\PC{0,12}|[ -~]{0,12}|[0-9a-fA-FxXoObB._:+-]{1,8}") {
            let text = written(|doc| doc.text(&s, &s));
            let parsed: serde_yaml::Value = serde_yaml::from_str(text.trim_start_matches("---\n"))
                .map_err(|e| proptest::test_runner::TestCaseError::fail(format!("{e}: {text}")))?;
            let map = parsed.as_mapping().cloned().unwrap_or_default();
            let (key, value) = map.iter().next().expect("one entry");
            proptest::prop_assert_eq!(key.as_str(), Some(s.as_str()), "{}", text);
            proptest::prop_assert_eq!(value.as_str(), Some(s.as_str()), "{}", text);
        }
    }
}
