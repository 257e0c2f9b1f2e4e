//! Reading the sources of a run: files as given, and every `*.knet` file below each
//! directory, in sorted order so that the model (and its output) does not depend on the
//! order the file system lists them in.

use std::path::{Path, PathBuf};

use knetc::source::Sources;

/// The `.knet` files the paths name, directories walked in sorted order, each once.
pub fn knet_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let before = files.len();
            walk(path, &mut files)?;
            files[before..].sort();
        } else if path.exists() {
            files.push(path.clone());
        } else {
            return Err(format!("`{}` does not exist", path.display()));
        }
    }
    if files.is_empty() {
        let shown: Vec<String> = paths.iter().map(|p| format!("`{}`", p.display())).collect();
        return Err(format!("no .knet files found in {}", shown.join(", ")));
    }
    let mut seen = Vec::new();
    files.retain(|file| {
        let canonical = file.canonicalize().unwrap_or_else(|_| file.clone());
        let first = !seen.contains(&canonical);
        seen.push(canonical);
        first
    });
    Ok(files)
}

/// Reads every source. A file that is not UTF-8 is kept as an empty file, and the
/// checker is told through [`Sources`]; unreadable paths are an error (exit 2).
pub fn read(paths: &[PathBuf]) -> Result<Sources, String> {
    let mut sources = Sources::new();
    for file in knet_files(paths)? {
        let bytes =
            std::fs::read(&file).map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
        let name = display_name(&file);
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
    Ok(sources)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<(), String> {
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?;
    let mut entries: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, files)?;
        } else if path.extension().is_some_and(|ext| ext == "knet") {
            files.push(path);
        }
    }
    Ok(())
}

/// Paths are shown as given, with `./` dropped.
pub fn display_name(path: &Path) -> String {
    let shown = path.display().to_string();
    shown
        .strip_prefix("./")
        .map(str::to_string)
        .unwrap_or(shown)
}
