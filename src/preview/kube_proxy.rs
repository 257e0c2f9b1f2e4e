//! What kube-proxy in iptables mode writes for the Services: its `iptables-restore`
//! payload (the `filter` and `nat` tables), rule by rule as `syncProxyRules` writes
//! them (reference §2). Input is one [`ServicePort`] per Service port, built from the
//! model by [`service_ports`] or, in tests, directly from the upstream vectors.

use std::net::IpAddr;

use ipnet::IpNet;

use super::address::{self, Addresses};
use super::hash::named;
use super::rule::{Rule, Table};
use crate::ir::{Model, Protocol, ServiceType, TargetPort, TrafficPolicy};

/// kube-proxy drops some comments above this many endpoints in total.
pub const LARGE_CLUSTER_ENDPOINTS: usize = 1000;
/// kube-proxy's default session-affinity timeout.
const DEFAULT_AFFINITY_TIMEOUT: u32 = 10_800;

/// The node and kube-proxy settings that shape the payload.
#[derive(Debug, Clone)]
pub struct ProxyConfig {
    /// `--cluster-cidr` for local-traffic detection (`None`: no detector).
    pub cluster_cidr: Option<IpNet>,
    pub masquerade_mark: String,
    pub localhost_node_ports: bool,
    pub random_fully: bool,
    pub nfacct: bool,
    pub node_ip: IpAddr,
    pub ipv6: bool,
}

/// An endpoint of a Service port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortEndpoint {
    pub address: IpAddr,
    pub port: u16,
    pub local: bool,
}

impl PortEndpoint {
    /// `net.JoinHostPort(ip, port)`: `10.0.0.1:80`, `[fd00::1]:80`.
    pub fn key(&self) -> String {
        // Built by hand: every endpoint chain's name hashes it, and `format!` cost more
        // than the hash.
        let ip = address::text(self.address);
        let mut key = String::with_capacity(ip.len() + 8);
        if self.address.is_ipv6() {
            key.push('[');
            key.push_str(&ip);
            key.push(']');
        } else {
            key.push_str(&ip);
        }
        key.push(':');
        key.push_str(itoa::Buffer::new().format(self.port));
        key
    }
}

/// One Service port as kube-proxy sees it.
#[derive(Debug, Clone)]
pub struct ServicePort {
    /// `ns/svc:port`, or `ns/svc` for an unnamed port.
    pub name: String,
    pub protocol: Protocol,
    pub cluster_ip: IpAddr,
    pub port: u16,
    pub node_port: Option<u16>,
    pub external_ips: Vec<IpAddr>,
    pub load_balancer_ips: Vec<IpAddr>,
    pub source_ranges: Vec<IpNet>,
    pub external_local: bool,
    pub health_check_node_port: Option<u16>,
    /// `Some(seconds)` with ClientIP affinity.
    pub affinity_timeout: Option<u32>,
    pub endpoints: Vec<PortEndpoint>,
}

/// The settings of the previewed node, from the `cluster` block.
pub fn config(model: &Model) -> ProxyConfig {
    let cluster = &model.cluster;
    ProxyConfig {
        cluster_cidr: Some(cluster.pod_cidr),
        masquerade_mark: cluster.masquerade_mark.clone(),
        localhost_node_ports: cluster.localhost_node_ports,
        random_fully: cluster.random_fully,
        nfacct: cluster.nfacct,
        node_ip: cluster.node_ip,
        ipv6: matches!(cluster.service_cidr, IpNet::V6(_)),
    }
}

