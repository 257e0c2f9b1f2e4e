//! Extra Services (`service NAME { ... }` inside an app): each is checked as an app of
//! its own, over the same pods.
//!
//! The block is rewritten into the `app` it stands for: `type T` becomes `service T`,
//! `ports a, b` becomes the app's `port` lines for `a` and `b` (with the node ports that
//! `node-port a N` gives), and every Service setting is kept. The app checker then applies
//! every Service rule of the API server to it, and the model checks (node ports, pinned
//! ClusterIPs, capacity) see it like any other Service. Unknown ports in `ports` or
//! `node-port` are `E0112`; `labels` inside the block are the Service object's own.

use super::Diagnostics;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir;
use crate::source::Span;
use crate::syntax::ast::{self, AppLine, Spanned};

/// The app an extra Service stands for, and the Service object labels its block adds.
pub struct ExtraService {
    pub app: ast::App,
    pub labels: Vec<ast::Label>,
}

/// Rewrites `block` (inside `owner`) into an app; reports unknown port names. `None`
/// when no port of a `ports` line is known (each was reported: checking the Service
/// further would only report that it has no ports).
pub fn as_app(
    diags: &mut Diagnostics,
    owner: &ast::App,
    block: &ast::ServiceBlock,
) -> Option<ExtraService> {
    let owner_ports: Vec<&ast::PortDecl> = owner
        .lines
        .iter()
        .filter_map(|line| match &line.node {
            AppLine::Port(decl) => Some(decl),
            _ => None,
        })
        .collect();
    let find = |diags: &mut Diagnostics, name: &ast::Name| -> Option<&ast::PortDecl> {
        let found = owner_ports
            .iter()
            .copied()
            .find(|d| d.name.node == name.node);
        if found.is_none() {
            diags.push(unknown_port(owner, &owner_ports, name));
        }
        found
    };
    let mut selected: Vec<(ast::PortDecl, Span)> = Vec::new();
    let mut ports_written = false;
    let mut lines = Vec::new();
    let mut labels = Vec::new();
    for line in &block.lines {
        match &line.node {
            AppLine::Ports(names) => {
                if ports_written {
                    diags.push(super::cluster::setting_twice(
                        "ports",
                        line.span,
                        selected.first().map_or(line.span, |(_, s)| *s),
                    ));
                    continue;
                }
                ports_written = true;
                for name in names {
                    if let Some(decl) = find(diags, name) {
                        let mut decl = decl.clone();
                        decl.node_port = None;
                        selected.push((decl, line.span));
                    }
                }
            }
            AppLine::Type(kind) => {
                lines.push(Spanned::new(AppLine::Service(kind.clone()), line.span));
            }
            AppLine::Labels(written) => labels.extend(written.iter().cloned()),
            AppLine::NodePort { .. } => {}
            other => lines.push(Spanned::new(other.clone(), line.span)),
        }
    }
    if !ports_written {
        selected = owner_ports
            .iter()
            .map(|d| {
                let mut decl = (*d).clone();
                decl.node_port = None;
                (decl, block.name.span)
            })
            .collect();
    }
    for line in &block.lines {
        let AppLine::NodePort { port, number } = &line.node else {
            continue;
        };
        match selected.iter_mut().find(|(d, _)| d.name.node == port.node) {
            Some((decl, _)) => decl.node_port = Some(Box::new(number.clone())),
            None if find(diags, port).is_some() => diags.push(
                Diagnostic::new(
                    Code::UnknownPort,
                    format!(
                        "Service `{}` does not serve port `{}`",
                        block.name.node, port.node
                    ),
                    port.span,
                )
                .label("not one of this Service's ports")
                .help(format!("add `{}` to the Service's `ports` line", port.node)),
            ),
            None => {}
        }
    }
    if ports_written && selected.is_empty() {
        return None;
    }
    let ports = selected
        .into_iter()
        .map(|(decl, span)| Spanned::new(AppLine::Port(decl), span));
    Some(ExtraService {
        app: ast::App {
            name: block.name.clone(),
            lines: ports.chain(lines).collect(),
            close: block.close,
        },
        labels,
    })
}

fn unknown_port(owner: &ast::App, ports: &[&ast::PortDecl], name: &ast::Name) -> Diagnostic {
    let listed = ports
        .iter()
        .map(|d| format!("`{}`", d.name.node))
        .collect::<Vec<_>>()
        .join(", ");
    let candidates = ports.iter().map(|d| d.name.node.as_str());
    let help = match super::suggest::did_you_mean(&name.node, candidates) {
        Some(close) => format!("did you mean `{close}`? the app's ports are {listed}"),
        None if listed.is_empty() => "the app declares no ports".to_string(),
        None => format!("the app's ports are {listed}"),
    };
    Diagnostic::new(
        Code::UnknownPort,
        format!("app `{}` has no port `{}`", owner.name.node, name.node),
        name.span,
    )
    .label("unknown port")
    .secondary(
        owner.name.span,
        format!("app `{}` declared here", owner.name.node),
    )
    .note("an extra Service serves some of its app's ports, named as the app names them")
    .help(help)
}

/// Every extra Service of an app, as apps, without diagnostics (for the model checks,
/// which pair them with their IR).
pub fn of_app(owner: &ast::App) -> Vec<ast::App> {
    owner
        .lines
        .iter()
        .filter_map(|line| match &line.node {
            AppLine::ExtraService(block) => Some(as_app(&mut Vec::new(), owner, block)?.app),
            _ => None,
        })
        .collect()
}

/// The IR of an extra Service: the owner's pods, its own Service settings.
pub fn finish(owner: &ir::App, mut service: ir::App, labels: ir::Labels) -> ir::App {
    service.labels = owner.labels.clone();
    service.preview = owner.preview.clone();
    service.settings.service_labels = owner.settings.service_labels.clone();
    service.settings.service_labels.extend(labels);
    service
}
