//! Warnings about apps: labels that also select another app's pods (`W0102`), ports
//! (`W0107`) and apps (`W0108`) that nothing may reach in a namespace that isolates
//! ingress.

use indexmap::IndexMap;

use super::{app_ast, labels_span, Blocks};
use crate::check::Diagnostics;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, Peer, TargetPort};
use crate::syntax::ast;

pub fn check(diags: &mut Diagnostics, model: &ir::Model, blocks: &Blocks) {
    for ns in model.namespaces.values() {
        label_subsets(diags, ns, blocks);
        if ns.isolate_ingress {
            unreachable(diags, model, ns, blocks);
        }
    }
}

/// `W0102`: app A's labels are a subset of app B's, so A's Service and policies also
/// select B's pods. Indexed by label: B must carry A's rarest label.
fn label_subsets(diags: &mut Diagnostics, ns: &ir::Namespace, blocks: &Blocks) {
    let mut by_label: IndexMap<(&str, &str), Vec<&ir::App>> = IndexMap::new();
    for app in ns.apps.values() {
        for (k, v) in &app.labels {
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
        for other in candidates {
            let subset = app
                .labels
                .iter()
                .all(|(k, v)| other.labels.get(k) == Some(v));
            let same = subset && app.labels.len() == other.labels.len();
            // Identical labels are one problem: report it once, on the later app.
            let earlier = ns.apps.get_index_of(&other.name) < ns.apps.get_index_of(&app.name);
            if other.name == app.name || !subset || (same && !earlier) {
                continue;
            }
            let (Some(a), Some(b)) = (
                app_ast(blocks, &ns.name, &app.name),
                app_ast(blocks, &ns.name, &other.name),
            ) else {
                continue;
            };
            diags.push(label_subset(app, other, a, b, same));
        }
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

/// `W0108` and `W0107`: what the ingress side of the namespace's flows never reaches.
fn unreachable(diags: &mut Diagnostics, model: &ir::Model, ns: &ir::Namespace, blocks: &Blocks) {
    // Ports that flows open, per app (None: all ports), and flows to every pod.
    let mut opened: IndexMap<&str, Option<Vec<&ir::PolicyPort>>> = IndexMap::new();
    let mut to_all: Option<Vec<&ir::PolicyPort>> = Some(Vec::new());
    fn merge<'m>(entry: &mut Option<Vec<&'m ir::PolicyPort>>, ports: &'m [ir::PolicyPort]) {
        if ports.is_empty() {
            *entry = None;
        } else if let Some(list) = entry {
            list.extend(ports);
        }
    }
    for flow in &model.flows {
        match &flow.to {
            Peer::App { namespace, app, .. } if namespace == &ns.name => {
                merge(
                    opened
                        .entry(app.as_str())
                        .or_insert_with(|| Some(Vec::new())),
                    &flow.ports,
                );
            }
            Peer::Namespace { namespace } if namespace == &ns.name => {
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
    for app in ns.apps.values() {
        if app.ports.is_empty() || everything_open {
            continue;
        }
        let Some(ast_app) = app_ast(blocks, &ns.name, &app.name) else {
            continue;
        };
        let reaching = opened.get(app.name.as_str());
        let covers = |port: &ir::ServicePort| {
            let hit = |p: &&ir::PolicyPort| {
                p.protocol == port.protocol
                    && match (&p.port, &port.target) {
                        (TargetPort::Number(lo), TargetPort::Number(n)) => {
                            lo <= n && *n <= p.end_port.unwrap_or(*lo)
                        }
                        (a, b) => a == b,
                    }
            };
            let via_app = match reaching {
                Some(None) => true,
                Some(Some(list)) => list.iter().any(hit),
                None => false,
            };
            via_app || to_all.as_ref().is_some_and(|list| list.iter().any(hit))
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
        for port in &app.ports {
            if covers(port) {
                continue;
            }
            let Some(decl) = port_decl(ast_app, &port.name) else {
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

fn port_decl<'a>(app: &'a ast::App, name: &str) -> Option<&'a ast::PortDecl> {
    app.lines.iter().find_map(|line| match &line.node {
        ast::AppLine::Port(decl) if decl.name.node == name => Some(decl),
        _ => None,
    })
}
