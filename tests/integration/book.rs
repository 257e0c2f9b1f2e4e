//! Every ```knet block of the book and of the README is compiled. A plain `knet` block
//! must compile without errors; a block marked `knet,error=E0102` must fail, and every
//! code it produces must be one of the listed ones (`knet,error=E0102,E0111` lists
//! several); a block marked `knet,warning=W0301` must compile and produce that warning.

use std::path::{Path, PathBuf};

use crate::common::{relative, rendered, root, sources_from};

/// A fenced block: its info string, its text and the line it starts on.
pub struct Block {
    pub info: String,
    pub text: String,
    pub line: usize,
}

/// The fenced code blocks of a Markdown file.
pub fn blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut current: Option<Block> = None;
    for (i, line) in markdown.lines().enumerate() {
        let trimmed = line.trim_start();
        match &mut current {
            None => {
                if let Some(info) = trimmed.strip_prefix("```") {
                    current = Some(Block {
                        info: info.trim().to_string(),
                        text: String::new(),
                        line: i + 1,
                    });
                }
            }
            Some(block) => {
                if trimmed.starts_with("```") {
                    blocks.extend(current.take());
                } else {
                    block.text.push_str(line);
                    block.text.push('\n');
                }
            }
        }
    }
    blocks
}

/// `knet,error=E0102,E0111` -> ("error", ["E0102", "E0111"]). A `yaml,import` block is
/// an input of `knet import`: `yaml,import` must import without a diagnostic,
/// `yaml,import-error=E0401` / `yaml,import-warning=W0401` with exactly those codes.
pub fn expectation(info: &str) -> Option<(String, Vec<String>)> {
    let rest = if let Some(rest) = info.strip_prefix("knet") {
        if rest.is_empty() {
            return Some((String::new(), Vec::new()));
        }
        rest.strip_prefix(',')?
    } else if let Some(rest) = info.strip_prefix("yaml,import") {
        if rest.is_empty() {
            return Some((String::new(), Vec::new()));
        }
        rest.strip_prefix('-')?
    } else {
        return None;
    };
    let (kind, codes) = rest.split_once('=')?;
    Some((
        kind.trim().to_string(),
        codes.split(',').map(|c| c.trim().to_string()).collect(),
    ))
}

pub fn markdown_files() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "md") {
                out.push(path);
            }
        }
    }
    let mut files = vec![root().join("README.md")];
    walk(&root().join("book/src"), &mut files);
    files.sort();
    files
}

/// Checks one block; returns a failure message.
pub fn check_block(name: &str, block: &Block) -> Option<String> {
    let (kind, codes) = expectation(&block.info)?;
    let sources = sources_from(name, &block.text);
    let checked = if block.info.starts_with("yaml,import") {
        import_checked(&sources)
    } else {
        knetc::compile(&sources)
    };
    let produced: Vec<&str> = checked
        .diagnostics
        .iter()
        .map(|d| d.code.as_str())
        .collect();
    let shown = || rendered(&checked.diagnostics, &sources);
    match kind.as_str() {
        "" if checked.model.is_none() => Some(format!("{name}: block must compile:\n{}", shown())),
        "" => None,
        "error" | "warning" => {
            let missing: Vec<&String> = codes
                .iter()
                .filter(|c| !produced.contains(&c.as_str()))
                .collect();
            let extra: Vec<&&str> = produced
                .iter()
                .filter(|p| !codes.iter().any(|c| c == *p))
                .collect();
            let failed = checked.model.is_none();
            // `knet import` exits 1 for its warnings too.
            let must_fail = kind == "error" || block.info.starts_with("yaml,import");
            if !missing.is_empty() || !extra.is_empty() || must_fail != failed {
                Some(format!(
                    "{name}: expected {kind} {codes:?}, got {produced:?}:\n{}",
                    shown()
                ))
            } else {
                None
            }
        }
        other => Some(format!("{name}: unknown block kind `{other}`")),
    }
}

/// An import as a check: its diagnostics, and a "model" when nothing is wrong (a
/// `W04xx` counts as failing, as `knet import` exits 1 for it).
pub fn import_checked(sources: &knetc::source::Sources) -> knetc::Checked {
    let imported = knetc::import::import(sources);
    let failed = !imported.diagnostics.is_empty() || imported.text.is_empty();
    let model = if failed {
        None
    } else {
        knetc::compile(&sources_from("imported.knet", &imported.text)).model
    };
    knetc::Checked {
        model,
        diagnostics: imported.diagnostics,
    }
}

#[test]
fn every_knet_block_compiles_as_marked() {
    let mut failures = Vec::new();
    let mut count = 0;
    for file in markdown_files() {
        let text = std::fs::read_to_string(&file).expect("readable");
        for block in blocks(&text) {
            if expectation(&block.info).is_none() {
                continue;
            }
            count += 1;
            let name = format!("{}:{}", relative(&file), block.line);
            failures.extend(check_block(&name, &block));
        }
    }
    assert!(count > 0, "the book and README have knet blocks");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn block_expectations_parse() {
    assert_eq!(expectation("knet"), Some((String::new(), vec![])));
    assert_eq!(
        expectation("knet,error=E0102,E0111"),
        Some(("error".into(), vec!["E0102".into(), "E0111".into()]))
    );
    assert_eq!(expectation("yaml"), None);
    assert_eq!(expectation("knetx"), None);
}
