//! What kube-router's network policy controller (iptables + ipset) programs for the
//! NetworkPolicies: its `filter` chains and rules, the jumps it inserts into the built-in
//! chains, and its sets (reference §6 and TC10).
//!
//! # Version
//!
//! The shape is that of kube-router **v2.6–v2.9** (`pkg/controllers/netpol/`): the
//! `KUBE-NWPLCY-COMMON` chain (INVALID drop, RELATED/ESTABLISHED accept, ICMP) that
//! every pod chain jumps to first, the classic comment texts (reference §6.4,
//! "v2.0–v2.10 (classic)" column), the explicit `0x20000` ACCEPT rule at the end of each
//! `KUBE-ROUTER-*` chain, and no `KUBE-NWPLCY-TAIL` (v2.10+). The ipBlock fix of
//! kube-router PR #1489 (merged before v2.0.0) is in: an ipBlock set and its rules exist only for a rule
//! with ipBlock peers of the previewed family. `KUBE-ROUTER-INPUT` starts with the
//! service-range RETURN rule and the TCP and UDP node-port RETURN rules (newer versions
//! add an SCTP one), each with kube-router's UUID in its comment; the externalIP and
//! load-balancer range RETURN rules come from kube-router flags that knet does not
//! model, so the preview has none.
//!
//! # What is previewed
//!
//! The policies are [`crate::policy::each_plan`]'s. The pods are every endpoint of every app
//! as if the previewed node ran them all: the pod behind endpoint `i` of app `APP` is
//! `APP-i`, with the app's labels and the endpoint's address. A policy selects the pods
//! of its namespace whose labels include its selector (`matchLabels`); a pod peer
//! selects the pods knet knows about (apps of knet namespaces); pods elsewhere (cluster
//! DNS, the ingress controller) are not known, and a rule whose pod peers select no pod
//! gets no pod rule, as in kube-router. The address family is the pod CIDR's: IPv6 gives
//! ipFamily `IPv6` in the hashes, `inet6:`-prefixed set names and `ipv6-icmp` rules.
//! `policy-version` stands in for kube-router's per-sync nanosecond timestamp.
//!
//! # Order
//!
//! kube-router walks Go maps (local pods, `defaultChains`) and the informer cache
//! (policies), so several orders vary between syncs on a real node. The preview fixes
//! them: pods in source order (namespace, app, endpoint index); policies in plan order,
//! so inside a pod chain the policy jumps come in reverse plan order (each is inserted
//! at position 1); the built-in chains and the outbound pod jumps in the order INPUT,
//! FORWARD, OUTPUT. The restore form ([`KubeRouter::to_restore`]) writes each chain's
//! rules in their effective order with `-A` (kube-router writes the first block of a pod
//! chain as `-I CHAIN 1` lines, which reverse it; TC10 lists the effective order), and
//! without kube-router's trailing space before each newline. The built-in jumps, which
//! kube-router inserts with `iptables -I CHAIN 1`, are written as `-I CHAIN 1` lines.
//!
//! # Sets
//!
//! [`KubeRouter::ipset_save`] prints the sets as `ipset save` does: per policy (in plan
//! order) its new sets in order of name, as kube-router's `ipset restore` creates them,
//! members in the order kube-router adds them, each once (a kernel prints them in hash
//! order). The `create` line is the classic `family inet hashsize 1024 maxelem 65536
//! timeout 0`; newer kernels and ipset (7.11+) add `bucketsize 12 initval 0x…`, whose
//! initval is random. An ipBlock's `/0` is split into `0.0.0.0/1` + `128.0.0.0/1`
//! (`2000::/3` + `fd00::/8`), its exceptions get `nomatch`, and members are printed as
//! `ipset save` prints them (network address; a host without its prefix length).
//!
//! # Named ports
//!
//! kube-router resolves a named port against the container ports of the pods (the
//! policy's pods for ingress, the peer pods for egress) into a `…namedport` set. knet
//! does not know container port numbers (a named target port is only a name), so the
//! preview cannot do that faithfully: a named port resolves to nothing and writes no
//! rule. Numbered ports of the same rule are written as usual. (kube-router itself,
//! when every port of a pod-peer rule fails to resolve, writes the all-ports rule; on a
//! real node the name does resolve, so the preview writes neither.)

mod names;
mod pods;
mod policies;
#[cfg(test)]
mod tests;

use std::fmt::Write as _;
use std::net::IpAddr;

use ipnet::IpNet;

use super::address::Addresses;
use super::rule::{self, Rule, Table};
use crate::collections::narrow;
use crate::ir::Model;
use crate::policy::{self, PolicyPlan};

/// An ipset kube-router creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpSet {
    pub name: String,
    /// `hash:ip` or `hash:net`
    pub kind: &'static str,
    /// Members, with `nomatch` for the exceptions of an ipBlock.
    pub members: Vec<(String, bool)>,
}

