//! Warnings about apps: labels that also select another app's pods (`W0102`), ports
//! (`W0107`) and apps (`W0108`) that nothing may reach in a namespace that isolates
//! ingress.

use crate::collections::{HashMap, HashSet, IndexMap, SCANNED};

use super::{app_ast, labels_span, Blocks};
use crate::check::Diagnostics;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, Peer, TargetPort};
use crate::syntax::ast;

pub fn check(diags: &mut Diagnostics, model: &ir::Model, blocks: &Blocks) {
    // The flows into each namespace, in the model's order, found in one pass: a pass
    // over every flow for each namespace was quadratic in a model of many namespaces.
    let mut into: HashMap<&str, Vec<&ir::Flow>> = HashMap::default();
    for flow in &model.flows {
        let namespace = match &flow.to {
            Peer::App { namespace, .. } | Peer::Namespace { namespace } => &**namespace,
            Peer::Pods(selector) => selector.namespace.as_str(),
            _ => continue,
        };
        into.entry(namespace).or_default().push(flow);
    }
    for ns in model.namespaces.values() {
        label_subsets(diags, ns, blocks);
        if ns.isolate_ingress {
            let flows = into.get(ns.name.as_str()).map_or(&[][..], Vec::as_slice);
            unreachable(diags, flows, ns, blocks);
        }
    }
}

/// `W0102`: app A's labels are a subset of app B's, so A's Service and policies also
/// select B's pods. Indexed by label: B must carry A's rarest label.
fn label_subsets(diags: &mut Diagnostics, ns: &ir::Namespace, blocks: &Blocks) {
    let mut by_label: HashMap<(&str, &str), Vec<&ir::App>> = HashMap::default();
    for app in ns.apps.values() {
        for (k, v) in app.labels.iter() {
            by_label.entry((k, v)).or_default().push(app);
        }
    }
    for app in ns.apps.values() {
        let rarest = app
            .labels
            .iter()
            .filter_map(|(k, v)| by_label.get(&(k.as_str(), v.as_str())))
            .min_by_key(|apps| apps.len());
        let Some(candidates) = rarest else { continue };
        // Identical labels are one problem: reported once for each later app, against
        // the first app with those labels (a hundred apps labelled alike are 99
        // warnings, not 4,950).
        // (The candidates come in the namespace's order, so the first is the first.)
        let mut alike_reported = false;
        for other in candidates {
            // The app itself is a candidate (most often the only one): it is skipped
            // before its labels are compared.
            if other.name == app.name {
                continue;
            }
            let subset = app
                .labels
                .iter()
                .all(|(k, v)| other.labels.get(k) == Some(v));
            if !subset {
                continue;
            }
            let same = app.labels.len() == other.labels.len();
            let later = || ns.apps.get_index_of(&other.name) > ns.apps.get_index_of(&app.name);
            if same && (alike_reported || later()) {
                continue;
            }
            alike_reported |= same;
            push_label_subset(diags, blocks, &ns.name, app, other, same);
        }
    }
}

/// [`label_subset`], with the two apps' blocks.
fn push_label_subset(
    diags: &mut Diagnostics,
    blocks: &Blocks,
    namespace: &str,
    app: &ir::App,
    other: &ir::App,
    same: bool,
) {
    if let (Some(a), Some(b)) = (
        app_ast(blocks, namespace, &app.name),
        app_ast(blocks, namespace, &other.name),
    ) {
        diags.push(label_subset(app, other, a, b, same));
    }
}

fn label_subset(
    app: &ir::App,
    other: &ir::App,
    a: &ast::App,
    b: &ast::App,
    same: bool,
) -> Diagnostic {
    let shown: Vec<String> = app.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let (message, secondary) = if same {
        (
            format!(
                "apps `{}` and `{}` have the same labels",
                other.name, app.name
            ),
            format!("app `{}` has the same labels", other.name),
        )
    } else {
        (
            format!(
                "the labels of app `{}` also select the pods of app `{}`",
                app.name, other.name
            ),
            format!("app `{}` carries all of them", other.name),
        )
    };
    let has_service = !app.ports.is_empty() && app.service != ir::ServiceType::None;
    let consequence = if has_service {
        format!(
            "the Service `{}` sends traffic to `{}`'s pods too, and every policy for `{}` also applies to them",
            app.name, other.name, app.name
        )
    } else {
        format!(
            "every policy for `{}` also applies to `{}`'s pods",
            app.name, other.name
        )
    };
    // A label that tells the two apart: `app=NAME`, unless both already carry `app`.
    let key = if app.labels.contains_key("app") && other.labels.contains_key("app") {
        "app.kubernetes.io/name"
    } else {
        "app"
    };
    Diagnostic::new(Code::LabelsSelectOtherApp, message, labels_span(a))
        .label(format!(
            "`{}` selects every pod labelled {}",
            app.name,
            shown.join(", ")
        ))
        .secondary(labels_span(b), secondary)
        .note(consequence)
        .help(if same {
            // Two apps over one set of pods are usually two Services of one app.
            format!(
                "if both are the same pods, keep one app and give it a second Service (`service {} {{ ... }}` inside app `{}`); otherwise give each app a label the other does not carry, such as `{key}={}` on `{}`",
                app.name, other.name, app.name, app.name
            )
        } else {
            format!(
                "give each app a label the other does not carry, such as `{key}={}` on `{}`",
                app.name, app.name
            )
        })
}

