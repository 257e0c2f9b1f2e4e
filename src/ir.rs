//! The intermediate representation: what a model means.
//!
//! Built by the checker from the AST of every file. Names are resolved, ports are
//! numbers, defaults are applied, implied flows (ingress routes, node ports, load
//! balancers) are added, and maps keep source order. Backends read only this and can
//! not fail on user input.

use std::net::IpAddr;

use crate::collections::IndexMap;
use ipnet::IpNet;

pub type Labels = IndexMap<String, String>;

/// A whole compilation unit.
#[derive(Debug, Clone)]
pub struct Model {
    pub cluster: Cluster,
    /// In order of first appearance.
    pub namespaces: IndexMap<String, Namespace>,
    /// Every flow, declared and implied, in source order.
    pub flows: Vec<Flow>,
    /// `unmanaged namespace` blocks: apps that flows may name, for which knet writes
    /// nothing.
    pub unmanaged: IndexMap<String, Namespace>,
    /// `namespaces GROUP { labels ... }`: each group's namespace labels.
    pub groups: IndexMap<String, Labels>,
    /// `expect` lines, in source order, checked against the emitted policies by
    /// `crate::analysis::expect`.
    pub expectations: Vec<Expectation>,
}

impl Model {
    /// The Gateways that `routes gateway-api` ingresses attach to, each once, in order
    /// of first use.
    pub fn route_gateways(&self) -> crate::collections::IndexSet<&GatewayRef> {
        self.namespaces
            .values()
            .flat_map(|ns| ns.ingresses.values())
            .filter_map(|ingress| match &ingress.output {
                IngressOutput::HttpRoutes(gateway) => Some(gateway),
                IngressOutput::Ingress => None,
            })
            .collect()
    }

    /// Whether some `ingress` block is written as an Ingress (so the ingress controller
    /// carries routes).
    pub fn has_ingress_objects(&self) -> bool {
        self.namespaces
            .values()
            .flat_map(|ns| ns.ingresses.values())
            .any(|ingress| ingress.output == IngressOutput::Ingress)
    }
}

/// `expect allow|deny SOURCE -> DESTINATION[:PORT]`, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    pub allow: bool,
    pub source: ExpectEnd,
    pub destination: ExpectEnd,
    pub port: Option<ExpectPort>,
    /// The namespace whose block holds the line.
    pub namespace: String,
    pub span: crate::source::Span,
    pub source_span: crate::source::Span,
    pub destination_span: crate::source::Span,
}

/// What an `expect` line names: an endpoint of the reachability analysis, or (for
/// `*` and `NS/*` of a namespace declared in knet) every app of a namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectEnd {
    App {
        namespace: String,
        app: String,
    },
    /// Every app of a namespace declared in knet (`*`, `NS/*`).
    AppsOf(String),
    /// A pod of a namespace knet does not declare (`NS/*`).
    NamespacePods(String),
    /// A pod of a namespace of a namespace group (`GROUP/*`).
    Group(String),
    /// A pod of a namespace nothing names (`*/*`).
    Elsewhere,
    IngressController,
    World,
    External {
        namespace: String,
        name: String,
    },
}

/// The port of an `expect` line's destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectPort {
    /// A port of the destination app, as declared.
    App(ServicePort),
    Number {
        protocol: Protocol,
        port: u16,
    },
}

/// The target cluster (the `cluster` block, with kubeadm defaults).
#[derive(Debug, Clone)]
pub struct Cluster {
    pub service_cidr: IpNet,
    pub pod_cidr: IpNet,
    pub node_port_range: (u16, u16),
    pub dns: Selector,
    pub dns_port: u16,
    pub ingress_controller: Selector,
    pub node_ip: IpAddr,
    pub node_name: String,
    pub masquerade_mark: String,
    pub localhost_node_ports: bool,
    pub random_fully: bool,
    pub nfacct: bool,
    pub policy_version: String,
    /// The label key of an app without `labels` (`app-label`, default `app`).
    pub app_label: String,
    /// `routes`: what an `ingress` block becomes unless it says otherwise.
    pub routes: RoutesMode,
    /// `gateway NS/NAME`: the Gateway of every route that names none.
    pub gateway: Option<GatewayRef>,
    /// `gateway-pods`: the Gateways' data-plane pods, where set (see [`Cluster::gateway_pods`]).
    pub gateway_pods_namespace: Option<String>,
    pub gateway_pods_labels: Option<Labels>,
}

