//! Namespaces and what they declare: blocks of one namespace merged across files,
//! namespace names (`E0101`), defaults (`E0303`), apps ([`super::apps`]) and externals,
//! duplicate names (`E0114`). The result is the [`Scope`] that ingresses and flows are
//! resolved against.

use std::cell::OnceCell;

use crate::collections::{HashMap, IndexMap};

use super::values::{self, DNS_1035_LABEL, DNS_LABEL, IANA_NAME};
use super::{apps, rules, Diagnostics};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir;
use crate::source::Span;
use crate::syntax::ast::{self, DefaultPolicy, ExternalLine, Spanned};

/// Every namespace declared in knet, with its apps and externals; the unmanaged
/// namespaces (apps only) and the namespace groups.
pub struct Scope<'a> {
    pub namespaces: IndexMap<String, NamespaceScope<'a>>,
    pub unmanaged: IndexMap<String, NamespaceScope<'a>>,
    pub groups: IndexMap<String, super::groups::Group>,
}

pub struct NamespaceScope<'a> {
    /// Where the namespace is first named.
    pub name_span: Span,
    pub isolate_ingress: bool,
    pub isolate_egress: bool,
    pub dns: bool,
    /// Apps and externals share one name space: both become Services.
    pub apps: DeclaredApps<'a>,
    pub externals: IndexMap<String, Declared<'a, ast::External, ir::External>>,
}

/// A declaration: its AST (for spans) and its meaning (best effort when invalid, so that
/// references to it do not cascade into "unknown name" errors).
pub struct Declared<'a, A, I> {
    pub ast: &'a A,
    pub ir: I,
}

/// A namespace's apps: their meaning by name, which becomes the model's map as it is
/// (the largest map of a large model: copied into another and rehashed, it was a tenth
/// of the peak memory of `check`), and beside it, in the same order, what the checks
/// need of each app besides.
pub struct DeclaredApps<'a> {
    irs: IndexMap<String, ir::App>,
    besides: Vec<AppBesides<'a>>,
}

/// What the checks keep of an app besides its meaning.
struct AppBesides<'a> {
    ast: &'a ast::App,
    /// Its ports by the names flows use, made on first use ([`super::flows::app_port`]).
    port_names: OnceCell<super::flows::PortNames>,
    /// The peer that stands for it, made on first use ([`super::flows::declared_peer`]).
    peer: OnceCell<ir::Peer>,
}

/// One declared app: its AST (for spans), its meaning, and what flows make of it.
#[derive(Clone, Copy)]
pub struct DeclaredApp<'d, 'a> {
    /// Its place among its namespace's apps (the model's `Namespace::apps`).
    pub place: usize,
    pub ast: &'a ast::App,
    pub ir: &'d ir::App,
    pub port_names: &'d OnceCell<super::flows::PortNames>,
    pub peer: &'d OnceCell<ir::Peer>,
}

impl<'a> DeclaredApps<'a> {
    fn with_capacity(apps: usize) -> Self {
        DeclaredApps {
            irs: IndexMap::with_capacity_and_hasher(apps, Default::default()),
            besides: Vec::with_capacity(apps),
        }
    }

    /// Adds an app. Its name is not taken ([`first_definition`] says so); if it were,
    /// the app would replace the one of that name, in both lists alike.
    fn push(&mut self, ast: &'a ast::App, ir: ir::App) {
        let (index, _) = self.irs.insert_full(ast.name.node.clone(), ir);
        let besides = AppBesides {
            ast,
            port_names: OnceCell::new(),
            peer: OnceCell::new(),
        };
        match self.besides.get_mut(index) {
            Some(slot) => *slot = besides,
            None => self.besides.push(besides),
        }
    }

    fn at(&self, index: usize) -> Option<DeclaredApp<'_, 'a>> {
        let (_, ir) = self.irs.get_index(index)?;
        let besides = self.besides.get(index)?;
        Some(DeclaredApp {
            place: index,
            ast: besides.ast,
            ir,
            port_names: &besides.port_names,
            peer: &besides.peer,
        })
    }

    pub fn get(&self, name: &str) -> Option<DeclaredApp<'_, 'a>> {
        self.at(self.irs.get_index_of(name)?)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.irs.contains_key(name)
    }

    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.irs.keys()
    }

    /// The apps in the order they are declared.
    pub fn values(&self) -> impl Iterator<Item = DeclaredApp<'_, 'a>> {
        (0..self.irs.len()).filter_map(|index| self.at(index))
    }
}

