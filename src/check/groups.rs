//! Namespace groups (`namespaces GROUP { labels ... }`) and what an `unmanaged
//! namespace` may hold.
//!
//! A group needs one `labels` line (`E0339`, `E0302` for a second); a group, a managed
//! namespace and an unmanaged namespace cannot share a name (`E0121`), since `NAME/*`
//! must mean one thing. An unmanaged namespace holds apps with `labels` and `port` lines
//! only: knet writes nothing for it (`E0336`).

use crate::collections::IndexMap;

use super::declare::Blocks;
use super::{values, Diagnostics};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir;
use crate::source::Span;
use crate::syntax::ast::{self, AppLine, NamespaceItem};

/// A checked namespace group.
pub struct Group {
    pub span: Span,
    pub labels: ir::Labels,
}

pub fn check(
    diags: &mut Diagnostics,
    groups: &[&ast::GroupBlock],
    blocks: &Blocks,
) -> IndexMap<String, Group> {
    let mut out: IndexMap<String, Group> = IndexMap::default();
    for group in groups {
        let name = &group.name;
        values::name(
            diags,
            Code::InvalidNamespaceName,
            "namespace group name",
            &values::DNS_LABEL,
            name,
        );
        if let Some(first) = out.get(&name.node) {
            diags.push(
                Diagnostic::new(
                    Code::DuplicateName,
                    format!("namespace group `{}` is defined twice", name.node),
                    name.span,
                )
                .label("defined again here")
                .secondary(first.span, "first defined here")
                .help("merge the two groups, or rename one"),
            );
            continue;
        }
        let namespace = blocks
            .managed
            .get(&name.node)
            .map(|b| (b, "a managed namespace"))
            .or_else(|| {
                blocks
                    .unmanaged
                    .get(&name.node)
                    .map(|b| (b, "an unmanaged namespace"))
            });
        if let Some((ns_blocks, kind)) = namespace {
            if let Some(first) = ns_blocks.first() {
                diags.push(kind_conflict(&name.node, name.span, first.name.span, kind));
                continue;
            }
        }
        let labels = match group.labels.as_slice() {
            [] => {
                diags.push(
                    Diagnostic::new(
                        Code::GroupWithoutLabels,
                        format!("namespace group `{}` has no `labels`", name.node),
                        name.span,
                    )
                    .label("selects no namespaces")
                    .note("a group is the namespaces whose labels match its `labels` line")
                    .help("add a line such as `labels team=payments`"),
                );
                ir::Labels::default()
            }
            [first, rest @ ..] => {
                for extra in rest {
                    diags.push(super::cluster::setting_twice(
                        "labels", extra.span, first.span,
                    ));
                }
                values::labels(diags, &first.node)
            }
        };
        out.insert(
            name.node.clone(),
            Group {
                span: group.span,
                labels,
            },
        );
    }
    out
}

/// `NAME` is both a namespace group or unmanaged namespace and `kind`.
pub fn kind_conflict(name: &str, span: Span, first: Span, kind: &str) -> Diagnostic {
    Diagnostic::new(
        Code::NamespaceKindConflict,
        format!("`{name}` is already {kind}"),
        span,
    )
    .label("declared again here")
    .secondary(first, format!("{kind} here"))
    .note("`NAME/*` in a flow must mean one thing: a namespace knet manages, an unmanaged namespace, or a namespace group")
    .help("use one name per namespace or group")
}

/// An unmanaged namespace describes pods that exist; anything that would make knet write
/// an object is refused.
pub fn unmanaged_items(diags: &mut Diagnostics, blocks: &[&ast::NamespaceBlock]) {
    for block in blocks {
        let ns = &block.name.node;
        for item in &block.items {
            let (what, span) = match item {
                NamespaceItem::App(app) => {
                    for line in &app.lines {
                        if !matches!(line.node, AppLine::Labels(_) | AppLine::Port(_)) {
                            diags.push(unmanaged(
                                ns,
                                &format!("`{}`", line.node.keyword()),
                                line.span,
                            ));
                        } else if let AppLine::Port(decl) = &line.node {
                            if let Some(node_port) = &decl.node_port {
                                diags.push(unmanaged(ns, "a node port", node_port.span));
                            }
                        }
                    }
                    continue;
                }
                NamespaceItem::AppLabel(_) => continue,
                NamespaceItem::External(external) => ("an external", external.name.span),
                NamespaceItem::Ingress(ingress) => ("an ingress", ingress.name.span),
                NamespaceItem::Flow(flow) => ("a flow", flow.span),
                NamespaceItem::Default(default) => ("`default`", default.span),
                NamespaceItem::DnsOff(span) => ("`dns off`", *span),
                NamespaceItem::Expect(expect) => ("an expectation", expect.span),
            };
            diags.push(unmanaged(ns, what, span));
        }
    }
}

fn unmanaged(namespace: &str, what: &str, span: Span) -> Diagnostic {
    let help = if what == "a flow" {
        format!("write the flow in a managed namespace, naming this namespace's apps as `{namespace}/APP`")
    } else {
        format!("remove it, or manage the namespace: `namespace {namespace} {{ ... }}` without `unmanaged`")
    };
    Diagnostic::new(
        Code::UnmanagedContent,
        format!("{what} in unmanaged namespace `{namespace}`"),
        span,
    )
    .label("knet writes nothing for an unmanaged namespace")
    .note("an unmanaged namespace only describes apps (their `labels` and `port`s) so that flows of other namespaces can name them")
    .help(help)
}
