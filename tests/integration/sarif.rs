//! `--message-format sarif`: every log the binary writes is valid against the SARIF 2.1.0
//! schema (vendored in `tests/sarif/`, formats checked), goes to the stream the book
//! says (standard output for `check`, standard error for the others), covers the whole
//! registry, and counts columns in UTF-16 code units. A UI case's log is snapshotted.

use serde_json::Value;

use crate::cli::{knet, stderr, stdout};
use crate::common::{root, with_snapshots};

fn validator() -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("tests/sarif/sarif-schema-2.1.0.json"))
        .expect("the vendored schema is readable");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles")
}

/// Parses a log and asserts that it is valid SARIF 2.1.0.
fn valid_log(text: &str) -> Value {
    let log: Value = serde_json::from_str(text).expect("a SARIF log is one JSON document");
    let errors: Vec<String> = validator()
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not valid SARIF 2.1.0:\n{}",
        errors.join("\n")
    );
    log
}

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"]
        .as_array()
        .expect("a run has results")
}

#[test]
fn the_validator_rejects_what_sarif_forbids() {
    let output = knet(&["check", "--message-format", "sarif", "examples/shop.knet"]);
    let mut log = valid_log(&stdout(&output));
    log["runs"][0]["columnKind"] = "bytes".into();
    assert!(!validator().is_valid(&log), "an unknown columnKind");
    log["runs"][0]["columnKind"] = "utf16CodeUnits".into();
    log["runs"][0]["tool"]["driver"]["informationUri"] = "not a uri".into();
    assert!(!validator().is_valid(&log), "formats are checked");
}

#[test]
fn check_writes_one_log_on_standard_output() {
    let clean = knet(&["check", "--message-format", "sarif", "examples/shop.knet"]);
    assert_eq!(clean.status.code(), Some(0));
    assert!(stderr(&clean).is_empty(), "{}", stderr(&clean));
    let log = valid_log(&stdout(&clean));
    assert!(results(&log).is_empty(), "a clean model has an empty log");

    let case = "tests/ui/E0114-app-and-external.knet";
    let broken = knet(&["check", "--message-format", "sarif", case]);
    assert_eq!(broken.status.code(), Some(1), "errors still fail the run");
    assert!(stderr(&broken).is_empty(), "{}", stderr(&broken));
    let log = valid_log(&stdout(&broken));
    let mut shown = log.clone();
    // The 88 rules are checked below; the snapshot shows the first one.
    if let Some(rules) = shown["runs"][0]["tool"]["driver"]["rules"].as_array_mut() {
        rules.truncate(1);
    }
    let text = serde_json::to_string_pretty(&shown).expect("JSON");
    with_snapshots("cli", || {
        insta::assert_snapshot!("sarif_E0114_app_and_external", text)
    });
}

#[test]
fn rules_are_the_registry() {
    let output = knet(&["check", "--message-format", "sarif", "examples/shop.knet"]);
    let log = valid_log(&stdout(&output));
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules");
    let codes = knetc::diagnostic::Code::ALL;
    assert_eq!(rules.len(), codes.len());
    for (rule, code) in rules.iter().zip(codes) {
        assert_eq!(rule["id"], code.as_str());
        assert_eq!(rule["shortDescription"]["text"], code.summary());
        let level = if code.as_str().starts_with('W') {
            "warning"
        } else {
            "error"
        };
        assert_eq!(rule["defaultConfiguration"]["level"], level);
    }
}

#[test]
fn build_preview_and_fmt_write_the_log_on_standard_error() {
    let build = knet(&["build", "--message-format", "sarif", "examples/shop.knet"]);
    assert_eq!(build.status.code(), Some(0));
    assert!(
        stdout(&build).starts_with("---"),
        "the YAML stays on standard output"
    );
    assert!(results(&valid_log(&stderr(&build))).is_empty());

    let case = "tests/ui/W0101-world-egress.knet";
    let preview = knet(&["preview", "ipset", "--message-format", "sarif", case]);
    assert_eq!(preview.status.code(), Some(0));
    let log = valid_log(&stderr(&preview));
    assert!(results(&log).iter().all(|r| r["level"] == "warning"));
    assert!(!results(&log).is_empty());

    // fmt checks files one by one: still one log for the run.
    let fmt = knet(&[
        "fmt",
        "--check",
        "--message-format",
        "sarif",
        "tests/ui/E0001-missing-port-number.knet",
        "tests/ui/E0001-misspelt-keyword.knet",
    ]);
    assert_eq!(fmt.status.code(), Some(1));
    let log = valid_log(&stderr(&fmt));
    let files: std::collections::BTreeSet<&str> = results(&log)
        .iter()
        .filter_map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str())
        .collect();
    assert_eq!(files.len(), 2, "{files:?}");
}

#[test]
fn the_cap_is_a_notification_and_columns_are_utf16() {
    let dir = crate::cli::scratch("sarif-utf16");
    // `🙂` is one character but two UTF-16 code units: `-x` starts at character 24,
    // UTF-16 column 25.
    let text = "namespace shop {\n  app api {\n    labels note=🙂, bad=-x\n    port http 80\n  }\n  allow apij -> api:http\n}\n";
    let input = dir.join("my shop.knet");
    std::fs::write(&input, text).expect("write");
    let input = input.to_string_lossy().into_owned();

    let capped = knet(&[
        "check",
        "--message-format",
        "sarif",
        "--max-errors",
        "2",
        &input,
    ]);
    let log = valid_log(&stdout(&capped));
    assert_eq!(results(&log).len(), 2);
    let uri = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
        ["uri"];
    let uri = uri.as_str().expect("a uri");
    assert!(
        uri.starts_with("file:///") && uri.ends_with("/my%20shop.knet"),
        "{uri}"
    );
    let notes = &log["runs"][0]["invocations"][0]["toolExecutionNotifications"];
    assert_eq!(
        notes[0]["message"]["text"],
        "1 more diagnostic was not shown (`--max-errors 0` shows them all)"
    );

    let all = knet(&[
        "check",
        "--message-format",
        "sarif",
        "--max-errors",
        "0",
        &input,
    ]);
    let log = valid_log(&stdout(&all));
    assert_eq!(log["runs"][0]["columnKind"], "utf16CodeUnits");
    let columns: Vec<(u64, u64)> = results(&log)
        .iter()
        .map(|r| {
            let region = &r["locations"][0]["physicalLocation"]["region"];
            let column = |key: &str| region[key].as_u64().unwrap_or_default();
            (column("startColumn"), column("endColumn"))
        })
        .collect();
    assert_eq!(columns, [(17, 19), (25, 27), (9, 13)]);
}
