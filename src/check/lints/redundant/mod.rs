//! `W0106`: a declared flow that another flow already allows, and a port listed twice
//! in one peer.
//!
//! A flow can only be covered by one to the same destination (or a wider one: every pod
//! of its namespace, `*/*`, `any`) from the same source or a wider one, so the flows
//! are indexed by destination and source, and within a pair by port (one-port flows
//! here, the others in [`wide`]); flows from addresses are indexed by CIDR. Each flow looks up the few places a covering flow
//! can be, so that a statement listing thousands of peers, ports or externals stays
//! near linear. The tests check the index against a scan of every flow.

use crate::collections::{HashMap, HashSet, IndexMap, SmallMap};

use ipnet::IpNet;
use smallvec::SmallVec;

mod wide;

use super::flows::declared;
use super::Blocks;
use crate::check::Diagnostics;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, FlowOrigin, IpBlock, Peer, PeerKey};
use crate::source::Span;
use crate::syntax::ast;
use wide::{PortIndex, WideFlows};

pub fn check(diags: &mut Diagnostics, model: &ir::Model, blocks: &Blocks) {
    redundant(diags, model);
    repeated_ports(diags, blocks);
}

/// Whether knet writes policies for the pods `peer` stands for: a flow to or from them
/// adds rules there, which a one-sided peer (`any`, `*/*`, `GROUP/*`) never does.
fn managed(model: &ir::Model, peer: &Peer) -> bool {
    match peer {
        Peer::App { namespace, .. } | Peer::Namespace { namespace } => {
            model.namespaces.contains_key(&**namespace)
        }
        Peer::Pods(selector) => model.namespaces.contains_key(&selector.namespace),
        Peer::Addresses(_) | Peer::AnyNamespace | Peer::Any | Peer::NamespaceGroup { .. } => false,
    }
}

/// Whether `outer` includes every connection `inner` allows from or to.
fn peer_covers(model: &ir::Model, outer: &Peer, inner: &Peer) -> bool {
    match (outer, inner) {
        (a, b) if a == b => true,
        // A one-sided peer covers pods that get no policy of their own.
        (Peer::Any, _) => !managed(model, inner),
        (
            Peer::AnyNamespace,
            Peer::App { .. } | Peer::Namespace { .. } | Peer::Pods(_) | Peer::NamespaceGroup { .. },
        ) => !managed(model, inner),
        (Peer::Namespace { namespace }, Peer::App { namespace: n, .. }) => namespace == n,
        (Peer::Addresses(outer), Peer::Addresses(inner)) => inner.iter().all(|i| {
            outer
                .iter()
                .any(|o| o.cidr.contains(&i.cidr) && o.except.is_empty())
        }),
        _ => false,
    }
}

fn ports_cover(outer: &[ir::PolicyPort], inner: &[ir::PolicyPort]) -> bool {
    if outer.is_empty() {
        return true;
    }
    !inner.is_empty()
        && inner.iter().all(|i| {
            outer.iter().any(|o| {
                o.protocol == i.protocol
                    && match (&o.port, &i.port) {
                        (ir::TargetPort::Number(lo), ir::TargetPort::Number(n)) => {
                            let (ilo, ihi) = (*n, i.end_port.unwrap_or(*n));
                            *lo <= ilo && ihi <= o.end_port.unwrap_or(*lo)
                        }
                        (a, b) => a == b && i.end_port.is_none(),
                    }
            })
        })
}

/// Flows indexed for `W0106`: by destination, then by source. A flow can be covered
/// only by one to the same destination (or to every pod of its namespace) from the same
/// source, from every pod of the source's namespace, from any namespace, or, for
/// addresses, from addresses; each is one lookup. Identical flows are kept once (the
/// first), so a statement that repeats one peer thousands of times stays linear too.
#[derive(Default)]
struct Candidates<'m> {
    /// Most destinations are reached from one to three sources: a list until more.
    by_source: SmallMap<PeerKey<'m>, PairFlows<'m>>,
    /// Boxed, and only when there is one: few destinations are reached from addresses,
    /// and the index holds an entry for every destination.
    from_addresses: Option<Box<AddressFlows<'m>>>,
}

