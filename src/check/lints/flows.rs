//! Warnings about flows: egress to `world` that reaches the cloud metadata address
//! (`W0101`), CIDRs that overlap the cluster's own ranges (`W0103`), client addresses
//! replaced before a policy sees them (`W0104`), flows that generate nothing
//! (`W0105`), and flows another flow already allows (`W0106`).

use crate::collections::{HashMap, HashSet};
use std::net::{IpAddr, Ipv4Addr};

use ipnet::IpNet;

use super::Blocks;
use crate::check::Diagnostics;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, FlowOrigin, IpBlock, Peer, PeerKey, TrafficPolicy};
use crate::source::Span;
use crate::syntax::ast;

/// The link-local address where clouds serve instance credentials.
const METADATA: IpAddr = IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254));

pub fn check(diags: &mut Diagnostics, model: &ir::Model, blocks: &Blocks) {
    dns_egress(diags, model, blocks);
    metadata(diags, model);
    overlapping_cidrs(diags, model, blocks);
    client_address(diags, model, blocks);
    not_isolated(diags, model, blocks);
    redundant(diags, model);
    repeated_ports(diags, blocks);
}

/// `W0109`: the cluster DNS namespace declared in knet with egress isolated: the DNS
/// pods can no longer reach upstream resolvers or the API server.
fn dns_egress(diags: &mut Diagnostics, model: &ir::Model, blocks: &Blocks) {
    let dns = &model.cluster.dns;
    let Some(ns) = model.namespaces.get(&dns.namespace) else {
        return;
    };
    if !ns.isolate_egress {
        return;
    }
    let Some(name) = blocks
        .of(&ns.name)
        .and_then(|b| b.first())
        .map(|b| b.name.span)
    else {
        return;
    };
    let labels: Vec<String> = dns.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    diags.push(
        Diagnostic::new(
            Code::DnsEgressIsolated,
            format!("namespace `{}` holds the cluster DNS and isolates egress", ns.name),
            name,
        )
        .label(format!("the pods labelled {} run here", labels.join(", ")))
        .note("CoreDNS forwards to upstream resolvers and watches the API server: with egress denied, every name outside the cluster stops resolving")
        .note("knet already lets every pod reach the DNS pods on port 53; their own egress is yours to allow")
        .help("add `default allow egress` to the namespace, or allow the DNS pods' egress with flows"),
    );
}

fn declared(flow: &ir::Flow) -> Option<(Span, Span, Span)> {
    match flow.origin {
        FlowOrigin::Declared {
            statement,
            from,
            to,
        } => Some((statement, from, to)),
        _ => None,
    }
}

fn reaches(blocks: &[IpBlock], ip: IpAddr) -> bool {
    blocks
        .iter()
        .any(|b| b.cidr.contains(&ip) && !b.except.iter().any(|e| e.contains(&ip)))
}

/// `W0101`: egress from an isolated namespace to addresses that include
/// 169.254.169.254.
fn metadata(diags: &mut Diagnostics, model: &ir::Model) {
    let mut reported: HashSet<Span> = HashSet::default();
    for flow in &model.flows {
        let Some((_, _, to)) = declared(flow) else {
            continue;
        };
        // `any` reaches every address, the metadata address included.
        let everything = [crate::check::flows::world(&model.cluster)];
        let (blocks, any) = match &flow.to {
            Peer::Addresses(blocks) => (blocks.as_slice(), false),
            Peer::Any if METADATA.is_ipv4() == everything[0].cidr.addr().is_ipv4() => {
                (everything.as_slice(), true)
            }
            _ => continue,
        };
        let isolated = source_namespace(&flow.from)
            .and_then(|ns| model.namespaces.get(ns))
            .is_some_and(|ns| ns.isolate_egress);
        // The metadata service answers HTTP on port 80.
        let port_80 = flow.ports.is_empty()
            || flow.ports.iter().any(|p| {
                p.protocol == ir::Protocol::Tcp
                    && matches!(p.port, ir::TargetPort::Number(lo) if lo <= 80 && 80 <= p.end_port.unwrap_or(lo))
            });
        if !isolated || !port_80 || !reaches(blocks, METADATA) || !reported.insert(to) {
            continue;
        }
        let cidr = blocks
            .iter()
            .find(|b| b.cidr.contains(&METADATA))
            .map_or("0.0.0.0/0".to_string(), |b| b.cidr.to_string());
        let label = if any {
            "`any` includes 169.254.169.254".to_string()
        } else {
            format!("`{cidr}` includes 169.254.169.254")
        };
        diags.push(
            Diagnostic::new(
                Code::WorldIncludesMetadata,
                "this egress reaches the cloud metadata address 169.254.169.254",
                to,
            )
            .label(label)
            .note("on most clouds that address serves the node's credentials to any pod that can reach it")
            .help(format!(
                "allow an external with `cidr {cidr} except 169.254.169.254/32` instead"
            )),
        );
    }
}

