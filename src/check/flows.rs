//! `allow` statements to [`ir::Flow`]s, plus the flows that exposure implies.
//!
//! Resolves peers (`E0111`, `E0113`, `E0117`, `E0327` for an external named as
//! `NS/NAME`), ports (`E0112`, `E0201`, `E0205`, `E0215`, `E0218`, `E0326`), and rejects
//! ports on sources (`E0304`), externals without `cidr` (`E0305`) and flows with no side
//! in a knet namespace (`E0319`).
//! A `node-port` or `load-balancer` app lets `world` (or its `source-ranges`) reach its
//! ports: that flow is added here too.

use std::net::Ipv4Addr;

use crate::collections::{narrow, HashMap};

use ipnet::{IpNet, Ipv4Net};

use super::declare::{Declared, DeclaredApp, NamespaceScope, Scope};
use super::peers;
use super::suggest::did_you_mean;
use super::values;
use super::Diagnostics;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, Peer, PolicyPort, TargetPort};
use crate::source::Span;
use crate::syntax::ast::{self, PeerTarget, PortRef, Spanned};

/// `world`: every address of the cluster's family: `0.0.0.0/0`, or `::/0` when the pod
/// CIDR is IPv6.
pub fn world(cluster: &ir::Cluster) -> ir::IpBlock {
    let cidr = match cluster.pod_cidr {
        IpNet::V4(_) => IpNet::V4(Ipv4Net::new_assert(Ipv4Addr::UNSPECIFIED, 0)),
        IpNet::V6(_) => IpNet::V6(ipnet::Ipv6Net::new_assert(
            std::net::Ipv6Addr::UNSPECIFIED,
            0,
        )),
    };
    ir::IpBlock {
        cidr,
        except: Vec::new(),
    }
}

pub fn check(
    diags: &mut Diagnostics,
    scope: &Scope,
    cluster: &ir::Cluster,
    namespace: &str,
    blocks: &[&ast::NamespaceBlock],
    flows: &mut Vec<ir::Flow>,
) {
    let Some(ns) = scope.namespaces.get(namespace) else {
        return;
    };
    exposure_flows(cluster, namespace, ns, flows);
    if namespace == cluster.dns.namespace && ns.isolate_ingress {
        flows.push(cluster_dns_flow(cluster, ns.name_span));
    }
    let resolver = Resolver {
        scope,
        cluster,
        namespace,
        ns,
    };
    for item in blocks.iter().flat_map(|b| &b.items) {
        if let ast::NamespaceItem::Flow(flow) = item {
            resolver.flow(diags, flow, flows);
        }
    }
}

/// Principle 3: exposure implies permission.
fn exposure_flows(
    cluster: &ir::Cluster,
    namespace: &str,
    ns: &NamespaceScope,
    flows: &mut Vec<ir::Flow>,
) {
    // Each exposed Service of an app (its own or an extra one) lets its sources in.
    let services = ns
        .apps
        .values()
        .flat_map(|declared| declared.ir.services().map(move |s| (declared, s)));
    for (declared, app) in services {
        if !app.service.exposed_on_nodes() || app.ports.is_empty() {
            continue;
        }
        let sources = if app.settings.source_ranges.is_empty() {
            vec![world(cluster)]
        } else {
            app.settings
                .source_ranges
                .iter()
                .map(|cidr| ir::IpBlock {
                    cidr: *cidr,
                    except: Vec::new(),
                })
                .collect()
        };
        flows.push(ir::Flow {
            from: Peer::Addresses(sources),
            to: declared_peer(namespace, declared),
            ports: app.ports.iter().map(policy_port).collect(),
            origin: ir::FlowOrigin::Exposure {
                app: declared.ast.name.span,
            },
        });
    }
}

/// Principle 2 from the other side: when the cluster DNS namespace is declared in knet
/// and isolates ingress, every pod of every namespace may still reach the DNS pods.
fn cluster_dns_flow(cluster: &ir::Cluster, namespace: crate::source::Span) -> ir::Flow {
    ir::Flow {
        from: Peer::AnyNamespace,
        to: Peer::Pods(Box::new(cluster.dns.clone())),
        ports: cluster.dns_ports(),
        origin: ir::FlowOrigin::ClusterDns { namespace },
    }
}