/// The flows from addresses to one destination. A flow from addresses is covered only
/// by one whose addresses (each without `except`) contain its own, so the flows are
/// indexed by each such CIDR, and a flow looks up the CIDRs that contain its first
/// one: a prefix length each. Under each CIDR the flows are indexed by the ports they
/// can cover, as within a pair ([`PortIndex`]). A destination reached from thousands of
/// externals, or from one external on thousands of ports, stays near linear.
#[derive(Default)]
struct AddressFlows<'m> {
    /// By addresses and (sorted) ports.
    kept: Kept<'m, (&'m [IpBlock], Vec<ir::PolicyPort>)>,
    /// The slots of the flows with this CIDR, without `except`.
    by_cidr: HashMap<IpNet, PortIndex<'m>>,
    /// The slots of the flows with these very addresses (which cover themselves, with
    /// `except` or not).
    by_addresses: HashMap<&'m [IpBlock], PortIndex<'m>>,
}

impl<'m> AddressFlows<'m> {
    fn add(&mut self, index: usize, flow: &'m ir::Flow, blocks: &'m [IpBlock]) {
        let Some(slot) = self
            .kept
            .add((blocks, sorted_ports(&flow.ports)), index, flow)
        else {
            return;
        };
        for block in blocks.iter().filter(|block| block.except.is_empty()) {
            self.by_cidr
                .entry(block.cidr.trunc())
                .or_default()
                .add(slot, &flow.ports);
        }
        self.by_addresses
            .entry(blocks)
            .or_default()
            .add(slot, &flow.ports);
    }

    fn seal(&mut self) {
        self.by_cidr.values_mut().for_each(PortIndex::seal);
        self.by_addresses.values_mut().for_each(PortIndex::seal);
    }

    /// The flows whose addresses may contain `blocks` and whose ports may cover `ports`.
    fn covering<'a>(
        &'a self,
        blocks: &'a [IpBlock],
        ports: &[ir::PolicyPort],
    ) -> Box<dyn Iterator<Item = (usize, &'m ir::Flow)> + 'a> {
        let Some(first) = blocks.first() else {
            // No addresses: any flow from addresses covers it.
            return Box::new(self.kept.flows.iter().copied());
        };
        let cidr = first.cidr;
        let mut slots = Vec::new();
        (0..=cidr.prefix_len())
            .filter_map(|len| IpNet::new(cidr.addr(), len).ok())
            .filter_map(|net| self.by_cidr.get(&net.trunc()))
            .chain(self.by_addresses.get(blocks))
            .for_each(|index| index.covering(ports, &mut slots));
        Box::new(slots.into_iter().filter_map(|slot| self.kept.get(slot)))
    }
}

/// The flows from one source to one destination, by the ports they name. A flow of one
/// port (`api:http`) can be covered by a flow of that same port, but by no other flow of
/// one port: those are kept sorted by port and searched, so that a statement listing
/// thousands of ports of one peer stays near linear. The rest (every port, a range,
/// several ports) are indexed by the ports they can cover ([`wide`]).
#[derive(Default)]
struct PairFlows<'m> {
    /// Sorted by port (then by index) once every flow is in ([`PairFlows::seal`]).
    /// Inline while it holds one: most pairs are one flow.
    one_port: SmallVec<[(&'m ir::PolicyPort, (usize, &'m ir::Flow)); 1]>,
    /// Boxed, and only when there is one: most pairs have none, and a large model has
    /// tens of thousands of pairs.
    other: Option<Box<WideFlows<'m>>>,
}

/// The one port (not a range) that every port of a list is, if any: `[http]` and
/// `[http, http]` are `http`; `[]` (every port), `[80, 443]` and `[80-90]` are none.
fn single_port(ports: &[ir::PolicyPort]) -> Option<&ir::PolicyPort> {
    let first = ports.first()?;
    (first.end_port.is_none() && ports.iter().all(|p| p == first)).then_some(first)
}

/// The one point every port of a list stands for, if any (`80` and `80-80` are both the
/// point 80): the port a one-port flow needs to cover the list.
fn single_point(ports: &[ir::PolicyPort]) -> Option<ir::PolicyPort> {
    fn point(p: &ir::PolicyPort) -> Option<(ir::Protocol, &ir::TargetPort)> {
        match (&p.port, p.end_port) {
            (_, None) => Some((p.protocol, &p.port)),
            (ir::TargetPort::Number(low), Some(high)) if *low == high => {
                Some((p.protocol, &p.port))
            }
            _ => None,
        }
    }
    let first = point(ports.first()?)?;
    ports
        .iter()
        .all(|p| point(p) == Some(first))
        .then(|| ir::PolicyPort {
            protocol: first.0,
            port: first.1.clone(),
            end_port: None,
        })
}