fn source_namespace(peer: &Peer) -> Option<&str> {
    match peer {
        Peer::App { namespace, .. } | Peer::Namespace { namespace } => Some(namespace),
        Peer::Pods(selector) => Some(&selector.namespace),
        _ => None,
    }
}

/// `W0103`: an external CIDR overlapping the pod or service CIDR.
fn overlapping_cidrs(diags: &mut Diagnostics, model: &ir::Model, blocks: &Blocks) {
    let ranges = [
        ("pod CIDR", model.cluster.pod_cidr),
        ("service CIDR", model.cluster.service_cidr),
    ];
    for item in blocks.items() {
        let ast::NamespaceItem::External(external) = item else {
            continue;
        };
        for line in &external.lines {
            let ast::ExternalLine::Cidr(entries) = &line.node else {
                continue;
            };
            for entry in entries {
                let Ok(cidr) = entry.cidr.node.parse::<IpNet>() else {
                    continue;
                };
                if cidr.prefix_len() == 0 {
                    continue;
                }
                let excepted = |range: &IpNet| {
                    entry.except.iter().any(|e| {
                        e.node.parse::<IpNet>().is_ok_and(|e| {
                            e.contains(&range.network()) && e.prefix_len() <= range.prefix_len()
                        })
                    })
                };
                let overlapping = ranges
                    .iter()
                    .find(|(_, r)| overlaps(&cidr, r) && !excepted(r));
                let Some((what, range)) = overlapping else {
                    continue;
                };
                let advice = if *what == "service CIDR" {
                    "NetworkPolicy sees connections after kube-proxy has replaced the ClusterIP by a pod address, so a rule for service addresses matches nothing"
                } else {
                    "pod addresses change as pods come and go; an ipBlock for them is a moving target"
                };
                diags.push(
                    Diagnostic::new(
                        Code::CidrOverlapsCluster,
                        format!("`{cidr}` overlaps the cluster's {what} `{range}`"),
                        entry.cidr.span,
                    )
                    .label(format!("overlaps the {what}"))
                    .note(advice.to_string())
                    .help("name the apps as peers (`APP`, `NS/APP`, `NS/*`), or add `except` for the cluster's ranges"),
                );
            }
        }
    }
}

fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}

