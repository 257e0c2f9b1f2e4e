//! Reading a pest grammar's text: each rule with the rules it calls, a rule's literals
//! and its modifier. Shared by the unit tests (`syntax::pieces`) and the integration
//! tests of the grammar (`tests/integration/grammar.rs`, which include this file).

use std::collections::BTreeMap;

/// Each rule of a pest grammar with the rules its body names.
pub fn rules(grammar: &str) -> BTreeMap<String, Vec<String>> {
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

/// The string literals of the rule defined on the line that starts with `name =`, as
/// spelled (escapes kept).
pub fn literals_of(grammar: &str, name: &str) -> Vec<String> {
    let line = definition(grammar, name);
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

/// The line that starts with `name =`: a rule's definition.
fn definition<'g>(grammar: &'g str, name: &str) -> &'g str {
    grammar
        .lines()
        .find(|line| {
            line.strip_prefix(name)
                .is_some_and(|rest| rest.trim_start().starts_with('='))
        })
        .unwrap_or_else(|| panic!("rule `{name}` not found"))
}

/// The modifier of the rule defined on the line that starts with `name =`: `_` (silent),
/// `@` (atomic), `$` (compound-atomic), `!` (non-atomic), or `None` for a normal rule.
pub fn modifier_of(grammar: &str, name: &str) -> Option<char> {
    let line = definition(grammar, name);
    let after = line[line.find('=').unwrap_or(0) + 1..].trim_start();
    after
        .chars()
        .next()
        .filter(|c| matches!(c, '_' | '@' | '$' | '!'))
}
