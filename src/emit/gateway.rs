//! Gateway API objects (standard channel, `gateway.networking.k8s.io/v1`): the Gateways
//! knet owns, the HTTPRoutes of the ingresses in Gateway API mode (planned by
//! [`crate::routes`]), and the ReferenceGrants for TLS secrets of other namespaces.

use super::block::Map;
use super::{metadata, object};
use crate::ir::{self, IngressOutput};
use crate::routes::{self, HttpRoute};
use crate::sink::Sink;

const API_VERSION: &str = "gateway.networking.k8s.io/v1";
const GROUP: &str = "gateway.networking.k8s.io";

/// The Gateways, then the HTTPRoutes, then the ReferenceGrants of a namespace.
pub fn objects(out: &mut Sink, ns: &ir::Namespace) {
    for gateway in ns.gateways.values() {
        write_gateway(out, &ns.name, gateway);
    }
    for ingress in ns.ingresses.values() {
        let IngressOutput::HttpRoutes(parent) = &ingress.output else {
            continue;
        };
        for route in &routes::http_routes(ingress) {
            http_route(out, &ns.name, parent, route);
        }
    }
    for grant in &ns.reference_grants {
        reference_grant(out, &ns.name, grant);
    }
}

/// The namespaces a listener admits routes from: its own, or those named.
fn allowed_routes(map: &mut Map, namespace: &str, gateway: &ir::Gateway) {
    if gateway.route_namespaces.iter().all(|n| n == namespace) {
        map.str("from", "Same");
        return;
    }
    map.str("from", "Selector");
    map.map("selector", |selector| {
        selector.seq("matchExpressions", |expressions| {
            expressions.map(|expression| {
                expression.str("key", "kubernetes.io/metadata.name");
                expression.str("operator", "In");
                expression.seq("values", |values| {
                    gateway.route_namespaces.iter().for_each(|n| values.str(n));
                });
            });
        });
    });
}

fn write_gateway(out: &mut Sink, namespace: &str, gateway: &ir::Gateway) {
    let spec = |spec: &mut Map| {
        spec.str("gatewayClassName", &gateway.class);
        spec.seq("listeners", |listeners| {
            for listener in &gateway.listeners {
                listeners.map(|entry| {
                    entry.str("name", &listener.name);
                    entry.opt_str("hostname", listener.hostname.as_deref());
                    entry.int("port", listener.port);
                    let protocol = if listener.certificate.is_some() {
                        "HTTPS"
                    } else {
                        "HTTP"
                    };
                    entry.str("protocol", protocol);
                    if let Some(cert) = &listener.certificate {
                        entry.map("tls", |tls| {
                            tls.str("mode", "Terminate");
                            tls.seq("certificateRefs", |refs| {
                                refs.map(|reference| {
                                    reference.str("kind", "Secret");
                                    reference.str("name", &cert.name);
                                    if cert.namespace != namespace {
                                        reference.str("namespace", &cert.namespace);
                                    }
                                });
                            });
                        });
                    }
                    entry.map("allowedRoutes", |routes| {
                        routes.map("namespaces", |from| {
                            allowed_routes(from, namespace, gateway)
                        });
                    });
                });
            }
        });
    };
    object(
        out,
        API_VERSION,
        "Gateway",
        metadata(&gateway.name, namespace, None),
        spec,
    );
}

fn http_route(out: &mut Sink, namespace: &str, parent: &ir::GatewayRef, route: &HttpRoute) {
    let spec = |spec: &mut Map| {
        spec.seq("parentRefs", |refs| {
            refs.map(|parent_ref| {
                parent_ref.str("group", GROUP);
                parent_ref.str("kind", "Gateway");
                parent_ref.str("name", &parent.name);
                parent_ref.str("namespace", &parent.namespace);
            });
        });
        spec.seq_if_any("hostnames", |hostnames| {
            route.hostname.iter().for_each(|h| hostnames.str(h));
        });
        spec.seq("rules", |rules| {
            for rule in &route.rules {
                rules.map(|entry| {
                    entry.seq("matches", |matches| {
                        for m in &rule.matches {
                            matches.map(|item| {
                                item.map("path", |path| {
                                    path.str("type", m.kind.as_k8s());
                                    path.str("value", &m.value);
                                });
                            });
                        }
                    });
                    entry.seq("backendRefs", |refs| {
                        refs.map(|backend| {
                            backend.str("name", &rule.backend.service);
                            backend.int("port", rule.backend.port);
                        });
                    });
                });
            }
        });
    };
    object(
        out,
        API_VERSION,
        "HTTPRoute",
        metadata(&route.name, namespace, None),
        spec,
    );
}

fn reference_grant(out: &mut Sink, namespace: &str, grant: &ir::ReferenceGrant) {
    let spec = |spec: &mut Map| {
        spec.seq("from", |from| {
            from.map(|entry| {
                entry.str("group", GROUP);
                entry.str("kind", "Gateway");
                entry.str("namespace", &grant.from_namespace);
            });
        });
        spec.seq("to", |to| {
            for secret in &grant.secrets {
                to.map(|entry| {
                    entry.str("group", "");
                    entry.str("kind", "Secret");
                    entry.str("name", secret);
                });
            }
        });
    };
    object(
        out,
        API_VERSION,
        "ReferenceGrant",
        metadata(&grant.name, namespace, None),
        spec,
    );
}
