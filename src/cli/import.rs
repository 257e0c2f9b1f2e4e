//! `knet import`: Kubernetes YAML (files, directories of `*.yaml`, `*.yml` and `*.json`,
//! or `-` for standard input) to knet source, on standard output or `-o FILE`, or one
//! file per namespace with `-o DIR`. Exit 1 when the input has errors, or warnings under
//! `--deny-warnings` (nothing is written), or when the import is not faithful (`W04xx`;
//! the knet is written) unless `--allow-lossy`.

use std::path::{Path, PathBuf};

use knetc::diagnostic::Diagnostic;

use super::args::Common;
use super::{fail, inputs, output, report, write_stdout, EXIT_INPUT, EXIT_OK};

pub fn run(paths: &[PathBuf], out: Option<&Path>, allow_lossy: bool, common: &Common) -> i32 {
    let sources = match inputs::read_with(paths, inputs::MANIFESTS) {
        Ok(sources) => sources,
        Err(message) => return fail(&message),
    };
    let imported = knetc::import::import(&sources);
    if !imported.skipped.is_empty() {
        let kinds: Vec<String> = imported
            .skipped
            .iter()
            .map(|(kind, count)| format!("{kind} ({count})"))
            .collect();
        if common.message_format == super::args::MessageFormat::Json {
            let kinds: serde_json::Map<String, serde_json::Value> = imported
                .skipped
                .iter()
                .map(|(kind, count)| (kind.clone(), serde_json::Value::from(*count)))
                .collect();
            let skipped = serde_json::json!({ "skipped": kinds });
            eprintln!("{skipped}");
        } else {
            eprintln!(
                "note: skipped the kinds knet does not read: {}",
                kinds.join(", ")
            );
        }
    }
    let status = report(&imported.diagnostics, &sources, common);
    // Errors, and warnings denied (`--deny-warnings`), write nothing.
    if status != EXIT_OK || imported.diagnostics.iter().any(Diagnostic::is_error) {
        return status.max(EXIT_INPUT);
    }
    let written = match out {
        None => write_stdout(&imported.text),
        // `-o knet/`: a directory, made when it does not exist yet.
        Some(dir) if dir.is_dir() || dir.as_os_str().to_string_lossy().ends_with('/') => {
            if let Err(e) = std::fs::create_dir_all(dir) {
                return fail(&format!("cannot create `{}`: {e}", dir.display()));
            }
            for (stem, text) in &imported.files {
                if let Err(message) =
                    output::write_output(&dir.join(format!("{stem}.knet")), text.as_bytes())
                {
                    return fail(&message);
                }
            }
            EXIT_OK
        }
        Some(file) => match output::write_output(file, imported.text.as_bytes()) {
            Ok(()) => EXIT_OK,
            Err(message) => fail(&message),
        },
    };
    if written != EXIT_OK {
        return written;
    }
    let lossy = imported.diagnostics.iter().any(|d| !d.is_error());
    if lossy && !allow_lossy {
        eprintln!("error: the import is not faithful (see the warnings above); `--allow-lossy` accepts it");
        return EXIT_INPUT;
    }
    status
}