/// `W0104`: a flow from outside the cluster to a node port, load balancer or external
/// IP that replaces the client's address (`traffic-policy cluster`, the default),
/// including the `source-ranges` of such a load balancer.
fn client_address(diags: &mut Diagnostics, model: &ir::Model, blocks: &Blocks) {
    for flow in &model.flows {
        let Peer::Addresses(sources) = &flow.from else {
            continue;
        };
        if sources.iter().all(|b| b.cidr.prefix_len() == 0) {
            continue; // world: any address, the replaced one included
        }
        let Peer::App { namespace, app, .. } = &flow.to else {
            continue;
        };
        let Some(target) = model
            .namespaces
            .get(&**namespace)
            .and_then(|ns| ns.apps.get(&**app))
        else {
            continue;
        };
        // Outside traffic arrives through node ports, load balancers or external IPs;
        // kube-proxy masquerades all three under `traffic-policy cluster`.
        let on_nodes = target.service.exposed_on_nodes();
        let reachable_from_outside = on_nodes || !target.external_ips.is_empty();
        if !reachable_from_outside || target.traffic_policy == Some(TrafficPolicy::Local) {
            continue;
        }
        // A declared flow that the app's exposure to `world` already covers is W0106's.
        let open_to_world = on_nodes && target.source_ranges.is_empty();
        if open_to_world && matches!(flow.origin, FlowOrigin::Declared { .. }) {
            continue;
        }
        let span = match flow.origin {
            FlowOrigin::Declared { from, .. } => from,
            FlowOrigin::Exposure { app } => {
                source_ranges_span(blocks, namespace, &target.name).unwrap_or(app)
            }
            FlowOrigin::Route { .. } | FlowOrigin::ClusterDns { .. } => continue,
        };
        diags.push(
            Diagnostic::new(
                Code::ClientAddressLost,
                format!("the pods of `{}` will not see these client addresses", target.name),
                span,
            )
            .label("allowed by source address")
            .note("with `traffic-policy cluster` (the default) a node forwards outside traffic with its own address, so the NetworkPolicy never sees the client's")
            .help(format!("add `traffic-policy local` to app `{}`", target.name)),
        );
    }
}

fn source_ranges_span(blocks: &Blocks, namespace: &str, app: &str) -> Option<Span> {
    super::app_ast(blocks, namespace, app)?
        .lines
        .iter()
        .find_map(|line| matches!(line.node, ast::AppLine::SourceRanges(_)).then_some(line.span))
}

fn default_line(blocks: &Blocks, namespace: &str) -> Option<Span> {
    blocks
        .of(namespace)?
        .iter()
        .flat_map(|b| &b.items)
        .find_map(|item| match item {
            ast::NamespaceItem::Default(policy) => Some(policy.span),
            _ => None,
        })
}

/// `W0105`: a declared flow that generates no policy on either side.
fn not_isolated(diags: &mut Diagnostics, model: &ir::Model, blocks: &Blocks) {
    let mut reported: HashSet<Span> = HashSet::default();
    for flow in &model.flows {
        let Some((statement, _, _)) = declared(flow) else {
            continue;
        };
        let side = |peer: &Peer, ingress: bool| {
            source_namespace(peer)
                .and_then(|ns| model.namespaces.get(ns))
                .map(|ns| {
                    (
                        ns.name.as_str(),
                        if ingress {
                            ns.isolate_ingress
                        } else {
                            ns.isolate_egress
                        },
                    )
                })
        };
        let to = side(&flow.to, true);
        let from = side(&flow.from, false);
        if to.is_some_and(|(_, on)| on) || from.is_some_and(|(_, on)| on) {
            continue;
        }
        if !reported.insert(statement) {
            continue;
        }
        let reasons = match (to, from) {
            (Some((a, _)), Some((b, _))) if a == b => {
                vec![format!(
                    "namespace `{a}` isolates neither ingress nor egress"
                )]
            }
            _ => to
                .map(|(ns, _)| format!("namespace `{ns}` does not isolate ingress"))
                .into_iter()
                .chain(from.map(|(ns, _)| format!("namespace `{ns}` does not isolate egress")))
                .collect(),
        };
        let mut diagnostic =
            Diagnostic::new(Code::FlowNotIsolated, "this flow generates no policy", statement)
                .label(reasons.join(" and "))
                .note("in a direction that is not isolated everything is already allowed; a policy there would deny everything else");
        let mut defaults: Vec<Span> = [to, from]
            .into_iter()
            .flatten()
            .filter_map(|(ns, _)| default_line(blocks, ns))
            .collect();
        defaults.dedup();
        for span in defaults {
            diagnostic = diagnostic.secondary(span, "this default leaves the direction open");
        }
        diags.push(
            diagnostic.help(
                "remove the flow, or remove the `default allow` line to isolate the namespace",
            ),
        );
    }
}