/// Every Service port of the model, in source order. ExternalName, headless and
/// `service none` produce nothing (kube-proxy's `ShouldSkipService`).
pub fn service_ports(model: &Model, addresses: &Addresses) -> Vec<ServicePort> {
    let mut out = Vec::new();
    for service in address::services(model) {
        let (ns, app) = (service.namespace, service.service);
        let Some(cluster_ip) = addresses.cluster_ip(service.place) else {
            continue;
        };
        // Every Service of an app leads to the app's endpoints.
        let endpoints = addresses.endpoints(service.app_place);
        let load_balancer = app.service == ServiceType::LoadBalancer;
        for port in &app.ports {
            // A named target port is previewed as the Service port's number: knet
            // does not know the container's port numbers.
            let target = match &port.target {
                TargetPort::Number(n) => *n,
                TargetPort::Name(_) => port.port,
            };
            let endpoints = endpoints
                .iter()
                .filter(|e| e.address.is_ipv6() == cluster_ip.is_ipv6())
                .map(|e| PortEndpoint {
                    address: e.address,
                    port: target,
                    local: e.local,
                })
                .collect();
            out.push(ServicePort {
                // kube-proxy's ServicePortName: `ns/svc:port`, or `ns/svc` for an
                // unnamed port.
                name: if port.name.is_empty() {
                    [&ns.name, "/", &app.name].concat()
                } else {
                    [&ns.name, "/", &app.name, ":", &port.name].concat()
                },
                protocol: port.protocol,
                cluster_ip,
                port: port.port,
                node_port: addresses.node_port(&ns.name, &app.name, &port.name),
                external_ips: same_family(&app.settings.external_ips, cluster_ip),
                load_balancer_ips: if load_balancer {
                    same_family(&app.preview.load_balancer_ingress, cluster_ip)
                } else {
                    Vec::new()
                },
                source_ranges: if load_balancer {
                    app.settings.source_ranges.clone()
                } else {
                    Vec::new()
                },
                external_local: app.settings.traffic_policy == Some(TrafficPolicy::Local),
                health_check_node_port: addresses.health_check_node_port(&ns.name, &app.name),
                affinity_timeout: app
                    .settings
                    .session_affinity
                    .map(|t| t.unwrap_or(DEFAULT_AFFINITY_TIMEOUT)),
                endpoints,
            });
        }
    }
    out
}

/// A single-stack proxier handles the addresses of its own family only (serviceport.go
/// filters external and load-balancer IPs by family).
fn same_family(addresses: &[IpAddr], like: IpAddr) -> Vec<IpAddr> {
    addresses
        .iter()
        .filter(|a| a.is_ipv6() == like.is_ipv6())
        .copied()
        .collect()
}

/// kube-proxy's `%0.10f` of `1/n`.
pub fn probability(n: usize) -> String {
    format!("{:.10}", 1.0 / n as f64)
}

/// Which of kube-proxy's tables a walk over the Service ports keeps (see
/// [`payload_of`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tables {
    Both,
    Filter,
    Nat,
}

/// The payload: `filter` and `nat`, in kube-proxy's own emission order.
pub fn payload(config: &ProxyConfig, ports: &[ServicePort]) -> (Table, Table) {
    payload_of(config, ports, Tables::Both)
}