/// `W0108` and `W0107`: what the ingress side of the namespace's flows (`flows`, those
/// into it) never reaches.
fn unreachable(diags: &mut Diagnostics, flows: &[&ir::Flow], ns: &ir::Namespace, blocks: &Blocks) {
    // Ports that flows open, per app (None: all ports), and flows to every pod.
    let mut opened: IndexMap<&str, Option<Vec<&ir::PolicyPort>>> = IndexMap::default();
    let mut to_all: Option<Vec<&ir::PolicyPort>> = Some(Vec::new());
    fn merge<'m>(entry: &mut Option<Vec<&'m ir::PolicyPort>>, ports: &'m [ir::PolicyPort]) {
        if ports.is_empty() {
            *entry = None;
        } else if let Some(list) = entry {
            list.extend(ports);
        }
    }
    for flow in flows {
        match &flow.to {
            Peer::App { namespace, app, .. } if **namespace == *ns.name => {
                merge(
                    opened.entry(&**app).or_insert_with(|| Some(Vec::new())),
                    &flow.ports,
                );
            }
            Peer::Namespace { namespace } if **namespace == *ns.name => {
                merge(&mut to_all, &flow.ports)
            }
            // Pods picked by a selector (cluster DNS): every app whose pods carry it.
            Peer::Pods(selector) if selector.namespace == ns.name => {
                for app in ns.apps.values() {
                    if selector
                        .labels
                        .iter()
                        .all(|(k, v)| app.labels.get(k) == Some(v))
                    {
                        merge(
                            opened
                                .entry(app.name.as_str())
                                .or_insert_with(|| Some(Vec::new())),
                            &flow.ports,
                        );
                    }
                }
            }
            _ => {}
        }
    }
    let everything_open = to_all.is_none();
    let to_all_index = to_all.as_deref().map(Opened::new);
    for app in ns.apps.values() {
        if app.ports.is_empty() || everything_open {
            continue;
        }
        // Indexed: one flow may open tens of thousands of ports.
        let reaching = match opened.get(app.name.as_str()) {
            Some(None) => None,
            Some(Some(list)) => Some(Opened::new(list)),
            None => Some(Opened::new(&[])),
        };
        let covers = |port: &ir::ServicePort| {
            reaching.as_ref().is_none_or(|o| o.covers(port))
                || to_all_index.as_ref().is_some_and(|o| o.covers(port))
        };
        if app.ports.iter().all(&covers) {
            continue;
        }
        // Looked up only now: most apps are reached on every port.
        let Some(ast_app) = app_ast(blocks, &ns.name, &app.name) else {
            continue;
        };
        if !app.ports.iter().any(&covers) {
            diags.push(
                Diagnostic::new(
                    Code::UnreachableApp,
                    format!("nothing may reach app `{}`", app.name),
                    ast_app.name.span,
                )
                .label("no flow, route or exposure leads here")
                .note(format!(
                    "namespace `{}` isolates ingress, so every connection to these pods is denied",
                    ns.name
                ))
                .help(format!("allow a flow such as `allow CLIENT -> {}:{}`, or remove the ports if the app serves nothing", app.name, app.ports.first().map_or("PORT", |p| p.name.as_str()))),
            );
            continue;
        }
        // The port lines by name, made only for an app with a port nothing reaches.
        let mut decls: Option<HashMap<&str, &ast::PortDecl>> = None;
        for port in &app.ports {
            if covers(port) {
                continue;
            }
            let decls = decls.get_or_insert_with(|| {
                ast_app
                    .lines
                    .iter()
                    .filter_map(|line| match &line.node {
                        ast::AppLine::Port(decl) => Some((decl.name.node.as_str(), decl)),
                        _ => None,
                    })
                    .rev() // the first declaration wins
                    .collect()
            });
            let Some(decl) = decls.get(port.name.as_str()) else {
                continue;
            };
            diags.push(
                Diagnostic::new(
                    Code::UnusedPort,
                    format!(
                        "nothing may reach port `{}` of app `{}`",
                        port.name, app.name
                    ),
                    decl.name.span,
                )
                .label("no flow, route or exposure uses this port")
                .note(format!(
                    "namespace `{}` isolates ingress: connections to this port are denied",
                    ns.name
                ))
                .help(format!(
                    "allow a flow to `{}:{}`, or remove the port",
                    app.name, port.name
                )),
            );
        }
    }
}

