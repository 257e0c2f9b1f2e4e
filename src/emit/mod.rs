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

static NO_LABELS: crate::ir::Labels =
    crate::ir::Labels::with_hasher(crate::collections::BuildHasher {});

/// The whole model as one YAML stream.
pub fn emit_yaml(model: &Model) -> String {
    crate::sink::to_string(|out| write_yaml(model, out))
}

/// The whole model as one YAML stream, document by document into `out`: a document is
/// built, written and dropped before the next, so the stream is never whole in memory.
///
/// The policy plan is made policy by policy too (`policy::each_plan`): it comes
/// namespace by namespace in the model's order, so each namespace's policies are the
/// plans at the head of the walk when its other objects are written.
pub fn write_yaml(model: &Model, out: &mut crate::sink::Sink) {
    let mut write = |document: Node| {
        yaml::write_document(out, &document);
        out.written_when_full();
    };
    crate::policy::each_plan(model, |plans| {
        let mut plans = plans.peekable();
        for ns in model.namespaces.values() {
            service::services(ns).for_each(&mut write);
            ns.ingresses
                .values()
                .filter(|i| i.output == crate::ir::IngressOutput::Ingress)
                .map(|i| service::ingress(&ns.name, i))
                .for_each(&mut write);
            gateway::objects(ns).for_each(&mut write);
            while let Some(plan) = plans.next_if(|plan| plan.namespace == ns.name) {
                write(network_policy::network_policy(&plan));
            }
        }
        debug_assert!(
            plans.next().is_none(),
            "a policy out of its namespace's turn"
        );
    });
}

/// `metadata` with name, namespace, the managed-by label and annotations.
fn metadata<'a>(name: &'a str, namespace: &'a str, annotations: Option<Node<'a>>) -> Node<'a> {
    labelled_metadata(name, namespace, &NO_LABELS, &NO_LABELS, annotations)
}

/// `metadata` with the object's own labels first (`labels`, each overridden by a key of
/// `overrides`, then the keys only `overrides` has), then the managed-by label (which
/// replaces a label of that key).
fn labelled_metadata<'a>(
    name: &'a str,
    namespace: &'a str,
    labels: &'a crate::ir::Labels,
    overrides: &'a crate::ir::Labels,
    annotations: Option<Node<'a>>,
) -> Node<'a> {
    let merged = labels
        .iter()
        .map(|(key, value)| overrides.get_key_value(key).unwrap_or((key, value)))
        .chain(
            overrides
                .iter()
                .filter(|(key, _)| !labels.contains_key(*key)),
        );
    // Last, and knet's: a pod label of that key (Helm's, say) is not the Service's.
    let mut all = tree::string_map(merged.filter(|(key, _)| *key != MANAGED_BY.0));
    if let Node::Map(entries) = &mut all {
        entries.push((
            tree::Key::Text(MANAGED_BY.0.into()),
            Node::from(MANAGED_BY.1),
        ));
    }
    Node::map()
        .with("name", name)
        .with("namespace", namespace)
        .with("labels", all)
        .with_opt("annotations", annotations)
}

fn object<'a>(
    api_version: &'static str,
    kind: &'static str,
    metadata: Node<'a>,
    spec: Node<'a>,
) -> Node<'a> {
    Node::map()
        .with("apiVersion", api_version)
        .with("kind", kind)
        .with("metadata", metadata)
        .with("spec", spec)
}
