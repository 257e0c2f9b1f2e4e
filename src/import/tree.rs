//! The imported model as a knet syntax tree, which `fmt::print` lays out.
//!
//! Per namespace: `app-label` when most apps are named by one label key, `default
//! allow` and `dns off` where the input needs them, the apps (with their Services),
//! externals, ingresses, then the flows grouped: destinations with the same sources
//! and ports share a statement (`allow a, b -> c:http`), and a source's destinations
//! with the same sources share one (`allow a -> b:http, c:grpc`).

use crate::collections::IndexMap;

use super::apps::{flow_name, App};
use super::connect::{Connections, Flow, FlowPorts, Side};
use crate::ir::Protocol;
use crate::kube::objects::{Ingress, Labels, PortValue, Service};
use crate::source::Span;
use crate::syntax::ast::*;

fn at<T>(node: T) -> Spanned<T> {
    Spanned::new(node, Span::default())
}

fn name(text: &str) -> Name {
    at(text.to_string())
}

fn labels(map: &Labels) -> Vec<Label> {
    map.iter()
        .map(|(k, v)| Label {
            key: name(k),
            value: name(v),
        })
        .collect()
}

fn number(n: u64) -> Number {
    at(n)
}

fn protocol(p: Protocol) -> crate::syntax::ast::Protocol {
    (p != Protocol::Tcp).then(|| Box::new(name(p.as_lower())))
}

/// One namespace's part of the tree.
pub struct NamespacePlan<'a> {
    pub name: &'a str,
    pub apps: &'a [App],
    pub externals: Vec<(String, ExternalPlan)>,
    pub ingresses: Vec<&'a Ingress>,
    pub open_ingress: bool,
    pub open_egress: bool,
}

/// An external: an ExternalName Service, or an address block that policies name.
#[derive(Default)]
pub struct ExternalPlan {
    pub host: Option<String>,
    pub cidr: Option<(String, Vec<String>)>,
}

/// What every namespace's part may refer to.
pub struct Context<'a> {
    pub apps: &'a IndexMap<String, Vec<App>>,
    pub connections: &'a Connections,
}

pub fn file(namespaces: &[NamespacePlan], cx: &Context) -> File {
    let connections = cx.connections;
    let mut items = Vec::new();
    let mut settings = Vec::new();
    if let Some(range) = node_port_range(cx.apps) {
        settings.push(at(ClusterSetting::NodePortRange(range)));
    }
    if let Some((namespace, labels_of)) = &connections.controller {
        settings.push(at(ClusterSetting::IngressController {
            namespace: Some(name(namespace)),
            labels: Some(labels(labels_of)),
        }));
    }
    if !settings.is_empty() {
        items.push(Item::Cluster(ClusterBlock {
            keyword: Span::default(),
            settings,
            close: Span::default(),
        }));
    }
    for (group, labels_of) in &connections.groups {
        items.push(Item::Group(GroupBlock {
            name: name(group),
            labels: vec![at(labels(labels_of))],
            span: Span::default(),
            close: Span::default(),
        }));
    }
    for (ns, apps) in &connections.unmanaged {
        let items_of = apps
            .iter()
            .map(|(app, u)| {
                let mut lines = vec![at(AppLine::Labels(labels(&u.labels)))];
                for (protocol_of, port) in &u.ports {
                    lines.push(at(AppLine::Port(port_decl(
                        &unmanaged_port_name(*protocol_of, *port),
                        true,
                        u64::from(*port),
                        *protocol_of,
                        None,
                        None,
                    ))));
                }
                NamespaceItem::App(crate::syntax::ast::App {
                    name: name(app),
                    lines,
                    close: Span::default(),
                })
            })
            .collect();
        items.push(Item::Namespace(NamespaceBlock {
            name: name(ns),
            unmanaged: Some(Span::default()),
            items: items_of,
            close: Span::default(),
        }));
    }
    for plan in namespaces {
        items.push(Item::Namespace(namespace(plan, cx)));
    }
    File { items }
}

/// The node-port range, when a node port of the input is outside kubeadm's default
/// (30000-32767): widened to hold them all.
fn node_port_range(apps: &IndexMap<String, Vec<App>>) -> Option<PortRange> {
    let ports: Vec<u16> = apps
        .values()
        .flatten()
        .flat_map(|a| a.services.iter())
        .flat_map(|s| {
            s.ports
                .iter()
                .filter_map(|p| p.node_port)
                .chain(s.health_check_node_port)
        })
        .collect();
    let low = ports.iter().copied().min()?.min(30000);
    let high = ports.iter().copied().max()?.max(32767);
    ((low, high) != (30000, 32767)).then(|| PortRange {
        low: number(u64::from(low)),
        high: number(u64::from(high)),
        protocol: None,
        span: Span::default(),
    })
}

