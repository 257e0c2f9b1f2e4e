//! What knet writes by itself, taken out of the imported flows so that the knet reads
//! as a person would write it, and said loudly where it opens more than the input.
//!
//! - The ingress controller (knet's `cluster` default: the pods labelled
//!   `app.kubernetes.io/name=ingress-nginx` in namespace `ingress-nginx`) is the peer
//!   `ingress`; a route lets it reach its backend, so that flow is not written again.
//!   A route whose backend the input's policies close to the controller is `W0403`.
//! - A `node-port` or `load-balancer` Service lets `world` reach its ports: that flow
//!   is not written again; where the input's policies close it, `W0403`.
//! - knet's automatic DNS rule lets every pod of a namespace reach the cluster DNS pods
//!   on UDP and TCP 53: when every app of a namespace already may, those flows are
//!   dropped and the namespace keeps DNS on; otherwise it says `dns off`.

use crate::collections::{HashMap, HashSet, IndexMap};

use super::apps::App;
use super::connect::{Connections, Flow, FlowPorts, Side};
use super::ports::PortSet;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::Protocol;
use crate::kube::objects::{Ingress, Labels, PortValue, Service};
use ipnet::IpNet;

const CONTROLLER_NAMESPACE: &str = "ingress-nginx";
const CONTROLLER_LABEL: (&str, &str) = ("app.kubernetes.io/name", "ingress-nginx");
pub const DNS_NAMESPACE: &str = "kube-system";
const DNS_LABEL: (&str, &str) = ("k8s-app", "kube-dns");
const DNS: [(Protocol, u16); 2] = [(Protocol::Tcp, 53), (Protocol::Udp, 53)];

/// The cluster DNS pods' labels, and the ports knet's DNS rule opens to them.
pub fn cluster_dns() -> (Labels, PortSet) {
    let labels = std::iter::once((DNS_LABEL.0.to_string(), DNS_LABEL.1.to_string())).collect();
    let mut ports = PortSet::default();
    for (protocol, port) in DNS {
        ports.add(protocol, port, port);
    }
    (labels, ports)
}

/// `k8s-app=kube-dns`: the cluster DNS pods' label.
pub fn is_cluster_dns(labels: &Labels) -> bool {
    is(labels, DNS_LABEL)
}

fn is(labels: &Labels, label: (&str, &str)) -> bool {
    labels.len() == 1 && labels.get(label.0).map(String::as_str) == Some(label.1)
}

/// Namespaces whose automatic DNS rule stays on.
pub fn simplify(
    out: &mut Connections,
    apps: &IndexMap<String, Vec<App>>,
    ingresses: &[Ingress],
    diags: &mut Vec<Diagnostic>,
) -> Vec<String> {
    // HTTPRoutes are reached by their Gateway's pods, not the ingress controller: their
    // flows stay as the input's policies say them.
    let ingresses: Vec<Ingress> = ingresses
        .iter()
        .filter(|i| i.gateway.is_none())
        .cloned()
        .collect();
    let ingresses = ingresses.as_slice();
    // The flows to each app, found once: each route and each exposed Service asks for
    // those of its backend, and a scan of every flow for each was quadratic. None is
    // added or removed until the routes and exposures have taken their ports; the ones
    // left with no port are dropped after (they match no port, so no later question
    // sees them).
    let into = FlowsInto::new(&out.flows);
    out.controller = infer_controller(out, &into, apps, ingresses);
    controller_peer(out);
    routes(out, &into, apps, ingresses, diags);
    exposure(out, &into, apps, diags);
    if into.taken.get() {
        out.flows
            .retain(|f| !matches!(&f.ports, FlowPorts::App(list) if list.is_empty()));
    }
    let dns_on = dns(out, apps);
    forget_unused(out);
    dns_on
}

/// The flows to each app of the input, by (namespace, app index): indices into the
/// flows.
struct FlowsInto {
    into: HashMap<(String, usize), Vec<usize>>,
    /// Whether [`take`] has taken ports (and may have left flows without any).
    taken: std::cell::Cell<bool>,
}

