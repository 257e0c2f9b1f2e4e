//! Rules over the whole model: node ports unique in the cluster (`E0310`), pinned
//! ClusterIPs inside the service CIDR, neither its network nor its broadcast address
//! (`E0324`) and unique (`E0325`), and generated NetworkPolicy names unique in their
//! namespace (`E0118`).

use crate::collections::HashMap;
use std::net::IpAddr;

use crate::collections::IndexMap;
use ipnet::IpNet;

use super::apps::duplicate_node_port;
use super::Diagnostics;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir;
use crate::policy;
use crate::source::Span;
use crate::syntax::ast::{self, AppLine};

pub fn check(
    diags: &mut Diagnostics,
    model: &ir::Model,
    blocks: &IndexMap<String, Vec<&ast::NamespaceBlock>>,
) {
    let apps: Vec<(&ast::App, Option<&ir::App>)> = blocks
        .iter()
        .flat_map(|(ns, blocks)| {
            blocks
                .iter()
                .flat_map(|b| &b.items)
                .filter_map(move |item| match item {
                    ast::NamespaceItem::App(app) => Some((
                        app,
                        model
                            .namespaces
                            .get(ns)
                            .and_then(|n| n.apps.get(&app.name.node)),
                    )),
                    _ => None,
                })
        })
        .collect();
    // Extra Services take node ports and ClusterIPs like any other Service.
    let extras: Vec<(ast::App, Option<&ir::App>)> = apps
        .iter()
        .flat_map(|(app, owner)| {
            super::services::of_app(app).into_iter().map(move |extra| {
                let ir_extra =
                    owner.and_then(|o| o.extra_services.iter().find(|e| e.name == extra.name.node));
                (extra, ir_extra)
            })
        })
        .collect();
    let apps: Vec<(&ast::App, Option<&ir::App>)> = apps
        .into_iter()
        .chain(extras.iter().map(|(app, ir_app)| (app, *ir_app)))
        .collect();
    node_ports(diags, &apps);
    cluster_ips(diags, model, &apps);
    capacity(diags, model, &apps);
    policy_names(diags, model, blocks);
}

/// Node ports are a cluster-wide resource. The API server's allocator tracks port
/// numbers, not protocols, so two Services never share a node port, whatever their
/// protocols; a health-check node port comes from the same allocator, so it may not be
/// one of its own Service's node ports either. Two ports of one Service are the app
/// check's (`duplicate_ports`).
fn node_ports(diags: &mut Diagnostics, apps: &[(&ast::App, Option<&ir::App>)]) {
    struct Use {
        span: Span,
        app: usize,
        health_check: bool,
    }
    let mut used: HashMap<u64, Use> = HashMap::default();
    for (index, (app, ir_app)) in apps.iter().enumerate() {
        if !ir_app.is_some_and(|a| a.service.exposed_on_nodes()) {
            continue;
        }
        for line in &app.lines {
            let (number, health_check) = match &line.node {
                AppLine::Port(decl) => match &decl.node_port {
                    Some(n) => (&**n, false),
                    None => continue,
                },
                AppLine::HealthCheckNodePort(n) => (n, true),
                _ => continue,
            };
            let Some(first) = used.get(&number.node) else {
                used.insert(
                    number.node,
                    Use {
                        span: number.span,
                        app: index,
                        health_check,
                    },
                );
                continue;
            };
            let why = if first.app != index {
                "the API server allocates node ports by number for the whole cluster, whatever the protocol"
            } else if first.health_check || health_check {
                "the health-check node port is allocated from the same node ports as the Service's own ports"
            } else {
                continue;
            };
            diags.push(duplicate_node_port(
                number.node,
                number.span,
                first.span,
                why.to_string(),
            ));
        }
    }
}

fn cluster_ips(diags: &mut Diagnostics, model: &ir::Model, apps: &[(&ast::App, Option<&ir::App>)]) {
    let mut pinned: IndexMap<IpAddr, Span> = IndexMap::default();
    for (app, ir_app) in apps {
        let Some(ir_app) = ir_app else { continue };
        let Some(ip) = ir_app.settings.cluster_ip else {
            continue;
        };
        if !ir_app.has_cluster_ip() {
            continue;
        }
        let Some(span) = app.lines.iter().find_map(|l| match &l.node {
            AppLine::ClusterIp(written) => Some(written.span),
            _ => None,
        }) else {
            continue;
        };
        let range = model.cluster.service_cidr;
        if let Some(which) = unallocated_address(range, ip) {
            diags.push(
                Diagnostic::new(
                    Code::ClusterIpOutsideRange,
                    format!("cluster IP `{ip}` is the {which} address of the service CIDR `{range}`"),
                    span,
                )
                .label(format!("the {which} address is never allocated"))
                .note("the API server allocates neither the network address nor, for IPv4, the broadcast address of `--service-cluster-ip-range`")
                .help("pick another address inside the cluster's `service-cidr`"),
            );
        } else if !range.contains(&ip) {
            diags.push(
                Diagnostic::new(
                    Code::ClusterIpOutsideRange,
                    format!("cluster IP `{ip}` is outside the service CIDR `{range}`"),
                    span,
                )
                .label("not in the service CIDR")
                .help("pick an address inside the cluster's `service-cidr`, or set `service-cidr` to the API server's `--service-cluster-ip-range`"),
            );
        }
        if let Some(first) = pinned.get(&ip) {
            diags.push(
                Diagnostic::new(
                    Code::DuplicateClusterIp,
                    format!("cluster IP `{ip}` is pinned twice"),
                    span,
                )
                .label("pinned again here")
                .secondary(*first, "first pinned here")
                .help("each Service needs its own ClusterIP"),
            );
        } else {
            pinned.insert(ip, span);
        }
    }
}

