//! YAML streams to Kubernetes objects: documents split with their byte offsets (so that
//! a diagnostic can point at the object), parsed, `List`s flattened, and duplicates
//! refused.
//!
//! Codes: `E0401` (not YAML, or not an object), `E0402` (a kind knet reads, at an API
//! version it does not know), `E0403` (the same object twice), `E0404` (an object
//! without a name).

use crate::collections::IndexMap;
use serde_yaml::Value;

use crate::diagnostic::{Code, Diagnostic};
use crate::source::{FileId, Sources, Span};

/// One Kubernetes object of the input.
#[derive(Debug, Clone)]
pub struct Object {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub value: Value,
    /// Where to point: the object's document (its `kind:` line when found).
    pub span: Span,
}

impl Object {
    /// `Kind namespace/name`, for messages.
    pub fn describe(&self) -> String {
        format!("{} `{}/{}`", self.kind, self.namespace, self.name)
    }
}

/// The API versions knet reads, per kind.
const KINDS: [(&str, &[&str]); 14] = [
    ("Namespace", &["v1"]),
    ("Service", &["v1"]),
    ("Pod", &["v1"]),
    ("NetworkPolicy", &["networking.k8s.io/v1"]),
    ("Ingress", &["networking.k8s.io/v1"]),
    ("Deployment", &["apps/v1"]),
    ("StatefulSet", &["apps/v1"]),
    ("DaemonSet", &["apps/v1"]),
    ("ReplicaSet", &["apps/v1"]),
    ("Job", &["batch/v1"]),
    ("CronJob", &["batch/v1"]),
    ("ReplicationController", &["v1"]),
    (
        "HTTPRoute",
        &[
            "gateway.networking.k8s.io/v1",
            "gateway.networking.k8s.io/v1beta1",
        ],
    ),
    (
        "Gateway",
        &[
            "gateway.networking.k8s.io/v1",
            "gateway.networking.k8s.io/v1beta1",
        ],
    ),
];

/// What was read: the objects knet reads, and the kinds it skipped (with counts).
#[derive(Debug, Default)]
pub struct Read {
    pub objects: Vec<Object>,
    pub skipped: IndexMap<String, usize>,
}

/// Every object of every file; `default_namespace` for objects without one.
pub fn read(sources: &Sources, default_namespace: &str, diags: &mut Vec<Diagnostic>) -> Read {
    let mut read = Read::default();
    let mut seen: IndexMap<(String, String, String), Span> = IndexMap::default();
    for (file, source) in sources.iter() {
        for (start, text) in split(&source.text) {
            if text.trim().is_empty() {
                continue;
            }
            let span = anchor(file, start, text);
            // Merge keys (`<<: *defaults`) are applied, as kubectl's YAML reader does.
            let value = serde_yaml::from_str(text).and_then(|mut value: Value| {
                value.apply_merge()?;
                Ok(value)
            });
            let value = match value {
                Ok(value) => value,
                Err(error) => {
                    diags.push(not_yaml(file, start, text, &error));
                    continue;
                }
            };
            let mut found = Vec::new();
            flatten(value, span, &mut found, diags);
            for (value, span) in found {
                let Some(object) = object(value, span, default_namespace, &mut read, diags) else {
                    continue;
                };
                let key = (
                    object.kind.clone(),
                    object.namespace.clone(),
                    object.name.clone(),
                );
                if let Some(first) = seen.get(&key) {
                    diags.push(
                        Diagnostic::new(
                            Code::DuplicateObject,
                            format!("{} is given twice", object.describe()),
                            object.span,
                        )
                        .label("given again here")
                        .secondary(*first, "first given here")
                        .note("the API server keeps one object per kind, namespace and name")
                        .help("remove one of them, or give them different names"),
                    );
                    continue;
                }
                seen.insert(key, object.span);
                read.objects.push(object);
            }
        }
    }
    read
}

/// The documents of a stream with their byte offsets: split at `---` lines.
fn split(text: &str) -> Vec<(usize, &str)> {
    let mut documents = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end();
        if bare == "---" || bare.starts_with("--- ") || bare == "..." {
            documents.push((start, &text[start..offset]));
            start = offset + line.len();
        }
        offset += line.len();
    }
    documents.push((start, &text[start..]));
    documents
}

/// The `kind:` line of a document, or its start.
fn anchor(file: FileId, start: usize, text: &str) -> Span {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with("kind:") {
            return Span::new(file, start + offset, start + offset + line.trim_end().len());
        }
        offset += line.len();
    }
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let at = text.find(first).unwrap_or(0);
    Span::new(file, start + at, start + at + first.len())
}

fn not_yaml(file: FileId, start: usize, text: &str, error: &serde_yaml::Error) -> Diagnostic {
    let at = error.location().map_or(0, |l| l.index()).min(text.len());
    let message = error.to_string();
    let reason = message.split(" at line ").next().unwrap_or(&message);
    Diagnostic::new(
        Code::InvalidYaml,
        "this document is not valid YAML",
        Span::new(file, start + at, start + at),
    )
    .label(reason.to_string())
    .help("fix the YAML; `kubectl apply --dry-run=client -f FILE` shows the same problem")
}