fn app_peer(namespace: &str, app: &ir::App, place: usize) -> Peer {
    Peer::App {
        namespace: namespace.into(),
        app: app.name.as_str().into(),
        labels: app.labels.clone(),
        place: narrow(place),
    }
}

/// The peer that stands for a declared app of `namespace`, made once and then copied:
/// every flow naming the app shares its names and labels, instead of allocating the
/// names again for each.
pub fn declared_peer(namespace: &str, app: DeclaredApp) -> Peer {
    app.peer
        .get_or_init(|| app_peer(namespace, app.ir, app.place))
        .clone()
}

/// A Service port as a NetworkPolicy sees it: the pod's target port (principle 4).
pub fn policy_port(port: &ir::ServicePort) -> PolicyPort {
    PolicyPort {
        protocol: port.protocol,
        port: port.target.clone(),
        end_port: None,
    }
}

/// An app's ports by the names flows use: the first port with each name, and the first
/// unnamed port with each number (which answers to the number). A flow looks its port
/// up here, not in a scan of the ports: an app may have tens of thousands, each named
/// by a flow.
pub struct PortNames {
    named: HashMap<String, usize>,
    unnamed: HashMap<u16, usize>,
}

impl PortNames {
    fn new(ports: &[ir::ServicePort]) -> Self {
        let mut index = PortNames {
            named: HashMap::default(),
            unnamed: HashMap::default(),
        };
        for (at, port) in ports.iter().enumerate() {
            if port.name.is_empty() {
                index.unnamed.entry(port.port).or_insert(at);
            } else {
                index.named.entry(port.name.clone()).or_insert(at);
            }
        }
        index
    }

    /// The first port that [`ir::ServicePort::answers_to`] `name`.
    fn first(&self, name: &str) -> Option<usize> {
        let named = self.named.get(name).copied();
        let unnamed = name
            .parse::<u16>()
            .ok()
            .and_then(|n| self.unnamed.get(&n).copied());
        named.into_iter().chain(unnamed).min()
    }
}

/// The port `name` of an app, or an error whose help lists the app's ports.
pub fn app_port<'d>(
    diags: &mut Diagnostics,
    app: DeclaredApp<'d, '_>,
    name: &str,
    span: Span,
) -> Option<&'d ir::ServicePort> {
    let ports = &app.ir.ports;
    // A few ports are scanned; more are looked up.
    let found = if ports.len() <= 8 {
        ports.iter().position(|p| p.answers_to(name))
    } else {
        app.port_names
            .get_or_init(|| PortNames::new(ports))
            .first(name)
    };
    if let Some(at) = found {
        return ports.get(at);
    }
    // Declared, but invalid: its declaration was reported, and every use would repeat it.
    let declared = app
        .ast
        .lines
        .iter()
        .any(|line| matches!(&line.node, ast::AppLine::Port(decl) if decl.name.node == name));
    if declared {
        return None;
    }
    let listed = super::ingress::port_list(&app.ir.ports);
    let unnamed = app.ir.ports.iter().any(|p| p.name.is_empty());
    if looks_numeric(name) && !unnamed {
        diags.push(
            Diagnostic::new(
                Code::PortNumberForName,
                format!("app ports are named, not numbered: `{}`", name),
                span,
            )
            .label("a port name is required here")
            .secondary(app.ast.name.span, format!("app `{}` declared here", app.ir.name))
            .note("a name says which Service port is meant; knet resolves it to the pod's target port")
            .help(format!("use one of the app's ports: {listed}")),
        );
        return None;
    }
    let candidates = app
        .ir
        .ports
        .iter()
        .filter(|p| !p.name.is_empty())
        .map(|p| p.name.as_str());
    let suggestion = did_you_mean(name, candidates)
        .map(|n| format!("did you mean `{n}`? the app's ports are {listed}"));
    diags.push(
        Diagnostic::new(
            Code::UnknownPort,
            format!("app `{}` has no port `{}`", app.ir.name, name),
            span,
        )
        .label("unknown port")
        .secondary(
            app.ast.name.span,
            format!("app `{}` declared here", app.ir.name),
        )
        .help(suggestion.unwrap_or_else(|| format!("the app's ports are {listed}"))),
    );
    None
}

struct Resolver<'a, 's> {
    scope: &'a Scope<'s>,
    cluster: &'a ir::Cluster,
    namespace: &'a str,
    ns: &'a NamespaceScope<'s>,
}

