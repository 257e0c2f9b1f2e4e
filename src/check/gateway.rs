//! Gateway API output: the Gateways knet owns, their listeners, the ReferenceGrants
//! they need, and what the Gateway API rejects or ignores in an `ingress` block.
//!
//! In: the model, whose ingresses already say what they become
//! ([`ir::IngressOutput`], decided once by `check::ingress`), and the AST for spans.
//! Out: `gateways` and `reference_grants` of the namespaces, and the flow from `world`
//! to the data-plane pods of every Gateway knet owns (on its listener ports).
//!
//! A Gateway is knet's when its namespace is declared in knet; any other is the
//! platform's, and routes only refer to it. Codes: `E0340` (a Gateway without a class),
//! `E0341` (two classes for one Gateway), `E0342` (one TLS host with two certificates),
//! `E0343` (an HTTPRoute over the Gateway API's limits), `E0344` (more than 64
//! listeners), `E0345` (a path the Gateway API rejects), `E0347` (a Gateway name too long
//! for its pods' label or their policies' names), `E0118` (two HTTPRoutes with one
//! name), `W0205` (what Gateway API output does not use).

use crate::collections::{HashMap, IndexMap};

use super::{rules, values, Diagnostics};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, GatewayRef, IngressOutput};
use crate::routes::{self, MAX_MATCHES, MAX_MATCHES_PER_RULE, MAX_RULES};
use crate::source::Span;
use crate::syntax::ast::{self, IngressLine};

/// The most listeners a Gateway may have (`spec.listeners`, `maxItems`).
pub const MAX_LISTENERS: usize = 64;
/// The most `to` entries of a ReferenceGrant.
const MAX_GRANT_TARGETS: usize = 16;

/// A Gateway knet owns, while its ingresses are read.
struct Building {
    class: Option<(String, Span)>,
    /// The ingress that first attached, for the diagnostics about the whole Gateway.
    first: Span,
    listeners: Vec<(ir::Listener, Span)>,
    route_namespaces: Vec<String>,
}