/// kube-router's part of the node: its filter chains and rules, the jumps it inserts
/// into the built-in chains, and its sets.
#[derive(Debug, Clone)]
pub struct KubeRouter {
    /// The filter table, without the rules of the policies' and the pods' own chains
    /// (see `policies` and `pod_chains`).
    pub filter: Table,
    pub builtin_jumps: Vec<Rule>,
    pub sets: Vec<IpSet>,
    /// The policies, in order (the pods' chains jump to theirs): their chains' rules
    /// are made when written.
    pub policies: Vec<policies::Policy>,
    /// The pods' chains, in pod order: their rules are made when written.
    pub pod_chains: Vec<pods::PodChain>,
    /// The index among `filter`'s rules before which the policies' chains' rules, then
    /// the pods' chains (each with the jumps into it) go: after the common chains'
    /// rules, before the explicit accepts.
    pub pods_at: usize,
    /// The policy or pod whose chain has each number in `filter`'s rule store:
    /// iptables-save's order writes hundreds of thousands of chains, and finds one of
    /// theirs by its number, not its name.
    made_by_chain: Vec<MadeChain>,
    family: Family,
}

/// Whose rules a chain of `filter` has, made when written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MadeChain {
    None,
    /// The policy at this index of `KubeRouter::policies`.
    Policy(u32),
    /// The pod at this index of `KubeRouter::pod_chains`.
    Pod(u32),
    /// A top-level chain: every pod's jumps into it.
    Jumps,
}

/// Records that chain `number` is made from `made`.
fn record(made_by_chain: &mut Vec<MadeChain>, number: u32, made: MadeChain) {
    let at = number as usize;
    if made_by_chain.len() <= at {
        made_by_chain.resize(at + 1, MadeChain::None);
    }
    made_by_chain[at] = made;
}

impl KubeRouter {
    /// The filter payload: chain lines, the built-in jumps as `-I CHAIN 1` lines, then
    /// the rules.
    pub fn to_restore(&self) -> String {
        crate::sink::to_string(|out| self.write_restore(out))
    }

    /// [`KubeRouter::to_restore`], into `out`.
    pub fn write_restore(&self, out: &mut crate::sink::Sink) {
        out.push_str("*filter");
        out.line_end();
        for chain in self.filter.chains() {
            rule::push_chain_line(out, chain, "-");
        }
        for jump in &self.builtin_jumps {
            let _ = write!(out, "-I {} 1", jump.chain);
            jump.view().push_restore_args(out);
            out.line_end();
        }
        let rules = || self.filter.rules.iter();
        for rule in rules().take(self.pods_at) {
            rule.push_restore(out);
            out.line_end();
        }
        for policy in &self.policies {
            for rule in policy.rules(self.family) {
                rule.view().push_restore(out);
                out.line_end();
            }
        }
        for pod in &self.pod_chains {
            self.write_pod_chain(pod, out);
        }
        for rule in rules().skip(self.pods_at) {
            rule.push_restore(out);
            out.line_end();
        }
        out.push_str("COMMIT");
        out.line_end();
    }

    /// A pod's chain rules, then the jumps into it.
    fn write_pod_chain(&self, pod: &pods::PodChain, out: &mut crate::sink::Sink) {
        let rules = pod.rules(&self.policies);
        for rule in rules.iter().chain(&pod.jumps(None)) {
            rule.view().push_restore(out);
            out.line_end();
        }
    }

    /// The rules made while writing, for iptables-save's chain-by-chain order, of the
    /// chain with the given number in `filter`'s rule store (if it has one) and name: a
    /// policy's or a pod's chain gets its rules, a top-level chain every pod's jumps
    /// into it (in pod order); they go before the stored rules from index `pods_at` on.
    pub fn made_rules(&self, number: Option<u32>, chain: &str, write: &mut dyn FnMut(&Rule)) {
        let made = number.and_then(|number| self.made_by_chain.get(number as usize));
        match made.copied().unwrap_or(MadeChain::None) {
            MadeChain::Policy(i) => {
                if let Some(policy) = self.policies.get(i as usize) {
                    policy.rules(self.family).iter().for_each(write);
                }
            }
            MadeChain::Pod(i) => {
                if let Some(pod) = self.pod_chains.get(i as usize) {
                    pod.rules(&self.policies).iter().for_each(write);
                }
            }
            MadeChain::Jumps => {
                for pod in &self.pod_chains {
                    pod.jumps(Some(chain)).iter().for_each(&mut *write);
                }
            }
            MadeChain::None => {}
        }
    }

