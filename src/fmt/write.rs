//! The canonical text of every construct, one function per AST node.
//!
//! Layout: two spaces per level; one blank line between top-level items and around the
//! blocks of a namespace (apps, externals, ingresses); the user's blank lines between
//! other statements are kept (one at most); lists on one line, `, `-separated; the
//! arrows of consecutive routes aligned. Order is the source's: reordering could change
//! the order of the emitted objects and rules.

use super::printer::Printer;
use crate::syntax::ast::*;

pub fn file(p: &mut Printer, file: &File) {
    for item in &file.items {
        p.blank();
        match item {
            Item::Cluster(block) => cluster(p, block),
            Item::Namespace(block) => namespace(p, block),
            Item::Group(group) => namespace_group(p, group),
        }
    }
}

fn cluster(p: &mut Printer, block: &ClusterBlock) {
    p.at(block.keyword.start());
    p.open("cluster");
    for setting in &block.settings {
        p.at(setting.span.start());
        p.line(cluster_setting(&setting.node));
    }
    p.close(block.close.start());
}

fn cluster_setting(setting: &ClusterSetting) -> String {
    let keyword = setting.keyword();
    let value = match setting {
        ClusterSetting::ServiceCidr(v)
        | ClusterSetting::PodCidr(v)
        | ClusterSetting::NodeIp(v)
        | ClusterSetting::NodeName(v)
        | ClusterSetting::MasqueradeMark(v)
        | ClusterSetting::AppLabel(v) => v.node.clone(),
        ClusterSetting::NodePortRange(range) => range.to_string(),
        ClusterSetting::Dns {
            namespace,
            labels,
            port,
        } => clauses(namespace.as_ref(), labels.as_deref(), port.as_ref()),
        ClusterSetting::IngressController { namespace, labels } => {
            clauses(namespace.as_ref(), labels.as_deref(), None)
        }
        ClusterSetting::LocalhostNodePorts(on)
        | ClusterSetting::RandomFully(on)
        | ClusterSetting::Nfacct(on) => if on.node { "on" } else { "off" }.to_string(),
        ClusterSetting::PolicyVersion(v) => name_or_string(&v.node),
        ClusterSetting::Routes(mode) => mode.node.keyword().to_string(),
        ClusterSetting::Gateway(gateway) => gateway_ref(gateway),
        ClusterSetting::GatewayPods { namespace, labels } => {
            clauses(namespace.as_ref(), labels.as_deref(), None)
        }
    };
    format!("{keyword} {value}")
}

fn gateway_ref(gateway: &GatewayRef) -> String {
    format!("{}/{}", gateway.namespace.node, gateway.name.node)
}

fn clauses(namespace: Option<&Name>, labels: Option<&[Label]>, port: Option<&Number>) -> String {
    let mut parts = Vec::new();
    if let Some(namespace) = namespace {
        parts.push(format!("namespace {}", namespace.node));
    }
    if let Some(labels) = labels {
        parts.push(format!("labels {}", label_list(labels)));
    }
    if let Some(port) = port {
        parts.push(format!("port {}", port.node));
    }
    parts.join(" ")
}

fn namespace_group(p: &mut Printer, group: &GroupBlock) {
    p.at(group.span.start());
    p.open(format!("namespaces {}", group.name.node));
    for labels in &group.labels {
        p.at(labels.span.start());
        p.list("labels ", &labels_of(&labels.node), "");
    }
    p.close(group.close.start());
}

fn namespace(p: &mut Printer, block: &NamespaceBlock) {
    let start = block
        .unmanaged
        .map_or(block.name.span.start(), |u| u.start());
    p.at(start);
    let keyword = if block.unmanaged.is_some() {
        "unmanaged namespace"
    } else {
        "namespace"
    };
    p.open(format!("{keyword} {}", block.name.node));
    for item in &block.items {
        match item {
            NamespaceItem::App(app) => {
                p.blank();
                self::app(p, app);
                p.blank();
            }
            NamespaceItem::External(external) => {
                p.blank();
                self::external(p, external);
                p.blank();
            }
            NamespaceItem::Ingress(ingress) => {
                p.blank();
                self::ingress(p, ingress);
                p.blank();
            }
            NamespaceItem::Flow(flow) => {
                p.at(flow.span.start());
                if let Some(first) = flow.destinations.first() {
                    p.hoist(first.span.start());
                }
                let sources: Vec<String> = flow.sources.iter().map(peer).collect();
                let head = format!("allow {} -> ", sources.join(", "));
                let destinations: Vec<(usize, String)> = flow
                    .destinations
                    .iter()
                    .map(|d| (d.span.start(), peer(d)))
                    .collect();
                p.list(&head, &destinations, "");
            }
            NamespaceItem::Default(policy) => {
                p.at(policy.span.start());
                p.line(match policy.node {
                    DefaultPolicy::Deny => "default deny",
                    DefaultPolicy::AllowBoth => "default allow",
                    DefaultPolicy::AllowIngress => "default allow ingress",
                    DefaultPolicy::AllowEgress => "default allow egress",
                });
            }
            NamespaceItem::DnsOff(span) => {
                p.at(span.start());
                p.line("dns off");
            }
            NamespaceItem::AppLabel(key) => {
                p.at(key.span.start());
                p.line(format!("app-label {}", key.node));
            }
            NamespaceItem::Expect(expect) => {
                p.at(expect.span.start());
                let verdict = if expect.allow.node { "allow" } else { "deny" };
                p.line(format!(
                    "expect {verdict} {} -> {}",
                    peer(&expect.source),
                    peer(&expect.destination)
                ));
            }
        }
    }
    p.close(block.close.start());
}

