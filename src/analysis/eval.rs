//! The NetworkPolicy semantics of Kubernetes, over typed objects: may one endpoint open a
//! connection to another, on which ports, and because of which policies and rules.
//!
//! - A pod is isolated for a direction when some policy of its namespace selects it and
//!   lists that direction in `policyTypes`; an isolated pod allows in that direction
//!   what the union of those policies' rules allows, nothing else.
//! - A connection is allowed when the source's egress allows it and the destination's
//!   ingress allows it. An address outside the cluster has no policy of its own: its
//!   side always allows.
//! - A peer with `podSelector` alone means pods of the policy's namespace; with
//!   `namespaceSelector` alone, every pod of the namespaces it selects; with both, pods
//!   that match both (AND). An `ipBlock` matches addresses outside the cluster only, as
//!   np-guard's analyzer reads it (a pod's address is left to the network plugin, so no
//!   pod is matched by an `ipBlock`). A rule without peers matches everything.
//! - A rule without ports allows every protocol; a named port resolves against the
//!   destination pod's container ports (same name and protocol); `endPort` makes a range.

use std::net::IpAddr;

use crate::collections::IndexMap;
use ipnet::IpNet;

use super::conns::Conns;
use super::endpoints::{Endpoint, Place, Pod};
use super::selecting::PolicyIndex;
use crate::kube::objects::{Labels, Policy, PolicyPeer, PolicyPort, PortValue, Rule};

/// What the evaluator reads: namespaces with their labels, and the policies.
#[derive(Debug, Clone, Default)]
pub struct Objects {
    pub namespaces: IndexMap<String, Labels>,
    policies: Vec<Policy>,
    /// The policies by their pod selectors, made on the first [`Objects::selecting`].
    index: std::cell::OnceCell<PolicyIndex>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Egress,
    Ingress,
}

/// One rule that lets (some of) the connection through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    /// Index into [`Objects::policies`].
    pub policy: usize,
    /// Index of the rule in the policy's `ingress` or `egress` list.
    pub rule: usize,
    pub conns: Conns,
}

/// One side's verdict: egress of the source, or ingress of the destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Side {
    /// An address outside the cluster: no policy applies to it.
    Outside,
    /// No policy selects the pod for this direction.
    NotIsolated,
    /// Policies isolate the pod (`isolated_by`); `grants` are the rules that match.
    Isolated {
        isolated_by: Vec<usize>,
        grants: Vec<Grant>,
    },
}

impl Side {
    pub fn conns(&self) -> Conns {
        match self {
            Side::Outside | Side::NotIsolated => Conns::all(),
            Side::Isolated { grants, .. } => grants
                .iter()
                .fold(Conns::none(), |all, g| all.union(&g.conns)),
        }
    }
}

/// Both sides of a connection and what gets through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub egress: Side,
    pub ingress: Side,
    pub conns: Conns,
}

impl Objects {
    pub fn new(namespaces: IndexMap<String, Labels>, policies: Vec<Policy>) -> Self {
        Objects {
            namespaces,
            policies,
            index: std::cell::OnceCell::new(),
        }
    }

    /// The policies, in input order (fixed once read: `selecting` indexes them).
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// May `src` open connections to `dst`, and on what.
    pub fn verdict(&self, src: &Endpoint, dst: &Endpoint) -> Verdict {
        self.verdict_with(src, dst, &self.selecting(src), &self.selecting(dst))
    }

    /// The policies whose pod selector selects an endpoint (none for an address).
    pub fn selecting(&self, endpoint: &Endpoint) -> Vec<usize> {
        let Place::Pod(pod) = &endpoint.place else {
            return Vec::new();
        };
        self.index
            .get_or_init(|| PolicyIndex::new(&self.policies))
            .selecting(&self.policies, &pod.namespace, &pod.labels)
    }

    /// [`Objects::verdict`], with the policies that select each end known.
    pub fn verdict_with(
        &self,
        src: &Endpoint,
        dst: &Endpoint,
        src_policies: &[usize],
        dst_policies: &[usize],
    ) -> Verdict {
        let egress = self.side(src, src_policies, dst, dst, Direction::Egress);
        let ingress = self.side(dst, dst_policies, src, dst, Direction::Ingress);
        let conns = egress.conns().intersect(&ingress.conns());
        Verdict {
            egress,
            ingress,
            conns,
        }
    }

