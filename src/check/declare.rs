//! Namespaces and what they declare: blocks of one namespace merged across files,
//! namespace names (`E0101`), defaults (`E0303`), apps ([`super::apps`]) and externals,
//! duplicate names (`E0114`). The result is the [`Scope`] that ingresses and flows are
//! resolved against.

use indexmap::IndexMap;

use super::values::{self, DNS_1035_LABEL, DNS_LABEL, IANA_NAME};
use super::{apps, rules, Diagnostics};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir;
use crate::source::Span;
use crate::syntax::ast::{self, DefaultPolicy, ExternalLine, Spanned};

/// Every namespace declared in knet, with its apps and externals.
pub struct Scope<'a> {
    pub namespaces: IndexMap<String, NamespaceScope<'a>>,
}

pub struct NamespaceScope<'a> {
    /// Where the namespace is first named.
    pub name_span: Span,
    pub isolate_ingress: bool,
    pub isolate_egress: bool,
    pub dns: bool,
    /// Apps and externals share one name space: both become Services.
    pub apps: IndexMap<String, Declared<'a, ast::App, ir::App>>,
    pub externals: IndexMap<String, Declared<'a, ast::External, ir::External>>,
}

/// A declaration: its AST (for spans) and its meaning (best effort when invalid, so that
/// references to it do not cascade into "unknown name" errors).
pub struct Declared<'a, A, I> {
    pub ast: &'a A,
    pub ir: I,
}

impl<'a> Scope<'a> {
    pub fn into_model(
        self,
        cluster: ir::Cluster,
        mut ingresses: IndexMap<String, IndexMap<String, ir::Ingress>>,
        flows: Vec<ir::Flow>,
    ) -> ir::Model {
        let namespaces = self
            .namespaces
            .into_iter()
            .map(|(name, ns)| {
                let namespace = ir::Namespace {
                    name: name.clone(),
                    isolate_ingress: ns.isolate_ingress,
                    isolate_egress: ns.isolate_egress,
                    dns: ns.dns,
                    apps: ns.apps.into_iter().map(|(k, d)| (k, d.ir)).collect(),
                    externals: ns.externals.into_iter().map(|(k, d)| (k, d.ir)).collect(),
                    ingresses: ingresses.shift_remove(&name).unwrap_or_default(),
                };
                (name, namespace)
            })
            .collect();
        ir::Model {
            cluster,
            namespaces,
            flows,
        }
    }
}

pub fn check<'a>(
    diags: &mut Diagnostics,
    cluster: &ir::Cluster,
    namespaces: &IndexMap<String, Vec<&'a ast::NamespaceBlock>>,
) -> Scope<'a> {
    let mut scope = Scope {
        namespaces: IndexMap::new(),
    };
    for (name, blocks) in namespaces {
        let Some(first) = blocks.first() else {
            continue;
        };
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
        let mut ns = NamespaceScope {
            name_span: first.name.span,
            isolate_ingress,
            isolate_egress,
            dns,
            apps: IndexMap::new(),
            externals: IndexMap::new(),
        };
        for item in blocks.iter().flat_map(|b| &b.items) {
            match item {
                ast::NamespaceItem::App(app) => {
                    if !first_definition(diags, &ns, &app.name) {
                        continue;
                    }
                    let ir = apps::check(diags, cluster, app);
                    ns.apps
                        .insert(app.name.node.clone(), Declared { ast: app, ir });
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
        scope.namespaces.insert(name.clone(), ns);
    }
    scope
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
pub const RESERVED_PEERS: [&str; 2] = ["world", "ingress"];

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
                if name.node == "world" {
                    "any address outside the cluster"
                } else {
                    "the ingress controller pods"
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
                let protocol = values::protocol(diags, decl.port.protocol.as_ref());
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
