//! `expect allow|deny SOURCE -> DESTINATION[:PORT]` lines to [`ir::Expectation`]s.
//!
//! Resolves the two peers to what the reachability analysis can ask about (an app, the
//! apps of a namespace, a pod of another namespace or group, `*/*`, `ingress`, `world`,
//! an external) and the one port (a port of the destination app, or a number for
//! other destinations). Codes: `E0111` (unknown name), `E0112` (unknown port), `E0346`
//! (a peer or port an expectation cannot check: `any`, several ports, a range, a port
//! on the source). Whether the expectation holds is `crate::analysis::expect`'s
//! business (`E0339`), once the model has no error.

use super::declare::Scope;
use super::{values, Diagnostics};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{ExpectEnd, ExpectPort, Expectation};
use crate::syntax::ast::{self, PeerTarget, PortRef};

pub fn check(
    diags: &mut Diagnostics,
    scope: &Scope,
    namespace: &str,
    blocks: &[&ast::NamespaceBlock],
    out: &mut Vec<Expectation>,
) {
    for item in blocks.iter().flat_map(|b| &b.items) {
        let ast::NamespaceItem::Expect(expect) = item else {
            continue;
        };
        if let Some(port) = expect.source.ports.first() {
            diags.push(
                Diagnostic::new(
                    Code::ExpectationTarget,
                    "an expectation's source has no port",
                    port.span,
                )
                .label("connections are opened to a port, not from one")
                .help("put the port on the destination"),
            );
        }
        let source = end(diags, scope, namespace, &expect.source);
        let destination = end(diags, scope, namespace, &expect.destination);
        let port = match &*expect.destination.ports {
            [] => Some(None),
            [one] => port(diags, scope, destination.as_ref(), one).map(Some),
            [_, second, ..] => {
                diags.push(
                    Diagnostic::new(
                        Code::ExpectationTarget,
                        "an expectation checks one port",
                        second.span,
                    )
                    .label("a second port")
                    .help("write one `expect` line per port"),
                );
                None
            }
        };
        if let (Some(source), Some(destination), Some(port)) = (source, destination, port) {
            out.push(Expectation {
                allow: expect.allow.node,
                source,
                destination,
                port,
                namespace: namespace.to_string(),
                span: expect.span,
                source_span: expect.source.span,
                destination_span: expect.destination.span,
            });
        }
    }
}

fn end(diags: &mut Diagnostics, scope: &Scope, here: &str, peer: &ast::Peer) -> Option<ExpectEnd> {
    let span = peer.target.span;
    let cannot = |what: &str, help: &str| {
        Diagnostic::new(
            Code::ExpectationTarget,
            format!("an expectation cannot check {what}"),
            span,
        )
        .label("not one endpoint")
        .help(help.to_string())
    };
    let unknown = |name: &str, namespace: &str| {
        Diagnostic::new(
            Code::UnknownPeer,
            format!("unknown app or external `{name}` in namespace `{namespace}`"),
            span,
        )
        .label("not declared")
    };
    let ns = scope.namespaces.get(here)?;
    let resolved = match &peer.target.node {
        PeerTarget::Name(name) if ns.apps.contains_key(name) => ExpectEnd::App {
            namespace: here.to_string(),
            app: name.clone(),
        },
        PeerTarget::Name(name) if ns.externals.contains_key(name) => ExpectEnd::External {
            namespace: here.to_string(),
            name: name.clone(),
        },
        PeerTarget::Name(name) if name == "world" => ExpectEnd::World,
        PeerTarget::Name(name) if name == "ingress" => ExpectEnd::IngressController,
        PeerTarget::Name(name) if name == "any" => {
            diags.push(cannot(
                "`any`",
                "name one endpoint: `world` (outside the cluster), `*/*` (a pod of another namespace), or an app",
            ));
            return None;
        }
        PeerTarget::Name(name) => {
            diags.push(unknown(name, here));
            return None;
        }
        PeerTarget::Qualified(qualified) => {
            let (namespace, app) = (&qualified.namespace, &qualified.app);
            let known = scope
                .namespaces
                .get(&namespace.node)
                .or_else(|| scope.unmanaged.get(&namespace.node))
                .is_some_and(|n| n.apps.contains_key(&app.node));
            if !known {
                diags.push(unknown(&app.node, &namespace.node));
                return None;
            }
            ExpectEnd::App {
                namespace: namespace.node.clone(),
                app: app.node.clone(),
            }
        }
        PeerTarget::AllPods => ExpectEnd::AppsOf(here.to_string()),
        PeerTarget::NamespacePods(name) if scope.namespaces.contains_key(&name.node) => {
            ExpectEnd::AppsOf(name.node.clone())
        }
        PeerTarget::NamespacePods(name) if scope.groups.contains_key(&name.node) => {
            ExpectEnd::Group(name.node.clone())
        }
        PeerTarget::NamespacePods(name) => ExpectEnd::NamespacePods(name.node.clone()),
        PeerTarget::AnyNamespace => ExpectEnd::Elsewhere,
        PeerTarget::AnyNamespaceApp(_) => {
            diags.push(cannot(
                "`*/NAME`",
                "name the app with its namespace (`NS/APP`), or `*/*` for a pod of another namespace",
            ));
            return None;
        }
    };
    Some(resolved)
}