pub fn check(
    diags: &mut Diagnostics,
    model: &mut ir::Model,
    blocks: &IndexMap<String, Vec<&ast::NamespaceBlock>>,
) {
    let mut owned: IndexMap<GatewayRef, Building> = IndexMap::default();
    let mut first_ingress: IndexMap<GatewayRef, Span> = IndexMap::default();
    for ns in model.namespaces.values() {
        let mut route_names: IndexMap<String, Span> = IndexMap::default();
        let asts = ingress_asts(blocks, &ns.name);
        for ingress in ns.ingresses.values() {
            let Some(&ast) = asts.get(ingress.name.as_str()) else {
                continue;
            };
            let IngressOutput::HttpRoutes(gateway) = &ingress.output else {
                for line in &ast.lines {
                    if let IngressLine::Gateway(g) = &line.node {
                        diags.push(unused(
                            g.span,
                            "`gateway` is read only with `routes gateway-api`",
                            "add `routes gateway-api`, or remove the line",
                        ));
                    }
                }
                continue;
            };
            paths(diags, ast);
            first_ingress
                .entry(gateway.clone())
                .or_insert(ast.name.span);
            for route in routes::http_routes(ingress) {
                limits(diags, &route, ast.name.span);
                if let Some(first) = route_names.get(&route.name) {
                    diags.push(
                        Diagnostic::new(
                            Code::DuplicateObjectName,
                            format!("two HTTPRoutes named `{}` in namespace `{}`", route.name, ns.name),
                            ast.name.span,
                        )
                        .label("this ingress's HTTPRoute takes a generated name")
                        .secondary(*first, "so does this one's")
                        .note("knet names HTTPRoutes `INGRESS`, or `INGRESS-HOST` when an ingress has several")
                        .help("rename one of the ingresses"),
                    );
                } else {
                    route_names.insert(route.name, ast.name.span);
                }
            }
            if model.namespaces.contains_key(&gateway.namespace) {
                let building = owned.entry(gateway.clone()).or_insert_with(|| Building {
                    class: None,
                    first: ast.name.span,
                    listeners: vec![(
                        ir::Listener {
                            name: "http".into(),
                            hostname: None,
                            port: 80,
                            certificate: None,
                        },
                        ast.name.span,
                    )],
                    route_namespaces: Vec::new(),
                });
                attach(diags, building, &ns.name, ingress, ast);
            } else {
                for line in &ast.lines {
                    if let IngressLine::Host(host) = &line.node {
                        for secret in &host.tls {
                            diags.push(unused(
                                secret.span,
                                &format!("the Gateway `{}/{}` is not knet's: its listeners hold the certificates", gateway.namespace, gateway.name),
                                "remove `tls`, or give the platform's Gateway a listener for this host",
                            ));
                        }
                    }
                }
            }
            for line in &ast.lines {
                if let IngressLine::Annotation(a) = &line.node {
                    diags.push(unused(
                        a.key.span,
                        "an Ingress annotation configures an ingress controller; knet does not write it on HTTPRoutes",
                        "remove the annotation, or keep `routes ingress` for this ingress",
                    ));
                }
            }
        }
    }
    let mut flows = Vec::new();
    for (gateway, building) in owned {
        let Some((class, _)) = building.class else {
            diags.push(
                Diagnostic::new(
                    Code::GatewayWithoutClass,
                    format!("the Gateway `{}/{}` has no class", gateway.namespace, gateway.name),
                    building.first,
                )
                .label("knet writes this ingress's Gateway")
                .note("a Gateway names its GatewayClass (`spec.gatewayClassName`), which picks the implementation; there is no default class")
                .help("add `class NAME` (a GatewayClass of the cluster), or attach to an existing Gateway with `gateway NAMESPACE/NAME`"),
            );
            continue;
        };
        if building.listeners.len() > MAX_LISTENERS {
            diags.push(
                Diagnostic::new(
                    Code::TooManyListeners,
                    format!(
                        "the Gateway `{}/{}` needs {} listeners",
                        gateway.namespace,
                        gateway.name,
                        building.listeners.len()
                    ),
                    building.first,
                )
                .label("the routes of this ingress attach to it")
                .note(format!("a Gateway has at most {MAX_LISTENERS} listeners: knet writes `http`, and one HTTPS listener per TLS host"))
                .help("spread the TLS hosts over several Gateways (`gateway NAMESPACE/NAME` per ingress)"),
            );
            continue;
        }
        let listeners: Vec<ir::Listener> = building.listeners.into_iter().map(|(l, _)| l).collect();
        grants(model, &gateway, &listeners);
        let https = listeners.iter().any(|l| l.certificate.is_some());
        let ports = [Some(80), https.then_some(443)]
            .into_iter()
            .flatten()
            .map(|port| ir::PolicyPort {
                protocol: ir::Protocol::Tcp,
                port: ir::TargetPort::Number(port),
                end_port: None,
            })
            .collect();
        flows.push(ir::Flow {
            from: ir::Peer::Addresses(vec![super::flows::world(&model.cluster)]),
            to: ir::Peer::Pods(Box::new(model.cluster.gateway_pods(&gateway))),
            ports,
            origin: ir::FlowOrigin::Route {
                route: building.first,
            },
        });
        if let Some(ns) = model.namespaces.get_mut(&gateway.namespace) {
            ns.gateways.insert(
                gateway.name.clone(),
                ir::Gateway {
                    name: gateway.name.clone(),
                    class,
                    listeners,
                    route_namespaces: building.route_namespaces,
                },
            );
        }
    }
    model.flows.extend(flows);
    derived_names(diags, model, &first_ingress);
}

/// `E0347`: a Gateway's name in what knet derives from it. By default knet selects a
/// Gateway's pods by the GEP-1762 label `gateway.networking.k8s.io/gateway-name=NAME`,
/// and a label value has at most 63 characters where a Gateway's name may have 253; the
/// policies of the pods are named `gateway-NAME-ingress` and `-egress`, which must
/// stay DNS subdomains. A name that is no DNS subdomain was reported already (`E0103`);
/// for the others, only the length can fail.
fn derived_names(diags: &mut Diagnostics, model: &ir::Model, first: &IndexMap<GatewayRef, Span>) {
    let span = |gateway: &GatewayRef| first.get(gateway).copied().unwrap_or_default();
    let valid = |gateway: &GatewayRef| rules::dns1123_subdomain(&gateway.name).is_ok();
    if model.cluster.gateway_pods_labels.is_none() {
        for gateway in model.route_gateways().into_iter().filter(|g| valid(g)) {
            if let Err(reasons) = rules::label_value(&gateway.name) {
                diags.push(
                    Diagnostic::new(
                        Code::GatewayNameTooLong,
                        format!("the pods of the Gateway `{}/{}` cannot be selected by its name", gateway.namespace, gateway.name),
                        span(gateway),
                    )
                    .label("this ingress's routes attach to the Gateway")
                    .note(format!("knet selects a Gateway's pods by the label `{}=NAME`, and the name is not a label value: it {}", ir::GATEWAY_NAME_LABEL, reasons.join(", ")))
                    .help("give the Gateway a name of at most 63 characters, or say how its pods are labelled: `gateway-pods labels KEY=VALUE` in the `cluster` block"),
                );
            }
        }
    }
    for (gateway, prefix) in crate::policy::gateway_components(model) {
        if !valid(gateway) {
            continue;
        }
        let name = format!("{prefix}-{}", crate::policy::Direction::Ingress.suffix());
        if let Err(reasons) = rules::dns1123_subdomain(&name) {
            diags.push(
                Diagnostic::new(
                    Code::GatewayNameTooLong,
                    format!("the policies of the pods of the Gateway `{}/{}` cannot be named", gateway.namespace, gateway.name),
                    span(gateway),
                )
                .label("this ingress's routes attach to the Gateway")
                .note(format!("knet names them `{prefix}-ingress` and `{prefix}-egress`, and a NetworkPolicy's name {}", reasons.join(", ")))
                .help("give the Gateway a shorter name"),
            );
        }
    }
}