/// [`payload`], with the rules of a table not `wanted` left out (that table is empty):
/// the preview makes and writes one table before it makes the other, so that the two
/// are never in memory together.
pub fn payload_of(config: &ProxyConfig, ports: &[ServicePort], wanted: Tables) -> (Table, Table) {
    // Every endpoint of every Service port: it sizes the nat table and decides
    // kube-proxy's large-cluster mode.
    let endpoints: usize = ports.iter().map(|port| port.endpoints.len()).sum();
    // Sized ahead: most Service ports make a service chain, a chain per endpoint, a
    // rule in KUBE-SERVICES and in their service chain, and two per endpoint. The
    // filter table has a few rules per Service at most.
    let table = |name: &'static str, kept: bool, (chains, rules): (usize, usize)| {
        if kept {
            Table::with_capacity(name, chains, rules)
        } else {
            Table::discarding(name)
        }
    };
    let mut filter = table("filter", wanted != Tables::Nat, (0, 0));
    let mut nat = table(
        "nat",
        wanted != Tables::Filter,
        (ports.len() + endpoints, 2 * ports.len() + 3 * endpoints),
    );
    for chain in [
        "KUBE-SERVICES",
        "KUBE-EXTERNAL-SERVICES",
        "KUBE-FORWARD",
        "KUBE-NODEPORTS",
        "KUBE-PROXY-FIREWALL",
    ] {
        filter.chain(chain);
    }
    let localhost = !config.ipv6 && config.localhost_node_ports;
    if localhost {
        filter.chain("KUBE-FIREWALL");
    }
    for chain in [
        "KUBE-SERVICES",
        "KUBE-NODEPORTS",
        "KUBE-POSTROUTING",
        "KUBE-MARK-MASQ",
    ] {
        nat.chain(chain);
    }
    let mark = config.masquerade_mark.as_str();
    nat.push(
        Rule::new("KUBE-POSTROUTING")
            .arg(["-m", "mark", "!", "--mark"])
            .arg([format!("{mark}/{mark}")])
            .jump("RETURN"),
    );
    nat.push(
        Rule::new("KUBE-POSTROUTING")
            .jump("MARK")
            .arg(["--xor-mark", mark]),
    );
    let mut masquerade = Rule::new("KUBE-POSTROUTING")
        .comment("kubernetes service traffic requiring SNAT")
        .jump("MASQUERADE");
    if config.random_fully {
        masquerade = masquerade.arg(["--random-fully"]);
    }
    nat.push(masquerade);
    nat.push(
        Rule::new("KUBE-MARK-MASQ")
            .jump("MARK")
            .arg(["--or-mark", mark]),
    );
    if localhost {
        filter.push(
            Rule::new("KUBE-FIREWALL")
                .comment("block incoming localnet connections")
                .arg(["-d", "127.0.0.0/8", "!", "-s", "127.0.0.0/8"])
                .arg([
                    "-m",
                    "conntrack",
                    "!",
                    "--ctstate",
                    "RELATED,ESTABLISHED,DNAT",
                ])
                .jump("DROP"),
        );
    }

    let large_cluster = endpoints > LARGE_CLUSTER_ENDPOINTS;
    for port in ports {
        ServiceRules {
            config,
            port,
            large_cluster,
            filter: &mut filter,
            nat: &mut nat,
        }
        .write();
    }

    let mut last = Rule::new("KUBE-SERVICES")
        .comment("kubernetes service nodeports; NOTE: this must be the last rule in this chain")
        .arg(["-m", "addrtype", "--dst-type", "LOCAL"]);
    if config.ipv6 {
        last = last.arg(["!", "-d", "::1/128"]);
    } else if !config.localhost_node_ports {
        last = last.arg(["!", "-d", "127.0.0.0/8"]);
    }
    nat.push(last.jump("KUBE-NODEPORTS"));
    let mut invalid = Rule::new("KUBE-FORWARD").arg(["-m", "conntrack", "--ctstate", "INVALID"]);
    if config.nfacct {
        invalid = invalid.arg([
            "-m",
            "nfacct",
            "--nfacct-name",
            "ct_state_invalid_dropped_pkts",
        ]);
    }
    filter.push(invalid.jump("DROP"));
    filter.push(
        Rule::new("KUBE-FORWARD")
            .comment("kubernetes forwarding rules")
            .arg(["-m", "mark", "--mark"])
            .arg([format!("{mark}/{mark}")])
            .jump("ACCEPT"),
    );
    filter.push(
        Rule::new("KUBE-FORWARD")
            .comment("kubernetes forwarding conntrack rule")
            .arg(["-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED"])
            .jump("ACCEPT"),
    );
    (filter, nat)
}

/// The rules of one Service port (reference §2.3, in its order).
struct ServiceRules<'a> {
    config: &'a ProxyConfig,
    port: &'a ServicePort,
    large_cluster: bool,
    filter: &'a mut Table,
    nat: &'a mut Table,
}

/// The chains of one Service port, named by one hash of the port.
struct PortChains {
    svc: String,
    svl: String,
    ext: String,
    fw: String,
}

impl PortChains {
    fn of(port: &ServicePort) -> Self {
        let hash = named("", &[&port.name, port.protocol.as_lower()]);
        let chain = |prefix: &str| [prefix, &hash].concat();
        PortChains {
            svc: chain("KUBE-SVC-"),
            svl: chain("KUBE-SVL-"),
            ext: chain("KUBE-EXT-"),
            fw: chain("KUBE-FW-"),
        }
    }
}

