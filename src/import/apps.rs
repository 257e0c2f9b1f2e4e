//! Apps from the input: which pods exist (workloads, or what Services and policies
//! select when no workload is given), which app each belongs to, its name, labels,
//! ports and Services.
//!
//! An app is named after its Service (the Service that selects its pods; several
//! Services with one selector are one app with extra Services), else after its
//! workload. Its labels are the Service's selector, else the workload's most telling
//! label (`app.kubernetes.io/name`, `app`, `k8s-app`, `name`) when no other workload
//! carries it, else all its pod labels.

use crate::collections::{HashMap, IndexMap};

use super::found;

use crate::diagnostic::{Code, Diagnostic};
use crate::ir::Protocol;
use crate::kube::objects::{
    ContainerPort, Input, Labels, PortValue, Selector, Service, ServicePort, Workload,
};

/// One app of a namespace knet will manage.
#[derive(Debug, Clone)]
pub struct App {
    pub name: String,
    pub namespace: String,
    pub labels: Labels,
    /// The labels of a representative pod (for matching policy selectors).
    pub pod_labels: Labels,
    pub container: Vec<ContainerPort>,
    /// The Services over the app's pods: the first is the app's own.
    pub services: Vec<Service>,
    /// The app's ports: its Service's, then those its policies need.
    pub ports: Vec<ServicePort>,
}

impl App {
    /// The container port number a Service port forwards to.
    pub fn target_number(&self, port: &ServicePort) -> Option<u16> {
        match &port.target {
            PortValue::Number(n) => Some(*n),
            PortValue::Name(name) => self
                .container
                .iter()
                .find(|c| c.name.as_deref() == Some(name) && c.protocol == port.protocol)
                .map(|c| c.number),
        }
    }

    /// The port that reaches container port `number`, if the app has one.
    pub fn port_to(&self, protocol: Protocol, number: u16) -> Option<&ServicePort> {
        self.ports
            .iter()
            .find(|p| p.protocol == protocol && self.target_number(p) == Some(number))
    }

    /// Makes sure a port reaches container port `number` (a policy needs it): adds one,
    /// named, when the app has none; a single unnamed port then gets a name, as
    /// Kubernetes requires of a Service with several ports.
    pub fn ensure_port(&mut self, protocol: Protocol, number: u16) {
        if self.port_to(protocol, number).is_some() {
            return;
        }
        if self.ports.len() == 1 && self.ports[0].name.is_empty() {
            let first = self.ports[0].clone();
            self.ports[0].name = self.fresh_name(first.protocol, first.port);
        }
        let name = self.fresh_name(protocol, number);
        // The Service port is the container port's number, unless another port of the
        // Service has it (`80 -> 9000` while a policy opens container port 80): then the
        // next free number, since a Service has each number once per protocol.
        let taken = |n: u16| {
            self.ports
                .iter()
                .any(|p| p.protocol == protocol && p.port == n)
        };
        let port = (number..=u16::MAX)
            .chain(1..number)
            .find(|&n| !taken(n))
            .unwrap_or(number);
        self.ports.push(ServicePort {
            name,
            port,
            protocol,
            target: PortValue::Number(number),
            node_port: None,
        });
    }

    /// How a flow names the port to container port `number` (after `ensure_port`).
    pub fn flow_port(&self, protocol: Protocol, number: u16) -> String {
        self.port_to(protocol, number)
            .map_or_else(|| number.to_string(), flow_name)
    }

    /// A port name: the container port's, else `tcp-8080`.
    fn fresh_name(&self, protocol: Protocol, number: u16) -> String {
        let taken = |n: &str| self.ports.iter().any(|p| p.name == n);
        let named = self
            .container
            .iter()
            .find(|c| c.number == number && c.protocol == protocol)
            .and_then(|c| c.name.clone())
            .filter(|n| !taken(n));
        named.unwrap_or_else(|| format!("{}-{number}", protocol.as_lower()))
    }
}

/// How a flow names a Service port: its name, or its number when unnamed.
pub fn flow_name(port: &ServicePort) -> String {
    if port.name.is_empty() {
        match port.protocol {
            Protocol::Tcp => port.port.to_string(),
            p => format!("{}/{}", port.port, p.as_lower()),
        }
    } else {
        port.name.clone()
    }
}

/// The labels that usually name an app, most telling first.
const NAME_KEYS: [&str; 4] = ["app.kubernetes.io/name", "app", "k8s-app", "name"];

