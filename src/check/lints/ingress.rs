//! Warnings about ingresses: `implementation-specific` paths (`W0201`), routes that
//! another route of the same host shadows (`W0202`), TLS hosts that route nothing
//! (`W0203`), and rules without host on an ingress with TLS (`W0204`).

use crate::collections::IndexMap;

use super::Blocks;
use crate::check::Diagnostics;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir;
use crate::syntax::ast::{self, IngressLine, PathType};

pub fn check(diags: &mut Diagnostics, _model: &ir::Model, blocks: &Blocks) {
    for item in blocks.values().flatten().flat_map(|b| &b.items) {
        if let ast::NamespaceItem::Ingress(ingress) = item {
            check_ingress(diags, ingress);
        }
    }
}

fn check_ingress(diags: &mut Diagnostics, ingress: &ast::Ingress) {
    let mut hostless: Vec<&ast::Route> = Vec::new();
    let mut hosts: Vec<&ast::HostBlock> = Vec::new();
    let mut has_default = false;
    for line in &ingress.lines {
        match &line.node {
            IngressLine::Route(route) => hostless.push(route),
            IngressLine::Host(host) => hosts.push(host),
            IngressLine::Default(_) => has_default = true,
            IngressLine::Class(_)
            | IngressLine::Annotation(_)
            | IngressLine::Routes(_)
            | IngressLine::Gateway(_) => {}
        }
    }
    let all_routes = hostless
        .iter()
        .copied()
        .chain(hosts.iter().flat_map(|h| &h.routes));
    for route in all_routes {
        if let Some(kind) = &route.path_type {
            if kind.node == PathType::ImplementationSpecific {
                diags.push(
                    Diagnostic::new(
                        Code::ImplementationSpecificPath,
                        "`implementation-specific` paths match differently on every controller",
                        kind.span,
                    )
                    .label("the controller decides what this path means")
                    .note("ingress-nginx may read it as a regular expression, others as a prefix or an exact path; moving to another controller silently changes routing")
                    .help("use `prefix` or `exact` unless you rely on a controller feature"),
                );
            }
        }
    }
    shadowed(diags, &hostless);
    for host in &hosts {
        shadowed(diags, &host.routes.iter().collect::<Vec<_>>());
    }
    let tls_hosts: Vec<&&ast::HostBlock> = hosts.iter().filter(|h| !h.tls.is_empty()).collect();
    for host in &tls_hosts {
        if host.routes.is_empty() && !has_default && hostless.is_empty() {
            diags.push(
                Diagnostic::new(
                    Code::TlsHostWithoutRoute,
                    format!("TLS host `{}` has no route", host.host.node),
                    host.host.span,
                )
                .label("served with TLS, but routed nowhere")
                .secondary(host.tls.first().map_or(host.host.span, |t| t.span), "the certificate for this host")
                .note("controllers build their servers from rules: a host without a rule gets the controller's default (fake) certificate and default backend")
                .help(format!(
                    "add a route inside `host {}`, such as `/ -> APP:PORT`",
                    host.host.node
                )),
            );
        }
    }
    if let Some(first_tls) = tls_hosts.first() {
        for route in &hostless {
            diags.push(
                Diagnostic::new(
                    Code::HostlessRuleWithTls,
                    "a route without host on an ingress with TLS",
                    route.path.span,
                )
                .label("matches any host")
                .secondary(first_tls.host.span, "TLS is configured for this host only")
                .note("requests for other hosts get the controller's default (fake) certificate")
                .help("put the route in a `host` block that has `tls`"),
            );
        }
    }
}

/// Prefix paths match element-wise and ignore one trailing slash: `/foo` and `/foo/`
/// are the same route.
fn prefix_key(path: &str) -> &str {
    if path.len() > 1 {
        path.strip_suffix('/').unwrap_or(path)
    } else {
        path
    }
}

/// `W0202`: within one host, two prefix routes that differ only by a trailing slash
/// (only one of them ever matches), or an exact route ending in `/` whose path without
/// the slash goes to another backend through a prefix route.
fn shadowed(diags: &mut Diagnostics, routes: &[&ast::Route]) {
    let kind = |r: &ast::Route| r.path_type.as_ref().map_or(PathType::Prefix, |p| p.node);
    let mut prefixes: IndexMap<&str, &ast::Route> = IndexMap::default();
    for route in routes.iter().filter(|r| kind(r) == PathType::Prefix) {
        let key = prefix_key(&route.path.node);
        match prefixes.get(key) {
            Some(first) if first.path.node != route.path.node => diags.push(
                Diagnostic::new(
                    Code::ShadowedRoute,
                    format!("prefix `{}` matches the same requests as prefix `{}`", route.path.node, first.path.node),
                    route.path.span,
                )
                .label("matches exactly the same paths")
                .secondary(first.span, "so does this route")
                .note("prefix paths match whole path elements and ignore a trailing `/`: which of the two routes wins depends on the controller")
                .help("keep one of the two routes"),
            ),
            Some(_) => {}
            None => {
                prefixes.insert(key, route);
            }
        }
    }
    for route in routes.iter().filter(|r| kind(r) == PathType::Exact) {
        let path = route.path.node.as_str();
        if path.len() <= 1 || !path.ends_with('/') {
            continue;
        }
        let Some(prefix) = prefixes.get(prefix_key(path)) else {
            continue;
        };
        if prefix.backend.app.node == route.backend.app.node {
            continue;
        }
        diags.push(
            Diagnostic::new(
                Code::ShadowedRoute,
                format!("exact `{path}` does not match `{}`", prefix_key(path)),
                route.path.span,
            )
            .label(format!("only `{path}` with the slash goes to `{}`", route.backend.app.node))
            .secondary(prefix.span, format!("`{}` goes here instead", prefix_key(path)))
            .note("an exact path matches one string; the same path without the slash is taken by the prefix route")
            .help(format!("write `exact {}` if that is the path clients use", prefix_key(path))),
        );
    }
}