/// The namespace's ingresses by name (the first definition of each): looked up once
/// per ingress, so a namespace may hold thousands.
fn ingress_asts<'a>(
    blocks: &IndexMap<String, Vec<&'a ast::NamespaceBlock>>,
    namespace: &str,
) -> HashMap<&'a str, &'a ast::Ingress> {
    let mut asts: HashMap<&str, &ast::Ingress> = HashMap::default();
    let items = blocks
        .get(namespace)
        .into_iter()
        .flatten()
        .flat_map(|b| &b.items);
    for item in items {
        if let ast::NamespaceItem::Ingress(ingress) = item {
            asts.entry(&ingress.name.node).or_insert(ingress);
        }
    }
    asts
}

fn unused(span: Span, note: &str, help: &str) -> Diagnostic {
    Diagnostic::new(
        Code::UnusedForGateway,
        "this line has no effect on Gateway API output",
        span,
    )
    .label("not written")
    .note(note.to_string())
    .help(help.to_string())
}

/// The ingress's class and TLS hosts, added to the Gateway it attaches to.
fn attach(
    diags: &mut Diagnostics,
    building: &mut Building,
    namespace: &str,
    ingress: &ir::Ingress,
    ast: &ast::Ingress,
) {
    if !building.route_namespaces.iter().any(|n| n == namespace) {
        building.route_namespaces.push(namespace.to_string());
    }
    for line in &ast.lines {
        match &line.node {
            IngressLine::Class(class) => match (&building.class, &ingress.class) {
                (None, Some(valid)) => building.class = Some((valid.clone(), class.span)),
                (Some((first, first_span)), Some(valid)) if first != valid => diags.push(
                    Diagnostic::new(
                        Code::GatewayClassConflict,
                        format!("one Gateway, two classes: `{first}` and `{valid}`"),
                        class.span,
                    )
                    .label("this ingress's routes attach to a Gateway of another class")
                    .secondary(*first_span, "the Gateway's class, from this ingress")
                    .note("a Gateway has one GatewayClass; every ingress attached to it is written on that Gateway")
                    .help("give the ingresses one class, or attach them to different Gateways"),
                ),
                _ => {}
            },
            IngressLine::Host(host) => {
                let Some(secret) = host.tls.first() else {
                    continue;
                };
                // Invalid hosts and secrets were reported; they are not in `ingress.tls`.
                let valid = ingress
                    .tls
                    .get(&secret.node)
                    .is_some_and(|hosts| hosts.contains(&host.host.node));
                if !valid {
                    continue;
                }
                listener(diags, building, namespace, &host.host, secret);
            }
            _ => {}
        }
    }
}

/// One HTTPS listener per TLS host, named `https-HOST` (`*` spelled `wildcard`).
fn listener(
    diags: &mut Diagnostics,
    building: &mut Building,
    namespace: &str,
    host: &ast::Spanned<String>,
    secret: &ast::Name,
) {
    let certificate = ir::SecretRef {
        namespace: namespace.to_string(),
        name: secret.node.clone(),
    };
    if let Some((existing, span)) = building
        .listeners
        .iter()
        .find(|(l, _)| l.hostname.as_deref() == Some(host.node.as_str()))
    {
        if existing.certificate.as_ref() != Some(&certificate) {
            let shown = existing
                .certificate
                .as_ref()
                .map_or(String::new(), |c| format!("{}/{}", c.namespace, c.name));
            diags.push(
                Diagnostic::new(
                    Code::ListenerConflict,
                    format!("host `{}` is served with two certificates on one Gateway", host.node),
                    secret.span,
                )
                .label(format!("`{namespace}/{}` here", secret.node))
                .secondary(*span, format!("`{shown}` here"))
                .note("a Gateway has one HTTPS listener per host; two listeners with one port, protocol and host are rejected")
                .help("use one secret for the host in every ingress attached to the Gateway"),
            );
        }
        return;
    }
    let slug = match host.node.strip_prefix('*') {
        Some(rest) => format!("wildcard{rest}"),
        None => host.node.clone(),
    };
    let mut name = format!("https-{slug}");
    name.truncate(routes::MAX_NAME);
    building.listeners.push((
        ir::Listener {
            name,
            hostname: Some(host.node.clone()),
            port: 443,
            certificate: Some(certificate),
        },
        secret.span,
    ));
}