impl FlowsInto {
    fn new(flows: &[Flow]) -> Self {
        let mut into: HashMap<(String, usize), Vec<usize>> = HashMap::default();
        for (at, flow) in flows.iter().enumerate() {
            if let Side::App(ns, index) = &flow.to {
                into.entry((ns.clone(), *index)).or_default().push(at);
            }
        }
        FlowsInto {
            into,
            taken: std::cell::Cell::new(false),
        }
    }

    /// The flows to app `index` of `ns`, in order.
    fn of(&self, ns: &str, index: usize) -> &[usize] {
        self.into
            .get(&(ns.to_string(), index))
            .map_or(&[][..], Vec::as_slice)
    }
}

/// The ingress controller's pods: knet's default (`ingress-nginx`), unless the routes'
/// backends all let in one other set of pods of a namespace the input does not hold and
/// none lets in the default: then those pods are the controller (a `cluster` setting).
fn infer_controller(
    out: &Connections,
    into: &FlowsInto,
    apps: &IndexMap<String, Vec<App>>,
    ingresses: &[Ingress],
) -> Option<(String, Labels)> {
    let mut common: Option<Vec<(String, String)>> = None;
    for ingress in ingresses {
        let Some(list) = apps.get(&ingress.namespace) else {
            continue;
        };
        for (_, index) in super::routes::backends(ingress, list) {
            let Some(index) = index else {
                continue;
            };
            let sources: Vec<(String, String)> = into
                .of(&ingress.namespace, index)
                .iter()
                .map(|&at| &out.flows[at])
                .filter_map(|f| match &f.from {
                    Side::Unmanaged(ns, app) => Some((ns.clone(), app.clone())),
                    _ => None,
                })
                .collect();
            common = Some(match common {
                None => sources,
                Some(previous) => previous
                    .into_iter()
                    .filter(|s| sources.contains(s))
                    .collect(),
            });
        }
    }
    let candidates = common?;
    let labels_of = |(ns, app): &(String, String)| {
        out.unmanaged
            .get(ns)
            .and_then(|a| a.get(app))
            .map(|u| (ns.clone(), u.labels.clone()))
    };
    let found: Vec<(String, Labels)> = candidates.iter().filter_map(labels_of).collect();
    let default = found
        .iter()
        .any(|(ns, labels)| ns == CONTROLLER_NAMESPACE && is(labels, CONTROLLER_LABEL));
    if default || found.len() != 1 {
        return None;
    }
    found.into_iter().next()
}

/// Flows from the controller's pods name the peer `ingress`.
fn controller_peer(out: &mut Connections) {
    let (namespace, labels) = out.controller.clone().unwrap_or_else(|| {
        let (key, value) = CONTROLLER_LABEL;
        (
            CONTROLLER_NAMESPACE.to_string(),
            Labels::from_iter([(key.to_string(), value.to_string())]),
        )
    });
    let Some(there) = out.unmanaged.get(&namespace) else {
        return;
    };
    let controllers: Vec<String> = there
        .iter()
        .filter(|(_, u)| u.labels == labels)
        .map(|(name, _)| name.clone())
        .collect();
    for flow in &mut out.flows {
        if let Side::Unmanaged(ns, app) = &flow.from {
            if *ns == namespace && controllers.contains(app) {
                flow.from = Side::Ingress;
            }
        }
    }
}

