//! The server's view of the files: the open documents, and the units they belong to.
//!
//! A unit is every `*.knet` file of an open document's directory (not recursive), read
//! from disk, with the open documents' in-memory text in place of what is on disk; a
//! document that is not a `file:` URI (an unsaved buffer) is a unit of its own. Each
//! unit is analysed once ([`knetc::ide::Analysis`]) and kept until a document of its
//! directory is opened, changed or closed.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use knetc::ide::Analysis;
use knetc::source::{FileId, Sources, Span};
use lsp_types::Uri;

use super::convert::{path_to_uri, uri_to_path};

/// How a document is known: by path for `file:` URIs (clients spell one path in more
/// than one way), else by the URI as sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DocKey {
    Path(PathBuf),
    Other(String),
}

impl DocKey {
    pub fn of(uri: &Uri) -> DocKey {
        match uri_to_path(uri) {
            Some(path) => DocKey::Path(path),
            None => DocKey::Other(uri.as_str().to_string()),
        }
    }

    /// The unit the document belongs to.
    fn unit(&self) -> UnitKey {
        match self {
            DocKey::Path(path) => {
                UnitKey::Directory(path.parent().unwrap_or(Path::new("/")).to_path_buf())
            }
            DocKey::Other(uri) => UnitKey::Alone(uri.clone()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum UnitKey {
    Directory(PathBuf),
    Alone(String),
}

/// The files of a unit, analysed.
pub struct Unit {
    pub sources: Sources,
    /// The document of each file id.
    keys: Vec<DocKey>,
    /// The URI of each file id: the client's own for open documents.
    uris: Vec<Uri>,
    pub analysis: Analysis,
}

impl Unit {
    pub fn file(&self, key: &DocKey) -> Option<FileId> {
        self.keys.iter().position(|k| k == key).map(FileId)
    }

    pub fn uri(&self, file: FileId) -> Option<Uri> {
        self.uris.get(file.0).cloned()
    }

    /// The URI of the file a span is in.
    pub fn uri_of(&self, span: Span) -> Option<Uri> {
        self.uri(span.file())
    }

    pub fn files(&self) -> impl Iterator<Item = (FileId, &Uri)> {
        self.uris
            .iter()
            .enumerate()
            .map(|(i, uri)| (FileId(i), uri))
    }
}

/// An open document: the URI the client uses and its text.
struct Document {
    uri: Uri,
    text: String,
}

#[derive(Default)]
pub struct Workspace {
    documents: HashMap<DocKey, Document>,
    units: HashMap<UnitKey, Unit>,
}

impl Workspace {
    pub fn open(&mut self, uri: Uri, text: String) {
        let key = DocKey::of(&uri);
        self.units.remove(&key.unit());
        self.documents.insert(key, Document { uri, text });
    }

    /// Whether the document was open.
    pub fn change(&mut self, uri: &Uri, text: String) -> bool {
        let key = DocKey::of(uri);
        self.units.remove(&key.unit());
        match self.documents.get_mut(&key) {
            Some(document) => {
                document.text = text;
                true
            }
            None => false,
        }
    }

    /// Closes a document; whether another document of its unit is still open.
    pub fn close(&mut self, uri: &Uri) -> bool {
        let key = DocKey::of(uri);
        let unit = key.unit();
        self.units.remove(&unit);
        self.documents.remove(&key);
        self.documents.keys().any(|k| k.unit() == unit)
    }

    /// The unit of a document, analysed (from the cache when nothing changed).
    pub fn unit(&mut self, uri: &Uri) -> Option<(&Unit, FileId)> {
        let key = DocKey::of(uri);
        let unit_key = key.unit();
        if !self.units.contains_key(&unit_key) {
            let unit = self.load(&unit_key)?;
            self.units.insert(unit_key.clone(), unit);
        }
        let unit = self.units.get(&unit_key)?;
        Some((unit, unit.file(&key)?))
    }

    fn load(&self, unit: &UnitKey) -> Option<Unit> {
        let mut files: Vec<(DocKey, Uri, Loaded)> = Vec::new();
        match unit {
            UnitKey::Alone(name) => {
                let key = DocKey::Other(name.clone());
                let document = self.documents.get(&key)?;
                files.push((
                    key,
                    document.uri.clone(),
                    Loaded::Text(document.text.clone()),
                ));
            }
            UnitKey::Directory(dir) => {
                for path in knet_files(dir) {
                    let key = DocKey::Path(path.clone());
                    if self.documents.contains_key(&key) {
                        continue;
                    }
                    let Some(uri) = path_to_uri(&path) else {
                        continue;
                    };
                    if let Ok(bytes) = std::fs::read(&path) {
                        files.push((key, uri, Loaded::Bytes(bytes)));
                    }
                }
                for (key, document) in &self.documents {
                    if key.unit() == *unit {
                        let text = Loaded::Text(document.text.clone());
                        files.push((key.clone(), document.uri.clone(), text));
                    }
                }
                files.sort_by(|a, b| a.0.cmp(&b.0));
            }
        }
        let mut sources = Sources::new();
        let mut keys = Vec::new();
        let mut uris = Vec::new();
        for (key, uri, loaded) in files {
            let name = match &key {
                DocKey::Path(path) => path.display().to_string(),
                DocKey::Other(uri) => uri.clone(),
            };
            match loaded {
                Loaded::Text(text) => sources.add(name, text),
                Loaded::Bytes(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => sources.add(name, text),
                    Err(error) => {
                        let valid = error.utf8_error().valid_up_to();
                        let bytes = error.into_bytes();
                        let prefix = String::from_utf8_lossy(bytes.get(..valid).unwrap_or(&[]));
                        sources.add_invalid_utf8(name, prefix.into_owned())
                    }
                },
            };
            keys.push(key);
            uris.push(uri);
        }
        let analysis = Analysis::new(&sources);
        Some(Unit {
            sources,
            keys,
            uris,
            analysis,
        })
    }
}

/// A file's content: an open document's text, or the bytes on disk.
enum Loaded {
    Text(String),
    Bytes(Vec<u8>),
}

/// The regular `*.knet` files of a directory (a FIFO would block the server).
fn knet_files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "knet"))
        .filter(|path| std::fs::metadata(path).is_ok_and(|m| m.is_file()))
        .collect()
}
