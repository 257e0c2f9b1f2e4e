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

/// A line may end in `\n`, `\r\n` or `\r` alone, as the grammar reads them: the
/// formatter finds comments and blank lines at the same line ends. (With `\r` alone, a
/// comment once ran on to the next `\n`, and the code after it was printed twice.)
#[test]
fn every_line_ending_formats_alike() {
    let text = "# shop\nnamespace shop { # the shop\n\n app web { port http 80 } # web\n  allow web->web:http\n}\n# end\n";
    let expected = knetc::fmt::format(FileId(0), text).expect("parses");
    for ending in ["\r\n", "\r"] {
        let written = text.replace('\n', ending);
        let formatted = knetc::fmt::format(FileId(0), &written).expect("parses");
        assert_eq!(formatted, expected, "lines ending in {ending:?}");
    }
    assert!(
        expected.contains("app web {\n    port http 80\n  }  # web\n"),
        "{expected}"
    );
}

/// A comment inside an `allow` line's sources, which the formatter joins onto one line,
/// goes above the statement: a `# knet: allow(CODE)` there still silences the warning
/// on the line after it. (It once went below, silenced nothing, and W0001 came up.)
#[test]
fn an_allow_comment_inside_a_statement_still_silences() {
    let text = "namespace shop {\n  app web {\n    port http 80\n  }\n  allow web,\n        # knet: allow(W0101)\n        web -> world\n}\n";
    let formatted = knetc::fmt::format(FileId(0), text).expect("parses");
    assert!(
        formatted.contains("  # knet: allow(W0101)\n  allow web, web -> world\n"),
        "{formatted}"
    );
    let before = meaning(&sources_from("a.knet", text));
    assert!(!before.0.contains(&"W0101"), "{:?}", before.0);
    assert_eq!(meaning(&sources_from("a.knet", &formatted)), before);
}

