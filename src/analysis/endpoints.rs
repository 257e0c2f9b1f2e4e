//! The endpoints the evaluator asks about: a pod for every app (its labels, and its
//! ports as container ports), and the representatives of everything else.
//!
//! | endpoint | id | stands for |
//! | --- | --- | --- |
//! | an app, managed or in an `unmanaged namespace` | `NS/APP` | its pods |
//! | the cluster DNS (unless an app is it) | `NS/cluster-dns` | the DNS pods of the `cluster` block |
//! | the ingress controller (unless an app is it) | `NS/ingress-controller` | its pods |
//! | each Gateway of `routes gateway-api` ingresses (unless an app is its pods) | `NS/gateway-NAME` | its data-plane pods (`gateway-pods`) |
//! | a namespace a policy names but knet does not declare | `NS/*` | a pod there |
//! | a namespace group a policy selects | `GROUP/*` | a pod in a namespace with the group's labels (namespace `group-GROUP`) |
//! | any other namespace | `elsewhere/*` | a pod in a namespace no policy names |
//! | an external with `cidr` | `NS/EXTERNAL` | an address of its first block, outside its exceptions |
//! | `world` | `world` | an outside address no external has (`203.0.113.10`, or `2001:db8::10`) |
//! | the cloud metadata service | `metadata` | `169.254.169.254` (or `fd00:ec2::254`) |
//!
//! A port `NAME N -> T` is the container port `T` named `NAME`; a target given by name
//! (`-> web`) is the container port `web`, numbered like the Service port (as the
//! preview does: the number is the pod's, which knet does not know).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::collections::IndexMap;
use ipnet::IpNet;

use super::eval::Objects;
use crate::ir::{self, Model, TargetPort};
use crate::kube::objects::{ContainerPort, Labels, PolicyPeer};

/// The label every namespace carries with its own name.
pub const NAMESPACE_NAME_LABEL: &str = "kubernetes.io/metadata.name";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    App,
    /// An app of an `unmanaged namespace`.
    Unmanaged,
    Dns,
    IngressController,
    /// The data-plane pods of a Gateway that `routes gateway-api` ingresses attach to.
    Gateway,
    /// A pod of a namespace that policies name and knet does not declare.
    NamespacePod,
    /// A pod of a namespace that a group's labels select.
    GroupPod,
    /// A pod of a namespace nothing names.
    Elsewhere,
    External,
    World,
    Metadata,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::App => "app",
            Kind::Unmanaged => "unmanaged-app",
            Kind::Dns => "cluster-dns",
            Kind::IngressController => "ingress-controller",
            Kind::Gateway => "gateway",
            Kind::NamespacePod => "namespace-pod",
            Kind::GroupPod => "group-pod",
            Kind::Elsewhere => "other-namespace-pod",
            Kind::External => "external",
            Kind::World => "world",
            Kind::Metadata => "metadata",
        }
    }
}

