//! Preview addresses: a ClusterIP for every Service that has one, and endpoint (pod)
//! addresses for every app, allocated deterministically and stably.
//!
//! Pinned addresses (`cluster-ip`, `endpoint`) are taken first and always win. Every
//! other address is found by hashing the qualified name (`ns/app`, `ns/app/i` for
//! endpoint `i`) into the range; on a collision the name is hashed again with an
//! attempt counter. Apps are allocated in order of qualified name, so adding an app
//! changes another app's address only when the new app lands exactly on that app's
//! slot, which a large range makes rare (and the tests show it does not happen in the
//! examples).

use std::collections::BTreeSet;
use std::net::IpAddr;

use crate::collections::{HashSet, IndexMap};
use ipnet::IpNet;
use sha2::{Digest, Sha256};

use crate::ir::Model;

/// The first addresses of the service range are left to static allocation, as the
/// API server does (`10.96.0.1` is `kubernetes`, `10.96.0.10` cluster DNS on kubeadm);
/// in a range of fewer than 64 addresses only the network address is skipped.
fn reserved_low_service(network: IpNet) -> u128 {
    if network.max_prefix_len() - network.prefix_len() >= 6 {
        16
    } else {
        1
    }
}
/// The network address and the first host (often a gateway) of the pod range.
const RESERVED_LOW_POD: u128 = 2;

/// An endpoint of an app on the previewed cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub address: IpAddr,
    /// On the previewed node.
    pub local: bool,
    /// The pod's name: `APP-i`.
    pub pod: String,
}

/// Every allocated address. ClusterIPs and endpoints are kept by place, in the order
/// the backends walk the model (namespace by namespace, each app in source order, and
/// an app's own Service before its extra ones): a preview of 100,000 apps looked each
/// up by name in maps of owned names, read at random.
#[derive(Debug, Clone, Default)]
pub struct Addresses {
    /// By the Service's place ([`Service::place`]).
    cluster_ips: Vec<Option<IpAddr>>,
    /// By the app's place ([`Service::app_place`]).
    endpoints: Vec<Vec<Endpoint>>,
    /// Node ports of `node-port` and `load-balancer` Services, keyed by
    /// (namespace, app, port name): the written ones, else allocated like the API
    /// server would (from the node-port range).
    pub node_ports: IndexMap<(String, String, String), u16>,
    /// Health-check node ports of load balancers with `traffic-policy local`.
    pub health_check_node_ports: IndexMap<(String, String), u16>,
}

/// One Service of the model, with its place and its app's ([`services`]).
#[derive(Debug, Clone, Copy)]
pub struct Service<'m> {
    pub namespace: &'m crate::ir::Namespace,
    /// The app whose pods the Service selects.
    pub owner: &'m crate::ir::App,
    /// The Service: the owner itself, or one of its extra Services.
    pub service: &'m crate::ir::App,
    /// Whether it is the owner's own Service (the first of its app).
    pub own: bool,
    /// The place of the Service among every Service of the model.
    pub place: usize,
    /// The place of the owner among every app of the model.
    pub app_place: usize,
}

/// Every Service of the model in the order its addresses are kept: namespace by
/// namespace, each app in source order, its own Service and then its extra ones.
pub fn services(model: &Model) -> impl Iterator<Item = Service<'_>> {
    model
        .namespaces
        .values()
        .flat_map(|ns| ns.apps.values().map(move |owner| (ns, owner)))
        .enumerate()
        .flat_map(|(app_place, (namespace, owner))| {
            owner
                .services()
                .enumerate()
                .map(move |(i, service)| (namespace, owner, service, i == 0, app_place))
        })
        .enumerate()
        .map(
            |(place, (namespace, owner, service, own, app_place))| Service {
                namespace,
                owner,
                service,
                own,
                place,
                app_place,
            },
        )
}

/// Names that look up a map keyed by owned names without allocating them: a tuple
/// struct of `&str`s hashes as the tuple of `String`s does (each field in turn, a
/// `String` as its `str`).
#[derive(Hash)]
struct Names<'a>(&'a str, &'a str);

