//! The integration tests of knet, one binary with a module per concern:
//!
//! - `ui`: every failing input under `tests/ui/` with its rendered diagnostics;
//! - `valid`: the YAML of every example and of every valid case under `tests/valid/`;
//! - `gateway`: Ingress and HTTPRoute output route the same requests; examples as Gateway API;
//! - `cli`: exit codes, output files, message formats, directories, colour;
//! - `cli_io`: standard input, line endings, directory walking, the diagnostics cap;
//! - `cli_output`: `-o` on devices, FIFOs, links, modes, and signals;
//! - `book`: every `knet` block of the book and the README compiles (or fails with its code);
//! - `codes`: the code registry, the book pages and the UI cases agree;
//! - `lsp`: `knet lsp` driven over JSON-RPC;
//! - `grammar`: no rule of the grammar is recursive (pest is held at 2.8 for that), and
//!   the stop characters the grammar spells twice agree;
//! - `highlight`: the TextMate grammar and the book's highlighter know every keyword;
//! - `props`: no input makes the compiler panic;
//! - `reach`: the matrix of every example and `knet why` answers;
//! - `sarif`: `--message-format sarif` logs against the SARIF 2.1.0 schema.
//!
//! Snapshots live under the top-level `snapshots/` folder.

mod book;
mod cli;
mod cli_io;
mod cli_output;
mod codes;
mod common;
mod fmt;
mod gateway;
mod grammar;
mod highlight;
mod lsp;
mod preview;
mod props;
mod reach;
mod sarif;
mod ui;
mod valid;