/// A resolved peer and what it is, for port resolution.
enum Side<'a, 's> {
    App(DeclaredApp<'a, 's>, Peer),
    External(&'a Declared<'s, ast::External, ir::External>, Peer),
    Other(Peer),
}

impl Side<'_, '_> {
    fn into_peer(self) -> Peer {
        match self {
            Side::App(_, p) | Side::External(_, p) | Side::Other(p) => p,
        }
    }
}

/// Where a flow of an `allow` statement comes from.
fn declared(flow: &ast::Flow, from: Span, destination: &ast::Peer) -> ir::FlowOrigin {
    ir::FlowOrigin::Declared {
        statement: flow.span,
        from,
        to: destination.span,
    }
}

impl<'a, 's> Resolver<'a, 's> {
    fn flow(&self, diags: &mut Diagnostics, flow: &ast::Flow, flows: &mut Vec<ir::Flow>) {
        let mut sources = Vec::with_capacity(flow.sources.len());
        for source in &flow.sources {
            if let Some(first) = source.ports.first() {
                let last = source.ports.last().unwrap_or(first);
                diags.push(
                    Diagnostic::new(
                        Code::PortsOnSource,
                        "a flow source has no ports",
                        first.span.to(last.span),
                    )
                    .label("ports on a source")
                    .note("a flow lets sources open connections to the ports of its destinations")
                    .help("put the ports on the destination, after `->`"),
                );
            }
            if let Some(side) = self.side(diags, source, true) {
                sources.push((side.into_peer(), source.target.span));
            }
        }
        let mut destinations = Vec::with_capacity(flow.destinations.len());
        for destination in &flow.destinations {
            let Some(side) = self.side(diags, destination, false) else {
                continue;
            };
            let Some(ports) = self.ports(diags, &side, destination) else {
                continue;
            };
            destinations.push((side.into_peer(), ports, destination));
        }
        // Every source with every destination; the last pair takes its peers and ports
        // instead of copying them (most statements are one source and one destination).
        let pairs = sources.len() * destinations.len();
        let mut made = 0;
        for (from, from_span) in &sources {
            for (to, ports, destination) in &destinations {
                if !self.in_knet(from) && !self.in_knet(to) {
                    diags.push(
                        Diagnostic::new(
                            Code::FlowOutsideKnet,
                            "this flow has no side in a namespace declared in knet",
                            *from_span,
                        )
                        .label("source outside knet")
                        .secondary(destination.target.span, "destination outside knet")
                        .note("NetworkPolicies are written for pods of knet namespaces; this flow would generate nothing")
                        .help("declare one of the namespaces in knet, or remove the flow"),
                    );
                    return;
                }
                made += 1;
                if made == pairs {
                    break;
                }
                flows.push(ir::Flow {
                    from: from.clone(),
                    to: to.clone(),
                    ports: ports.clone(),
                    origin: declared(flow, *from_span, destination),
                });
            }
        }
        if let (Some((from, from_span)), Some((to, ports, destination))) =
            (sources.pop(), destinations.pop())
        {
            flows.push(ir::Flow {
                from,
                to,
                ports,
                origin: declared(flow, from_span, destination),
            });
        }
    }

    /// Whether a policy can be written for this side.
    fn in_knet(&self, peer: &Peer) -> bool {
        match peer {
            // Apps of unmanaged namespaces get no policy.
            Peer::App { namespace, .. } => self.scope.namespaces.contains_key(&**namespace),
            Peer::Namespace { namespace } => self.scope.namespaces.contains_key(&**namespace),
            // The ingress controller gets policies when its namespace is declared.
            Peer::Pods(selector) => {
                **selector == self.cluster.ingress_controller
                    && self.scope.namespaces.contains_key(&selector.namespace)
            }
            // One-sided peers: they never add rules to other namespaces' pods.
            Peer::Addresses(_) | Peer::AnyNamespace | Peer::Any | Peer::NamespaceGroup { .. } => {
                false
            }
        }
    }