/// Of two identical flows (same destination, source and ports), keeps in `kept` the
/// one that comes first ([`precedes`]).
fn keep<'m>(kept: &mut (usize, &'m ir::Flow), index: usize, flow: &'m ir::Flow) {
    if precedes(flow, kept.1) {
        *kept = (index, flow);
    }
}

/// Flows kept once each by an identity `K` (their ports, or their addresses and ports):
/// of identical ones, the one that comes first, in the slot of the first.
struct Kept<'m, K> {
    flows: Vec<(usize, &'m ir::Flow)>,
    slots: HashMap<K, usize>,
}

impl<K> Default for Kept<'_, K> {
    fn default() -> Self {
        Kept {
            flows: Vec::new(),
            slots: HashMap::default(),
        }
    }
}

impl<'m, K: std::hash::Hash + Eq> Kept<'m, K> {
    /// Adds a flow: its slot if it is the first of its identity.
    fn add(&mut self, identity: K, index: usize, flow: &'m ir::Flow) -> Option<usize> {
        if let Some(&slot) = self.slots.get(&identity) {
            keep(&mut self.flows[slot], index, flow);
            return None;
        }
        let slot = self.flows.len();
        self.slots.insert(identity, slot);
        self.flows.push((index, flow));
        Some(slot)
    }

    fn get(&self, slot: usize) -> Option<(usize, &'m ir::Flow)> {
        self.flows.get(slot).copied()
    }
}

impl<'m> PairFlows<'m> {
    fn add(&mut self, index: usize, flow: &'m ir::Flow) {
        match single_port(&flow.ports) {
            // Identical ones are folded by `seal`, once they are sorted.
            Some(port) => self.one_port.push((port, (index, flow))),
            None => self.other.get_or_insert_default().add(index, flow),
        }
    }

    /// Sorts the one-port flows by port and keeps one of each port: the one that comes
    /// first, as [`PairFlows::add`] keeps among the others.
    fn seal(&mut self) {
        if let Some(other) = &mut self.other {
            other.seal();
        }
        if self.one_port.len() < 2 {
            return;
        }
        self.one_port
            .sort_by(|a, b| (a.0, (a.1).0).cmp(&(b.0, (b.1).0)));
        let mut folded: SmallVec<[(&'m ir::PolicyPort, (usize, &'m ir::Flow)); 1]> =
            SmallVec::with_capacity(self.one_port.len());
        for (port, (index, flow)) in self.one_port.drain(..) {
            match folded.last_mut().filter(|last| last.0 == port) {
                Some(last) => keep(&mut last.1, index, flow),
                None => folded.push((port, (index, flow))),
            }
        }
        self.one_port = folded;
    }

    /// The flows that may cover one with these ports.
    fn covering<'a>(
        &'a self,
        ports: &'a [ir::PolicyPort],
    ) -> impl Iterator<Item = (usize, &'m ir::Flow)> + 'a {
        // Only a flow of that one port, among the one-port flows.
        let one_port = match single_point(ports) {
            Some(point) => {
                let from = self.one_port.partition_point(|(p, _)| **p < point);
                let to = from + self.one_port[from..].partition_point(|(p, _)| **p == point);
                &self.one_port[from..to]
            }
            None => &[],
        };
        one_port
            .iter()
            .map(|&(_, kept)| kept)
            .chain(self.other.iter().flat_map(|other| other.covering(ports)))
    }
}

impl<'m> Candidates<'m> {
    fn add(&mut self, index: usize, flow: &'m ir::Flow) {
        match &flow.from {
            Peer::Addresses(blocks) => self
                .from_addresses
                .get_or_insert_default()
                .add(index, flow, blocks),
            _ => self
                .by_source
                .get_or_insert_with(flow.from.key(), PairFlows::default)
                .add(index, flow),
        }
    }

    fn seal(&mut self) {
        self.by_source.values_mut().for_each(PairFlows::seal);
        if let Some(from_addresses) = &mut self.from_addresses {
            from_addresses.seal();
        }
    }

