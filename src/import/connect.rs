//! What the input's NetworkPolicies allow, as knet flows.
//!
//! A connection between two pods is allowed when the source's egress allows it (or the
//! source is not isolated for egress) and the destination's ingress allows it (or it is
//! not isolated for ingress). knet's flows are two-sided, so between two apps of the
//! input the importer writes exactly the intersection: `allow a -> b:PORTS` with the
//! ports both sides let through. Peers that are not apps of the input (addresses,
//! every source, pods of other namespaces) become knet's one-sided peers (`any`,
//! `*/*`, `NS/*`, a namespace group, an app of an unmanaged namespace, an external),
//! which add rules only on the app's side. A namespace in which no app is isolated for
//! a direction gets `default allow` for it; in one where some are, the others get an
//! `any` flow. What knet cannot say is a `W04xx` diagnostic.

use crate::collections::{HashMap, HashSet, IndexMap};

use super::apps::App;
use super::names;
use super::ports::{self, PortSet};
use super::select::{Picked, PodIndex};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::Protocol;
use crate::kube::objects::{ContainerPort, Input, Labels, Policy, PolicyPeer, Rule};

/// One side of a flow.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Side {
    /// An app of a managed namespace: (namespace, index into that namespace's apps).
    App(String, usize),
    NamespacePods(String),
    AnyNamespace,
    Any,
    World,
    /// An external of the flow's namespace.
    External(String),
    Group(String),
    /// An app of an unmanaged namespace: (namespace, app).
    Unmanaged(String, String),
    /// The ingress controller's pods (`ingress`).
    Ingress,
}

/// The ports of a flow.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FlowPorts {
    /// `:*`
    All,
    /// Ports of the destination app (managed or unmanaged), by container port.
    App(Vec<(Protocol, u16)>),
    /// Numbers and ranges, for destinations that are not apps.
    Numbers(Vec<(Protocol, u16, u16)>),
}

