//! `ingress` blocks to [`ir::Ingress`], with the flows they imply.
//!
//! Checks names (`E0103`, `E0108`, `E0109`, `E0114`), hosts (`E0211`, `E0321`), paths per
//! path type (`E0213`), duplicate routes (`E0308`), backends (`E0111`, `E0112`, `E0218`,
//! `E0306`, `E0307`, `E0331` for an external), an empty ingress (`E0318`), the class annotation (`E0322`) and the
//! size of the annotations (`E0323`).
//! Every route lets the ingress controller reach its backend: that flow is added here.

use std::collections::hash_map::Entry;

use crate::collections::HashMap;

use crate::collections::IndexMap;

use super::declare::Scope;
use super::suggest::did_you_mean;
use super::values::{self, DNS_SUBDOMAIN};
use super::{rules, Diagnostics};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, PathType, ServiceType};
use crate::source::Span;
use crate::syntax::ast::{self, IngressLine};

pub fn check(
    diags: &mut Diagnostics,
    scope: &Scope,
    namespace: &str,
    blocks: &[&ast::NamespaceBlock],
    cluster: &ir::Cluster,
    flows: &mut Vec<ir::Flow>,
) -> IndexMap<String, ir::Ingress> {
    let is_ingress = |item: &&ast::NamespaceItem| matches!(item, ast::NamespaceItem::Ingress(_));
    // Room for exactly the namespace's ingresses (as for its apps, `declare.rs`).
    let count = blocks
        .iter()
        .flat_map(|b| &b.items)
        .filter(is_ingress)
        .count();
    let mut out: IndexMap<String, ir::Ingress> =
        IndexMap::with_capacity_and_hasher(count, Default::default());
    let mut first_spans: IndexMap<String, Span> = IndexMap::default();
    for item in blocks.iter().flat_map(|b| &b.items) {
        let ast::NamespaceItem::Ingress(ingress) = item else {
            continue;
        };
        if let Some(first) = first_spans.get(&ingress.name.node) {
            diags.push(
                Diagnostic::new(
                    Code::DuplicateName,
                    format!(
                        "ingress `{}` is defined twice in this namespace",
                        ingress.name.node
                    ),
                    ingress.name.span,
                )
                .label("defined again here")
                .secondary(*first, "first defined here")
                .help("rename one of them, or merge their hosts into one ingress"),
            );
            continue;
        }
        first_spans.insert(ingress.name.node.clone(), ingress.name.span);
        let output = output(diags, namespace, cluster, ingress);
        let route_source = match &output {
            ir::IngressOutput::Ingress => {
                ir::Peer::Pods(Box::new(cluster.ingress_controller.clone()))
            }
            ir::IngressOutput::HttpRoutes(gateway) => {
                ir::Peer::Pods(Box::new(cluster.gateway_pods(gateway)))
            }
        };
        let checked = IngressChecker {
            diags: &mut *diags,
            scope,
            namespace,
            flows: &mut *flows,
            route_source,
        }
        .check(ingress, output);
        out.insert(ingress.name.node.clone(), checked);
    }
    out
}

/// What the ingress is written as: its own `routes` and `gateway` lines, else the
/// cluster's, else an Ingress; the Gateway defaults to one named after the ingress, in
/// its namespace. The first of each line counts (a second is `E0302`, reported later).
fn output(
    diags: &mut Diagnostics,
    namespace: &str,
    cluster: &ir::Cluster,
    ingress: &ast::Ingress,
) -> ir::IngressOutput {
    let mut mode = None;
    let mut gateway = None;
    for line in &ingress.lines {
        match &line.node {
            IngressLine::Routes(m) if mode.is_none() => {
                mode = Some(super::cluster::routes_mode(m.node));
            }
            IngressLine::Gateway(g) if gateway.is_none() => {
                // An invalid reference was reported; the default Gateway stands in.
                gateway = Some(super::cluster::gateway_ref(diags, g));
            }
            _ => {}
        }
    }
    match mode.unwrap_or(cluster.routes) {
        ir::RoutesMode::Ingress => ir::IngressOutput::Ingress,
        ir::RoutesMode::GatewayApi => ir::IngressOutput::HttpRoutes(
            gateway
                .flatten()
                .or_else(|| cluster.gateway.clone())
                .unwrap_or_else(|| ir::GatewayRef {
                    namespace: namespace.to_string(),
                    name: ingress.name.node.clone(),
                }),
        ),
    }
}

