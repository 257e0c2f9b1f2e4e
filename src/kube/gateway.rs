//! HTTPRoutes and Gateways, read as the `ingress` blocks they would be built from.
//!
//! An HTTPRoute becomes an [`Ingress`] marked with its Gateway (the first `parentRefs`
//! entry that is a Gateway), so that the rest of the import treats its routes as any
//! other; the `ingress` block it prints says `routes gateway-api`, and `gateway NS/NAME`
//! unless the Gateway is the one knet would write by default. Each hostname is a `host`
//! block (every rule's paths under each), no hostname the routes without host.
//! `PathPrefix`, `Exact` and `RegularExpression` become `prefix`, `exact` and
//! `implementation-specific`; a rule without matches is `prefix /`. A Gateway of the
//! input gives its routes their `class` and, for the route's namespace, the TLS secret of
//! the HTTPS listener of each hostname. What an `ingress` block cannot say (header,
//! query and method matches, filters, several or weighted backends, backends that are
//! not a Service of the route's namespace) is a loss, `W0405`.

use super::documents::Object;
use super::objects::{
    labels, list, path, string, strings, Backend, Gateway, Ingress, IngressPath, IngressRule,
    PortValue, Value,
};

pub fn gateway(object: &Object) -> Gateway {
    let spec = object.value.get("spec");
    let certificates = list(spec.and_then(|s| s.get("listeners")))
        .iter()
        .filter_map(|listener| {
            let hostname = string(listener.get("hostname"))?;
            let secret = list(path(listener, &["tls", "certificateRefs"]))
                .iter()
                .find(|c| string(c.get("kind")).is_none_or(|k| k == "Secret"))?;
            let namespace =
                string(secret.get("namespace")).unwrap_or_else(|| object.namespace.clone());
            Some((hostname, namespace, string(secret.get("name"))?))
        })
        .collect();
    Gateway {
        name: object.name.clone(),
        namespace: object.namespace.clone(),
        class: string(spec.and_then(|s| s.get("gatewayClassName"))),
        certificates,
    }
}

pub fn http_route(object: &Object) -> Ingress {
    let spec = object.value.get("spec");
    let get = |key: &str| spec.and_then(|s| s.get(key));
    let mut losses = Vec::new();
    let gateway = list(get("parentRefs"))
        .iter()
        .filter(|p| string(p.get("kind")).is_none_or(|k| k == "Gateway"))
        .filter_map(|p| {
            let namespace = string(p.get("namespace")).unwrap_or_else(|| object.namespace.clone());
            Some((namespace, string(p.get("name"))?))
        })
        .collect::<Vec<_>>();
    if gateway.len() > 1 {
        losses.push(format!(
            "it attaches to {} Gateways; knet keeps the first",
            gateway.len()
        ));
    }
    let mut paths = Vec::new();
    for rule in list(get("rules")) {
        if !list(rule.get("filters")).is_empty() {
            losses.push("a rule has filters (redirects, rewrites, header changes)".into());
        }
        let Some(backend) = rule_backend(rule, &object.namespace, &mut losses) else {
            continue;
        };
        let matches = list(rule.get("matches"));
        if matches.is_empty() {
            paths.push(IngressPath {
                path: "/".into(),
                path_type: "Prefix".into(),
                backend: backend.clone(),
            });
        }
        for m in matches {
            if ["headers", "queryParams", "method"]
                .iter()
                .any(|k| m.get(*k).is_some_and(|v| !v.is_null()))
            {
                losses.push("a match tests headers, query parameters or the method, which knet's routes do not (the route matches more)".into());
            }
            let path_type = match string(path(m, &["path", "type"])).as_deref() {
                Some("Exact") => "Exact",
                Some("RegularExpression") => "ImplementationSpecific",
                _ => "Prefix",
            };
            paths.push(IngressPath {
                path: string(path(m, &["path", "value"])).unwrap_or_else(|| "/".into()),
                path_type: path_type.into(),
                backend: backend.clone(),
            });
        }
    }
    let hostnames = strings(get("hostnames"));
    let rules = if hostnames.is_empty() {
        vec![IngressRule { host: None, paths }]
    } else {
        hostnames
            .into_iter()
            .map(|host| IngressRule {
                host: Some(host),
                paths: paths.clone(),
            })
            .collect()
    };
    Ingress {
        name: object.name.clone(),
        namespace: object.namespace.clone(),
        class: None,
        annotations: labels(path(&object.value, &["metadata", "annotations"])),
        tls: Vec::new(),
        rules,
        default: None,
        span: object.span,
        gateway: Some(
            gateway
                .into_iter()
                .next()
                .unwrap_or_else(|| (object.namespace.clone(), object.name.clone())),
        ),
        losses,
    }
}

/// The one Service of the route's namespace that a rule sends to, if it has one.
fn rule_backend(rule: &Value, namespace: &str, losses: &mut Vec<String>) -> Option<Backend> {
    let refs = list(rule.get("backendRefs"));
    let services: Vec<&Value> = refs
        .iter()
        .filter(|b| {
            string(b.get("kind")).is_none_or(|k| k == "Service")
                && string(b.get("group")).is_none_or(|g| g.is_empty())
                && string(b.get("namespace")).is_none_or(|n| n == namespace)
        })
        .collect();
    if services.len() != refs.len() {
        losses.push("a backend is not a Service of the route's namespace".into());
    }
    if services.len() > 1 {
        losses.push("a rule splits traffic over several backends; knet keeps the first".into());
    }
    let first = services.first()?;
    Some(Backend {
        service: string(first.get("name"))?,
        port: first
            .get("port")
            .and_then(Value::as_u64)
            .and_then(|p| u16::try_from(p).ok())
            .map(PortValue::Number),
    })
}

/// The class and TLS secrets that the routes' Gateways give them.
pub fn from_gateways(ingresses: &mut [Ingress], gateways: &[Gateway]) {
    for ingress in ingresses.iter_mut() {
        let Some((namespace, name)) = &ingress.gateway else {
            continue;
        };
        let Some(gateway) = gateways
            .iter()
            .find(|g| &g.namespace == namespace && &g.name == name)
        else {
            continue;
        };
        ingress.class = gateway.class.clone();
        let hosts: Vec<String> = ingress
            .rules
            .iter()
            .filter_map(|r| r.host.clone())
            .collect();
        for host in hosts {
            // A secret of another namespace is not one `tls` can name.
            let secret = gateway
                .certificates
                .iter()
                .find(|(h, ns, _)| *h == host && *ns == ingress.namespace);
            if let Some((_, _, secret)) = secret {
                ingress.tls.push((vec![host], secret.clone()));
            }
        }
    }
}
