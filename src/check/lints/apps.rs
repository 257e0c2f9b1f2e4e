//! Warnings about apps: labels that also select another app's pods (`W0102`), ports
//! (`W0107`) and apps (`W0108`) that nothing may reach in a namespace that isolates
//! ingress.

use smallvec::SmallVec;

use crate::collections::{HashMap, HashSet, IndexMap, SCANNED};

use super::{app_ast, labels_span, Blocks};
use crate::check::Diagnostics;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, Peer, TargetPort};
use crate::syntax::ast;

pub fn check(diags: &mut Diagnostics, model: &ir::Model, blocks: &Blocks) {
    // The flows into each namespace, in the model's order, found in one pass: a pass
    // over every flow for each namespace was quadratic in a model of many namespaces.
    let mut into: HashMap<&str, Vec<&ir::Flow>> = HashMap::default();
    for flow in &model.flows {
        let namespace = match &flow.to {
            Peer::App { namespace, .. } | Peer::Namespace { namespace } => &**namespace,
            Peer::Pods(selector) => selector.namespace.as_str(),
            _ => continue,
        };
        into.entry(namespace).or_default().push(flow);
    }
    for ns in model.namespaces.values() {
        label_subsets(diags, ns, blocks);
        if ns.isolate_ingress {
            let flows = into.get(ns.name.as_str()).map_or(&[][..], Vec::as_slice);
            unreachable(diags, flows, ns, blocks);
        }
    }
}

/// `W0102`: app A's labels are a subset of app B's, so A's Service and policies also
/// select B's pods. Indexed by label: B must carry A's rarest label.
fn label_subsets(diags: &mut Diagnostics, ns: &ir::Namespace, blocks: &Blocks) {
    // Each label with the apps that carry it, and each app's labels as places in that
    // index (in the apps' order, so the second pass looks nothing up again).
    let mut by_label: IndexMap<(&str, &str), Carriers> = IndexMap::default();
    let mut places: Vec<usize> = Vec::new();
    for app in ns.apps.values() {
        for (k, v) in app.labels.iter() {
            let entry = by_label.entry((k, v));
            places.push(entry.index());
            entry.or_default().push(app);
        }
    }
    let mut places = places.into_iter();
    for app in ns.apps.values() {
        let rarest = places
            .by_ref()
            .take(app.labels.len())
            .filter_map(|place| by_label.get_index(place).map(|(_, carriers)| carriers))
            .min_by_key(|carriers| carriers.len());
        let Some(candidates) = rarest else { continue };
        // Identical labels are one problem: reported once for each later app, against
        // the first app with those labels (a hundred apps labelled alike are 99
        // warnings, not 4,950).
        // (The candidates come in the namespace's order, so the first is the first.)
        let mut alike_reported = false;
        for &other in candidates {
            // The app itself is a candidate (most often the only one): it is skipped
            // before its labels are compared. (Names are unique: the same app is the
            // same place in the namespace.)
            if std::ptr::eq(other, app) {
                continue;
            }
            let subset = app
                .labels
                .iter()
                .all(|(k, v)| other.labels.get(k) == Some(v));
            if !subset {
                continue;
            }
            let same = app.labels.len() == other.labels.len();
            let later = || ns.apps.get_index_of(&other.name) > ns.apps.get_index_of(&app.name);
            if same && (alike_reported || later()) {
                continue;
            }
            alike_reported |= same;
            push_label_subset(diags, blocks, &ns.name, app, other, same);
        }
    }
}

/// The apps that carry one label, in the namespace's order. Most labels are one app's
/// own (`app=NAME`): the first is kept inline, so those cost no list.
type Carriers<'m> = SmallVec<[&'m ir::App; 1]>;

/// [`label_subset`], with the two apps' blocks.
fn push_label_subset(
    diags: &mut Diagnostics,
    blocks: &Blocks,
    namespace: &str,
    app: &ir::App,
    other: &ir::App,
    same: bool,
) {
    if let (Some(a), Some(b)) = (
        app_ast(blocks, namespace, &app.name),
        app_ast(blocks, namespace, &other.name),
    ) {
        diags.push(label_subset(app, other, a, b, same));
    }
}

