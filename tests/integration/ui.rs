//! UI tests: each `tests/ui/*.knet` must fail, and its snapshot shows the source and the
//! diagnostics exactly as a user sees them. The first line of each case names the codes
//! it must produce (`# expect: E0111, E0112`); the test checks that every diagnostic's
//! code is listed there and every listed code appears.

use crate::common::{relative, rendered, sources_of, text_of, with_snapshots};

/// The codes a UI case declares on its first line.
pub fn expected_codes(text: &str) -> Vec<String> {
    // A case may start with a byte-order mark, as knet reads it.
    text.trim_start_matches('\u{feff}')
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("# expect:"))
        .map(|codes| {
            codes
                .split(',')
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// The codes produced are exactly those of the case's `# expect:` line.
fn assert_codes(name: &str, diagnostics: &[knetc::diagnostic::Diagnostic], text: &str) {
    let mut codes: Vec<String> = diagnostics
        .iter()
        .map(|d| d.code.as_str().to_string())
        .collect();
    codes.sort();
    codes.dedup();
    let mut expected = expected_codes(text);
    expected.sort();
    assert_eq!(
        codes, expected,
        "{name}: codes produced vs `# expect:` line"
    );
}

#[test]
fn ui_cases() {
    with_snapshots("ui", || {
        insta::glob!("../ui", "*.knet", |path| {
            let sources = sources_of(path);
            // A case for `E0002` is not UTF-8 on purpose.
            let text = text_of(path);
            let checked = knetc::compile(&sources);
            let name = relative(path);
            assert!(
                !checked.diagnostics.is_empty(),
                "{name}: a UI case must produce diagnostics"
            );
            assert_codes(&name, &checked.diagnostics, &text);
            let snapshot = format!(
                "{text}\n----- diagnostics -----\n{}",
                rendered(&checked.diagnostics, &sources)
            );
            insta::assert_snapshot!(snapshot);
        });
    });
}

/// Inputs of `knet import` (`tests/ui/*.yaml`): the codes on the first line, and a
/// snapshot of the input, the diagnostics and the knet written.
#[test]
fn import_ui_cases() {
    with_snapshots("ui", || {
        insta::glob!("../ui", "*.yaml", |path| {
            let sources = sources_of(path);
            let text = text_of(path);
            let imported = knetc::import::import(&sources);
            let name = relative(path);
            assert_codes(&name, &imported.diagnostics, &text);
            let shown = format!(
                "{text}\n----- diagnostics -----\n{}\n----- knet -----\n{}",
                rendered(&imported.diagnostics, &sources),
                imported.text
            );
            insta::assert_snapshot!(shown);
        });
    });
}
