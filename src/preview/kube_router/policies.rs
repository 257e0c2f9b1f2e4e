//! One `KUBE-NWPLCY-` chain per NetworkPolicy and the sets its rules match on
//! (policy.go `syncNetworkPolicyChains`, `processIngressRules`, `processEgressRules`,
//! `appendRuleToPolicyChain`; reference §6.5).

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::net::IpAddr;

use crate::collections::{narrow, SmallMap};
use ipnet::IpNet;

use super::super::address;
use super::super::rule::Rule;
use super::names::{self, Peers};
use super::pods::PodIndex;
use super::{Family, IpSet, Wanted};
use crate::ir::{IpBlock, Peer, TargetPort};
use crate::policy::{Direction, PolicyPlan, PolicyRule};

/// kube-router's `policyType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyType {
    Ingress,
    Egress,
    Both,
}

impl PolicyType {
    fn of(plan: &PolicyPlan) -> Self {
        let ingress = plan.types.contains(&Direction::Ingress);
        let egress = plan.types.contains(&Direction::Egress);
        match (ingress, egress) {
            (true, true) => PolicyType::Both,
            (false, true) => PolicyType::Egress,
            // kube-router's default when `policyTypes` names neither.
            _ => PolicyType::Ingress,
        }
    }

    fn has(self, direction: Direction) -> bool {
        matches!(
            (self, direction),
            (PolicyType::Both, _)
                | (PolicyType::Ingress, Direction::Ingress)
                | (PolicyType::Egress, Direction::Egress)
        )
    }
}

/// A policy as the pod chains see it (kube-router's `networkPolicyInfo`), with what
/// its chain's rules are made from.
#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    pub namespace: String,
    pub chain: String,
    pub kind: PolicyType,
    /// The pods the policy selects (`targetPods`, keyed by pod IP upstream, as the
    /// pods are: see [`super::pods::collect`]), as places in the payload's pods.
    pub targets: Vec<u32>,
    /// The chain's pairs of rules, made when the payload is written (see [`Allow`]).
    allows: Vec<Allow>,
}

/// One `appendRuleToPolicyChain` of a policy's chain: a rule that marks the traffic
/// it allows, and one that returns when marked. It is kept as what the two are made
/// from, and they are made when written: as text, the policies' rules of 100,000 apps
/// were over a hundred megabytes, held from the policies' making to the end.
#[derive(Debug, Clone, Copy)]
struct Allow {
    direction: Direction,
    peers: Peers,
    /// The index of the policy's rule, which names the set of its peers.
    rule: u32,
    port: Option<Port>,
}

/// The policy chains: their policies, with their rules, and sets.
#[derive(Debug, Default)]
pub struct Built {
    pub policies: Vec<Policy>,
    pub sets: Vec<IpSet>,
}

/// A numeric NetworkPolicy port as kube-router writes it: `-p TCP --dport P[:END]`.
#[derive(Debug, Clone, Copy)]
struct Port {
    protocol: &'static str,
    number: u16,
    /// `endPort`, kept only when it is at least the port.
    end: Option<u16>,
}

impl Port {
    fn dport(self) -> String {
        match self.end {
            Some(end) => format!("{}:{end}", self.number),
            None => self.number.to_string(),
        }
    }
}

impl Policy {
    /// The rules of the policy's chain, in order.
    pub(super) fn rules(&self, family: Family) -> Vec<Rule> {
        let (namespace, policy) = (self.namespace.as_str(), self.name.as_str());
        let mut rules = Vec::with_capacity(self.allows.len() * 2);
        // Each set's name is a hash: made once for the chain (a rule's peer set once for
        // its ports), not once an allow.
        let mut target_sets: [Option<String>; 2] = [None, None];
        let mut peer_set: Option<((Direction, Peers, u32), String)> = None;
        for &Allow {
            direction,
            peers,
            rule,
            port,
        } in &self.allows
        {
            let target = target_sets[direction as usize]
                .get_or_insert_with(|| names::target_set(direction, namespace, policy, family))
                .clone();
            let made_for = (direction, peers, rule);
            let peers_set = match &peer_set {
                Some((made, name)) if *made == made_for => name.clone(),
                _ => {
                    let index = rule as usize;
                    let name = names::peer_set(direction, namespace, policy, index, family, peers);
                    peer_set = Some((made_for, name.clone()));
                    name
                }
            };
            let (src, dst) = match direction {
                Direction::Ingress => (peers_set, target),
                Direction::Egress => (target, peers_set),
            };
            let comment = names::c_allow(direction, peers, policy, namespace);
            rules.extend(mark_and_return(&self.chain, comment, (&src, &dst), port));
        }
        rules
    }
}

