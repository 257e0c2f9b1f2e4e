//! The abstract syntax tree: what was written, with the byte span of every node.
//!
//! Nothing here is validated beyond the grammar: names may be invalid Kubernetes names,
//! numbers may be out of range, addresses may not parse. The checker (`crate::check`)
//! reads this tree and says what is wrong; the lowering (`super::lower`) builds it.

use crate::source::Span;

/// A value with the span of the text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spanned<T> {
    pub node: T,
    pub span: Span,
}

impl<T> Spanned<T> {
    pub fn new(node: T, span: Span) -> Self {
        Spanned { node, span }
    }
}

/// A name as written (an app, namespace, port, secret...).
pub type Name = Spanned<String>;

/// A decimal number as written; numbers too large for `u64` saturate (the checker
/// reports them as out of range).
pub type Number = Spanned<u64>;

/// One parsed `.knet` file.
#[derive(Debug, Clone)]
pub struct File {
    pub items: Vec<Item>,
}

#[derive(Debug, Clone)]
pub enum Item {
    Cluster(ClusterBlock),
    Namespace(NamespaceBlock),
    Group(GroupBlock),
}

/// `namespaces GROUP { labels K=V[, ...] }`: the namespaces whose labels match.
#[derive(Debug, Clone)]
pub struct GroupBlock {
    pub name: Name,
    /// Every `labels` line, in order (a second one is an error).
    pub labels: Vec<Spanned<Vec<Label>>>,
    /// The `namespaces` keyword to the closing brace.
    pub span: Span,
    /// The closing `}` (the default span for a block not parsed from text).
    pub close: Span,
}

/// `cluster { ... }`
#[derive(Debug, Clone)]
pub struct ClusterBlock {
    /// The `cluster` keyword: where "a second `cluster` block" points.
    pub keyword: Span,
    pub settings: Vec<Spanned<ClusterSetting>>,
    /// The closing `}` (the default span for a block not parsed from text).
    pub close: Span,
}

#[derive(Debug, Clone)]
pub enum ClusterSetting {
    ServiceCidr(Spanned<String>),
    PodCidr(Spanned<String>),
    NodePortRange(PortRange),
    Dns {
        namespace: Option<Name>,
        labels: Option<Vec<Label>>,
        port: Option<Number>,
    },
    IngressController {
        namespace: Option<Name>,
        labels: Option<Vec<Label>>,
    },
    NodeIp(Spanned<String>),
    NodeName(Name),
    MasqueradeMark(Spanned<String>),
    LocalhostNodePorts(Spanned<bool>),
    RandomFully(Spanned<bool>),
    Nfacct(Spanned<bool>),
    PolicyVersion(Spanned<String>),
    /// `app-label KEY`: the label key of an app without `labels`.
    AppLabel(Spanned<String>),
    /// `routes ingress|gateway-api`: what `ingress` blocks become.
    Routes(Spanned<RoutesMode>),
    /// `gateway NS/NAME`: the Gateway routes attach to.
    Gateway(GatewayRef),
    /// `gateway-pods [namespace NS] [labels K=V, ...]`: the Gateways' data-plane pods.
    GatewayPods {
        namespace: Option<Name>,
        labels: Option<Vec<Label>>,
    },
}

/// `routes ingress` or `routes gateway-api`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoutesMode {
    Ingress,
    GatewayApi,
}

impl RoutesMode {
    pub fn keyword(self) -> &'static str {
        match self {
            RoutesMode::Ingress => "ingress",
            RoutesMode::GatewayApi => "gateway-api",
        }
    }
}

/// `NS/NAME`: a Gateway.
#[derive(Debug, Clone)]
pub struct GatewayRef {
    pub namespace: Name,
    pub name: Name,
    pub span: Span,
}