    fn side(
        &self,
        diags: &mut Diagnostics,
        peer: &ast::Peer,
        is_source: bool,
    ) -> Option<Side<'a, 's>> {
        let span = peer.target.span;
        match &peer.target.node {
            PeerTarget::AllPods => Some(Side::Other(Peer::Namespace {
                namespace: self.namespace.into(),
            })),
            PeerTarget::AnyNamespace => Some(Side::Other(Peer::AnyNamespace)),
            PeerTarget::AnyNamespaceApp(app) => {
                diags.push(peers::any_namespace_app(span, app));
                None
            }
            PeerTarget::NamespacePods(ns) if self.scope.groups.contains_key(&ns.node) => {
                let group = &self.scope.groups[&ns.node];
                Some(Side::Other(Peer::NamespaceGroup {
                    group: ns.node.clone(),
                    labels: Box::new(group.labels.clone()),
                }))
            }
            PeerTarget::NamespacePods(ns) => values::name(
                diags,
                Code::InvalidNamespaceName,
                "namespace name",
                &values::DNS_LABEL,
                ns,
            )
            .then(|| {
                Side::Other(Peer::Namespace {
                    namespace: ns.node.as_str().into(),
                })
            }),
            PeerTarget::Qualified(qualified) => {
                let (namespace, app) = (&qualified.namespace, &qualified.app);
                if let Some(diagnostic) = peers::not_a_namespace(self.scope, namespace, app, span) {
                    diags.push(diagnostic);
                    return None;
                }
                let other = self
                    .scope
                    .namespaces
                    .get(&namespace.node)
                    .or_else(|| self.scope.unmanaged.get(&namespace.node));
                let Some(other) = other else {
                    let known = self.scope.namespaces.keys().map(String::as_str);
                    let close = did_you_mean(&namespace.node, known);
                    let help = match close {
                        Some(close) => format!("did you mean `{close}/{}`?", app.node),
                        None => format!(
                            "to allow every pod of that namespace, write `{}/*`; to name an app, declare the namespace in knet",
                            namespace.node
                        ),
                    };
                    diags.push(
                        Diagnostic::new(
                            Code::UnknownNamespace,
                            format!("namespace `{}` is not declared in knet", namespace.node),
                            namespace.span,
                        )
                        .label("not a knet namespace")
                        .note("knet knows the labels of apps only in namespaces it declares")
                        .help(help),
                    );
                    return None;
                };
                if let Some(declared) = other.apps.get(&app.node) {
                    return Some(Side::App(
                        declared,
                        declared_peer(&namespace.node, declared),
                    ));
                }
                if let Some(external) = other.externals.get(&app.node) {
                    diags.push(self.external_elsewhere(namespace, app, external));
                    return None;
                }
                let candidates = other.apps.keys().map(String::as_str);
                diags.push(
                    Diagnostic::new(
                        Code::UnknownPeer,
                        format!("namespace `{}` has no app `{}`", namespace.node, app.node),
                        app.span,
                    )
                    .label("unknown app")
                    .maybe_help(
                        did_you_mean(&app.node, candidates)
                            .map(|n| format!("did you mean `{}/{n}`?", namespace.node)),
                    ),
                );
                None
            }
            PeerTarget::Name(name) => {
                if name == "world" {
                    return Some(Side::Other(Peer::Addresses(vec![world(self.cluster)])));
                }
                if name == "any" {
                    return Some(Side::Other(Peer::Any));
                }
                if name == "ingress" {
                    return Some(Side::Other(Peer::Pods(Box::new(
                        self.cluster.ingress_controller.clone(),
                    ))));
                }
                if let Some(app) = self.ns.apps.get(name) {
                    return Some(Side::App(app, declared_peer(self.namespace, app)));
                }
                if let Some(external) = self.ns.externals.get(name) {
                    let has_cidr_line = external
                        .ast
                        .lines
                        .iter()
                        .any(|l| matches!(l.node, ast::ExternalLine::Cidr(_)));
                    if external.ir.cidrs.is_empty() && has_cidr_line {
                        // Every `cidr` is invalid, and each was reported where it is written.
                        return None;
                    }
                    if external.ir.cidrs.is_empty() {
                        let what = if is_source { "from" } else { "to" };
                        diags.push(
                            Diagnostic::new(
                                Code::ExternalWithoutCidr,
                                format!("flow {what} external `{name}`, which has no `cidr`"),
                                span,
                            )
                            .label("this external has no addresses")
                            .secondary(external.ast.name.span, "declared here")
                            .note("NetworkPolicy matches addresses, not DNS names")
                            .help("add `cidr` lines to the external, or allow `world`"),
                        );
                        return None;
                    }
                    return Some(Side::External(
                        external,
                        Peer::Addresses(external.ir.cidrs.clone()),
                    ));
                }
                let candidates = self
                    .ns
                    .apps
                    .keys()
                    .chain(self.ns.externals.keys())
                    .map(String::as_str)
                    .chain(["world", "ingress", "any"]);
                if let Some(diagnostic) = peers::hint(self.scope, self.ns, name, span) {
                    diags.push(diagnostic);
                    return None;
                }
                let mut d = Diagnostic::new(
                    Code::UnknownPeer,
                    format!("unknown app or external `{name}`"),
                    span,
                )
                .label(format!("not declared in namespace `{}`", self.namespace))
                .maybe_help(did_you_mean(name, candidates).map(|n| format!("did you mean `{n}`?")));
                let elsewhere: Vec<&str> = self
                    .scope
                    .namespaces
                    .iter()
                    .filter(|(_, ns)| ns.apps.contains_key(name))
                    .map(|(n, _)| n.as_str())
                    .collect();
                if let Some(other) = elsewhere.first() {
                    if d.help.is_none() {
                        d = d.help(format!(
                            "an app of another namespace is written `{other}/{name}`"
                        ));
                    }
                }
                diags.push(d);
                None
            }
        }
    }

