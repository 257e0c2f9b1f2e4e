//! The `knet` binary's inputs and diagnostics output: standard input, byte-order marks
//! and line endings, directory walking (symbolic link loops, FIFOs), the cap on
//! diagnostics and long lines.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::cli::{knet, scratch, stderr, stdout, BROKEN};
use crate::common::{root, tool};

/// Runs knet with `input` on standard input.
fn knet_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_knet"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("knet runs");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = child.wait_with_output().expect("knet finishes");
    writer.join().expect("writer thread");
    output
}

/// Runs knet, killing it and failing the test if it takes longer than 60 seconds
/// (a FIFO opened for reading would block forever).
fn knet_with_timeout(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_knet"))
        .args(args)
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("knet runs");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("knet {args:?} did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn json_lines(output: &Output) -> Vec<serde_json::Value> {
    stderr(output)
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON object per line"))
        .collect()
}

#[test]
fn a_dash_reads_standard_input_for_every_command() {
    let shop = std::fs::read(root().join("examples/shop.knet")).expect("example");
    let from_file = |args: &[&str]| {
        let mut with_file = args.to_vec();
        with_file.push("examples/shop.knet");
        stdout(&knet(&with_file))
    };
    for args in [
        &["check"][..],
        &["build"],
        &["preview", "iptables"],
        &["preview", "ipset"],
    ] {
        let mut with_dash = args.to_vec();
        with_dash.push("-");
        let output = knet_stdin(&with_dash, &shop);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_eq!(stdout(&output), from_file(args), "{args:?}");
    }
}

#[test]
fn standard_input_is_named_stdin_in_diagnostics() {
    let human = knet_stdin(&["check", "-", "--color", "never"], BROKEN.as_bytes());
    assert_eq!(human.status.code(), Some(1));
    assert!(
        stderr(&human).contains("┌─ <stdin>:5:9"),
        "{}",
        stderr(&human)
    );
    let json = knet_stdin(
        &["build", "-", "--message-format", "json"],
        BROKEN.as_bytes(),
    );
    assert_eq!(json.status.code(), Some(1));
    assert_eq!(json_lines(&json)[0]["file"], "<stdin>");
    let twice = knet_stdin(&["check", "-", "-"], BROKEN.as_bytes());
    assert_eq!(twice.status.code(), Some(2));
    assert!(stderr(&twice).contains("given twice"), "{}", stderr(&twice));
}

#[test]
fn line_numbers_are_right_with_any_line_ending_and_a_byte_order_mark() {
    let dir = scratch("line_endings");
    // `apii` is on line 5, column 9, whatever ends the lines.
    for (name, text) in [
        ("lf.knet", BROKEN.to_string()),
        ("crlf.knet", BROKEN.replace('\n', "\r\n")),
        ("cr.knet", BROKEN.replace('\n', "\r")),
        (
            "bom.knet",
            format!("\u{feff}{}", BROKEN.replace('\n', "\r\n")),
        ),
    ] {
        let path = dir.join(name);
        std::fs::write(&path, &text).expect("write");
        let output = knet(&[
            "check",
            path.to_str().expect("utf-8"),
            "--message-format",
            "json",
        ]);
        let lines = json_lines(&output);
        assert_eq!(lines.len(), 1, "{name}: {}", stderr(&output));
        assert_eq!(lines[0]["code"], "E0111", "{name}");
        assert_eq!(
            (lines[0]["line"].clone(), lines[0]["column"].clone()),
            (5.into(), 9.into()),
            "{name}"
        );
        // Byte offsets are into the file as it is on disk.
        let start = text.find("apii").expect("apii");
        assert_eq!(lines[0]["span"]["start"], start, "{name}");
        let human = knet(&["check", path.to_str().expect("utf-8"), "--color", "never"]);
        let shown = stderr(&human);
        assert!(shown.contains(":5:9\n"), "{name}: {shown}");
        assert!(
            !shown.contains('\r'),
            "{name}: a carriage return reached the terminal"
        );
    }
}

/// Positions in a file are 32-bit offsets: a larger file is refused before it is read
/// (the test's file is sparse, so it takes no disk and no memory).
#[test]
fn a_file_over_4_gib_is_an_input_error() {
    let dir = scratch("too_large");
    let path = dir.join("huge.knet");
    let file = std::fs::File::create(&path).expect("create");
    file.set_len(u64::from(u32::MAX) + 1)
        .expect("a sparse file");
    let output = knet(&["check", path.to_str().expect("utf-8")]);
    assert_exit_saying(&output, 2, "larger than 4 GiB");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_symbolic_link_loop_is_walked_once() {
    let dir = scratch("symlink_loop");
    std::fs::create_dir_all(dir.join("deploy/nested")).expect("dirs");
    std::fs::write(dir.join("deploy/nested/shop.knet"), BROKEN).expect("write");
    // nested/up -> .. and nested/self -> . make cycles.
    std::os::unix::fs::symlink("..", dir.join("deploy/nested/up")).expect("symlink");
    std::os::unix::fs::symlink(".", dir.join("deploy/nested/self")).expect("symlink");
    let output = knet_with_timeout(&[
        "check",
        dir.join("deploy").to_str().expect("utf-8"),
        "--message-format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    // The file is read once: one diagnostic, not one per path that reaches it.
    assert_eq!(json_lines(&output).len(), 1, "{}", stderr(&output));
}

#[test]
fn a_fifo_in_a_directory_is_skipped_with_a_note() {
    let dir = scratch("fifo_input");
    std::fs::write(dir.join("a.knet"), "namespace shop {\n}\n").expect("write");
    let fifo = dir.join("pipe.knet");
    assert!(tool("mkfifo", &[fifo.as_os_str()]));
    let output = knet_with_timeout(&["check", dir.to_str().expect("utf-8")]);
    assert_exit_saying(&output, 0, "pipe.knet`: it is a FIFO, not a regular file");
}

/// The run exited with `code` and its standard error says `text`.
fn assert_exit_saying(output: &std::process::Output, code: i32, text: &str) {
    assert_eq!(output.status.code(), Some(code), "{}", stderr(output));
    assert!(stderr(output).contains(text), "{}", stderr(output));
}

/// A file with `count` unknown apps, one error each.
fn many_errors(count: usize) -> String {
    let mut text = String::from("namespace shop {\n  app api {\n    port http 80\n  }\n");
    for i in 0..count {
        text.push_str(&format!("  allow ghost{i} -> api:http\n"));
    }
    text.push_str("}\n");
    text
}

#[test]
fn diagnostics_are_capped_and_the_rest_counted() {
    let dir = scratch("max_errors");
    let input = dir.join("many.knet");
    std::fs::write(&input, many_errors(150)).expect("write");
    let path = input.to_str().expect("utf-8");
    let count = |output: &Output| stderr(output).matches("error[E0111]").count();

    let default = knet(&["check", path, "--color", "never"]);
    assert_eq!(default.status.code(), Some(1));
    assert_eq!(count(&default), 100);
    let err = stderr(&default);
    assert!(
        err.ends_with(
            "note: 50 more diagnostics were not shown (`--max-errors 0` shows them all)\n\
             error: could not compile: 150 errors\n"
        ),
        "{err}"
    );

    let three = knet(&["check", path, "--color", "never", "--max-errors", "3"]);
    assert_eq!((three.status.code(), count(&three)), (Some(1), 3));
    let all = knet(&["check", path, "--color", "never", "--max-errors", "0"]);
    assert_eq!((all.status.code(), count(&all)), (Some(1), 150));
    assert!(!stderr(&all).contains("not shown"));

    let json = knet(&["check", path, "--message-format", "json"]);
    assert_eq!(json.status.code(), Some(1));
    let lines = json_lines(&json);
    assert_eq!(lines.len(), 101);
    assert_eq!(
        lines[100],
        serde_json::json!({"max_errors": 100, "not_shown": 50})
    );
}

#[test]
fn a_diagnostic_on_a_megabyte_line_shows_a_window() {
    let dir = scratch("long_line");
    let input = dir.join("long.knet");
    let padding = " ".repeat(1 << 20);
    let text = format!(
        "namespace shop {{\n  app api {{\n    port http 80\n  }}\n  allow{padding}apii -> api:http\n}}\n"
    );
    std::fs::write(&input, &text).expect("write");
    let output = knet(&["check", input.to_str().expect("utf-8"), "--color", "never"]);
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    let column = 8 + padding.len();
    assert!(err.contains(&format!("long.knet:5:{column}\n")), "{err}");
    assert!(err.contains("5 │ …"), "{err}");
    assert!(err.len() < 2000, "{} bytes of diagnostics", err.len());
}
