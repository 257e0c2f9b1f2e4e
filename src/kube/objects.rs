//! The fields of the objects `knet import` reads, typed: workloads (their pods' labels
//! and container ports), Services, NetworkPolicies, Ingresses and Namespaces. Fields
//! knet has no use for are ignored; a missing field takes the API server's default.

use crate::collections::IndexMap;
pub(super) use serde_yaml::Value;

use crate::ir::Protocol;
use crate::kube::documents::Object;
use crate::source::Span;

pub type Labels = IndexMap<String, String>;

/// A label selector: `matchLabels` and `matchExpressions` (all must hold).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selector {
    pub labels: Labels,
    pub expressions: Vec<Expression>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expression {
    pub key: String,
    pub operator: String,
    pub values: Vec<String>,
}

impl Selector {
    /// `{}`: selects everything.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.expressions.is_empty()
    }

    pub fn matches(&self, labels: &Labels) -> bool {
        self.labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            && self.expressions.iter().all(|e| {
                let value = labels.get(&e.key);
                match e.operator.as_str() {
                    "In" => value.is_some_and(|v| e.values.contains(v)),
                    "NotIn" => !value.is_some_and(|v| e.values.contains(v)),
                    "Exists" => value.is_some(),
                    "DoesNotExist" => value.is_none(),
                    // An operator the API server would refuse selects nothing.
                    _ => false,
                }
            })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerPort {
    pub name: Option<String>,
    pub number: u16,
    pub protocol: Protocol,
}

/// A set of pods: a workload's pod template, or a Pod.
#[derive(Debug, Clone)]
pub struct Workload {
    pub name: String,
    pub namespace: String,
    pub labels: Labels,
    pub ports: Vec<ContainerPort>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PortValue {
    Number(u16),
    Name(String),
}

#[derive(Debug, Clone)]
pub struct ServicePort {
    pub name: String,
    pub port: u16,
    pub protocol: Protocol,
    pub target: PortValue,
    pub node_port: Option<u16>,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    pub namespace: String,
    pub selector: Option<Labels>,
    /// `ClusterIP`, `NodePort`, `LoadBalancer`, `ExternalName`, or `Headless`.
    pub kind: String,
    pub ports: Vec<ServicePort>,
    pub labels: Labels,
    pub annotations: Labels,
    pub external_name: Option<String>,
    pub external_ips: Vec<String>,
    pub source_ranges: Vec<String>,
    pub traffic_policy: Option<String>,
    pub session_affinity: Option<Option<u64>>,
    pub health_check_node_port: Option<u16>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub enum PolicyPeer {
    /// `namespaceSelector` and/or `podSelector` (`None`: not given).
    Pods {
        namespaces: Option<Selector>,
        pods: Option<Selector>,
    },
    Block {
        cidr: String,
        except: Vec<String>,
    },
}

#[derive(Debug, Clone)]
pub struct PolicyPort {
    pub protocol: Protocol,
    /// `None`: every port of the protocol.
    pub port: Option<PortValue>,
    pub end_port: Option<u16>,
}

#[derive(Debug, Clone)]
pub struct Rule {
    /// `None`: no `from`/`to`, every source or destination.
    pub peers: Option<Vec<PolicyPeer>>,
    /// `None`: every port.
    pub ports: Option<Vec<PolicyPort>>,
}

#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    pub namespace: String,
    pub pod_selector: Selector,
    /// `Some` when the policy isolates that direction (its rules, maybe none).
    pub ingress: Option<Vec<Rule>>,
    pub egress: Option<Vec<Rule>>,
    pub span: Span,
}

#[derive(Debug, Clone)]
pub struct Backend {
    pub service: String,
    pub port: Option<PortValue>,
}

#[derive(Debug, Clone)]
pub struct IngressPath {
    pub path: String,
    pub path_type: String,
    pub backend: Backend,
}

#[derive(Debug, Clone)]
pub struct IngressRule {
    pub host: Option<String>,
    pub paths: Vec<IngressPath>,
}

#[derive(Debug, Clone)]
pub struct Ingress {
    pub name: String,
    pub namespace: String,
    pub class: Option<String>,
    pub annotations: Labels,
    pub tls: Vec<(Vec<String>, String)>,
    pub rules: Vec<IngressRule>,
    pub default: Option<Backend>,
    pub span: Span,
    /// For an HTTPRoute: its Gateway (namespace, name).
    pub gateway: Option<(String, String)>,
    /// For an HTTPRoute: what knet cannot say (`W0405`).
    pub losses: Vec<String>,
}

/// A Gateway: what its HTTPRoutes take from it.
#[derive(Debug, Clone)]
pub struct Gateway {
    pub name: String,
    pub namespace: String,
    pub class: Option<String>,
    /// HTTPS listeners: (hostname, the certificate secret's namespace and name).
    pub certificates: Vec<(String, String, String)>,
}

/// Everything read, by kind, in input order.
#[derive(Debug, Default)]
pub struct Input {
    pub namespaces: IndexMap<String, Labels>,
    pub workloads: Vec<Workload>,
    pub services: Vec<Service>,
    pub policies: Vec<Policy>,
    pub ingresses: Vec<Ingress>,
}

pub fn typed(objects: &[Object]) -> Input {
    let mut input = Input::default();
    let mut gateways = Vec::new();
    for object in objects {
        let v = &object.value;
        let ns = object.namespace.clone();
        match object.kind.as_str() {
            "Namespace" => {
                let labels = labels(v.get("metadata").and_then(|m| m.get("labels")));
                input.namespaces.insert(object.name.clone(), labels);
            }
            "Service" => input.services.push(service(object)),
            "NetworkPolicy" => input.policies.push(policy(object)),
            "Ingress" => input.ingresses.push(ingress(object)),
            "HTTPRoute" => input.ingresses.push(super::gateway::http_route(object)),
            "Gateway" => gateways.push(super::gateway::gateway(object)),
            kind => {
                let template = match kind {
                    "Pod" => Some(v),
                    "CronJob" => path(v, &["spec", "jobTemplate", "spec", "template"]),
                    _ => path(v, &["spec", "template"]),
                };
                if let Some(template) = template {
                    input.workloads.push(Workload {
                        name: object.name.clone(),
                        namespace: ns,
                        labels: labels(path(template, &["metadata", "labels"])),
                        ports: container_ports(template.get("spec")),
                    });
                }
            }
        }
    }
    super::gateway::from_gateways(&mut input.ingresses, &gateways);
    input
}

pub(super) fn path<'v>(value: &'v Value, keys: &[&str]) -> Option<&'v Value> {
    keys.iter().try_fold(value, |v, k| v.get(*k))
}