    /// `NS/EXTERNAL`: an external is a peer only in its own namespace, written without
    /// a namespace (`NS/NAME` names an app).
    fn external_elsewhere(
        &self,
        namespace: &ast::Name,
        name: &ast::Name,
        external: &Declared<ast::External, ir::External>,
    ) -> Diagnostic {
        let diagnostic = Diagnostic::new(
            Code::UnreachablePeerKind,
            format!("`{}/{}` is an external, not an app", namespace.node, name.node),
            namespace.span.to(name.span),
        )
        .secondary(external.ast.name.span, "the external is declared here")
        .note("`NAMESPACE/NAME` names an app; an external is a peer only in the namespace that declares it");
        if namespace.node == self.namespace {
            diagnostic
                .label("an external written with its namespace")
                .help(format!("write `{}`", name.node))
        } else {
            diagnostic
                .label(format!("an external of namespace `{}`", namespace.node))
                .help(format!(
                    "declare the external in namespace `{}` as well, or move the flow into namespace `{}` and name this side's apps `{}/APP`",
                    self.namespace, namespace.node, self.namespace
                ))
        }
    }

    /// The ports of a destination; `None` when any is invalid.
    fn ports(
        &self,
        diags: &mut Diagnostics,
        side: &Side,
        destination: &ast::Peer,
    ) -> Option<Vec<PolicyPort>> {
        let written = &destination.ports;
        if let Some(all) = written.iter().find(|p| p.node == PortRef::All) {
            if written.len() > 1 {
                diags.push(peers::all_ports_not_alone(all.span, destination.span));
                return None;
            }
            return Some(Vec::new());
        }
        if written.is_empty() {
            return Some(match side {
                Side::App(app, _) => app.ir.ports.iter().map(policy_port).collect(),
                _ => Vec::new(),
            });
        }
        // Sized for the ports as written: most peers name one, and a `Vec` grown from
        // empty holds four.
        let mut ports = Vec::with_capacity(written.len());
        let mut ok = true;
        for port in written {
            match self.port(diags, side, &destination.target.node, port) {
                Some(p) => {
                    if !ports.contains(&p) {
                        ports.push(p);
                    }
                }
                None => ok = false,
            }
        }
        ok.then_some(ports)
    }