/// A peer as a grouping key (labels in order).
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
    by_source: HashMap<PeerKey<'m>, Vec<(usize, &'m ir::Flow)>>,
    from_addresses: Vec<(usize, &'m ir::Flow)>,
}

impl<'m> Candidates<'m> {
    fn add(&mut self, index: usize, flow: &'m ir::Flow) {
        // Most sources have one flow to a destination.
        let one = || Vec::with_capacity(1);
        let list = match flow.from {
            Peer::Addresses(_) => &mut self.from_addresses,
            _ => self.by_source.entry(flow.from.key()).or_insert_with(one),
        };
        // A list holds one source (or, from addresses, compares them), so a flow is
        // identical to a kept one when the source and the ports are the same. (A scan,
        // not a map: a destination holds one or two flows from a source, and a map for
        // each destination was a tenth of `check`'s memory.)
        let identical = list
            .iter_mut()
            .find(|(_, kept)| kept.from == flow.from && same_ports(&kept.ports, &flow.ports));
        match identical {
            Some(kept) => {
                if precedes(flow, kept.1) {
                    *kept = (index, flow);
                }
            }
            None => list.push((index, flow)),
        }
    }

    fn covering(&self, flow: &ir::Flow) -> Vec<(usize, &'m ir::Flow)> {
        let mut sources = vec![flow.from.key(), PeerKey::AnyNamespace];
        if let Peer::App { namespace, .. } = &flow.from {
            sources.push(PeerKey::Namespace(namespace));
        }
        let mut found: Vec<(usize, &ir::Flow)> = sources
            .iter()
            .filter_map(|source| self.by_source.get(source))
            .flatten()
            .copied()
            .collect();
        if matches!(flow.from, Peer::Addresses(_)) {
            found.extend(self.from_addresses.iter().copied());
        }
        found
    }
}

/// `W0106`: a declared flow that another flow (declared earlier, in another statement
/// or earlier in the same one, or implied) already allows.
fn redundant(diags: &mut Diagnostics, model: &ir::Model) {
    let mut by_destination: HashMap<PeerKey, Candidates> = HashMap::default();
    for (index, flow) in model.flows.iter().enumerate() {
        by_destination
            .entry(flow.to.key())
            .or_default()
            .add(index, flow);
    }
    let mut reported: HashSet<(Span, Span)> = HashSet::default();
    for flow in &model.flows {
        let Some((statement, from, to)) = declared(flow) else {
            continue;
        };
        // Flows to every pod of a namespace also cover flows to its apps; `any` covers
        // every destination, `*/*` every pod.
        let namespace = match &flow.to {
            Peer::App { namespace, .. } => Some(PeerKey::Namespace(namespace)),
            _ => None,
        };
        let wider: &[Peer] = match &flow.to {
            Peer::Any => &[],
            Peer::Addresses(_) | Peer::AnyNamespace => &[Peer::Any],
            _ => &[Peer::Any, Peer::AnyNamespace],
        };
        let mut destinations = std::iter::once(flow.to.key())
            .chain(namespace)
            .chain(wider.iter().map(Peer::key));
        let covering = destinations.find_map(|destination| {
            by_destination
                .get(&destination)?
                .covering(flow)
                .into_iter()
                .filter(|(_, other)| {
                    declared(other) != declared(flow)
                        && peer_covers(model, &other.from, &flow.from)
                        && peer_covers(model, &other.to, &flow.to)
                        && ports_cover(&other.ports, &flow.ports)
                        && (precedes(other, flow) || !is_equal(other, flow))
                })
                .min_by_key(|(index, _)| *index)
        });
        let Some((_, other)) = covering else { continue };
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