impl ClusterSetting {
    /// The setting's keyword, for "set twice" diagnostics.
    pub fn keyword(&self) -> &'static str {
        match self {
            ClusterSetting::ServiceCidr(_) => "service-cidr",
            ClusterSetting::PodCidr(_) => "pod-cidr",
            ClusterSetting::NodePortRange(_) => "node-port-range",
            ClusterSetting::Dns { .. } => "dns",
            ClusterSetting::IngressController { .. } => "ingress-controller",
            ClusterSetting::NodeIp(_) => "node-ip",
            ClusterSetting::NodeName(_) => "node-name",
            ClusterSetting::MasqueradeMark(_) => "masquerade-mark",
            ClusterSetting::LocalhostNodePorts(_) => "localhost-node-ports",
            ClusterSetting::RandomFully(_) => "random-fully",
            ClusterSetting::Nfacct(_) => "nfacct",
            ClusterSetting::PolicyVersion(_) => "policy-version",
            ClusterSetting::AppLabel(_) => "app-label",
            ClusterSetting::Routes(_) => "routes",
            ClusterSetting::Gateway(_) => "gateway",
            ClusterSetting::GatewayPods { .. } => "gateway-pods",
        }
    }
}

/// `namespace NAME { ... }`
#[derive(Debug, Clone)]
pub struct NamespaceBlock {
    pub name: Name,
    /// `unmanaged namespace NS`: the span of `unmanaged`.
    pub unmanaged: Option<Span>,
    pub items: Vec<NamespaceItem>,
    /// The closing `}` (the default span for a block not parsed from text).
    pub close: Span,
}

#[derive(Debug, Clone)]
pub enum NamespaceItem {
    App(App),
    External(External),
    Ingress(Ingress),
    Flow(Flow),
    Default(Spanned<DefaultPolicy>),
    /// `dns off`
    DnsOff(Span),
    /// `app-label KEY`: the namespace's own default pod label key.
    AppLabel(Spanned<String>),
    /// `expect allow|deny SOURCE -> DESTINATION[:PORT]` (boxed: two peers make it the
    /// largest item by far)
    Expect(Box<Expect>),
}

/// `expect allow frontend -> api:http`: what the emitted policies must allow (or, with
/// `deny`, must not allow).
#[derive(Debug, Clone)]
pub struct Expect {
    /// `allow` (true) or `deny` (false), with the keyword's span.
    pub allow: Spanned<bool>,
    pub source: Peer,
    pub destination: Peer,
    /// The whole statement.
    pub span: Span,
}

/// `default deny`, `default allow [ingress|egress]`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultPolicy {
    Deny,
    AllowIngress,
    AllowEgress,
    AllowBoth,
}

/// `app NAME { ... }`
#[derive(Debug, Clone)]
pub struct App {
    pub name: Name,
    pub lines: Vec<Spanned<AppLine>>,
    /// The closing `}` (the default span for a block not parsed from text).
    pub close: Span,
}

#[derive(Debug, Clone)]
pub enum AppLine {
    Labels(Vec<Label>),
    Port(PortDecl),
    Service(Name),
    ClusterIp(Spanned<String>),
    ExternalIps(Vec<Spanned<String>>),
    SourceRanges(Vec<Spanned<String>>),
    TrafficPolicy(Name),
    HealthCheckNodePort(Number),
    SessionAffinity {
        mode: Name,
        timeout: Option<Number>,
    },
    Annotation(Annotation),
    Replicas(Number),
    Endpoint {
        address: Spanned<String>,
        local: bool,
    },
    LoadBalancerIngress(Spanned<String>),
    /// `service-labels K=V, ...`: labels on the app's Service objects only.
    ServiceLabels(Vec<Label>),
    /// `service NAME { ... }`: an extra Service over the app's pods.
    ExtraService(ServiceBlock),
    /// `type TYPE` (extra Services only).
    Type(Name),
    /// `ports NAME, ...` (extra Services only).
    Ports(Vec<Name>),
    /// `node-port PORT N` (extra Services only).
    NodePort {
        port: Name,
        number: Number,
    },
}

/// `service NAME { ... }` inside an app: the grammar allows `type`, `ports`, `labels`,
/// `node-port` and the Service settings of an app.
#[derive(Debug, Clone)]
pub struct ServiceBlock {
    pub name: Name,
    pub lines: Vec<Spanned<AppLine>>,
    /// The closing `}` (the default span for a block not parsed from text).
    pub close: Span,
}

