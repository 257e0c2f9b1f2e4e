//! Diagnostics as one SARIF 2.1.0 log, the `--message-format sarif` form, for code
//! scanning (GitHub, GitLab, the SARIF viewers of editors).
//!
//! In: the diagnostics of one or more compiler runs (`knet fmt` checks files one by
//! one), each with the [`Sources`] its spans point into, and notes about the run (such
//! as how many diagnostics `--max-errors` left out). Out: a `serde_json::Value` holding
//! one log with one run:
//!
//! - `tool.driver`: `knet`, its version, and a `rules` entry for every code of the
//!   registry, in registry order (so `ruleIndex` is the code's place in
//!   [`Code::ALL`]), with the code's summary and default level. `informationUri` and each
//!   rule's `helpUri` are written when the crate names a `homepage` (where the book is
//!   published); each rule's `help` always says how to read its page offline.
//! - `results`: one per diagnostic, in the order given: `ruleId`, `level`, the message
//!   with the notes and help below it, the primary location (its label as the location's
//!   message) and the secondary labels as `relatedLocations`.
//! - Locations: the file's name as knet shows it, as a relative URI with forward slashes
//!   (an absolute path becomes a `file://` URI), and a region whose lines and columns are
//!   1-based, the end exclusive, columns counted in UTF-16 code units (`columnKind` says
//!   so), as SARIF's consumers count them by default.
//!
//! Nothing in the log depends on the clock, the machine or the working directory, and
//! keys are written in alphabetical order: the same input gives the same bytes.

use serde_json::{json, Value};

use super::{Code, Diagnostic, Label, Severity};
use crate::source::{floor_boundary, Sources};

/// The schema the log declares and is tested against (`tests/sarif/`).
pub const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Where the book is published, from `homepage` in `Cargo.toml` (empty: not published).
const HOMEPAGE: &str = env!("CARGO_PKG_HOMEPAGE");

/// The diagnostics of one compiler run and the sources their spans point into.
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a> {
    pub diagnostics: &'a [Diagnostic],
    pub sources: &'a Sources,
}

/// One SARIF log for every batch, with `notes` as notifications of the run.
pub fn log(batches: &[Batch<'_>], notes: &[String]) -> Value {
    log_with_homepage(batches, notes, HOMEPAGE)
}

fn log_with_homepage(batches: &[Batch<'_>], notes: &[String], homepage: &str) -> Value {
    let homepage = (!homepage.is_empty()).then(|| homepage.trim_end_matches('/'));
    let mut driver = json!({
        "name": "knet",
        "version": env!("CARGO_PKG_VERSION"),
        "semanticVersion": env!("CARGO_PKG_VERSION"),
        "rules": Code::ALL.iter().map(|&code| rule(code, homepage)).collect::<Vec<_>>(),
    });
    if let Some(homepage) = homepage {
        driver["informationUri"] = json!(format!("{homepage}/"));
    }
    let results: Vec<Value> = batches
        .iter()
        .flat_map(|batch| batch.diagnostics.iter().map(|d| result(d, batch.sources)))
        .collect();
    let mut invocation = json!({ "executionSuccessful": true });
    if !notes.is_empty() {
        invocation["toolExecutionNotifications"] = notes
            .iter()
            .map(|note| json!({ "level": "note", "message": { "text": note } }))
            .collect();
    }
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": driver },
            "columnKind": "utf16CodeUnits",
            "invocations": [invocation],
            "results": results,
        }],
    })
}

