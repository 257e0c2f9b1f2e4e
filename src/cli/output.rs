//! Writing an output file so that it is replaced whole or not at all: the content goes
//! to a temporary file in the same directory, which is then renamed over the target.

use std::io::Write;
use std::path::Path;

pub fn replace_file(path: &Path, content: &[u8]) -> Result<(), String> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let fail = |e: std::io::Error| format!("cannot write `{}`: {e}", path.display());
    let mut temp = tempfile::Builder::new()
        .prefix(".knet-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(fail)?;
    temp.write_all(content).map_err(fail)?;
    temp.as_file().sync_all().map_err(fail)?;
    temp.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}