    fn covering<'a>(
        &'a self,
        flow: &'m ir::Flow,
    ) -> impl Iterator<Item = (usize, &'m ir::Flow)> + 'a
    where
        'm: 'a,
    {
        // Flows from addresses are kept apart (and their key is a formatted string).
        let (own, namespace, addresses) = match &flow.from {
            Peer::Addresses(blocks) => (
                None,
                None,
                self.from_addresses
                    .as_ref()
                    .map(|from| from.covering(blocks, &flow.ports)),
            ),
            Peer::App { namespace, .. } => (
                Some(flow.from.key()),
                Some(PeerKey::Namespace(namespace)),
                None,
            ),
            from => (Some(from.key()), None, None),
        };
        [own, Some(PeerKey::AnyNamespace), namespace]
            .into_iter()
            .flatten()
            .filter_map(|source| self.by_source.get(&source))
            .flat_map(|pair| pair.covering(&flow.ports))
            .chain(addresses.into_iter().flatten())
    }
}

/// `W0106`: a declared flow that another flow (declared earlier, in another statement
/// or earlier in the same one, or implied) already allows.
fn redundant(diags: &mut Diagnostics, model: &ir::Model) {
    let index = Index::new(model);
    report(diags, model, |flow| index.covering(model, flow));
}

/// Every flow, by destination.
struct Index<'m> {
    /// An index map, sized ahead for the apps: its table holds only places in its
    /// list of entries. At 100,000 apps a hash map of the candidates themselves was
    /// forty megabytes, rehashed at every doubling and read at random.
    by_destination: IndexMap<PeerKey<'m>, Candidates<'m>>,
    /// Whether any flow goes to a namespace's every pod, `*/*` or `any`: the wider
    /// destinations that [`destinations`] lists after a flow's own. Most models have
    /// none, and then each flow needs one lookup instead of four.
    any_wider: bool,
}

impl<'m> Index<'m> {
    fn new(model: &'m ir::Model) -> Self {
        // Most destinations are apps.
        let apps = model.namespaces.values().map(|ns| ns.apps.len()).sum();
        let mut by_destination: IndexMap<PeerKey, Candidates> =
            IndexMap::with_capacity_and_hasher(apps, Default::default());
        let mut any_wider = false;
        for (index, flow) in model.flows.iter().enumerate() {
            let key = flow.to.key();
            any_wider |= matches!(
                key,
                PeerKey::Namespace(_) | PeerKey::AnyNamespace | PeerKey::Any
            );
            by_destination.entry(key).or_default().add(index, flow);
        }
        by_destination.values_mut().for_each(Candidates::seal);
        Index {
            by_destination,
            any_wider,
        }
    }

    /// The first flow (by index) that already allows `flow`, at the most specific
    /// destination that has one.
    fn covering(&self, model: &ir::Model, flow: &'m ir::Flow) -> Option<&'m ir::Flow> {
        let looked_up = if self.any_wider { usize::MAX } else { 1 };
        destinations(flow).take(looked_up).find_map(|destination| {
            let (_, other) = self
                .by_destination
                .get(&destination)?
                .covering(flow)
                .filter(|(_, other)| may_cover(model, other, flow))
                .min_by_key(|(index, _)| *index)?;
            Some(other)
        })
    }
}

/// Where a flow that covers `flow` may go, most specific first: its destination, every
/// pod of the destination's namespace, then `*/*` and `any`.
fn destinations(flow: &ir::Flow) -> impl Iterator<Item = PeerKey<'_>> {
    let namespace = match &flow.to {
        Peer::App { namespace, .. } => Some(PeerKey::Namespace(namespace)),
        _ => None,
    };
    let wider: &[Peer] = match &flow.to {
        Peer::Any => &[],
        Peer::Addresses(_) | Peer::AnyNamespace => &[Peer::Any],
        _ => &[Peer::Any, Peer::AnyNamespace],
    };
    std::iter::once(flow.to.key())
        .chain(namespace)
        .chain(wider.iter().map(Peer::key))
}

/// Whether `other`, a candidate the index found, allows everything `flow` allows (and
/// is the one to report: not the flow itself, and of two equal flows the first).
fn may_cover(model: &ir::Model, other: &ir::Flow, flow: &ir::Flow) -> bool {
    declared(other) != declared(flow)
        && peer_covers(model, &other.from, &flow.from)
        && peer_covers(model, &other.to, &flow.to)
        && ports_cover(&other.ports, &flow.ports)
        && (precedes(other, flow) || !is_equal(other, flow))
}

