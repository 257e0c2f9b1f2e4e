//! Parsing a file a piece at a time: each `cluster` and `namespaces` block, each
//! namespace's header and each run of up to sixteen namespace items goes to pest on its
//! own and is lowered at once.
//!
//! Why: pest keeps one token queue for all it parses, tens of bytes per token and
//! doubled as it grows. For a file of 100,000 apps that queue was most of `check`'s
//! memory, and walking it again to lower it missed the cache. A piece at a time, the
//! queue holds a few items. (Not one: each call to pest has a fixed cost and starts its
//! queue empty, and one item a call cost a tenth of the parse.)
//!
//! The driver walks the `file` and `namespace_block` rules of the grammar between the
//! pieces: the layout pest skips implicitly (spaces, tabs, comments), the line ends after
//! a block, a namespace's closing brace. Each piece is parsed by the grammar's own rules
//! from where the whole-file parse would be at that point, so the tree is the same (the
//! tests compare the two on every file they have). Anything the driver does not expect
//! gives `None`, and the caller parses the whole file as one: that is where syntax errors
//! come from, so their wording and recovery do not depend on this module.
//!
//! The pieces are parsed by a parser of their own ([`PieceParser`]): the knet grammar
//! with `grammar/pieces-tokens.pest` for `tokens.pest`. Its line ends, `{`, `->`, `:`
//! and the keywords `app`, `labels` and `port` are silent (lowering drops them, so the
//! trees lower alike), and its `name` scans for the end of a name instead of testing a
//! character class per character. That `name` takes more than the other does, and a
//! silent keyword's end is not tested by the grammar, so every name it read and every
//! such keyword's end are checked ([`Loose`]); a piece that the other rules
//! would not read gives `None`, and the whole-file parse says what is wrong.

use std::sync::OnceLock;

use pest::Parser;

use super::ast::{File, Item};
use super::lower::{self, Origin};
use super::tree::{GrammarRule, Tree};
use super::Rule;
use crate::source::{FileId, Span};

/// The parser of the pieces: `knet.pest` with `pieces-tokens.pest`.
mod grammar {
    #[derive(pest_derive::Parser)]
    #[grammar = "../grammar/knet.pest"]
    #[grammar = "../grammar/pieces-tokens.pest"]
    pub struct PieceParser;
}

use grammar::PieceParser;

/// A piece rule is the knet rule of the same name: matched by name, so that the two
/// token files need not list their rules in the same order. The table is made once and
/// indexed by the piece rule.
impl GrammarRule for grammar::Rule {
    fn knet(self) -> Rule {
        static KNET: OnceLock<Vec<Rule>> = OnceLock::new();
        let table = KNET.get_or_init(|| {
            let knet: crate::collections::HashMap<String, Rule> = Rule::all_rules()
                .iter()
                .chain([&Rule::EOI])
                .map(|&rule| (format!("{rule:?}"), rule))
                .collect();
            let pieces = grammar::Rule::all_rules()
                .iter()
                .chain([&grammar::Rule::EOI]);
            let mut table =
                vec![Rule::EOI; pieces.clone().map(|&r| r as usize + 1).max().unwrap_or(0)];
            for &piece in pieces {
                if let Some(&rule) = knet.get(&format!("{piece:?}")) {
                    table[piece as usize] = rule;
                }
            }
            table
        });
        table.get(self as usize).copied().unwrap_or(Rule::EOI)
    }
}

/// A character `tokens.pest`'s `name_char` takes (its `-` only before anything but `>`,
/// which callers that need it test themselves).
fn name_char(c: char) -> bool {
    pest::unicode::XID_CONTINUE(c) || matches!(c, '.' | '-')
}

/// Whether `tokens.pest`'s `name` reads this text, which the piece parser read as a name
/// (and which starts with a character of `XID_Continue`, as in both): letters and digits
/// of any script, `_`, `.` and `-` (never before `>`: the piece parser stops at `->`).
fn strict_name(text: &str) -> bool {
    text.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
        || text.chars().all(name_char)
}

/// Whether a keyword ends where `text` starts, as `keyword_end` says: at a space, or
/// anywhere but before a name character (`-` one only when `>` does not follow it).
fn keyword_ends(text: &str) -> bool {
    let mut chars = text.chars();
    match chars.next() {
        None | Some(' ') => true,
        Some('-') => chars.next() == Some('>'),
        Some(c) => !name_char(c),
    }
}

