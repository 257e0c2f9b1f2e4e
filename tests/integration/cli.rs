//! The `knet` binary: exit codes, standard streams, output files, message formats,
//! directories and colour.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::{root, with_snapshots};

pub(crate) fn knet(args: &[&str]) -> Output {
    knet_env(args, &[])
}

pub(crate) fn knet_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_knet"));
    command
        .args(args)
        .current_dir(root())
        .env_remove("NO_COLOR");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("knet runs")
}

pub(crate) fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A scratch directory under target/ for one test.
pub(crate) fn scratch(name: &str) -> std::path::PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A scratch directory holding `broken.knet` (one unknown app).
fn broken_input(name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let dir = scratch(name);
    let input = dir.join("broken.knet");
    std::fs::write(&input, BROKEN).expect("write");
    (dir, input)
}

pub(crate) const BROKEN: &str =
    "namespace shop {\n  app api {\n    port http 80\n  }\n  allow apii -> api:http\n}\n";

#[test]
fn build_prints_the_yaml_of_the_library() {
    let output = knet(&["build", "examples/shop.knet"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let sources = crate::common::sources_of(&root().join("examples/shop.knet"));
    let (yaml, _) = knetc::build_yaml(&sources).expect("shop compiles");
    assert_eq!(stdout(&output), yaml);
    assert!(stderr(&output).is_empty());
}

#[test]
fn errors_exit_1_and_print_nothing_on_stdout() {
    let (_, input) = broken_input("errors_exit_1");
    let output = knet(&[
        "build",
        input.to_str().expect("utf-8 path"),
        "--color",
        "never",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stdout(&output).is_empty());
    let err = stderr(&output);
    assert!(
        err.contains("error[E0111]: unknown app or external `apii`"),
        "{err}"
    );
    assert!(err.contains("did you mean `api`?"), "{err}");
    assert!(
        err.ends_with("error: could not compile: 1 error\n"),
        "{err}"
    );
}

#[test]
fn output_file_is_left_intact_on_error_and_replaced_on_success() {
    let dir = scratch("output_file");
    let out = dir.join("out.yaml");
    std::fs::write(&out, "OLD CONTENT\n").expect("write");
    let bad = dir.join("bad.knet");
    std::fs::write(&bad, BROKEN).expect("write");
    let out_arg = out.to_str().expect("utf-8 path");

    let failed = knet(&["build", bad.to_str().expect("utf-8"), "-o", out_arg]);
    assert_eq!(failed.status.code(), Some(1));
    assert_eq!(
        std::fs::read_to_string(&out).expect("read"),
        "OLD CONTENT\n"
    );

    let ok = knet(&["build", "examples/shop.knet", "-o", out_arg]);
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(stdout(&ok).is_empty());
    let written = std::fs::read_to_string(&out).expect("read");
    assert!(
        written.starts_with("---\napiVersion: v1\nkind: Service\n"),
        "{written}"
    );
    // No temporary file is left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .expect("read dir")
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(".knet-tmp."))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn message_format_json_prints_one_object_per_diagnostic() {
    let (_, input) = broken_input("json");
    let output = knet(&[
        "check",
        input.to_str().expect("utf-8"),
        "--message-format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    let value: serde_json::Value = serde_json::from_str(lines[0]).expect("valid JSON");
    assert_eq!(value["code"], "E0111");
    assert_eq!(value["severity"], "error");
    assert_eq!(value["message"], "unknown app or external `apii`");
    assert!(value["file"]
        .as_str()
        .expect("file")
        .ends_with("broken.knet"));
    // `apii` is on line 5, column 9 (1-based); bytes 54..58.
    assert_eq!(value["line"], 5);
    assert_eq!(value["column"], 9);
    let start = BROKEN.find("apii").expect("apii");
    assert_eq!(value["span"]["start"], start);
    assert_eq!(value["span"]["end"], start + 4);
    assert_eq!(value["help"], "did you mean `api`?");
}

#[test]
fn a_directory_is_one_model() {
    let output = knet(&["build", "tests/valid-multi/cross-file"]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let yaml = stdout(&output);
    // The flow in one file names an app declared in another.
    assert!(yaml.contains("name: web-egress"), "{yaml}");
    assert!(yaml.contains("name: db-ingress"), "{yaml}");
}

#[test]
fn no_color_is_honoured_unless_colour_is_forced() {
    let (_, input) = broken_input("color");
    let path = input.to_str().expect("utf-8");
    let auto = knet_env(&["check", path], &[("NO_COLOR", "1")]);
    assert!(
        !stderr(&auto).contains('\u{1b}'),
        "NO_COLOR must disable colour"
    );
    let always = knet_env(&["check", path, "--color", "always"], &[("NO_COLOR", "1")]);
    assert!(
        stderr(&always).contains('\u{1b}'),
        "--color always forces colour"
    );
    let never = knet(&["check", path, "--color", "never"]);
    assert!(!stderr(&never).contains('\u{1b}'));
}

#[test]
fn usage_and_io_errors_exit_2() {
    assert_eq!(knet(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        knet(&["build", "--color", "sometimes"]).status.code(),
        Some(2)
    );
    let missing = knet(&["check", "no/such/file.knet"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("`no/such/file.knet` does not exist"));
    let empty = scratch("empty_dir");
    let none = knet(&["check", empty.to_str().expect("utf-8")]);
    assert_eq!(none.status.code(), Some(2));
    assert!(stderr(&none).contains("no .knet files found"));
    assert_eq!(knet(&["explain", "E9999"]).status.code(), Some(2));
}

#[test]
fn invalid_utf8_is_a_diagnostic() {
    let dir = scratch("utf8");
    let input = dir.join("latin1.knet");
    std::fs::write(&input, b"namespace caf\xe9 {\n}\n").expect("write");
    let output = knet(&[
        "check",
        input.to_str().expect("utf-8"),
        "--message-format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let value: serde_json::Value = serde_json::from_str(stderr(&output).trim()).expect("json");
    assert_eq!(value["code"], "E0002");
    assert_eq!(value["column"], 14);
}

#[test]
fn help_and_version_exit_0() {
    let help = knet(&["--help"]);
    assert_eq!(help.status.code(), Some(0));
    assert!(stdout(&help).contains("Exit status"));
    assert_eq!(knet(&["build", "--help"]).status.code(), Some(0));
    assert_eq!(knet(&["--version"]).status.code(), Some(0));
}

#[test]
fn check_output_snapshot() {
    let (dir, _) = broken_input("check_snapshot");
    let output = Command::new(env!("CARGO_BIN_EXE_knet"))
        .args(["check", "broken.knet", "--color", "never"])
        .current_dir(&dir)
        .output()
        .expect("runs");
    let shown = format!(
        "exit: {:?}\n--- stdout ---\n{}--- stderr ---\n{}",
        output.status.code(),
        stdout(&output),
        stderr(&output)
    );
    with_snapshots("cli", || insta::assert_snapshot!("check_broken", shown));
}

#[test]
fn explain_prints_the_book_page_of_a_code() {
    for code in ["E0111", "W0106", "w0203"] {
        let output = knet(&["explain", code]);
        assert_eq!(output.status.code(), Some(0));
        let page = std::fs::read_to_string(
            root().join(format!("book/src/codes/{}.md", code.to_ascii_uppercase())),
        )
        .expect("page");
        assert_eq!(stdout(&output), page);
    }
}

#[test]
fn deny_warnings_turns_warnings_into_failure_and_writes_nothing() {
    let dir = scratch("deny_warnings");
    let input = dir.join("warn.knet");
    // `lonely` has a port nothing may reach: W0108.
    std::fs::write(
        &input,
        "namespace shop {\n  app lonely {\n    port http 80\n  }\n}\n",
    )
    .expect("write");
    let out = dir.join("out.yaml");
    let path = input.to_str().expect("utf-8");
    let out_arg = out.to_str().expect("utf-8");
    let warned = knet(&["build", path, "-o", out_arg, "--color", "never"]);
    assert_eq!(warned.status.code(), Some(0));
    assert!(stderr(&warned).contains("warning[W0108]"));
    std::fs::remove_file(&out).expect("written");
    let denied = knet(&[
        "build",
        path,
        "-o",
        out_arg,
        "--deny-warnings",
        "--color",
        "never",
    ]);
    assert_eq!(denied.status.code(), Some(1));
    assert!(!out.exists(), "nothing is written when warnings are denied");
    assert!(
        stderr(&denied).contains("denied (--deny-warnings)"),
        "{}",
        stderr(&denied)
    );

    // `knet import` too: a NodePort Service its policy closes is W0403.
    let manifest = dir.join("closed.yaml");
    std::fs::write(
        &manifest,
        "apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: shop}\nspec:\n  type: NodePort\n  selector: {app: web}\n  ports: [{port: 80}]\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec:\n  podSelector: {}\n  policyTypes: [Ingress]\n",
    )
    .expect("write");
    let imported = dir.join("shop.knet");
    let (manifest, imported_arg) = (
        manifest.to_str().expect("utf-8"),
        imported.to_str().expect("utf-8"),
    );
    let lossy = knet(&["import", manifest, "-o", imported_arg, "--color", "never"]);
    assert_eq!(lossy.status.code(), Some(1));
    assert!(
        stderr(&lossy).contains("warning[W0403]"),
        "{}",
        stderr(&lossy)
    );
    std::fs::remove_file(&imported).expect("written, though not faithful");
    for flags in [
        &["--deny-warnings"][..],
        &["--deny-warnings", "--allow-lossy"],
    ] {
        let mut args = vec!["import", manifest, "-o", imported_arg, "--color", "never"];
        args.extend(flags);
        let denied = knet(&args);
        assert_eq!(denied.status.code(), Some(1));
        assert!(!imported.exists(), "import {flags:?} writes nothing");
    }
}