/// The two rules of `appendRuleToPolicyChain`: mark, then return when marked. An empty
/// set name matches every source (destination).
fn mark_and_return(
    chain: &str,
    comment: String,
    (src, dst): (&str, &str),
    port: Option<Port>,
) -> [Rule; 2] {
    let mut rule = Rule::new(chain).comment(comment);
    if !src.is_empty() {
        rule = rule.arg(["-m", "set", "--match-set", src, "src"]);
    }
    if !dst.is_empty() {
        rule = rule.arg(["-m", "set", "--match-set", dst, "dst"]);
    }
    if let Some(port) = port {
        rule = rule.arg(["-p", port.protocol, "--dport", &port.dport()]);
    }
    let mark = rule
        .clone()
        .jump("MARK")
        .arg(["--set-xmark", names::MARK_MATCHED]);
    let back = rule
        .arg(["-m", "mark", "--mark", names::MARK_MATCHED])
        .jump("RETURN");
    [mark, back]
}

/// The chains of `plans`, in order, with their rules, sets or both (`wanted`). Plans
/// given by value are dropped one by one as their chains are built, so that the two are
/// not both held whole.
pub fn build<'p, P: std::borrow::Borrow<PolicyPlan<'p>>>(
    plans: impl IntoIterator<Item = P>,
    pods: &PodIndex<'_>,
    (family, version): (Family, &str),
    wanted: Wanted,
) -> Built {
    let mut built = Built::default();
    for plan in plans {
        let plan = plan.borrow();
        let kind = PolicyType::of(plan);
        let targets = pods.select_places(&plan.namespace, plan.pod_selector.as_deref());
        let chain = names::policy_chain(&plan.namespace, &plan.name, version, family);
        let mut writer = Writer {
            plan,
            family,
            pods,
            wanted,
            allows: Vec::new(),
            sets: Vec::new(),
        };
        for direction in [Direction::Ingress, Direction::Egress] {
            if !kind.has(direction) {
                continue;
            }
            writer.set(
                || names::target_set(direction, &plan.namespace, &plan.name, family),
                "hash:ip",
                targets
                    .iter()
                    .filter_map(|&place| pods.pod(place))
                    .map(|pod| (address::text(pod.address), false)),
            );
            // `spec.ingress` / `spec.egress` is nil unless the plan holds that direction's
            // rules: then nothing is allowed.
            if plan.direction == Some(direction) {
                for (index, rule) in plan.rules.iter().enumerate() {
                    writer.rule(direction, index, rule);
                }
            }
        }
        // kube-router's ipset restore creates a sync's new sets in order of name.
        writer.sets.sort_by(|a, b| a.name.cmp(&b.name));
        built.sets.append(&mut writer.sets);
        let allows = std::mem::take(&mut writer.allows);
        built.policies.push(Policy {
            name: plan.name.clone(),
            namespace: plan.namespace.to_string(),
            chain,
            kind,
            targets,
            allows,
        });
    }
    built
}

/// Gathers what one policy's chain rules are made from, and its sets.
struct Writer<'a> {
    plan: &'a PolicyPlan<'a>,
    family: Family,
    pods: &'a PodIndex<'a>,
    wanted: Wanted,
    allows: Vec<Allow>,
    sets: Vec<IpSet>,
}

impl Writer<'_> {
    /// An ingress rule allows `peers -> targets`, an egress rule `targets -> peers`:
    /// its pods, then every address when it names no peer, then its ipBlocks, each on
    /// every port it allows.
    fn rule(&mut self, direction: Direction, index: usize, rule: &PolicyRule) {
        // No ports: every port. Named ports resolve to nothing: see the module
        // documentation.
        let ports: Vec<Option<Port>> = if rule.ports.is_empty() {
            vec![None]
        } else {
            rule.ports.iter().filter_map(numeric).map(Some).collect()
        };
        let peer_pods = self.peer_pods(&rule.peers);
        if !peer_pods.is_empty() {
            let members = peer_pods.iter().map(|&ip| (address::text(ip), false));
            self.peer_set(direction, index, (Peers::Pods, "hash:ip"), members);
            self.allow_on(direction, index, Peers::Pods, &ports);
        }
        if rule.peers.is_empty() {
            self.allow_on(direction, index, Peers::All, &ports);
        }
        let blocks = block_members(&rule.peers, self.family);
        if !blocks.is_empty() {
            self.peer_set(direction, index, (Peers::IpBlocks, "hash:net"), blocks);
            self.allow_on(direction, index, Peers::IpBlocks, &ports);
        }
    }

    /// The set of rule `index`'s `peers`, of the given ipset type.
    fn peer_set(
        &mut self,
        direction: Direction,
        index: usize,
        (peers, kind): (Peers, &'static str),
        members: impl IntoIterator<Item = (String, bool)>,
    ) {
        let (plan, family) = (self.plan, self.family);
        let name = || names::peer_set(direction, &plan.namespace, &plan.name, index, family, peers);
        self.set(name, kind, members);
    }

    /// One `appendRuleToPolicyChain` of rule `index`'s `peers` for each of `ports`, if
    /// the rules are wanted.
    fn allow_on(
        &mut self,
        direction: Direction,
        index: usize,
        peers: Peers,
        ports: &[Option<Port>],
    ) {
        if !self.wanted.rules() {
            return;
        }
        self.allows.extend(ports.iter().map(|&port| Allow {
            direction,
            peers,
            rule: narrow(index),
            port,
        }));
    }

    /// The addresses of the pods knet knows that the rule's pod peers select, each once.
    fn peer_pods(&self, peers: &[Cow<Peer>]) -> Vec<IpAddr> {
        let mut addresses: Vec<IpAddr> = Vec::new();
        let mut seen: BTreeSet<IpAddr> = BTreeSet::new();
        for peer in peers {
            let selected = match &**peer {
                Peer::App {
                    namespace, labels, ..
                } => self.pods.select(namespace, Some(labels)),
                Peer::Pods(selector) => self
                    .pods
                    .select(&selector.namespace, Some(&selector.labels)),
                Peer::Namespace { namespace } => self.pods.select(namespace, None),
                Peer::AnyNamespace => self.pods.all(),
                // Namespace labels are not known to knet, and `any` never reaches here
                // (the plan turns it into a rule without peers).
                Peer::Addresses(_) | Peer::NamespaceGroup { .. } | Peer::Any => Vec::new(),
            };
            for pod in selected {
                if seen.insert(pod.address) {
                    addresses.push(pod.address);
                }
            }
        }
        addresses
    }

    /// Declares a set once (a later declaration replaces the members, as `RefreshSet`).
    fn set(
        &mut self,
        name: impl FnOnce() -> String,
        kind: &'static str,
        members: impl IntoIterator<Item = (String, bool)>,
    ) {
        // The name and members are made here, lazily: left out, they cost nothing.
        if !self.wanted.sets() {
            return;
        }
        let set = IpSet {
            name: name(),
            kind,
            members: unique_members(members),
        };
        match self.sets.iter_mut().find(|s| s.name == set.name) {
            Some(existing) => *existing = set,
            None => self.sets.push(set),
        }
    }
}