impl AppLine {
    /// The line's keyword, for "set twice" diagnostics.
    pub fn keyword(&self) -> &'static str {
        match self {
            AppLine::Labels(_) => "labels",
            AppLine::Port(_) => "port",
            AppLine::Service(_) => "service",
            AppLine::ClusterIp(_) => "cluster-ip",
            AppLine::ExternalIps(_) => "external-ips",
            AppLine::SourceRanges(_) => "source-ranges",
            AppLine::TrafficPolicy(_) => "traffic-policy",
            AppLine::HealthCheckNodePort(_) => "health-check-node-port",
            AppLine::SessionAffinity { .. } => "session-affinity",
            AppLine::Annotation(_) => "annotation",
            AppLine::Replicas(_) => "replicas",
            AppLine::Endpoint { .. } => "endpoint",
            AppLine::LoadBalancerIngress(_) => "load-balancer-ingress",
            AppLine::ServiceLabels(_) => "service-labels",
            AppLine::ExtraService(_) => "service NAME",
            AppLine::Type(_) => "type",
            AppLine::Ports(_) => "ports",
            AppLine::NodePort { .. } => "node-port",
        }
    }
}

/// `key=value`
#[derive(Debug, Clone)]
pub struct Label {
    pub key: Spanned<String>,
    pub value: Spanned<String>,
}

/// `annotation "KEY" "VALUE"`
#[derive(Debug, Clone)]
pub struct Annotation {
    pub key: Spanned<String>,
    pub value: Spanned<String>,
}

/// A protocol written after a port (`/udp`). Boxed: most ports have none, and a port
/// is part of every port line and flow peer of a large model.
pub type Protocol = Option<Box<Name>>;

/// A port number with its optional protocol: `443`, `53/udp`.
#[derive(Debug, Clone)]
pub struct PortNumber {
    pub number: Number,
    pub protocol: Protocol,
}

/// `30000-30100[/udp]`
#[derive(Debug, Clone)]
pub struct PortRange {
    pub low: Number,
    pub high: Number,
    pub protocol: Protocol,
    pub span: Span,
}

/// `port NAME NUMBER[/PROTO] [-> TARGET] [node-port N]` (apps) or
/// `port NAME NUMBER[/PROTO]` (externals).
#[derive(Debug, Clone)]
pub struct PortDecl {
    /// For an unnamed port (`port 80 -> 8080`), the port number as written, with its span.
    pub name: Name,
    /// Whether the port was given a name.
    pub named: bool,
    pub port: PortNumber,
    pub target: Option<Spanned<PortTarget>>,
    /// Boxed, as a protocol is: few ports have one.
    pub node_port: Option<Box<Number>>,
}

/// The container port a Service port forwards to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortTarget {
    Number(u64),
    Name(String),
}

/// `external NAME { ... }`
#[derive(Debug, Clone)]
pub struct External {
    pub name: Name,
    pub lines: Vec<Spanned<ExternalLine>>,
    /// The closing `}` (the default span for a block not parsed from text).
    pub close: Span,
}

#[derive(Debug, Clone)]
pub enum ExternalLine {
    Host(Spanned<String>),
    Cidr(Vec<CidrEntry>),
    Port(PortDecl),
}

/// `CIDR [except CIDR | except {CIDR, ...}]`
#[derive(Debug, Clone)]
pub struct CidrEntry {
    pub cidr: Spanned<String>,
    pub except: Vec<Spanned<String>>,
}

/// `ingress NAME { ... }`
#[derive(Debug, Clone)]
pub struct Ingress {
    pub name: Name,
    pub lines: Vec<Spanned<IngressLine>>,
    /// The closing `}` (the default span for a block not parsed from text).
    pub close: Span,
}

#[derive(Debug, Clone)]
pub enum IngressLine {
    Class(Name),
    Annotation(Annotation),
    Host(HostBlock),
    /// A route outside any `host` block: a rule without host.
    Route(Route),
    /// `default -> APP[:PORT]`
    Default(Backend),
    /// `routes ingress|gateway-api`: this ingress's output.
    Routes(Spanned<RoutesMode>),
    /// `gateway NS/NAME`: the Gateway this ingress's routes attach to.
    Gateway(GatewayRef),
}