/// A `List` (`kind: List` or `*List`) gives its items; anything else is one object.
fn flatten(value: Value, span: Span, out: &mut Vec<(Value, Span)>, diags: &mut Vec<Diagnostic>) {
    // A document of comments only (a file header, say) is empty.
    if value.is_null() {
        return;
    }
    let kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
    if kind == "List" || (kind.ends_with("List") && value.get("items").is_some()) {
        if let Some(Value::Sequence(items)) = value.get("items") {
            for item in items.clone() {
                flatten(item, span, out, diags);
            }
        }
        return;
    }
    if !value.is_mapping() {
        diags.push(
            Diagnostic::new(
                Code::InvalidYaml,
                "this document is not a Kubernetes object",
                span,
            )
            .label("expected a mapping with `apiVersion`, `kind` and `metadata`")
            .help("remove the document, or write the object it stands for"),
        );
        return;
    }
    out.push((value, span));
}

fn object(
    value: Value,
    span: Span,
    default_namespace: &str,
    read: &mut Read,
    diags: &mut Vec<Diagnostic>,
) -> Option<Object> {
    let kind = value
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let api_version = value
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let Some((_, versions)) = KINDS.iter().find(|(k, _)| *k == kind) else {
        let shown = if kind.is_empty() {
            "(no kind)".to_string()
        } else {
            kind
        };
        *read.skipped.entry(shown).or_default() += 1;
        return None;
    };
    let metadata = value.get("metadata");
    let name = metadata
        .and_then(|m| m.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    if !versions.contains(&api_version) {
        diags.push(
            Diagnostic::new(
                Code::UnknownApiVersion,
                format!("{kind} `{name}` has API version `{api_version}`, which knet does not read"),
                span,
            )
            .label(format!("{kind} is read at {}", versions.join(" or ")))
            .note("older API versions were removed from Kubernetes; their objects would not be accepted today")
            .help(format!("convert the object to `apiVersion: {}` first", versions[0])),
        );
        return None;
    }
    if name.is_empty() {
        diags.push(
            Diagnostic::new(
                Code::ObjectWithoutName,
                format!("a {kind} without a name"),
                span,
            )
            .label("no `metadata.name`")
            .help("give the object a name (`generateName` is not read)"),
        );
        return None;
    }
    let given_namespace = metadata
        .and_then(|m| m.get("namespace"))
        .and_then(Value::as_str);
    let bad_name = crate::check::rules::dns1123_subdomain(&name).is_err();
    let bad_namespace =
        given_namespace.is_some_and(|n| crate::check::rules::dns1123_label(n).is_err());
    if bad_name
        || bad_namespace
        || (kind == "Namespace" && crate::check::rules::dns1123_label(&name).is_err())
    {
        let message = match given_namespace.filter(|_| bad_namespace) {
            Some(ns) => {
                format!("{kind} `{name}` is in namespace `{ns}`, a name the API server refuses")
            }
            None => format!("{kind} has the name `{name}`, which the API server refuses"),
        };
        diags.push(
            Diagnostic::new(
                Code::InvalidObjectName,
                message,
                span,
            )
            .label("in this object")
            .note("names are lowercase DNS names: letters, digits, `-` (and `.` in an object's name), starting and ending with a letter or digit; a namespace is at most 63 characters")
            .help("fix the name"),
        );
        return None;
    }
    if kind == "NetworkPolicy" {
        let problems = super::shape::policy_problems(value.get("spec"));
        if let Some(first) = problems.first() {
            let mut refused = Diagnostic::new(
                Code::InvalidObjectValue,
                format!("NetworkPolicy `{name}`: {first}"),
                span,
            )
            .label("in this object");
            for more in &problems[1..] {
                refused = refused.note(more.clone());
            }
            diags.push(refused.note("in a NetworkPolicy an absent field means everything: read as absent, this one would allow more than the input says").help("fix the value in the input: the API server refuses the object too"));
            return None;
        }
    }
    let namespace = if kind == "Namespace" {
        name.clone()
    } else {
        metadata
            .and_then(|m| m.get("namespace"))
            .and_then(Value::as_str)
            .unwrap_or(default_namespace)
            .to_string()
    };
    Some(Object {
        kind,
        namespace,
        name,
        value,
        span,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_their_offsets() {
        let text = "a: 1\n---\nb: 2\n--- \nc: 3\n";
        let docs = split(text);
        assert_eq!(docs.len(), 3);
        assert_eq!(&text[docs[1].0..docs[1].0 + 4], "b: 2");
        assert_eq!(docs[2].1, "c: 3\n");
    }

    #[test]
    fn lists_duplicates_and_unknown_versions() {
        let mut sources = Sources::new();
        sources.add(
            "in.yaml",
            "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: a}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: c}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: a}\n---\napiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: i}\n",
        );
        let mut diags = Vec::new();
        let read = read(&sources, "default", &mut diags);
        assert_eq!(read.objects.len(), 1);
        assert_eq!(read.skipped.get("ConfigMap"), Some(&1));
        let codes: Vec<&str> = diags.iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, ["E0403", "E0402"]);
    }
}