/// The apps of the namespaces in `managed`, in input order.
pub fn apps(input: &Input, managed: &[String], diags: &mut Vec<Diagnostic>) -> Vec<App> {
    let mut apps: Vec<App> = Vec::new();
    let mut selectors = found::Selectors::default();
    // Services with a selector, grouped by (namespace, selector).
    for service in &input.services {
        let Some(selector) = &service.selector else {
            continue;
        };
        if service.kind == "ExternalName" {
            continue;
        }
        if let Some(index) = selectors.exact(&service.namespace, selector) {
            apps[index].services.push(service.clone());
            continue;
        }
        let name = knet_name(&input.services, service, "app", diags);
        apps.push(App {
            name,
            namespace: service.namespace.clone(),
            labels: selector.clone(),
            pod_labels: selector.clone(),
            container: Vec::new(),
            services: vec![service.clone()],
            ports: port_names(service, diags),
        });
        selectors.add(apps.len() - 1, &apps[apps.len() - 1]);
        if service.ports.is_empty() {
            diags.push(
                Diagnostic::new(
                    Code::ImportServiceChanged,
                    format!("Service `{}/{}` has no ports: knet writes no Service for it", service.namespace, service.name),
                    service.span,
                )
                .label("a Service without ports")
                .note("in knet a Service is the ports of an app; an app without ports has none (a headless Service without ports only gives DNS records)")
                .help("give the Service a port, or accept that it is left out with `--allow-lossy`"),
            );
        }
    }
    let mut names = found::Names::default();
    apps.iter().for_each(|app| names.add(app));
    let telling = TellingLabels::new(input);
    // Workloads: joined to the app whose selector matches them, else apps of their own.
    for workload in &input.workloads {
        let owner = selectors.owner(&apps, &workload.namespace, &workload.labels);
        if let Some(app) = owner.map(|index| &mut apps[index]) {
            if app.container.is_empty() {
                app.pod_labels = workload.labels.clone();
            }
            app.container.extend(workload.ports.iter().cloned());
            continue;
        }
        // Pods without labels: no selector but `{}` picks them, and a knet app is its
        // labels. They are left out (a policy over every pod still covers the others).
        if workload.labels.is_empty() {
            continue;
        }
        let labels = telling.of(workload);
        let name = unique_name(&names, &workload.namespace, &workload.name);
        apps.push(App {
            name,
            namespace: workload.namespace.clone(),
            labels,
            pod_labels: workload.labels.clone(),
            container: workload.ports.clone(),
            services: Vec::new(),
            ports: Vec::new(),
        });
        names.add(&apps[apps.len() - 1]);
    }
    let mut pods = found::PodLabels::default();
    apps.iter()
        .enumerate()
        .for_each(|(index, app)| pods.add(index, app));
    let mut known = Known { apps, names, pods };
    // Pods that only policies name (no workload given): a policy's pods, and the pods of
    // its peers in namespaces of the input.
    for policy in &input.policies {
        known.add_selected(&policy.namespace, &policy.pod_selector);
        for rule in policy.ingress.iter().chain(&policy.egress).flatten() {
            for peer in rule.peers.iter().flatten() {
                let crate::kube::objects::PolicyPeer::Pods { namespaces, pods } = peer else {
                    continue;
                };
                let Some(pods) = pods else { continue };
                let namespace = match namespaces {
                    None => Some(policy.namespace.clone()),
                    // The cluster DNS pods by label, in every namespace: where they run.
                    Some(selector)
                        if selector.is_empty()
                            && pods.expressions.is_empty()
                            && super::implied::is_cluster_dns(&pods.labels) =>
                    {
                        Some(super::implied::DNS_NAMESPACE.to_string())
                    }
                    Some(selector) => super::names::namespace_by_name(selector),
                };
                if let Some(namespace) = namespace.filter(|n| managed.contains(n)) {
                    known.add_selected(&namespace, pods);
                }
            }
        }
    }
    let mut apps = known.apps;
    apps.retain(|a| managed.contains(&a.namespace));
    for app in &mut apps {
        name_unknown_targets(app);
    }
    apps
}

/// A Service port whose target is a container port name that no workload of the input
/// declares (the input has no workloads, say: `knet build`'s own output) still needs a
/// port number for the port sets; it gets one from the top of the range that nothing
/// else uses. Policies name that port by its name, so the number is never written.
fn name_unknown_targets(app: &mut App) {
    let mut next = u16::MAX;
    for i in 0..app.ports.len() {
        let PortValue::Name(name) = app.ports[i].target.clone() else {
            continue;
        };
        let protocol = app.ports[i].protocol;
        if app.target_number(&app.ports[i]).is_some() {
            continue;
        }
        let used = |n: u16| {
            app.ports.iter().any(|p| p.port == n) || app.container.iter().any(|c| c.number == n)
        };
        while next > 0 && used(next) {
            next -= 1;
        }
        if next == 0 {
            // Every port number is taken: the name stays unresolved (no flow names it).
            return;
        }
        app.container.push(ContainerPort {
            name: Some(name),
            number: next,
            protocol,
        });
        next -= 1;
    }
}

