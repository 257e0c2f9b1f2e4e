//! NetworkPolicies from the policy plan: selectors, peers and resolved ports.

use super::tree::{string_map, Node};
use super::{metadata, object};
use crate::ir::{Labels, Peer, PolicyPort, TargetPort};
use crate::policy::{Direction, PolicyPlan};

/// The label every namespace carries with its own name (set by the API server).
const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

pub fn network_policy(plan: &PolicyPlan) -> Node<'_> {
    let pod_selector = match &plan.pod_selector {
        Some(labels) => match_labels(labels),
        None => Node::map(),
    };
    let rules: Vec<Node> = plan
        .rules
        .iter()
        .map(|rule| {
            let peers_key = match plan.direction {
                Some(Direction::Egress) => "to",
                _ => "from",
            };
            let peers = rule
                .peers
                .iter()
                .flat_map(|peer| peer_nodes(peer, &plan.namespace))
                .collect();
            Node::map()
                .with_seq(peers_key, peers)
                .with_seq("ports", rule.ports.iter().map(port).collect())
        })
        .collect();
    let mut spec = Node::map().with("podSelector", pod_selector).with(
        "policyTypes",
        Node::Seq(plan.types.iter().map(|t| Node::from(t.as_k8s())).collect()),
    );
    if let Some(direction) = plan.direction {
        spec = spec.with(direction.suffix(), Node::Seq(rules));
    }
    object(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        metadata(&plan.name, &plan.namespace, None),
        spec,
    )
}

fn match_labels(labels: &Labels) -> Node<'_> {
    Node::map().with("matchLabels", string_map(labels))
}

fn namespace_selector(namespace: &str) -> Node<'_> {
    Node::map().with(
        "matchLabels",
        Node::map().with(NAMESPACE_NAME_LABEL, namespace),
    )
}

/// A peer as seen from a policy in `here`. An app or pods of another namespace are one
/// peer with both selectors (AND), never two list items (OR).
fn peer_nodes<'a>(peer: &'a Peer, here: &str) -> Vec<Node<'a>> {
    let pods_in = |namespace: &'a str, pods: Node<'a>| -> Node<'a> {
        if namespace == here {
            Node::map().with("podSelector", pods)
        } else {
            Node::map()
                .with("namespaceSelector", namespace_selector(namespace))
                .with("podSelector", pods)
        }
    };
    match peer {
        Peer::App {
            namespace, labels, ..
        } => vec![pods_in(namespace, match_labels(labels))],
        Peer::Pods(selector) => vec![pods_in(&selector.namespace, match_labels(&selector.labels))],
        Peer::AnyNamespace => vec![Node::map().with("namespaceSelector", Node::map())],
        Peer::NamespaceGroup { labels, .. } => {
            vec![Node::map().with("namespaceSelector", match_labels(labels))]
        }
        // A rule with `any` has no peers at all (the plan drops the others).
        Peer::Any => Vec::new(),
        Peer::Namespace { namespace } if **namespace == *here => {
            vec![Node::map().with("podSelector", Node::map())]
        }
        Peer::Namespace { namespace } => {
            vec![Node::map().with("namespaceSelector", namespace_selector(namespace))]
        }
        Peer::Addresses(blocks) => blocks
            .iter()
            .map(|block| {
                let except = block
                    .except
                    .iter()
                    .map(|e| Node::from(e.to_string()))
                    .collect();
                Node::map().with(
                    "ipBlock",
                    Node::map()
                        .with("cidr", block.cidr.to_string())
                        .with_seq("except", except),
                )
            })
            .collect(),
    }
}

fn port(port: &PolicyPort) -> Node<'_> {
    let number = match &port.port {
        TargetPort::Number(n) => Node::from(*n),
        TargetPort::Name(name) => Node::from(name),
    };
    Node::map()
        .with("protocol", port.protocol.as_k8s())
        .with("port", number)
        .with_opt("endPort", port.end_port)
}
