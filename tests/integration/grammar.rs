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

/// Each rule of a pest grammar with the rules its body names.
fn rules(grammar: &str) -> BTreeMap<String, Vec<String>> {
    let text: String = grammar
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let bytes = text.as_bytes();
    let mut rules = BTreeMap::new();
    let mut at = 0;
    while let Some(open) = text[at..].find('{').map(|i| at + i) {
        let head = text[at..open].trim_end_matches(['_', '@', '$', '!']);
        let name = head.trim_end().trim_end_matches('=').trim().to_string();
        let (body, end) = body_of(bytes, open);
        rules.insert(name, identifiers(&text[open + 1..body]));
        at = end;
    }
    rules
}

/// The end of the body opened at `open` (its `}`) and the index after it. Braces inside
/// string and character literals do not count.
fn body_of(bytes: &[u8], open: usize) -> (usize, usize) {
    let (mut depth, mut i, mut quote) = (0usize, open, None);
    while i < bytes.len() {
        match (quote, bytes[i]) {
            (Some(q), b'\\') if q == b'"' || q == b'\'' => i += 1,
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'"' | b'\'') => quote = Some(bytes[i]),
            (None, b'{') => depth += 1,
            (None, b'}') => {
                depth -= 1;
                if depth == 0 {
                    return (i, i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    panic!("a rule body opened at byte {open} is not closed");
}

/// The identifiers of a rule body outside its literals: the rules it calls (and pest's
/// built-ins, which are not rules of the grammar and so end no cycle).
fn identifiers(body: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut current = String::new();
    let mut quote = None;
    let mut escaped = false;
    for c in body.chars() {
        if let Some(q) = quote {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '_' {
            current.push(c);
            continue;
        }
        if !current.is_empty() {
            names.push(std::mem::take(&mut current));
        }
        if c == '"' || c == '\'' {
            quote = Some(c);
        }
    }
    if !current.is_empty() {
        names.push(current);
    }
    names
}

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

/// The string literals of the rule defined on the line that starts with `name =`, as
/// spelled (escapes kept).
fn literals_of(grammar: &str, name: &str) -> Vec<String> {
    let line = grammar
        .lines()
        .find(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .unwrap_or_else(|| panic!("rule `{name}` not found"));
    let mut literals = Vec::new();
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c != '"' {
            continue;
        }
        let mut literal = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    literal.push(c);
                    literal.extend(chars.next());
                }
                '"' => break,
                c => literal.push(c),
            }
        }
        literals.push(literal);
    }
    literals
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
        let silent = format!("{rule} = _{{");
        let silent_in = |text: &str| {
            text.lines().any(|l| {
                l.split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ")
                    .starts_with(&silent)
            })
        };
        assert!(
            silent_in(&pieces),
            "`{rule}` is silent in pieces-tokens.pest"
        );
        assert!(!silent_in(&whole), "`{rule}` is named in tokens.pest");
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
        let spelled = |text: &str| {
            text.lines()
                .find(|l| l.starts_with(rule))
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .unwrap_or_default()
        };
        assert!(
            spelled(&pieces).starts_with(&format!("{rule} = _{{")),
            "`{rule}`"
        );
        assert!(
            spelled(&whole).starts_with(&format!("{rule} = @{{")),
            "`{rule}`"
        );
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
