//! `knet fmt`: on every `.knet` file of the repository, formatting keeps the file
//! parseable, is idempotent, and never changes meaning (the same diagnostic codes, and
//! for a unit that compiles, the same YAML). The inputs under `tests/fmt/` are
//! snapshotted formatted.

use std::path::{Path, PathBuf};

use crate::common::{relative, root, sources_from, with_snapshots};
use knetc::source::{FileId, Sources};

/// Every `.knet` file the repository has, grouped in units (a directory under
/// `tests/valid-multi/` is one unit).
fn units() -> Vec<Vec<PathBuf>> {
    let mut units = Vec::new();
    for dir in [
        "examples",
        "tests/valid",
        "tests/ui",
        "tests/fmt",
        "tests/lab",
        "tests/realworld/online-boutique",
        "tests/realworld/sock-shop",
        "tests/realworld/stars",
    ] {
        for file in knet_files(&root().join(dir)) {
            units.push(vec![file]);
        }
    }
    for base in ["tests/valid-multi", "tests/nca/cases"] {
        let mut dirs: Vec<PathBuf> = std::fs::read_dir(root().join(base))
            .expect("readable")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        units.extend(dirs.iter().map(|d| knet_files(d)));
    }
    units
}

fn knet_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "knet"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// What a unit means: its diagnostic codes, and its YAML when it compiles.
fn meaning(sources: &Sources) -> (Vec<&'static str>, Option<String>) {
    let checked = knetc::compile(sources);
    let mut codes: Vec<&str> = checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    codes.sort_unstable();
    let yaml = checked.model.as_ref().map(knetc::emit::emit_yaml);
    (codes, yaml)
}

#[test]
fn formatting_is_idempotent_and_keeps_meaning() {
    let mut formatted_units = 0;
    for unit in units() {
        let mut before = Sources::new();
        let mut after = Sources::new();
        let mut all_parse = true;
        for path in &unit {
            let Ok(text) = std::fs::read_to_string(path) else {
                all_parse = false;
                break;
            };
            let name = relative(path);
            match knetc::fmt::format(FileId(0), &text) {
                Ok(once) => {
                    let twice = knetc::fmt::format(FileId(0), &once).unwrap_or_else(|e| {
                        panic!("{name}: formatted text does not parse: {e:?}\n{once}")
                    });
                    assert_eq!(once, twice, "{name}: formatting is not idempotent");
                    before.add(name.clone(), text);
                    after.add(name, once);
                }
                Err(_) => {
                    all_parse = false;
                    break;
                }
            }
        }
        if !all_parse {
            continue;
        }
        let name = unit.first().map(|p| relative(p)).unwrap_or_default();
        assert_eq!(
            meaning(&before),
            meaning(&after),
            "{name}: formatting changed the meaning"
        );
        formatted_units += 1;
    }
    assert!(
        formatted_units > 100,
        "only {formatted_units} units were formatted"
    );
}

#[test]
fn a_file_with_syntax_errors_is_not_formatted() {
    let text = "namespace shop {\n  alow web -> api\n}\n";
    let errors = knetc::fmt::format(FileId(0), text).expect_err("a syntax error");
    assert!(errors.iter().all(|d| d.code.as_str() == "E0001"));
    let _ = sources_from("x.knet", text);
}

#[test]
fn formatted_inputs() {
    with_snapshots("fmt", || {
        insta::glob!("../fmt", "*.knet", |path| {
            let text = std::fs::read_to_string(path).expect("readable");
            let formatted = knetc::fmt::format(FileId(0), &text).expect("parses");
            insta::assert_snapshot!(formatted);
        });
    });
}

// ───────────────────────────── the `knet fmt` command ─────────────────────────────

fn knet_fmt(args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_knet"))
        .arg("fmt")
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("knet runs");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).expect("stdin");
    }
    child.wait_with_output().expect("knet ends")
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

const UNFORMATTED: &str = "namespace shop {\n app web { port http 80 }\n  allow web->web:http\n}\n";
const FORMATTED: &str =
    "namespace shop {\n  app web {\n    port http 80\n  }\n\n  allow web -> web:http\n}\n";

#[test]
fn fmt_rewrites_files_and_check_only_reports() {
    let dir = scratch("fmt-rewrite");
    let file = dir.join("shop.knet");
    std::fs::write(&file, UNFORMATTED).expect("write");
    let path = file.to_string_lossy().into_owned();

    let check = knet_fmt(&["--check", &path], "");
    assert_eq!(check.status.code(), Some(1));
    let diff = String::from_utf8_lossy(&check.stdout);
    assert!(
        diff.contains("-  allow web->web:http") && diff.contains("+  allow web -> web:http"),
        "{diff}"
    );
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        UNFORMATTED,
        "--check changed the file"
    );

    let run = knet_fmt(&[&path], "");
    assert_eq!(run.status.code(), Some(0));
    assert_eq!(std::fs::read_to_string(&file).expect("read"), FORMATTED);
    let again = knet_fmt(&["--check", &path], "");
    assert_eq!(again.status.code(), Some(0));
    assert!(again.stdout.is_empty());
    let leftovers = std::fs::read_dir(&dir).expect("dir").count();
    assert_eq!(leftovers, 1, "a temporary file was left behind");
}

#[test]
fn fmt_reads_standard_input() {
    let output = knet_fmt(&["-"], UNFORMATTED);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&output.stdout), FORMATTED);
    let check = knet_fmt(&["--check", "-"], FORMATTED);
    assert_eq!(check.status.code(), Some(0));
}

#[test]
fn fmt_leaves_a_file_with_syntax_errors_untouched() {
    let dir = scratch("fmt-syntax");
    let broken = dir.join("broken.knet");
    let good = dir.join("good.knet");
    let text = "namespace shop {\n  alow web -> api\n}\n";
    std::fs::write(&broken, text).expect("write");
    std::fs::write(&good, UNFORMATTED).expect("write");
    let output = knet_fmt(&["--color", "never", &dir.to_string_lossy()], "");
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("error[E0001]"));
    assert_eq!(std::fs::read_to_string(&broken).expect("read"), text);
    assert_eq!(
        std::fs::read_to_string(&good).expect("read"),
        FORMATTED,
        "the other file is formatted"
    );
}