/// An `except { ... }` written over several lines is printed on one: the comments between
/// its braces go above the line, each on its own, instead of running together after it.
#[test]
fn comments_inside_an_except_keep_lines_of_their_own() {
    let text = "namespace shop {\n  external office {\n    cidr 172.16.0.0/12 except { # first\n      172.17.0.0/16, # second\n      172.18.0.0/16\n    }\n  }\n}\n";
    let formatted = knetc::fmt::format(FileId(0), text).expect("parses");
    assert!(
        formatted.contains("    # first\n    # second\n    cidr 172.16.0.0/12 except {172.17.0.0/16, 172.18.0.0/16}\n"),
        "{formatted}"
    );
    assert_eq!(
        knetc::fmt::format(FileId(0), &formatted).expect("parses"),
        formatted
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

fn knet_fmt(args: &[&str], stdin: impl AsRef<[u8]>) -> std::process::Output {
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
        input.write_all(stdin.as_ref()).expect("stdin");
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

/// Standard input is read as a file is: a byte-order mark is skipped, lines may end in
/// a carriage return alone, and text that is not UTF-8 is `E0002` (exit 1), not an I/O
/// error.
#[test]
fn fmt_reads_standard_input_as_a_file() {
    let written = format!("\u{feff}# shop\n{}", UNFORMATTED.replace('\n', "\r"));
    let output = knet_fmt(&["-"], written);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        format!("# shop\n{FORMATTED}")
    );

    let mut not_utf8 = b"namespace shop {\n  # caf".to_vec();
    not_utf8.extend([0xe9, b'\n', b'}', b'\n']);
    let output = knet_fmt(&["--color", "never", "-"], not_utf8);
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("error[E0002]"));
    assert!(output.stdout.is_empty());
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

// ───────────────────────────── random models ─────────────────────────────

/// A random model from a list of choices: namespaces of apps (with ports, labels and
/// extra Services), externals, flows between them and to the v1 peers, and comments,
/// blank lines and odd indentation everywhere a person might put them.
fn random_model(choices: &[u8]) -> String {
    let mut pick = choices.iter().copied().cycle();
    let mut next = |n: u8| pick.next().unwrap_or(0) % n.max(1);
    let mut text = String::new();
    let line = |text: &mut String, indent: usize, body: &str, next: &mut dyn FnMut(u8) -> u8| {
        if next(5) == 0 {
            text.push_str(&format!("{}# a comment\n", " ".repeat(indent)));
        }
        if next(6) == 0 {
            text.push('\n');
        }
        let pad = " ".repeat(indent + usize::from(next(3)));
        let trailing = if next(6) == 0 { "   # why" } else { "" };
        text.push_str(&format!("{pad}{body}{trailing}\n"));
    };
    let namespaces = 1 + next(2);
    for n in 0..namespaces {
        line(&mut text, 0, &format!("namespace ns{n} {{"), &mut next);
        match next(4) {
            0 => line(&mut text, 2, "default allow egress", &mut next),
            1 => line(&mut text, 2, "dns off", &mut next),
            _ => {}
        }
        let apps = 1 + usize::from(next(4));
        let mut ports: Vec<Vec<String>> = Vec::new();
        for a in 0..apps {
            line(&mut text, 2, &format!("app a{a} {{"), &mut next);
            if next(2) == 0 {
                line(
                    &mut text,
                    4,
                    &format!("labels app=a{a},tier=\"t-{}\"", next(3)),
                    &mut next,
                );
            }
            let count = usize::from(next(3));
            let mut names = Vec::new();
            for p in 0..count {
                let proto = if next(4) == 0 { "/udp" } else { "" };
                line(
                    &mut text,
                    4,
                    &format!("port p{p} {}{proto} ->{}", 80 + p, 8080 + p),
                    &mut next,
                );
                names.push(format!("p{p}"));
            }
            if count > 0 && next(3) == 0 {
                line(&mut text, 4, &format!("service a{a}-ext {{"), &mut next);
                line(&mut text, 6, "type load-balancer", &mut next);
                line(&mut text, 4, "}", &mut next);
            }
            line(&mut text, 2, "}", &mut next);
            ports.push(names);
        }
        line(&mut text, 2, "external corp {", &mut next);
        line(
            &mut text,
            4,
            &format!("cidr 10.{n}.0.0/16 except 10.{n}.1.0/24"),
            &mut next,
        );
        line(&mut text, 4, "port https 443", &mut next);
        line(&mut text, 2, "}", &mut next);
        for _ in 0..next(6) {
            let from = usize::from(next(apps as u8));
            let to = usize::from(next(apps as u8));
            let destination = match next(6) {
                0 => "any:443".to_string(),
                1 => "*/*".to_string(),
                2 => "corp:https".to_string(),
                _ => match ports[to].as_slice() {
                    [] => format!("a{to}"),
                    [one] => format!("a{to}:{one}"),
                    many => format!("a{to}:{{{}}}", many.join(",")),
                },
            };
            // `any` as a source needs an app on the other side (E0319 otherwise).
            let to_app = destination.starts_with('a') && !destination.starts_with("any");
            let source = if to_app && next(4) == 0 {
                "any".to_string()
            } else {
                format!("a{from}")
            };
            line(
                &mut text,
                2,
                &format!("allow {source}->{destination}"),
                &mut next,
            );
        }
        line(&mut text, 0, "}", &mut next);
    }
    text
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// On random models, formatting keeps the YAML byte for byte and is idempotent.
    #[test]
    fn formatting_random_models_keeps_their_yaml(choices in proptest::collection::vec(proptest::prelude::any::<u8>(), 1..64)) {
        let text = random_model(&choices);
        let once = knetc::fmt::format(FileId(0), &text).expect("the generator writes valid syntax");
        let twice = knetc::fmt::format(FileId(0), &once).expect("formatted text parses");
        proptest::prop_assert_eq!(&once, &twice);
        let before = meaning(&sources_from("model.knet", &text));
        let after = meaning(&sources_from("model.knet", &once));
        proptest::prop_assert_eq!(before, after);
    }
}

/// The generator writes models that compile (or the property above would compare only
/// diagnostic codes).
#[test]
fn random_models_mostly_compile() {
    let compiled = (0u8..100)
        .filter(|seed| {
            let choices: Vec<u8> = (0..64u8)
                .map(|i| {
                    seed.wrapping_mul(31)
                        .wrapping_add(i.wrapping_mul(*seed | 1))
                })
                .collect();
            let text = random_model(&choices);
            knetc::compile(&sources_from("model.knet", &text))
                .model
                .is_some()
        })
        .count();
    assert!(
        compiled >= 60,
        "only {compiled} of 100 random models compile"
    );
}