/// Reports each declared flow that `covering` finds a flow for.
fn report<'m>(
    diags: &mut Diagnostics,
    model: &'m ir::Model,
    covering: impl Fn(&'m ir::Flow) -> Option<&'m ir::Flow>,
) {
    let mut reported: HashSet<(Span, Span)> = HashSet::default();
    for flow in &model.flows {
        let Some((statement, from, to)) = declared(flow) else {
            continue;
        };
        let Some(other) = covering(flow) else {
            continue;
        };
        let same_statement = covering_span(other) == Some(statement);
        let other_span = match declared(other) {
            Some((_, other_from, other_to)) if same_statement => {
                if other_to == to {
                    other_from
                } else {
                    other_to
                }
            }
            _ => origin_span(other),
        };
        if !reported.insert((statement, other_span)) {
            continue;
        }
        let what = match other.origin {
            FlowOrigin::Declared { .. } if same_statement => {
                "already allowed here, in the same statement"
            }
            FlowOrigin::Declared { .. } => "already allowed by this flow",
            FlowOrigin::Route { .. } => "already allowed by this ingress route",
            FlowOrigin::Exposure { .. } => "already allowed by this app's exposure",
            FlowOrigin::ClusterDns { .. } => "already allowed: every pod may reach cluster DNS",
        };
        let help = if matches!(other.origin, FlowOrigin::Declared { .. }) && is_equal(other, flow) {
            if same_statement {
                "the statement lists the same flow twice: remove one of them"
            } else {
                "the two flows allow the same connections: remove one of them"
            }
        } else {
            "remove this part of the flow: the other one already allows it"
        };
        let mut diagnostic =
            Diagnostic::new(Code::RedundantFlow, "this flow is already allowed", to)
                .label("allows nothing new from this source")
                .secondary(from, "for this source");
        diagnostic = diagnostic
            .secondary(other_span, what)
            .note("NetworkPolicies are additive: a second rule for the same connections changes nothing")
            .help(help);
        diags.push(diagnostic);
    }
}

/// `W0106` inside one peer: a port listed twice (`api:{http, http}`). Resolution
/// drops the copy, so it is found in what was written.
fn repeated_ports(diags: &mut Diagnostics, blocks: &Blocks) {
    let flows = blocks.items().filter_map(|item| match item {
        ast::NamespaceItem::Flow(flow) => Some(flow),
        _ => None,
    });
    // A single port cannot repeat: most peers name one, and need no map.
    let listing_several = flows
        .flat_map(|flow| &flow.destinations)
        .filter(|destination| destination.ports.len() > 1);
    for destination in listing_several {
        // One warning per repeated port, however often it is repeated.
        let mut seen: HashMap<String, usize> = HashMap::default();
        let mut repeated: Vec<(Span, Span, usize)> = Vec::new();
        for port in &destination.ports {
            let written = match &port.node {
                // `*` with another port is an error (E0338), so never reaches here twice.
                ast::PortRef::All => "*".to_string(),
                ast::PortRef::Name(name) => name.clone(),
                ast::PortRef::Number { port, protocol } => {
                    format!("{port}/{}", protocol.as_ref().map_or("tcp", |p| &p.node))
                }
                ast::PortRef::Range {
                    low,
                    high,
                    protocol,
                } => format!(
                    "{low}-{high}/{}",
                    protocol.as_ref().map_or("tcp", |p| &p.node)
                ),
            };
            match seen.get(&written) {
                None => {
                    seen.insert(written, repeated.len());
                    repeated.push((port.span, port.span, 1));
                }
                Some(&slot) => {
                    if let Some((_, again, times)) = repeated.get_mut(slot) {
                        if *times == 1 {
                            *again = port.span;
                        }
                        *times += 1;
                    }
                }
            }
        }
        for (first, again, times) in repeated.into_iter().filter(|(_, _, t)| *t > 1) {
            let label = if times == 2 {
                "listed again here".to_string()
            } else {
                format!("listed again here, and {} more times", times - 2)
            };
            diags.push(
                Diagnostic::new(Code::RedundantFlow, "this port is listed twice", again)
                    .label(label)
                    .secondary(first, "already listed here")
                    .note("NetworkPolicies are additive: a second rule for the same connections changes nothing")
                    .help("remove the repeated port"),
            );
        }
    }
}

fn covering_span(flow: &ir::Flow) -> Option<Span> {
    declared(flow).map(|(statement, _, _)| statement)
}

