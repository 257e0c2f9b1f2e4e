//! The highlighters stay in step with the grammar: the TextMate grammar and the VS Code
//! extension files of `editors/vscode/` are valid JSON, every regex of the grammar
//! compiles (with `fancy-regex`, which reads Oniguruma's look-around), every keyword of
//! the grammar (the `kw_*` rules of `knet.pest` and `tokens.pest`) is highlighted as a
//! whole word by the grammar's `keywords` rules and is listed by the book's highlight.js
//! language (`book/js/knet-highlight.js`), and the manifest registers what exists.

use serde_json::Value;

use crate::common::root;

fn json(path: &str) -> Value {
    let text = std::fs::read_to_string(root().join(path)).expect("the file is readable");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not valid JSON: {e}"))
}

/// The words of the `kw_*` rules: `kw_node_port = @{ "node-port" ~ keyword_end }` (in
/// `knet.pest`, and the few in `tokens.pest`).
fn keywords() -> Vec<String> {
    let read = |file: &str| std::fs::read_to_string(root().join(file)).expect("grammar");
    let pest = read("grammar/knet.pest") + &read("grammar/tokens.pest");
    let words: Vec<String> = pest
        .lines()
        .filter(|line| line.starts_with("kw_"))
        .filter_map(|line| line.split('"').nth(1).map(str::to_string))
        .collect();
    assert!(words.len() > 40, "kw_ rules not found: {words:?}");
    words
}

/// Every regex of a grammar (`match`, `begin`, `end`, `while`), with where it is.
fn regexes(value: &Value, at: &str, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (key, value) in map {
                let here = format!("{at}/{key}");
                match (key.as_str(), value) {
                    ("match" | "begin" | "end" | "while", Value::String(regex)) => {
                        out.push((here, regex.clone()));
                    }
                    _ => regexes(value, &here, out),
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                regexes(item, &format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

fn compile(at: &str, regex: &str) -> fancy_regex::Regex {
    fancy_regex::Regex::new(regex)
        .unwrap_or_else(|e| panic!("{at}: `{regex}` does not compile: {e}"))
}

#[test]
fn every_regex_of_the_textmate_grammar_compiles() {
    let grammar = json("editors/vscode/syntaxes/knet.tmLanguage.json");
    assert_eq!(grammar["scopeName"], "source.knet");
    let mut found = Vec::new();
    regexes(&grammar, "", &mut found);
    assert!(found.len() > 30, "{} regexes", found.len());
    for (at, regex) in &found {
        compile(at, regex);
    }
    // Every `include` names a rule of the repository.
    let mut includes = Vec::new();
    fn collect(value: &Value, out: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(name)) = map.get("include") {
                    out.push(name.clone());
                }
                map.values().for_each(|v| collect(v, out));
            }
            Value::Array(items) => items.iter().for_each(|v| collect(v, out)),
            _ => {}
        }
    }
    collect(&grammar, &mut includes);
    for include in includes {
        let name = include.strip_prefix('#').expect("a repository include");
        assert!(
            grammar["repository"].get(name).is_some(),
            "no rule `{name}`"
        );
    }
}

#[test]
fn the_textmate_grammar_highlights_every_keyword_as_a_whole_word() {
    let grammar = json("editors/vscode/syntaxes/knet.tmLanguage.json");
    let rules: Vec<fancy_regex::Regex> = grammar["repository"]["keywords"]["patterns"]
        .as_array()
        .expect("a `keywords` rule with patterns")
        .iter()
        .map(|rule| compile("keywords", rule["match"].as_str().expect("a match")))
        .collect();
    let whole = |line: &str, word: &str| {
        rules.iter().any(|rule| {
            rule.find(line)
                .ok()
                .flatten()
                .is_some_and(|m| m.as_str() == word)
        })
    };
    for word in keywords() {
        assert!(
            whole(&format!("  {word} x"), &word),
            "`{word}` is not highlighted"
        );
        // Not inside a longer name: `apps`, `app-x`, `x.app`.
        for longer in [format!("{word}s"), format!("{word}-x"), format!("x.{word}")] {
            assert!(
                !whole(&format!("  {longer} "), &word),
                "`{word}` inside `{longer}`"
            );
        }
    }
    // A `-` before `>` ends a word: `default->` still reads `default`.
    assert!(whole("  default-> web", "default"));
}

#[test]
fn the_book_highlighter_lists_every_keyword() {
    let script = std::fs::read_to_string(root().join("book/js/knet-highlight.js"))
        .expect("the book's highlighter");
    for word in keywords() {
        assert!(
            script.contains(&format!("'{word}'")),
            "`{word}` missing from knet-highlight.js"
        );
    }
    let book = std::fs::read_to_string(root().join("book/book.toml")).expect("book.toml");
    assert!(
        book.contains("\"js/knet-highlight.js\""),
        "book.toml loads the highlighter"
    );
}

#[test]
fn the_extension_manifest_registers_what_exists() {
    let manifest = json("editors/vscode/package.json");
    let configuration = json("editors/vscode/language-configuration.json");
    assert_eq!(configuration["comments"]["lineComment"], "#");
    let patterns = [
        &configuration["wordPattern"],
        &configuration["indentationRules"]["increaseIndentPattern"],
        &configuration["indentationRules"]["decreaseIndentPattern"],
    ];
    for pattern in patterns {
        compile(
            "language-configuration.json",
            pattern.as_str().expect("a regex"),
        );
    }
    let dir = root().join("editors/vscode");
    let language = &manifest["contributes"]["languages"][0];
    assert_eq!(language["id"], "knet");
    assert_eq!(language["extensions"][0], ".knet");
    let grammar = &manifest["contributes"]["grammars"][0];
    assert_eq!(grammar["scopeName"], "source.knet");
    for path in [
        &language["configuration"],
        &grammar["path"],
        &manifest["main"],
    ] {
        let path = path.as_str().expect("a path");
        assert!(dir.join(path).is_file(), "{path} does not exist");
    }
    let extension = std::fs::read_to_string(dir.join("extension.js")).expect("extension.js");
    assert!(
        extension.contains("args: ['lsp']"),
        "the extension starts `knet lsp`"
    );
}
