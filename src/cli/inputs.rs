//! Reading the sources of a run: files as given, standard input for `-`, and every
//! `*.knet` file below each directory, in sorted order so that the model (and its
//! output) does not depend on the order the file system lists them in.
//!
//! Directories are walked by their real (canonical) path and each is entered once, so a
//! symbolic link back up the tree is not followed round forever. Inside a directory,
//! only regular files are read: a FIFO, socket or device named `*.knet` is skipped
//! with a note on standard error (opening a FIFO would wait for a writer forever). A
//! path named on the command line is read whatever it is (`knet check <(generate)`).

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use knetc::source::Sources;

/// The name standard input goes by in diagnostics.
pub const STDIN_NAME: &str = "<stdin>";

/// One input: a file, or standard input.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Input {
    File(PathBuf),
    Stdin,
}

/// Reads every source. A file that is not UTF-8 is kept as its valid prefix, and the
/// checker is told through [`Sources`]; unreadable paths are an error (exit 2).
pub fn read(paths: &[PathBuf]) -> Result<Sources, String> {
    read_with(paths, KNET)
}

/// The extension of knet sources.
pub const KNET: &[&str] = &["knet"];
/// The extensions of Kubernetes manifests (`knet import`).
pub const MANIFESTS: &[&str] = &["yaml", "yml", "json"];

/// The largest file knet reads: positions in a file are 32-bit offsets (`source::Span`).
const MAX_FILE: u64 = u32::MAX as u64;

fn too_large(name: &str) -> String {
    format!("`{name}` is larger than 4 GiB, the most knet reads")
}

/// Reads every source; directories give their files with one of `extensions`.
pub fn read_with(paths: &[PathBuf], extensions: &[&str]) -> Result<Sources, String> {
    let mut sources = Sources::new();
    for input in inputs(paths, extensions)? {
        let (name, bytes) = match input {
            Input::Stdin => {
                let mut bytes = Vec::new();
                std::io::stdin()
                    .lock()
                    .read_to_end(&mut bytes)
                    .map_err(|e| format!("cannot read standard input: {e}"))?;
                (STDIN_NAME.to_string(), bytes)
            }
            Input::File(file) => {
                // Known before reading, for a regular file: not 4 GiB read in vain.
                let size = std::fs::metadata(&file).map_or(0, |m| m.len());
                if size > MAX_FILE {
                    return Err(too_large(&display_name(&file)));
                }
                let bytes = std::fs::read(&file)
                    .map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
                (display_name(&file), bytes)
            }
        };
        if bytes.len() as u64 > MAX_FILE {
            return Err(too_large(&name));
        }
        add(&mut sources, name, bytes);
    }
    Ok(sources)
}

/// The inputs the paths name: files as given, `-`, and the `*.knet` files below each
/// directory in sorted order; each file once (by its real path).
pub fn inputs(paths: &[PathBuf], extensions: &[&str]) -> Result<Vec<Input>, String> {
    let mut inputs = Vec::new();
    let mut walked = BTreeSet::new();
    for path in paths {
        if path.as_os_str() == "-" {
            if inputs.contains(&Input::Stdin) {
                return Err("`-` (standard input) is given twice".to_string());
            }
            inputs.push(Input::Stdin);
        } else if path.is_dir() {
            let mut files = Vec::new();
            walk(path, extensions, &mut files, &mut walked)?;
            files.sort();
            inputs.extend(files.into_iter().map(Input::File));
        } else if path.exists() {
            inputs.push(Input::File(path.clone()));
        } else {
            return Err(format!("`{}` does not exist", path.display()));
        }
    }
    if inputs.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| format!("`{}`", p.display())).collect();
        let kinds: Vec<String> = extensions.iter().map(|e| format!(".{e}")).collect();
        return Err(format!(
            "no {} files found in {}",
            kinds.join(" or "),
            shown.join(", ")
        ));
    }
    let mut seen = BTreeSet::new();
    inputs.retain(|input| match input {
        Input::Stdin => true,
        Input::File(file) => seen.insert(file.canonicalize().unwrap_or_else(|_| file.clone())),
    });
    Ok(inputs)
}

/// Adds one input's bytes: a file that is not UTF-8 is kept as its valid prefix.
fn add(sources: &mut Sources, name: String, bytes: Vec<u8>) {
    match String::from_utf8(bytes) {
        Ok(text) => {
            sources.add(name, text);
        }
        Err(error) => {
            let valid_len = error.utf8_error().valid_up_to();
            let bytes = error.into_bytes();
            let valid = String::from_utf8_lossy(bytes.get(..valid_len).unwrap_or(&[]));
            sources.add_invalid_utf8(name, valid.into_owned());
        }
    }
}

/// Collects the `*.knet` files below `dir`, entering each real directory once.
fn walk(
    dir: &Path,
    extensions: &[&str],
    files: &mut Vec<PathBuf>,
    walked: &mut BTreeSet<PathBuf>,
) -> Result<(), String> {
    let real = dir
        .canonicalize()
        .map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
    if !walked.insert(real) {
        return Ok(());
    }
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        // Follows symbolic links; a dangling link is left to the read, which names it.
        let kind = std::fs::metadata(&path).map(|m| m.file_type());
        if kind.as_ref().is_ok_and(|kind| kind.is_dir()) {
            walk(&path, extensions, files, walked)?;
        } else if path
            .extension()
            .is_some_and(|ext| extensions.iter().any(|e| ext == *e))
        {
            match kind.ok().and_then(|kind| special(&kind)) {
                Some(what) => eprintln!(
                    "note: skipping `{}`: it is {what}, not a regular file",
                    path.display()
                ),
                None => files.push(path),
            }
        }
    }
    Ok(())
}

/// What a file that is neither a regular file nor a directory is, in words.
#[cfg(unix)]
fn special(kind: &std::fs::FileType) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_fifo() {
        Some("a FIFO")
    } else if kind.is_socket() {
        Some("a socket")
    } else if kind.is_char_device() {
        Some("a character device")
    } else if kind.is_block_device() {
        Some("a block device")
    } else {
        None
    }
}

#[cfg(not(unix))]
fn special(kind: &std::fs::FileType) -> Option<&'static str> {
    (!kind.is_file()).then_some("a special file")
}

/// Paths are shown as given, with `./` dropped.
pub fn display_name(path: &Path) -> String {
    let shown = path.display().to_string();
    shown
        .strip_prefix("./")
        .map(str::to_string)
        .unwrap_or(shown)
}