/// The paths the HTTPRoute's CEL rules reject although an Ingress takes them.
fn paths(diags: &mut Diagnostics, ingress: &ast::Ingress) {
    let hostless = ingress.lines.iter().filter_map(|l| match &l.node {
        IngressLine::Route(r) => Some(r),
        _ => None,
    });
    let hosted = ingress.lines.iter().flat_map(|l| match &l.node {
        IngressLine::Host(h) => h.routes.as_slice(),
        _ => &[],
    });
    for route in hostless.chain(hosted) {
        let kind = match route.path_type.as_ref().map(|p| p.node) {
            Some(ast::PathType::Exact) => rules::PathKind::Exact,
            Some(ast::PathType::ImplementationSpecific) => rules::PathKind::ImplementationSpecific,
            Some(ast::PathType::Prefix) | None => rules::PathKind::Prefix,
        };
        if let Err(reasons) = rules::gateway_path(kind, &route.path.node) {
            diags.push(
                values::value_error(
                    Code::GatewayApiPath,
                    format!("the Gateway API rejects the path `{}`", route.path.node),
                    route.path.span,
                    &reasons,
                )
                .note("an HTTPRoute's path rules are stricter than an Ingress's"),
            );
        }
    }
}

fn limits(diags: &mut Diagnostics, route: &routes::HttpRoute, span: Span) {
    let widest = route
        .rules
        .iter()
        .map(|r| r.matches.len())
        .max()
        .unwrap_or(0);
    let total = route.match_count();
    let problem = if route.rules.len() > MAX_RULES {
        format!(
            "{} backends, so {} rules (at most {MAX_RULES})",
            route.rules.len(),
            route.rules.len()
        )
    } else if widest > MAX_MATCHES_PER_RULE {
        format!("{widest} paths to one backend (at most {MAX_MATCHES_PER_RULE})")
    } else if total > MAX_MATCHES {
        format!("{total} paths (at most {MAX_MATCHES})")
    } else {
        return;
    };
    let host = route
        .hostname
        .as_ref()
        .map_or("without host".to_string(), |h| format!("for `{h}`"));
    diags.push(
        Diagnostic::new(
            Code::RouteTooLarge,
            format!("the HTTPRoute `{}` {host} has {problem}", route.name),
            span,
        )
        .label("this ingress's routes")
        .note("an HTTPRoute has at most 16 rules, 64 matches per rule and 127 matches in all; knet writes one rule per backend")
        .help("split the routes over several ingresses (each is its own HTTPRoute)"),
    );
}

/// ReferenceGrants in each namespace whose TLS secrets a Gateway of another namespace
/// uses, named `gateway-NS-NAME` (`-2`, `-3`... past 16 secrets).
fn grants(model: &mut ir::Model, gateway: &GatewayRef, listeners: &[ir::Listener]) {
    let mut wanted: IndexMap<&str, Vec<&str>> = IndexMap::default();
    for cert in listeners.iter().filter_map(|l| l.certificate.as_ref()) {
        if cert.namespace != gateway.namespace {
            let secrets = wanted.entry(&cert.namespace).or_default();
            if !secrets.contains(&cert.name.as_str()) {
                secrets.push(&cert.name);
            }
        }
    }
    for (namespace, secrets) in wanted {
        let Some(ns) = model.namespaces.get_mut(namespace) else {
            continue;
        };
        for (i, chunk) in secrets.chunks(MAX_GRANT_TARGETS).enumerate() {
            let mut name = format!("gateway-{}-{}", gateway.namespace, gateway.name);
            name.truncate(routes::MAX_NAME - 4);
            if i > 0 {
                name = format!("{name}-{}", i + 1);
            }
            ns.reference_grants.push(ir::ReferenceGrant {
                name,
                from_namespace: gateway.namespace.clone(),
                secrets: chunk.iter().map(|s| s.to_string()).collect(),
            });
        }
    }
}
