//! Where large outputs go: a text buffer that hands its contents to a writer in pieces
//! of about 64 KiB, so that a preview or a YAML stream of hundreds of megabytes never
//! sits whole in memory. The writers append to it as to a `String` (it dereferences to
//! its buffer) and call [`Sink::line_end`] after each line.

use std::io::Write;
use std::ops::{Deref, DerefMut};

/// How much text is gathered before it is written.
const CHUNK: usize = 64 * 1024;

pub struct Sink<'w> {
    buffer: String,
    writer: &'w mut dyn Write,
    error: Option<std::io::Error>,
}

impl<'w> Sink<'w> {
    pub fn new(writer: &'w mut dyn Write) -> Self {
        Sink {
            buffer: String::with_capacity(CHUNK * 2),
            writer,
            error: None,
        }
    }

    /// Ends a line, and writes the buffer out when it is full.
    pub fn line_end(&mut self) {
        self.buffer.push('\n');
        self.written_when_full();
    }

    /// Writes the buffer out when it is full (for writers that end their lines
    /// themselves, and call this between larger pieces such as documents).
    pub fn written_when_full(&mut self) {
        if self.buffer.len() >= CHUNK {
            self.drain();
        }
    }

    fn drain(&mut self) {
        // After a write error, the rest is dropped; `finish` reports the error.
        if self.error.is_none() {
            if let Err(error) = self.writer.write_all(self.buffer.as_bytes()) {
                self.error = Some(error);
            }
        }
        self.buffer.clear();
    }

    /// Writes what is left and reports the first write error.
    pub fn finish(mut self) -> std::io::Result<()> {
        self.drain();
        match self.error.take() {
            Some(error) => Err(error),
            None => self.writer.flush(),
        }
    }
}

impl Deref for Sink<'_> {
    type Target = String;
    fn deref(&self) -> &String {
        &self.buffer
    }
}

impl DerefMut for Sink<'_> {
    fn deref_mut(&mut self) -> &mut String {
        &mut self.buffer
    }
}

/// What `write` sends to a sink, as a `String` (for tests and the library's callers
/// that want text).
pub fn to_string(write: impl FnOnce(&mut Sink)) -> String {
    let mut bytes = Vec::new();
    let mut sink = Sink::new(&mut bytes);
    write(&mut sink);
    // Writing to a Vec cannot fail.
    let _ = sink.finish();
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}
