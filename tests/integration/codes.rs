//! The code registry, the book pages and the UI cases agree: every code has a page
//! `book/src/codes/CODE.md` listed in the book's summary, whose first failing example
//! produces exactly that code, and at least one UI case; no page or UI case names an
//! unknown code.

use knetc::diagnostic::Code;

use crate::book::{blocks, check_block, expectation};
use crate::common::root;
use crate::ui::expected_codes;

fn page(code: Code) -> Option<String> {
    std::fs::read_to_string(root().join(format!("book/src/codes/{}.md", code.as_str()))).ok()
}

#[test]
fn every_code_has_a_page_with_a_failing_and_a_fixed_example() {
    let summary = std::fs::read_to_string(root().join("book/src/SUMMARY.md")).expect("SUMMARY.md");
    let mut problems = Vec::new();
    for &code in Code::ALL {
        let id = code.as_str();
        let Some(text) = page(code) else {
            problems.push(format!("{id}: no page book/src/codes/{id}.md"));
            continue;
        };
        if !summary.contains(&format!("codes/{id}.md")) {
            problems.push(format!("{id}: page not listed in SUMMARY.md"));
        }
        if !text.starts_with(&format!("# {id}")) {
            problems.push(format!("{id}: page must start with `# {id}`"));
        }
        let examples = blocks(&text);
        let failing = examples.iter().find(|b| {
            expectation(&b.info).is_some_and(|(kind, codes)| !kind.is_empty() && codes == [id])
        });
        match failing {
            // E0002 is about a file that is not UTF-8, which a Markdown page (UTF-8 text)
            // cannot hold; its UI case `tests/ui/E0002-*.knet` is the failing example.
            None if code == Code::NotUtf8 => {}
            None => problems.push(format!(
                "{id}: no example marked `knet,error={id}`, `knet,warning={id}` or `yaml,import-...={id}`"
            )),
            Some(block) => problems.extend(check_block(&format!("codes/{id}.md"), block)),
        }
        let fixed = examples
            .iter()
            .any(|b| expectation(&b.info).is_some_and(|(kind, _)| kind.is_empty()));
        if !fixed {
            problems.push(format!("{id}: no fixed example (a plain `knet` block)"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_code_has_a_ui_case_and_no_case_names_an_unknown_code() {
    let mut covered = Vec::new();
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(root().join("tests/ui"))
        .expect("tests/ui")
        .flatten()
    {
        let path = entry.path();
        // `.yaml` cases are inputs of `knet import`.
        if path.extension().is_none_or(|e| e != "knet" && e != "yaml") {
            continue;
        }
        // Lossy: the case for `E0002` is not UTF-8 on purpose.
        let text = crate::common::text_of(&path);
        for code in expected_codes(&text) {
            match Code::parse(&code) {
                Some(c) => covered.push(c),
                None => problems.push(format!("{}: unknown code {code}", path.display())),
            }
        }
    }
    for &code in Code::ALL {
        if !covered.contains(&code) {
            problems.push(format!("{}: no UI case in tests/ui", code.as_str()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_page_for_an_unknown_code() {
    for entry in std::fs::read_dir(root().join("book/src/codes"))
        .expect("book/src/codes")
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(id) = name.strip_suffix(".md") else {
            continue;
        };
        if id == "index" {
            continue;
        }
        assert!(
            Code::parse(id).is_some(),
            "book/src/codes/{name} is not a registered code"
        );
    }
}

#[test]
fn codes_are_unique_and_well_formed() {
    let mut seen = std::collections::BTreeSet::new();
    for &code in Code::ALL {
        let id = code.as_str();
        assert!(seen.insert(id), "{id} registered twice");
        assert_eq!(id.len(), 5, "{id}");
        assert!(id.starts_with('E') || id.starts_with('W'), "{id}");
        assert!(id[1..].bytes().all(|b| b.is_ascii_digit()), "{id}");
    }
}

/// The output a code's page shows after its failing example is what the compiler prints
/// for it (as `example.knet`), so the pages cannot drift from the messages.
/// `KNET_UPDATE_PAGES=1 cargo test` rewrites the shown output.
#[test]
fn pages_show_the_real_output_of_their_failing_example() {
    let update = std::env::var_os("KNET_UPDATE_PAGES").is_some();
    let mut problems = Vec::new();
    for &code in Code::ALL {
        let path = root().join(format!("book/src/codes/{}.md", code.as_str()));
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let examples = blocks(&text);
        let Some(position) = examples.iter().position(|b| {
            expectation(&b.info)
                .is_some_and(|(kind, codes)| !kind.is_empty() && codes == [code.as_str()])
        }) else {
            continue;
        };
        let Some(shown) = examples.get(position + 1).filter(|b| {
            b.info == "text" && (b.text.starts_with("error[") || b.text.starts_with("warning["))
        }) else {
            problems.push(format!(
                "{}: no ```text block with the output after the failing example",
                code.as_str()
            ));
            continue;
        };
        let block = &examples[position];
        let checked = if block.info.starts_with("yaml,import") {
            let sources = crate::common::sources_from("example.yaml", &block.text);
            let checked = crate::book::import_checked(&sources);
            let actual = crate::common::rendered(&checked.diagnostics, &sources);
            (actual, checked)
        } else {
            let sources = crate::common::sources_from("example.knet", &block.text);
            let checked = knetc::compile(&sources);
            (
                crate::common::rendered(&checked.diagnostics, &sources),
                checked,
            )
        };
        let (actual, _) = checked;
        if actual == shown.text {
            continue;
        }
        if update {
            let updated = text.replacen(
                &format!("```text\n{}```", shown.text),
                &format!("```text\n{actual}```"),
                1,
            );
            std::fs::write(&path, updated).expect("page is writable");
        } else {
            problems.push(format!(
                "{}: the page shows\n{}\nbut the compiler prints\n{}",
                code.as_str(),
                shown.text,
                actual
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n(KNET_UPDATE_PAGES=1 cargo test rewrites them)",
        problems.join("\n")
    );
}