/// The Service's ports, with the names knet cannot take (longer than 15 characters,
/// say: Kubernetes allows 63 for a Service port) replaced, loudly (`W0404`).
fn port_names(service: &Service, diags: &mut Vec<Diagnostic>) -> Vec<ServicePort> {
    let mut ports = service.ports.clone();
    for i in 0..ports.len() {
        let name = ports[i].name.clone();
        if name.is_empty() || super::names::port_name_ok(&name) {
            continue;
        }
        let base = format!("{}-{}", ports[i].protocol.as_lower(), ports[i].port);
        let fresh = if ports.iter().any(|p| p.name == base) {
            format!("{base}-{i}")
        } else {
            base
        };
        diags.push(
            Diagnostic::new(
                Code::ImportServiceChanged,
                format!("port `{name}` of Service `{}/{}` is renamed `{fresh}`", service.namespace, service.name),
                service.span,
            )
            .label("in this Service")
            .note("knet port names are IANA service names: at most 15 lowercase letters, digits and `-`, with a letter")
            .help("clients that look the port up by name (SRV records) see the new name; `--allow-lossy` accepts it"),
        );
        ports[i].name = fresh;
    }
    ports
}

/// The name of the app or external that `service` becomes: the Service's own, unless
/// knet reads it as a peer (`ingress`, `world`, `any`). Then it is `NAME-SUFFIX`, kept
/// clear of the namespace's other Services, and the Service, which takes the name of its
/// app or external, is renamed with it (`W0404`).
pub(super) fn knet_name(
    services: &[Service],
    service: &Service,
    suffix: &str,
    diags: &mut Vec<Diagnostic>,
) -> String {
    let name = super::names::unreserved(service.name.clone(), suffix);
    if name == service.name {
        return name;
    }
    let name = super::names::unique(name, |n| {
        services
            .iter()
            .any(|s| s.namespace == service.namespace && s.name == n)
    });
    diags.push(renamed(service, &name));
    name
}

/// `W0404`: a Service whose name knet reserves for a peer, written under the name of
/// its app or external.
fn renamed(service: &Service, name: &str) -> Diagnostic {
    Diagnostic::new(
        Code::ImportServiceChanged,
        format!("Service `{}/{}` is written as `{name}`: knet reads `{}` as a peer", service.namespace, service.name, service.name),
        service.span,
    )
    .label("a Service with a name that knet reserves")
    .note(format!("in a flow, `{}` is a word of the language, so no app or external may be named so, and the Service takes the new name", service.name))
    .help(format!("point clients at `{name}`, or accept the new name with `--allow-lossy`"))
}

/// The apps found, with the indexes that `add_selected` asks.
struct Known {
    apps: Vec<App>,
    names: found::Names,
    pods: found::PodLabels,
}

impl Known {
    /// An app for a selector that selects no known pod (matchLabels only, not empty).
    fn add_selected(&mut self, namespace: &str, selector: &Selector) {
        if selector.is_empty() || !selector.expressions.is_empty() {
            return;
        }
        if self
            .pods
            .any_carries(&self.apps, namespace, &selector.labels)
        {
            return;
        }
        let base = super::names::from_labels(&selector.labels);
        let name = unique_name(&self.names, namespace, &base);
        let app = App {
            name,
            namespace: namespace.to_string(),
            labels: selector.labels.clone(),
            pod_labels: selector.labels.clone(),
            container: Vec::new(),
            services: Vec::new(),
            ports: Vec::new(),
        };
        self.names.add(&app);
        self.pods.add(self.apps.len(), &app);
        self.apps.push(app);
    }
}

/// The one label that tells a workload's pods from every other workload's, else all:
/// how many workloads of each namespace carry each of the labels that usually name an
/// app, counted once.
struct TellingLabels<'a> {
    carried: HashMap<(&'a str, &'a str, &'a str), usize>,
}

impl<'a> TellingLabels<'a> {
    fn new(input: &'a Input) -> Self {
        let mut carried: HashMap<(&str, &str, &str), usize> = HashMap::default();
        for workload in &input.workloads {
            for key in NAME_KEYS {
                if let Some(value) = workload.labels.get(key) {
                    *carried
                        .entry((workload.namespace.as_str(), key, value.as_str()))
                        .or_default() += 1;
                }
            }
        }
        TellingLabels { carried }
    }

    fn of(&self, workload: &Workload) -> Labels {
        for key in NAME_KEYS {
            let Some(value) = workload.labels.get(key) else {
                continue;
            };
            let shared = self.carried[&(workload.namespace.as_str(), key, value.as_str())] > 1;
            if !shared {
                return Labels::from_iter([(key.to_string(), value.clone())]);
            }
        }
        workload.labels.clone()
    }
}

fn unique_name(names: &found::Names, namespace: &str, base: &str) -> String {
    let base = super::names::unreserved(super::names::dns_label(base), "app");
    super::names::unique(base, |n| names.taken(namespace, n))
}

/// Apps by namespace, in input order.
pub fn by_namespace(apps: Vec<App>) -> IndexMap<String, Vec<App>> {
    let mut out: IndexMap<String, Vec<App>> = IndexMap::default();
    for app in apps {
        out.entry(app.namespace.clone()).or_default().push(app);
    }
    out
}
