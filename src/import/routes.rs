//! Ingresses as knet `ingress` blocks: hosts with their TLS secrets and routes, the
//! default backend; backends named by app and port.

use super::apps::{flow_name, App};
use crate::kube::objects::{Backend, Ingress, PortValue};
use crate::source::Span;
use crate::syntax::ast::{self, HostBlock, IngressLine, PathType, Route, Spanned};

fn at<T>(node: T) -> Spanned<T> {
    Spanned::new(node, Span::default())
}

/// The `ingress` block, or `None` when no backend of it is an app's own Service.
pub fn ingress_block(ingress: &Ingress, apps: &[App]) -> Option<ast::Ingress> {
    let mut lines = Vec::new();
    // An HTTPRoute: Gateway API output, and its Gateway unless it is knet's default.
    if let Some((namespace, name)) = &ingress.gateway {
        lines.push(at(IngressLine::Routes(at(ast::RoutesMode::GatewayApi))));
        if *namespace != ingress.namespace || *name != ingress.name {
            lines.push(at(IngressLine::Gateway(ast::GatewayRef {
                namespace: at(namespace.clone()),
                name: at(name.clone()),
                span: Span::default(),
            })));
        }
    }
    if let Some(class) = &ingress.class {
        lines.push(at(IngressLine::Class(at(class.clone()))));
    }
    for (key, value) in &ingress.annotations {
        if key == "kubectl.kubernetes.io/last-applied-configuration" {
            continue;
        }
        lines.push(at(IngressLine::Annotation(ast::Annotation {
            key: at(key.clone()),
            value: at(value.clone()),
        })));
    }
    let secrets_of = |host: &str| -> Vec<ast::Name> {
        ingress
            .tls
            .iter()
            .filter(|(hosts, _)| hosts.iter().any(|h| h == host))
            .map(|(_, secret)| at(secret.clone()))
            .collect()
    };
    let mut hosts_done: Vec<String> = Vec::new();
    for rule in &ingress.rules {
        let routes: Vec<Route> = rule
            .paths
            .iter()
            .filter_map(|p| {
                Some(Route {
                    path_type: match p.path_type.as_str() {
                        "Exact" => Some(at(PathType::Exact)),
                        "ImplementationSpecific" => Some(at(PathType::ImplementationSpecific)),
                        _ => None,
                    },
                    path: at(p.path.clone()),
                    backend: backend(&p.backend, apps)?,
                    span: Span::default(),
                })
            })
            .collect();
        match &rule.host {
            Some(host) => {
                hosts_done.push(host.clone());
                lines.push(at(IngressLine::Host(HostBlock {
                    host: at(host.clone()),
                    tls: secrets_of(host),
                    routes,
                    close: Span::default(),
                })));
            }
            None => lines.extend(routes.into_iter().map(|r| at(IngressLine::Route(r)))),
        }
    }
    // TLS hosts that no rule names: a host block with only `tls`.
    for (hosts, _) in &ingress.tls {
        for host in hosts {
            if !hosts_done.contains(host) {
                hosts_done.push(host.clone());
                lines.push(at(IngressLine::Host(HostBlock {
                    host: at(host.clone()),
                    tls: secrets_of(host),
                    routes: Vec::new(),
                    close: Span::default(),
                })));
            }
        }
    }
    if let Some(default) = ingress.default.as_ref().and_then(|b| backend(b, apps)) {
        lines.push(at(IngressLine::Default(default)));
    }
    // No route left (each was reported, W0404): knet has no ingress without a route.
    let routed = lines.iter().any(|l| match &l.node {
        IngressLine::Route(_) | IngressLine::Default(_) => true,
        IngressLine::Host(host) => !host.routes.is_empty(),
        _ => false,
    });
    if !routed {
        return None;
    }
    Some(ast::Ingress {
        name: at(ingress.name.clone()),
        lines,
        close: Span::default(),
    })
}

/// Every backend of an Ingress (its paths', then its default), with the index of the
/// app whose own Service it names, if any.
pub fn backends<'a>(
    ingress: &'a Ingress,
    apps: &'a [App],
) -> impl Iterator<Item = (&'a Backend, Option<usize>)> + 'a {
    ingress
        .rules
        .iter()
        .flat_map(|r| r.paths.iter().map(|p| &p.backend))
        .chain(&ingress.default)
        .map(move |backend| {
            let own = apps.iter().position(|a| {
                a.services
                    .first()
                    .is_some_and(|s| s.name == backend.service)
            });
            (backend, own)
        })
}

/// `APP[:PORT]` for a backend to an app's own Service.
pub fn backend(backend: &Backend, apps: &[App]) -> Option<ast::Backend> {
    let app = apps.iter().find(|a| {
        a.services
            .first()
            .is_some_and(|s| s.name == backend.service)
    })?;
    let port = match &backend.port {
        _ if app.ports.len() == 1 => None,
        Some(PortValue::Number(n)) => app.ports.iter().find(|p| p.port == *n).map(flow_name),
        Some(PortValue::Name(name)) => app.ports.iter().find(|p| &p.name == name).map(flow_name),
        None => None,
    };
    Some(ast::Backend {
        app: at(app.name.clone()),
        port: port.map(at),
        span: Span::default(),
    })
}

/// Routes that cannot be written as they are: a backend that is not an app's own
/// Service (an extra Service, one without a selector, or none), or a port its Service
/// does not have (`W0404`).
pub fn check(
    ingresses: &[Ingress],
    apps: &crate::collections::IndexMap<String, Vec<App>>,
    diags: &mut Vec<crate::diagnostic::Diagnostic>,
) {
    use crate::diagnostic::{Code, Diagnostic};
    for ingress in ingresses {
        let list = apps.get(&ingress.namespace).map_or(&[][..], Vec::as_slice);
        for (backend, index) in backends(ingress, list) {
            let own = index.map(|i| &list[i]);
            let problem = match own {
                None => Some(format!("Service `{}` is not the own Service of an app of the input (knet routes to an app's own Service)", backend.service)),
                Some(app) => {
                    let has = |p: &crate::kube::objects::ServicePort| match &backend.port {
                        Some(PortValue::Number(n)) => p.port == *n,
                        Some(PortValue::Name(name)) => &p.name == name,
                        None => true,
                    };
                    let service = app.services.first();
                    (!service.is_some_and(|s| s.ports.iter().any(has))).then(|| {
                        format!("Service `{}` has no such port (a controller answers such a route with an error)", backend.service)
                    })
                }
            };
            if let Some(problem) = problem {
                diags.push(
                    Diagnostic::new(
                        Code::ImportServiceChanged,
                        format!("a route of Ingress `{}/{}` cannot be written as it is: {problem}", ingress.namespace, ingress.name),
                        ingress.span,
                    )
                    .label("in this Ingress")
                    .note("the route is left out, or sent to the app's port, as the imported `ingress` block shows")
                    .help("point the route at an app's own Service and one of its ports; `--allow-lossy` accepts the difference"),
                );
            }
        }
    }
}