/// A set's members as `ipset restore -exist` leaves them: a repeated element keeps its
/// place and takes the last flags. Most sets hold a member or two (a preview of 100,000
/// apps makes hundreds of thousands of sets): their places are kept in a [`SmallMap`],
/// searched while short.
fn unique_members(members: impl IntoIterator<Item = (String, bool)>) -> Vec<(String, bool)> {
    let mut unique: Vec<(String, bool)> = Vec::new();
    let mut places: SmallMap<String, usize> = SmallMap::new();
    for (member, nomatch) in members {
        match places.first_or_insert(member, unique.len()) {
            Some(&at) => unique[at].1 = nomatch,
            None => unique.push((String::new(), nomatch)),
        }
    }
    // The members themselves went into the map: each is put back in its place.
    for (member, at) in places.into_entries() {
        unique[at].0 = member;
    }
    unique
}

/// A number (with `endPort`) as kube-router writes it; a named port gives `None`.
fn numeric(port: &crate::ir::PolicyPort) -> Option<Port> {
    let TargetPort::Number(number) = port.port else {
        return None;
    };
    Some(Port {
        protocol: port.protocol.as_k8s(),
        number,
        // processNetworkPolicyPorts keeps endPort only when it is >= port.
        end: port.end_port.filter(|&end| end >= number),
    })
}

/// The `hash:net` members of the rule's ipBlock peers of this family (`evalIPBlockPeer`):
/// the CIDR, then each exception with `nomatch`; a `/0` is split in two halves, which
/// `hash:net` can store.
fn block_members(peers: &[Cow<Peer>], family: Family) -> Vec<(String, bool)> {
    let mut members = Vec::new();
    for peer in peers {
        let Peer::Addresses(blocks) = &**peer else {
            continue;
        };
        for IpBlock { cidr, except } in blocks {
            if Family::of(cidr.addr()) != family {
                continue;
            }
            push_net(&mut members, cidr, false);
            for net in except {
                push_net(&mut members, net, true);
            }
        }
    }
    members
}

fn push_net(members: &mut Vec<(String, bool)>, net: &IpNet, nomatch: bool) {
    if net.prefix_len() == 0 {
        let halves = match net {
            IpNet::V4(_) => ["0.0.0.0/1", "128.0.0.0/1"],
            IpNet::V6(_) => ["2000::/3", "fd00::/8"],
        };
        members.extend(halves.map(|h| (h.to_string(), nomatch)));
        return;
    }
    // As `ipset save` prints it: the network address, a host without its prefix.
    let net = net.trunc();
    let text = if net.prefix_len() == net.max_prefix_len() {
        net.addr().to_string()
    } else {
        net.to_string()
    };
    members.push((text, nomatch));
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The members as `ipset restore -exist` leaves them (an IndexMap, insertion
        /// ordered, where a repeated key keeps its place and takes the last value), for
        /// lists short enough to be searched and long enough to be indexed.
        #[test]
        fn members_are_kept_once_in_place_with_the_last_flags(
            members in prop::collection::vec((0..24u8, any::<bool>()), 0..40),
        ) {
            let members: Vec<(String, bool)> =
                members.into_iter().map(|(m, flag)| (format!("10.0.0.{m}"), flag)).collect();
            let mut expected: indexmap::IndexMap<String, bool> = indexmap::IndexMap::new();
            for (member, nomatch) in members.clone() {
                expected.insert(member, nomatch);
            }
            let expected: Vec<(String, bool)> = expected.into_iter().collect();
            prop_assert_eq!(unique_members(members), expected);
        }
    }
}
