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
    crate::sink::to_string(|out| write_yaml(model, out))
}

/// The whole model as one YAML stream, document by document into `out`: a document is
/// built, written and dropped before the next, so the stream is never whole in memory.
pub fn write_yaml(model: &Model, out: &mut crate::sink::Sink) {
    let plans = crate::policy::plan(model);
    let mut plans_of: crate::collections::IndexMap<&str, Vec<&crate::policy::PolicyPlan>> =
        crate::collections::IndexMap::default();
    for plan in &plans {
        plans_of
            .entry(plan.namespace.as_str())
            .or_default()
            .push(plan);
    }
    let mut write = |document: Node| {
        yaml::write_document(out, &document);
        out.written_when_full();
    };
    for ns in model.namespaces.values() {
        service::services(ns).into_iter().for_each(&mut write);
        ns.ingresses
            .values()
            .filter(|i| i.output == crate::ir::IngressOutput::Ingress)
            .map(|i| service::ingress(&ns.name, i))
            .for_each(&mut write);
        gateway::objects(ns).into_iter().for_each(&mut write);
        plans_of
            .get(ns.name.as_str())
            .into_iter()
            .flatten()
            .map(|plan| network_policy::network_policy(plan))
            .for_each(&mut write);
    }
}

/// `metadata` with name, namespace, the managed-by label and annotations.
fn metadata(name: &str, namespace: &str, annotations: Option<Node>) -> Node {
    labelled_metadata(name, namespace, &crate::ir::Labels::default(), annotations)
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