/// Removes `ports` from the flows `from -> App(ns, index)`; `true` when every one of
/// them was there, or is allowed from `any`. (A flow left with no port stays, for the
/// caller to drop.)
fn take(
    out: &mut Connections,
    into: &FlowsInto,
    from: &Side,
    ns: &str,
    index: usize,
    ports: &[(Protocol, u16)],
) -> bool {
    into.taken.set(true);
    let flows_to = into.of(ns, index);
    // What `any` lets in needs no route or exposure; nor does what `*/*` or the
    // controller's namespace lets in, for the controller.
    let controller_namespace = out
        .controller
        .as_ref()
        .map_or(CONTROLLER_NAMESPACE, |(ns, _)| ns.as_str())
        .to_string();
    let wider = |side: &Side| match side {
        Side::Any => true,
        Side::AnyNamespace => *from == Side::Ingress,
        Side::NamespacePods(ns) => *from == Side::Ingress && *ns == controller_namespace,
        _ => false,
    };
    let mut found: Vec<bool> = ports
        .iter()
        .map(|port| {
            flows_to
                .iter()
                .map(|&at| &out.flows[at])
                .any(|f| wider(&f.from) && f.ports.reaches(port))
        })
        .collect();
    for &at in flows_to {
        let flow = &mut out.flows[at];
        if &flow.from != from {
            continue;
        }
        match &mut flow.ports {
            FlowPorts::All => found.iter_mut().for_each(|f| *f = true),
            FlowPorts::App(list) => {
                for (i, port) in ports.iter().enumerate() {
                    if list.contains(port) {
                        found[i] = true;
                        list.retain(|p| p != port);
                    }
                }
            }
            FlowPorts::Numbers(_) => {}
        }
    }
    found.iter().all(|f| *f)
}

fn routes(
    out: &mut Connections,
    into: &FlowsInto,
    apps: &IndexMap<String, Vec<App>>,
    ingresses: &[Ingress],
    diags: &mut Vec<Diagnostic>,
) {
    // Several routes may lead to one port: the first takes the flow.
    let mut taken: HashSet<(String, usize, (Protocol, u16))> = HashSet::default();
    for ingress in ingresses {
        let Some(list) = apps.get(&ingress.namespace) else {
            continue;
        };
        for (backend, index) in super::routes::backends(ingress, list) {
            let Some(index) = index else {
                continue;
            };
            let app = &list[index];
            let service_port = app.ports.iter().find(|p| match &backend.port {
                Some(PortValue::Number(n)) => p.port == *n,
                Some(PortValue::Name(name)) => &p.name == name,
                None => true,
            });
            let Some(target) = service_port.and_then(|p| Some((p.protocol, app.target_number(p)?)))
            else {
                continue;
            };
            let key = (ingress.namespace.clone(), index, target);
            if !taken.insert(key) {
                continue;
            }
            if !take(
                out,
                into,
                &Side::Ingress,
                &ingress.namespace,
                index,
                &[target],
            ) && isolated_in(out, &ingress.namespace)
            {
                diags.push(
                    Diagnostic::new(
                        Code::ImportOpens,
                        format!("Ingress `{}/{}` routes to `{}`, whose policies do not let the ingress controller in", ingress.namespace, ingress.name, backend.service),
                        ingress.span,
                    )
                    .label("this Ingress")
                    .note("in knet a route lets the ingress controller reach its backend (the input's policies would drop that traffic)")
                    .help("if the route is meant to work, this is the fix; `--allow-lossy` accepts the difference"),
                );
            }
        }
    }
}

/// Whether the app's namespace isolates ingress (else every source reaches it anyway).
fn isolated_in(out: &Connections, ns: &str) -> bool {
    !out.open.get(ns).is_some_and(|(ingress, _)| *ingress)
}

