//! Warnings about flows: egress to `world` that reaches the cloud metadata address
//! (`W0101`), CIDRs that overlap the cluster's own ranges (`W0103`), client addresses
//! replaced before a policy sees them (`W0104`), flows that generate nothing
//! (`W0105`); flows another flow already allows (`W0106`) are `redundant.rs`.

use crate::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr};

use ipnet::IpNet;

use super::Blocks;
use crate::check::Diagnostics;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, FlowOrigin, IpBlock, Peer, TrafficPolicy};
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
    super::redundant::check(diags, model, blocks);
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

pub(super) fn declared(flow: &ir::Flow) -> Option<(Span, Span, Span)> {
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
        let Peer::App {
            namespace,
            app,
            place,
            ..
        } = &flow.to
        else {
            continue;
        };
        let Some(target) = model
            .namespaces
            .get(&**namespace)
            .and_then(|ns| ns.apps.get_index(ns.place_of(app, *place)))
            .map(|(_, target)| target)
        else {
            continue;
        };
        // Outside traffic arrives through node ports, load balancers or external IPs;
        // kube-proxy masquerades all three under `traffic-policy cluster`.
        let on_nodes = target.service.exposed_on_nodes();
        let reachable_from_outside = on_nodes || !target.settings.external_ips.is_empty();
        if !reachable_from_outside || target.settings.traffic_policy == Some(TrafficPolicy::Local) {
            continue;
        }
        // A declared flow that the app's exposure to `world` already covers is W0106's.
        let open_to_world = on_nodes && target.settings.source_ranges.is_empty();
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
