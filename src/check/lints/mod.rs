//! Warnings: legal Kubernetes that breaks real clusters (`W01xx` flows, policies and
//! externals, `W02xx` ingress; see the book's pages and `../shared/reference/pitfalls.md`).
//!
//! They run on a model without errors, read the IR for meaning and the AST for spans,
//! and never change the output. Each warning has a note that says why it matters and a
//! help line with the fix. The pairwise ones (label subsets, covered flows, shadowed
//! routes) index first, so that they stay fast on namespaces with thousands of apps.

mod apps;
mod externals;
mod flows;
mod ingress;
mod redundant;

use crate::collections::IndexMap;

use super::Diagnostics;
use crate::ir;
use crate::source::Span;
use crate::syntax::ast;

/// The blocks of every namespace, and their apps by (namespace, name).
pub struct Blocks<'a> {
    by_namespace: &'a IndexMap<String, Vec<&'a ast::NamespaceBlock>>,
    /// Made when a warning first needs an app's spans: a model without such warnings
    /// never pays for an entry per app.
    apps: std::cell::OnceCell<IndexMap<(&'a str, &'a str), &'a ast::App>>,
}

impl<'a> Blocks<'a> {
    fn new(by_namespace: &'a IndexMap<String, Vec<&'a ast::NamespaceBlock>>) -> Self {
        Blocks {
            by_namespace,
            apps: std::cell::OnceCell::new(),
        }
    }

    /// Every app's AST by (namespace, name): the first definition of each.
    fn apps(&self) -> &IndexMap<(&'a str, &'a str), &'a ast::App> {
        self.apps.get_or_init(|| {
            let count = self
                .items()
                .filter(|item| matches!(item, ast::NamespaceItem::App(_)))
                .count();
            let mut apps = IndexMap::with_capacity_and_hasher(count, Default::default());
            for (namespace, blocks) in self.by_namespace {
                for item in blocks.iter().flat_map(|b| &b.items) {
                    if let ast::NamespaceItem::App(app) = item {
                        apps.entry((namespace.as_str(), app.name.node.as_str()))
                            .or_insert(app);
                    }
                }
            }
            apps
        })
    }

    /// The blocks of each namespace.
    pub fn values(&self) -> impl Iterator<Item = &Vec<&'a ast::NamespaceBlock>> {
        self.by_namespace.values()
    }

    /// Every item of every namespace, in source order.
    pub fn items(&self) -> impl Iterator<Item = &'a ast::NamespaceItem> + '_ {
        self.by_namespace.values().flatten().flat_map(|b| &b.items)
    }

    /// The blocks of one namespace.
    pub fn of(&self, namespace: &str) -> Option<&Vec<&'a ast::NamespaceBlock>> {
        self.by_namespace.get(namespace)
    }
}

pub fn check(
    diags: &mut Diagnostics,
    model: &ir::Model,
    blocks: &IndexMap<String, Vec<&ast::NamespaceBlock>>,
) {
    let blocks = Blocks::new(blocks);
    apps::check(diags, model, &blocks);
    flows::check(diags, model, &blocks);
    externals::check(diags, &blocks);
    ingress::check(diags, model, &blocks);
}

/// The AST of an app (the first definition).
pub fn app_ast<'a>(blocks: &Blocks<'a>, namespace: &str, app: &str) -> Option<&'a ast::App> {
    blocks.apps().get(&(namespace, app)).copied()
}

/// Where an app's labels are written, or its name when it has the default labels.
pub fn labels_span(app: &ast::App) -> Span {
    app.lines
        .iter()
        .find_map(|line| match &line.node {
            ast::AppLine::Labels(labels) => {
                let first = labels.first()?.key.span;
                let last = labels.last()?.value.span;
                Some(first.to(last))
            }
            _ => None,
        })
        .unwrap_or(app.name.span)
}