pub fn unmanaged_port_name(p: Protocol, port: u16) -> String {
    format!("{}-{port}", p.as_lower())
}

fn port_decl(
    port_name: &str,
    named: bool,
    port: u64,
    p: Protocol,
    target: Option<&PortValue>,
    node_port: Option<u16>,
) -> PortDecl {
    let target = target.and_then(|t| match t {
        PortValue::Number(n) if u64::from(*n) == port => None,
        PortValue::Number(n) => Some(at(PortTarget::Number(u64::from(*n)))),
        PortValue::Name(s) => Some(at(PortTarget::Name(s.clone()))),
    });
    PortDecl {
        name: if named {
            name(port_name)
        } else {
            name(&port.to_string())
        },
        named,
        port: PortNumber {
            number: number(port),
            protocol: protocol(p),
        },
        target,
        node_port: node_port.map(|n| Box::new(number(u64::from(n)))),
    }
}

fn namespace(plan: &NamespacePlan, cx: &Context) -> NamespaceBlock {
    let mut items = Vec::new();
    let app_label = app_label_key(plan.apps);
    if let Some(key) = &app_label {
        items.push(NamespaceItem::AppLabel(name(key)));
    }
    match (plan.open_ingress, plan.open_egress) {
        (true, true) => items.push(NamespaceItem::Default(at(DefaultPolicy::AllowBoth))),
        (true, false) => items.push(NamespaceItem::Default(at(DefaultPolicy::AllowIngress))),
        (false, true) => items.push(NamespaceItem::Default(at(DefaultPolicy::AllowEgress))),
        (false, false) => {}
    }
    if !plan.open_egress && !cx.connections.dns_on.iter().any(|n| n == plan.name) {
        // knet's automatic DNS rule would allow more than the input does; the input's
        // own DNS rules are imported as flows.
        items.push(NamespaceItem::DnsOff(Span::default()));
    }
    let default_key = app_label.as_deref().unwrap_or("app");
    for app in plan.apps {
        items.push(NamespaceItem::App(app_block(app, default_key)));
    }
    for (external, e) in &plan.externals {
        let mut lines = Vec::new();
        if let Some(host) = &e.host {
            lines.push(at(ExternalLine::Host(name(host))));
        }
        if let Some((cidr, except)) = &e.cidr {
            lines.push(at(ExternalLine::Cidr(vec![CidrEntry {
                cidr: name(cidr),
                except: except.iter().map(|e| name(e)).collect(),
            }])));
        }
        items.push(NamespaceItem::External(External {
            name: name(external),
            lines,
            close: Span::default(),
        }));
    }
    for ingress in &plan.ingresses {
        if let Some(block) = super::routes::ingress_block(ingress, plan.apps) {
            items.push(NamespaceItem::Ingress(block));
        }
    }
    for flow in grouped(plan, cx) {
        items.push(NamespaceItem::Flow(flow));
    }
    NamespaceBlock {
        name: name(plan.name),
        unmanaged: None,
        items,
        close: Span::default(),
    }
}

/// The label key that names most apps (`KEY=APP`), when it is not `app` and at least
/// two apps use it.
fn app_label_key(apps: &[App]) -> Option<String> {
    let mut counts: IndexMap<&str, usize> = IndexMap::default();
    for app in apps {
        if app.labels.len() == 1 {
            if let Some((key, value)) = app.labels.iter().next() {
                if *value == app.name {
                    *counts.entry(key.as_str()).or_default() += 1;
                }
            }
        }
    }
    let (key, count) = counts.into_iter().max_by_key(|(_, c)| *c)?;
    (key != "app" && count >= 2).then(|| key.to_string())
}

fn app_block(app: &App, default_key: &str) -> crate::syntax::ast::App {
    let mut lines = Vec::new();
    let implied = app.labels.len() == 1 && app.labels.get(default_key) == Some(&app.name);
    if !implied {
        lines.push(at(AppLine::Labels(labels(&app.labels))));
    }
    let ports = app.ports.iter().map(|port| {
        at(AppLine::Port(port_decl(
            &port.name,
            !port.name.is_empty(),
            u64::from(port.port),
            port.protocol,
            Some(&port.target),
            port.node_port,
        )))
    });
    // An app without ports gets no Service in knet (`apps.rs` says so, W0404).
    match app.services.first().filter(|_| !app.ports.is_empty()) {
        Some(service) => {
            let mut settings = service_lines(service, app, true);
            // The type first, as people write it; the other settings after the ports.
            if matches!(settings.first().map(|l| &l.node), Some(AppLine::Service(_))) {
                lines.push(settings.remove(0));
            }
            lines.extend(ports);
            lines.extend(settings);
        }
        None if !app.ports.is_empty() => {
            lines.push(at(AppLine::Service(name("none"))));
            lines.extend(ports);
        }
        None => {}
    }
    for extra in app.services.iter().skip(1) {
        let mut block = service_lines(extra, app, false);
        let ports: Vec<Name> = extra
            .ports
            .iter()
            .filter_map(|p| {
                let target = match &p.target {
                    PortValue::Number(n) => Some(*n),
                    PortValue::Name(_) => app.target_number(p),
                }?;
                app.port_to(p.protocol, target).map(|q| name(&flow_name(q)))
            })
            .collect();
        if ports.len() < app.ports.len() && !ports.is_empty() {
            block.insert(0, at(AppLine::Ports(ports)));
        }
        for p in &extra.ports {
            if let (Some(node_port), Some(target)) = (p.node_port, app.target_number(p)) {
                if let Some(q) = app.port_to(p.protocol, target) {
                    block.push(at(AppLine::NodePort {
                        port: name(&flow_name(q)),
                        number: number(u64::from(node_port)),
                    }));
                }
            }
        }
        lines.push(at(AppLine::ExtraService(ServiceBlock {
            name: name(&extra.name),
            lines: block,
            close: Span::default(),
        })));
    }
    crate::syntax::ast::App {
        name: name(&app.name),
        lines,
        close: Span::default(),
    }
}