pub(super) fn string(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn number(value: Option<&Value>) -> Option<u16> {
    value?.as_u64().and_then(|n| u16::try_from(n).ok())
}

pub(super) fn labels(value: Option<&Value>) -> Labels {
    let mut out = Labels::default();
    if let Some(Value::Mapping(map)) = value {
        for (k, v) in map {
            if let (Some(k), Some(v)) = (string(Some(k)), string(Some(v))) {
                out.insert(k, v);
            }
        }
    }
    out
}

pub(super) fn list(value: Option<&Value>) -> &[Value] {
    match value {
        Some(Value::Sequence(items)) => items,
        _ => &[],
    }
}

pub(super) fn strings(value: Option<&Value>) -> Vec<String> {
    list(value).iter().filter_map(|v| string(Some(v))).collect()
}

fn protocol(value: Option<&Value>) -> Protocol {
    match value.and_then(Value::as_str) {
        Some("UDP") => Protocol::Udp,
        Some("SCTP") => Protocol::Sctp,
        _ => Protocol::Tcp,
    }
}

fn port_value(value: Option<&Value>) -> Option<PortValue> {
    match value? {
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| u16::try_from(n).ok())
            .map(PortValue::Number),
        Value::String(s) => Some(match s.parse::<u16>() {
            Ok(n) => PortValue::Number(n),
            Err(_) => PortValue::Name(s.clone()),
        }),
        _ => None,
    }
}

