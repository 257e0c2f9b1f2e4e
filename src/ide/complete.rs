//! Completion: the names that may be written at an offset.
//!
//! In: the index (with the declarations of files being edited, parsed tolerantly), a
//! file's text and an offset. Out: [`Completion`]s that replace the name being typed.
//! The context is read from the text before the offset on its line, since the line
//! being typed rarely parses:
//!
//! - in an `allow` line, after `allow`, `->` or `,`: the apps and externals of the
//!   enclosing namespace, `world`, `ingress`, `any`, `*`, `*/*`, `NS/` for every
//!   namespace and `GROUP/*` for every namespace group;
//! - after `NS/`: the apps of `NS`, and `*`;
//! - after `PEER:` or inside `PEER:{...}`: the ports of that app or external;
//! - in an ingress route or `default` line, after `->`: the apps of the namespace, and
//!   after `APP:` its ports;
//! - in an extra Service's `ports` line: the ports of its app.

use crate::collections::HashSet;

use super::index::{Detail, Index, Symbol, RESERVED_PEERS};
use crate::source::{floor_boundary, FileId, Span};

/// One thing that may be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The text to insert.
    pub label: String,
    pub kind: CompletionKind,
    /// A short description (a port's number and target, say).
    pub detail: Option<String>,
    /// The text the label replaces: the part of the name already typed.
    pub replace: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionKind {
    App,
    External,
    Port,
    Namespace,
    Group,
    /// `world`, `ingress`, `any`, `*`, `*/*`.
    Keyword,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')
}

pub fn completions(index: &Index, file: FileId, text: &str, offset: usize) -> Vec<Completion> {
    let offset = floor_boundary(text, offset);
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let before = &text[line_start..offset];
    if before.contains(['#', '"']) {
        return Vec::new();
    }
    let word_start = before.trim_end_matches(is_name_char).len();
    let replace = Span::new(file, line_start + word_start, offset);
    let head = &before[..word_start];
    let Some(namespace) = index.namespace_at(file, offset) else {
        return Vec::new();
    };
    let out = Out { replace };
    let line = before.trim_start();
    if line.starts_with("allow") {
        return peer_context(index, namespace, head, &out);
    }
    if let Some(list) = line.strip_prefix("ports") {
        let Some(owner) = service_owner(index, file, offset) else {
            return Vec::new();
        };
        let after = list.trim_end_matches(is_name_char).trim_end();
        if list.starts_with(char::is_whitespace) && (after.is_empty() || after.ends_with(',')) {
            return out.ports(index, namespace, &owner);
        }
        return Vec::new();
    }
    if line.contains("->") {
        return backend_context(index, namespace, head, &out);
    }
    Vec::new()
}

/// The app whose extra Service holds the offset: the Service definition before the
/// offset, closest to it, in the same namespace block.
fn service_owner(index: &Index, file: FileId, offset: usize) -> Option<String> {
    index
        .definitions()
        .filter(|o| o.span.file() == file && o.span.start() <= offset)
        .last()
        .and_then(|o| match &o.detail {
            Some(Detail::Service { owner }) => Some(owner.clone()),
            _ => None,
        })
}

/// The peer written just before `:` at the end of `head` (`api`, `shop/api`).
fn peer_before_colon(head: &str) -> Option<&str> {
    let head = head.strip_suffix(':')?;
    let start = head
        .trim_end_matches(|c: char| is_name_char(c) || c == '/' || c == '*')
        .len();
    Some(&head[start..])
}

/// `head` ends inside `PEER:{...`: the peer.
fn peer_before_brace(head: &str) -> Option<&str> {
    let open = head.rfind('{')?;
    if head[open..].contains('}') {
        return None;
    }
    let inside = head[open + 1..].trim_end();
    if !(inside.is_empty() || inside.ends_with(',')) {
        return None;
    }
    peer_before_colon(&head[..open])
}

