//! kube-router's chain and set names (reference §6.1, §6.2) and the classic comment
//! texts of v2.6–v2.9 (reference §6.4, "v2.0–v2.10 (classic)" column).
//!
//! Texts are joined with `concat`, not `format!`: a preview makes them by the ten
//! thousand, and `format!` costs several times the join (so does kube-proxy's part).

use super::super::hash::named;
use super::Family;
use crate::policy::Direction;

pub const INPUT: &str = "KUBE-ROUTER-INPUT";
pub const FORWARD: &str = "KUBE-ROUTER-FORWARD";
pub const OUTPUT: &str = "KUBE-ROUTER-OUTPUT";
pub const DEFAULT: &str = "KUBE-NWPLCY-DEFAULT";
pub const COMMON: &str = "KUBE-NWPLCY-COMMON";

/// kube-router's `defaultChains`: built-in chain and its own top-level chain. Upstream
/// this is a Go map (random order); the preview takes INPUT, FORWARD, OUTPUT.
pub const TOP_LEVEL: [(&str, &str); 3] =
    [("INPUT", INPUT), ("FORWARD", FORWARD), ("OUTPUT", OUTPUT)];

/// "matched a policy"
pub const MARK_MATCHED: &str = "0x10000/0x10000";
/// "netpol-ok, ACCEPT"
pub const MARK_OK: &str = "0x20000/0x20000";

pub const C_COMMON: &str = "common bi-directional traffic policy rules";
pub const C_LOCAL: &str =
    "rule to permit the traffic traffic to pods when source is the pod's local node";
pub const C_DEFAULT_INGRESS: &str = "run through default ingress network policy chain";
pub const C_DEFAULT_EGRESS: &str = "run through default egress network policy chain";
pub const C_OK: &str = "set mark to ACCEPT traffic that comply to network policies";
pub const C_EXPLICIT_ACCEPT: &str =
    "rule to explicitly ACCEPT traffic that comply to network policies";
pub const C_DEFAULT_MARK: &str = "rule to mark traffic matching a network policy";
pub const C_INVALID: &str = "rule to drop invalid state for pod";
pub const C_STATEFUL: &str = "rule for stateful firewall for pod";
pub const C_TOP_LEVEL: &str = "kube-router netpol";
pub const C_SERVICE_RANGE: &str = "allow traffic to primary/secondary cluster IP range";

/// `KUBE-NWPLCY-` + hash(namespace + policy + version + ipFamily)
pub fn policy_chain(namespace: &str, policy: &str, version: &str, family: Family) -> String {
    named("KUBE-NWPLCY-", &[namespace, policy, version, family.api()])
}

/// `KUBE-POD-FW-` + hash(namespace + pod + version)
pub fn pod_chain(namespace: &str, pod: &str, version: &str) -> String {
    named("KUBE-POD-FW-", &[namespace, pod, version])
}

/// The set of the pods a policy selects: `KUBE-DST-` for an ingress policy, `KUBE-SRC-`
/// for an egress policy, both hashing namespace + policy + ipFamily.
pub fn target_set(direction: Direction, namespace: &str, policy: &str, family: Family) -> String {
    let prefix = match direction {
        Direction::Ingress => "KUBE-DST-",
        Direction::Egress => "KUBE-SRC-",
    };
    family.set_name(named(prefix, &[namespace, policy, family.api()]))
}

/// The set of the peers of rule `index`: `KUBE-SRC-` for an ingress rule, `KUBE-DST-`
/// for an egress rule; `kind` is `pod` or `ipblock`.
pub fn rule_set(
    direction: Direction,
    namespace: &str,
    policy: &str,
    index: usize,
    family: Family,
    kind: &str,
) -> String {
    let (prefix, word) = match direction {
        Direction::Ingress => ("KUBE-SRC-", "ingressrule"),
        Direction::Egress => ("KUBE-DST-", "egressrule"),
    };
    let mut digits = itoa::Buffer::new();
    let index = digits.format(index);
    family.set_name(named(
        prefix,
        &[namespace, policy, word, index, family.api(), kind],
    ))
}

/// kube-router's rule UUID: hash(chain + the rule's arguments joined without separator),
/// taken before `" - UUID"` is appended to the comment.
pub fn uuid<S: AsRef<str>>(chain: &str, args: &[S]) -> String {
    let parts: Vec<&str> = std::iter::once(chain)
        .chain(args.iter().map(AsRef::as_ref))
        .collect();
    named("", &parts)
}

pub fn c_policy(policy: &str) -> String {
    ["run through nw policy ", policy].concat()
}

pub fn c_jump_in(pod: &str, namespace: &str, chain: &str) -> String {
    c_pod(
        "rule to jump traffic destined to",
        pod,
        namespace,
        Some(chain),
    )
}

pub fn c_jump_out(pod: &str, namespace: &str, chain: &str) -> String {
    c_pod("rule to jump traffic from", pod, namespace, Some(chain))
}

pub fn c_log(pod: &str, namespace: &str) -> String {
    c_pod("rule to log dropped traffic", pod, namespace, None)
}

pub fn c_reject(pod: &str, namespace: &str) -> String {
    c_pod("rule to REJECT traffic destined for", pod, namespace, None)
}

/// `LEAD POD name:POD namespace: NS`, then ` to chain CHAIN` when there is one: the
/// comments of a pod's rules.
fn c_pod(lead: &str, pod: &str, namespace: &str, chain: Option<&str>) -> String {
    let mut text = [lead, " POD name:", pod, " namespace: ", namespace].concat();
    if let Some(chain) = chain {
        text.push_str(" to chain ");
        text.push_str(chain);
    }
    text
}

/// Which peers a policy-chain rule allows (policy.go's classic comments).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peers {
    Pods,
    All,
    IpBlocks,
}

/// The set rule `index` matches `peers` with: its [`rule_set`] of pods or of ipBlocks.
/// All peers have none, and get the empty name, which matches every address.
pub fn peer_set(
    direction: Direction,
    namespace: &str,
    policy: &str,
    index: usize,
    family: Family,
    peers: Peers,
) -> String {
    let kind = match peers {
        Peers::Pods => "pod",
        Peers::IpBlocks => "ipblock",
        Peers::All => return String::new(),
    };
    rule_set(direction, namespace, policy, index, family, kind)
}

pub fn c_allow(direction: Direction, peers: Peers, policy: &str, namespace: &str) -> String {
    let what = match (direction, peers) {
        (_, Peers::Pods) => "from source pods to dest pods selected by policy name",
        (Direction::Ingress, Peers::All) => {
            "from all sources to dest pods selected by policy name:"
        }
        (Direction::Ingress, Peers::IpBlocks) => {
            "from specified ipBlocks to dest pods selected by policy name:"
        }
        (Direction::Egress, Peers::All) => {
            "from source pods to all destinations selected by policy name:"
        }
        (Direction::Egress, Peers::IpBlocks) => {
            "from source pods to specified ipBlocks selected by policy name:"
        }
    };
    [
        "rule to ACCEPT traffic ",
        what,
        " ",
        policy,
        " namespace ",
        namespace,
    ]
    .concat()
}
