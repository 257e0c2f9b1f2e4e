//! What the grammar's speed rests on stays true. pest is held at 2.8 (see `Cargo.toml`),
//! whose parser does not check the native stack's headroom on every call: that is safe
//! only while no rule of `grammar/knet.pest` (with either file of its tokens:
//! `tokens.pest`, and the piece parser's `pieces-tokens.pest`) can reach itself, so that
//! the nesting of any input is bounded by the grammar rather than by the input. And
//! `label_key` spells out the stop characters of `label_key_end`, which must stay the
//! same list. And the piece parser's token file differs from the whole-file parser's
//! only where it means to: the same rules, the punctuation made silent, not changed.

use std::collections::BTreeMap;

use crate::common::root;

#[path = "../../src/testing/pest_grammar.rs"]
mod pest_grammar;
use pest_grammar::{literals_of, modifier_of, rules};

/// A cycle of rules, if there is one, as the path that closes it.
fn cycle(rules: &BTreeMap<String, Vec<String>>) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit<'a>(
        rule: &'a str,
        rules: &'a BTreeMap<String, Vec<String>>,
        marks: &mut BTreeMap<&'a str, Mark>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        match marks.get(rule) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = path.iter().position(|r| *r == rule).unwrap_or(0);
                let mut found: Vec<String> = path[start..].iter().map(|r| r.to_string()).collect();
                found.push(rule.to_string());
                return Some(found);
            }
            None => {}
        }
        marks.insert(rule, Mark::Open);
        path.push(rule);
        for callee in rules.get(rule).into_iter().flatten() {
            if rules.contains_key(callee.as_str()) {
                if let Some(found) = visit(callee, rules, marks, path) {
                    return Some(found);
                }
            }
        }
        path.pop();
        marks.insert(rule, Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    rules
        .keys()
        .find_map(|rule| visit(rule, rules, &mut marks, &mut Vec::new()))
}

#[test]
fn no_rule_of_the_grammar_reaches_itself() {
    let read = |file: &str| std::fs::read_to_string(root().join("grammar").join(file));
    let grammar = read("knet.pest").expect("grammar");
    for tokens_file in ["tokens.pest", "pieces-tokens.pest"] {
        let tokens = read(tokens_file).expect("the tokens");
        let rules = self::rules(&format!("{grammar}\n{tokens}"));
        assert!(rules.len() > 100, "rules not found: {:?}", rules.keys());
        for rule in [
            "file",
            "namespace_block",
            "peer",
            "port_set",
            "label_key_end",
            "name",
        ] {
            assert!(rules.contains_key(rule), "rule `{rule}` not found");
        }
        assert_eq!(
            rules["peer"],
            ["peer_target", "colon", "port_set"],
            "the rule reader lost a name"
        );
        assert_eq!(
            cycle(&rules),
            None,
            "grammar/knet.pest with {tokens_file} has a recursive rule"
        );
    }
}

#[test]
fn the_cycle_finder_finds_recursion_through_several_rules() {
    let grammar = r#"
        // a comment with a { brace
        list  = { "[" ~ (item ~ ("," ~ item)*)? ~ "]" }
        item  = _{ name | list }
        name  = @{ ASCII_ALPHA+ ~ "}" }
        other = { name }
    "#;
    let recursive = rules(grammar);
    assert_eq!(recursive.len(), 4, "{recursive:?}");
    assert_eq!(
        cycle(&recursive),
        Some(vec!["item".into(), "list".into(), "item".into()])
    );
    let flat = r#"a = { b ~ "{" } b = { "x" }"#;
    assert_eq!(cycle(&rules(flat)), None);
}

/// The piece parser's token file defines the same rules as the whole-file parser's, and
/// those it only makes silent (all but `name`) call the same rules and match the same
/// literals: the two parsers read the same text (src/syntax/pieces.rs).
#[test]
fn the_piece_tokens_are_the_tokens_made_silent() {
    let read = |file: &str| {
        std::fs::read_to_string(root().join("grammar").join(file)).expect("token file")
    };
    let (whole, pieces) = (read("tokens.pest"), read("pieces-tokens.pest"));
    let (whole_rules, piece_rules) = (rules(&whole), rules(&pieces));
    assert_eq!(
        whole_rules.keys().collect::<Vec<_>>(),
        piece_rules.keys().collect::<Vec<_>>()
    );
    for rule in ["eol", "lbrace", "arrow", "colon"] {
        assert_eq!(whole_rules[rule], piece_rules[rule], "`{rule}` calls");
        assert_eq!(
            literals_of(&whole, rule),
            literals_of(&pieces, rule),
            "`{rule}` matches"
        );
        assert_eq!(
            modifier_of(&pieces, rule),
            Some('_'),
            "`{rule}` is silent in pieces"
        );
        assert_ne!(
            modifier_of(&whole, rule),
            Some('_'),
            "`{rule}` is named in tokens.pest"
        );
    }
    // The keywords: the same word; the piece parser matches the word alone (silent) and
    // checks its end itself (`pieces::keyword_ends`), the other ends it by the grammar.
    for rule in ["kw_app", "kw_labels", "kw_port"] {
        assert_eq!(
            literals_of(&whole, rule),
            literals_of(&pieces, rule),
            "`{rule}`"
        );
        assert_eq!(whole_rules[rule], ["keyword_end"], "`{rule}` calls");
        assert!(piece_rules[rule].is_empty(), "`{rule}` calls");
        assert_eq!(modifier_of(&pieces, rule), Some('_'), "`{rule}`");
        assert_eq!(modifier_of(&whole, rule), Some('@'), "`{rule}`");
    }
}

/// `label_key` spells out `label_key_end`'s stop characters after its first character
/// (so that pest scans for them): the two lists must stay the same.
#[test]
fn a_label_key_stops_where_label_key_end_says() {
    let grammar = std::fs::read_to_string(root().join("grammar/knet.pest")).expect("grammar");
    let spelled = literals_of(&grammar, "label_key");
    let stops = literals_of(&grammar, "label_key_end");
    assert!(stops.len() >= 10, "{stops:?}");
    assert_eq!(spelled, stops);
}