fn peer_context(index: &Index, namespace: &str, head: &str, out: &Out) -> Vec<Completion> {
    if let Some(peer) = peer_before_colon(head).or_else(|| peer_before_brace(head)) {
        let (ns, owner) = peer.split_once('/').unwrap_or((namespace, peer));
        return out.ports(index, ns, owner);
    }
    if let Some(ns) = head.strip_suffix('/') {
        let start = ns.trim_end_matches(is_name_char).len();
        let ns = &ns[start..];
        let mut items = out.apps(index, ns, false);
        items.push(out.keyword("*", "every pod of the namespace"));
        return items;
    }
    let trimmed = head.trim_end();
    if !(trimmed.ends_with("->") || trimmed.ends_with(',') || trimmed == "allow") {
        return Vec::new();
    }
    let mut items = out.apps(index, namespace, true);
    for (word, detail) in [
        ("world", "any address outside the cluster"),
        ("ingress", "the ingress controller pods"),
        ("any", "anything, in the cluster or outside (one-sided)"),
        ("*", "every pod of this namespace"),
        ("*/*", "every pod of every namespace (one-sided)"),
    ] {
        items.push(out.keyword(word, detail));
    }
    let mut seen = HashSet::default();
    for definition in index.definitions() {
        let (label, kind, detail) = match &definition.symbol {
            Symbol::Namespace(name) => (format!("{name}/"), CompletionKind::Namespace, "namespace"),
            Symbol::Group(name) => (
                format!("{name}/*"),
                CompletionKind::Group,
                "namespace group",
            ),
            _ => continue,
        };
        if seen.insert(label.clone()) {
            items.push(out.item(label, kind, Some(detail.to_string())));
        }
    }
    items
}

fn backend_context(index: &Index, namespace: &str, head: &str, out: &Out) -> Vec<Completion> {
    if let Some(app) = peer_before_colon(head) {
        return out.ports(index, namespace, app);
    }
    if head.trim_end().ends_with("->") {
        return out.apps(index, namespace, false);
    }
    Vec::new()
}

/// Builds completions that replace one span.
struct Out {
    replace: Span,
}

impl Out {
    fn item(&self, label: String, kind: CompletionKind, detail: Option<String>) -> Completion {
        Completion {
            label,
            kind,
            detail,
            replace: self.replace,
        }
    }

    fn keyword(&self, word: &str, detail: &str) -> Completion {
        self.item(
            word.to_string(),
            CompletionKind::Keyword,
            Some(detail.to_string()),
        )
    }

    /// The apps of a namespace, and its externals too when `externals`.
    fn apps(&self, index: &Index, namespace: &str, externals: bool) -> Vec<Completion> {
        let mut items = Vec::new();
        let mut seen = HashSet::default();
        for definition in index.definitions() {
            let Symbol::Item {
                namespace: ns,
                name,
            } = &definition.symbol
            else {
                continue;
            };
            if ns != namespace || RESERVED_PEERS.contains(&name.as_str()) {
                continue;
            }
            let kind = match &definition.detail {
                Some(Detail::App { .. }) => CompletionKind::App,
                Some(Detail::External { .. }) if externals => CompletionKind::External,
                _ => continue,
            };
            let detail = match kind {
                CompletionKind::App => "app",
                _ => "external",
            };
            if seen.insert(name) {
                items.push(self.item(name.clone(), kind, Some(detail.to_string())));
            }
        }
        items
    }

    /// The ports of an app or external.
    fn ports(&self, index: &Index, namespace: &str, owner: &str) -> Vec<Completion> {
        let mut items = Vec::new();
        for definition in index.definitions() {
            let Symbol::Port {
                namespace: ns,
                owner: o,
                name,
            } = &definition.symbol
            else {
                continue;
            };
            if ns != namespace || o != owner {
                continue;
            }
            let detail = match &definition.detail {
                Some(Detail::Port { summary, .. }) => Some(summary.clone()),
                _ => None,
            };
            if !items.iter().any(|c: &Completion| &c.label == name) {
                items.push(self.item(name.clone(), CompletionKind::Port, detail));
            }
        }
        items
    }
}