fn label_subset(
    app: &ir::App,
    other: &ir::App,
    a: &ast::App,
    b: &ast::App,
    same: bool,
) -> Diagnostic {
    let shown: Vec<String> = app.labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let (message, secondary) = if same {
        (
            format!(
                "apps `{}` and `{}` have the same labels",
                other.name, app.name
            ),
            format!("app `{}` has the same labels", other.name),
        )
    } else {
        (
            format!(
                "the labels of app `{}` also select the pods of app `{}`",
                app.name, other.name
            ),
            format!("app `{}` carries all of them", other.name),
        )
    };
    let has_service = !app.ports.is_empty() && app.service != ir::ServiceType::None;
    let consequence = if has_service {
        format!(
            "the Service `{}` sends traffic to `{}`'s pods too, and every policy for `{}` also applies to them",
            app.name, other.name, app.name
        )
    } else {
        format!(
            "every policy for `{}` also applies to `{}`'s pods",
            app.name, other.name
        )
    };
    // A label that tells the two apart: `app=NAME`, unless both already carry `app`.
    let key = if app.labels.contains_key("app") && other.labels.contains_key("app") {
        "app.kubernetes.io/name"
    } else {
        "app"
    };
    Diagnostic::new(Code::LabelsSelectOtherApp, message, labels_span(a))
        .label(format!(
            "`{}` selects every pod labelled {}",
            app.name,
            shown.join(", ")
        ))
        .secondary(labels_span(b), secondary)
        .note(consequence)
        .help(if same {
            // Two apps over one set of pods are usually two Services of one app.
            format!(
                "if both are the same pods, keep one app and give it a second Service (`service {} {{ ... }}` inside app `{}`); otherwise give each app a label the other does not carry, such as `{key}={}` on `{}`",
                app.name, other.name, app.name, app.name
            )
        } else {
            format!(
                "give each app a label the other does not carry, such as `{key}={}` on `{}`",
                app.name, app.name
            )
        })
}

/// `W0108` and `W0107`: what the ingress side of the namespace's flows (`flows`, those
/// into it) never reaches.
fn unreachable(diags: &mut Diagnostics, flows: &[&ir::Flow], ns: &ir::Namespace, blocks: &Blocks) {
    // Ports that flows open, per app in the namespace's order, and flows to every pod.
    let mut opened: Vec<Reached> = Vec::new();
    opened.resize_with(ns.apps.len(), || Reached::Nothing);
    let mut to_all = Reached::Nothing;
    for flow in flows {
        match &flow.to {
            Peer::App {
                namespace,
                app,
                place,
                ..
            } if **namespace == *ns.name => {
                if let Some(reached) = opened.get_mut(ns.place_of(app, *place)) {
                    reached.add(&flow.ports);
                }
            }
            Peer::Namespace { namespace } if **namespace == *ns.name => to_all.add(&flow.ports),
            // Pods picked by a selector (cluster DNS): every app whose pods carry it.
            Peer::Pods(selector) if selector.namespace == ns.name => {
                for (app, reached) in ns.apps.values().zip(&mut opened) {
                    if selector
                        .labels
                        .iter()
                        .all(|(k, v)| app.labels.get(k) == Some(v))
                    {
                        reached.add(&flow.ports);
                    }
                }
            }
            _ => {}
        }
    }
    if matches!(to_all, Reached::All) {
        return;
    }
    let to_all_ports = to_all.ports();
    let to_all_index = Opened::new(&to_all_ports);
    // One list for every app's ports in turn, not one allocated per app.
    let mut ports = Vec::new();
    for (app, reached) in ns.apps.values().zip(&opened) {
        if app.ports.is_empty() {
            continue;
        }
        // Indexed: one flow may open tens of thousands of ports.
        let reaching = match reached {
            Reached::All => None,
            _ => {
                reached.ports_into(&mut ports);
                Some(Opened::new(&ports))
            }
        };
        let covers = |port: &ir::ServicePort| {
            reaching.as_ref().is_none_or(|o| o.covers(port)) || to_all_index.covers(port)
        };
        if app.ports.iter().all(&covers) {
            continue;
        }
        // Looked up only now: most apps are reached on every port.
        let Some(ast_app) = app_ast(blocks, &ns.name, &app.name) else {
            continue;
        };
        if !app.ports.iter().any(&covers) {
            diags.push(
                Diagnostic::new(
                    Code::UnreachableApp,
                    format!("nothing may reach app `{}`", app.name),
                    ast_app.name.span,
                )
                .label("no flow, route or exposure leads here")
                .note(format!(
                    "namespace `{}` isolates ingress, so every connection to these pods is denied",
                    ns.name
                ))
                .help(format!("allow a flow such as `allow CLIENT -> {}:{}`, or remove the ports if the app serves nothing", app.name, app.ports.first().map_or("PORT", |p| p.name.as_str()))),
            );
            continue;
        }
        // The port lines by name, made only for an app with a port nothing reaches.
        let mut decls: Option<HashMap<&str, &ast::PortDecl>> = None;
        for port in &app.ports {
            if covers(port) {
                continue;
            }
            let decls = decls.get_or_insert_with(|| {
                ast_app
                    .lines
                    .iter()
                    .filter_map(|line| match &line.node {
                        ast::AppLine::Port(decl) => Some((decl.name.node.as_str(), decl)),
                        _ => None,
                    })
                    .rev() // the first declaration wins
                    .collect()
            });
            let Some(decl) = decls.get(port.name.as_str()) else {
                continue;
            };
            diags.push(
                Diagnostic::new(
                    Code::UnusedPort,
                    format!(
                        "nothing may reach port `{}` of app `{}`",
                        port.name, app.name
                    ),
                    decl.name.span,
                )
                .label("no flow, route or exposure uses this port")
                .note(format!(
                    "namespace `{}` isolates ingress: connections to this port are denied",
                    ns.name
                ))
                .help(format!(
                    "allow a flow to `{}:{}`, or remove the port",
                    app.name, port.name
                )),
            );
        }
    }
}

