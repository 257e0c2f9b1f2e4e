//! `knet matrix`: the allowed connections, one line per pair of endpoints with the ports
//! between them (as np-guard's connectivity report lists them), as text, a Markdown
//! table, CSV or JSON.
//!
//! The JSON carries the endpoints (pod namespace, name, labels and container ports, or
//! the address), the namespaces' labels and the connections, so that another analyzer
//! can be run on the same pods (`tests/reach/compare.py` runs np-guard's).

use serde_json::{json, Value};

use super::conns::Conns;
use super::endpoints::Place;
use super::{Connection, Reach};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Csv,
    Json,
}

/// The matrix of `reach` in `format`.
pub fn render(reach: &Reach, format: Format) -> String {
    let connections = reach.connections();
    let id = |i: usize| reach.endpoints[i].id.as_str();
    match format {
        Format::Text => {
            let mut out = String::new();
            for c in &connections {
                out.push_str(&format!("{} => {} : {}\n", id(c.src), id(c.dst), c.conns));
            }
            if connections.is_empty() {
                out.push_str("no connection is allowed\n");
            }
            out
        }
        Format::Markdown => {
            let mut out =
                String::from("| source | destination | connections |\n| --- | --- | --- |\n");
            for c in &connections {
                out.push_str(&format!(
                    "| `{}` | `{}` | {} |\n",
                    id(c.src),
                    id(c.dst),
                    c.conns
                ));
            }
            out
        }
        Format::Csv => {
            let mut out = String::from("source,destination,connections\n");
            for c in &connections {
                out.push_str(&format!(
                    "{},{},{}\n",
                    csv_field(id(c.src)),
                    csv_field(id(c.dst)),
                    csv_field(&c.conns.to_string())
                ));
            }
            out
        }
        Format::Json => {
            let value = json_value(reach, &connections);
            serde_json::to_string_pretty(&value).unwrap_or_default() + "\n"
        }
    }
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', ';', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn json_value(reach: &Reach, connections: &[Connection]) -> Value {
    let endpoints: Vec<Value> = reach
        .endpoints
        .iter()
        .map(|e| match &e.place {
            Place::Pod(pod) => json!({
                "id": e.id,
                "kind": e.kind.as_str(),
                "namespace": pod.namespace,
                "pod": pod.name,
                "labels": labels_json(&pod.labels),
                "ports": pod.ports.iter().map(|p| json!({
                    "name": p.name,
                    "port": p.number,
                    "protocol": p.protocol.as_k8s(),
                })).collect::<Vec<_>>(),
            }),
            Place::Address(address) => json!({
                "id": e.id,
                "kind": e.kind.as_str(),
                "address": address.to_string(),
            }),
        })
        .collect();
    let namespaces: Vec<Value> = reach
        .objects
        .namespaces
        .iter()
        .map(|(name, labels)| json!({"name": name, "labels": labels_json(labels)}))
        .collect();
    let connections: Vec<Value> = connections
        .iter()
        .map(|c| {
            json!({
                "src": reach.endpoints[c.src].id,
                "dst": reach.endpoints[c.dst].id,
                "conns": conns_json(&c.conns),
            })
        })
        .collect();
    json!({
        "endpoints": endpoints,
        "namespaces": namespaces,
        "connections": connections,
    })
}

/// `"all"`, or `{"TCP": ["53", "8000-8080"], ...}`.
pub fn conns_json(conns: &Conns) -> Value {
    if conns.all {
        return json!("all");
    }
    let mut map = serde_json::Map::new();
    for (protocol, ranges) in &conns.ports {
        let list: Vec<Value> = ranges
            .iter()
            .map(|&r| Value::from(super::conns::range_text(r)))
            .collect();
        map.insert(protocol.as_k8s().to_string(), Value::Array(list));
    }
    Value::Object(map)
}

fn labels_json(labels: &crate::kube::objects::Labels) -> Value {
    Value::Object(
        labels
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
            .collect(),
    )
}