fn origin_span(flow: &ir::Flow) -> Span {
    match flow.origin {
        FlowOrigin::Declared { statement, .. } => statement,
        FlowOrigin::Route { route } => route,
        FlowOrigin::Exposure { app } => app,
        FlowOrigin::ClusterDns { namespace } => namespace,
    }
}

/// Implied flows come first; declared flows in source order.
fn precedes(a: &ir::Flow, b: &ir::Flow) -> bool {
    match (a.origin, b.origin) {
        (
            FlowOrigin::Declared {
                statement: x,
                from: x_from,
                to: x_to,
            },
            FlowOrigin::Declared {
                statement: y,
                from: y_from,
                to: y_to,
            },
        ) => {
            // Within one statement, in the order the peers are written.
            (x.file(), x.start(), x_from.start(), x_to.start())
                < (y.file(), y.start(), y_from.start(), y_to.start())
        }
        (FlowOrigin::Declared { .. }, _) => false,
        _ => true,
    }
}

fn sorted_ports(ports: &[ir::PolicyPort]) -> Vec<ir::PolicyPort> {
    let mut ports = ports.to_vec();
    ports.sort();
    ports.dedup();
    ports
}

fn is_equal(a: &ir::Flow, b: &ir::Flow) -> bool {
    a.from == b.from && a.to == b.to && same_ports(&a.ports, &b.ports)
}