impl<'a> Scope<'a> {
    pub fn into_model(
        self,
        cluster: ir::Cluster,
        mut ingresses: IndexMap<String, IndexMap<String, ir::Ingress>>,
        flows: Vec<ir::Flow>,
    ) -> ir::Model {
        let unmanaged = self
            .unmanaged
            .into_iter()
            .map(|(name, ns)| (name.clone(), ns.into_namespace(name, IndexMap::default())))
            .collect();
        let namespaces = self
            .namespaces
            .into_iter()
            .map(|(name, ns)| {
                // `swap_remove`: the rest are only looked up by name, and a
                // `shift_remove` moves every later namespace's entry (quadratic in
                // namespaces: 10,000 of them took a second).
                let own = ingresses.swap_remove(&name).unwrap_or_default();
                (name.clone(), ns.into_namespace(name, own))
            })
            .collect();
        ir::Model {
            cluster,
            namespaces,
            flows,
            unmanaged,
            groups: self
                .groups
                .into_iter()
                .map(|(name, group)| (name, group.labels))
                .collect(),
            expectations: Vec::new(),
        }
    }
}

impl NamespaceScope<'_> {
    fn into_namespace(
        self,
        name: String,
        ingresses: IndexMap<String, ir::Ingress>,
    ) -> ir::Namespace {
        ir::Namespace {
            name,
            isolate_ingress: self.isolate_ingress,
            isolate_egress: self.isolate_egress,
            dns: self.dns,
            apps: self.apps.irs,
            externals: self.externals.into_iter().map(|(k, d)| (k, d.ir)).collect(),
            ingresses,
            gateways: IndexMap::default(),
            reference_grants: Vec::new(),
        }
    }
}

/// The blocks of a unit, by kind: namespaces merged by name, and namespace groups.
pub struct Blocks<'a> {
    pub managed: IndexMap<String, Vec<&'a ast::NamespaceBlock>>,
    pub unmanaged: IndexMap<String, Vec<&'a ast::NamespaceBlock>>,
    pub groups: Vec<&'a ast::GroupBlock>,
}

pub fn check<'a>(diags: &mut Diagnostics, cluster: &ir::Cluster, blocks: &Blocks<'a>) -> Scope<'a> {
    let mut scope = Scope {
        namespaces: IndexMap::default(),
        unmanaged: IndexMap::default(),
        groups: IndexMap::default(),
    };
    for (name, ns_blocks) in &blocks.managed {
        if let Some(ns) = namespace_scope(diags, cluster, name, ns_blocks) {
            scope.namespaces.insert(name.clone(), ns);
        }
    }
    for (name, ns_blocks) in &blocks.unmanaged {
        if let Some(managed) = blocks.managed.get(name).and_then(|b| b.first()) {
            let first = ns_blocks.first().map_or(managed.name.span, |b| b.name.span);
            diags.push(super::groups::kind_conflict(
                name,
                first,
                managed.name.span,
                "a managed namespace",
            ));
            continue;
        }
        super::groups::unmanaged_items(diags, ns_blocks);
        if let Some(mut ns) = namespace_scope(diags, cluster, name, ns_blocks) {
            (ns.isolate_ingress, ns.isolate_egress, ns.dns) = (false, false, false);
            scope.unmanaged.insert(name.clone(), ns);
        }
    }
    scope.groups = super::groups::check(diags, &blocks.groups, blocks);
    scope
}

/// One namespace's blocks: name, defaults, apps and externals.
fn namespace_scope<'a>(
    diags: &mut Diagnostics,
    cluster: &ir::Cluster,
    name: &str,
    blocks: &[&'a ast::NamespaceBlock],
) -> Option<NamespaceScope<'a>> {
    let first = blocks.first()?;
    values::name(
        diags,
        Code::InvalidNamespaceName,
        "namespace name",
        &DNS_LABEL,
        &first.name,
    );
    let (isolate_ingress, isolate_egress) = defaults(diags, name, blocks);
    let dns = !blocks
        .iter()
        .flat_map(|b| &b.items)
        .any(|item| matches!(item, ast::NamespaceItem::DnsOff(_)));
    let app_label = app_label(diags, cluster, blocks);
    // Room for exactly the namespace's apps: a map grows through room for four, and a
    // model of many small namespaces has tens of thousands with one.
    let apps = blocks
        .iter()
        .flat_map(|b| &b.items)
        .filter(|item| matches!(item, ast::NamespaceItem::App(_)))
        .count();
    let mut ns = NamespaceScope {
        name_span: first.name.span,
        isolate_ingress,
        isolate_egress,
        dns,
        apps: DeclaredApps::with_capacity(apps),
        externals: IndexMap::default(),
    };
    for item in blocks.iter().flat_map(|b| &b.items) {
        match item {
            ast::NamespaceItem::App(app) => {
                if !first_definition(diags, &ns, &app.name) {
                    continue;
                }
                let ir = apps::check(diags, cluster, &app_label, app);
                ns.apps.push(app, ir);
            }
            ast::NamespaceItem::External(external) => {
                if !first_definition(diags, &ns, &external.name) {
                    continue;
                }
                let ir = check_external(diags, external);
                ns.externals
                    .insert(external.name.node.clone(), Declared { ast: external, ir });
            }
            _ => {}
        }
    }
    extra_service_names(diags, &ns);
    Some(ns)
}

