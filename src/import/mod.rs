//! `knet import`: Kubernetes YAML to knet source.
//!
//! ```text
//! YAML --documents--> objects --objects--> typed input --apps--> apps per namespace
//!      --connect--> flows (what both sides of every connection allow) --tree--> AST
//!      --fmt::print--> knet text --verify (compiled: E0406 when it does not)--> out
//! ```
//!
//! In: the YAML files of a [`Sources`] (each file a stream of documents). Out: knet
//! text (one unit, and one file per namespace), the diagnostics (`E04xx`: the input is
//! not what it should be; `W04xx`: something that knet cannot say, so the import is not
//! faithful), and the kinds that were skipped. The imported knet, built, allows the
//! same connections as the input's policies for the input's pods; where it cannot, a
//! `W04xx` says so. Layout is `knet fmt`'s: the tree goes through its printer.

mod apps;
mod connect;
mod found;
mod implied;
mod names;
mod ports;
mod routes;
mod select;
mod tree;
mod verify;

use crate::collections::IndexMap;

use crate::diagnostic::Diagnostic;
use crate::kube::{documents, objects};
use crate::source::Sources;
use crate::syntax::ast;

/// The result of an import.
#[derive(Debug, Default)]
pub struct Imported {
    /// The whole unit as one file (empty when the input has errors).
    pub text: String,
    /// The same unit as one file per namespace: `(file stem, text)`.
    pub files: Vec<(String, String)>,
    /// `E04xx` errors and `W04xx` losses, in input order.
    pub diagnostics: Vec<Diagnostic>,
    /// Kinds that knet does not read, with how many objects each had.
    pub skipped: IndexMap<String, usize>,
}

/// Imports every YAML file of `sources`; objects without a namespace go to `default`.
pub fn import(sources: &Sources) -> Imported {
    let mut diagnostics = Vec::new();
    let read = documents::read(sources, "default", &mut diagnostics);
    let mut imported = Imported {
        skipped: read.skipped,
        ..Imported::default()
    };
    if diagnostics.iter().any(Diagnostic::is_error) {
        imported.diagnostics = diagnostics;
        return imported;
    }
    let input = objects::typed(&read.objects);
    for route in input.ingresses.iter().filter(|i| i.gateway.is_some()) {
        let mut seen: Vec<&String> = Vec::new();
        for loss in &route.losses {
            if seen.contains(&loss) {
                continue;
            }
            seen.push(loss);
            diagnostics.push(
                Diagnostic::new(
                    crate::diagnostic::Code::ImportHttpRouteLoss,
                    format!("HTTPRoute `{}/{}` says more than an `ingress` block can: {loss}", route.namespace, route.name),
                    route.span,
                )
                .label("in this HTTPRoute")
                .note("the imported `ingress` block keeps its hosts, paths and first backend")
                .help("redo the rest on the HTTPRoute by hand; `--allow-lossy` accepts the difference"),
            );
        }
    }
    let mut managed: Vec<String> = Vec::new();
    for object in &read.objects {
        if !managed.contains(&object.namespace) {
            managed.push(object.namespace.clone());
        }
    }
    let mut by_namespace = apps::by_namespace(apps::apps(&input, &managed, &mut diagnostics));
    for ns in &managed {
        by_namespace.entry(ns.clone()).or_default();
    }
    by_namespace.sort_by(|a, _, b, _| {
        let index = |n: &String| managed.iter().position(|m| m == n);
        index(a).cmp(&index(b))
    });
    let mut connections = connect::connect(&input, &mut by_namespace, &mut diagnostics);
    connections.dns_on = implied::simplify(
        &mut connections,
        &by_namespace,
        &input.ingresses,
        &mut diagnostics,
    );
    routes::check(&input.ingresses, &by_namespace, &mut diagnostics);
    let plans: Vec<tree::NamespacePlan> = by_namespace
        .iter()
        .map(|(ns, apps)| {
            let (open_ingress, open_egress) =
                connections.open.get(ns).copied().unwrap_or((true, true));
            let mut externals: Vec<(String, tree::ExternalPlan)> = input
                .services
                .iter()
                .filter(|s| &s.namespace == ns && s.kind == "ExternalName")
                .map(|s| {
                    let plan = tree::ExternalPlan {
                        host: s.external_name.clone(),
                        cidr: None,
                    };
                    let name = apps::knet_name(&input.services, s, "external", &mut diagnostics);
                    (name, plan)
                })
                .collect();
            // Address blocks by name: the order the input lists them in is not meaning.
            let mut blocks: Vec<_> = connections
                .externals
                .get(ns)
                .into_iter()
                .flatten()
                .collect();
            blocks.sort_by(|a, b| a.0.cmp(b.0));
            for (name, cidr) in blocks {
                let plan = tree::ExternalPlan {
                    host: None,
                    cidr: Some(cidr.clone()),
                };
                externals.push((name.clone(), plan));
            }
            tree::NamespacePlan {
                name: ns,
                apps,
                externals,
                ingresses: input
                    .ingresses
                    .iter()
                    .filter(|i| &i.namespace == ns)
                    .collect(),
                open_ingress,
                open_egress,
            }
        })
        .collect();
    let cx = tree::Context {
        apps: &by_namespace,
        connections: &connections,
    };
    let file = tree::file(&plans, &cx);
    let text = crate::fmt::print(&file);
    let refused = verify::verify(&text, &read.objects);
    if !refused.is_empty() {
        diagnostics.extend(refused);
        imported.diagnostics = diagnostics;
        return imported;
    }
    imported.text = text;
    imported.files = per_namespace(&file);
    imported.diagnostics = diagnostics;
    imported
}

/// One file per namespace (an unmanaged namespace's too), and `groups` for the
/// namespace groups.
fn per_namespace(file: &ast::File) -> Vec<(String, String)> {
    let mut files: IndexMap<String, Vec<ast::Item>> = IndexMap::default();
    for item in &file.items {
        let stem = match item {
            ast::Item::Namespace(block) => block.name.node.clone(),
            ast::Item::Group(_) | ast::Item::Cluster(_) => "groups".to_string(),
        };
        files.entry(stem).or_default().push(item.clone());
    }
    files
        .into_iter()
        .map(|(stem, items)| (stem, crate::fmt::print(&ast::File { items })))
        .collect()
}
