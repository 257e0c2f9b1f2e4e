//! Writing `build -o OUT`: replaced whole or not at all, without harming what `OUT` is.
//!
//! - A regular file (or a new one) is replaced atomically: the content goes to a
//!   temporary file beside it, `.OUT.knet-tmp.PID` (named so that a user who finds one
//!   left by a killed run knows what it is), which is synced and renamed over `OUT`. The
//!   new file keeps the old one's permission bits (and owner, when run as root); a new
//!   file gets `0666` less the umask, as any program's output does.
//! - A symbolic link is followed: the file it points to is replaced, the link stays.
//! - A character device (`/dev/null`, `/dev/stdout`) or a FIFO is written through:
//!   renaming a regular file over it would replace the device node.
//! - SIGINT, SIGTERM and SIGHUP while a temporary file exists remove it, then exit
//!   with 128 + the signal's number (130, 143, 129).
//!
//! Error messages name `OUT`, never the temporary file.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// The temporary file being written, for the signal handler to remove.
static PENDING: Mutex<Option<PathBuf>> = Mutex::new(None);

/// Symbolic links followed before giving up (Linux's own limit).
const MAX_LINKS: usize = 40;

/// Writes `content` to `path` as described in the module documentation.
pub fn write_output(path: &Path, content: &[u8]) -> Result<(), String> {
    let fail = |e: std::io::Error| format!("cannot write `{}`: {e}", path.display());
    let target = follow_links(path).map_err(fail)?;
    match std::fs::metadata(&target) {
        Ok(metadata) if metadata.is_dir() => Err(format!(
            "cannot write `{}`: it is a directory",
            path.display()
        )),
        Ok(metadata) if metadata.is_file() => replace(&target, path, content, Some(&metadata)),
        Ok(metadata) => match special(&metadata) {
            Special::WriteThrough => write_through(&target, content).map_err(fail),
            Special::Refused(what) => Err(format!(
                "cannot write `{}`: it is {what}; knet writes regular files, character \
                 devices and FIFOs",
                path.display()
            )),
        },
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            replace(&target, path, content, None)
        }
        Err(error) => Err(fail(error)),
    }
}

/// The path `path` finally names, its symbolic links followed (a dangling link names
/// the file it would point to).
fn follow_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let link = std::fs::read_link(&current)?;
                current = match current.parent() {
                    Some(parent) if link.is_relative() => parent.join(link),
                    _ => link,
                };
            }
            _ => return Ok(current),
        }
    }
    Err(std::io::Error::other("too many levels of symbolic links"))
}

enum Special {
    WriteThrough,
    Refused(&'static str),
}

#[cfg(unix)]
fn special(metadata: &std::fs::Metadata) -> Special {
    use std::os::unix::fs::FileTypeExt;
    let kind = metadata.file_type();
    if kind.is_char_device() || kind.is_fifo() {
        Special::WriteThrough
    } else if kind.is_block_device() {
        Special::Refused("a block device")
    } else if kind.is_socket() {
        Special::Refused("a socket")
    } else {
        Special::Refused("not a regular file")
    }
}

#[cfg(not(unix))]
fn special(_: &std::fs::Metadata) -> Special {
    Special::Refused("not a regular file")
}

fn write_through(target: &Path, content: &[u8]) -> std::io::Result<()> {
    let mut file = OpenOptions::new().write(true).open(target)?;
    file.write_all(content)?;
    file.flush()
}

/// Replaces a regular file (or creates one) through a temporary file and a rename.
/// Messages name `path`, the output as the user gave it.
fn replace(
    target: &Path,
    path: &Path,
    content: &[u8],
    existing: Option<&std::fs::Metadata>,
) -> Result<(), String> {
    let shown = path.display();
    let dir = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let name = target.file_name().map_or_else(
        || "output".to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let temp = dir.join(format!(".{name}.knet-tmp.{}", std::process::id()));
    install_cleanup();
    set_pending(Some(temp.clone()));
    let written = create(&temp, existing)
        .and_then(|mut file| {
            file.write_all(content)?;
            file.sync_all()
        })
        .map_err(|e| format!("cannot write `{shown}`: {e}"));
    pause_for_tests();
    let result = written.and_then(|()| {
        // Under the lock, so that a signal cannot remove the file mid-rename.
        let mut pending = lock_pending();
        let renamed =
            std::fs::rename(&temp, target).map_err(|e| format!("cannot replace `{shown}`: {e}"));
        if renamed.is_ok() {
            *pending = None;
        }
        renamed
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
        set_pending(None);
    }
    result
}

/// In a debug build, `KNET_TEST_PAUSE_BEFORE_RENAME_MS` holds the temporary file that
/// long, so that a test can send a signal while it exists (a real write lasts a few
/// milliseconds, too short to hit reliably). Release builds have no such hook.
fn pause_for_tests() {
    #[cfg(debug_assertions)]
    if let Some(ms) = std::env::var("KNET_TEST_PAUSE_BEFORE_RENAME_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// Creates the temporary file with the mode (and owner) the output should have.
#[cfg(unix)]
fn create(temp: &Path, existing: Option<&std::fs::Metadata>) -> std::io::Result<File> {
    use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
    let open = || {
        OpenOptions::new()
            .write(true)
            .create_new(true)
            // The kernel applies the umask; an existing file's mode is set below.
            .mode(0o666)
            .open(temp)
    };
    let file = match open() {
        // A leftover of a killed run with the same process id: it is ours.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            std::fs::remove_file(temp)?;
            open()?
        }
        other => other?,
    };
    if let Some(existing) = existing {
        // Keep the owner when allowed to (as root); an unprivileged run cannot, and
        // then the file is the user's, as any file they write.
        let _ = std::os::unix::fs::fchown(&file, Some(existing.uid()), Some(existing.gid()));
        file.set_permissions(std::fs::Permissions::from_mode(existing.mode() & 0o7777))?;
    }
    Ok(file)
}

#[cfg(not(unix))]
fn create(temp: &Path, existing: Option<&std::fs::Metadata>) -> std::io::Result<File> {
    let file = OpenOptions::new().write(true).create_new(true).open(temp)?;
    if let Some(existing) = existing {
        file.set_permissions(existing.permissions())?;
    }
    Ok(file)
}

fn lock_pending() -> std::sync::MutexGuard<'static, Option<PathBuf>> {
    // A panic while holding the lock cannot leave the path half-written.
    PENDING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn set_pending(path: Option<PathBuf>) {
    *lock_pending() = path;
}

/// Installs (once) the handler that removes the pending temporary file on a signal.
///
/// signal-hook's iterator runs the handler on a thread of its own, where removing a file
/// and exiting are safe (in a signal handler proper they are not). If the handler cannot
/// be installed, the output is still written; only the cleanup on a signal is lost.
fn install_cleanup() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        #[cfg(unix)]
        {
            use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
            if let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP])
            {
                std::thread::spawn(move || {
                    if let Some(signal) = signals.forever().next() {
                        if let Some(temp) = lock_pending().take() {
                            let _ = std::fs::remove_file(temp);
                        }
                        std::process::exit(128 + signal);
                    }
                });
            }
        }
    });
}