fn port(
    diags: &mut Diagnostics,
    scope: &Scope,
    destination: Option<&ExpectEnd>,
    written: &ast::Spanned<PortRef>,
) -> Option<ExpectPort> {
    let cannot = |what: &str| {
        Diagnostic::new(
            Code::ExpectationTarget,
            format!("an expectation cannot check {what}"),
            written.span,
        )
        .label("not one port")
        .help("name one port: a port of the app, or `NUMBER[/PROTOCOL]`")
    };
    match &written.node {
        PortRef::All => {
            diags.push(cannot("every port"));
            None
        }
        PortRef::Range { .. } => {
            diags.push(cannot("a range"));
            None
        }
        PortRef::Number { port, protocol } => {
            let number = ast::Spanned::new(*port, written.span);
            let port = values::port(diags, &number, "port")?;
            let protocol = values::protocol(diags, protocol.as_deref())?;
            if let Some(ExpectEnd::App { namespace, app }) = destination {
                let app = app_of(scope, namespace, app)?;
                if let Some(declared) = app
                    .ports
                    .iter()
                    .find(|p| p.name.is_empty() && p.port == port && p.protocol == protocol)
                {
                    return Some(ExpectPort::App(declared.clone()));
                }
            }
            Some(ExpectPort::Number { protocol, port })
        }
        PortRef::Name(name) => {
            let Some(ExpectEnd::App { namespace, app }) = destination else {
                // An external's named port.
                if let Some(ExpectEnd::External {
                    namespace,
                    name: external,
                }) = destination
                {
                    let found = scope
                        .namespaces
                        .get(namespace)
                        .and_then(|n| n.externals.get(external))
                        .and_then(|e| e.ir.ports.iter().find(|p| &p.name == name));
                    if let Some(p) = found {
                        return Some(ExpectPort::Number {
                            protocol: p.protocol,
                            port: p.port,
                        });
                    }
                }
                diags.push(unknown_port(name, written.span, "the destination"));
                return None;
            };
            let ir_app = app_of(scope, namespace, app)?;
            match ir_app.ports.iter().find(|p| p.answers_to(name)) {
                Some(p) => Some(ExpectPort::App(p.clone())),
                None => {
                    diags.push(unknown_port(name, written.span, &format!("`{app}`")));
                    None
                }
            }
        }
    }
}

fn app_of<'s>(scope: &'s Scope, namespace: &str, app: &str) -> Option<&'s crate::ir::App> {
    scope
        .namespaces
        .get(namespace)
        .or_else(|| scope.unmanaged.get(namespace))
        .and_then(|n| n.apps.get(app))
        .map(|d| d.ir)
}

fn unknown_port(name: &str, span: crate::source::Span, of: &str) -> Diagnostic {
    Diagnostic::new(
        Code::UnknownPort,
        format!("{of} has no port `{name}`"),
        span,
    )
    .label("unknown port")
}
