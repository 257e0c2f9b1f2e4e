//! The index of a unit: every definition and reference of a name, with its span.
//!
//! In: the syntax trees of the unit's files. Out: [`Index`], which answers "what is
//! named here" (by byte offset), "where is it defined" and "where is it used". Names are
//! resolved the way the checker resolves them (`check/declare.rs`, `check/flows.rs`,
//! `check/ingress.rs`): a bare peer or backend names an app or external of the enclosing
//! namespace, `NS/APP` an app of `NS`, `X/*` a namespace group when one is called `X` and
//! a namespace otherwise, and a port after `PEER:` a port of that peer. Blocks of one
//! namespace merge, so a namespace has a definition per block. Nothing is validated: a
//! reference to an undeclared name simply has no definition.

use crate::collections::{HashMap, HashSet};

use crate::source::{FileId, Span};
use crate::syntax::ast::{self, AppLine, ExternalLine, IngressLine, PeerTarget, PortRef};

/// Names that mean something else in a flow (`check::declare::RESERVED_PEERS`).
pub const RESERVED_PEERS: [&str; 3] = ["world", "ingress", "any"];

/// Something a name can stand for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Symbol {
    Namespace(String),
    Group(String),
    /// An app, external or extra Service: they share one name space per namespace.
    Item {
        namespace: String,
        name: String,
    },
    /// A port of an app or external (`owner`); an unnamed port goes by its number.
    Port {
        namespace: String,
        owner: String,
        name: String,
    },
}

/// What a definition declares, for hover and completion.
#[derive(Debug, Clone)]
pub enum Detail {
    Namespace {
        unmanaged: bool,
    },
    Group {
        labels: String,
    },
    App {
        labels: String,
        ports: Vec<String>,
    },
    External {
        ports: Vec<String>,
    },
    /// An extra Service of the app `owner`.
    Service {
        owner: String,
    },
    /// A port: `80/TCP → target 8080`, and whose it is (`app `api``).
    Port {
        summary: String,
        owner: String,
    },
}

/// One name in the text.
#[derive(Debug, Clone)]
pub struct Occurrence {
    pub span: Span,
    pub symbol: Symbol,
    /// `Some` for a definition.
    pub detail: Option<Detail>,
}

/// A namespace block's extent, for "which namespace is this offset in".
#[derive(Debug, Clone)]
struct Block {
    span: Span,
    namespace: String,
}

/// Every name of a unit.
#[derive(Debug, Default)]
pub struct Index {
    /// Sorted by file and start.
    occurrences: Vec<Occurrence>,
    by_symbol: HashMap<Symbol, Vec<usize>>,
    blocks: Vec<Block>,
    /// Every `allow` statement: its span and namespace.
    flows: Vec<(Span, String)>,
}