/// The namespace's `app-label`, or the cluster's; blocks of one namespace must agree.
fn app_label(
    diags: &mut Diagnostics,
    cluster: &ir::Cluster,
    blocks: &[&ast::NamespaceBlock],
) -> String {
    let mut chosen: Option<&Spanned<String>> = None;
    for item in blocks.iter().flat_map(|b| &b.items) {
        let ast::NamespaceItem::AppLabel(key) = item else {
            continue;
        };
        match chosen {
            None => {
                if values::label_key(diags, key) {
                    chosen = Some(key);
                }
            }
            Some(first) if first.node == key.node => {}
            Some(first) => diags.push(super::cluster::setting_twice(
                "app-label",
                key.span,
                first.span,
            )),
        }
    }
    chosen.map_or_else(|| cluster.app_label.clone(), |key| key.node.clone())
}

/// An extra Service is a Service: its name must not be another Service's. The apps'
/// and externals' names are looked up where they are kept; only the extra Services'
/// own names are gathered (a map of every name was a pass of hashing over every app).
fn extra_service_names(diags: &mut Diagnostics, ns: &NamespaceScope) {
    let mut extra: HashMap<&str, Span> = HashMap::default();
    for app in ns.apps.values() {
        for line in &app.ast.lines {
            let ast::AppLine::ExtraService(block) = &line.node else {
                continue;
            };
            let name = &block.name;
            let first = ns
                .apps
                .get(&name.node)
                .map(|app| (app.ast.name.span, "an app"))
                .or_else(|| {
                    let external = ns.externals.get(&name.node)?;
                    Some((external.ast.name.span, "an external"))
                })
                .or_else(|| Some((*extra.get(name.node.as_str())?, "an extra Service")));
            if let Some((first, kind)) = first {
                diags.push(
                    Diagnostic::new(
                        Code::DuplicateName,
                        format!("`{}` is defined twice in this namespace", name.node),
                        name.span,
                    )
                    .label("a Service of this name again here")
                    .secondary(first, format!("first defined here as {kind}"))
                    .note("apps, their extra Services and externals share one name space: each becomes a Service of that name")
                    .help("rename the extra Service"),
                );
            } else {
                extra.insert(&name.node, name.span);
            }
        }
    }
}

/// Reports a second app or external of one name (both would be the Service `NAME`).
fn first_definition(diags: &mut Diagnostics, ns: &NamespaceScope, name: &ast::Name) -> bool {
    let earlier = ns
        .apps
        .get(&name.node)
        .map(|d| (d.ast.name.span, "app"))
        .or_else(|| {
            ns.externals
                .get(&name.node)
                .map(|d| (d.ast.name.span, "external"))
        });
    let Some((first_span, kind)) = earlier else {
        return true;
    };
    diags.push(
        Diagnostic::new(
            Code::DuplicateName,
            format!("`{}` is defined twice in this namespace", name.node),
            name.span,
        )
        .label("defined again here")
        .secondary(first_span, format!("first defined here as an {kind}"))
        .note("apps and externals share one name space: each becomes a Service of that name")
        .help("rename one of them"),
    );
    false
}

/// The isolation of a namespace: `default deny` unless its blocks say otherwise, and
/// they must agree.
fn defaults(diags: &mut Diagnostics, name: &str, blocks: &[&ast::NamespaceBlock]) -> (bool, bool) {
    let mut chosen: Option<&Spanned<DefaultPolicy>> = None;
    for item in blocks.iter().flat_map(|b| &b.items) {
        let ast::NamespaceItem::Default(policy) = item else {
            continue;
        };
        match chosen {
            None => chosen = Some(policy),
            Some(first) if first.node == policy.node => {}
            Some(first) => diags.push(
                Diagnostic::new(
                    Code::ConflictingDefaults,
                    format!("conflicting defaults for namespace `{name}`"),
                    policy.span,
                )
                .label("this default")
                .secondary(first.span, "disagrees with this one")
                .note("blocks of one namespace merge into one namespace, which has one default")
                .help("keep one `default` line for the namespace"),
            ),
        }
    }
    match chosen.map(|p| p.node) {
        None | Some(DefaultPolicy::Deny) => (true, true),
        Some(DefaultPolicy::AllowIngress) => (false, true),
        Some(DefaultPolicy::AllowEgress) => (true, false),
        Some(DefaultPolicy::AllowBoth) => (false, false),
    }
}