struct IngressChecker<'a, 's> {
    diags: &'a mut Diagnostics,
    scope: &'a Scope<'s>,
    namespace: &'a str,
    flows: &'a mut Vec<ir::Flow>,
    /// Who reaches the backends: the ingress controller, or the Gateway's pods.
    route_source: ir::Peer,
}

/// The first route of each host, path type and path, for the duplicate check (a map:
/// an ingress of a large model has thousands of routes).
type SeenRoutes<'r> = HashMap<(Option<&'r str>, PathType, &'r str), &'r ast::Route>;

impl IngressChecker<'_, '_> {
    fn check(mut self, ingress: &ast::Ingress, output: ir::IngressOutput) -> ir::Ingress {
        values::name(
            self.diags,
            Code::InvalidIngressName,
            "ingress name",
            &DNS_SUBDOMAIN,
            &ingress.name,
        );
        let mut out = ir::Ingress {
            name: ingress.name.node.clone(),
            class: None,
            annotations: IndexMap::default(),
            default_backend: None,
            rules: Vec::new(),
            tls: IndexMap::default(),
            output,
        };
        let mut seen_lines: Vec<(&str, Span)> = Vec::new();
        // By name: an ingress may hold thousands of hosts.
        let mut hosts: HashMap<&str, &ast::HostBlock> = HashMap::default();
        let mut routes = SeenRoutes::default();
        let mut class_span = None;
        let mut class_annotation_span = None;
        let mut no_host_rule: Option<usize> = None;
        for line in &ingress.lines {
            let once = match &line.node {
                IngressLine::Class(_) => Some("class"),
                IngressLine::Default(_) => Some("default"),
                IngressLine::Routes(_) => Some("routes"),
                IngressLine::Gateway(_) => Some("gateway"),
                _ => None,
            };
            if let Some(keyword) = once {
                if let Some((_, first)) = seen_lines.iter().find(|(k, _)| *k == keyword) {
                    self.diags
                        .push(super::cluster::setting_twice(keyword, line.span, *first));
                    continue;
                }
                seen_lines.push((keyword, line.span));
            }
            match &line.node {
                IngressLine::Class(class) => {
                    class_span = Some(class.span);
                    if values::name(
                        self.diags,
                        Code::InvalidClassName,
                        "ingress class name",
                        &DNS_SUBDOMAIN,
                        class,
                    ) {
                        out.class = Some(class.node.clone());
                    }
                }
                IngressLine::Annotation(annotation) => {
                    if annotation.key.node == CLASS_ANNOTATION {
                        class_annotation_span = Some(annotation.value.span);
                    }
                    if values::annotation_key(self.diags, &annotation.key) {
                        out.annotations
                            .insert(annotation.key.node.clone(), annotation.value.node.clone());
                    }
                }
                IngressLine::Default(backend) => {
                    out.default_backend = self.backend(backend);
                }
                IngressLine::Route(route) => {
                    self.duplicate_route(&mut routes, None, route);
                    let Some(path) = self.route(route) else {
                        continue;
                    };
                    match no_host_rule {
                        Some(index) => {
                            if let Some(rule) = out.rules.get_mut(index) {
                                rule.paths.push(path);
                            }
                        }
                        None => {
                            no_host_rule = Some(out.rules.len());
                            out.rules.push(ir::IngressRule {
                                host: None,
                                paths: vec![path],
                            });
                        }
                    }
                }
                // Read by `output`, before the routes.
                IngressLine::Routes(_) | IngressLine::Gateway(_) => {}
                IngressLine::Host(block) => {
                    if let Some(first) = hosts.get(block.host.node.as_str()) {
                        self.diags.push(
                            Diagnostic::new(
                                Code::DuplicateHost,
                                format!(
                                    "host `{}` is given twice in this ingress",
                                    block.host.node
                                ),
                                block.host.span,
                            )
                            .label("given again here")
                            .secondary(first.host.span, "first given here")
                            .help("put all routes of a host in one `host` block"),
                        );
                        continue;
                    }
                    hosts.insert(&block.host.node, block);
                    let rule = self.host_block(block, &mut routes, &mut out.tls);
                    out.rules.push(rule);
                }
            }
        }
        self.class_annotation(&out, class_span, class_annotation_span);
        values::annotations_size(self.diags, "Ingress", &out.annotations, ingress.name.span);
        // A `default` line whose backend is invalid was reported there; the ingress is not empty.
        let default_written = seen_lines.iter().any(|(keyword, _)| *keyword == "default");
        if out.rules.is_empty() && !default_written && routes.is_empty() {
            self.diags.push(
                Diagnostic::new(
                    Code::EmptyIngress,
                    format!("ingress `{}` has no route", ingress.name.node),
                    ingress.name.span,
                )
                .label("no host, route or default backend")
                .note("Kubernetes requires a default backend or at least one rule")
                .help("add a route such as `/ -> APP:PORT`, or `default -> APP:PORT`"),
            );
        }
        out
    }