    fn port(
        &self,
        diags: &mut Diagnostics,
        side: &Side,
        target: &PeerTarget,
        port: &Spanned<PortRef>,
    ) -> Option<PolicyPort> {
        if let &Side::App(app, _) = side {
            let number;
            let name = match &port.node {
                PortRef::Name(name) => name.as_str(),
                // An unnamed port answers to its number (`web:80`).
                PortRef::Number {
                    port: written,
                    protocol,
                } if unnamed_port(app, *written, protocol.as_deref()) => {
                    number = written.to_string();
                    number.as_str()
                }
                // Handled by `ports`: `*` stands alone.
                PortRef::All => return None,
                // `api:443`: the number as written, so the error can say so.
                PortRef::Number { .. } | PortRef::Range { .. } => {
                    let _ = app_port(diags, app, &port.node.to_string(), port.span);
                    return None;
                }
            };
            return app_port(diags, app, name, port.span).map(policy_port);
        }
        match &port.node {
            PortRef::All => None,
            PortRef::Name(name) => {
                match side {
                    Side::External(external, _) => {
                        if let Some(p) = external.ir.ports.iter().find(|p| &p.name == name) {
                            return Some(PolicyPort {
                                protocol: p.protocol,
                                port: TargetPort::Number(p.port),
                                end_port: None,
                            });
                        }
                        let candidates = external.ir.ports.iter().map(|p| p.name.as_str());
                        let listed = external
                            .ir
                            .ports
                            .iter()
                            .map(|p| format!("`{}` ({})", p.name, p.port))
                            .collect::<Vec<_>>()
                            .join(", ");
                        diags.push(
                        Diagnostic::new(
                            Code::UnknownPort,
                            format!("external `{}` has no port `{name}`", external.ir.name),
                            port.span,
                        )
                        .label("unknown port")
                        .secondary(external.ast.name.span, "external declared here")
                        .help(match did_you_mean(name, candidates) {
                            Some(close) => format!("did you mean `{close}`?"),
                            None if listed.is_empty() => "the external declares no ports: use a number such as `:443`".to_string(),
                            None => format!("the external's ports are {listed}, or use a number such as `:443`"),
                        }),
                    );
                        None
                    }
                    _ => {
                        diags.push(
                        Diagnostic::new(
                            Code::PortOnPeerWithoutPorts,
                            format!("`{target}` has no port named `{name}`"),
                            port.span,
                        )
                        .label("a port name, where a number is needed")
                        .note("only apps and externals have named ports")
                        .help("use a number such as `:443` or `:53/udp`, or a range such as `:8000-8100`"),
                    );
                        None
                    }
                }
            }
            PortRef::Number {
                port: number,
                protocol,
            } => {
                let protocol = values::protocol(diags, protocol.as_deref());
                let number = values::port(diags, &Spanned::new(*number, port.span), "port");
                Some(PolicyPort {
                    protocol: protocol?,
                    port: TargetPort::Number(number?),
                    end_port: None,
                })
            }
            PortRef::Range {
                low,
                high,
                protocol,
            } => {
                let protocol = values::protocol(diags, protocol.as_deref());
                let low = values::port(diags, &Spanned::new(*low, port.span), "port");
                let high = values::port(diags, &Spanned::new(*high, port.span), "port");
                let (low, high) = (low?, high?);
                if low > high {
                    diags.push(super::cluster::range_reversed(port.span, low, high));
                    return None;
                }
                Some(PolicyPort {
                    protocol: protocol?,
                    port: TargetPort::Number(low),
                    end_port: (high > low).then_some(high),
                })
            }
        }
    }
}

/// Whether the app's single port is unnamed and is `number` (with that protocol).
fn unnamed_port(app: DeclaredApp, number: u64, protocol: Option<&ast::Name>) -> bool {
    let protocol = protocol.map_or("tcp", |p| p.node.as_str());
    app.ir.ports.iter().any(|p| {
        p.name.is_empty() && u64::from(p.port) == number && p.protocol.as_lower() == protocol
    })
}

/// `443`, `443/udp`, `8000-8100`: a port written as a number.
fn looks_numeric(text: &str) -> bool {
    let number = text.split('/').next().unwrap_or("");
    !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The index answers as the scan it replaced: the first port that answers to
        /// the name (a name, or for an unnamed port its number, `080` included).
        #[test]
        fn port_names_find_the_first_port_that_answers(
            ports in prop::collection::vec((prop::option::of(0..4usize), 78u16..83), 0..12),
            query in prop_oneof![(0..5usize).prop_map(|n| format!("p{n}")), (77u16..84).prop_map(|n| n.to_string()), Just("080".to_string())],
        ) {
            let ports: Vec<ir::ServicePort> = ports
                .into_iter()
                .map(|(name, port)| ir::ServicePort {
                    name: name.map(|n| format!("p{n}")).unwrap_or_default(),
                    port,
                    protocol: ir::Protocol::Tcp,
                    target: TargetPort::Number(port),
                    node_port: None,
                })
                .collect();
            prop_assert_eq!(
                PortNames::new(&ports).first(&query),
                ports.iter().position(|p| p.answers_to(&query))
            );
        }
    }
}