    /// Every set in `ipset save` format.
    pub fn ipset_save(&self) -> String {
        let mut out = String::new();
        for set in &self.sets {
            let family = if set.name.starts_with("inet6:") {
                "inet6"
            } else {
                "inet"
            };
            let _ = writeln!(
                out,
                "create {} {} family {family} hashsize 1024 maxelem 65536 timeout 0",
                set.name, set.kind
            );
            for (member, nomatch) in &set.members {
                let flag = if *nomatch { " nomatch" } else { "" };
                let _ = writeln!(out, "add {} {member} timeout 0{flag}", set.name);
            }
        }
        out
    }
}

/// The address family of the preview (kube-router's `ipFamily`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Family {
    V4,
    V6,
}

impl Family {
    fn of(address: IpAddr) -> Self {
        match address {
            IpAddr::V4(_) => Family::V4,
            IpAddr::V6(_) => Family::V6,
        }
    }

    /// `v1.IPFamily` as hashed into the names.
    fn api(self) -> &'static str {
        match self {
            Family::V4 => "IPv4",
            Family::V6 => "IPv6",
        }
    }

    /// `utils.IPSetName`: IPv6 sets carry the `inet6:` prefix.
    fn set_name(self, name: String) -> String {
        match self {
            Family::V4 => name,
            Family::V6 => format!("inet6:{name}"),
        }
    }
}

/// Which of the payload's two outputs is made. The iptables preview names the sets in
/// its rules but never lists their members; the ipset preview lists the members and
/// writes no rule. Each leaves the other out: at 100,000 apps the sets alone are
/// 400,000 of them, each with its own list of members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// The policy chains' rules; `sets` is left empty.
    Rules,
    /// The sets; the policy chains have no rules.
    Sets,
    /// Both (the tests look at both).
    Both,
}

impl Wanted {
    fn rules(self) -> bool {
        self != Wanted::Sets
    }

    fn sets(self) -> bool {
        self != Wanted::Rules
    }
}

pub fn payload(model: &Model, addresses: &Addresses, wanted: Wanted) -> KubeRouter {
    payload_with(model, addresses, |index, family, version| {
        // Each policy's plan is made when its chain is built and dropped after: at
        // 100,000 apps the whole plan is a quarter of a gigabyte, and each chain reuses
        // the memory of the plan before.
        policy::each_plan(model, |plans| {
            policies::build(plans, index, (family, version), wanted)
        })
    })
}

/// The payload for the given policies (tests feed hand-made plans; the cluster settings,
/// apps and addresses come from `model` and `addresses`), rules and sets.
pub fn payload_for(plans: &[PolicyPlan], model: &Model, addresses: &Addresses) -> KubeRouter {
    payload_with(model, addresses, |index, family, version| {
        policies::build(plans, index, (family, version), Wanted::Both)
    })
}

/// The payload, with the policy chains that `build` makes for the pods.
fn payload_with(
    model: &Model,
    addresses: &Addresses,
    build: impl FnOnce(&pods::PodIndex, Family, &str) -> policies::Built,
) -> KubeRouter {
    let family = Family::of(model.cluster.pod_cidr.addr());
    let version = model.cluster.policy_version.as_str();
    let pods = pods::collect(model, addresses, family);

    let mut filter = Table::new("filter");
    let mut made_by_chain: Vec<MadeChain> = Vec::new();
    for (_, top) in names::TOP_LEVEL {
        let number = filter.chain(top);
        record(&mut made_by_chain, number, MadeChain::Jumps);
    }
    for chain in [names::COMMON, names::DEFAULT] {
        filter.chain(chain);
    }
    filter.rules.extend(input_returns(model));
    filter.rules.extend(common_rules(family));
    filter.push(
        Rule::new(names::DEFAULT)
            .jump("MARK")
            .comment(names::C_DEFAULT_MARK)
            .arg(["--set-xmark", names::MARK_MATCHED]),
    );

    let index = pods::PodIndex::new(&pods);
    let built = build(&index, family, version);
    // The policies that select each pod, in policy order, by place in the pods.
    let mut selecting: Vec<Vec<u32>> = vec![Vec::new(); pods.len()];
    let mut policies = built.policies;
    for (i, policy) in policies.iter_mut().enumerate() {
        let i = narrow(i);
        for target in std::mem::take(&mut policy.targets) {
            if let Some(policies) = selecting.get_mut(target as usize) {
                policies.push(i);
            }
        }
        let number = filter.chain(&policy.chain);
        record(&mut made_by_chain, number, MadeChain::Policy(i));
    }

    // The policies' chains' rules, then the pods' chains and the jumps into them, come
    // here, among the rules.
    let pods_at = filter.rules.len();
    let mut pod_chains = Vec::with_capacity(pods.len());
    for (i, pod) in pods.iter().enumerate() {
        let selected = selecting.get_mut(i).map(std::mem::take).unwrap_or_default();
        let pod_chain = pods::PodChain::new(pod, selected, version);
        let number = filter.chain(&pod_chain.chain);
        record(&mut made_by_chain, number, MadeChain::Pod(narrow(i)));
        pod_chains.push(pod_chain);
    }

    // ensureExplicitAccept: appended last to each top-level chain.
    for (_, top) in names::TOP_LEVEL {
        filter.push(
            Rule::new(top)
                .comment(names::C_EXPLICIT_ACCEPT)
                .arg(["-m", "mark", "--mark", names::MARK_OK])
                .jump("ACCEPT"),
        );
    }

    KubeRouter {
        filter,
        builtin_jumps: builtin_jumps(),
        sets: built.sets,
        policies,
        pod_chains,
        pods_at,
        made_by_chain,
        family,
    }
}