/// A rule the piece parser reads more loosely than `tokens.pest` does, and what is
/// checked of its text after a piece is parsed.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Loose {
    /// `name`, which scans for its end: checked by [`strict_name`].
    Name,
    /// A rule that begins with this keyword, which the piece parser reads silently and
    /// without its end: checked by [`keyword_ends`] (a test holds these to `knet.pest`).
    Keyword(&'static str),
}

impl Loose {
    fn of(rule: Rule) -> Option<Loose> {
        match rule {
            Rule::name => Some(Loose::Name),
            Rule::app_block => Some(Loose::Keyword("app")),
            Rule::labels_line | Rule::labels_clause => Some(Loose::Keyword("labels")),
            Rule::port_line | Rule::port_clause | Rule::external_port_line => {
                Some(Loose::Keyword("port"))
            }
            _ => None,
        }
    }

    /// Whether `tokens.pest` reads `text` as the piece parser read it.
    fn strictly_read(self, text: &str) -> bool {
        match self {
            Loose::Name => strict_name(text),
            Loose::Keyword(keyword) => keyword_ends(text.get(keyword.len()..).unwrap_or("")),
        }
    }
}

/// The file's tree, if every piece parses; `None` otherwise.
pub(super) fn parse(file: FileId, text: &str) -> Option<File> {
    let mut at = Cursor { file, text, pos: 0 };
    // `SOI ~ NEWLINE*`, with the implicit layout around the line ends.
    at.skip_lines();
    let mut items = Vec::new();
    loop {
        at.skip_layout();
        if at.pos == text.len() {
            return Some(File { items });
        }
        // A namespace unless the block's keyword says otherwise: a piece that fails costs
        // pest an error, whose line it finds by scanning the rest of the file. (No
        // namespace header starts with either word: `namespaces` is not `namespace`.)
        let rest = &text[at.pos..];
        let other = rest.starts_with("cluster") || rest.starts_with("namespaces");
        let head = if other {
            None
        } else {
            at.piece(grammar::Rule::namespace_head)
        };
        let item = match head {
            Some((origin, head)) => {
                let block = lower::namespace_head(origin, head.root()?);
                Item::Namespace(at.namespace(block)?)
            }
            None => {
                let (origin, tree) = at.piece(grammar::Rule::other_top_piece)?;
                lower::top_item(origin, tree.root()?)?
            }
        };
        items.push(item);
        at.end_of_line()?;
    }
}

struct Cursor<'i> {
    file: FileId,
    text: &'i str,
    pos: usize,
}