/// Names that mean something else in a flow.
pub const RESERVED_PEERS: [&str; 3] = ["world", "ingress", "any"];

pub fn reserved(diags: &mut Diagnostics, kind: &str, name: &ast::Name) {
    if RESERVED_PEERS.contains(&name.node.as_str()) {
        diags.push(
            Diagnostic::new(
                Code::ReservedName,
                format!("an {kind} cannot be named `{}`", name.node),
                name.span,
            )
            .label("reserved name")
            .note(format!(
                "in a flow, `{}` always means {}",
                name.node,
                match name.node.as_str() {
                    "world" => "any address outside the cluster",
                    "any" => "every source or destination, in the cluster or outside",
                    _ => "the ingress controller pods",
                }
            ))
            .help("choose another name"),
        );
    }
}

fn check_external(diags: &mut Diagnostics, external: &ast::External) -> ir::External {
    values::name(
        diags,
        Code::InvalidServiceName,
        "external name",
        &DNS_1035_LABEL,
        &external.name,
    );
    reserved(diags, "external", &external.name);
    let mut out = ir::External {
        name: external.name.node.clone(),
        host: None,
        cidrs: Vec::new(),
        ports: Vec::new(),
    };
    let mut host_line: Option<Span> = None;
    let mut port_names: Vec<&ast::Name> = Vec::new();
    for line in &external.lines {
        match &line.node {
            ExternalLine::Host(host) => {
                if let Some(first) = host_line {
                    diags.push(super::cluster::setting_twice("host", line.span, first));
                    continue;
                }
                host_line = Some(line.span);
                match rules::external_name(&host.node) {
                    Ok(()) => out.host = Some(host.node.clone()),
                    Err(reasons) => diags.push(
                        values::value_error(
                            Code::InvalidExternalHost,
                            format!("`{}` is not a valid external host", host.node),
                            host.span,
                            &reasons,
                        )
                        .note("`host` becomes the `externalName` of a Service: a lowercase DNS name, without scheme, port or path"),
                    ),
                }
            }
            ExternalLine::Cidr(entries) => {
                for entry in entries {
                    if let Some(block) = ip_block(diags, entry) {
                        out.cidrs.push(block);
                    }
                }
            }
            ExternalLine::Port(decl) => {
                port_name(diags, &port_names, &decl.name);
                port_names.push(&decl.name);
                let number = values::port(diags, &decl.port.number, "port");
                let protocol = values::protocol(diags, decl.port.protocol.as_deref());
                if let (Some(port), Some(protocol)) = (number, protocol) {
                    out.ports.push(ir::ExternalPort {
                        name: decl.name.node.clone(),
                        port,
                        protocol,
                    });
                }
            }
        }
    }
    out
}

/// A port name: an IANA service name, unique within its app or external.
pub fn port_name(diags: &mut Diagnostics, earlier: &[&ast::Name], name: &ast::Name) {
    values::name(diags, Code::InvalidPortName, "port name", &IANA_NAME, name);
    if let Some(first) = earlier.iter().find(|n| n.node == name.node) {
        diags.push(
            Diagnostic::new(
                Code::DuplicatePortName,
                format!("port `{}` is defined twice", name.node),
                name.span,
            )
            .label("defined again here")
            .secondary(first.span, "first defined here")
            .help("give each port its own name"),
        );
    }
}

/// `CIDR except ...`: every address strict, each exception a strict subset.
pub fn ip_block(diags: &mut Diagnostics, entry: &ast::CidrEntry) -> Option<ir::IpBlock> {
    let cidr = values::cidr(diags, &entry.cidr);
    let mut except = Vec::new();
    for written in &entry.except {
        let Some(net) = values::cidr(diags, written) else {
            continue;
        };
        if let Some(cidr) = &cidr {
            if let Err(reasons) = rules::except_subset(cidr, &net) {
                diags.push(
                    values::value_error(
                        Code::InvalidExcept,
                        format!("`{}` is not a strict subset of `{cidr}`", written.node),
                        written.span,
                        &reasons,
                    )
                    .secondary(entry.cidr.span, "the CIDR it is an exception to"),
                );
                continue;
            }
        }
        except.push(net);
    }
    cidr.map(|cidr| ir::IpBlock { cidr, except })
}