/// The label the Gateway API asks implementations to put on a Gateway's data-plane pods
/// (GEP-1762): knet's default selector of those pods.
pub const GATEWAY_NAME_LABEL: &str = "gateway.networking.k8s.io/gateway-name";

impl Cluster {
    /// The data-plane pods of a Gateway: the `gateway-pods` setting, whose missing
    /// clauses default to the Gateway's namespace and the pods labelled
    /// `gateway.networking.k8s.io/gateway-name=NAME`.
    pub fn gateway_pods(&self, gateway: &GatewayRef) -> Selector {
        Selector {
            namespace: self
                .gateway_pods_namespace
                .clone()
                .unwrap_or_else(|| gateway.namespace.clone()),
            labels: self.gateway_pods_labels.clone().unwrap_or_else(|| {
                std::iter::once((GATEWAY_NAME_LABEL.to_string(), gateway.name.clone())).collect()
            }),
        }
    }
}

/// What an `ingress` block becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoutesMode {
    /// A `networking.k8s.io/v1` Ingress.
    Ingress,
    /// Gateway API objects: HTTPRoutes, and the Gateway when knet owns it.
    GatewayApi,
}

/// A Gateway, by namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GatewayRef {
    pub namespace: String,
    pub name: String,
}

impl Cluster {
    /// The ports of the cluster DNS: UDP and TCP on the DNS port.
    pub fn dns_ports(&self) -> Vec<PolicyPort> {
        [Protocol::Udp, Protocol::Tcp]
            .into_iter()
            .map(|protocol| PolicyPort {
                protocol,
                port: TargetPort::Number(self.dns_port),
                end_port: None,
            })
            .collect()
    }
}

/// Pods in a namespace, picked by name and labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    pub namespace: String,
    pub labels: Labels,
}

#[derive(Debug, Clone)]
pub struct Namespace {
    pub name: String,
    pub isolate_ingress: bool,
    pub isolate_egress: bool,
    pub dns: bool,
    pub apps: IndexMap<String, App>,
    pub externals: IndexMap<String, External>,
    pub ingresses: IndexMap<String, Ingress>,
    /// The Gateways knet writes in this namespace, in order of first use.
    pub gateways: IndexMap<String, Gateway>,
    /// The ReferenceGrants that let Gateways of other namespaces use this namespace's
    /// TLS secrets.
    pub reference_grants: Vec<ReferenceGrant>,
}

impl Namespace {
    /// The place among the namespace's apps of the app `app` that a [`Peer::App`] of
    /// this namespace names: the `place` it carries. Debug builds check it against the
    /// name, so that every test model holds the two to agree.
    pub fn place_of(&self, app: &str, place: u32) -> usize {
        debug_assert_eq!(self.apps.get_index_of(app), Some(place as usize), "{app}");
        place as usize
    }
}

/// A Gateway that knet owns (its namespace is declared in knet), built from every
/// `ingress` block whose routes attach to it.
#[derive(Debug, Clone)]
pub struct Gateway {
    pub name: String,
    pub class: String,
    /// `http` first, then one HTTPS listener per TLS host, in order of first use.
    pub listeners: Vec<Listener>,
    /// The namespaces of the routes that attach, in order of first use.
    pub route_namespaces: Vec<String>,
}

/// A listener of a Gateway: HTTP on port 80 for every host, or HTTPS on 443 for one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    /// The section name (`http`, `https-HOST`).
    pub name: String,
    pub hostname: Option<String>,
    pub port: u16,
    /// HTTPS: the `kubernetes.io/tls` secret that terminates TLS.
    pub certificate: Option<SecretRef>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretRef {
    pub namespace: String,
    pub name: String,
}

/// Lets the Gateways of `from_namespace` use `secrets` of the grant's namespace.
#[derive(Debug, Clone)]
pub struct ReferenceGrant {
    pub name: String,
    pub from_namespace: String,
    pub secrets: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Protocol {
    Tcp,
    Udp,
    Sctp,
}

impl Protocol {
    /// As Kubernetes spells it.
    pub fn as_k8s(self) -> &'static str {
        match self {
            Protocol::Tcp => "TCP",
            Protocol::Udp => "UDP",
            Protocol::Sctp => "SCTP",
        }
    }