impl Index {
    pub fn build<'a>(trees: impl IntoIterator<Item = &'a ast::File> + Clone) -> Index {
        let groups: HashSet<&str> = trees
            .clone()
            .into_iter()
            .flat_map(|tree| &tree.items)
            .filter_map(|item| match item {
                ast::Item::Group(group) => Some(group.name.node.as_str()),
                _ => None,
            })
            .collect();
        let mut index = Index::default();
        for tree in trees {
            for item in &tree.items {
                index.item(item, &groups);
            }
        }
        index
            .occurrences
            .sort_by_key(|o| (o.span.file(), o.span.start()));
        for (i, occurrence) in index.occurrences.iter().enumerate() {
            index
                .by_symbol
                .entry(occurrence.symbol.clone())
                .or_default()
                .push(i);
        }
        index
    }

    /// The name at a byte offset (its start, inside, or just after its end).
    pub fn at(&self, file: FileId, offset: usize) -> Option<&Occurrence> {
        let after = self
            .occurrences
            .partition_point(|o| (o.span.file(), o.span.start()) <= (file, offset));
        let candidates = self.occurrences.get(after.saturating_sub(2)..after)?;
        candidates
            .iter()
            .rev()
            .find(|o| o.span.file() == file && o.span.start() <= offset && offset <= o.span.end())
    }

    /// Every occurrence of a symbol, definitions included, in file order.
    pub fn occurrences(&self, symbol: &Symbol) -> impl Iterator<Item = &Occurrence> {
        self.by_symbol
            .get(symbol)
            .into_iter()
            .flatten()
            .filter_map(|&i| self.occurrences.get(i))
    }

    /// Every definition, in file order.
    pub fn definitions(&self) -> impl Iterator<Item = &Occurrence> {
        self.occurrences.iter().filter(|o| o.detail.is_some())
    }

    /// The namespace whose block holds the offset.
    pub fn namespace_at(&self, file: FileId, offset: usize) -> Option<&str> {
        self.blocks
            .iter()
            .find(|b| b.span.file() == file && b.span.start() <= offset && offset <= b.span.end())
            .map(|b| b.namespace.as_str())
    }

    /// The `allow` statement holding the offset, with its namespace.
    pub fn flow_at(&self, file: FileId, offset: usize) -> Option<(Span, &str)> {
        self.flows
            .iter()
            .find(|(s, _)| s.file() == file && s.start() <= offset && offset <= s.end())
            .map(|(s, ns)| (*s, ns.as_str()))
    }

    fn define(&mut self, span: Span, symbol: Symbol, detail: Detail) {
        self.occurrences.push(Occurrence {
            span,
            symbol,
            detail: Some(detail),
        });
    }

    fn refer(&mut self, span: Span, symbol: Symbol) {
        self.occurrences.push(Occurrence {
            span,
            symbol,
            detail: None,
        });
    }

    fn item(&mut self, item: &ast::Item, groups: &HashSet<&str>) {
        match item {
            ast::Item::Cluster(cluster) => {
                for setting in &cluster.settings {
                    if let ast::ClusterSetting::Dns {
                        namespace: Some(ns),
                        ..
                    }
                    | ast::ClusterSetting::IngressController {
                        namespace: Some(ns),
                        ..
                    } = &setting.node
                    {
                        self.refer(ns.span, Symbol::Namespace(ns.node.clone()));
                    }
                }
            }
            ast::Item::Group(group) => {
                let labels = group
                    .labels
                    .iter()
                    .flat_map(|l| &l.node)
                    .map(label_text)
                    .collect::<Vec<_>>()
                    .join(", ");
                self.define(
                    group.name.span,
                    Symbol::Group(group.name.node.clone()),
                    Detail::Group { labels },
                );
            }
            ast::Item::Namespace(block) => self.namespace(block, groups),
        }
    }

    fn namespace(&mut self, block: &ast::NamespaceBlock, groups: &HashSet<&str>) {
        let ns = &block.name.node;
        self.define(
            block.name.span,
            Symbol::Namespace(ns.clone()),
            Detail::Namespace {
                unmanaged: block.unmanaged.is_some(),
            },
        );
        self.blocks.push(Block {
            span: block.name.span.to(block.close),
            namespace: ns.clone(),
        });
        for item in &block.items {
            match item {
                ast::NamespaceItem::App(app) => self.app(ns, app),
                ast::NamespaceItem::External(external) => self.external(ns, external),
                ast::NamespaceItem::Ingress(ingress) => {
                    for line in &ingress.lines {
                        match &line.node {
                            IngressLine::Host(host) => {
                                for route in &host.routes {
                                    self.backend(ns, &route.backend);
                                }
                            }
                            IngressLine::Route(route) => self.backend(ns, &route.backend),
                            IngressLine::Default(backend) => self.backend(ns, backend),
                            IngressLine::Class(_)
                            | IngressLine::Annotation(_)
                            | IngressLine::Routes(_)
                            | IngressLine::Gateway(_) => {}
                        }
                    }
                }
                ast::NamespaceItem::Flow(flow) => {
                    self.flows.push((flow.span, ns.clone()));
                    for peer in flow.sources.iter().chain(&flow.destinations) {
                        self.peer(ns, peer, groups);
                    }
                }
                ast::NamespaceItem::Expect(expect) => {
                    for peer in [&expect.source, &expect.destination] {
                        self.peer(ns, peer, groups);
                    }
                }
                ast::NamespaceItem::Default(_)
                | ast::NamespaceItem::DnsOff(_)
                | ast::NamespaceItem::AppLabel(_) => {}
            }
        }
    }

    fn app(&mut self, ns: &str, app: &ast::App) {
        let name = &app.name.node;
        let mut labels = Vec::new();
        let mut ports = Vec::new();
        for line in &app.lines {
            match &line.node {
                AppLine::Labels(written) => labels.extend(written.iter().map(label_text)),
                AppLine::Port(decl) => ports.push(self.port(ns, name, "app", decl)),
                AppLine::ExtraService(service) => {
                    self.define(
                        service.name.span,
                        item_symbol(ns, &service.name.node),
                        Detail::Service {
                            owner: name.clone(),
                        },
                    );
                    for line in &service.lines {
                        match &line.node {
                            AppLine::Ports(names) => {
                                for port in names {
                                    self.refer(port.span, port_symbol(ns, name, &port.node));
                                }
                            }
                            AppLine::NodePort { port, .. } => {
                                self.refer(port.span, port_symbol(ns, name, &port.node));
                            }
                            _ => {}
                        }
                    }
                }
                _ => {}
            }
        }
        let labels = if labels.is_empty() {
            "default (the app label key = the app's name)".to_string()
        } else {
            labels.join(", ")
        };
        self.define(
            app.name.span,
            item_symbol(ns, name),
            Detail::App { labels, ports },
        );
    }

    fn external(&mut self, ns: &str, external: &ast::External) {
        let name = &external.name.node;
        let mut ports = Vec::new();
        for line in &external.lines {
            if let ExternalLine::Port(decl) = &line.node {
                ports.push(self.port(ns, name, "external", decl));
            }
        }
        self.define(
            external.name.span,
            item_symbol(ns, name),
            Detail::External { ports },
        );
    }

    /// Defines a port of an app or external (`kind`); its line in the owner's hover.
    fn port(&mut self, ns: &str, owner: &str, kind: &str, decl: &ast::PortDecl) -> String {
        let summary = port_summary(decl, kind == "app");
        let line = format!("`{}` {summary}", decl.name.node);
        self.define(
            decl.name.span,
            port_symbol(ns, owner, &decl.name.node),
            Detail::Port {
                summary,
                owner: format!("{kind} `{owner}`"),
            },
        );
        line
    }

    fn backend(&mut self, ns: &str, backend: &ast::Backend) {
        let app = &backend.app.node;
        self.refer(backend.app.span, item_symbol(ns, app));
        if let Some(port) = &backend.port {
            self.refer(port.span, port_symbol(ns, app, &port.node));
        }
    }

    fn peer(&mut self, ns: &str, peer: &ast::Peer, groups: &HashSet<&str>) {
        let owner = match &peer.target.node {
            PeerTarget::Name(name) if !RESERVED_PEERS.contains(&name.as_str()) => {
                self.refer(peer.target.span, item_symbol(ns, name));
                Some((ns.to_string(), name.clone()))
            }
            PeerTarget::Qualified(qualified) => {
                let (namespace, app) = (&qualified.namespace, &qualified.app);
                self.refer(namespace.span, Symbol::Namespace(namespace.node.clone()));
                self.refer(app.span, item_symbol(&namespace.node, &app.node));
                Some((namespace.node.clone(), app.node.clone()))
            }
            PeerTarget::NamespacePods(name) => {
                let symbol = if groups.contains(name.node.as_str()) {
                    Symbol::Group(name.node.clone())
                } else {
                    Symbol::Namespace(name.node.clone())
                };
                self.refer(name.span, symbol);
                None
            }
            _ => None,
        };
        let Some((namespace, owner)) = owner else {
            return;
        };
        for port in &peer.ports {
            let name = match &port.node {
                PortRef::Name(name) => name.clone(),
                // An unnamed port answers to its number (`web:80`).
                PortRef::Number {
                    port: number,
                    protocol: None,
                } => number.to_string(),
                _ => continue,
            };
            self.refer(port.span, port_symbol(&namespace, &owner, &name));
        }
    }
}