/// A Service's type and settings as app lines (`type` inside an extra Service).
fn service_lines(service: &Service, app: &App, main: bool) -> Vec<Spanned<AppLine>> {
    let mut lines = Vec::new();
    let kind = match service.kind.as_str() {
        "NodePort" => Some("node-port"),
        "LoadBalancer" => Some("load-balancer"),
        "Headless" => Some("headless"),
        _ => None,
    };
    if let Some(kind) = kind {
        lines.push(at(if main {
            AppLine::Service(name(kind))
        } else {
            AppLine::Type(name(kind))
        }));
    } else if !main {
        lines.push(at(AppLine::Type(name("cluster-ip"))));
    }
    let own: Labels = service
        .labels
        .iter()
        .filter(|(k, v)| {
            app.labels.get(*k) != Some(*v) && k.as_str() != "app.kubernetes.io/managed-by"
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !own.is_empty() {
        lines.push(at(if main {
            AppLine::ServiceLabels(labels(&own))
        } else {
            AppLine::Labels(labels(&own))
        }));
    }
    if !service.external_ips.is_empty() {
        lines.push(at(AppLine::ExternalIps(
            service.external_ips.iter().map(|s| name(s)).collect(),
        )));
    }
    if !service.source_ranges.is_empty() && service.kind == "LoadBalancer" {
        lines.push(at(AppLine::SourceRanges(
            service.source_ranges.iter().map(|s| name(s)).collect(),
        )));
    }
    let exposed = matches!(service.kind.as_str(), "NodePort" | "LoadBalancer")
        || !service.external_ips.is_empty();
    if let Some(policy) = service.traffic_policy.as_deref().filter(|_| exposed) {
        lines.push(at(AppLine::TrafficPolicy(name(
            &policy.to_ascii_lowercase(),
        ))));
    }
    let local =
        service.traffic_policy.as_deref() == Some("Local") && service.kind == "LoadBalancer";
    if let Some(port) = service.health_check_node_port.filter(|_| local) {
        lines.push(at(AppLine::HealthCheckNodePort(number(u64::from(port)))));
    }
    if let Some(timeout) = service.session_affinity {
        lines.push(at(AppLine::SessionAffinity {
            mode: name("client-ip"),
            timeout: timeout.map(number),
        }));
    }
    for (key, value) in &service.annotations {
        if key == "kubectl.kubernetes.io/last-applied-configuration" {
            continue;
        }
        lines.push(at(AppLine::Annotation(Annotation {
            key: name(key),
            value: name(value),
        })));
    }
    lines
}

/// The namespace's flows as statements, grouped.
fn grouped(plan: &NamespacePlan, cx: &Context) -> Vec<crate::syntax::ast::Flow> {
    // (destination text) -> sources, keyed by destination in order of first appearance.
    let mut by_destination: IndexMap<String, Vec<String>> = IndexMap::default();
    // A canonical order (not the input's, which differs between two streams with the
    // same meaning): apps first, in their order, then the other peers.
    let mut flows: Vec<&Flow> = cx
        .connections
        .flows
        .iter()
        .filter(|f| f.namespace == plan.name)
        .collect();
    flows.sort_by_cached_key(|f| {
        (
            rank(&f.to),
            side(plan, cx, &f.to),
            rank(&f.from),
            side(plan, cx, &f.from),
        )
    });
    for flow in flows {
        let source = side(plan, cx, &flow.from);
        let destination = destination(plan, cx, flow);
        let sources = by_destination.entry(destination).or_default();
        if !sources.contains(&source) {
            sources.push(source);
        }
    }
    // Destinations that share their sources share a statement.
    let mut statements: IndexMap<Vec<String>, Vec<String>> = IndexMap::default();
    for (destination, sources) in by_destination {
        statements.entry(sources).or_default().push(destination);
    }
    statements
        .into_iter()
        .map(|(sources, destinations)| crate::syntax::ast::Flow {
            sources: sources.iter().map(|s| peer(s)).collect(),
            destinations: destinations.iter().map(|d| peer(d)).collect(),
            span: Span::default(),
        })
        .collect()
}

/// A peer from its text (`api`, `NS/APP:{a, b}`): parsed by the grammar's own rules.
fn peer(text: &str) -> Peer {
    let (target, ports) = match text.split_once(':') {
        Some((t, p)) => (t, Some(p)),
        None => (text, None),
    };
    let target = match target.split_once('/') {
        Some(("*", "*")) => PeerTarget::AnyNamespace,
        Some((ns, "*")) => PeerTarget::NamespacePods(name(ns)),
        Some((ns, app)) => PeerTarget::Qualified(Box::new(QualifiedApp {
            namespace: name(ns),
            app: name(app),
        })),
        None => PeerTarget::Name(target.to_string()),
    };
    let ports = ports
        .map(|p| p.trim_start_matches('{').trim_end_matches('}'))
        .into_iter()
        .flat_map(|p| p.split(", "))
        .map(|p| at(port_ref(p)))
        .collect();
    Peer {
        target: at(target),
        ports,
        span: Span::default(),
    }
}

fn port_ref(text: &str) -> PortRef {
    let (body, protocol_of) = match text.split_once('/') {
        Some((b, p)) => (b, Some(Box::new(name(p)))),
        None => (text, None),
    };
    if text == "*" {
        return PortRef::All;
    }
    if let Some((low, high)) = body.split_once('-') {
        if let (Ok(low), Ok(high)) = (low.parse(), high.parse()) {
            return PortRef::Range {
                low,
                high,
                protocol: protocol_of,
            };
        }
    }
    match body.parse() {
        Ok(port) => PortRef::Number {
            port,
            protocol: protocol_of,
        },
        Err(_) => PortRef::Name(text.to_string()),
    }
}

/// Where a side sorts: apps of this namespace (in their order), other apps, then the
/// other peers.
fn rank(side: &Side) -> (u8, usize) {
    match side {
        Side::App(_, i) => (0, *i),
        Side::Unmanaged(..) => (1, 0),
        Side::NamespacePods(_) => (2, 0),
        Side::Group(_) => (3, 0),
        Side::AnyNamespace => (4, 0),
        Side::Ingress => (5, 0),
        Side::External(_) => (6, 0),
        Side::World => (7, 0),
        Side::Any => (8, 0),
    }
}

/// A side as the namespace writes it.
fn side(plan: &NamespacePlan, cx: &Context, side: &Side) -> String {
    match side {
        Side::App(ns, i) if ns == plan.name => plan.apps[*i].name.clone(),
        Side::App(ns, i) => format!("{ns}/{}", cx.apps[ns][*i].name),
        Side::NamespacePods(ns) => format!("{ns}/*"),
        Side::AnyNamespace => "*/*".to_string(),
        Side::Any => "any".to_string(),
        Side::World => "world".to_string(),
        Side::External(name) => name.clone(),
        Side::Group(group) => format!("{group}/*"),
        Side::Unmanaged(ns, app) => format!("{ns}/{app}"),
        Side::Ingress => "ingress".to_string(),
    }
}

/// The destination with its ports, as written.
fn destination(plan: &NamespacePlan, cx: &Context, flow: &Flow) -> String {
    let target = side(plan, cx, &flow.to);
    let ports: Vec<String> = match &flow.ports {
        FlowPorts::All => vec!["*".to_string()],
        FlowPorts::App(list) => {
            let mut names: Vec<String> = list
                .iter()
                .map(|(p, n)| match &flow.to {
                    Side::App(ns, i) => cx.apps[ns][*i].flow_port(*p, *n),
                    _ => unmanaged_port_name(*p, *n),
                })
                .collect();
            names.dedup();
            names
        }
        FlowPorts::Numbers(list) => list
            .iter()
            .map(|(p, lo, hi)| {
                let proto = if *p == Protocol::Tcp {
                    String::new()
                } else {
                    format!("/{}", p.as_lower())
                };
                if lo == hi {
                    format!("{lo}{proto}")
                } else {
                    format!("{lo}-{hi}{proto}")
                }
            })
            .collect(),
    };
    // A peer that is not an app is reached on every port when no port is written.
    let app = matches!(flow.to, Side::App(..) | Side::Unmanaged(..));
    match ports.as_slice() {
        [] => target,
        [all] if all == "*" && !app => target,
        [one] => format!("{target}:{one}"),
        many => format!("{target}:{{{}}}", many.join(", ")),
    }
}