impl<'i> Cursor<'i> {
    fn next_byte(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Pest's implicit layout: spaces, tabs and comments (to the line end, not past it).
    fn skip_layout(&mut self) {
        let bytes = self.text.as_bytes();
        while let Some(&byte) = bytes.get(self.pos) {
            match byte {
                b' ' | b'\t' => self.pos += 1,
                b'#' => {
                    let rest = &bytes[self.pos..];
                    self.pos += rest
                        .iter()
                        .position(|&b| b == b'\n' || b == b'\r')
                        .unwrap_or(rest.len());
                }
                _ => return,
            }
        }
    }

    /// Line ends with layout between them (`NEWLINE*`); whether there was one.
    fn skip_lines(&mut self) -> bool {
        let mut any = false;
        loop {
            let before = self.pos;
            self.skip_layout();
            match self.next_byte() {
                Some(b'\n' | b'\r') => {
                    self.pos += 1;
                    any = true;
                }
                _ => {
                    self.pos = before;
                    return any;
                }
            }
        }
    }

    /// The `eol` after a top-level block: line ends, or the end of the file. (Its third
    /// form, a `}` ahead, cannot be followed by another block: the whole-file parse says
    /// why.)
    fn end_of_line(&mut self) -> Option<()> {
        self.skip_layout();
        if self.pos == self.text.len() || self.skip_lines() {
            Some(())
        } else {
            None
        }
    }

    /// Parses one piece with `rule` from here and moves past it.
    fn piece(&mut self, rule: grammar::Rule) -> Option<(Origin, Tree<'i>)> {
        let tree = Tree::new(PieceParser::parse(rule, &self.text[self.pos..]).ok()?);
        if !tree.every(Loose::of, Loose::strictly_read) {
            return None;
        }
        let origin = Origin {
            file: self.file,
            base: self.pos,
        };
        self.pos += tree.root()?.as_span().end();
        Some((origin, tree))
    }

    /// The items of a namespace after its header, up to and including its `}`.
    fn namespace(
        &mut self,
        mut block: super::ast::NamespaceBlock,
    ) -> Option<super::ast::NamespaceBlock> {
        loop {
            self.skip_layout();
            if self.next_byte() == Some(b'}') {
                block.close = Span::new(self.file, self.pos, self.pos + 1);
                self.pos += 1;
                return Some(block);
            }
            let (origin, tree) = self.piece(grammar::Rule::namespace_piece)?;
            block
                .items
                .extend(lower::namespace_piece(origin, tree.root()?));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The tree parsed a piece at a time, and parsed whole: both as debug text (spans
    /// included), or `None` for a file that does not parse.
    fn both(text: &str) -> (Option<String>, Option<String>) {
        let file = FileId(0);
        let pieces = parse(file, text).map(|tree| format!("{tree:#?}"));
        let whole = super::super::parse_whole(file, text)
            .ok()
            .map(|tree| format!("{tree:#?}"));
        (pieces, whole)
    }

    /// Every `.knet` file of the repository (the UI cases hold syntax errors of every
    /// kind): where the whole-file parse succeeds, the pieces give the same tree; where
    /// it fails, the pieces give up, so that the errors come from the whole parse.
    #[test]
    fn pieces_agree_with_the_whole_file_parse_on_every_file() {
        let files = crate::testing::repository_knet_files();
        assert!(files.len() > 150, "found {} files", files.len());
        let mut failing = 0;
        for path in &files {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            let (pieces, whole) = both(&text);
            failing += usize::from(whole.is_none());
            assert_eq!(pieces, whole, "{}", path.display());
        }
        assert!(failing >= 3, "the syntax error cases were found: {failing}");
    }

    /// Layout between and around the pieces: comments, blank lines, CRLF and lone CR
    /// line ends, tabs, a block closed on the line of its last item, no final line end.
    #[test]
    fn pieces_agree_on_layout() {
        let cases = [
            "",
            "\n\n# only a comment\n",
            "# head\r\ncluster {\r\n  pod-cidr 10.0.0.0/16\r\n}\r\n\r\nnamespace a {\r\n  app x {\r\n  }\r\n}",
            "namespace a {\r  app x { port 80 }\r}\r",
            "namespace a { # open\n\t\n  allow x -> y # trailing\n  # between\n\n  app x {\n    port http 80\n  } # after\n  app y { port 80 } }\n# tail",
            "unmanaged namespace m {\n  app p { labels a=b }\n}\nnamespaces g {\n  labels team=x\n}\n",
            "namespace a {\n  allow x,\n    y -> z:{http,\n    80}\n}",
            "namespace a {\n  app x { port 80 }\n}  namespace b {\n}\n",
            "namespace a {\n}\n}\n",
            "namespace a {\n  app x {\n",
            "namespace a {\n  bogus line\n}\n",
            "cluster { }\nnamespace a {}",
            "namespace a {} # c\n\n",
        ];
        for text in cases {
            let (pieces, whole) = both(text);
            assert_eq!(pieces, whole, "{text:?}");
        }
    }

    /// Every rule of the piece parser stands for the knet rule of its name, every knet
    /// rule has one, and the four that the piece parser makes silent leave no pairs.
    #[test]
    fn the_piece_grammar_has_the_knet_grammar_rules() {
        let pieces = grammar::Rule::all_rules();
        for piece in pieces {
            assert_eq!(format!("{:?}", piece.knet()), format!("{piece:?}"));
        }
        assert_eq!(grammar::Rule::EOI.knet(), Rule::EOI);
        let mapped: Vec<Rule> = pieces.iter().map(|piece| piece.knet()).collect();
        assert!(Rule::all_rules().iter().all(|rule| mapped.contains(rule)));

        let text = "app a {\n  labels x=y\n  port http 80 -> 8080\n}\nallow a -> b:http\n";
        let rules = |tree: Tree| {
            let mut rules = Vec::new();
            let mut stack: Vec<_> = tree.root().into_iter().collect();
            while let Some(node) = stack.pop() {
                rules.push(node.as_rule());
                stack.extend(node.into_inner());
            }
            rules
        };
        let piece = rules(Tree::new(
            PieceParser::parse(grammar::Rule::namespace_piece, text).expect("parses"),
        ));
        let whole = rules(Tree::new(
            super::super::KnetParser::parse(Rule::namespace_piece, text).expect("parses"),
        ));
        for silent in [
            Rule::eol,
            Rule::lbrace,
            Rule::arrow,
            Rule::colon,
            Rule::kw_app,
            Rule::kw_labels,
            Rule::kw_port,
        ] {
            assert!(whole.contains(&silent), "{silent:?}");
            assert!(!piece.contains(&silent), "{silent:?}");
        }
        assert!(piece.contains(&Rule::rbrace) && piece.contains(&Rule::name));
        // Four line ends, one `{`, two `->`, one `:` and three keywords.
        assert_eq!(whole.len(), piece.len() + 11);
    }

    /// A name holding a character that `tokens.pest` does not read, wherever a name goes:
    /// the piece parser reads it, the check turns it down, and the errors come from the
    /// whole-file parse. Names of any script, which both read, give the same tree.
    #[test]
    fn a_name_only_the_piece_parser_reads_is_parsed_whole() {
        let slots = ["NS", "APP", "PORT", "PEER", "BACKEND"];
        let file = "namespace NS {\n  app APP {\n    port PORT 80\n  }\n  allow APP -> PEER:PORT\n  ingress web {\n    /x -> BACKEND:PORT\n  }\n}\n";
        // The file with `name` in one slot and plain names in the others.
        let with = |slot: &str, name: &str| {
            slots.iter().fold(file.to_string(), |text, other| {
                text.replace(other, if *other == slot { name } else { "x" })
            })
        };
        for odd in [
            "a$b", "a;", "x(y)", "a\u{a0}b", "a*", "a=b", "a\"b", "a>b", "a<-b", "x!",
        ] {
            for slot in slots {
                let text = with(slot, odd);
                let (pieces, whole) = both(&text);
                assert_eq!(whole, None, "{text:?}");
                assert_eq!(pieces, whole, "{text:?}");
            }
        }
        for name in ["café", "имя", "a_b.c-d", "x--y", "d-"] {
            for slot in slots {
                let text = with(slot, name);
                let (pieces, whole) = both(&text);
                assert!(whole.is_some(), "{text:?}");
                assert_eq!(pieces, whole, "{text:?}");
            }
        }
    }

    /// `Loose::of` gives every rule of `knet.pest` that calls a keyword the piece parser
    /// reads silently, with that keyword, and each such rule begins with it (so that the
    /// check after a parse finds the keyword at the start of the rule's text).
    #[test]
    fn the_silent_keywords_begin_the_rules_that_say_so() {
        let rules = crate::testing::pest_grammar::rules(include_str!("../../grammar/knet.pest"));
        assert!(rules.len() > 100, "{} rules read", rules.len());
        let keywords = ["app", "labels", "port"];
        let mut listed = 0;
        for (name, calls) in &rules {
            let called: Vec<&str> = keywords
                .into_iter()
                .filter(|k| calls.contains(&format!("kw_{k}")))
                .collect();
            let Some(&rule) = Rule::all_rules().iter().find(|r| format!("{r:?}") == *name) else {
                continue;
            };
            let keyword = match Loose::of(rule) {
                Some(Loose::Keyword(keyword)) => Some(keyword),
                _ => None,
            };
            match called.as_slice() {
                [] => assert_eq!(keyword, None, "{name}"),
                [one] => {
                    assert_eq!(keyword, Some(*one), "{name}");
                    assert_eq!(calls.first(), Some(&format!("kw_{one}")), "{name}");
                    listed += 1;
                }
                _ => panic!("{name} calls {called:?}"),
            }
        }
        assert_eq!(listed, 6);
    }

    /// A keyword run on into what follows it: the piece parser reads the word, the check
    /// turns the piece down, and the whole-file parse gives its error. A keyword followed
    /// by a tab or a `->` is a keyword in both.
    #[test]
    fn a_keyword_run_into_a_name_is_parsed_whole() {
        for (line, parses) in [
            ("app x {\n    port80\n  }", false),
            ("app x {\n    porthttp 80\n  }", false),
            ("app x {\n    port\u{300}x 80\n  }", false),
            ("app x {\n    labelsa=b\n  }", false),
            ("app x {\n    labels-a=b\n  }", false),
            ("app x {\n    labels.a=b\n  }", false),
            ("appx {\n  }", false),
            ("app\u{300}x {\n  }", false),
            ("app x {\n    port\thttp 80\n    labels\ta=b\n  }", true),
            ("app\tx {\n  }", true),
            ("app x {\n    port->\n  }", false),
        ] {
            let text = format!("namespace n {{\n  {line}\n}}\n");
            let (pieces, whole) = both(&text);
            assert_eq!(whole.is_some(), parses, "{text:?}");
            assert_eq!(pieces, whole, "{text:?}");
        }
        // The clauses of a `cluster` setting too.
        let text = "cluster {\n  dns labels a=b port53\n}\n";
        assert_eq!(both(text), (None, None));
        assert!(both(&text.replace("port53", "port 53")).0.is_some());
    }

    /// `keyword_ends` says where the grammar's `keyword_end` ends a keyword: after each
    /// keyword, every text of up to two characters that may follow a word.
    #[test]
    fn keyword_ends_agrees_with_the_grammar() {
        let followers = [
            "", " ", "\t", "\n", "\r", ".", ">", "-", "=", ":", "{", "}", ",", "/", "#", "a", "Z",
            "0", "_", "\u{300}", "é", "\u{a0}", "*",
        ];
        for (rule, word) in [
            (Rule::kw_app, "app"),
            (Rule::kw_labels, "labels"),
            (Rule::kw_port, "port"),
        ] {
            for first in followers {
                for second in followers {
                    let after = format!("{first}{second}");
                    let text = format!("{word}{after}");
                    let grammar = super::super::KnetParser::parse(rule, &text).is_ok();
                    assert_eq!(keyword_ends(&after), grammar, "{text:?}");
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(1000))]
        /// A character put anywhere into any `.knet` file of the repository: the pieces
        /// give the whole-file parse's tree, or give up where it fails.
        #[test]
        fn pieces_agree_wherever_a_character_is_put(
            file in 0usize..1000,
            at in 0usize..100_000,
            put in "[ -~]|[\u{a0}é\u{300}\t\r\n]",
        ) {
            let files = crate::testing::repository_knet_files();
            let path = &files[file % files.len()];
            let mut text = std::fs::read_to_string(path).unwrap_or_default();
            let mut at = at % (text.len() + 1);
            while !text.is_char_boundary(at) {
                at -= 1;
            }
            text.insert_str(at, &put);
            let (pieces, whole) = both(&text);
            proptest::prop_assert_eq!(pieces, whole, "{:?}", text);
        }
    }

    /// A namespace's items go to pest sixteen at a time: a namespace of 40 items is three
    /// runs, with layout between items inside a run and between runs, and an error in the
    /// middle of a later run makes the pieces give up.
    #[test]
    fn pieces_agree_across_runs_of_items() {
        let mut text = String::from("namespace a {\n");
        for i in 0..40 {
            let item = match i % 4 {
                0 => format!("  app a{i} {{ port 80 }} # app {i}\n"),
                1 => format!("  allow a{i} -> a{}:80\n\n", i - 1),
                2 => format!("  # before {i}\n  external e{i} {{\n    cidr 10.0.0.0/8\n  }}\n"),
                _ => format!("\tallow a{} -> a{},\n    e{}\n", i - 3, i - 2, i - 1),
            };
            text.push_str(&item);
        }
        text.push_str("}\n");
        let (pieces, whole) = both(&text);
        assert!(whole.is_some(), "the file parses");
        assert_eq!(pieces, whole);
        let tree = parse(FileId(0), &text).expect("the pieces parse");
        let Some(Item::Namespace(block)) = tree.items.first() else {
            panic!("a namespace");
        };
        assert_eq!(block.items.len(), 40);
        let broken = text.replacen("allow a33 -> a32:80", "allow a33 -> -> a32:80", 1);
        assert_ne!(broken, text);
        assert_eq!(both(&broken), (None, None));
    }
}
