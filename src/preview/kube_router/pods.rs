//! The pods of the previewed node and their `KUBE-POD-FW-` chains (pod.go
//! `syncPodFirewallChains`, reference §6.4 and TC10).

use crate::collections::{narrow, HashSet, IndexMap};
use std::net::IpAddr;

use super::super::address::{self, Addresses};
use super::super::rule::Rule;
use super::names;
use super::policies::{Policy, PolicyType};
use super::Family;
use crate::ir::{Labels, Model};

/// A pod: endpoint `i` of an app, named `APP-i`, with the app's labels.
#[derive(Debug, Clone)]
pub struct Pod<'m> {
    pub namespace: &'m str,
    pub name: &'m str,
    pub address: IpAddr,
    pub labels: &'m Labels,
}

/// Every endpoint of every app, as if the node ran them all, in (namespace, app, index)
/// source order. kube-router keys its local pods by IP: an address is taken once.
pub fn collect<'m>(model: &'m Model, addresses: &'m Addresses, family: Family) -> Vec<Pod<'m>> {
    let mut pods: Vec<Pod<'m>> = Vec::new();
    let mut seen: HashSet<IpAddr> = HashSet::default();
    for service in address::services(model).filter(|service| service.own) {
        let (ns, app) = (service.namespace, service.owner);
        for endpoint in addresses.endpoints(service.app_place) {
            if Family::of(endpoint.address) != family || !seen.insert(endpoint.address) {
                continue;
            }
            pods.push(Pod {
                namespace: &ns.name,
                name: &endpoint.pod,
                address: endpoint.address,
                labels: &app.labels,
            });
        }
    }
    pods
}

/// The pods by namespace and by label, so that selecting the pods of a policy or a peer
/// looks at the pods carrying the selector's rarest label, not at every pod (a model
/// with 10,000 apps has 10,000 pods and 20,000 policies).
pub struct PodIndex<'p> {
    pods: &'p [Pod<'p>],
    by_namespace: IndexMap<&'p str, Vec<usize>>,
    by_label: IndexMap<(&'p str, &'p str, &'p str), Vec<usize>>,
}

impl<'p> PodIndex<'p> {
    pub fn new(pods: &'p [Pod<'p>]) -> Self {
        let mut by_namespace: IndexMap<&str, Vec<usize>> = IndexMap::default();
        let mut by_label: IndexMap<(&str, &str, &str), Vec<usize>> = IndexMap::default();
        for (i, pod) in pods.iter().enumerate() {
            by_namespace.entry(pod.namespace).or_default().push(i);
            for (key, value) in pod.labels {
                by_label
                    .entry((pod.namespace, key.as_str(), value.as_str()))
                    .or_default()
                    .push(i);
            }
        }
        PodIndex {
            pods,
            by_namespace,
            by_label,
        }
    }

    /// Every pod, in pod order.
    pub fn all(&self) -> Vec<&'p Pod<'p>> {
        self.pods.iter().collect()
    }

    /// The pods of `namespace` that `selector` selects (`None`: all), in pod order.
    pub fn select(&self, namespace: &str, selector: Option<&Labels>) -> Vec<&'p Pod<'p>> {
        self.selected(namespace, selector)
            .filter_map(|i| self.pods.get(i))
            .collect()
    }

    /// [`PodIndex::select`], as places in the pods.
    pub fn select_places(&self, namespace: &str, selector: Option<&Labels>) -> Vec<u32> {
        self.selected(namespace, selector).map(narrow).collect()
    }

    /// The pod at `place`.
    pub fn pod(&self, place: u32) -> Option<&'p Pod<'p>> {
        self.pods.get(place as usize)
    }

    fn selected<'a>(
        &'a self,
        namespace: &'a str,
        selector: Option<&'a Labels>,
    ) -> impl Iterator<Item = usize> + 'a {
        let candidates: &[usize] = match selector.filter(|s| !s.is_empty()) {
            None => self.by_namespace.get(namespace).map_or(&[], Vec::as_slice),
            Some(selector) => selector
                .iter()
                .map(|(k, v)| {
                    self.by_label
                        .get(&(namespace, k.as_str(), v.as_str()))
                        .map_or(&[][..], Vec::as_slice)
                })
                .min_by_key(|list| list.len())
                .unwrap_or(&[]),
        };
        candidates.iter().copied().filter(move |&i| {
            selector.is_none_or(|s| self.pods.get(i).is_some_and(|pod| matches(s, pod.labels)))
        })
    }
}

/// `matchLabels`: every selector label is on the pod with the same value.
pub fn matches(selector: &Labels, labels: &Labels) -> bool {
    selector
        .iter()
        .all(|(key, value)| labels.get(key) == Some(value))
}

/// A pod's chain as the payload keeps it: what its rules and the jumps into it are made
/// from, not the rules. They are made when the payload is written: a pod has ten rules
/// and eight jumps, and at 100,000 pods the 1.8 million rules held until then were
/// 250 MB.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodChain {
    pub chain: String,
    pub namespace: String,
    pub name: String,
    pub address: IpAddr,
    /// The policies that select the pod, in policy order, as indices into the payload's
    /// policies.
    pub policies: Vec<u32>,
}