    /// The verdict of `subject`'s policies (`selecting` it) for a connection with
    /// `peer` (the other end); ports resolve against `destination`.
    fn side(
        &self,
        subject: &Endpoint,
        selecting: &[usize],
        peer: &Endpoint,
        destination: &Endpoint,
        direction: Direction,
    ) -> Side {
        if let Place::Address(_) = &subject.place {
            return Side::Outside;
        }
        let mut isolated_by = Vec::new();
        let mut grants = Vec::new();
        for &index in selecting {
            let policy = &self.policies[index];
            let rules = match direction {
                Direction::Egress => &policy.egress,
                Direction::Ingress => &policy.ingress,
            };
            let Some(rules) = rules else { continue };
            isolated_by.push(index);
            for (rule_index, rule) in rules.iter().enumerate() {
                if !self.rule_matches_peer(rule, &policy.namespace, peer) {
                    continue;
                }
                let conns = rule_conns(rule, destination);
                if !conns.is_empty() {
                    grants.push(Grant {
                        policy: index,
                        rule: rule_index,
                        conns,
                    });
                }
            }
        }
        if isolated_by.is_empty() {
            Side::NotIsolated
        } else {
            Side::Isolated {
                isolated_by,
                grants,
            }
        }
    }

    fn rule_matches_peer(&self, rule: &Rule, policy_namespace: &str, peer: &Endpoint) -> bool {
        match &rule.peers {
            None => true,
            Some(peers) => peers
                .iter()
                .any(|p| self.peer_matches(p, policy_namespace, &peer.place)),
        }
    }

    fn peer_matches(&self, peer: &PolicyPeer, policy_namespace: &str, place: &Place) -> bool {
        match (peer, place) {
            (PolicyPeer::Block { cidr, except }, Place::Address(address)) => {
                in_block(*address, cidr, except)
            }
            (PolicyPeer::Pods { namespaces, pods }, Place::Pod(pod)) => {
                let namespace_ok = match namespaces {
                    None => pod.namespace == policy_namespace,
                    Some(selector) => {
                        let empty = Labels::default();
                        let labels = self.namespaces.get(&pod.namespace).unwrap_or(&empty);
                        selector.matches(labels)
                    }
                };
                namespace_ok && pods.as_ref().is_none_or(|s| s.matches(&pod.labels))
            }
            _ => false,
        }
    }
}

/// An address is in `cidr` and in none of `except`. A CIDR that does not parse matches
/// nothing (the API server refuses it).
fn in_block(address: IpAddr, cidr: &str, except: &[String]) -> bool {
    let contains = |text: &str| {
        text.parse::<IpNet>()
            .is_ok_and(|net| net.contains(&address))
    };
    contains(cidr) && !except.iter().any(|e| contains(e))
}

/// What a rule's ports let through to `destination`.
fn rule_conns(rule: &Rule, destination: &Endpoint) -> Conns {
    let Some(ports) = &rule.ports else {
        return Conns::all();
    };
    ports.iter().fold(Conns::none(), |all, port| {
        all.union(&port_conns(port, destination))
    })
}

fn port_conns(port: &PolicyPort, destination: &Endpoint) -> Conns {
    match &port.port {
        None => Conns::range(port.protocol, 1, u16::MAX),
        Some(PortValue::Number(n)) => Conns::range(port.protocol, *n, port.end_port.unwrap_or(*n)),
        Some(PortValue::Name(name)) => match &destination.place {
            Place::Pod(pod) => named_port(pod, name, port.protocol),
            // A name means nothing to an address outside the cluster.
            Place::Address(_) => Conns::none(),
        },
    }
}

/// A named port: the container ports of that name and protocol.
fn named_port(pod: &Pod, name: &str, protocol: crate::ir::Protocol) -> Conns {
    pod.ports
        .iter()
        .filter(|p| p.name.as_deref() == Some(name) && p.protocol == protocol)
        .fold(Conns::none(), |all, p| {
            all.union(&Conns::port(protocol, p.number))
        })
}