fn item_symbol(namespace: &str, name: &str) -> Symbol {
    Symbol::Item {
        namespace: namespace.to_string(),
        name: name.to_string(),
    }
}

fn port_symbol(namespace: &str, owner: &str, name: &str) -> Symbol {
    Symbol::Port {
        namespace: namespace.to_string(),
        owner: owner.to_string(),
        name: name.to_string(),
    }
}

fn label_text(label: &ast::Label) -> String {
    format!("`{}={}`", label.key.node, label.value.node)
}

/// `80/TCP → target 8080, node port 30080`, from the declaration as written; an app's
/// port without `->` targets its own number, an external's port has no target.
fn port_summary(decl: &ast::PortDecl, of_app: bool) -> String {
    let protocol = decl
        .port
        .protocol
        .as_ref()
        .map_or("TCP".to_string(), |p| p.node.to_uppercase());
    let mut text = format!("{}/{protocol}", decl.port.number.node);
    if let Some(target) = &decl.target {
        match &target.node {
            ast::PortTarget::Number(n) => text.push_str(&format!(" → target {n}")),
            ast::PortTarget::Name(n) => text.push_str(&format!(" → target `{n}`")),
        }
    } else if of_app {
        text.push_str(&format!(" → target {}", decl.port.number.node));
    }
    if let Some(node_port) = &decl.node_port {
        text.push_str(&format!(", node port {}", node_port.node));
    }
    text
}
