//! Gateway API objects (standard channel, `gateway.networking.k8s.io/v1`): the Gateways
//! knet owns, the HTTPRoutes of the ingresses in Gateway API mode (planned by
//! [`crate::routes`]), and the ReferenceGrants for TLS secrets of other namespaces.

use super::tree::Node;
use super::{metadata, object};
use crate::ir::{self, IngressOutput};
use crate::routes::{self, HttpRoute};

const API_VERSION: &str = "gateway.networking.k8s.io/v1";
const GROUP: &str = "gateway.networking.k8s.io";

/// The Gateways, then the HTTPRoutes, then the ReferenceGrants of a namespace.
pub fn objects(ns: &ir::Namespace) -> impl Iterator<Item = Node<'_>> {
    let gateways = ns.gateways.values().map(|g| gateway(&ns.name, g));
    let http_routes = ns.ingresses.values().flat_map(|ingress| {
        let IngressOutput::HttpRoutes(parent) = &ingress.output else {
            return Vec::new();
        };
        // The routes are planned here and dropped with this closure: their documents
        // own their strings.
        routes::http_routes(ingress)
            .iter()
            .map(|route| http_route(&ns.name, parent, route).into_owned())
            .collect()
    });
    let grants = ns
        .reference_grants
        .iter()
        .map(|g| reference_grant(&ns.name, g));
    gateways.chain(http_routes).chain(grants)
}

fn gateway<'a>(namespace: &'a str, gateway: &'a ir::Gateway) -> Node<'a> {
    let allowed = if gateway.route_namespaces.iter().all(|n| n == namespace) {
        Node::map().with("from", "Same")
    } else {
        let names = gateway
            .route_namespaces
            .iter()
            .map(Node::from)
            .collect::<Vec<_>>();
        Node::map().with("from", "Selector").with(
            "selector",
            Node::map().with(
                "matchExpressions",
                Node::Seq(vec![Node::map()
                    .with("key", "kubernetes.io/metadata.name")
                    .with("operator", "In")
                    .with("values", Node::Seq(names))]),
            ),
        )
    };
    let listeners = gateway
        .listeners
        .iter()
        .map(|listener| {
            let tls = listener.certificate.as_ref().map(|cert| {
                let reference = Node::map().with("kind", "Secret").with("name", &cert.name);
                let reference = if cert.namespace == namespace {
                    reference
                } else {
                    reference.with("namespace", &cert.namespace)
                };
                Node::map()
                    .with("mode", "Terminate")
                    .with("certificateRefs", Node::Seq(vec![reference]))
            });
            Node::map()
                .with("name", &listener.name)
                .with_opt("hostname", listener.hostname.as_ref())
                .with("port", listener.port)
                .with(
                    "protocol",
                    if listener.certificate.is_some() {
                        "HTTPS"
                    } else {
                        "HTTP"
                    },
                )
                .with_opt("tls", tls)
                .with(
                    "allowedRoutes",
                    Node::map().with("namespaces", allowed.clone()),
                )
        })
        .collect();
    let spec = Node::map()
        .with("gatewayClassName", &gateway.class)
        .with("listeners", Node::Seq(listeners));
    object(
        API_VERSION,
        "Gateway",
        metadata(&gateway.name, namespace, None),
        spec,
    )
}

fn http_route<'a>(
    namespace: &'a str,
    parent: &'a ir::GatewayRef,
    route: &'a HttpRoute,
) -> Node<'a> {
    let parent_ref = Node::map()
        .with("group", GROUP)
        .with("kind", "Gateway")
        .with("name", &parent.name)
        .with("namespace", &parent.namespace);
    let rules = route
        .rules
        .iter()
        .map(|rule| {
            let matches = rule
                .matches
                .iter()
                .map(|m| {
                    Node::map().with(
                        "path",
                        Node::map()
                            .with("type", m.kind.as_k8s())
                            .with("value", &m.value),
                    )
                })
                .collect();
            Node::map().with("matches", Node::Seq(matches)).with(
                "backendRefs",
                Node::Seq(vec![Node::map()
                    .with("name", &rule.backend.service)
                    .with("port", rule.backend.port)]),
            )
        })
        .collect();
    let spec = Node::map()
        .with("parentRefs", Node::Seq(vec![parent_ref]))
        .with_seq("hostnames", route.hostname.iter().map(Node::from).collect())
        .with("rules", Node::Seq(rules));
    object(
        API_VERSION,
        "HTTPRoute",
        metadata(&route.name, namespace, None),
        spec,
    )
}

fn reference_grant<'a>(namespace: &'a str, grant: &'a ir::ReferenceGrant) -> Node<'a> {
    let from = Node::map()
        .with("group", GROUP)
        .with("kind", "Gateway")
        .with("namespace", &grant.from_namespace);
    let to = grant
        .secrets
        .iter()
        .map(|secret| {
            Node::map()
                .with("group", "")
                .with("kind", "Secret")
                .with("name", secret)
        })
        .collect();
    let spec = Node::map()
        .with("from", Node::Seq(vec![from]))
        .with("to", Node::Seq(to));
    object(
        API_VERSION,
        "ReferenceGrant",
        metadata(&grant.name, namespace, None),
        spec,
    )
}
