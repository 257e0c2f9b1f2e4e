//! Diagnostics that teach the peers of a flow: what was probably meant when a peer is
//! not one (`E0111`, `E0327`), and `*` among other ports (`E0338`).
//!
//! A bare namespace name suggests `NS/*`; `all`, `anywhere`, `everyone`, `everything`
//! and `0.0.0.0/0` explain `any`, `world` and `*/*`; an extra Service's name points at
//! its app; `*/NAME` and `GROUP/NAME` say why they cannot be peers.

use std::net::IpAddr;

use super::declare::{NamespaceScope, Scope};
use crate::diagnostic::{Code, Diagnostic};
use crate::source::Span;
use crate::syntax::ast::{self, AppLine};

/// What the three "everything" peers mean, for notes.
const EVERYTHING: &str = "`any` is every source or destination, in the cluster or outside; `world` is every address outside the cluster; `*/*` is every pod of every namespace";

/// Words people write for "everything".
const EVERYTHING_WORDS: [&str; 5] = ["all", "anywhere", "everyone", "everything", "anyone"];

/// A hint for a single name that is not an app or external of this namespace, when one
/// fits.
pub fn hint(scope: &Scope, ns: &NamespaceScope, name: &str, span: Span) -> Option<Diagnostic> {
    if EVERYTHING_WORDS.contains(&name) {
        return Some(
            Diagnostic::new(Code::UnknownPeer, format!("`{name}` is not a peer"), span)
                .label("not a peer")
                .note(EVERYTHING)
                .help("write `any`, `world` or `*/*`, whichever you mean"),
        );
    }
    let kind = if scope.namespaces.contains_key(name) {
        Some("namespace")
    } else if scope.unmanaged.contains_key(name) {
        Some("unmanaged namespace")
    } else if scope.groups.contains_key(name) {
        Some("namespace group")
    } else {
        None
    };
    if let Some(kind) = kind {
        return Some(
            Diagnostic::new(
                Code::UnknownPeer,
                format!("`{name}` is a {kind}, not an app"),
                span,
            )
            .label(format!("a {kind}"))
            .note("a single name in a flow is an app or external of this namespace")
            .help(format!("to name every pod of the {kind}, write `{name}/*`")),
        );
    }
    let owner = ns.apps.values().find(|app| {
        app.ast.lines.iter().any(
            |line| matches!(&line.node, AppLine::ExtraService(block) if block.name.node == name),
        )
    })?;
    Some(
        Diagnostic::new(
            Code::UnknownPeer,
            format!(
                "`{name}` is a Service of app `{}`, not an app",
                owner.ir.name
            ),
            span,
        )
        .label("an extra Service")
        .secondary(owner.ast.name.span, "the app is declared here")
        .note("flows are between pods: every Service of an app leads to the same pods")
        .help(format!("write `{}`", owner.ir.name)),
    )
}

/// `GROUP/APP` or `0.0.0.0/0`: the part before `/` is not a namespace.
pub fn not_a_namespace(
    scope: &Scope,
    namespace: &ast::Name,
    app: &ast::Name,
    span: Span,
) -> Option<Diagnostic> {
    if scope.groups.contains_key(&namespace.node) {
        return Some(
            Diagnostic::new(
                Code::UnreachablePeerKind,
                format!("`{}/{}` names an app in a namespace group", namespace.node, app.node),
                span,
            )
            .label("a group names namespaces, not apps")
            .note("knet knows the apps of the namespaces it declares; a group only says which namespaces by their labels")
            .help(format!("write `{}/*` for every pod of the group's namespaces", namespace.node)),
        );
    }
    if namespace.node.parse::<IpAddr>().is_ok() {
        let text = format!("{}/{}", namespace.node, app.node);
        return Some(
            Diagnostic::new(
                Code::UnknownPeer,
                format!("`{text}` is an address range, not a peer"),
                span,
            )
            .label("addresses are not written in a flow")
            .note(EVERYTHING)
            .help(if app.node == "0" {
                "for every address write `any` (in the cluster or outside) or `world` (outside only)".to_string()
            } else {
                format!("declare an `external` with `cidr {text}` and name it in the flow")
            }),
        );
    }
    None
}

/// `*/NAME`: apps are named in their own namespace.
pub fn any_namespace_app(span: Span, app: &ast::Name) -> Diagnostic {
    Diagnostic::new(
        Code::UnreachablePeerKind,
        format!("`*/{}` is not a peer", app.node),
        span,
    )
    .label("`*/` takes only `*`")
    .note("`*/*` is every pod of every namespace; an app is known only in the namespace that declares it")
    .help(format!(
        "write `NAMESPACE/{}` for the app of one namespace, or `*/*` for every pod",
        app.node
    ))
}

/// `web:{http, *}`
pub fn all_ports_not_alone(all: Span, peer: Span) -> Diagnostic {
    Diagnostic::new(Code::AllPortsNotAlone, "`*` already means every port", all)
        .label("every port and protocol")
        .secondary(peer, "the other ports of this peer add nothing")
        .help("keep `*` alone, or list the ports without it")
}