/// `host HOST { tls SECRET; routes }`
#[derive(Debug, Clone)]
pub struct HostBlock {
    pub host: Spanned<String>,
    pub tls: Vec<Name>,
    pub routes: Vec<Route>,
    /// The closing `}` (the default span for a block not parsed from text).
    pub close: Span,
}

/// `[exact|prefix|implementation-specific] PATH -> APP[:PORT]`
#[derive(Debug, Clone)]
pub struct Route {
    /// `None` when no path type was written (`prefix` is the default).
    pub path_type: Option<Spanned<PathType>>,
    pub path: Spanned<String>,
    pub backend: Backend,
    /// The whole route line.
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PathType {
    Exact,
    Prefix,
    ImplementationSpecific,
}

/// `APP[:PORT]`
#[derive(Debug, Clone)]
pub struct Backend {
    pub app: Name,
    pub port: Option<Name>,
    pub span: Span,
}

/// `allow SOURCES -> DESTINATIONS`
#[derive(Debug, Clone)]
pub struct Flow {
    pub sources: Vec<Peer>,
    pub destinations: Vec<Peer>,
    /// The whole statement.
    pub span: Span,
}

/// One side of a flow, with the ports written after `:`.
///
/// Kept to 96 bytes: a large model has two for every `allow` line, each in a list of its
/// own (the qualified target is boxed, the ports are a boxed slice), and at 100,000 apps
/// they were the largest part of the syntax tree.
#[derive(Debug, Clone)]
pub struct Peer {
    pub target: Spanned<PeerTarget>,
    pub ports: Box<[Spanned<PortRef>]>,
    /// The whole peer, ports included.
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeerTarget {
    /// A single name: an app or external of this namespace, `world` or `ingress`.
    Name(String),
    /// `NS/APP` (boxed: its two names would make every target twice as large)
    Qualified(Box<QualifiedApp>),
    /// `NS/*`
    NamespacePods(Name),
    /// `*`
    AllPods,
    /// `*/*`
    AnyNamespace,
    /// `*/NAME`: not a peer; kept so that the checker can say why.
    AnyNamespaceApp(Name),
}

/// `NS/APP`: an app of another namespace (or of this one, named in full).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QualifiedApp {
    pub namespace: Name,
    pub app: Name,
}

/// A port as a flow names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortRef {
    /// `:http`: a declared port of the peer.
    Name(String),
    /// `:443`, `:443/udp`
    Number { port: u64, protocol: Protocol },
    /// `:*`: every port and protocol.
    All,
    /// `:30000-30100/udp`
    Range {
        low: u64,
        high: u64,
        protocol: Protocol,
    },
}

/// A port or range as written, then its protocol if one was (`53/udp`).
fn write_with_protocol(
    f: &mut std::fmt::Formatter<'_>,
    port: impl std::fmt::Display,
    protocol: &Protocol,
) -> std::fmt::Result {
    match protocol {
        Some(protocol) => write!(f, "{port}/{}", protocol.node),
        None => write!(f, "{port}"),
    }
}

/// The port as written after `:` (`http`, `443/udp`, `*`, `30000-30100`): what the
/// formatter prints and what diagnostics quote.
impl std::fmt::Display for PortRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortRef::All => f.write_str("*"),
            PortRef::Name(name) => f.write_str(name),
            PortRef::Number { port, protocol } => write_with_protocol(f, port, protocol),
            PortRef::Range {
                low,
                high,
                protocol,
            } => write_with_protocol(f, format_args!("{low}-{high}"), protocol),
        }
    }
}