impl PodChain {
    pub fn new(pod: &Pod<'_>, policies: Vec<u32>, version: &str) -> Self {
        PodChain {
            chain: names::pod_chain(pod.namespace, pod.name, version),
            namespace: pod.namespace.to_string(),
            name: pod.name.to_string(),
            address: pod.address,
            policies,
        }
    }

    /// The chain's rules in their effective order.
    pub fn rules(&self, all_policies: &[Policy]) -> Vec<Rule> {
        let chain = self.chain.as_str();
        let ip = address::text(self.address);
        let ip = ip.as_str();
        let policies = self
            .policies
            .iter()
            .filter_map(|&i| all_policies.get(i as usize));

        // setupPodNetpolRules writes `-I CHAIN 1` lines: policy jumps (in policy order),
        // the default ingress and egress jumps, the local-node accept, the common jump.
        // Collected here in that order, then reversed into the chain's order.
        let mut inserted: Vec<Rule> = Vec::new();
        let (mut has_ingress, mut has_egress) = (false, false);
        for policy in policies {
            let mut rule = Rule::new(chain);
            match policy.kind {
                PolicyType::Both => {
                    has_ingress = true;
                    has_egress = true;
                }
                PolicyType::Ingress => {
                    has_ingress = true;
                    rule = rule.arg(["-d", ip]);
                }
                PolicyType::Egress => {
                    has_egress = true;
                    rule = rule.arg(["-s", ip]);
                }
            }
            inserted.push(
                rule.comment(names::c_policy(&policy.name))
                    .jump(&policy.chain),
            );
        }
        if !has_ingress {
            let rule = Rule::new(chain)
                .arg(["-d", ip])
                .comment(names::C_DEFAULT_INGRESS);
            inserted.push(rule.jump(names::DEFAULT));
        }
        if !has_egress {
            let rule = Rule::new(chain)
                .arg(["-s", ip])
                .comment(names::C_DEFAULT_EGRESS);
            inserted.push(rule.jump(names::DEFAULT));
        }
        inserted.push(
            Rule::new(chain)
                .comment(names::C_LOCAL)
                .arg(["-m", "addrtype", "--src-type", "LOCAL", "-d", ip])
                .jump("ACCEPT"),
        );
        inserted.push(
            Rule::new(chain)
                .comment(names::C_COMMON)
                .jump(names::COMMON),
        );

        let mut chain_rules: Vec<Rule> = inserted.into_iter().rev().collect();
        // dropUnmarkedTrafficRules, then the accept mark.
        let unmarked = ["-m", "mark", "!", "--mark", names::MARK_MATCHED];
        chain_rules.extend([
            Rule::new(chain)
                .comment(names::c_log(&self.name, &self.namespace))
                .arg(unmarked)
                .jump("NFLOG")
                .arg([
                    "--nflog-group",
                    "100",
                    "-m",
                    "limit",
                    "--limit",
                    "10/minute",
                    "--limit-burst",
                    "10",
                ]),
            Rule::new(chain)
                .comment(names::c_reject(&self.name, &self.namespace))
                .arg(unmarked)
                .jump("REJECT"),
            Rule::new(chain)
                .jump("MARK")
                .arg(["--set-mark", "0/0x10000"]),
            Rule::new(chain)
                .comment(names::C_OK)
                .jump("MARK")
                .arg(["--set-mark", names::MARK_OK]),
        ]);
        chain_rules
    }

    /// The jumps into the chain from the top-level chains, or only those in the chain
    /// `only`.
    pub fn jumps(&self, only: Option<&str>) -> Vec<Rule> {
        let (chain, ip) = (self.chain.as_str(), address::text(self.address));
        let (name, namespace) = (self.name.as_str(), self.namespace.as_str());
        // interceptPodInboundTraffic (to the pod's address), then
        // interceptPodOutboundTraffic (from it); the FORWARD jump of each is repeated
        // for bridged traffic.
        let inbound = names::c_jump_in(name, namespace, chain);
        let outbound = names::c_jump_out(name, namespace, chain);
        let to_pod = [names::FORWARD, names::OUTPUT].map(|top| (top, false));
        let from_pod = names::TOP_LEVEL.map(|(_, top)| (top, false));
        let bridged = [(names::FORWARD, true)];
        let jumps = [
            (&inbound, "-d", &to_pod[..], &bridged),
            (&outbound, "-s", &from_pod[..], &bridged),
        ];
        jumps
            .into_iter()
            .flat_map(|(comment, direction, tops, bridged)| {
                tops.iter()
                    .chain(bridged)
                    .map(move |&(top, physdev)| (comment, direction, top, physdev))
            })
            .filter(|(_, _, top, _)| only.is_none_or(|only| only == *top))
            .map(|(comment, direction, top, physdev)| {
                let rule = Rule::new(top);
                let rule = if physdev {
                    rule.arg(["-m", "physdev", "--physdev-is-bridged"])
                } else {
                    rule
                };
                rule.comment(comment.as_str())
                    .arg([direction, ip.as_str()])
                    .jump(chain)
            })
            .collect()
    }
}
