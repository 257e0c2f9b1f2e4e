//! Stage 3, emit: the [`crate::ir::Model`] to Kubernetes YAML.
//!
//! In: a checked model. Out: one multi-document YAML stream. For each namespace, in
//! order: Services (apps, then `ExternalName` externals), Ingresses, the Gateway API
//! objects (Gateways, HTTPRoutes, ReferenceGrants: `gateway.rs`), NetworkPolicies (see
//! [`crate::policy`]); each group in source order. Whether an `ingress` block is an
//! Ingress or HTTPRoutes was decided by the checker ([`crate::ir::IngressOutput`]). Every object carries
//! `app.kubernetes.io/managed-by: knet`. Emits no diagnostics: what could be wrong was
//! reported by the checker.

mod block;
mod gateway;
mod network_policy;
mod service;
mod yaml;

use crate::ir::Model;
use crate::sink::Sink;
use block::Map;

pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "knet");

static NO_LABELS: crate::ir::Labels =
    crate::ir::Labels::with_hasher(crate::collections::BuildHasher {});

/// The whole model as one YAML stream.
pub fn emit_yaml(model: &Model) -> String {
    crate::sink::to_string(|out| write_yaml(model, out))
}

/// The whole model as one YAML stream, document by document into `out`: each document
/// is written as it is made (`block.rs`), so the stream is never whole in memory.
///
/// The policy plan is made policy by policy too (`policy::each_plan`): it comes
/// namespace by namespace in the model's order, so each namespace's policies are the
/// plans at the head of the walk when its other objects are written.
pub fn write_yaml(model: &Model, out: &mut Sink) {
    crate::policy::each_plan(model, |plans| {
        let mut plans = plans.peekable();
        for ns in model.namespaces.values() {
            service::services(out, ns);
            for ingress in ns.ingresses.values() {
                if ingress.output == crate::ir::IngressOutput::Ingress {
                    service::ingress(out, &ns.name, ingress);
                }
            }
            gateway::objects(out, ns);
            while let Some(plan) = plans.next_if(|plan| plan.namespace == ns.name) {
                network_policy::network_policy(out, &plan);
            }
        }
        debug_assert!(
            plans.next().is_none(),
            "a policy out of its namespace's turn"
        );
    });
}

/// One object: `apiVersion`, `kind`, `metadata` (see [`metadata`]) and the `spec` that
/// `spec` writes; then the sink may write its buffer out.
fn object(
    out: &mut Sink,
    api_version: &'static str,
    kind: &'static str,
    metadata: impl FnOnce(&mut Map),
    spec: impl FnOnce(&mut Map),
) {
    block::document(out, |doc| {
        doc.str("apiVersion", api_version);
        doc.str("kind", kind);
        doc.map("metadata", metadata);
        doc.map("spec", spec);
    });
    out.written_when_full();
}

/// `metadata` with name, namespace, the managed-by label and annotations.
fn metadata<'a>(
    name: &'a str,
    namespace: &'a str,
    annotations: Option<&'a crate::collections::IndexMap<String, String>>,
) -> impl FnOnce(&mut Map) + 'a {
    labelled_metadata(name, namespace, &NO_LABELS, &NO_LABELS, annotations)
}

/// `metadata` with the object's own labels first (`labels`, each overridden by a key of
/// `overrides`, then the keys only `overrides` has), then the managed-by label (which
/// replaces a label of that key), then the annotations, if any.
fn labelled_metadata<'a>(
    name: &'a str,
    namespace: &'a str,
    labels: &'a crate::ir::Labels,
    overrides: &'a crate::ir::Labels,
    annotations: Option<&'a crate::collections::IndexMap<String, String>>,
) -> impl FnOnce(&mut Map) + 'a {
    move |metadata| {
        metadata.str("name", name);
        metadata.str("namespace", namespace);
        metadata.map("labels", |all| {
            let merged = labels
                .iter()
                .map(|(key, value)| overrides.get_key_value(key).unwrap_or((key, value)))
                .chain(
                    overrides
                        .iter()
                        .filter(|(key, _)| !labels.contains_key(*key)),
                );
            // Last, and knet's: a pod label of that key (Helm's, say) is not the Service's.
            for (key, value) in merged.filter(|(key, _)| *key != MANAGED_BY.0) {
                all.text(key, value);
            }
            all.text(MANAGED_BY.0, MANAGED_BY.1);
        });
        if let Some(annotations) = annotations.filter(|a| !a.is_empty()) {
            metadata.strings("annotations", annotations);
        }
    }
}