/// The peer as written before its ports (`api`, `shop/api`, `shop/*`, `*/*`): what the
/// formatter prints and what diagnostics quote.
impl std::fmt::Display for PeerTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeerTarget::Name(name) => f.write_str(name),
            PeerTarget::Qualified(qualified) => {
                write!(f, "{}/{}", qualified.namespace.node, qualified.app.node)
            }
            PeerTarget::NamespacePods(namespace) => write!(f, "{}/*", namespace.node),
            PeerTarget::AllPods => f.write_str("*"),
            PeerTarget::AnyNamespace => f.write_str("*/*"),
            PeerTarget::AnyNamespaceApp(app) => write!(f, "*/{}", app.node),
        }
    }
}

/// `443`, `53/udp`: as written in a `port` line.
impl std::fmt::Display for PortNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_with_protocol(f, self.number.node, &self.protocol)
    }
}

/// `30000-30100`, `30000-30100/udp`: as written in a `node-port-range` setting.
impl std::fmt::Display for PortRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (low, high) = (self.low.node, self.high.node);
        write_with_protocol(f, format_args!("{low}-{high}"), &self.protocol)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each form of port prints as it is written after `:`, and a `port` line's number
    /// and a node port range as written.
    #[test]
    fn a_port_prints_as_written() {
        let udp = || Some(Box::new(Spanned::new("udp".to_string(), Span::default())));
        let ports = [
            (PortRef::All, "*"),
            (PortRef::Name("http".to_string()), "http"),
            (
                PortRef::Number {
                    port: 443,
                    protocol: None,
                },
                "443",
            ),
            (
                PortRef::Number {
                    port: 53,
                    protocol: udp(),
                },
                "53/udp",
            ),
            (
                PortRef::Range {
                    low: 30000,
                    high: 30100,
                    protocol: None,
                },
                "30000-30100",
            ),
            (
                PortRef::Range {
                    low: 1,
                    high: 2,
                    protocol: udp(),
                },
                "1-2/udp",
            ),
        ];
        for (port, written) in ports {
            assert_eq!(port.to_string(), written);
        }
        let number = |n| Spanned::new(n, Span::default());
        let port = |protocol| PortNumber {
            number: number(53),
            protocol,
        };
        assert_eq!(port(None).to_string(), "53");
        assert_eq!(port(udp()).to_string(), "53/udp");
        let range = |protocol| PortRange {
            low: number(30000),
            high: number(32767),
            protocol,
            span: Span::default(),
        };
        assert_eq!(range(None).to_string(), "30000-32767");
        assert_eq!(range(udp()).to_string(), "30000-32767/udp");
    }

    /// Each form of peer prints as it is written before `:`, as the formatter writes it
    /// and diagnostics quote it.
    #[test]
    fn a_peer_prints_as_written() {
        let name = |text: &str| Spanned::new(text.to_string(), Span::default());
        let targets = [
            (PeerTarget::Name("api".to_string()), "api"),
            (
                PeerTarget::Qualified(Box::new(QualifiedApp {
                    namespace: name("shop"),
                    app: name("api"),
                })),
                "shop/api",
            ),
            (PeerTarget::NamespacePods(name("shop")), "shop/*"),
            (PeerTarget::AllPods, "*"),
            (PeerTarget::AnyNamespace, "*/*"),
            (PeerTarget::AnyNamespaceApp(name("api")), "*/api"),
        ];
        for (target, written) in targets {
            assert_eq!(target.to_string(), written);
        }
    }

    /// A large file holds an app line per port and label line, and a port per flow
    /// peer: the rare parts (a protocol, a node port) are boxed so that these stay small.
    #[test]
    fn lines_and_ports_stay_small() {
        let line = std::mem::size_of::<Spanned<AppLine>>();
        let port = std::mem::size_of::<Spanned<PortRef>>();
        assert!(line <= 144, "an app line is {line} bytes");
        assert!(port <= 48, "a port of a peer is {port} bytes");
    }

    /// Two peers per `allow` line, each in a list of its own: at 96 bytes a peer takes
    /// mimalloc's 96-byte class, at the 136 of an unboxed qualified target and a `Vec`
    /// of ports the 160-byte one (24 MB more for 100,000 apps).
    #[test]
    fn peers_stay_small() {
        let peer = std::mem::size_of::<Peer>();
        assert!(peer <= 96, "a flow peer is {peer} bytes");
    }
}