fn exposure(
    out: &mut Connections,
    into: &FlowsInto,
    apps: &IndexMap<String, Vec<App>>,
    diags: &mut Vec<Diagnostic>,
) {
    for (ns, list) in apps {
        for (index, app) in list.iter().enumerate() {
            // `loadBalancerSourceRanges` narrows a LoadBalancer (a NodePort ignores it).
            let narrowed = |s: &Service| s.kind == "LoadBalancer" && !s.source_ranges.is_empty();
            for service in app.services.iter().filter(|s| narrowed(s)) {
                let ports = target_ports(app, std::iter::once(service));
                if ranges_let_in(out, into, ns, index, service, &ports) {
                    take_ranges(out, into, ns, index, service, &ports);
                } else if isolated_in(out, ns) {
                    diags.push(
                        Diagnostic::new(
                            Code::ImportOpens,
                            format!("Service `{ns}/{}` lets its source ranges in, but the policies do not", service.name),
                            service.span,
                        )
                        .label("a LoadBalancer Service with `loadBalancerSourceRanges`")
                        .note("in knet `source-ranges` lets those addresses reach the Service's ports (the input's policies would drop some of that traffic)")
                        .help("if the Service is meant to be reachable from those ranges, this is the fix; `--allow-lossy` accepts the difference"),
                    );
                }
            }
            let exposed = target_ports(
                app,
                app.services.iter().filter(|s| {
                    matches!(s.kind.as_str(), "NodePort" | "LoadBalancer") && !narrowed(s)
                }),
            );
            if exposed.is_empty() {
                continue;
            }
            if !take(out, into, &Side::World, ns, index, &exposed) && isolated_in(out, ns) {
                let span = app.services.first().map(|s| s.span).unwrap_or_default();
                diags.push(
                    Diagnostic::new(
                        Code::ImportOpens,
                        format!("Service `{ns}/{}` is exposed on the nodes, but the policies do not let outside addresses in", exposed_name(app)),
                        span,
                    )
                    .label("a NodePort or LoadBalancer Service")
                    .note("in knet a `node-port` or `load-balancer` Service lets `world` (or its `source-ranges`) reach its ports")
                    .help("if the Service is meant to be reachable, this is the fix; `--allow-lossy` accepts the difference"),
                );
            }
        }
    }
}

/// The container ports that `services` of `app` forward to.
fn target_ports<'a>(
    app: &App,
    services: impl Iterator<Item = &'a Service>,
) -> Vec<(Protocol, u16)> {
    services
        .flat_map(|s| s.ports.iter())
        .filter_map(|p| {
            let target = match &p.target {
                PortValue::Number(n) => Some(*n),
                PortValue::Name(_) => app.target_number(p),
            }?;
            Some((p.protocol, target))
        })
        .collect()
}

/// Whether the flows into app `index` of `ns` already let every source range of
/// `service` in on each of `ports`: from `any`, `world`, or an external whose CIDR holds
/// the range and cuts nothing out of it.
fn ranges_let_in(
    out: &Connections,
    into: &FlowsInto,
    ns: &str,
    index: usize,
    service: &Service,
    ports: &[(Protocol, u16)],
) -> bool {
    let externals = out.externals.get(ns);
    let holds = |side: &Side, range: &IpNet| match side {
        Side::Any | Side::World => true,
        Side::External(name) => externals
            .and_then(|e| e.get(name))
            .is_some_and(|(cidr, except)| holds_whole(cidr, except, range)),
        _ => false,
    };
    let flows: Vec<&Flow> = into
        .of(ns, index)
        .iter()
        .map(|&at| &out.flows[at])
        .collect();
    service.source_ranges.iter().all(|range| {
        range.parse::<IpNet>().is_ok_and(|range| {
            ports.iter().all(|port| {
                flows
                    .iter()
                    .any(|f| holds(&f.from, &range) && f.ports.reaches(port))
            })
        })
    })
}

/// Whether an external's `cidr` (with its `except` blocks) holds all of `range`.
fn holds_whole(cidr: &str, except: &[String], range: &IpNet) -> bool {
    let overlaps = |e: &String| {
        e.parse::<IpNet>()
            .map_or(true, |e| e.contains(range) || range.contains(&e))
    };
    cidr.parse::<IpNet>().is_ok_and(|cidr| cidr.contains(range)) && !except.iter().any(overlaps)
}

/// Takes the ports from flows out of an external that is exactly one of `service`'s
/// source ranges (no `except`): its `source-ranges` line says the same.
fn take_ranges(
    out: &mut Connections,
    into: &FlowsInto,
    ns: &str,
    index: usize,
    service: &Service,
    ports: &[(Protocol, u16)],
) {
    let ranges: Vec<IpNet> = service
        .source_ranges
        .iter()
        .filter_map(|r| r.parse().ok())
        .collect();
    let exact: Vec<String> = out
        .externals
        .get(ns)
        .into_iter()
        .flatten()
        .filter(|(_, (cidr, except))| {
            except.is_empty() && cidr.parse().is_ok_and(|cidr| ranges.contains(&cidr))
        })
        .map(|(name, _)| name.clone())
        .collect();
    for name in exact {
        take(out, into, &Side::External(name), ns, index, ports);
    }
}