/// The ports flows open to an app. Most apps are opened on a port or two, which are
/// scanned as they are; past a few, single ports go in a set and ranges in a list, so
/// that one flow opening tens of thousands of ports stays linear.
enum Opened<'a, 'm> {
    Few(&'a [&'m ir::PolicyPort]),
    Many {
        single: HashSet<(ir::Protocol, &'m TargetPort)>,
        ranges: Vec<&'m ir::PolicyPort>,
    },
}

impl<'a, 'm> Opened<'a, 'm> {
    fn new(ports: &'a [&'m ir::PolicyPort]) -> Self {
        if ports.len() <= SCANNED {
            return Opened::Few(ports);
        }
        let mut single = HashSet::default();
        let mut ranges = Vec::new();
        for &port in ports {
            match port.end_port {
                None => {
                    single.insert((port.protocol, &port.port));
                }
                Some(_) => ranges.push(port),
            }
        }
        Opened::Many { single, ranges }
    }

    fn covers(&self, port: &ir::ServicePort) -> bool {
        match self {
            Opened::Few(ports) => ports.iter().any(|p| opens(p, port)),
            Opened::Many { single, ranges } => {
                single.contains(&(port.protocol, &port.target))
                    || ranges.iter().any(|p| opens(p, port))
            }
        }
    }
}

/// Whether a port (or range) a flow opens is a Service port's target.
fn opens(opened: &ir::PolicyPort, port: &ir::ServicePort) -> bool {
    opened.protocol == port.protocol
        && match (&opened.port, &port.target, opened.end_port) {
            (TargetPort::Number(low), TargetPort::Number(n), Some(high)) => low <= n && *n <= high,
            (a, b, _) => a == b,
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ir::Protocol::{Tcp, Udp};

    fn opened(protocol: ir::Protocol, port: TargetPort, end_port: Option<u16>) -> ir::PolicyPort {
        ir::PolicyPort {
            protocol,
            port,
            end_port,
        }
    }

    fn service_port(protocol: ir::Protocol, target: TargetPort) -> ir::ServicePort {
        ir::ServicePort {
            name: String::new(),
            port: 80,
            protocol,
            target,
            node_port: None,
        }
    }

    /// Scanned (a few ports) or indexed (many), the opened ports cover the same Service
    /// ports: a port of the same protocol that is the same name or number, or a number
    /// in a range.
    #[test]
    fn few_and_many_opened_ports_cover_the_same() {
        let n = TargetPort::Number;
        let name = |s: &str| TargetPort::Name(s.to_string());
        let mut all = vec![
            opened(Tcp, n(80), None),
            opened(Udp, n(53), None),
            opened(Tcp, name("http"), None),
            opened(Tcp, n(9000), Some(9100)),
            opened(Udp, n(30000), Some(30010)),
        ];
        all.extend((0..10).map(|i| opened(Tcp, n(2000 + i), None)));
        let probes = [
            (service_port(Tcp, n(80)), true),
            (service_port(Udp, n(80)), false),
            (service_port(Udp, n(53)), true),
            (service_port(Tcp, name("http")), true),
            (service_port(Udp, name("http")), false),
            (service_port(Tcp, name("metrics")), false),
            (service_port(Tcp, n(9050)), true),
            (service_port(Tcp, n(9101)), false),
            (service_port(Udp, n(30010)), true),
            (service_port(Tcp, n(30005)), false),
            (service_port(Tcp, n(2009)), true),
        ];
        let refs: Vec<&ir::PolicyPort> = all.iter().collect();
        let few = Opened::new(&refs[..5]);
        let many = Opened::new(&refs);
        assert!(matches!(few, Opened::Few(_)));
        assert!(matches!(many, Opened::Many { .. }));
        for (port, covered) in &probes {
            let among_first_five = *covered && port.target != n(2009);
            assert_eq!(many.covers(port), *covered, "{port:?}, many");
            assert_eq!(few.covers(port), among_first_five, "{port:?}, few");
        }
    }
}