fn container_ports(spec: Option<&Value>) -> Vec<ContainerPort> {
    let Some(spec) = spec else { return Vec::new() };
    list(spec.get("containers"))
        .iter()
        .flat_map(|c| list(c.get("ports")))
        .filter_map(|p| {
            Some(ContainerPort {
                name: string(p.get("name")),
                number: number(p.get("containerPort"))?,
                protocol: protocol(p.get("protocol")),
            })
        })
        .collect()
}

pub fn selector(value: Option<&Value>) -> Selector {
    let Some(value) = value else {
        return Selector::default();
    };
    Selector {
        labels: labels(value.get("matchLabels")),
        expressions: list(value.get("matchExpressions"))
            .iter()
            .map(|e| Expression {
                key: string(e.get("key")).unwrap_or_default(),
                operator: string(e.get("operator")).unwrap_or_default(),
                values: strings(e.get("values")),
            })
            .collect(),
    }
}

fn service(object: &Object) -> Service {
    let v = &object.value;
    let spec = v.get("spec");
    let get = |key: &str| spec.and_then(|s| s.get(key));
    let headless = get("clusterIP").and_then(Value::as_str) == Some("None");
    let kind = match get("type").and_then(Value::as_str) {
        Some(kind @ ("NodePort" | "LoadBalancer" | "ExternalName")) => kind.to_string(),
        _ if headless => "Headless".to_string(),
        _ => "ClusterIP".to_string(),
    };
    let selector = match get("selector") {
        Some(Value::Mapping(_)) => Some(labels(get("selector"))).filter(|l| !l.is_empty()),
        _ => None,
    };
    let ports = list(get("ports"))
        .iter()
        .filter_map(|p| {
            let port = number(p.get("port"))?;
            Some(ServicePort {
                name: string(p.get("name")).unwrap_or_default(),
                port,
                protocol: protocol(p.get("protocol")),
                target: port_value(p.get("targetPort")).unwrap_or(PortValue::Number(port)),
                node_port: number(p.get("nodePort")),
            })
        })
        .collect();
    let metadata = v.get("metadata");
    Service {
        name: object.name.clone(),
        namespace: object.namespace.clone(),
        selector,
        kind,
        ports,
        labels: labels(metadata.and_then(|m| m.get("labels"))),
        annotations: labels(metadata.and_then(|m| m.get("annotations"))),
        external_name: string(get("externalName")),
        external_ips: strings(get("externalIPs")),
        source_ranges: strings(get("loadBalancerSourceRanges")),
        traffic_policy: string(get("externalTrafficPolicy")),
        session_affinity: (get("sessionAffinity").and_then(Value::as_str) == Some("ClientIP"))
            .then(|| {
                spec.and_then(|s| path(s, &["sessionAffinityConfig", "clientIP", "timeoutSeconds"]))
                    .and_then(Value::as_u64)
            }),
        health_check_node_port: number(get("healthCheckNodePort")),
        span: object.span,
    }
}

fn policy(object: &Object) -> Policy {
    let spec = object.value.get("spec");
    let get = |key: &str| spec.and_then(|s| s.get(key));
    // The API server's defaulting (`SetDefaults_NetworkPolicySpec`): without policy
    // types (absent, null or an empty list) a policy is for ingress, and for egress too
    // when it has egress rules (an empty or null `egress` has none).
    let types = strings(get("policyTypes"));
    let (ingress_on, egress_on) = if types.is_empty() {
        (true, !list(get("egress")).is_empty())
    } else {
        (
            types.iter().any(|t| t == "Ingress"),
            types.iter().any(|t| t == "Egress"),
        )
    };
    let rules = |key: &str, peers_key: &str| -> Vec<Rule> {
        list(get(key))
            .iter()
            .map(|r| Rule {
                peers: match r.get(peers_key) {
                    Some(Value::Sequence(peers)) if !peers.is_empty() => {
                        Some(peers.iter().map(policy_peer).collect())
                    }
                    _ => None,
                },
                ports: match r.get("ports") {
                    Some(Value::Sequence(ports)) if !ports.is_empty() => Some(
                        ports
                            .iter()
                            .map(|p| PolicyPort {
                                protocol: protocol(p.get("protocol")),
                                port: port_value(p.get("port")),
                                end_port: number(p.get("endPort")),
                            })
                            .collect(),
                    ),
                    _ => None,
                },
            })
            .collect()
    };
    Policy {
        name: object.name.clone(),
        namespace: object.namespace.clone(),
        pod_selector: selector(get("podSelector")),
        ingress: ingress_on.then(|| rules("ingress", "from")),
        egress: egress_on.then(|| rules("egress", "to")),
        span: object.span,
    }
}

