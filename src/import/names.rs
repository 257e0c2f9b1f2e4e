//! Names for what the input does not name: apps of unmanaged namespaces, namespace
//! groups, externals and ports, made valid for knet; and the namespace a selector
//! names.

use crate::kube::objects::{Labels, Selector};

/// The label every namespace carries with its own name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// A DNS-1035 label made from `text`: lowercase letters, digits and `-`, starting with a
/// letter, at most 63 characters.
pub fn dns_label(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let mut out = out.trim_end_matches('-').to_string();
    if !out.starts_with(|c: char| c.is_ascii_lowercase()) {
        out.insert_str(0, "x-");
    }
    out.truncate(63);
    out.trim_end_matches('-').to_string()
}

/// A name for the pods a label set selects: the value of its most telling label.
pub fn from_labels(labels: &Labels) -> String {
    let keys = [
        "app.kubernetes.io/name",
        "app",
        "k8s-app",
        "name",
        "component",
        "role",
    ];
    let value = keys
        .iter()
        .find_map(|k| labels.get(*k))
        .or_else(|| labels.values().next())
        .map_or("pods", String::as_str);
    dns_label(value)
}

/// A name for a namespace group: its label values.
pub fn group_name(labels: &Labels) -> String {
    let joined: Vec<&str> = labels.values().map(String::as_str).collect();
    dns_label(&format!("ns-{}", joined.join("-")))
}

/// The one namespace a `namespaceSelector` names by `kubernetes.io/metadata.name`.
pub fn namespace_by_name(selector: &Selector) -> Option<String> {
    match (selector.labels.len(), selector.expressions.as_slice()) {
        (1, []) => selector.labels.get(NAMESPACE_NAME_LABEL).cloned(),
        (0, [e]) if e.key == NAMESPACE_NAME_LABEL && e.operator == "In" && e.values.len() == 1 => {
            e.values.first().cloned()
        }
        _ => None,
    }
}

/// `name`, or `name-SUFFIX` when `name` is a word knet reads as a peer (`world`,
/// `ingress`, `any`), which no app or external may be named.
pub fn unreserved(name: String, suffix: &str) -> String {
    if crate::check::RESERVED_PEERS.contains(&name.as_str()) {
        format!("{name}-{suffix}")
    } else {
        name
    }
}

/// `base`, or `base-2`, `base-3`... the first that `taken` does not hold.
pub fn unique(base: String, taken: impl Fn(&str) -> bool) -> String {
    if !taken(&base) {
        return base;
    }
    (2..)
        .map(|i| format!("{base}-{i}"))
        .find(|n| !taken(n))
        .unwrap_or(base)
}

/// Whether knet accepts `name` as a port name (an IANA service name).
pub fn port_name_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 15
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.chars().any(|c| c.is_ascii_lowercase())
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_labels() {
        assert_eq!(dns_label("Kube_DNS"), "kube-dns");
        assert_eq!(dns_label("10.0.0.0/8"), "x-10-0-0-0-8");
        assert_eq!(dns_label(""), "x");
        assert!(port_name_ok("http-metrics"));
        assert!(!port_name_ok("http-metrics-endpoint"));
        assert!(!port_name_ok("8080"));
    }
}
