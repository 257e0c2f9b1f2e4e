//! NetworkPolicies from the policy plan: selectors, peers and resolved ports.

use super::block::{Map, Seq};
use super::{metadata, object};
use crate::ir::{Labels, Peer, PolicyPort, TargetPort};
use crate::policy::{Direction, PolicyPlan};
use crate::sink::Sink;

/// The label every namespace carries with its own name (set by the API server).
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

pub fn network_policy(out: &mut Sink, plan: &PolicyPlan) {
    let spec = |spec: &mut Map| {
        spec.map("podSelector", |selector| {
            if let Some(labels) = &plan.pod_selector {
                match_labels(selector, labels);
            }
        });
        spec.seq("policyTypes", |types| {
            plan.types.iter().for_each(|t| types.str(t.as_k8s()));
        });
        let Some(direction) = plan.direction else {
            return;
        };
        let peers_key = match direction {
            Direction::Egress => "to",
            Direction::Ingress => "from",
        };
        spec.seq(direction.suffix(), |rules| {
            for rule in &plan.rules {
                rules.map(|entry| {
                    entry.seq_if_any(peers_key, |peers| {
                        for peer in &rule.peers {
                            peer_items(peers, peer, &plan.namespace);
                        }
                    });
                    entry.seq_if_any("ports", |ports| {
                        rule.ports.iter().for_each(|p| ports.map(|m| port(m, p)));
                    });
                });
            }
        });
    };
    object(
        out,
        "networking.k8s.io/v1",
        "NetworkPolicy",
        metadata(&plan.name, &plan.namespace, None),
        spec,
    );
}

fn match_labels(selector: &mut Map, labels: &Labels) {
    selector.strings("matchLabels", labels);
}

fn namespace_selector(peer: &mut Map, namespace: &str) {
    peer.map("namespaceSelector", |selector| {
        selector.map("matchLabels", |labels| {
            labels.text(NAMESPACE_NAME_LABEL, namespace);
        });
    });
}

/// A peer as seen from a policy in `here`, as items of the rule's peer list. An app or
/// pods of another namespace are one peer with both selectors (AND), never two list
/// items (OR).
fn peer_items(peers: &mut Seq, peer: &Peer, here: &str) {
    let pods_in = |peers: &mut Seq, namespace: &str, labels: &Labels| {
        peers.map(|item| {
            if namespace != here {
                namespace_selector(item, namespace);
            }
            item.map("podSelector", |pods| match_labels(pods, labels));
        });
    };
    match peer {
        Peer::App {
            namespace, labels, ..
        } => pods_in(peers, namespace, labels),
        Peer::Pods(selector) => pods_in(peers, &selector.namespace, &selector.labels),
        Peer::AnyNamespace => peers.map(|item| item.map("namespaceSelector", |_| {})),
        Peer::NamespaceGroup { labels, .. } => {
            peers.map(|item| item.map("namespaceSelector", |s| match_labels(s, labels)));
        }
        // A rule with `any` has no peers at all (the plan drops the others).
        Peer::Any => {}
        Peer::Namespace { namespace } if **namespace == *here => {
            peers.map(|item| item.map("podSelector", |_| {}));
        }
        Peer::Namespace { namespace } => peers.map(|item| namespace_selector(item, namespace)),
        Peer::Addresses(blocks) => {
            for block in blocks {
                peers.map(|item| {
                    item.map("ipBlock", |ip_block| {
                        ip_block.str("cidr", &block.cidr.to_string());
                        ip_block.seq_if_any("except", |except| {
                            block.except.iter().for_each(|e| except.str(&e.to_string()));
                        });
                    });
                });
            }
        }
    }
}

fn port(map: &mut Map, port: &PolicyPort) {
    map.str("protocol", port.protocol.as_k8s());
    match &port.port {
        TargetPort::Number(n) => map.int("port", *n),
        TargetPort::Name(name) => map.str("port", name),
    }
    map.opt_int("endPort", port.end_port);
}
