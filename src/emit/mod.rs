//! Stage 3, emit: the [`crate::ir::Model`] to Kubernetes YAML.
//!
//! In: a checked model. Out: one multi-document YAML stream. For each namespace, in
//! order: Services (apps, then `ExternalName` externals), Ingresses, the Gateway API
//! objects (Gateways, HTTPRoutes, ReferenceGrants: `gateway.rs`), NetworkPolicies (see
//! [`crate::policy`]); each group in source order. Whether an `ingress` block is an
//! Ingress or HTTPRoutes was decided by the checker ([`crate::ir::IngressOutput`]). Every object carries
//! `app.kubernetes.io/managed-by: knet`. Emits no diagnostics: what could be wrong was
//! reported by the checker.

mod gateway;
mod network_policy;
mod service;
mod tree;
mod yaml;

use crate::ir::Model;
use tree::Node;

pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "knet");

/// The whole model as one YAML stream.
pub fn emit_yaml(model: &Model) -> String {
    let mut documents = Vec::new();
    let plans = crate::policy::plan(model);
    for ns in model.namespaces.values() {
        documents.extend(service::services(ns));
        documents.extend(
            ns.ingresses
                .values()
                .filter(|i| i.output == crate::ir::IngressOutput::Ingress)
                .map(|i| service::ingress(&ns.name, i)),
        );
        documents.extend(gateway::objects(ns));
        documents.extend(
            plans
                .iter()
                .filter(|p| p.namespace == ns.name)
                .map(network_policy::network_policy),
        );
    }
    yaml::write_stream(&documents)
}

/// `metadata` with name, namespace, the managed-by label and annotations.
fn metadata(name: &str, namespace: &str, annotations: Option<Node>) -> Node {
    labelled_metadata(name, namespace, &crate::ir::Labels::new(), annotations)
}

/// `metadata` with the object's own labels first, then the managed-by label (which
/// replaces a label of that key).
fn labelled_metadata(
    name: &str,
    namespace: &str,
    labels: &crate::ir::Labels,
    annotations: Option<Node>,
) -> Node {
    let mut all = labels.clone();
    // Last, and knet's: a pod label of that key (Helm's, say) is not the Service's.
    all.shift_remove(MANAGED_BY.0);
    all.insert(MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string());
    Node::map()
        .with("name", name)
        .with("namespace", namespace)
        .with("labels", tree::string_map(&all))
        .with_opt("annotations", annotations)
}

fn object(api_version: &str, kind: &str, metadata: Node, spec: Node) -> Node {
    Node::map()
        .with("apiVersion", api_version)
        .with("kind", kind)
        .with("metadata", metadata)
        .with("spec", spec)
}
