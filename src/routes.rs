//! The HTTPRoutes an `ingress` block becomes in Gateway API mode, before they are
//! written as YAML.
//!
//! Shared by the checker (the Gateway API's limits, `E0343`; generated names, `E0118`)
//! and the YAML backend, so that both see the same routes.
//!
//! An HTTPRoute has one list of hostnames for all its rules, where an Ingress has a host
//! per rule: so each `host` block with routes is one HTTPRoute, and the routes without
//! host and the default backend are one more, without hostnames. When that makes one
//! HTTPRoute, it is named after the ingress; otherwise the hostless one is `INGRESS` and
//! each host's is `INGRESS-HOST` (`*` spelled `wildcard`). Within a route, the paths that
//! go to one backend are one rule (a rule may hold 64 matches, a route only 16 rules), in
//! order of first appearance; the default backend is a `PathPrefix /` match, last.

use crate::ir::{Backend, Ingress, PathType};

/// The longest object name the API server takes (a DNS-1123 subdomain).
pub const MAX_NAME: usize = 253;
/// `spec.rules` of an HTTPRoute.
pub const MAX_RULES: usize = 16;
/// `spec.rules[].matches`.
pub const MAX_MATCHES_PER_RULE: usize = 64;
/// The matches of all rules of one route (a CEL rule: "must be less than 128").
pub const MAX_MATCHES: usize = 127;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoute {
    pub name: String,
    /// `None`: every host (no `hostnames`).
    pub hostname: Option<String>,
    pub rules: Vec<HttpRouteRule>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRouteRule {
    pub matches: Vec<PathMatch>,
    pub backend: Backend,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathMatch {
    pub kind: MatchKind,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchKind {
    Exact,
    PathPrefix,
    /// What `implementation-specific` becomes: the Gateway API's own match whose meaning
    /// the implementation decides.
    RegularExpression,
}

impl MatchKind {
    pub fn of(path_type: PathType) -> MatchKind {
        match path_type {
            PathType::Exact => MatchKind::Exact,
            PathType::Prefix => MatchKind::PathPrefix,
            PathType::ImplementationSpecific => MatchKind::RegularExpression,
        }
    }

    pub fn as_k8s(self) -> &'static str {
        match self {
            MatchKind::Exact => "Exact",
            MatchKind::PathPrefix => "PathPrefix",
            MatchKind::RegularExpression => "RegularExpression",
        }
    }
}

impl HttpRoute {
    pub fn match_count(&self) -> usize {
        self.rules.iter().map(|r| r.matches.len()).sum()
    }
}

/// A path and where it goes.
type Routed<'a> = (PathMatch, &'a Backend);

/// The HTTPRoutes of an ingress (whatever its output: the checker asks before it knows).
pub fn http_routes(ingress: &Ingress) -> Vec<HttpRoute> {
    let mut groups: Vec<(Option<&str>, Vec<Routed>)> = Vec::new();
    let mut hostless: Vec<Routed> = Vec::new();
    for rule in &ingress.rules {
        let paths = rule.paths.iter().map(|p| {
            (
                PathMatch {
                    kind: MatchKind::of(p.path_type),
                    value: p.path.clone(),
                },
                &p.backend,
            )
        });
        match &rule.host {
            Some(host) if !rule.paths.is_empty() => groups.push((Some(host), paths.collect())),
            Some(_) => {}
            None => hostless.extend(paths),
        }
    }
    if let Some(backend) = &ingress.default_backend {
        hostless.push((
            PathMatch {
                kind: MatchKind::PathPrefix,
                value: "/".into(),
            },
            backend,
        ));
    }
    if !hostless.is_empty() {
        groups.insert(0, (None, hostless));
    }
    let single = groups.len() == 1;
    groups
        .into_iter()
        .map(|(host, paths)| HttpRoute {
            name: match host {
                Some(host) if !single => route_name(&ingress.name, host),
                _ => ingress.name.clone(),
            },
            hostname: host.map(str::to_string),
            rules: by_backend(paths),
        })
        .collect()
}

/// `INGRESS-HOST`, `*` spelled `wildcard`, cut to the longest name the API server takes
/// (a cut name that collides with another is `E0118`).
fn route_name(ingress: &str, host: &str) -> String {
    let host = match host.strip_prefix('*') {
        Some(rest) => format!("wildcard{rest}"),
        None => host.to_string(),
    };
    let mut name = format!("{ingress}-{host}");
    name.truncate(MAX_NAME);
    while name.ends_with(['-', '.']) {
        name.pop();
    }
    name
}

fn by_backend(paths: Vec<Routed>) -> Vec<HttpRouteRule> {
    // Indexed by backend: a host may have thousands of paths.
    let mut rules: crate::collections::IndexMap<(&str, u16), HttpRouteRule> =
        crate::collections::IndexMap::default();
    for (path, backend) in paths {
        rules
            .entry((backend.service.as_str(), backend.port))
            .or_insert_with(|| HttpRouteRule {
                matches: Vec::new(),
                backend: backend.clone(),
            })
            .matches
            .push(path);
    }
    rules.into_values().collect()
}