fn policy_peer(value: &Value) -> PolicyPeer {
    if let Some(block) = value.get("ipBlock") {
        return PolicyPeer::Block {
            cidr: string(block.get("cidr")).unwrap_or_default(),
            except: strings(block.get("except")),
        };
    }
    PolicyPeer::Pods {
        namespaces: value.get("namespaceSelector").map(|s| selector(Some(s))),
        pods: value.get("podSelector").map(|s| selector(Some(s))),
    }
}

fn backend(value: Option<&Value>) -> Option<Backend> {
    let service = value?.get("service")?;
    Some(Backend {
        service: string(service.get("name"))?,
        port: service
            .get("port")
            .and_then(|p| port_value(p.get("number")).or_else(|| port_value(p.get("name")))),
    })
}

fn ingress(object: &Object) -> Ingress {
    let spec = object.value.get("spec");
    let get = |key: &str| spec.and_then(|s| s.get(key));
    let metadata = object.value.get("metadata");
    Ingress {
        name: object.name.clone(),
        namespace: object.namespace.clone(),
        class: string(get("ingressClassName")),
        annotations: labels(metadata.and_then(|m| m.get("annotations"))),
        tls: list(get("tls"))
            .iter()
            .filter_map(|t| Some((strings(t.get("hosts")), string(t.get("secretName"))?)))
            .collect(),
        rules: list(get("rules"))
            .iter()
            .map(|r| IngressRule {
                host: string(r.get("host")),
                paths: list(path(r, &["http", "paths"]))
                    .iter()
                    .filter_map(|p| {
                        Some(IngressPath {
                            path: string(p.get("path")).unwrap_or_else(|| "/".to_string()),
                            path_type: string(p.get("pathType"))
                                .unwrap_or_else(|| "Prefix".to_string()),
                            backend: backend(p.get("backend"))?,
                        })
                    })
                    .collect(),
            })
            .collect(),
        default: backend(get("defaultBackend")),
        span: object.span,
        gateway: None,
        losses: Vec::new(),
    }
}

/// Labels and selectors for property tests: a small pool of keys and values, so that
/// selectors often match.
#[cfg(test)]
pub mod strategies {
    use super::{Expression, Labels, Selector};
    use proptest::prelude::*;

    pub fn labels() -> impl Strategy<Value = Labels> {
        prop::collection::vec((0..3usize, 0..3usize), 0..4).prop_map(|pairs| {
            pairs
                .into_iter()
                .map(|(k, v)| (format!("k{k}"), format!("v{v}")))
                .collect()
        })
    }

    /// `matchLabels` and `matchExpressions` of every operator (and one the API server
    /// would refuse).
    pub fn selector() -> impl Strategy<Value = Selector> {
        let expression = (0..3usize, 0..5usize, 0..3usize).prop_map(|(k, op, v)| Expression {
            key: format!("k{k}"),
            operator: ["In", "NotIn", "Exists", "DoesNotExist", "Bogus"][op].to_string(),
            values: vec![format!("v{v}")],
        });
        (labels(), prop::collection::vec(expression, 0..2)).prop_map(|(labels, expressions)| {
            Selector {
                labels,
                expressions,
            }
        })
    }
}