    /// As iptables spells it.
    pub fn as_lower(self) -> &'static str {
        match self {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
            Protocol::Sctp => "sctp",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceType {
    ClusterIp,
    NodePort,
    LoadBalancer,
    Headless,
    /// `service none`: no Service object; the ports still serve policies.
    None,
}

impl ServiceType {
    /// `node-port` and `load-balancer`: the Service takes node ports and is reachable
    /// from outside the cluster.
    pub fn exposed_on_nodes(self) -> bool {
        matches!(self, ServiceType::NodePort | ServiceType::LoadBalancer)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrafficPolicy {
    Local,
    Cluster,
}

/// The container port a Service port forwards to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TargetPort {
    Number(u16),
    Name(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePort {
    /// Empty for the unnamed single port of an app (`port 80 -> 8080`).
    pub name: String,
    pub port: u16,
    pub protocol: Protocol,
    pub target: TargetPort,
    pub node_port: Option<u16>,
}

impl ServicePort {
    /// Whether a flow or route naming `name` means this port: its name, or for an
    /// unnamed port its number.
    pub fn answers_to(&self, name: &str) -> bool {
        if self.name.is_empty() {
            name.parse::<u16>().is_ok_and(|n| n == self.port)
        } else {
            self.name == name
        }
    }

    /// The port as a person names it: its name, or its number when it has none.
    pub fn display_name(&self) -> String {
        if self.name.is_empty() {
            self.port.to_string()
        } else {
            self.name.clone()
        }
    }
}

/// An app: a set of pods, the Service named after it, and any extra Services over the
/// same pods.
#[derive(Debug, Clone)]
pub struct App {
    pub name: String,
    /// Shared with the app's extra Services and with every flow peer that names the
    /// app (a large model has hundreds of thousands).
    pub labels: std::sync::Arc<Labels>,
    /// `service NAME { ... }`: extra Services over the app's pods. Each is an `App` whose
    /// `labels` and `preview` are this app's, whose `ports` are a subset of this app's,
    /// and whose own `extra_services` is empty.
    pub extra_services: Vec<App>,
    pub ports: Vec<ServicePort>,
    /// `ServiceType::None` for an app without ports.
    pub service: ServiceType,
    /// The Service's settings that most apps leave unset (`app.settings.cluster_ip`
    /// reads through to them).
    pub settings: Settings,
    pub preview: AppPreview,
}

/// The settings of an app's Service that most apps leave unset.
#[derive(Debug, Clone)]
pub struct ServiceSettings {
    /// Labels for the Service objects only (`service-labels`), after the pod labels.
    pub service_labels: Labels,
    pub cluster_ip: Option<IpAddr>,
    pub external_ips: Vec<IpAddr>,
    pub source_ranges: Vec<IpNet>,
    pub traffic_policy: Option<TrafficPolicy>,
    pub health_check_node_port: Option<u16>,
    /// `Some(timeout)` for `session-affinity client-ip`.
    pub session_affinity: Option<Option<u32>>,
    pub annotations: IndexMap<String, String>,
}

impl ServiceSettings {
    /// Every setting unset.
    pub const UNSET: ServiceSettings = ServiceSettings {
        service_labels: IndexMap::with_hasher(crate::collections::BuildHasher {}),
        cluster_ip: None,
        external_ips: Vec::new(),
        source_ranges: Vec::new(),
        traffic_policy: None,
        health_check_node_port: None,
        session_affinity: None,
        annotations: IndexMap::with_hasher(crate::collections::BuildHasher {}),
    };
}

/// An app's [`ServiceSettings`] behind one pointer, and no allocation while all are
/// unset: it reads as [`ServiceSettings::UNSET`] then, and the first write makes its
/// own. Held inline, the settings made an app 328 bytes instead of 152, and a model
/// of 100,000 apps, most of which set none, held 18 MB of them.
#[derive(Debug, Clone, Default)]
pub struct Settings(Option<Box<ServiceSettings>>);

impl std::ops::Deref for Settings {
    type Target = ServiceSettings;

    fn deref(&self) -> &ServiceSettings {
        static UNSET: ServiceSettings = ServiceSettings::UNSET;
        self.0.as_deref().unwrap_or(&UNSET)
    }
}

impl std::ops::DerefMut for Settings {
    fn deref_mut(&mut self) -> &mut ServiceSettings {
        self.0
            .get_or_insert_with(|| Box::new(ServiceSettings::UNSET))
    }
}

impl App {
    /// The app has a Service with a ClusterIP (not headless, not `service none`).
    pub fn has_cluster_ip(&self) -> bool {
        !self.ports.is_empty()
            && matches!(
                self.service,
                ServiceType::ClusterIp | ServiceType::NodePort | ServiceType::LoadBalancer
            )
    }

    /// A load balancer with `traffic-policy local` gets a health-check node port.
    pub fn has_health_check_node_port(&self) -> bool {
        self.service == ServiceType::LoadBalancer
            && self.settings.traffic_policy == Some(TrafficPolicy::Local)
    }

    /// The app's Services: its own (named after it) and the extra ones, in source
    /// order. For an app without a Service the first is still yielded: callers check
    /// `service` and `ports` as before.
    pub fn services(&self) -> impl Iterator<Item = &App> {
        std::iter::once(self).chain(&self.extra_services)
    }

    /// How many node ports the Service takes: one per port, plus the health check.
    pub fn node_port_count(&self) -> usize {
        if self.service.exposed_on_nodes() {
            self.ports.len() + usize::from(self.has_health_check_node_port())
        } else {
            0
        }
    }
}

/// Lines that only the previews read.
#[derive(Debug, Clone, Default)]
pub struct AppPreview {
    pub replicas: u32,
    pub endpoints: Vec<PreviewEndpoint>,
    pub load_balancer_ingress: Vec<IpAddr>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreviewEndpoint {
    pub address: IpAddr,
    pub local: bool,
}

#[derive(Debug, Clone)]
pub struct External {
    pub name: String,
    pub host: Option<String>,
    pub cidrs: Vec<IpBlock>,
    pub ports: Vec<ExternalPort>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IpBlock {
    pub cidr: IpNet,
    pub except: Vec<IpNet>,
}

#[derive(Debug, Clone)]
pub struct ExternalPort {
    pub name: String,
    pub port: u16,
    pub protocol: Protocol,
}

#[derive(Debug, Clone)]
pub struct Ingress {
    pub name: String,
    pub class: Option<String>,
    pub annotations: IndexMap<String, String>,
    pub default_backend: Option<Backend>,
    /// Rules in source order; `host: None` is the rule without host.
    pub rules: Vec<IngressRule>,
    /// TLS entries grouped by secret, in order of first use.
    pub tls: IndexMap<String, Vec<String>>,
    /// An Ingress, or HTTPRoutes attached to this Gateway: decided once, here.
    pub output: IngressOutput,
}

/// What an `ingress` block is written as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IngressOutput {
    Ingress,
    /// HTTPRoutes (see [`crate::routes`]) whose parent is this Gateway.
    HttpRoutes(GatewayRef),
}

#[derive(Debug, Clone)]
pub struct IngressRule {
    pub host: Option<String>,
    pub paths: Vec<IngressPath>,
}

#[derive(Debug, Clone)]
pub struct IngressPath {
    pub path: String,
    pub path_type: PathType,
    pub backend: Backend,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PathType {
    Exact,
    Prefix,
    ImplementationSpecific,
}

impl PathType {
    pub fn as_k8s(self) -> &'static str {
        match self {
            PathType::Exact => "Exact",
            PathType::Prefix => "Prefix",
            PathType::ImplementationSpecific => "ImplementationSpecific",
        }
    }
}

/// A Service port of an app of the ingress's namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backend {
    pub service: String,
    pub port: u16,
}

/// One allowed flow: `from` may open connections to `to` on `ports` (empty: all ports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    pub from: Peer,
    pub to: Peer,
    pub ports: Vec<PolicyPort>,
    /// What made the flow, for the warnings that point at it.
    pub origin: FlowOrigin,
}

/// Where a flow comes from: an `allow` statement, or what exposure implies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowOrigin {
    /// An `allow` statement, with the source and destination peers this flow is for.
    Declared {
        statement: crate::source::Span,
        from: crate::source::Span,
        to: crate::source::Span,
    },
    /// An ingress route (or default backend) lets the controller reach its backend.
    Route { route: crate::source::Span },
    /// A `node-port` or `load-balancer` app lets `world` (or its source ranges) in.
    Exposure { app: crate::source::Span },
    /// The cluster DNS namespace is declared in knet: every pod may reach the DNS pods.
    ClusterDns { namespace: crate::source::Span },
}

/// One side of a flow, resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Peer {
    /// An app of a namespace declared in knet.
    ///
    /// Its names and labels are shared (`Arc`): a peer is copied into every flow of its
    /// statement and every policy rule it feeds.
    App {
        namespace: std::sync::Arc<str>,
        app: std::sync::Arc<str>,
        labels: std::sync::Arc<Labels>,
        /// The app's place among its namespace's apps ([`Namespace::apps`]): what
        /// follows a flow to its app looks it up by this ([`Namespace::place_of`]), not
        /// by its name (at 100,000 apps in a namespace, a lookup by name reads memory
        /// no cache holds).
        place: u32,
    },
    /// Every pod of a namespace.
    Namespace { namespace: std::sync::Arc<str> },
    /// Every pod of every namespace (`namespaceSelector: {}`): the clients of cluster DNS.
    AnyNamespace,
    /// Pods picked by labels in a namespace (the ingress controller, cluster DNS).
    /// Boxed, as is a group's label map: every flow holds two peers, and these two
    /// rare ones would double the size of the rest.
    Pods(Box<Selector>),
    /// Addresses outside the cluster (`world`, externals, source ranges).
    Addresses(Vec<IpBlock>),
    /// Anything at all, in the cluster or outside (`any`): a rule with no `from`/`to`.
    Any,
    /// Every pod of the namespaces of a namespace group (`GROUP/*`).
    NamespaceGroup { group: String, labels: Box<Labels> },
}

/// What tells two peers apart, cheap to hash and compare. `Peer` holds maps, so it has
/// no `Hash`: an app is known by its namespace and its place among the namespace's apps
/// (which stands for its name, and its labels follow from them), a namespace, group,
/// `*/*` or `any` by what names them, and pod selectors and addresses by their debug
/// form, which is faithful.
///
/// The place, not the name: W0106's index hashes and compares a key for every flow,
/// and at 100,000 apps an app's name lies in memory no cache holds, while the few
/// namespace names stay in the cache.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PeerKey<'p> {
    App(&'p str, u32),
    Namespace(&'p str),
    AnyNamespace,
    Any,
    Group(&'p str),
    Other(String),
}

impl Peer {
    pub fn key(&self) -> PeerKey<'_> {
        match self {
            Peer::App {
                namespace, place, ..
            } => PeerKey::App(namespace, *place),
            Peer::Namespace { namespace } => PeerKey::Namespace(namespace),
            Peer::AnyNamespace => PeerKey::AnyNamespace,
            Peer::Any => PeerKey::Any,
            Peer::NamespaceGroup { group, .. } => PeerKey::Group(group),
            Peer::Pods(_) | Peer::Addresses(_) => PeerKey::Other(format!("{self:?}")),
        }
    }
}

/// A port in a NetworkPolicy: a number (with `endPort` for ranges) or a named port.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PolicyPort {
    pub protocol: Protocol,
    pub port: TargetPort,
    pub end_port: Option<u16>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large model holds tens of thousands of flows, two peers each, from `check` to
    /// the output: a peer stays the size of an app's shared names (two `Arc<str>` and
    /// its labels), with the rare selector and group peers boxed.
    #[test]
    fn peers_and_flows_stay_small() {
        assert!(
            std::mem::size_of::<Peer>() <= 48,
            "{}",
            std::mem::size_of::<Peer>()
        );
        assert!(
            std::mem::size_of::<Flow>() <= 160,
            "{}",
            std::mem::size_of::<Flow>()
        );
    }

    /// An app holds one pointer for the Service settings most apps leave unset (it was
    /// 328 bytes with them inline).
    #[test]
    fn apps_stay_small() {
        let app = std::mem::size_of::<App>();
        assert!(app <= 152, "an app is {app} bytes");
    }

    /// Unset settings read as unset without a box; the first write makes one, which
    /// keeps what is written and goes with a clone.
    #[test]
    fn settings_are_boxed_on_the_first_write() {
        let mut settings = Settings::default();
        assert!(settings.cluster_ip.is_none() && settings.annotations.is_empty());
        assert!(settings.0.is_none(), "reading made a box");
        let ip: IpAddr = "10.96.0.10".parse().expect("an address");
        settings.cluster_ip = Some(ip);
        assert!(settings.0.is_some());
        let copy = settings.clone();
        assert_eq!(copy.cluster_ip, Some(ip));
        assert!(copy.external_ips.is_empty());
    }
}