fn app(p: &mut Printer, app: &App) {
    p.at(app.name.span.start());
    p.open(format!("app {}", app.name.node));
    app_lines(p, &app.lines);
    p.close(app.close.start());
}

fn app_lines(p: &mut Printer, lines: &[Spanned<AppLine>]) {
    for line in lines {
        p.at(line.span.start());
        if let AppLine::ExtraService(block) = &line.node {
            p.open(format!("service {}", block.name.node));
            app_lines(p, &block.lines);
            p.close(block.close.start());
            continue;
        }
        match &line.node {
            AppLine::Labels(labels) | AppLine::ServiceLabels(labels) => {
                let head = format!("{} ", line.node.keyword());
                p.list(&head, &labels_of(labels), "");
            }
            AppLine::ExternalIps(list) | AppLine::SourceRanges(list) | AppLine::Ports(list) => {
                let head = format!("{} ", line.node.keyword());
                p.list(&head, &spanned(list), "");
            }
            other => p.line(app_line(other)),
        }
    }
}

fn app_line(line: &AppLine) -> String {
    let keyword = line.keyword();
    let value = match line {
        AppLine::Labels(labels) | AppLine::ServiceLabels(labels) => label_list(labels),
        AppLine::Port(decl) => return port_decl(decl),
        AppLine::Service(name) | AppLine::TrafficPolicy(name) | AppLine::Type(name) => {
            name.node.clone()
        }
        AppLine::ClusterIp(v) | AppLine::LoadBalancerIngress(v) => v.node.clone(),
        AppLine::ExternalIps(list) | AppLine::SourceRanges(list) => join(list),
        AppLine::HealthCheckNodePort(n) | AppLine::Replicas(n) => n.node.to_string(),
        AppLine::SessionAffinity { mode, timeout } => match timeout {
            Some(t) => format!("{} timeout {}", mode.node, t.node),
            None => mode.node.clone(),
        },
        AppLine::Annotation(a) => format!("{} {}", quoted(&a.key.node), quoted(&a.value.node)),
        AppLine::Endpoint { address, local } => {
            let local = if *local { " local" } else { "" };
            format!("{}{local}", address.node)
        }
        AppLine::Ports(names) => join(names),
        AppLine::NodePort { port, number } => format!("{} {}", port.node, number.node),
        // Printed as a block by `app_lines`.
        AppLine::ExtraService(block) => block.name.node.clone(),
    };
    format!("{keyword} {value}")
}

fn port_decl(decl: &PortDecl) -> String {
    let mut text = String::from("port ");
    if decl.named {
        text.push_str(&decl.name.node);
        text.push(' ');
    }
    text.push_str(&decl.port.to_string());
    if let Some(target) = &decl.target {
        let target = match &target.node {
            PortTarget::Number(n) => n.to_string(),
            PortTarget::Name(name) => name.clone(),
        };
        text.push_str(&format!(" -> {target}"));
    }
    if let Some(node_port) = &decl.node_port {
        text.push_str(&format!(" node-port {}", node_port.node));
    }
    text
}

fn external(p: &mut Printer, external: &External) {
    p.at(external.name.span.start());
    p.open(format!("external {}", external.name.node));
    for line in &external.lines {
        p.at(line.span.start());
        p.line(match &line.node {
            ExternalLine::Host(host) => format!("host {}", host.node),
            ExternalLine::Cidr(entries) => {
                // One entry is printed on one line, its `except { ... }` too: comments
                // between the braces go above the line rather than run together after it.
                if let [entry] = entries.as_slice() {
                    let last = entry.except.last().unwrap_or(&entry.cidr);
                    p.hoist(last.span.end());
                }
                let entries: Vec<(usize, String)> = entries
                    .iter()
                    .map(|e| (e.cidr.span.start(), cidr_entry(e)))
                    .collect();
                p.list("cidr ", &entries, "");
                continue;
            }
            ExternalLine::Port(decl) => port_decl(decl),
        });
    }
    p.close(external.close.start());
}

fn cidr_entry(entry: &CidrEntry) -> String {
    match entry.except.as_slice() {
        [] => entry.cidr.node.clone(),
        [one] => format!("{} except {}", entry.cidr.node, one.node),
        many => format!("{} except {{{}}}", entry.cidr.node, join(many)),
    }
}

