//! Helpers shared by unit tests.

// The integration tests include this file too, and use what the unit tests do not.
#[allow(dead_code)]
pub mod pest_grammar;

use std::path::{Path, PathBuf};

/// Every `.knet` file of the repository's examples, tests and book, in a stable order.
pub fn repository_knet_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "knet") {
                out.push(path);
            }
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["examples", "tests", "book"] {
        walk(&root.join(dir), &mut files);
    }
    files.sort();
    files
}