/// Whether two port lists hold the same ports, in any order and however often.
fn same_ports(a: &[ir::PolicyPort], b: &[ir::PolicyPort]) -> bool {
    match (a, b) {
        // Most flows name one port (or every port): no need to sort.
        ([], []) => true,
        ([x], [y]) => x == y,
        _ => sorted_ports(a) == sorted_ports(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Sources;
    use proptest::prelude::*;

    /// The flows kept once each: of identical flows (same destination, source and
    /// ports), the one [`precedes`] puts first, at the place of the first.
    fn kept_flows(model: &ir::Model) -> Vec<(usize, &ir::Flow)> {
        let mut kept: Vec<(usize, &ir::Flow)> = Vec::new();
        for (index, flow) in model.flows.iter().enumerate() {
            let identical = kept.iter_mut().find(|(_, k)| {
                k.to.key() == flow.to.key()
                    && k.from.key() == flow.from.key()
                    && sorted_ports(&k.ports) == sorted_ports(&flow.ports)
            });
            match identical {
                Some(k) if precedes(flow, k.1) => *k = (index, flow),
                Some(_) => {}
                None => kept.push((index, flow)),
            }
        }
        kept
    }

    /// What the index must find, by a scan of every flow: at the first destination of
    /// [`destinations`] that has one, the first flow from the same source, from the
    /// source's namespace or from any namespace (or, from addresses, from addresses or
    /// any namespace) that [`may_cover`] the flow.
    fn covering_by_scan<'m>(model: &'m ir::Model, flow: &'m ir::Flow) -> Option<&'m ir::Flow> {
        let kept = kept_flows(model);
        let from_a_source = |other: &ir::Flow| {
            let key = other.from.key();
            match (&flow.from, &other.from) {
                (Peer::Addresses(_), Peer::Addresses(_)) => true,
                (Peer::Addresses(_), _) => key == PeerKey::AnyNamespace,
                (Peer::App { namespace, .. }, _) if key == PeerKey::Namespace(namespace) => true,
                (own, _) => key == own.key() || key == PeerKey::AnyNamespace,
            }
        };
        destinations(flow).find_map(|destination| {
            kept.iter()
                .filter(|(_, other)| other.to.key() == destination && from_a_source(other))
                .filter(|(_, other)| may_cover(model, other, flow))
                .min_by_key(|(index, _)| *index)
                .map(|(_, other)| *other)
        })
    }

    const PEERS: &[&str] = &[
        "w", "x", "y", "e1", "e2", "e3", "e4", "world", "b/z", "b/*", "*/*", "*",
    ];

    /// The ports a destination may be given: an app's named and numbered ports, or
    /// numbers and ranges for the others.
    fn ports_of(peer: &str, choice: usize) -> &'static str {
        let app = [
            "",
            ":http",
            ":metrics",
            ":*",
            ":{http, metrics}",
            ":{http, http}",
            ":{metrics, http}",
            ":http",
        ];
        let other = [
            "",
            ":443",
            ":80",
            ":1000-2000",
            ":{80, 443}",
            ":80-80",
            ":{443, 80}",
            ":1500",
        ];
        let list = if ["w", "x", "y", "b/z"].contains(&peer) {
            &app
        } else {
            &other
        };
        list[choice % list.len()]
    }

    fn source(flows: &[(usize, usize, usize)], exposed: bool, routed: bool) -> String {
        let mut text = String::from("namespace a {\n");
        for app in ["w", "x", "y"] {
            text.push_str(&format!(
                "  app {app} {{\n    port http 80\n    port metrics 9090\n"
            ));
            if exposed && app == "x" {
                text.push_str("    service node-port\n");
            }
            text.push_str("  }\n");
        }
        text.push_str("  external e1 {\n    cidr 10.0.0.0/8\n  }\n");
        text.push_str("  external e2 {\n    cidr 10.1.0.0/16\n  }\n");
        text.push_str("  external e3 {\n    cidr 10.1.2.0/24, 192.168.0.0/16\n  }\n");
        text.push_str("  external e4 {\n    cidr 10.0.0.0/8 except 10.9.0.0/16\n  }\n");
        // A flow needs a side in a namespace declared in knet (`E0319`).
        let outside = ["e1", "e2", "e3", "e4", "world", "*/*"];
        for &(from, to, ports) in flows {
            let to_peer = PEERS[to % PEERS.len()];
            let mut from_peer = PEERS[from % PEERS.len()];
            if outside.contains(&from_peer) && outside.contains(&to_peer) {
                from_peer = "w";
            }
            text.push_str(&format!(
                "  allow {from_peer} -> {to_peer}{}\n",
                ports_of(to_peer, ports)
            ));
        }
        if routed {
            text.push_str(
                "  ingress web {\n    host www.example.com {\n      /w -> w:http\n    }\n  }\n",
            );
        }
        text.push_str(
            "}\nnamespace b {\n  app z {\n    port http 80\n    port metrics 9090\n  }\n}\n",
        );
        text
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]

        /// For every declared flow of a model, the index finds the flow a scan of every
        /// flow finds: flows between apps, externals, `world`, namespaces and `*/*`,
        /// with ports named, numbered, ranged, listed twice or in another order, next to
        /// the flows a node port and an ingress route imply.
        #[test]
        fn the_index_finds_what_a_scan_finds(
            flows in prop::collection::vec((0..12usize, 0..12usize, 0..8usize), 1..14),
            exposed in any::<bool>(),
            routed in any::<bool>(),
        ) {
            let mut sources = Sources::new();
            sources.add("t.knet", source(&flows, exposed, routed));
            let checked = crate::compile(&sources);
            let Some(model) = checked.model else {
                // Some combinations are errors (a flow from a peer to itself, say).
                return Ok(());
            };
            let index = Index::new(&model);
            for flow in model.flows.iter().filter(|flow| declared(flow).is_some()) {
                let by_index = index.covering(&model, flow).map(|f| f as *const ir::Flow);
                let by_scan = covering_by_scan(&model, flow).map(|f| f as *const ir::Flow);
                prop_assert_eq!(by_index, by_scan, "{:?}", flow);
            }
        }
    }

    /// The generator makes models that compile, most of the time, with covered flows in
    /// them: the test above is not vacuous.
    #[test]
    fn the_generated_models_compile_and_have_covered_flows() {
        let mut seed = 7u64;
        let mut next = |bound: usize| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as usize % bound
        };
        let mut compiled = 0;
        for _ in 0..100 {
            let flows: Vec<(usize, usize, usize)> = (0..1 + next(13))
                .map(|_| (next(12), next(12), next(8)))
                .collect();
            let mut sources = Sources::new();
            sources.add("t.knet", source(&flows, next(2) == 0, next(2) == 0));
            compiled += usize::from(crate::compile(&sources).model.is_some());
        }
        assert!(compiled >= 60, "{compiled} of 100 models compile");
        let flows = [
            (0, 1, 1),
            (0, 1, 1),
            (0, 1, 5),
            (4, 0, 0),
            (3, 0, 3),
            (7, 2, 0),
            (8, 1, 0),
        ];
        let mut sources = Sources::new();
        sources.add("t.knet", source(&flows, true, true));
        let checked = crate::compile(&sources);
        let model = checked.model.expect("the model checks");
        let index = Index::new(&model);
        let covered = model
            .flows
            .iter()
            .filter(|flow| declared(flow).is_some())
            .filter(|flow| index.covering(&model, flow).is_some())
            .count();
        assert!(covered >= 3, "{covered} covered flows");
    }
}
