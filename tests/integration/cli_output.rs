//! `knet build -o OUT` on what `OUT` can be: a character device, a FIFO, a symbolic
//! link, a file with its own mode, a new file under a umask; errors that name `OUT`;
//! and a signal while the temporary file exists. The tests run as root, as CI does,
//! which is what makes replacing `/dev/null` possible at all.

use std::os::unix::fs::{FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::cli::{knet, scratch, stderr};
use crate::common::{root, tool};

fn build_to(out: &Path) -> Output {
    knet(&[
        "build",
        "examples/shop.knet",
        "-o",
        out.to_str().expect("utf-8"),
    ])
}

fn shop_yaml() -> String {
    let sources = crate::common::sources_of(&root().join("examples/shop.knet"));
    knetc::build_yaml(&sources).expect("shop compiles").0
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("metadata")
        .permissions()
        .mode()
        & 0o7777
}

/// Temporary files knet left in `dir`.
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("read dir")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains(".knet-tmp."))
        .collect()
}

#[test]
fn a_character_device_is_written_through_not_replaced() {
    // First a device of our own, so that a knet that replaces devices fails here
    // rather than replacing the machine's /dev/null.
    let dir = scratch("char_device");
    let null = dir.join("null");
    if tool(
        "mknod",
        &[null.as_os_str(), "c".as_ref(), "1".as_ref(), "3".as_ref()],
    ) {
        let output = build_to(&null);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        let kind = std::fs::symlink_metadata(&null)
            .expect("metadata")
            .file_type();
        assert!(kind.is_char_device(), "the device node was replaced");
        assert!(leftovers(&dir).is_empty());
    }
    let output = build_to(Path::new("/dev/null"));
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let kind = std::fs::metadata("/dev/null")
        .expect("metadata")
        .file_type();
    assert!(kind.is_char_device(), "/dev/null is no longer a device");
    assert!(leftovers(Path::new("/dev")).is_empty());
}

#[test]
fn a_fifo_is_written_through() {
    let dir = scratch("fifo_output");
    let fifo = dir.join("out.yaml");
    assert!(tool("mkfifo", &[fifo.as_os_str()]));
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).expect("read the FIFO"))
    };
    let output = build_to(&fifo);
    if !reader.is_finished() {
        // A knet that did not open the FIFO leaves the reader waiting for a writer:
        // be that writer, so the test fails instead of hanging. Without blocking: if the
        // reader has already read everything and closed its end, a blocking open would
        // wait for a reader that never comes (it did, once, on a loaded machine).
        let _ = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
            .open(&fifo);
    }
    let read = reader.join().expect("reader thread");
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(read, shop_yaml());
    let kind = std::fs::symlink_metadata(&fifo)
        .expect("metadata")
        .file_type();
    assert!(kind.is_fifo(), "the FIFO was replaced");
}

#[test]
fn a_symbolic_link_keeps_pointing_at_the_replaced_file() {
    let dir = scratch("symlink_output");
    std::fs::create_dir_all(dir.join("real")).expect("dir");
    let target = dir.join("real/network.yaml");
    std::fs::write(&target, "OLD\n").expect("write");
    let link = dir.join("network.yaml");
    std::os::unix::fs::symlink("real/network.yaml", &link).expect("symlink");
    let output = build_to(&link);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(std::fs::symlink_metadata(&link)
        .expect("metadata")
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_to_string(&target).expect("read"), shop_yaml());
    assert!(leftovers(&dir).is_empty() && leftovers(&dir.join("real")).is_empty());

    // A dangling link: the file it names is created.
    let dangling = dir.join("new.yaml");
    std::os::unix::fs::symlink("real/created.yaml", &dangling).expect("symlink");
    let output = build_to(&dangling);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        std::fs::read_to_string(dir.join("real/created.yaml")).expect("read"),
        shop_yaml()
    );
}

#[test]
fn an_existing_file_keeps_its_mode_and_a_new_one_follows_the_umask() {
    let dir = scratch("modes");
    let existing = dir.join("existing.yaml");
    std::fs::write(&existing, "OLD\n").expect("write");
    std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o640)).expect("chmod");
    let output = build_to(&existing);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(mode(&existing), 0o640);
    assert_eq!(
        std::fs::read_to_string(&existing).expect("read"),
        shop_yaml()
    );

    for (umask, expected) in [("022", 0o644), ("027", 0o640), ("077", 0o600)] {
        let new = dir.join(format!("new-{umask}.yaml"));
        let status = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "umask {umask} && exec \"$0\" build examples/shop.knet -o \"$1\""
            ))
            .arg(env!("CARGO_BIN_EXE_knet"))
            .arg(&new)
            .current_dir(root())
            .status()
            .expect("sh runs");
        assert!(status.success());
        assert_eq!(mode(&new), expected, "umask {umask}");
    }
}

#[test]
fn errors_name_the_output_not_the_temporary_file() {
    let dir = scratch("output_errors");
    let missing = dir.join("no/such/dir/out.yaml");
    let output = build_to(&missing);
    assert_eq!(output.status.code(), Some(2));
    let err = stderr(&output);
    assert!(
        err.starts_with(&format!("error: cannot write `{}`: ", missing.display())),
        "{err}"
    );
    assert!(!err.contains("knet-tmp") && !err.contains(".tmp"), "{err}");

    let output = build_to(&dir);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("it is a directory"),
        "{}",
        stderr(&output)
    );
    assert!(leftovers(&dir).is_empty());
}

/// Sends `signal` to knet while its temporary file exists: the file is removed, the
/// output is left as it was, and knet exits with 128 + the signal's number. (A debug
/// build holds the temporary file for `KNET_TEST_PAUSE_BEFORE_RENAME_MS`: a real write
/// is over in milliseconds, too fast to hit every time.)
fn signal_while_writing(signal: &str, expected_status: i32) {
    let dir = scratch(&format!("signal_{signal}"));
    let out = dir.join("out.yaml");
    std::fs::write(&out, "OLD\n").expect("write");
    let mut child = Command::new(env!("CARGO_BIN_EXE_knet"))
        .args(["build", "examples/shop.knet", "-o"])
        .arg(&out)
        .env("KNET_TEST_PAUSE_BEFORE_RENAME_MS", "20000")
        .current_dir(root())
        .stderr(Stdio::piped())
        .spawn()
        .expect("knet runs");
    let temp = dir.join(format!(".out.yaml.knet-tmp.{}", child.id()));
    let start = Instant::now();
    while !temp.exists() {
        if start.elapsed() > Duration::from_secs(60) || child.try_wait().ok().flatten().is_some() {
            let _ = child.kill();
            panic!("the temporary file {} never appeared", temp.display());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    // The shell's own `kill`: no procps needed.
    let sent = Command::new("sh")
        .args(["-c", "kill -s \"$0\" \"$1\""])
        .args([signal.to_string(), child.id().to_string()])
        .status()
        .expect("sh runs");
    assert!(sent.success());
    let status = child.wait().expect("knet exits");
    assert_eq!(status.code(), Some(expected_status), "{status:?}");
    assert!(leftovers(&dir).is_empty(), "{:?}", leftovers(&dir));
    assert_eq!(std::fs::read_to_string(&out).expect("read"), "OLD\n");
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "only a debug build holds the temporary file long enough to signal"
)]
fn sigterm_removes_the_temporary_file() {
    signal_while_writing("TERM", 143);
}

#[test]
#[cfg_attr(
    not(debug_assertions),
    ignore = "only a debug build holds the temporary file long enough to signal"
)]
fn sigint_removes_the_temporary_file() {
    signal_while_writing("INT", 130);
}