/// The first Service of the app that is exposed on the nodes.
fn exposed_name(app: &App) -> &str {
    app.services
        .iter()
        .find(|s| matches!(s.kind.as_str(), "NodePort" | "LoadBalancer"))
        .map_or(app.name.as_str(), |s| s.name.as_str())
}

/// Drops the flows to the cluster DNS pods where knet's own DNS rule says the same.
fn dns(out: &mut Connections, apps: &IndexMap<String, Vec<App>>) -> Vec<String> {
    let dns_apps: Vec<String> = out
        .unmanaged
        .get(DNS_NAMESPACE)
        .map(|there| {
            there
                .iter()
                .filter(|(_, u)| is(&u.labels, DNS_LABEL))
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default();
    // What each app's flows reach of the DNS, gathered in one pass over the flows (a
    // pass per app was quadratic): every port of everything (`any`), or which DNS
    // ports of a DNS app. The loop below changes only flows of the namespace it is at,
    // which no later namespace asks about.
    let to_dns = |to: &Side| matches!(to, Side::Unmanaged(n, a) if n == DNS_NAMESPACE && dns_apps.contains(a));
    let mut reach: HashMap<(&str, usize), (bool, [bool; 2])> = HashMap::default();
    for flow in &out.flows {
        let Side::App(ns, index) = &flow.from else {
            continue;
        };
        let seen = reach.entry((ns.as_str(), *index)).or_default();
        if flow.to == Side::Any && flow.ports == FlowPorts::All {
            seen.0 = true;
        }
        if to_dns(&flow.to) {
            for (port, covered) in DNS.iter().zip(&mut seen.1) {
                *covered |= flow.ports.reaches(port);
            }
        }
    }
    let reaches: HashSet<(String, usize)> = reach
        .into_iter()
        .filter(|(_, (any, named))| *any || named.iter().all(|&covered| covered))
        .map(|((ns, index), _)| (ns.to_string(), index))
        .collect();
    let mut on = Vec::new();
    for (ns, list) in apps {
        let open_egress = out.open.get(ns).is_some_and(|(_, egress)| *egress);
        if open_egress {
            continue;
        }
        let reaches_dns = |index: usize| reaches.contains(&(ns.clone(), index));
        if list.is_empty() {
            // No app's flows to learn from: the policies for every pod say.
            if out.podless_dns.contains(ns) {
                on.push(ns.clone());
            }
            continue;
        }
        if !(0..list.len()).all(reaches_dns) {
            continue;
        }
        on.push(ns.clone());
        for flow in out.flows.iter_mut() {
            if !to_dns(&flow.to) || !matches!(&flow.from, Side::App(n, _) if n == ns) {
                continue;
            }
            if let FlowPorts::App(list) = &mut flow.ports {
                list.retain(|p| !DNS.contains(p));
            }
        }
        out.flows
            .retain(|f| !matches!(&f.ports, FlowPorts::App(list) if list.is_empty()));
    }
    on
}

/// Unmanaged apps and namespaces, and externals, that no flow names any more.
fn forget_unused(out: &mut Connections) {
    let externals: HashSet<(String, String)> = out
        .flows
        .iter()
        .flat_map(|f| [&f.from, &f.to].map(|side| (side, &f.namespace)))
        .filter_map(|(side, ns)| match side {
            Side::External(name) => Some((ns.clone(), name.clone())),
            _ => None,
        })
        .collect();
    for (ns, declared) in out.externals.iter_mut() {
        declared.retain(|name, _| externals.contains(&(ns.clone(), name.clone())));
    }
    let named: Vec<(String, String)> = out
        .flows
        .iter()
        .flat_map(|f| [&f.from, &f.to])
        .filter_map(|s| match s {
            Side::Unmanaged(ns, app) => Some((ns.clone(), app.clone())),
            _ => None,
        })
        .collect();
    for (ns, apps) in out.unmanaged.iter_mut() {
        apps.retain(|app, _| named.contains(&(ns.clone(), app.clone())));
    }
    out.unmanaged.retain(|_, apps| !apps.is_empty());
}