impl indexmap::Equivalent<(String, String)> for Names<'_> {
    fn equivalent(&self, key: &(String, String)) -> bool {
        self.0 == key.0 && self.1 == key.1
    }
}

/// [`Names`] with a port name.
#[derive(Hash)]
struct PortNames<'a>(&'a str, &'a str, &'a str);

impl indexmap::Equivalent<(String, String, String)> for PortNames<'_> {
    fn equivalent(&self, key: &(String, String, String)) -> bool {
        self.0 == key.0 && self.1 == key.1 && self.2 == key.2
    }
}

impl Addresses {
    /// The ClusterIP of the Service at `place` ([`Service::place`]).
    pub fn cluster_ip(&self, place: usize) -> Option<IpAddr> {
        self.cluster_ips.get(place).copied().flatten()
    }

    pub fn node_port(&self, namespace: &str, app: &str, port: &str) -> Option<u16> {
        self.node_ports
            .get(&PortNames(namespace, app, port))
            .copied()
    }

    pub fn health_check_node_port(&self, namespace: &str, app: &str) -> Option<u16> {
        self.health_check_node_ports
            .get(&Names(namespace, app))
            .copied()
    }

    /// The endpoints of the app at `place` ([`Service::app_place`]).
    pub fn endpoints(&self, place: usize) -> &[Endpoint] {
        self.endpoints.get(place).map_or(&[], Vec::as_slice)
    }

    /// Every ClusterIP by (namespace, Service), in the order kept: for the tests and
    /// tools that look addresses up by name. `model` is the one allocated for.
    pub fn cluster_ips_by_name(&self, model: &Model) -> IndexMap<(String, String), IpAddr> {
        services(model)
            .filter_map(|s| {
                let ip = self.cluster_ip(s.place)?;
                Some(((s.namespace.name.clone(), s.service.name.clone()), ip))
            })
            .collect()
    }

    /// Every app's endpoints by (namespace, app), in the order kept (see
    /// [`Addresses::cluster_ips_by_name`]).
    pub fn endpoints_by_name(&self, model: &Model) -> IndexMap<(String, String), Vec<Endpoint>> {
        services(model)
            .filter(|s| s.own)
            .map(|s| {
                let key = (s.namespace.name.clone(), s.owner.name.clone());
                (key, self.endpoints(s.app_place).to_vec())
            })
            .collect()
    }
}

/// A range of addresses to allocate from.
struct Pool {
    network: IpNet,
    reserved_low: u128,
    /// Only asked whether it holds an address, never walked: a hash set, whose lookup
    /// does not grow with the hundreds of thousands of addresses a large model takes.
    taken: HashSet<IpAddr>,
}

impl Pool {
    fn new(network: IpNet, reserved_low: u128) -> Self {
        Pool {
            network,
            reserved_low,
            taken: HashSet::default(),
        }
    }

    /// Usable offsets: skip the reserved low addresses and, for IPv4, the broadcast.
    fn usable(&self) -> u128 {
        let host_bits = u32::from(self.network.max_prefix_len() - self.network.prefix_len());
        let size = if host_bits >= 128 {
            u128::MAX
        } else {
            1u128 << host_bits
        };
        let broadcast = u128::from(matches!(self.network, IpNet::V4(_)));
        size.saturating_sub(self.reserved_low + broadcast)
    }

    fn address_at(&self, offset: u128) -> IpAddr {
        match self.network {
            IpNet::V4(net) => {
                let base = u32::from(net.network());
                let offset = u32::try_from(offset).unwrap_or(0);
                IpAddr::V4(base.wrapping_add(offset).into())
            }
            IpNet::V6(net) => {
                let base = u128::from(net.network());
                IpAddr::V6(base.wrapping_add(offset).into())
            }
        }
    }