impl FlowPorts {
    /// Whether a flow to an app with these ports reaches its container port `port`.
    pub fn reaches(&self, port: &(Protocol, u16)) -> bool {
        match self {
            FlowPorts::All => true,
            FlowPorts::App(list) => list.contains(port),
            FlowPorts::Numbers(_) => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Flow {
    /// The namespace whose block the flow is written in.
    pub namespace: String,
    pub from: Side,
    pub to: Side,
    pub ports: FlowPorts,
}

/// An app of an unmanaged namespace: its labels and the ports flows name.
#[derive(Debug, Clone, Default)]
pub struct Unmanaged {
    pub labels: Labels,
    pub ports: Vec<(Protocol, u16)>,
}

/// Everything the flows need declared besides the managed apps.
#[derive(Debug, Default)]
pub struct Connections {
    pub flows: Vec<Flow>,
    pub unmanaged: IndexMap<String, IndexMap<String, Unmanaged>>,
    pub groups: IndexMap<String, Labels>,
    /// Externals per namespace: name and `(cidr, except)`.
    pub externals: IndexMap<String, IndexMap<String, (String, Vec<String>)>>,
    /// Namespaces that isolate neither direction for any app: `(ingress, egress)` open.
    pub open: IndexMap<String, (bool, bool)>,
    /// Namespaces whose automatic DNS rule stays on (see `implied`).
    pub dns_on: Vec<String>,
    /// Namespaces without pods in the input whose policies for every pod let those pods
    /// reach the cluster DNS pods (knet's own `allow-dns`, for one).
    pub podless_dns: Vec<String>,
    /// The ingress controller's pods when they are not knet's default (`implied`).
    pub controller: Option<(String, Labels)>,
    /// Port ranges to apps already reported (`W0402` once per app and range).
    ranges: Vec<(String, String, Protocol, u16, u16)>,
}

/// A pod as policies see it.
struct Pod<'a> {
    namespace: &'a str,
    namespace_labels: &'a Labels,
    labels: &'a Labels,
}

pub fn connect(
    input: &Input,
    apps: &mut IndexMap<String, Vec<App>>,
    diags: &mut Vec<Diagnostic>,
) -> Connections {
    let mut out = Connections::default();
    let keys: Vec<(String, usize)> = apps
        .iter()
        .flat_map(|(ns, list)| (0..list.len()).map(move |i| (ns.clone(), i)))
        .collect();
    let mut ns_labels: IndexMap<&str, Labels> = IndexMap::default();
    for (ns, _) in &keys {
        ns_labels
            .entry(ns.as_str())
            .or_insert_with(|| namespace_labels(input, ns));
    }
    let index = PodIndex::new(
        apps.iter()
            .filter(|(_, list)| !list.is_empty())
            .map(|(ns, list)| (ns.as_str(), list.iter().map(|a| &a.pod_labels).collect())),
        &ns_labels,
    );
    let policies = &input.policies;
    // Per app: the policies that select it, as indices into `policies`.
    let selected = index.selecting(policies);
    let isolated = |at: &[usize], ingress: bool| {
        at.iter().any(|&i| {
            if ingress {
                policies[i].ingress.is_some()
            } else {
                policies[i].egress.is_some()
            }
        })
    };
    let in_iso: Vec<bool> = selected.iter().map(|p| isolated(p, true)).collect();
    let out_iso: Vec<bool> = selected.iter().map(|p| isolated(p, false)).collect();
    let pairs = pairs(&index, policies, &selected, &in_iso, &out_iso);
    drop(index);
    // Peers that are not apps of the input (first, so that a range is reported at the
    // policy that allows it; their flows are written last).
    for (key, at) in keys.iter().zip(&selected) {
        for policy in at.iter().map(|&i| &policies[i]) {
            for (rules, ingress) in [(&policy.ingress, true), (&policy.egress, false)] {
                for rule in rules.iter().flatten() {
                    one_sided(&mut out, apps, key, policy, rule, ingress, diags);
                }
            }
        }
    }
    let one_sided_count = out.flows.len();
    // Between apps of the input: what both sides allow.
    for (si, di) in pairs {
        let (s, d) = (&keys[si], &keys[di]);
        let (src, dst) = (&apps[&s.0][s.1], &apps[&d.0][d.1]);
        let egress = if out_iso[si] {
            allowed(
                policies,
                &selected[si],
                &pod(dst, &ns_labels),
                false,
                &dst.container,
            )
        } else {
            PortSet::all()
        };
        let ingress = if in_iso[di] {
            allowed(
                policies,
                &selected[di],
                &pod(src, &ns_labels),
                true,
                &dst.container,
            )
        } else {
            PortSet::all()
        };
        let both = egress.intersect(&ingress);
        if both.is_empty() {
            continue;
        }
        let Some(ports) = app_ports(&mut apps[&d.0][d.1], &both, diags, None, &mut out.ranges)
        else {
            continue;
        };
        out.flows.push(Flow {
            namespace: d.0.clone(),
            from: Side::App(s.0.clone(), s.1),
            to: Side::App(d.0.clone(), d.1),
            ports,
        });
    }
    // Namespace defaults, and `any` for the apps a partly isolated namespace leaves open.
    // A policy for every pod of a namespace isolates it even where the input runs no pod
    // (a `default-deny` applied on its own): knet's namespace default says so for the
    // pods to come, where `default allow` would open them.
    let mut every_pod: HashMap<&str, Vec<usize>> = HashMap::default();
    for (at, policy) in policies.iter().enumerate() {
        if policy.pod_selector.is_empty() {
            every_pod.entry(&policy.namespace).or_default().push(at);
        }
    }
    let every_pod_isolated = |ns: &str, ingress: bool| {
        every_pod.get(ns).is_some_and(|at| {
            at.iter().any(|&i| {
                let policy = &policies[i];
                if ingress {
                    policy.ingress.is_some()
                } else {
                    policy.egress.is_some()
                }
            })
        })
    };
    // `keys` lists the apps namespace by namespace, in this order.
    let mut at = 0;
    for (ns, list) in apps.iter() {
        let (in_iso, out_iso) = (&in_iso[at..at + list.len()], &out_iso[at..at + list.len()]);
        at += list.len();
        let any_in = in_iso.iter().any(|&iso| iso) || every_pod_isolated(ns, true);
        let any_out = out_iso.iter().any(|&iso| iso) || every_pod_isolated(ns, false);
        if list.is_empty() && any_out && reaches_dns(input, policies, every_pod.get(ns.as_str())) {
            out.podless_dns.push(ns.clone());
        }
        out.open.insert(ns.clone(), (!any_in, !any_out));
        for i in 0..list.len() {
            if any_in && !in_iso[i] {
                out.flows.push(Flow {
                    namespace: ns.clone(),
                    from: Side::Any,
                    to: Side::App(ns.clone(), i),
                    ports: FlowPorts::All,
                });
            }
            if any_out && !out_iso[i] {
                out.flows.push(Flow {
                    namespace: ns.clone(),
                    from: Side::App(ns.clone(), i),
                    to: Side::Any,
                    ports: FlowPorts::All,
                });
            }
        }
    }
    out.flows.rotate_left(one_sided_count);
    dedup(&mut out.flows);
    out
}

/// The pairs of apps `(source, destination)` that may have a flow, ascending: where the
/// destination is isolated for ingress, the sources its policies' rules pick; where the
/// source is isolated for egress (and the destination is not for ingress), the
/// destinations its rules pick. Any other pair of which one side is isolated allows
/// nothing, and one of which neither is needs no flow.
fn pairs(
    index: &PodIndex,
    policies: &[Policy],
    selected: &[Vec<usize>],
    in_iso: &[bool],
    out_iso: &[bool],
) -> Vec<(usize, usize)> {
    let apps_count = selected.len();
    // What each rule picks, found once: (policy, direction, rule).
    let mut picked: HashMap<(usize, bool, usize), Picked> = HashMap::default();
    let mut picked_by = |app: usize, ingress: bool| -> Picked {
        let mut apps = Vec::new();
        for &at in &selected[app] {
            let policy = &policies[at];
            let rules = if ingress {
                &policy.ingress
            } else {
                &policy.egress
            };
            for (number, rule) in rules.iter().flatten().enumerate() {
                let entry = picked
                    .entry((at, ingress, number))
                    .or_insert_with(|| index.picked(rule, &policy.namespace));
                match entry {
                    Picked::Every => return Picked::Every,
                    Picked::Apps(list) => apps.extend_from_slice(list),
                }
            }
        }
        apps.sort_unstable();
        apps.dedup();
        Picked::Apps(apps)
    };
    let every = |picked: Picked| match picked {
        Picked::Every => (0..apps_count).collect(),
        Picked::Apps(list) => list,
    };
    let mut pairs = Vec::new();
    for app in 0..apps_count {
        if in_iso[app] {
            pairs.extend(every(picked_by(app, true)).into_iter().map(|s| (s, app)));
        }
        if out_iso[app] {
            pairs.extend(
                every(picked_by(app, false))
                    .into_iter()
                    .filter(|&d| !in_iso[d])
                    .map(|d| (app, d)),
            );
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
}

fn namespace_labels(input: &Input, namespace: &str) -> Labels {
    let mut labels = input.namespaces.get(namespace).cloned().unwrap_or_default();
    labels.insert(
        names::NAMESPACE_NAME_LABEL.to_string(),
        namespace.to_string(),
    );
    labels
}

/// Whether the policies `at` (for every pod of a namespace) let its pods reach the
/// cluster DNS pods on TCP and UDP 53.
fn reaches_dns(input: &Input, policies: &[Policy], at: Option<&Vec<usize>>) -> bool {
    let (labels, ports) = super::implied::cluster_dns();
    let namespace_labels = namespace_labels(input, super::implied::DNS_NAMESPACE);
    let dns = Pod {
        namespace: super::implied::DNS_NAMESPACE,
        namespace_labels: &namespace_labels,
        labels: &labels,
    };
    let at = at.map_or(&[][..], Vec::as_slice);
    allowed(policies, at, &dns, false, &[]).intersect(&ports) == ports
}

fn pod<'a>(app: &'a App, namespace_labels: &'a IndexMap<&str, Labels>) -> Pod<'a> {
    Pod {
        namespace: &app.namespace,
        namespace_labels: &namespace_labels[app.namespace.as_str()],
        labels: &app.pod_labels,
    }
}

/// What the policies that select an app (`selecting`, indices into `policies`) allow to or
/// from `other` (ingress: from it; egress: to it); named ports resolve against
/// the destination's container ports.
fn allowed(
    policies: &[Policy],
    selecting: &[usize],
    other: &Pod,
    ingress: bool,
    container: &[ContainerPort],
) -> PortSet {
    let mut set = PortSet::default();
    for policy in selecting.iter().map(|&at| &policies[at]) {
        let rules = if ingress {
            &policy.ingress
        } else {
            &policy.egress
        };
        for rule in rules.iter().flatten() {
            let matches = match &rule.peers {
                None => true,
                Some(peers) => peers
                    .iter()
                    .any(|peer| peer_matches(peer, &policy.namespace, other)),
            };
            if matches {
                set.union(&ports::of_rule(rule.ports.as_deref(), container));
            }
        }
    }
    set
}

fn peer_matches(peer: &PolicyPeer, policy_namespace: &str, pod: &Pod) -> bool {
    let PolicyPeer::Pods { namespaces, pods } = peer else {
        // Address blocks are not matched against pods (nor are they by np-guard).
        return false;
    };
    let namespace_ok = match namespaces {
        None => pod.namespace == policy_namespace,
        Some(selector) => selector.matches(pod.namespace_labels),
    };
    namespace_ok && pods.as_ref().is_none_or(|s| s.matches(pod.labels))
}

/// A port set to an app as flow ports: `*`, or the app's ports (added when missing). A
/// wide range (more than 16 ports, short of every port) cannot be named: `W0402`, once
/// per app and range. `None` when nothing is left to allow.
fn app_ports(
    app: &mut App,
    set: &PortSet,
    diags: &mut Vec<Diagnostic>,
    at: Option<&Policy>,
    reported: &mut Vec<(String, String, Protocol, u16, u16)>,
) -> Option<FlowPorts> {
    if set.is_all() {
        return Some(FlowPorts::All);
    }
    let mut ports = Vec::new();
    for (protocol, low, high) in set.ranges() {
        if high - low >= 16 {
            let key = (app.namespace.clone(), app.name.clone(), protocol, low, high);
            if reported.contains(&key) {
                continue;
            }
            reported.push(key);
            if let Some(policy) = at {
                diags.push(range_to_app(policy, app, protocol, low, high));
            } else {
                diags.push(range_between_apps(app, protocol, low, high));
            }
            continue;
        }
        for number in low..=high {
            app.ensure_port(protocol, number);
            ports.push((protocol, number));
        }
    }
    (!ports.is_empty()).then_some(FlowPorts::App(ports))
}

fn numbers(rule: &Rule) -> FlowPorts {
    let set = ports::of_rule(rule.ports.as_deref(), &[]);
    if set.is_all() {
        FlowPorts::All
    } else {
        FlowPorts::Numbers(set.ranges().collect())
    }
}

/// The flows for one rule's peers that are not apps of the input.
fn one_sided(
    out: &mut Connections,
    apps: &mut IndexMap<String, Vec<App>>,
    key: &(String, usize),
    policy: &Policy,
    rule: &Rule,
    ingress: bool,
    diags: &mut Vec<Diagnostic>,
) {
    let ns = key.0.clone();
    let app_side = Side::App(ns.clone(), key.1);
    let push = |out: &mut Connections,
                apps: &mut IndexMap<String, Vec<App>>,
                other: Side,
                diags: &mut Vec<Diagnostic>| {
        let ports = if ingress {
            let app = &mut apps[&ns][key.1];
            let set = ports::of_rule(rule.ports.as_deref(), &app.container.clone());
            match app_ports(app, &set, diags, Some(policy), &mut out.ranges) {
                Some(ports) => ports,
                None => return,
            }
        } else if let Side::Unmanaged(u_ns, u_app) = &other {
            let set = ports::of_rule(rule.ports.as_deref(), &[]);
            if set.is_all() {
                FlowPorts::All
            } else {
                let entry = out
                    .unmanaged
                    .entry(u_ns.clone())
                    .or_default()
                    .entry(u_app.clone())
                    .or_default();
                let mut list = Vec::new();
                for (protocol, low, high) in set.ranges() {
                    if high - low >= 16 {
                        diags.push(lossy(
                            policy,
                            format!(
                                "a range of {} ports to the pods of another namespace",
                                high - low + 1
                            ),
                            "an app's ports are named one by one",
                        ));
                        continue;
                    }
                    for number in low..=high {
                        if !entry.ports.contains(&(protocol, number)) {
                            entry.ports.push((protocol, number));
                        }
                        list.push((protocol, number));
                    }
                }
                FlowPorts::App(list)
            }
        } else {
            numbers(rule)
        };
        if !ingress && ports::has_named(rule.ports.as_deref()) && !matches!(other, Side::App(..)) {
            diags.push(lossy(policy, "a named port to pods knet does not know".to_string(), "a named port means the destination pod's container port; knet can name only the ports of its apps"));
        }
        let (from, to) = if ingress {
            (other, app_side.clone())
        } else {
            (app_side.clone(), other)
        };
        out.flows.push(Flow {
            namespace: ns.clone(),
            from,
            to,
            ports,
        });
    };
    let Some(peers) = &rule.peers else {
        push(out, apps, Side::Any, diags);
        return;
    };
    for peer in peers {
        match peer {
            PolicyPeer::Block { cidr, except } => {
                // The network address, as knet writes it (the API server accepts host
                // bits; they mean nothing in a CIDR).
                let canonical = |text: &str| {
                    text.parse::<ipnet::IpNet>()
                        .map(|net| net.trunc().to_string())
                        .ok()
                };
                let (Some(cidr), Some(except)) = (
                    canonical(cidr),
                    except
                        .iter()
                        .map(|e| canonical(e))
                        .collect::<Option<Vec<_>>>(),
                ) else {
                    diags.push(lossy(
                        policy,
                        format!("the address block `{cidr}`"),
                        "it is not a CIDR knet can read",
                    ));
                    continue;
                };
                let (cidr, except) = (&cidr, &except);
                if (cidr == "0.0.0.0/0") && except.is_empty() {
                    push(out, apps, Side::World, diags);
                    continue;
                }
                let externals = out.externals.entry(ns.clone()).or_default();
                let existing = externals
                    .iter()
                    .find(|(_, v)| v.0 == *cidr && v.1 == *except)
                    .map(|(k, _)| k.clone());
                let name = existing.unwrap_or_else(|| {
                    let base = names::dns_label(&format!("net-{cidr}"));
                    let name = names::unique(base, |n| {
                        externals.contains_key(n) || apps[&ns].iter().any(|a| a.name == n)
                    });
                    externals.insert(name.clone(), (cidr.clone(), except.clone()));
                    name
                });
                push(out, apps, Side::External(name), diags);
            }
            PolicyPeer::Pods {
                namespaces: None, ..
            } => {}
            PolicyPeer::Pods {
                namespaces: Some(selector),
                pods,
            } => {
                let pods_all = pods
                    .as_ref()
                    .is_none_or(crate::kube::objects::Selector::is_empty);
                if selector.is_empty() {
                    if pods_all {
                        push(out, apps, Side::AnyNamespace, diags);
                    } else if pods.as_ref().is_some_and(|p| {
                        super::implied::is_cluster_dns(&p.labels) && p.expressions.is_empty()
                    }) {
                        // The DNS pods by label, wherever they run: knet knows where the
                        // cluster DNS runs (`kube-system`), which is what this means on a
                        // cluster with one DNS; said loudly all the same.
                        diags.push(lossy(policy, "the cluster DNS pods by label in every namespace".to_string(), "knet names the cluster DNS pods in their namespace, `kube-system`; pods labelled so in other namespaces lose this access"));
                        if apps.contains_key(super::implied::DNS_NAMESPACE) {
                            // Declared in the input: its DNS app is an app of the input.
                            continue;
                        }
                        let labels = pods.as_ref().map(|p| p.labels.clone()).unwrap_or_default();
                        let there = out
                            .unmanaged
                            .entry(super::implied::DNS_NAMESPACE.to_string())
                            .or_default();
                        let name = super::names::from_labels(&labels);
                        there.entry(name.clone()).or_insert(Unmanaged {
                            labels,
                            ports: Vec::new(),
                        });
                        push(
                            out,
                            apps,
                            Side::Unmanaged(super::implied::DNS_NAMESPACE.to_string(), name),
                            diags,
                        );
                    } else {
                        diags.push(lossy(policy, "pods picked by label in every namespace".to_string(), "knet names pods of other namespaces by namespace (`NS/APP`); the rule keeps only the apps of the input"));
                    }
                    continue;
                }
                if let Some(name) = names::namespace_by_name(selector) {
                    if apps.contains_key(&name) {
                        continue;
                    }
                    if pods_all {
                        push(out, apps, Side::NamespacePods(name), diags);
                        continue;
                    }
                    let Some(pods) = pods.as_ref().filter(|p| p.expressions.is_empty()) else {
                        diags.push(lossy(
                            policy,
                            "pods picked by a `matchExpressions` selector".to_string(),
                            "knet apps are picked by labels",
                        ));
                        continue;
                    };
                    let apps_there = out.unmanaged.entry(name.clone()).or_default();
                    let existing = apps_there
                        .iter()
                        .find(|(_, u)| u.labels == pods.labels)
                        .map(|(k, _)| k.clone());
                    let app_name = existing.unwrap_or_else(|| {
                        let base = names::from_labels(&pods.labels);
                        let name = names::unique(base, |n| apps_there.contains_key(n));
                        apps_there.insert(
                            name.clone(),
                            Unmanaged {
                                labels: pods.labels.clone(),
                                ports: Vec::new(),
                            },
                        );
                        name
                    });
                    push(out, apps, Side::Unmanaged(name, app_name), diags);
                    continue;
                }
                if !selector.expressions.is_empty() {
                    diags.push(lossy(
                        policy,
                        "namespaces picked by a `matchExpressions` selector".to_string(),
                        "a namespace group picks namespaces by labels",
                    ));
                    continue;
                }
                if !pods_all {
                    diags.push(lossy(policy, "pods picked by label in namespaces picked by label".to_string(), "a namespace group takes only `GROUP/*`; the rule keeps the apps of the input"));
                    continue;
                }
                let existing = out
                    .groups
                    .iter()
                    .find(|(_, l)| **l == selector.labels)
                    .map(|(k, _)| k.clone());
                let group = existing.unwrap_or_else(|| {
                    let name = names::group_name(&selector.labels);
                    out.groups.insert(name.clone(), selector.labels.clone());
                    name
                });
                push(out, apps, Side::Group(group), diags);
            }
        }
    }
}

/// Drops repeated flows, keeping the first of each (a set, not a scan of the flows kept:
/// a scan was quadratic in flows).
fn dedup(flows: &mut Vec<Flow>) {
    let mut seen: HashSet<Flow> = HashSet::default();
    flows.retain(|f| seen.insert(f.clone()));
}

fn lossy(policy: &Policy, what: String, why: &str) -> Diagnostic {
    Diagnostic::new(
        Code::ImportNotExpressible,
        format!(
            "NetworkPolicy `{}/{}` allows {what}, which knet cannot say",
            policy.namespace, policy.name
        ),
        policy.span,
    )
    .label("in this NetworkPolicy")
    .note(why.to_string())
    .help("review the imported flows; `--allow-lossy` accepts the difference")
}

fn range_to_app(policy: &Policy, app: &App, protocol: Protocol, low: u16, high: u16) -> Diagnostic {
    Diagnostic::new(
        Code::ImportPortRange,
        format!("NetworkPolicy `{}/{}` allows ports {low}-{high}/{} of app `{}`, which knet cannot name", policy.namespace, policy.name, protocol.as_lower(), app.name),
        policy.span,
    )
    .label("a port range to an app")
    .note("a flow names an app's ports one by one; a range is written only for destinations that are not apps")
    .help("declare the ports the app listens on and allow them by name; `--allow-lossy` accepts the difference")
}

fn range_between_apps(app: &App, protocol: Protocol, low: u16, high: u16) -> Diagnostic {
    let span = app.services.first().map(|s| s.span).unwrap_or_default();
    Diagnostic::new(
        Code::ImportPortRange,
        format!("the policies allow ports {low}-{high}/{} of app `{}/{}`, which knet cannot name", protocol.as_lower(), app.namespace, app.name),
        span,
    )
    .label("the app's pods")
    .note("a flow names an app's ports one by one; a range is written only for destinations that are not apps")
    .help("declare the ports the app listens on and allow them by name; `--allow-lossy` accepts the difference")
}
