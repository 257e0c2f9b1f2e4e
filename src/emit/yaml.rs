//! Writes document trees as a multi-document YAML stream. The only file that calls
//! serde_yaml (deprecated upstream), so that a maintained fork can replace it here.
//!
//! serde_yaml quotes every string that a YAML reader could take for something else
//! (`yes`, `on`, `1.0`, `null`, `0x1F`...), so label values stay strings.

use super::tree::Node;

fn to_value(node: &Node) -> serde_yaml::Value {
    match node {
        Node::Map(entries) => {
            let mut map = serde_yaml::Mapping::new();
            for (key, value) in entries {
                map.insert(serde_yaml::Value::String(key.clone()), to_value(value));
            }
            serde_yaml::Value::Mapping(map)
        }
        Node::Seq(items) => serde_yaml::Value::Sequence(items.iter().map(to_value).collect()),
        Node::Str(s) => serde_yaml::Value::String(s.clone()),
        Node::Int(n) => serde_yaml::Value::Number((*n).into()),
    }
}

/// One document per node, each starting with `---`.
pub fn write_stream(documents: &[Node]) -> String {
    let mut out = String::new();
    for document in documents {
        out.push_str("---\n");
        // Serializing a tree of strings, numbers, maps and sequences cannot fail; if the
        // library ever did, an empty document is better than a panic.
        out.push_str(&serde_yaml::to_string(&to_value(document)).unwrap_or_default());
    }
    out
}