    /// The address for `name`: its hash slot, or the next hash on collision.
    fn allocate(&mut self, name: &str) -> Option<IpAddr> {
        let usable = self.usable();
        if usable == 0 || self.taken.len() as u128 >= usable {
            return None;
        }
        for attempt in 0u64.. {
            let key = if attempt == 0 {
                name.to_string()
            } else {
                format!("{name}#{attempt}")
            };
            let digest = Sha256::digest(key.as_bytes());
            let mut bytes = [0u8; 16];
            bytes.copy_from_slice(&digest[..16]);
            let offset = self.reserved_low + u128::from_be_bytes(bytes) % usable;
            let address = self.address_at(offset);
            if self.taken.insert(address) {
                return Some(address);
            }
        }
        None
    }
}

/// An address as iptables, ipset and kube-proxy print it (`Display`'s form). IPv4, which
/// a preview prints tens of thousands of times, is written octet by octet with `itoa`:
/// through `Display` each address cost over a thousand instructions of formatting
/// machinery.
pub fn text(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let mut out = String::with_capacity(15);
            let mut digits = itoa::Buffer::new();
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    out.push('.');
                }
                out.push_str(digits.format(octet));
            }
            out
        }
        IpAddr::V6(_) => ip.to_string(),
    }
}

/// How many ClusterIPs the service CIDR can allocate.
pub fn service_capacity(network: IpNet) -> u128 {
    Pool::new(network, reserved_low_service(network)).usable()
}

/// How many endpoint addresses the pod CIDR can allocate.
pub fn pod_capacity(network: IpNet) -> u128 {
    Pool::new(network, RESERVED_LOW_POD).usable()
}

/// Allocates every address of the model.
pub fn allocate(model: &Model) -> Addresses {
    let service_cidr = model.cluster.service_cidr;
    let mut service_pool = Pool::new(service_cidr, reserved_low_service(service_cidr));
    let mut pods = Pool::new(model.cluster.pod_cidr, RESERVED_LOW_POD);
    // Every Service (an app's own and its extra ones): endpoints belong to the app (its
    // own Service), ClusterIPs to each Service.
    let all: Vec<Service> = services(model).collect();
    // Pinned addresses first, so that they always win.
    for service in &all {
        if let Some(ip) = service.service.settings.cluster_ip {
            service_pool.taken.insert(ip);
        }
        if service.own {
            for endpoint in &service.owner.preview.endpoints {
                pods.taken.insert(endpoint.address);
            }
        }
    }
    // Allocated in order of name, kept by place in source order: the order the
    // backends walk in ([`services`]), so that they find each by its place.
    let mut by_name: Vec<&Service> = all.iter().collect();
    by_name.sort_by(|a, b| {
        (&a.namespace.name, &a.service.name).cmp(&(&b.namespace.name, &b.service.name))
    });
    let apps = all.iter().filter(|service| service.own).count();
    let mut addresses = Addresses {
        cluster_ips: vec![None; all.len()],
        endpoints: vec![Vec::new(); apps],
        ..Addresses::default()
    };
    for service in by_name {
        let app = service.service;
        let qualified = format!("{}/{}", service.namespace.name, app.name);
        if app.has_cluster_ip() {
            addresses.cluster_ips[service.place] = app
                .settings
                .cluster_ip
                .or_else(|| service_pool.allocate(&qualified));
        }
        if service.own {
            addresses.endpoints[service.app_place] = endpoints_of(app, &qualified, &mut pods);
        }
    }
    node_ports(model, &mut addresses);
    addresses
}

/// An app's endpoints: the written ones, else one per replica from the pod range.
fn endpoints_of(app: &crate::ir::App, qualified: &str, pods: &mut Pool) -> Vec<Endpoint> {
    if app.preview.endpoints.is_empty() {
        (0..app.preview.replicas)
            .filter_map(|i| {
                pods.allocate(&format!("{qualified}/{i}"))
                    .map(|address| Endpoint {
                        address,
                        local: true,
                        pod: format!("{}-{i}", app.name),
                    })
            })
            .collect()
    } else {
        app.preview
            .endpoints
            .iter()
            .enumerate()
            .map(|(i, e)| Endpoint {
                address: e.address,
                local: e.local,
                pod: format!("{}-{i}", app.name),
            })
            .collect()
    }
}