impl ServiceRules<'_> {
    fn endpoint_chain(&self, endpoint: &PortEndpoint) -> String {
        let protocol = self.port.protocol.as_lower();
        named("KUBE-SEP-", &[&self.port.name, protocol, &endpoint.key()])
    }

    /// `-m tcp -p tcp`
    fn protocol(&self) -> [&'static str; 4] {
        let p = self.port.protocol.as_lower();
        ["-m", p, "-p", p]
    }

    /// `-A CHAIN -m comment --comment C -m P -p P -d DEST --dport PORT`: a rule for the
    /// traffic to one of the Service's addresses (ClusterIP, external IP, load balancer).
    fn to_service(&self, chain: &str, comment: impl Into<String>, destination: &str) -> Rule {
        Rule::new(chain).comment(comment).arg(self.protocol()).arg([
            "-d",
            destination,
            "--dport",
            &self.port.port.to_string(),
        ])
    }

    fn write(mut self) {
        let port = self.port;
        let svc = port.name.as_str();
        // A walk for the filter table alone (`Tables::Filter`) makes no nat rules: the
        // endpoints are sorted, and the chains named (a hash), only when they are.
        let wants_nat = !self.nat.discards();
        let has_endpoints = !port.endpoints.is_empty();
        let has_local_endpoints = port.endpoints.iter().any(|e| e.local);
        let has_external_endpoints = if port.external_local {
            has_local_endpoints
        } else {
            has_endpoints
        };
        let externally_accessible = port.node_port.is_some()
            || !port.external_ips.is_empty()
            || !port.load_balancer_ips.is_empty();
        let uses_external_chain = has_endpoints && externally_accessible;
        let source_ranges: Vec<IpNet> = if port.source_ranges.iter().any(|r| r.prefix_len() == 0) {
            Vec::new()
        } else {
            port.source_ranges
                .iter()
                .filter(|r| matches!(r, IpNet::V6(_)) == self.config.ipv6)
                .copied()
                .collect()
        };
        let uses_firewall =
            has_endpoints && !port.load_balancer_ips.is_empty() && !source_ranges.is_empty();
        let uses_local_chain = has_local_endpoints && port.external_local;
        let chains = std::cell::OnceCell::new();
        let chains = || chains.get_or_init(|| PortChains::of(port));
        let (filter_target, filter_comment) = if !has_endpoints {
            ("REJECT", [svc, " has no endpoints"].concat())
        } else {
            ("DROP", [svc, " has no local endpoints"].concat())
        };
        let protocol = self.protocol();
        let cluster_ip = address::text(port.cluster_ip);

        // 1. The ClusterIP.
        if has_endpoints {
            if wants_nat {
                self.nat.push(
                    self.to_service("KUBE-SERVICES", [svc, " cluster IP"].concat(), &cluster_ip)
                        .jump(&chains().svc),
                );
            }
        } else {
            self.filter.push(
                self.to_service("KUBE-SERVICES", &filter_comment, &cluster_ip)
                    .jump(filter_target),
            );
        }
        // 2. External IPs.
        for ip in &port.external_ips {
            let ip = ip.to_string();
            if has_endpoints && wants_nat {
                self.nat.push(
                    self.to_service("KUBE-SERVICES", format!("{svc} external IP"), &ip)
                        .jump(&chains().ext),
                );
            }
            if !has_external_endpoints {
                self.filter.push(
                    self.to_service("KUBE-EXTERNAL-SERVICES", &filter_comment, &ip)
                        .jump(filter_target),
                );
            }
        }
        // 3. Load-balancer addresses.
        for ip in &port.load_balancer_ips {
            let ip = ip.to_string();
            if has_endpoints && wants_nat {
                let target = if uses_firewall {
                    &chains().fw
                } else {
                    &chains().ext
                };
                self.nat.push(
                    self.to_service("KUBE-SERVICES", format!("{svc} loadbalancer IP"), &ip)
                        .jump(target),
                );
            }
            if uses_firewall {
                self.filter.push(
                    self.to_service(
                        "KUBE-PROXY-FIREWALL",
                        format!("{svc} traffic not accepted by {}", chains().fw),
                        &ip,
                    )
                    .jump("DROP"),
                );
            }
        }
        if !has_external_endpoints {
            for ip in &port.load_balancer_ips {
                self.filter.push(
                    self.to_service("KUBE-EXTERNAL-SERVICES", &filter_comment, &ip.to_string())
                        .jump(filter_target),
                );
            }
        }
        // 4. The node port.
        if let Some(node_port) = port.node_port {
            let node_port = node_port.to_string();
            if has_endpoints && wants_nat {
                if !self.config.ipv6 && self.config.localhost_node_ports && self.config.nfacct {
                    self.nat.push(
                        Rule::new("KUBE-NODEPORTS")
                            .comment(svc)
                            .arg(protocol)
                            .arg(["-d", "127.0.0.0/8", "--dport", &node_port])
                            .arg([
                                "-m",
                                "nfacct",
                                "--nfacct-name",
                                "localhost_nps_accepted_pkts",
                            ])
                            .jump(&chains().ext),
                    );
                }
                self.nat.push(
                    Rule::new("KUBE-NODEPORTS")
                        .comment(svc)
                        .arg(protocol)
                        .arg(["--dport", &node_port])
                        .jump(&chains().ext),
                );
            }
            if !has_external_endpoints {
                self.filter.push(
                    Rule::new("KUBE-EXTERNAL-SERVICES")
                        .comment(&filter_comment)
                        .arg(["-m", "addrtype", "--dst-type", "LOCAL"])
                        .arg(protocol)
                        .arg(["--dport", &node_port])
                        .jump(filter_target),
                );
            }
        }
        // 5. The health-check node port.
        if let Some(health) = port.health_check_node_port {
            self.filter.push(
                Rule::new("KUBE-NODEPORTS")
                    .comment(format!("{svc} health check node port"))
                    .arg(["-m", "tcp", "-p", "tcp", "--dport", &health.to_string()])
                    .jump("ACCEPT"),
            );
        }
        if !has_endpoints || !wants_nat {
            // "we will not generate any chains in the nat table for the service" (and
            // the rest of this port's rules are all in the nat table)
            return;
        }
        let mut endpoints = port.endpoints.clone();
        endpoints.sort_by_cached_key(PortEndpoint::key);
        endpoints.dedup();
        let local: Vec<PortEndpoint> = endpoints.iter().filter(|e| e.local).cloned().collect();
        let PortChains {
            svc: svc_chain,
            svl: svl_chain,
            ext: ext_chain,
            fw: fw_chain,
        } = chains();
        let external_policy_chain = if port.external_local {
            svl_chain
        } else {
            svc_chain
        };
        // Chains of this service, in kube-proxy's order.
        self.nat.chain(svc_chain);
        if uses_local_chain {
            self.nat.chain(svl_chain);
        }
        if uses_external_chain {
            self.nat.chain(ext_chain);
        }
        if uses_firewall {
            self.nat.chain(fw_chain);
        }
        // 6. Masquerade off-cluster traffic to the ClusterIP.
        if let Some(cidr) = self.config.cluster_cidr {
            let masquerade = self
                .to_service(svc_chain, [svc, " cluster IP"].concat(), &cluster_ip)
                .arg(["!", "-s", &cidr.to_string()]);
            self.nat.push(masquerade.jump("KUBE-MARK-MASQ"));
        }
        // 7. External traffic.
        if uses_external_chain {
            if port.external_local {
                if let Some(cidr) = self.config.cluster_cidr {
                    self.nat.push(
                        Rule::new(ext_chain.as_str())
                            .comment(format!("pod traffic for {svc} external destinations"))
                            .arg(["-s", &cidr.to_string()])
                            .jump(svc_chain),
                    );
                }
                self.nat.push(
                    Rule::new(ext_chain.as_str())
                        .comment(format!(
                            "masquerade LOCAL traffic for {svc} external destinations"
                        ))
                        .arg(["-m", "addrtype", "--src-type", "LOCAL"])
                        .jump("KUBE-MARK-MASQ"),
                );
                self.nat.push(
                    Rule::new(ext_chain.as_str())
                        .comment(format!(
                            "route LOCAL traffic for {svc} external destinations"
                        ))
                        .arg(["-m", "addrtype", "--src-type", "LOCAL"])
                        .jump(svc_chain),
                );
            } else {
                self.nat.push(
                    Rule::new(ext_chain.as_str())
                        .comment(format!(
                            "masquerade traffic for {svc} external destinations"
                        ))
                        .jump("KUBE-MARK-MASQ"),
                );
            }
            if has_external_endpoints {
                self.nat
                    .push(Rule::new(ext_chain.as_str()).jump(external_policy_chain));
            }
        }
        // 8. The load-balancer firewall.
        if uses_firewall {
            for range in &source_ranges {
                self.nat.push(
                    Rule::new(fw_chain.as_str())
                        .comment(format!("{svc} loadbalancer IP"))
                        .arg(["-s", &range.to_string()])
                        .jump(ext_chain),
                );
            }
            if source_ranges
                .iter()
                .any(|r| r.contains(&self.config.node_ip))
            {
                for ip in &port.load_balancer_ips {
                    self.nat.push(
                        Rule::new(fw_chain.as_str())
                            .comment(format!("{svc} loadbalancer IP"))
                            .arg(["-s", &ip.to_string()])
                            .jump(ext_chain),
                    );
                }
            }
            self.nat.push(Rule::new(fw_chain.as_str()).comment(format!(
                "other traffic to {svc} will be dropped by KUBE-PROXY-FIREWALL"
            )));
        }
        // 9. Load balancing to the endpoints.
        self.endpoint_jumps(svc_chain, &endpoints);
        if uses_local_chain {
            self.endpoint_jumps(svl_chain, &local);
        }
        // 10. One chain per endpoint.
        for endpoint in &endpoints {
            let chain = self.endpoint_chain(endpoint);
            self.nat.chain(&chain);
            let address = address::text(endpoint.address);
            self.nat.push(
                self.commented(Rule::new(chain.as_str()), svc)
                    .arg(["-s", &address])
                    .jump("KUBE-MARK-MASQ"),
            );
            let mut dnat = self.commented(Rule::new(chain.as_str()), svc);
            if port.affinity_timeout.is_some() {
                dnat = dnat.arg(["-m", "recent", "--name", &chain, "--set"]);
            }
            self.nat.push(
                dnat.arg(protocol)
                    .jump("DNAT")
                    .arg(["--to-destination", &endpoint.key()]),
            );
        }
    }

    /// In large-cluster mode kube-proxy leaves out the endpoint comments.
    fn commented(&self, rule: Rule, comment: &str) -> Rule {
        if self.large_cluster {
            rule
        } else {
            rule.comment(comment)
        }
    }

    /// `writeServiceToEndpointRules`: affinity checks first, then the random choice.
    fn endpoint_jumps(&mut self, chain: &str, endpoints: &[PortEndpoint]) {
        let svc = self.port.name.as_str();
        if let Some(timeout) = self.port.affinity_timeout {
            for endpoint in endpoints {
                let target = self.endpoint_chain(endpoint);
                let rule = self
                    .commented(Rule::new(chain), &[svc, " -> ", &endpoint.key()].concat())
                    .arg(["-m", "recent", "--name", &target, "--rcheck", "--seconds"])
                    .arg([timeout.to_string()])
                    .arg(["--reap"])
                    .jump(&target);
                self.nat.push(rule);
            }
        }
        let count = endpoints.len();
        for (i, endpoint) in endpoints.iter().enumerate() {
            let target = self.endpoint_chain(endpoint);
            let mut rule =
                self.commented(Rule::new(chain), &[svc, " -> ", &endpoint.key()].concat());
            if i + 1 < count {
                rule = rule
                    .arg(["-m", "statistic", "--mode", "random", "--probability"])
                    .arg([probability(count - i)]);
            }
            self.nat.push(rule.jump(&target));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A walk for one table makes that table as the walk for both does, and no rule of
    /// the other: on every repository file that compiles (load balancers with source
    /// ranges, local traffic policies, health-check ports, Services without endpoints).
    #[test]
    fn a_table_walked_alone_is_the_table_walked_with_the_other() {
        let mut previewed = 0;
        for path in crate::testing::repository_knet_files() {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let mut sources = crate::source::Sources::new();
            sources.add(path.display().to_string(), text);
            let Some(model) = crate::compile(&sources).model else {
                continue;
            };
            let ports = service_ports(&model, &address::allocate(&model));
            let config = config(&model);
            let (filter, nat) = payload(&config, &ports);
            let (filter_alone, no_nat) = payload_of(&config, &ports, Tables::Filter);
            let (no_filter, nat_alone) = payload_of(&config, &ports, Tables::Nat);
            let shown = path.display();
            assert_eq!(filter_alone, filter, "{shown}");
            assert_eq!(nat_alone, nat, "{shown}");
            assert!(
                no_nat.rules.is_empty() && no_filter.rules.is_empty(),
                "{shown}"
            );
            previewed += usize::from(!nat.rules.is_empty() && !filter.rules.is_empty());
        }
        assert!(
            previewed > 50,
            "{previewed} files with rules in both tables"
        );
    }

    /// An endpoint's key is Go's `net.JoinHostPort`: the IPv6 address in brackets.
    #[test]
    fn endpoint_key_is_join_host_port() {
        let key = |address: &str, port| {
            let address = address.parse().expect("an address");
            PortEndpoint {
                address,
                port,
                local: false,
            }
            .key()
        };
        assert_eq!(key("10.244.1.10", 8080), "10.244.1.10:8080");
        assert_eq!(key("0.0.0.0", 0), "0.0.0.0:0");
        assert_eq!(key("255.255.255.255", 65535), "255.255.255.255:65535");
        assert_eq!(key("fd00:10::1a", 443), "[fd00:10::1a]:443");
    }
}