fn ingress(p: &mut Printer, ingress: &Ingress) {
    p.at(ingress.name.span.start());
    p.open(format!("ingress {}", ingress.name.node));
    let width = route_width(ingress.lines.iter().filter_map(|l| match &l.node {
        IngressLine::Route(route) => Some(route),
        _ => None,
    }));
    for line in &ingress.lines {
        p.at(line.span.start());
        match &line.node {
            IngressLine::Class(name) => p.line(format!("class {}", name.node)),
            IngressLine::Annotation(a) => p.line(format!(
                "annotation {} {}",
                quoted(&a.key.node),
                quoted(&a.value.node)
            )),
            IngressLine::Host(block) => host(p, block),
            IngressLine::Route(route) => p.line(self::route(route, width)),
            IngressLine::Default(target) => p.line(format!("default -> {}", backend(target))),
            IngressLine::Routes(mode) => p.line(format!("routes {}", mode.node.keyword())),
            IngressLine::Gateway(gateway) => p.line(format!("gateway {}", gateway_ref(gateway))),
        }
    }
    p.close(ingress.close.start());
}

fn host(p: &mut Printer, block: &HostBlock) {
    p.open(format!("host {}", block.host.node));
    let width = route_width(block.routes.iter());
    // `tls` and routes in source order (a tree without spans: `tls` first).
    let mut entries: Vec<(usize, String)> = block
        .tls
        .iter()
        .map(|secret| (secret.span.start(), format!("tls {}", secret.node)))
        .chain(
            block
                .routes
                .iter()
                .map(|r| (r.span.start(), route(r, width))),
        )
        .collect();
    entries.sort_by_key(|(start, _)| *start);
    for (start, text) in entries {
        p.at(start);
        p.line(text);
    }
    p.close(block.close.start());
}

/// The width of the widest `[TYPE] PATH` of a group of routes.
fn route_width<'a>(routes: impl Iterator<Item = &'a Route>) -> usize {
    routes
        .map(|r| route_head(r).chars().count())
        .max()
        .unwrap_or(0)
}

fn route_head(route: &Route) -> String {
    match &route.path_type {
        Some(kind) => format!("{} {}", path_type(kind.node), route.path.node),
        None => route.path.node.clone(),
    }
}

fn path_type(kind: PathType) -> &'static str {
    match kind {
        PathType::Exact => "exact",
        PathType::Prefix => "prefix",
        PathType::ImplementationSpecific => "implementation-specific",
    }
}

fn route(route: &Route, width: usize) -> String {
    format!(
        "{:<width$} -> {}",
        route_head(route),
        backend(&route.backend)
    )
}

fn backend(backend: &Backend) -> String {
    match &backend.port {
        Some(port) => format!("{}:{}", backend.app.node, port.node),
        None => backend.app.node.clone(),
    }
}

fn peer(peer: &Peer) -> String {
    let target = peer.target.node.to_string();
    let ports: Vec<String> = peer.ports.iter().map(|p| p.node.to_string()).collect();
    match ports.as_slice() {
        [] => target,
        [one] => format!("{target}:{one}"),
        many => format!("{target}:{{{}}}", many.join(", ")),
    }
}

fn label_list(labels: &[Label]) -> String {
    labels_of(labels)
        .into_iter()
        .map(|(_, text)| text)
        .collect::<Vec<_>>()
        .join(", ")
}

fn labels_of(labels: &[Label]) -> Vec<(usize, String)> {
    labels
        .iter()
        .map(|l| {
            let text = format!("{}={}", l.key.node, label_value(&l.value.node));
            (l.key.span.start(), text)
        })
        .collect()
}

/// A label value bare when the grammar reads it back whole, quoted otherwise.
fn label_value(value: &str) -> String {
    // The characters the grammar's bare value stops at.
    let bare = !value
        .chars()
        .any(|c| matches!(c, ' ' | '\t' | '\r' | '\n' | ',' | '#' | '{' | '}' | '"'));
    if bare {
        value.to_string()
    } else {
        quoted(value)
    }
}

/// A name token as is, anything else quoted.
fn name_or_string(value: &str) -> String {
    let mut chars = value.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let rest_ok = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        && !value.contains("->");
    if first_ok && rest_ok {
        value.to_string()
    } else {
        quoted(value)
    }
}

/// A double-quoted string with `\"` and `\\` escapes.
fn quoted(value: &str) -> String {
    let mut text = String::with_capacity(value.len() + 2);
    text.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            text.push('\\');
        }
        text.push(c);
    }
    text.push('"');
    text
}

fn join(list: &[Spanned<String>]) -> String {
    list.iter()
        .map(|s| s.node.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn spanned(list: &[Spanned<String>]) -> Vec<(usize, String)> {
    list.iter()
        .map(|s| (s.span.start(), s.node.clone()))
        .collect()
}