/// What the flows into one app (or into every pod of a namespace) open, gathered
/// without an allocation for the common case: one flow's ports are its own list.
enum Reached<'m> {
    Nothing,
    /// A flow opens every port.
    All,
    /// The ports of one flow.
    One(&'m [ir::PolicyPort]),
    /// The ports of several flows.
    Many(Vec<&'m ir::PolicyPort>),
}

impl<'m> Reached<'m> {
    /// Adds what one flow opens: a flow with no ports opens every port.
    fn add(&mut self, ports: &'m [ir::PolicyPort]) {
        *self = match std::mem::replace(self, Reached::Nothing) {
            _ if ports.is_empty() => Reached::All,
            Reached::All => Reached::All,
            Reached::Nothing => Reached::One(ports),
            Reached::One(first) => Reached::Many(first.iter().chain(ports).collect()),
            Reached::Many(mut list) => {
                list.extend(ports);
                Reached::Many(list)
            }
        };
    }

    /// The opened ports into `list`, replacing what it held (none for `All`).
    fn ports_into(&self, list: &mut Vec<&'m ir::PolicyPort>) {
        list.clear();
        match self {
            Reached::Nothing | Reached::All => {}
            Reached::One(ports) => list.extend(ports.iter()),
            Reached::Many(ports) => list.extend(ports.iter().copied()),
        }
    }

    fn ports(&self) -> Vec<&'m ir::PolicyPort> {
        let mut list = Vec::new();
        self.ports_into(&mut list);
        list
    }
}

/// The ports flows open to an app. Most apps are opened on a port or two, which are
/// scanned as they are; past a few, single ports go in a set and ranges in a list, so
/// that one flow opening tens of thousands of ports stays linear.
enum Opened<'a, 'm> {
    Few(&'a [&'m ir::PolicyPort]),
    Many {
        single: HashSet<(ir::Protocol, &'m TargetPort)>,
        ranges: Vec<&'m ir::PolicyPort>,
    },
}

impl<'a, 'm> Opened<'a, 'm> {
    fn new(ports: &'a [&'m ir::PolicyPort]) -> Self {
        if ports.len() <= SCANNED {
            return Opened::Few(ports);
        }
        let mut single = HashSet::default();
        let mut ranges = Vec::new();
        for &port in ports {
            match port.end_port {
                None => {
                    single.insert((port.protocol, &port.port));
                }
                Some(_) => ranges.push(port),
            }
        }
        Opened::Many { single, ranges }
    }

    fn covers(&self, port: &ir::ServicePort) -> bool {
        match self {
            Opened::Few(ports) => ports.iter().any(|p| opens(p, port)),
            Opened::Many { single, ranges } => {
                single.contains(&(port.protocol, &port.target))
                    || ranges.iter().any(|p| opens(p, port))
            }
        }
    }
}