/// Node ports: written ones first (they always win), then the others hashed into the
/// node-port range by `ns/app:port` (`ns/app` for the health check), probing on
/// collision.
fn node_ports(model: &Model, addresses: &mut Addresses) {
    let (low, high) = model.cluster.node_port_range;
    let size = u32::from(high - low) + 1;
    let mut taken: BTreeSet<u16> = BTreeSet::new();
    let exposed = || {
        model.namespaces.values().flat_map(|ns| {
            ns.apps
                .values()
                .flat_map(crate::ir::App::services)
                .filter(|app| app.service.exposed_on_nodes())
                .map(move |app| (ns.name.as_str(), app))
        })
    };
    for (_, app) in exposed() {
        taken.extend(app.ports.iter().filter_map(|p| p.node_port));
        taken.extend(app.settings.health_check_node_port);
    }
    let mut pick = |name: &str| -> Option<u16> {
        if taken.len() as u32 >= size {
            return None;
        }
        (0u64..).find_map(|attempt| {
            let digest = Sha256::digest(format!("{name}#{attempt}").as_bytes());
            let value = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
            let port = u16::try_from(u32::from(low) + value % size).ok()?;
            taken.insert(port).then_some(port)
        })
    };
    let mut sorted: Vec<(&str, &crate::ir::App)> = exposed().collect();
    sorted.sort_by(|a, b| (a.0, &a.1.name).cmp(&(b.0, &b.1.name)));
    for (namespace, app) in sorted {
        for port in &app.ports {
            let key = (namespace.to_string(), app.name.clone(), port.name.clone());
            let qualified = format!("{namespace}/{}:{}", app.name, port.name);
            if let Some(number) = port.node_port.or_else(|| pick(&qualified)) {
                addresses.node_ports.insert(key, number);
            }
        }
        if app.has_health_check_node_port() {
            let qualified = format!("{namespace}/{}", app.name);
            if let Some(number) = app
                .settings
                .health_check_node_port
                .or_else(|| pick(&qualified))
            {
                addresses
                    .health_check_node_ports
                    .insert((namespace.to_string(), app.name.clone()), number);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    use super::{Names, PortNames};
    use crate::collections::IndexMap;

    /// Borrowed names find the entry of the same owned names, and only it: names that
    /// run together alike (`ab`+`c`, `a`+`bc`) are two keys.
    #[test]
    fn borrowed_names_find_the_owned_ones() {
        let pairs = [("ab", "c"), ("a", "bc"), ("", "abc"), ("shop", "web")];
        let map: IndexMap<(String, String), usize> = pairs
            .iter()
            .enumerate()
            .map(|(i, (a, b))| ((a.to_string(), b.to_string()), i))
            .collect();
        for (i, (a, b)) in pairs.iter().enumerate() {
            assert_eq!(map.get(&Names(a, b)), Some(&i), "{a}/{b}");
        }
        assert_eq!(map.get(&Names("abc", "")), None);
        let ports: IndexMap<(String, String, String), u16> =
            [(("shop".into(), "web".into(), "http".into()), 30080)]
                .into_iter()
                .collect();
        assert_eq!(ports.get(&PortNames("shop", "web", "http")), Some(&30080));
        assert_eq!(ports.get(&PortNames("shop", "webh", "ttp")), None);
    }

    /// `text` prints what `Display` prints: every octet value in every position, and
    /// IPv6 (which goes through `Display`).
    #[test]
    fn text_is_the_display_form() {
        for value in 0..=255u8 {
            for position in 0..4 {
                let mut octets = [10, 0, 7, 200];
                octets[position] = value;
                let ip = IpAddr::V4(Ipv4Addr::from(octets));
                assert_eq!(super::text(ip), ip.to_string());
            }
        }
        for ip in [
            Ipv6Addr::LOCALHOST,
            "fd00::1:2".parse().expect("an address"),
        ] {
            assert_eq!(super::text(IpAddr::V6(ip)), ip.to_string());
        }
    }
}