impl Endpoint {
    /// Whether this is a pod the selector (a `cluster` component's) selects.
    pub fn is_selected_by(&self, selector: &ir::Selector) -> bool {
        match &self.place {
            Place::Pod(pod) => {
                pod.namespace == selector.namespace
                    && selector
                        .labels
                        .iter()
                        .all(|(k, v)| pod.labels.get(k) == Some(v))
            }
            Place::Address(_) => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pod {
    pub namespace: String,
    /// The pod's name (for tools that need one, such as np-guard's analyzer).
    pub name: String,
    pub labels: Labels,
    pub ports: Vec<ContainerPort>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Pod(Pod),
    Address(IpAddr),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: String,
    pub kind: Kind,
    pub place: Place,
}

impl Endpoint {
    pub fn namespace(&self) -> Option<&str> {
        match &self.place {
            Place::Pod(pod) => Some(&pod.namespace),
            Place::Address(_) => None,
        }
    }
}

/// Every endpoint of a model, and the labels of every namespace they are in (added to
/// `objects.namespaces`).
pub fn endpoints(model: &Model, objects: &mut Objects) -> Vec<Endpoint> {
    let mut out = Vec::new();
    let mut namespace_labels: IndexMap<String, Labels> = IndexMap::default();
    for (kind, namespaces) in [
        (Kind::App, &model.namespaces),
        (Kind::Unmanaged, &model.unmanaged),
    ] {
        for ns in namespaces.values() {
            add_namespace(&mut namespace_labels, &ns.name, &Labels::default());
            for app in ns.apps.values() {
                out.push(Endpoint {
                    id: format!("{}/{}", ns.name, app.name),
                    kind,
                    place: Place::Pod(Pod {
                        namespace: ns.name.clone(),
                        name: app.name.clone(),
                        labels: (*app.labels).clone(),
                        ports: container_ports(app),
                    }),
                });
            }
        }
    }
    let gateway_pods: Vec<(String, ir::Selector)> = model
        .route_gateways()
        .into_iter()
        .map(|gateway| {
            let pods = model.cluster.gateway_pods(gateway);
            (format!("gateway-{}", gateway.name), pods)
        })
        .collect();
    let components = [
        (Kind::Dns, "cluster-dns".to_string(), &model.cluster.dns),
        (
            Kind::IngressController,
            "ingress-controller".to_string(),
            &model.cluster.ingress_controller,
        ),
    ];
    let gateway_components = gateway_pods
        .iter()
        .map(|(name, selector)| (Kind::Gateway, name.clone(), selector));
    for (kind, name, selector) in components.into_iter().chain(gateway_components) {
        let known = out.iter().any(|e| e.is_selected_by(selector));
        if !known {
            add_namespace(
                &mut namespace_labels,
                &selector.namespace,
                &Labels::default(),
            );
            out.push(Endpoint {
                id: format!("{}/{name}", selector.namespace),
                kind,
                place: Place::Pod(Pod {
                    namespace: selector.namespace.clone(),
                    name: name.to_string(),
                    labels: selector.labels.clone(),
                    ports: Vec::new(),
                }),
            });
        }
    }
    // Namespaces and namespace groups the emitted policies select.
    let mut named: Vec<String> = Vec::new();
    let mut groups: Vec<Labels> = Vec::new();
    for policy in objects.policies() {
        let rules = policy.ingress.iter().chain(&policy.egress).flatten();
        for peer in rules.filter_map(|r| r.peers.as_ref()).flatten() {
            let PolicyPeer::Pods {
                namespaces: Some(selector),
                ..
            } = peer
            else {
                continue;
            };
            if selector.labels.is_empty() {
                continue;
            }
            match selector.labels.get(NAMESPACE_NAME_LABEL) {
                Some(name) if selector.labels.len() == 1 => {
                    if !namespace_labels.contains_key(name) && !named.contains(name) {
                        named.push(name.clone());
                    }
                }
                _ => {
                    if !groups.contains(&selector.labels) {
                        groups.push(selector.labels.clone());
                    }
                }
            }
        }
    }
    for name in named {
        add_namespace(&mut namespace_labels, &name, &Labels::default());
        out.push(other_pod(format!("{name}/*"), Kind::NamespacePod, &name));
    }
    for (index, labels) in groups.iter().enumerate() {
        let group = model
            .groups
            .iter()
            .find(|(_, l)| *l == labels)
            .map_or_else(|| format!("group-{}", index + 1), |(name, _)| name.clone());
        let namespace = unused(&format!("group-{group}"), &namespace_labels);
        add_namespace(&mut namespace_labels, &namespace, labels);
        out.push(other_pod(format!("{group}/*"), Kind::GroupPod, &namespace));
    }
    let elsewhere = unused("elsewhere", &namespace_labels);
    add_namespace(&mut namespace_labels, &elsewhere, &Labels::default());
    out.push(other_pod(
        format!("{elsewhere}/*"),
        Kind::Elsewhere,
        &elsewhere,
    ));
    addresses(model, &mut out);
    for (name, labels) in namespace_labels {
        objects.namespaces.entry(name).or_insert(labels);
    }
    out
}

fn add_namespace(namespaces: &mut IndexMap<String, Labels>, name: &str, extra: &Labels) {
    let labels = namespaces.entry(name.to_string()).or_insert_with(|| {
        Labels::from_iter([(NAMESPACE_NAME_LABEL.to_string(), name.to_string())])
    });
    labels.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
}

/// A pod with no labels or ports standing for a namespace (`NS/*`, `elsewhere/*`...).
pub(super) fn other_pod(id: String, kind: Kind, namespace: &str) -> Endpoint {
    Endpoint {
        id,
        kind,
        place: Place::Pod(Pod {
            namespace: namespace.to_string(),
            name: "pod".to_string(),
            labels: Labels::default(),
            ports: Vec::new(),
        }),
    }
}

/// `base`, or `base-2`, `base-3`... whichever no namespace has.
fn unused(base: &str, taken: &IndexMap<String, Labels>) -> String {
    let mut name = base.to_string();
    let mut n = 1;
    while taken.contains_key(&name) {
        n += 1;
        name = format!("{base}-{n}");
    }
    name
}

fn container_ports(app: &ir::App) -> Vec<ContainerPort> {
    let mut ports: Vec<ContainerPort> = Vec::new();
    for port in &app.ports {
        let (name, number) = match &port.target {
            TargetPort::Number(n) => ((!port.name.is_empty()).then(|| port.name.clone()), *n),
            TargetPort::Name(name) => (Some(name.clone()), port.port),
        };
        let same = |p: &ContainerPort| p.number == number && p.protocol == port.protocol;
        if ports.iter().any(same) {
            continue;
        }
        ports.push(ContainerPort {
            name,
            number,
            protocol: port.protocol,
        });
    }
    ports
}

/// Externals with addresses, `world`, and the metadata address, in the cluster's family.
fn addresses(model: &Model, out: &mut Vec<Endpoint>) {
    let v6 = matches!(model.cluster.pod_cidr, IpNet::V6(_));
    let mut taken: Vec<ir::IpBlock> = Vec::new();
    for ns in model.namespaces.values() {
        for external in ns.externals.values() {
            let Some(address) = external.cidrs.iter().find_map(first_address) else {
                continue;
            };
            if address.is_ipv6() != v6 {
                continue;
            }
            taken.extend(external.cidrs.iter().cloned());
            out.push(Endpoint {
                id: format!("{}/{}", ns.name, external.name),
                kind: Kind::External,
                place: Place::Address(address),
            });
        }
    }
    let world_candidates: [IpAddr; 3] = if v6 {
        [
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x10)),
            IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0xffff, 0, 0, 0, 0, 0x10)),
            IpAddr::V6(Ipv6Addr::new(0x2600, 0, 0, 0, 0, 0, 0, 0x10)),
        ]
    } else {
        [
            IpAddr::V4(Ipv4Addr::new(203, 0, 113, 10)),
            IpAddr::V4(Ipv4Addr::new(198, 51, 100, 10)),
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10)),
        ]
    };
    let in_external = |a: &IpAddr| {
        taken
            .iter()
            .any(|b| b.cidr.contains(a) && !b.except.iter().any(|e| e.contains(a)))
    };
    let world = world_candidates
        .iter()
        .find(|a| !in_external(a))
        .unwrap_or(&world_candidates[0]);
    out.push(Endpoint {
        id: "world".to_string(),
        kind: Kind::World,
        place: Place::Address(*world),
    });
    let metadata = if v6 {
        IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254))
    } else {
        IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254))
    };
    out.push(Endpoint {
        id: "metadata".to_string(),
        kind: Kind::Metadata,
        place: Place::Address(metadata),
    });
}

/// The first address of a block that none of its exceptions holds.
fn first_address(block: &ir::IpBlock) -> Option<IpAddr> {
    let mut candidate = block.cidr.network();
    for _ in 0..=block.except.len() {
        match block.except.iter().find(|e| e.contains(&candidate)) {
            None => return Some(candidate),
            Some(except) => candidate = next_address(except.broadcast())?,
        }
        if !block.cidr.contains(&candidate) {
            return None;
        }
    }
    None
}

fn next_address(address: IpAddr) -> Option<IpAddr> {
    match address {
        IpAddr::V4(a) => u32::from(a).checked_add(1).map(|n| IpAddr::V4(n.into())),
        IpAddr::V6(a) => u128::from(a).checked_add(1).map(|n| IpAddr::V6(n.into())),
    }
}
