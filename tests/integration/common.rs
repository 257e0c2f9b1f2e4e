//! Helpers shared by the test modules.

use std::path::{Path, PathBuf};

use knetc::diagnostic::{render, Diagnostic};
use knetc::source::Sources;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path relative to the repository root, with `/` separators, for snapshot names.
pub fn relative(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

/// Sources from one file on disk, named by its path relative to the root. A file that is
/// not UTF-8 is registered as the CLI registers it: its valid prefix, reported as `E0002`.
pub fn sources_of(path: &Path) -> Sources {
    let bytes = std::fs::read(path).expect("test input is readable");
    let mut sources = Sources::new();
    match String::from_utf8(bytes) {
        Ok(text) => {
            sources.add(relative(path), text);
        }
        Err(error) => {
            let valid_len = error.utf8_error().valid_up_to();
            let bytes = error.into_bytes();
            let valid = String::from_utf8_lossy(bytes.get(..valid_len).unwrap_or(&[]));
            sources.add_invalid_utf8(relative(path), valid.into_owned());
        }
    }
    sources
}

/// The text of a file on disk, with any invalid UTF-8 shown as `U+FFFD`.
pub fn text_of(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).expect("test input is readable")).into_owned()
}

/// Sources from text, named `name`.
pub fn sources_from(name: &str, text: &str) -> Sources {
    let mut sources = Sources::new();
    sources.add(name, text);
    sources
}

/// Diagnostics rendered without colour, as the terminal would show them.
pub fn rendered(diagnostics: &[Diagnostic], sources: &Sources) -> String {
    let mut out = render::render(diagnostics, sources, false);
    if let Some(summary) = render::summary(diagnostics) {
        out.push_str(&summary);
        out.push('\n');
    }
    out
}

/// Runs `f` with insta writing snapshots to `snapshots/<folder>`.
pub fn with_snapshots(folder: &str, f: impl FnOnce()) {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("snapshots").join(folder));
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(f);
}

/// Runs a system tool (`mkfifo`, `mknod`); whether it succeeded.
pub fn tool(program: &str, args: &[&std::ffi::OsStr]) -> bool {
    std::process::Command::new(program)
        .args(args)
        .status()
        .is_ok_and(|status| status.success())
}