/// A rule whose comment gets kube-router's `" - UUID"` suffix, the UUID hashing the
/// chain and the arguments as they were before.
fn with_uuid(chain: &str, args: Vec<String>) -> Rule {
    let uuid = names::uuid(chain, &args);
    let mut args = args;
    if let Some(i) = args.iter().position(|a| a == "--comment") {
        if let Some(comment) = args.get_mut(i + 1) {
            comment.push_str(&format!(" - {uuid}"));
        }
    }
    Rule::new(chain).arg(args)
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| (*a).to_string()).collect()
}

/// `ensureTopLevelChains`: the jumps from INPUT, FORWARD and OUTPUT, each inserted at
/// position 1.
fn builtin_jumps() -> Vec<Rule> {
    names::TOP_LEVEL
        .iter()
        .map(|(builtin, top)| {
            with_uuid(
                builtin,
                strings(&["-m", "comment", "--comment", names::C_TOP_LEVEL, "-j", top]),
            )
        })
        .collect()
}

/// The first rules of KUBE-ROUTER-INPUT: traffic to the service range and to local node
/// ports returns to INPUT without policy checks.
fn input_returns(model: &Model) -> Vec<Rule> {
    let range = IpNet::trunc(&model.cluster.service_cidr).to_string();
    // kube-router writes the range as `LOW:HIGH`; for a range of one port (legal in
    // Kubernetes) that is `P:P`, which iptables' multiport refuses ("invalid portrange
    // specified"), so the preview writes the port alone, which multiport takes.
    let (low, high) = model.cluster.node_port_range;
    let ports = if low == high {
        low.to_string()
    } else {
        format!("{low}:{high}")
    };
    let mut rules = vec![with_uuid(
        names::INPUT,
        strings(&[
            "-m",
            "comment",
            "--comment",
            names::C_SERVICE_RANGE,
            "-d",
            &range,
            "-j",
            "RETURN",
        ]),
    )];
    for (protocol, name) in [("tcp", "TCP"), ("udp", "UDP")] {
        let comment = format!("allow LOCAL {name} traffic to node ports");
        let args = strings(&[
            "-p",
            protocol,
            "-m",
            "comment",
            "--comment",
            &comment,
            "-m",
            "addrtype",
            "--dst-type",
            "LOCAL",
            "-m",
            "multiport",
            "--dports",
            &ports,
            "-j",
            "RETURN",
        ]);
        rules.push(with_uuid(names::INPUT, args));
    }
    rules
}

/// `ensureCommonPolicyChain`: conntrack state, then `CommonICMPRules`.
fn common_rules(family: Family) -> Vec<Rule> {
    let mut rules = vec![
        Rule::new(names::COMMON)
            .comment(names::C_INVALID)
            .arg(["-m", "conntrack", "--ctstate", "INVALID"])
            .jump("DROP"),
        Rule::new(names::COMMON)
            .comment(names::C_STATEFUL)
            .arg(["-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED"])
            .jump("ACCEPT"),
    ];
    let mut icmp = vec![
        ("echo-request", "allow icmp echo requests"),
        (
            "destination-unreachable",
            "allow icmp destination unreachable messages",
        ),
        ("time-exceeded", "allow icmp time exceeded messages"),
    ];
    let (protocol, option) = match family {
        Family::V4 => ("icmp", "--icmp-type"),
        Family::V6 => {
            icmp.extend([
                (
                    "neighbor-solicitation",
                    "allow icmp neighbor solicitation messages",
                ),
                (
                    "neighbor-advertisement",
                    "allow icmp neighbor advertisement messages",
                ),
                ("echo-reply", "allow icmp echo reply messages"),
            ]);
            ("ipv6-icmp", "--icmpv6-type")
        }
    };
    for (kind, comment) in icmp {
        rules.push(
            Rule::new(names::COMMON)
                .comment(comment)
                .arg(["-p", protocol, option, kind])
                .jump("ACCEPT"),
        );
    }
    rules
}