/// `network` or `broadcast` when `ip` is one of the service CIDR's addresses that the
/// API server never allocates.
fn unallocated_address(range: IpNet, ip: IpAddr) -> Option<&'static str> {
    if ip == range.network() {
        Some("network")
    } else if matches!(range, IpNet::V4(_)) && ip == range.broadcast() {
        Some("broadcast")
    } else {
        None
    }
}

/// The preview allocates a ClusterIP per Service and an address per endpoint: the
/// cluster's ranges must hold them all (`E0328`, `E0329`), or addresses would be lost.
fn capacity(diags: &mut Diagnostics, model: &ir::Model, apps: &[(&ast::App, Option<&ir::App>)]) {
    use crate::preview::address::{pod_capacity, service_capacity};
    let (low, high) = model.cluster.node_port_range;
    let mut services = Budget::new(service_capacity(model.cluster.service_cidr));
    let mut node_ports = Budget::new(u128::from(high - low) + 1);
    let mut pods = Budget::new(pod_capacity(model.cluster.pod_cidr));
    for (app, ir_app) in apps {
        let Some(ir_app) = ir_app else { continue };
        let allocated = ir_app.has_cluster_ip() && ir_app.settings.cluster_ip.is_none();
        if services.take(u128::from(allocated)) {
            let range = model.cluster.service_cidr;
            diags.push(
                Diagnostic::new(
                    Code::ServiceCidrTooSmall,
                    format!("the service CIDR `{range}` has no ClusterIP left for app `{}`", ir_app.name),
                    app.name.span,
                )
                .label(format!("Service number {} of a range with room for {}", services.used, services.room))
                .note("the API server allocates every ClusterIP from `--service-cluster-ip-range`")
                .help("set the cluster's `service-cidr` to the real, larger range, or pin addresses with `cluster-ip`"),
            );
        }
        if node_ports.take(ir_app.node_port_count() as u128) {
            diags.push(
                Diagnostic::new(
                    Code::NodePortRangeTooSmall,
                    format!("the node-port range {low}-{high} has no node port left for app `{}`", ir_app.name),
                    app.name.span,
                )
                .label(format!("{} node ports so far, in a range of {}", node_ports.used, node_ports.room))
                .note("every port of a `node-port` or `load-balancer` Service takes a node port, and a load balancer with `traffic-policy local` one more for its health check")
                .help("set the cluster's `node-port-range` to the API server's `--service-node-port-range`"),
            );
        }
        let replicas = if ir_app.preview.endpoints.is_empty() {
            u128::from(ir_app.preview.replicas)
        } else {
            0
        };
        if pods.take(replicas) {
            let range = model.cluster.pod_cidr;
            let span = app
                .lines
                .iter()
                .find(|l| matches!(l.node, AppLine::Replicas(_)))
                .map_or(app.name.span, |l| l.span);
            diags.push(
                Diagnostic::new(
                    Code::PodCidrTooSmall,
                    format!(
                        "the pod CIDR `{range}` has no address left for the pods of app `{}`",
                        ir_app.name
                    ),
                    span,
                )
                .label(format!(
                    "{} pods so far, in a range with room for {}",
                    pods.used, pods.room
                ))
                .note("every replica gets a pod address from the cluster's `pod-cidr`")
                .help(
                    "set the cluster's `pod-cidr` to the real, larger range, or lower `replicas`",
                ),
            );
        }
    }
}

/// A range allocated app by app: reports only the first app that overflows it.
struct Budget {
    room: u128,
    used: u128,
    reported: bool,
}

impl Budget {
    fn new(room: u128) -> Self {
        Budget {
            room,
            used: 0,
            reported: false,
        }
    }

    /// Takes `count`; true the first time the range is exceeded.
    fn take(&mut self, count: u128) -> bool {
        self.used += count;
        let first_overflow = self.used > self.room && !self.reported;
        self.reported |= first_overflow;
        first_overflow
    }
}

/// Generated policy names must be unique in their namespace (an app named `all-pods`
/// would collide with the policies of `*`).
fn policy_names(
    diags: &mut Diagnostics,
    model: &ir::Model,
    blocks: &IndexMap<String, Vec<&ast::NamespaceBlock>>,
) {
    for collision in policy::name_collisions(model) {
        let culprit = collision.app.as_ref().or(collision.first_app.as_ref());
        let span = culprit.and_then(|app| app_name_span(blocks, &collision.namespace, app));
        let Some(span) = span else { continue };
        diags.push(
            Diagnostic::new(
                Code::DuplicateObjectName,
                format!(
                    "two NetworkPolicies named `{}` in namespace `{}`",
                    collision.name, collision.namespace
                ),
                span,
            )
            .label("this app's policy takes a generated name")
            .note("knet names policies `APP-ingress`, `APP-egress`, `all-pods-ingress`, `all-pods-egress`, `default-deny` and `allow-dns`")
            .help("rename the app"),
        );
    }
}

fn app_name_span(
    blocks: &IndexMap<String, Vec<&ast::NamespaceBlock>>,
    ns: &str,
    app: &str,
) -> Option<Span> {
    blocks
        .get(ns)?
        .iter()
        .flat_map(|b| &b.items)
        .find_map(|item| match item {
            ast::NamespaceItem::App(a) if a.name.node == app => Some(a.name.span),
            _ => None,
        })
}