/// Whether a port (or range) a flow opens is a Service port's target.
fn opens(opened: &ir::PolicyPort, port: &ir::ServicePort) -> bool {
    opened.protocol == port.protocol
        && match (&opened.port, &port.target, opened.end_port) {
            (TargetPort::Number(low), TargetPort::Number(n), Some(high)) => low <= n && *n <= high,
            (a, b, _) => a == b,
        }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Sources;
    use ir::Protocol::{Tcp, Udp};
    use proptest::prelude::*;

    /// The pairs W0102 reports, by the definition: app A's labels are a subset of app
    /// B's; apps with the same labels are reported once each, against the first.
    fn subsets_by_definition(apps: &[Vec<(usize, usize)>]) -> Vec<(String, String)> {
        let set = |i: usize| -> std::collections::BTreeSet<_> { apps[i].iter().collect() };
        let mut pairs = Vec::new();
        for a in 0..apps.len() {
            for b in 0..apps.len() {
                if a != b && set(a).is_subset(&set(b)) && set(a) != set(b) {
                    pairs.push((format!("a{a}"), format!("a{b}")));
                }
            }
            if let Some(first) = (0..a).find(|&b| set(a) == set(b)) {
                pairs.push((format!("a{a}"), format!("a{first}")));
            }
        }
        pairs.sort();
        pairs
    }

    /// The pairs W0102 reported, read from its messages: (the app, the other app).
    fn subsets_reported(apps: &[Vec<(usize, usize)>]) -> Vec<(String, String)> {
        let mut text = String::from("namespace n {\n");
        for (i, labels) in apps.iter().enumerate() {
            let labels: Vec<String> = labels.iter().map(|(k, v)| format!("k{k}=v{v}")).collect();
            text.push_str(&format!(
                "  app a{i} {{\n    labels {}\n  }}\n",
                labels.join(", ")
            ));
        }
        text.push_str("}\n");
        let mut sources = Sources::new();
        sources.add("t.knet", text);
        let checked = crate::compile(&sources);
        let name = |s: &str| s.trim_matches('`').to_string();
        let mut pairs: Vec<(String, String)> = checked
            .diagnostics
            .iter()
            .filter(|d| d.code == Code::LabelsSelectOtherApp)
            .map(|d| {
                let words: Vec<&str> = d.message.split(' ').collect();
                match words.as_slice() {
                    ["apps", first, "and", app, ..] => (name(app), name(first)),
                    ["the", "labels", "of", "app", app, .., other] => (name(app), name(other)),
                    _ => panic!("unexpected message: {}", d.message),
                }
            })
            .collect();
        pairs.sort();
        pairs
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// W0102 finds every app whose labels another app carries, and no other: apps
        /// of one to three labels from a few keys and values, so that subsets, equal
        /// sets and shared labels are common.
        #[test]
        fn label_subsets_are_those_of_the_definition(
            apps in prop::collection::vec(
                prop::collection::btree_map(0..3usize, 0..2usize, 1..4),
                1..9,
            ),
        ) {
            let apps: Vec<Vec<(usize, usize)>> =
                apps.into_iter().map(|labels| labels.into_iter().collect()).collect();
            prop_assert_eq!(subsets_reported(&apps), subsets_by_definition(&apps));
        }
    }

    fn opened(protocol: ir::Protocol, port: TargetPort, end_port: Option<u16>) -> ir::PolicyPort {
        ir::PolicyPort {
            protocol,
            port,
            end_port,
        }
    }

    fn service_port(protocol: ir::Protocol, target: TargetPort) -> ir::ServicePort {
        ir::ServicePort {
            name: String::new(),
            port: 80,
            protocol,
            target,
            node_port: None,
        }
    }

    /// Scanned (a few ports) or indexed (many), the opened ports cover the same Service
    /// ports: a port of the same protocol that is the same name or number, or a number
    /// in a range.
    #[test]
    fn few_and_many_opened_ports_cover_the_same() {
        let n = TargetPort::Number;
        let name = |s: &str| TargetPort::Name(s.to_string());
        let mut all = vec![
            opened(Tcp, n(80), None),
            opened(Udp, n(53), None),
            opened(Tcp, name("http"), None),
            opened(Tcp, n(9000), Some(9100)),
            opened(Udp, n(30000), Some(30010)),
        ];
        all.extend((0..10).map(|i| opened(Tcp, n(2000 + i), None)));
        let probes = [
            (service_port(Tcp, n(80)), true),
            (service_port(Udp, n(80)), false),
            (service_port(Udp, n(53)), true),
            (service_port(Tcp, name("http")), true),
            (service_port(Udp, name("http")), false),
            (service_port(Tcp, name("metrics")), false),
            (service_port(Tcp, n(9050)), true),
            (service_port(Tcp, n(9101)), false),
            (service_port(Udp, n(30010)), true),
            (service_port(Tcp, n(30005)), false),
            (service_port(Tcp, n(2009)), true),
        ];
        let refs: Vec<&ir::PolicyPort> = all.iter().collect();
        let few = Opened::new(&refs[..5]);
        let many = Opened::new(&refs);
        assert!(matches!(few, Opened::Few(_)));
        assert!(matches!(many, Opened::Many { .. }));
        for (port, covered) in &probes {
            let among_first_five = *covered && port.target != n(2009);
            assert_eq!(many.covers(port), *covered, "{port:?}, many");
            assert_eq!(few.covers(port), among_first_five, "{port:?}, few");
        }
    }
}