    fn host_block<'r>(
        &mut self,
        block: &'r ast::HostBlock,
        routes: &mut SeenRoutes<'r>,
        tls: &mut IndexMap<String, Vec<String>>,
    ) -> ir::IngressRule {
        let host_ok = match rules::ingress_host(&block.host.node) {
            Ok(()) => true,
            Err(reasons) => {
                self.diags.push(values::value_error(
                    Code::InvalidIngressHost,
                    format!("`{}` is not a valid ingress host", block.host.node),
                    block.host.span,
                    &reasons,
                ));
                false
            }
        };
        for (i, secret) in block.tls.iter().enumerate() {
            if let Some(first) = block.tls.get(..i).and_then(|earlier| earlier.first()) {
                self.diags.push(super::cluster::setting_twice(
                    "tls",
                    secret.span,
                    first.span,
                ));
                continue;
            }
            if values::name(
                self.diags,
                Code::InvalidSecretName,
                "TLS secret name",
                &DNS_SUBDOMAIN,
                secret,
            ) && host_ok
            {
                tls.entry(secret.node.clone())
                    .or_default()
                    .push(block.host.node.clone());
            }
        }
        let mut paths = Vec::new();
        for route in &block.routes {
            self.duplicate_route(routes, Some(&block.host.node), route);
            if let Some(path) = self.route(route) {
                paths.push(path);
            }
        }
        ir::IngressRule {
            host: Some(block.host.node.clone()),
            paths,
        }
    }

    fn duplicate_route<'r>(
        &mut self,
        seen: &mut SeenRoutes<'r>,
        host: Option<&'r str>,
        route: &'r ast::Route,
    ) {
        let kind = path_type(route);
        let first = match seen.entry((host, kind, &route.path.node)) {
            Entry::Occupied(first) => *first.get(),
            Entry::Vacant(slot) => {
                slot.insert(route);
                return;
            }
        };
        let host_words = host.map_or("without host".to_string(), |h| format!("for `{h}`"));
        self.diags.push(
            Diagnostic::new(
                Code::DuplicateRoute,
                format!(
                    "two {} routes {host_words} on path `{}`",
                    kind.as_k8s(),
                    route.path.node
                ),
                route.path.span,
            )
            .label("routed again here")
            .secondary(first.span, "first routed here")
            .help("keep one route for each host, path type and path"),
        );
    }

    fn route(&mut self, route: &ast::Route) -> Option<ir::IngressPath> {
        let kind = path_type(route);
        let rule_kind = match kind {
            PathType::Exact => rules::PathKind::Exact,
            PathType::Prefix => rules::PathKind::Prefix,
            PathType::ImplementationSpecific => rules::PathKind::ImplementationSpecific,
        };
        let path_ok = match rules::ingress_path(rule_kind, &route.path.node) {
            Ok(()) => true,
            Err(reasons) => {
                self.diags.push(values::value_error(
                    Code::InvalidPath,
                    format!(
                        "`{}` is not a valid {} path",
                        route.path.node,
                        kind.as_k8s()
                    ),
                    route.path.span,
                    &reasons,
                ));
                false
            }
        };
        let backend = self.backend(&route.backend)?;
        path_ok.then(|| ir::IngressPath {
            path: route.path.node.clone(),
            path_type: kind,
            backend,
        })
    }

    /// Resolves `APP[:PORT]` to a Service port, and adds the flow from the ingress
    /// controller (or the Gateway's data-plane pods) to the pods behind it.
    fn backend(&mut self, backend: &ast::Backend) -> Option<ir::Backend> {
        let ns = self.scope.namespaces.get(self.namespace)?;
        let Some(app) = ns.apps.get(&backend.app.node) else {
            if let Some(external) = ns.externals.get(&backend.app.node) {
                self.diags.push(
                    Diagnostic::new(
                        Code::RouteToExternal,
                        format!("`{}` is an external, not an app", backend.app.node),
                        backend.app.span,
                    )
                    .label("an external cannot be a route's backend")
                    .secondary(external.ast.name.span, "the external is declared here")
                    .note("an ingress routes to the Service of an app of its own namespace; an external is a set of outside addresses that flows may reach")
                    .help("route to an app of this namespace"),
                );
                return None;
            }
            let candidates = ns.apps.keys().map(String::as_str);
            self.diags.push(
                Diagnostic::new(
                    Code::UnknownPeer,
                    format!("unknown app `{}`", backend.app.node),
                    backend.app.span,
                )
                .label("no app of this name in this namespace")
                .maybe_help(
                    did_you_mean(&backend.app.node, candidates)
                        .map(|n| format!("did you mean `{n}`?")),
                ),
            );
            return None;
        };
        let app_ir = &app.ir;
        if app_ir.service == ServiceType::None {
            self.diags.push(
                Diagnostic::new(
                    Code::BackendWithoutService,
                    format!("app `{}` has no Service to route to", app_ir.name),
                    backend.app.span,
                )
                .label("routed here")
                .secondary(app.ast.name.span, "this app has no Service")
                .help(if app_ir.ports.is_empty() {
                    "give the app a port"
                } else {
                    "remove `service none` from the app"
                }),
            );
            return None;
        }
        let port = match &backend.port {
            Some(name) => super::flows::app_port(self.diags, app, &name.node, name.span)?.clone(),
            None => match app_ir.ports.as_slice() {
                [only] => only.clone(),
                ports => {
                    let listed = port_list(ports);
                    self.diags.push(
                        Diagnostic::new(
                            Code::AmbiguousBackendPort,
                            format!("route to `{}` does not say which port", app_ir.name),
                            backend.span,
                        )
                        .label(format!("app `{}` has {} ports", app_ir.name, ports.len()))
                        .secondary(app.ast.name.span, "app declared here")
                        .help(format!("name one of its ports: {listed}")),
                    );
                    return None;
                }
            },
        };
        self.flows.push(ir::Flow {
            from: self.route_source.clone(),
            // The app's one shared peer, as its `allow` flows have.
            to: super::flows::declared_peer(self.namespace, app),
            ports: vec![super::flows::policy_port(&port)],
            origin: ir::FlowOrigin::Route {
                route: backend.span,
            },
        });
        Some(ir::Backend {
            service: app_ir.name.clone(),
            port: port.port,
        })
    }

    /// Kubernetes rejects `kubernetes.io/ingress.class` that disagrees with the class.
    fn class_annotation(
        &mut self,
        ingress: &ir::Ingress,
        class_span: Option<Span>,
        annotation_span: Option<Span>,
    ) {
        const KEY: &str = CLASS_ANNOTATION;
        let (Some(class), Some(span), Some(value), Some(annotation_span)) = (
            &ingress.class,
            class_span,
            ingress.annotations.get(KEY),
            annotation_span,
        ) else {
            return;
        };
        if value != class {
            self.diags.push(
                Diagnostic::new(
                    Code::IngressClassMismatch,
                    format!("the `{KEY}` annotation says `{value}`, but the class is `{class}`"),
                    span,
                )
                .label("class set here")
                .secondary(annotation_span, "the annotation names another class")
                .help(format!(
                    "remove the `{KEY}` annotation: `class` replaces it"
                )),
            );
        }
    }
}

/// The annotation that named an Ingress's class before `ingressClassName`.
const CLASS_ANNOTATION: &str = "kubernetes.io/ingress.class";

fn path_type(route: &ast::Route) -> PathType {
    match route.path_type.as_ref().map(|p| p.node) {
        Some(ast::PathType::Exact) => PathType::Exact,
        Some(ast::PathType::ImplementationSpecific) => PathType::ImplementationSpecific,
        Some(ast::PathType::Prefix) | None => PathType::Prefix,
    }
}

/// "`http` (80), `metrics` (9090)"
pub fn port_list(ports: &[ir::ServicePort]) -> String {
    if ports.is_empty() {
        return "the app has no ports".to_string();
    }
    ports
        .iter()
        .map(|p| {
            if p.name.is_empty() {
                format!("the unnamed port `{}`", p.port)
            } else {
                format!("`{}` ({})", p.name, p.port)
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}
