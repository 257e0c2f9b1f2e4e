//! `knet graph`: the allowed connections as a graph. Namespaces are clusters, apps and
//! representatives are nodes, an edge is an allowed connection labelled with its ports.
//! Only connections with an app of the model at one end are drawn (what the cluster
//! DNS or an outside address may do among themselves is not the model's business), and
//! none from the metadata address (it answers, it never calls).
//!
//! Graphviz DOT and Mermaid are written here; the CLI turns DOT into SVG with
//! Graphviz's `dot` (the library does no I/O).

use crate::collections::IndexMap;

use super::endpoints::{Endpoint, Kind, Place};
use super::{Connection, Reach};

/// The nodes and edges worth drawing.
struct Drawing<'a> {
    /// Nodes by namespace (`None`: outside the cluster), in endpoint order.
    groups: IndexMap<Option<&'a str>, Vec<usize>>,
    edges: Vec<Connection>,
}

fn drawing(reach: &Reach) -> Drawing<'_> {
    let is_app = |i: usize| matches!(reach.endpoints[i].kind, Kind::App | Kind::Unmanaged);
    let edges: Vec<Connection> = reach
        .connections()
        .into_iter()
        .filter(|c| is_app(c.src) || is_app(c.dst))
        // The metadata service answers; it never opens connections.
        .filter(|c| reach.endpoints[c.src].kind != Kind::Metadata)
        .collect();
    let mut groups: IndexMap<Option<&str>, Vec<usize>> = IndexMap::default();
    for (i, endpoint) in reach.endpoints.iter().enumerate() {
        let drawn =
            reach.endpoints[i].kind == Kind::App || edges.iter().any(|c| c.src == i || c.dst == i);
        if drawn {
            groups.entry(endpoint.namespace()).or_default().push(i);
        }
    }
    Drawing { groups, edges }
}

/// The node's label: the app's name inside its namespace's cluster, the id outside.
fn label(endpoint: &Endpoint) -> String {
    match (&endpoint.place, endpoint.kind) {
        (Place::Pod(_), Kind::NamespacePod | Kind::GroupPod | Kind::Elsewhere) => {
            "any pod".to_string()
        }
        (Place::Pod(pod), _) => pod.name.clone(),
        (Place::Address(address), Kind::External) => {
            let name = endpoint.id.rsplit('/').next().unwrap_or(&endpoint.id);
            format!("{name}\n{address}")
        }
        (Place::Address(address), _) => format!("{}\n{address}", endpoint.id),
    }
}

fn dot_string(text: &str) -> String {
    format!(
        "\"{}\"",
        text.replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace('\n', "\\n")
    )
}

/// Graphviz DOT.
pub fn dot(reach: &Reach) -> String {
    let drawing = drawing(reach);
    let mut out = String::from(
        "digraph knet {\n  rankdir=LR;\n  fontname=\"Helvetica\";\n  \
         node [shape=box, style=\"rounded,filled\", fillcolor=\"#e8f0fe\", color=\"#4a6fa5\", fontname=\"Helvetica\", fontsize=11];\n  \
         edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n",
    );
    for (index, (namespace, nodes)) in drawing.groups.iter().enumerate() {
        let indent = if namespace.is_some() { "    " } else { "  " };
        if let Some(namespace) = namespace {
            out.push_str(&format!(
                "  subgraph cluster_{index} {{\n    label={};\n    style=\"rounded,filled\";\n    fillcolor=\"#f7f7f7\";\n    color=\"#999999\";\n",
                dot_string(&format!("namespace {namespace}"))
            ));
        }
        for &i in nodes {
            let e = &reach.endpoints[i];
            let style = match e.kind {
                Kind::App => "",
                Kind::Unmanaged | Kind::Dns | Kind::IngressController | Kind::Gateway => {
                    ", fillcolor=\"#eeeeee\", color=\"#888888\""
                }
                Kind::NamespacePod | Kind::GroupPod | Kind::Elsewhere => {
                    ", fillcolor=\"#eeeeee\", color=\"#888888\", style=\"rounded,filled,dashed\""
                }
                Kind::External | Kind::World | Kind::Metadata => {
                    ", shape=ellipse, fillcolor=\"#fff4e5\", color=\"#c77d00\""
                }
            };
            out.push_str(&format!(
                "{indent}{} [label={}{style}];\n",
                dot_string(&e.id),
                dot_string(&label(e))
            ));
        }
        if namespace.is_some() {
            out.push_str("  }\n");
        }
    }
    for c in &drawing.edges {
        out.push_str(&format!(
            "  {} -> {} [label={}];\n",
            dot_string(&reach.endpoints[c.src].id),
            dot_string(&reach.endpoints[c.dst].id),
            dot_string(&c.conns.to_string())
        ));
    }
    out.push_str("}\n");
    out
}

/// A Mermaid flowchart.
pub fn mermaid(reach: &Reach) -> String {
    let drawing = drawing(reach);
    let quote = |text: &str| text.replace('"', "#quot;").replace('\n', "<br/>");
    let mut out = String::from("flowchart LR\n");
    for (index, (namespace, nodes)) in drawing.groups.iter().enumerate() {
        let indent = if namespace.is_some() { "    " } else { "  " };
        if let Some(namespace) = namespace {
            out.push_str(&format!(
                "  subgraph ns{index}[\"namespace {}\"]\n",
                quote(namespace)
            ));
        }
        for &i in nodes {
            let e = &reach.endpoints[i];
            let text = quote(&label(e));
            let shape = match e.place {
                Place::Pod(_) => format!("[\"{text}\"]"),
                Place::Address(_) => format!("([\"{text}\"])"),
            };
            out.push_str(&format!("{indent}n{i}{shape}\n"));
        }
        if namespace.is_some() {
            out.push_str("  end\n");
        }
    }
    for c in &drawing.edges {
        out.push_str(&format!(
            "  n{} -->|\"{}\"| n{}\n",
            c.src,
            quote(&c.conns.to_string()),
            c.dst
        ));
    }
    out
}
