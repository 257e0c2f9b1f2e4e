//! Services (every type, and `ExternalName` for externals with `host`) and Ingresses.

use super::tree::{string_map, Node};
use super::{labelled_metadata, metadata, object};
use crate::ir::{self, ServiceType, TargetPort, TrafficPolicy};

/// The namespace's Services, made one at a time as they are written: a namespace may
/// hold 100,000 of them.
pub fn services(ns: &ir::Namespace) -> impl Iterator<Item = Node<'_>> {
    let apps = ns
        .apps
        .values()
        .flat_map(ir::App::services)
        .filter(|app| app.service != ServiceType::None && !app.ports.is_empty())
        .map(|app| app_service(&ns.name, app));
    let externals = ns.externals.values().filter_map(|external| {
        let host = external.host.as_ref()?;
        let spec = Node::map()
            .with("type", "ExternalName")
            .with("externalName", host);
        Some(object(
            "v1",
            "Service",
            metadata(&external.name, &ns.name, None),
            spec,
        ))
    });
    apps.chain(externals)
}

fn annotations(map: &crate::collections::IndexMap<String, String>) -> Option<Node<'_>> {
    (!map.is_empty()).then(|| string_map(map))
}

fn app_service<'a>(namespace: &'a str, app: &'a ir::App) -> Node<'a> {
    let kind = match app.service {
        ServiceType::NodePort => "NodePort",
        ServiceType::LoadBalancer => "LoadBalancer",
        ServiceType::ClusterIp | ServiceType::Headless | ServiceType::None => "ClusterIP",
    };
    let cluster_ip = match app.service {
        ServiceType::Headless => Some("None".to_string()),
        _ => app.cluster_ip.map(|ip| ip.to_string()),
    };
    let ports = app
        .ports
        .iter()
        .map(|port| {
            let target = match &port.target {
                TargetPort::Number(n) => Node::from(*n),
                TargetPort::Name(name) => Node::from(name),
            };
            // Kubernetes lets a single port go unnamed.
            let name = (!port.name.is_empty()).then_some(&port.name);
            Node::map()
                .with_opt("name", name)
                .with("port", port.port)
                .with("targetPort", target)
                .with("protocol", port.protocol.as_k8s())
                .with_opt("nodePort", port.node_port)
        })
        .collect();
    let affinity_config = app
        .session_affinity
        .flatten()
        .map(|timeout| Node::map().with("clientIP", Node::map().with("timeoutSeconds", timeout)));
    let spec = Node::map()
        .with("type", kind)
        .with_opt("clusterIP", cluster_ip)
        .with("selector", string_map(app.labels.as_ref()))
        .with("ports", Node::Seq(ports))
        .with_seq(
            "externalIPs",
            app.external_ips
                .iter()
                .map(|ip| Node::from(ip.to_string()))
                .collect(),
        )
        .with_seq(
            "loadBalancerSourceRanges",
            app.source_ranges
                .iter()
                .map(|r| Node::from(r.to_string()))
                .collect(),
        )
        .with_opt(
            "externalTrafficPolicy",
            app.traffic_policy.map(|p| match p {
                TrafficPolicy::Local => "Local",
                TrafficPolicy::Cluster => "Cluster",
            }),
        )
        .with_opt("healthCheckNodePort", app.health_check_node_port)
        .with_opt("sessionAffinity", app.session_affinity.map(|_| "ClientIP"))
        .with_opt("sessionAffinityConfig", affinity_config);
    object(
        "v1",
        "Service",
        // The pods' labels, then the Service's own (`service-labels`).
        labelled_metadata(
            &app.name,
            namespace,
            &app.labels,
            &app.service_labels,
            annotations(&app.annotations),
        ),
        spec,
    )
}

fn backend(backend: &ir::Backend) -> Node<'_> {
    Node::map().with(
        "service",
        Node::map()
            .with("name", &backend.service)
            .with("port", Node::map().with("number", backend.port)),
    )
}

pub fn ingress<'a>(namespace: &'a str, ingress: &'a ir::Ingress) -> Node<'a> {
    let tls = ingress
        .tls
        .iter()
        .map(|(secret, hosts)| {
            Node::map()
                .with("hosts", Node::Seq(hosts.iter().map(Node::from).collect()))
                .with("secretName", secret)
        })
        .collect();
    let rules = ingress
        .rules
        .iter()
        .map(|rule| {
            let paths: Vec<Node> = rule
                .paths
                .iter()
                .map(|path| {
                    Node::map()
                        .with("path", &path.path)
                        .with("pathType", path.path_type.as_k8s())
                        .with("backend", backend(&path.backend))
                })
                .collect();
            let http = (!paths.is_empty()).then(|| Node::map().with("paths", Node::Seq(paths)));
            Node::map()
                .with_opt("host", rule.host.as_ref())
                .with_opt("http", http)
        })
        .collect();
    let spec = Node::map()
        .with_opt("ingressClassName", ingress.class.as_ref())
        .with_opt(
            "defaultBackend",
            ingress.default_backend.as_ref().map(backend),
        )
        .with_seq("tls", tls)
        .with_seq("rules", rules);
    object(
        "networking.k8s.io/v1",
        "Ingress",
        metadata(&ingress.name, namespace, annotations(&ingress.annotations)),
        spec,
    )
}
