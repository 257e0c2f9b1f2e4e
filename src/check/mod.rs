//! Stage 2, check: the AST of every file to the [`crate::ir::Model`].
//!
//! In: the parsed files of one compilation unit. Out: the model, and every diagnostic
//! found (all of them, not only the first). The model is returned only when there is no
//! error. Codes: `E01xx` (names), `E02xx` (values), `E03xx` (rules across objects).
//!
//! Order of work: the `cluster` block (`cluster`); namespace blocks merged by name, with
//! their apps and externals (`declare`); then, with every name known, ingresses
//! (`ingress`) and flows (`flows`) are resolved; the Gateways knet owns are built from
//! the ingresses in Gateway API mode (`gateway`); then the rules that span the
//! whole model (`model`); last, when there is no error, the warnings (`lints`,
//! `W01xx` and `W02xx`). [`allow`] applies the `# knet: allow(CODE)` comments afterwards
//! (it needs the source text, so `crate::compile` calls it).

pub mod allow;
mod apps;
mod cluster;
mod declare;
mod expect;
mod flows;
mod gateway;
mod groups;
mod ingress;
mod lints;
mod model;
mod peers;
pub mod rules;
mod services;
pub mod suggest;
mod values;

use crate::collections::IndexMap;

use crate::diagnostic::Diagnostic;
use crate::ir;
use crate::syntax::ast;

/// The most replicas one app may preview (`E0220`).
pub use apps::MAX_REPLICAS;
/// The words a flow reads as peers, which no app or external may be named.
pub use declare::RESERVED_PEERS;

pub type Diagnostics = Vec<Diagnostic>;

/// Checks a whole compilation unit.
pub fn check(files: &[ast::File]) -> (Option<ir::Model>, Vec<Diagnostic>) {
    check_with(files, crate::Options::default())
}

/// [`check`] with the command line's options (`--routes`).
pub fn check_with(
    files: &[ast::File],
    options: crate::Options,
) -> (Option<ir::Model>, Vec<Diagnostic>) {
    let mut diags = Diagnostics::new();
    let mut cluster = cluster::check(&mut diags, files);
    if let Some(routes) = options.routes {
        cluster.routes = routes;
    }
    let mut blocks = declare::Blocks {
        managed: IndexMap::default(),
        unmanaged: IndexMap::default(),
        groups: Vec::new(),
    };
    for file in files {
        for item in &file.items {
            match item {
                ast::Item::Namespace(block) => {
                    let map = if block.unmanaged.is_some() {
                        &mut blocks.unmanaged
                    } else {
                        &mut blocks.managed
                    };
                    map.entry(block.name.node.clone()).or_default().push(block);
                }
                ast::Item::Group(group) => blocks.groups.push(group),
                ast::Item::Cluster(_) => {}
            }
        }
    }
    let scope = declare::check(&mut diags, &cluster, &blocks);
    let namespaces = &blocks.managed;
    let mut flows = Vec::with_capacity(flow_estimate(namespaces));
    let mut ingresses = IndexMap::default();
    for (name, blocks) in namespaces {
        let ns_ingresses = ingress::check(&mut diags, &scope, name, blocks, &cluster, &mut flows);
        ingresses.insert(name.clone(), ns_ingresses);
        flows::check(&mut diags, &scope, &cluster, name, blocks, &mut flows);
    }
    let mut expectations = Vec::new();
    for (name, blocks) in namespaces {
        expect::check(&mut diags, &scope, name, blocks, &mut expectations);
    }
    let mut model = scope.into_model(cluster, ingresses, flows);
    model.expectations = expectations;
    gateway::check(&mut diags, &mut model, namespaces);
    model::check(&mut diags, &model, namespaces);
    if !diags.iter().any(Diagnostic::is_error) {
        lints::check(&mut diags, &model, namespaces);
    }
    crate::diagnostic::sort(&mut diags);
    if diags.iter().any(Diagnostic::is_error) {
        (None, diags)
    } else {
        (Some(model), diags)
    }
}

/// About how many flows the namespaces' items make: every source of an `allow` with
/// every destination, one implied flow per app (its exposure) and per ingress line.
/// The flow list of a large model is tens of megabytes; grown by doubling, it would
/// copy itself into fresh memory a dozen times, and at 100,000 apps the kernel's zeroing
/// of fresh pages is a fifth of `check`. Capacity that stays unused is never touched.
fn flow_estimate(namespaces: &IndexMap<String, Vec<&ast::NamespaceBlock>>) -> usize {
    let items = namespaces.values().flatten().flat_map(|block| &block.items);
    items
        .map(|item| match item {
            ast::NamespaceItem::Flow(flow) => flow.sources.len() * flow.destinations.len(),
            ast::NamespaceItem::App(_) => 1,
            ast::NamespaceItem::Ingress(ingress) => ingress.lines.len(),
            _ => 0,
        })
        .sum()
}