fn rule(code: Code, homepage: Option<&str>) -> Value {
    let id = code.as_str();
    let mut rule = json!({
        "id": id,
        "shortDescription": { "text": code.summary() },
        "help": {
            "text": format!(
                "`knet explain {id}` prints this code's page: why it matters, a failing \
                 example and its fix (book/src/codes/{id}.md)"
            ),
        },
        "defaultConfiguration": { "level": level(code.severity()) },
    });
    if let Some(homepage) = homepage {
        rule["helpUri"] = json!(format!("{homepage}/codes/{id}.html"));
    }
    rule
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

fn result(diagnostic: &Diagnostic, sources: &Sources) -> Value {
    let mut text = diagnostic.message.clone();
    for note in &diagnostic.notes {
        text.push_str("\nnote: ");
        text.push_str(note);
    }
    if let Some(help) = &diagnostic.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    let related: Vec<Value> = diagnostic
        .secondary
        .iter()
        .enumerate()
        .map(|(id, label)| {
            let mut related = location(label, sources);
            related["id"] = json!(id);
            related
        })
        .collect();
    let mut result = json!({
        "ruleId": diagnostic.code.as_str(),
        "ruleIndex": Code::ALL.iter().position(|&c| c == diagnostic.code),
        "level": level(diagnostic.severity),
        "message": { "text": text },
        "locations": [location(&diagnostic.primary, sources)],
    });
    if !related.is_empty() {
        result["relatedLocations"] = json!(related);
    }
    result
}

/// A `location`: the file, the region of the label's span, and the label as its message.
fn location(label: &Label, sources: &Sources) -> Value {
    let Some(file) = sources.get(label.span.file()) else {
        return json!({ "message": { "text": label.message } });
    };
    let (start_line, start_column) = utf16_line_column(file, label.span.start());
    let (end_line, end_column) = utf16_line_column(file, label.span.end().max(label.span.start()));
    let mut location = json!({
        "physicalLocation": {
            "artifactLocation": { "uri": uri(&file.name) },
            "region": {
                "startLine": start_line,
                "startColumn": start_column,
                "endLine": end_line,
                "endColumn": end_column,
            },
        },
    });
    if !label.message.is_empty() {
        location["message"] = json!({ "text": label.message });
    }
    location
}

/// 1-based line and column of a byte offset, the column in UTF-16 code units.
fn utf16_line_column(file: &crate::source::SourceFile, offset: usize) -> (usize, usize) {
    let offset = floor_boundary(&file.text, offset);
    let line = file.line_index(offset);
    let start = file.line_range(line).map_or(0, |range| range.start);
    let before = file.text.get(start..offset).unwrap_or("");
    let column = before.chars().map(char::len_utf16).sum::<usize>();
    (line + 1, column + 1)
}

/// A file name as a URI reference: a relative path stays relative (forward slashes,
/// reserved bytes percent-encoded); an absolute one becomes a `file://` URI.
fn uri(name: &str) -> String {
    let path = name.replace('\\', "/");
    let bytes = path.as_bytes();
    let is_drive = bytes.len() >= 3
        && bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && bytes.get(1) == Some(&b':')
        && bytes.get(2) == Some(&b'/');
    if path.starts_with('/') {
        format!("file://{}", encode(&path))
    } else if is_drive {
        format!("file:///{}:{}", &path[..1], encode(&path[2..]))
    } else {
        encode(&path)
    }
}

/// Percent-encodes every byte but the unreserved characters of RFC 3986 and `/`.
fn encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for byte in path.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~/".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, Span};

    #[test]
    fn names_become_uri_references() {
        assert_eq!(uri("deploy/apps.knet"), "deploy/apps.knet");
        assert_eq!(uri("deploy\\apps.knet"), "deploy/apps.knet");
        assert_eq!(uri("my apps/a#1.knet"), "my%20apps/a%231.knet");
        assert_eq!(uri("<stdin>"), "%3Cstdin%3E");
        assert_eq!(uri("/tmp/a b.knet"), "file:///tmp/a%20b.knet");
        assert_eq!(uri("C:\\work\\a.knet"), "file:///C:/work/a.knet");
        assert_eq!(uri("c:x.knet"), "c%3Ax.knet");
        assert_eq!(uri("ü.knet"), "%C3%BC.knet");
    }

    #[test]
    fn columns_count_utf16_code_units() {
        let mut sources = Sources::new();
        // `é` is one UTF-16 unit, `🙂` two; the label is on `api`.
        let text = "# é🙂\n  é🙂 api\n";
        let id = sources.add("a.knet", text);
        let start = text.find("api").unwrap_or_default();
        let file = sources.get(id).expect("the file was added");
        assert_eq!(utf16_line_column(file, start), (2, 7));
        assert_eq!(utf16_line_column(file, start + 3), (2, 10));
        assert_eq!(utf16_line_column(file, 0), (1, 1));
    }

    #[test]
    fn help_uris_follow_the_homepage() {
        let sources = Sources::new();
        let log = log_with_homepage(
            &[Batch {
                diagnostics: &[],
                sources: &sources,
            }],
            &[],
            "https://example.org/knet/",
        );
        let driver = &log["runs"][0]["tool"]["driver"];
        assert_eq!(driver["informationUri"], "https://example.org/knet/");
        assert_eq!(
            driver["rules"][0]["helpUri"],
            "https://example.org/knet/codes/E0001.html"
        );
        let without = log_with_homepage(&[], &[], "");
        assert!(without["runs"][0]["tool"]["driver"]
            .get("informationUri")
            .is_none());
        assert!(without["runs"][0]["tool"]["driver"]["rules"][0]
            .get("helpUri")
            .is_none());
    }

    #[test]
    fn related_locations_are_numbered_secondary_labels() {
        let mut sources = Sources::new();
        let id = sources.add("a.knet", "app api\napp api\n");
        let d = Diagnostic::new(Code::DuplicateName, "twice", Span::new(id, 12, 15))
            .label("again")
            .secondary(Span::new(FileId(0), 4, 7), "first")
            .help("rename one");
        let log = log(
            &[Batch {
                diagnostics: &[d],
                sources: &sources,
            }],
            &[],
        );
        let result = &log["runs"][0]["results"][0];
        assert_eq!(result["message"]["text"], "twice\nhelp: rename one");
        assert_eq!(result["locations"][0]["message"]["text"], "again");
        assert_eq!(result["relatedLocations"][0]["id"], 0);
        assert_eq!(
            result["relatedLocations"][0]["physicalLocation"]["region"]["startColumn"],
            5
        );
        let rule = &log["runs"][0]["tool"]["driver"]["rules"]
            [result["ruleIndex"].as_u64().unwrap_or(0) as usize];
        assert_eq!(rule["id"], "E0114");
    }
}
