//! Tests of the kube-router preview: the hash vectors of reference §6.2, TC10's pod
//! chain and policy rules, knet's own plans, ipBlocks, ranges, named ports and IPv6.

use super::names;
use super::*;
use crate::ir::{Peer, PolicyPort, Protocol, TargetPort};
use crate::policy::{Direction, PolicyRule};
use crate::preview::{address, save};
use crate::source::Sources;

fn model(source: &str) -> Model {
    let mut sources = Sources::new();
    sources.add("test.knet", source);
    let checked = crate::compile(&sources);
    checked
        .model
        .unwrap_or_else(|| panic!("must compile: {:#?}", checked.diagnostics))
}

fn labels(pairs: &[(&str, &str)]) -> crate::ir::Labels {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
        .collect()
}

/// The rules of `chain` as the payload's restore form writes them (pods' chains are
/// made while writing).
fn restore_lines(router: &KubeRouter, chain: &str) -> Vec<String> {
    let prefix = format!("-A {chain} ");
    router
        .to_restore()
        .lines()
        .filter(|line| line.starts_with(&prefix))
        .map(str::to_string)
        .collect()
}

/// The rules the payload makes for `chain` in iptables-save's chain-by-chain order,
/// each rendered by `render`.
fn made_lines(router: &KubeRouter, chain: &str, render: fn(&Rule) -> String) -> Vec<String> {
    let mut lines = Vec::new();
    let number = router.filter.rules.number_of(chain);
    router.made_rules(number, chain, &mut |rule| lines.push(render(rule)));
    lines
}

/// A rule in iptables-save's form.
fn saved(rule: &Rule) -> String {
    save::render(rule.view(), false)
}

const TC10_SOURCE: &str = "
namespace default {
  default allow egress
  app backend {
    port http 80
    endpoint 10.244.1.20
  }
  app frontend {
    port http 80
    endpoint 10.244.2.30
  }
  allow frontend -> backend:http
}
";

/// Reference §6.5: `default/allow-frontend` selects app=backend, ingress from
/// app=frontend on TCP 80.
fn allow_frontend() -> PolicyPlan<'static> {
    PolicyPlan {
        namespace: "default".into(),
        name: "allow-frontend".into(),
        pod_selector: Some(labels(&[("app", "backend")]).into()),
        app: Some("backend".into()),
        types: vec![Direction::Ingress],
        rules: vec![PolicyRule {
            peers: vec![std::borrow::Cow::Owned(Peer::App {
                namespace: "default".into(),
                app: "frontend".into(),
                labels: std::sync::Arc::new(labels(&[("app", "frontend")])),
                // frontend is the second app of TC10_SOURCE's namespace.
                place: 1,
            })],
            ports: vec![PolicyPort {
                protocol: Protocol::Tcp,
                port: TargetPort::Number(80),
                end_port: None,
            }],
        }],
        direction: Some(Direction::Ingress),
    }
}

fn tc10() -> KubeRouter {
    let model = model(TC10_SOURCE);
    payload_for(&[allow_frontend()], &model, &address::allocate(&model))
}

/// Reference §6.2 and TC10.
#[test]
fn hash_vectors() {
    let v4 = Family::V4;
    let ingress = Direction::Ingress;
    assert_eq!(
        names::target_set(ingress, "default", "allow-frontend", v4),
        "KUBE-DST-OZJU3H4AH5AOE3OW"
    );
    assert_eq!(
        names::rule_set(ingress, "default", "allow-frontend", 0, v4, "pod"),
        "KUBE-SRC-A2WDX3VC4H4CL2ZV"
    );
    assert_eq!(
        names::policy_chain("default", "allow-frontend", "1", v4),
        "KUBE-NWPLCY-ZYILT46TV6UI3I25"
    );
    assert_eq!(
        names::pod_chain("default", "backend-0", "1"),
        "KUBE-POD-FW-YF6NRJLND4EENOSE"
    );
    assert_eq!(
        names::policy_chain("nsA", "simple-egress", "1", v4),
        "KUBE-NWPLCY-C23KD7UE4TAT3Y5M"
    );
    // Same hash input, other prefix; IPv6 sets carry `inet6:`.
    assert_eq!(
        names::target_set(Direction::Egress, "default", "allow-frontend", v4),
        "KUBE-SRC-OZJU3H4AH5AOE3OW"
    );
    assert!(
        names::target_set(ingress, "default", "allow-frontend", Family::V6)
            .starts_with("inet6:KUBE-DST-")
    );
}

/// UUIDs seen on real nodes (kube-router issues #1670 and #1685, default ranges).
#[test]
fn uuid_vectors_from_real_nodes() {
    let jumps: Vec<String> = builtin_jumps().iter().map(Rule::to_restore).collect();
    assert_eq!(
        jumps,
        [
            "-A INPUT -m comment --comment \"kube-router netpol - 4IA2OSFRMVNDXBVV\" -j KUBE-ROUTER-INPUT",
            "-A FORWARD -m comment --comment \"kube-router netpol - TEMCG2JMHZYE7H7T\" -j KUBE-ROUTER-FORWARD",
            "-A OUTPUT -m comment --comment \"kube-router netpol - VEAAIY32XVBHCSCY\" -j KUBE-ROUTER-OUTPUT",
        ]
    );
    let input = restore_lines(&tc10(), names::INPUT);
    assert_eq!(
        input[..3],
        [
            "-A KUBE-ROUTER-INPUT -m comment --comment \"allow traffic to primary/secondary cluster IP range - BVHX2PIHDXXEO43X\" -d 10.96.0.0/12 -j RETURN",
            "-A KUBE-ROUTER-INPUT -p tcp -m comment --comment \"allow LOCAL TCP traffic to node ports - LR7XO7NXDBGQJD2M\" -m addrtype --dst-type LOCAL -m multiport --dports 30000:32767 -j RETURN",
            "-A KUBE-ROUTER-INPUT -p udp -m comment --comment \"allow LOCAL UDP traffic to node ports - 76UCBPIZNGJNWNUZ\" -m addrtype --dst-type LOCAL -m multiport --dports 30000:32767 -j RETURN",
        ]
    );
}

/// A node-port range of one port is that port: multiport refuses `P:P`, and the preview
/// must load with `iptables-restore --test`.
#[test]
fn a_node_port_range_of_one_port_is_the_port() {
    let model = model("cluster {\n  node-port-range 30000-30000\n}\nnamespace shop {\n  app web {\n    port http 80\n  }\n}\n");
    let router = payload(&model, &address::allocate(&model), Wanted::Both);
    let input = restore_lines(&router, names::INPUT);
    assert!(
        input[1].contains("-m multiport --dports 30000 -j RETURN"),
        "{}",
        input[1]
    );
    assert!(
        input[2].contains("-m multiport --dports 30000 -j RETURN"),
        "{}",
        input[2]
    );
}

/// TC10: the pod chain of default/backend-0, in order, in restore form.
#[test]
fn tc10_pod_chain() {
    let router = tc10();
    let chain = "KUBE-POD-FW-YF6NRJLND4EENOSE";
    let expected = [
        "-A KUBE-POD-FW-YF6NRJLND4EENOSE -m comment --comment \"common bi-directional traffic policy rules\" -j KUBE-NWPLCY-COMMON",
        "-A KUBE-POD-FW-YF6NRJLND4EENOSE -m comment --comment \"rule to permit the traffic traffic to pods when source is the pod's local node\" -m addrtype --src-type LOCAL -d 10.244.1.20 -j ACCEPT",
        "-A KUBE-POD-FW-YF6NRJLND4EENOSE -s 10.244.1.20 -m comment --comment \"run through default egress network policy chain\" -j KUBE-NWPLCY-DEFAULT",
        "-A KUBE-POD-FW-YF6NRJLND4EENOSE -d 10.244.1.20 -m comment --comment \"run through nw policy allow-frontend\" -j KUBE-NWPLCY-ZYILT46TV6UI3I25",
        "-A KUBE-POD-FW-YF6NRJLND4EENOSE -m comment --comment \"rule to log dropped traffic POD name:backend-0 namespace: default\" -m mark ! --mark 0x10000/0x10000 -j NFLOG --nflog-group 100 -m limit --limit 10/minute --limit-burst 10",
        "-A KUBE-POD-FW-YF6NRJLND4EENOSE -m comment --comment \"rule to REJECT traffic destined for POD name:backend-0 namespace: default\" -m mark ! --mark 0x10000/0x10000 -j REJECT",
        "-A KUBE-POD-FW-YF6NRJLND4EENOSE -j MARK --set-mark 0/0x10000",
        "-A KUBE-POD-FW-YF6NRJLND4EENOSE -m comment --comment \"set mark to ACCEPT traffic that comply to network policies\" -j MARK --set-mark 0x20000/0x20000",
    ];
    assert_eq!(restore_lines(&router, chain), expected);
    assert!(router.filter.declares(chain));
    // The S form of TC10: addresses first, `10/min`, `--set-xmark`, `pod\'s`.
    let saved = made_lines(&router, chain, saved);
    assert_eq!(
        saved[1],
        "-A KUBE-POD-FW-YF6NRJLND4EENOSE -d 10.244.1.20/32 -m comment --comment \"rule to permit the traffic traffic to pods when source is the pod\\'s local node\" -m addrtype --src-type LOCAL -j ACCEPT"
    );
    assert_eq!(
        saved[4],
        "-A KUBE-POD-FW-YF6NRJLND4EENOSE -m comment --comment \"rule to log dropped traffic POD name:backend-0 namespace: default\" -m mark ! --mark 0x10000/0x10000 -m limit --limit 10/min --limit-burst 10 -j NFLOG --nflog-group 100"
    );
    assert_eq!(
        saved[6],
        "-A KUBE-POD-FW-YF6NRJLND4EENOSE -j MARK --set-xmark 0x0/0x10000"
    );
}

/// Reference §6.5: the two MARK/RETURN rules, their S form, and the two sets.
#[test]
fn tc10_policy_chain_and_sets() {
    let router = tc10();
    let comment = "rule to ACCEPT traffic from source pods to dest pods selected by policy name allow-frontend namespace default";
    let matches = "-m set --match-set KUBE-SRC-A2WDX3VC4H4CL2ZV src -m set --match-set KUBE-DST-OZJU3H4AH5AOE3OW dst -p TCP --dport 80";
    assert_eq!(
        restore_lines(&router, "KUBE-NWPLCY-ZYILT46TV6UI3I25"),
        [
            format!("-A KUBE-NWPLCY-ZYILT46TV6UI3I25 -m comment --comment \"{comment}\" {matches} -j MARK --set-xmark 0x10000/0x10000"),
            format!("-A KUBE-NWPLCY-ZYILT46TV6UI3I25 -m comment --comment \"{comment}\" {matches} -m mark --mark 0x10000/0x10000 -j RETURN"),
        ]
    );
    let saved = made_lines(&router, "KUBE-NWPLCY-ZYILT46TV6UI3I25", saved);
    assert_eq!(
        saved.first().cloned().unwrap_or_default(),
        format!("-A KUBE-NWPLCY-ZYILT46TV6UI3I25 -p tcp -m comment --comment \"{comment}\" -m set --match-set KUBE-SRC-A2WDX3VC4H4CL2ZV src -m set --match-set KUBE-DST-OZJU3H4AH5AOE3OW dst -m tcp --dport 80 -j MARK --set-xmark 0x10000/0x10000")
    );
    assert_eq!(
        router.ipset_save(),
        "create KUBE-DST-OZJU3H4AH5AOE3OW hash:ip family inet hashsize 1024 maxelem 65536 timeout 0\n\
         add KUBE-DST-OZJU3H4AH5AOE3OW 10.244.1.20 timeout 0\n\
         create KUBE-SRC-A2WDX3VC4H4CL2ZV hash:ip family inet hashsize 1024 maxelem 65536 timeout 0\n\
         add KUBE-SRC-A2WDX3VC4H4CL2ZV 10.244.2.30 timeout 0\n"
    );
}

/// The static chains, the jumps into the pod chains and the closing ACCEPTs.
#[test]
fn top_level_chains() {
    let router = tc10();
    let pod = "KUBE-POD-FW-YF6NRJLND4EENOSE";
    let into = format!(
        "\"rule to jump traffic destined to POD name:backend-0 namespace: default to chain {pod}\""
    );
    let from = format!(
        "\"rule to jump traffic from POD name:backend-0 namespace: default to chain {pod}\""
    );
    let accept = "-m comment --comment \"rule to explicitly ACCEPT traffic that comply to network policies\" -m mark --mark 0x20000/0x20000 -j ACCEPT";
    let forward = restore_lines(&router, names::FORWARD);
    assert_eq!(
        forward[..4],
        [
            format!("-A KUBE-ROUTER-FORWARD -m comment --comment {into} -d 10.244.1.20 -j {pod}"),
            format!("-A KUBE-ROUTER-FORWARD -m physdev --physdev-is-bridged -m comment --comment {into} -d 10.244.1.20 -j {pod}"),
            format!("-A KUBE-ROUTER-FORWARD -m comment --comment {from} -s 10.244.1.20 -j {pod}"),
            format!("-A KUBE-ROUTER-FORWARD -m physdev --physdev-is-bridged -m comment --comment {from} -s 10.244.1.20 -j {pod}"),
        ]
    );
    assert_eq!(
        forward.last().cloned(),
        Some(format!("-A KUBE-ROUTER-FORWARD {accept}"))
    );
    let output = restore_lines(&router, names::OUTPUT);
    assert_eq!(output.len(), 5, "2 pods x (in, out) + accept: {output:#?}");
    let input = restore_lines(&router, names::INPUT);
    assert_eq!(input.len(), 3 + 2 + 1, "{input:#?}");
    assert_eq!(
        restore_lines(&router, names::DEFAULT),
        ["-A KUBE-NWPLCY-DEFAULT -j MARK -m comment --comment \"rule to mark traffic matching a network policy\" --set-xmark 0x10000/0x10000"]
    );
    let common = restore_lines(&router, names::COMMON);
    assert_eq!(common.len(), 5);
    assert_eq!(
        common[2],
        "-A KUBE-NWPLCY-COMMON -m comment --comment \"allow icmp echo requests\" -p icmp --icmp-type echo-request -j ACCEPT"
    );
    let restore = router.to_restore();
    assert!(restore.starts_with("*filter\n:KUBE-ROUTER-INPUT - [0:0]\n"));
    assert!(restore.contains("\n-I INPUT 1 -m comment --comment \"kube-router netpol - 4IA2OSFRMVNDXBVV\" -j KUBE-ROUTER-INPUT\n"));
    assert!(restore.ends_with("COMMIT\n"));
}

/// iptables-save's chain-by-chain form makes every pod's jumps into each top-level
/// chain, in pod order, as the restore form writes them after each pod's chain; other
/// chains of the payload get none.
#[test]
fn top_level_chains_get_the_pods_jumps_when_written_chain_by_chain() {
    let router = tc10();
    for (_, top) in names::TOP_LEVEL {
        let made = made_lines(&router, top, Rule::to_restore);
        let jumps: Vec<String> = restore_lines(&router, top)
            .into_iter()
            .filter(|line| line.contains("-j KUBE-POD-FW-"))
            .collect();
        assert!(!made.is_empty(), "{top}");
        assert_eq!(made, jumps, "{top}");
    }
    for other in [names::COMMON, names::DEFAULT] {
        assert!(
            made_lines(&router, other, Rule::to_restore).is_empty(),
            "{other}"
        );
    }
}

/// knet's own plan: `default-deny` and `backend-ingress` both select backend; the
/// later policy's jump comes first (each is inserted at position 1). frontend is
/// selected only by `default-deny` (type ingress).
#[test]
fn knet_plan_policy_jumps() {
    let model = model(TC10_SOURCE);
    let router = payload(&model, &address::allocate(&model), Wanted::Both);
    let backend = restore_lines(&router, "KUBE-POD-FW-YF6NRJLND4EENOSE");
    let jumps: Vec<&String> = backend
        .iter()
        .filter(|l| l.contains("run through nw policy"))
        .collect();
    assert_eq!(jumps.len(), 2);
    assert!(jumps[0].contains("nw policy backend-ingress"));
    assert!(jumps[1].contains("nw policy default-deny"));
    assert!(jumps.iter().all(|l| l.contains(" -d 10.244.1.20 ")));
    // default-deny has no rules: its chain is declared and empty, its target set exists.
    let deny = names::policy_chain("default", "default-deny", "1", Family::V4);
    assert!(router.filter.declares(&deny));
    assert!(restore_lines(&router, &deny).is_empty());
    let deny_set = names::target_set(Direction::Ingress, "default", "default-deny", Family::V4);
    let set = router.sets.iter().find(|s| s.name == deny_set);
    assert_eq!(set.map(|s| s.members.len()), Some(2));
    // Deterministic.
    assert_eq!(
        router.to_restore(),
        payload(&model, &address::allocate(&model), Wanted::Both).to_restore()
    );
}

/// Each preview makes only its part of the payload, and that part is the one both
/// parts give: the iptables preview's rules (and the chains they live in) without the
/// sets' members, the ipset preview's sets without the policy chains' rules.
#[test]
fn a_payload_made_for_one_preview_has_that_part_whole() {
    let model = model(TC10_SOURCE);
    let addresses = address::allocate(&model);
    let both = payload(&model, &addresses, Wanted::Both);
    let rules = payload(&model, &addresses, Wanted::Rules);
    let sets = payload(&model, &addresses, Wanted::Sets);
    assert!(!both.sets.is_empty());
    assert!(rules.sets.is_empty());
    assert_eq!(sets.sets, both.sets);
    assert_eq!(rules.to_restore(), both.to_restore());
    let allow = names::policy_chain("default", "backend-ingress", "1", Family::V4);
    assert_eq!(restore_lines(&both, &allow).len(), 2);
    assert!(sets.filter.declares(&allow));
    assert!(restore_lines(&sets, &allow).is_empty());
    // The chains and the pods' own rules do not depend on the part.
    let pod = "KUBE-POD-FW-YF6NRJLND4EENOSE";
    assert_eq!(restore_lines(&sets, pod), restore_lines(&both, pod));
}

/// The policies' chains' rules are not held: the payload makes them when written, the
/// same in both forms (restore, and iptables-save's chain by chain).
#[test]
fn policy_chain_rules_are_made_when_written() {
    let model = model(TC10_SOURCE);
    let router = payload(&model, &address::allocate(&model), Wanted::Rules);
    let chain = names::policy_chain("default", "backend-ingress", "1", Family::V4);
    let stored: Vec<&str> = router.filter.rules.iter().map(|rule| rule.chain).collect();
    assert!(router.policies.iter().any(|policy| policy.chain == chain));
    assert!(router
        .policies
        .iter()
        .all(|policy| !stored.contains(&policy.chain.as_str())));
    let restored = restore_lines(&router, &chain);
    assert_eq!(restored.len(), 2);
    assert_eq!(made_lines(&router, &chain, Rule::to_restore), restored);
}

/// A rule that names no port allows every port: its rules have no `--dport`, for pod
/// peers and for a rule without peers (every source: no source set) alike.
#[test]
fn rules_without_ports_allow_every_port() {
    let model = model(TC10_SOURCE);
    let mut plan = allow_frontend();
    plan.rules[0].ports.clear();
    plan.rules.push(PolicyRule {
        peers: Vec::new(),
        ports: Vec::new(),
    });
    let router = payload_for(&[plan], &model, &address::allocate(&model));
    let lines = restore_lines(&router, "KUBE-NWPLCY-ZYILT46TV6UI3I25");
    let target = "-m set --match-set KUBE-DST-OZJU3H4AH5AOE3OW dst";
    let pods = format!("-m set --match-set KUBE-SRC-A2WDX3VC4H4CL2ZV src {target}");
    let pods_comment = "rule to ACCEPT traffic from source pods to dest pods selected by policy name allow-frontend namespace default";
    let all_comment = "rule to ACCEPT traffic from all sources to dest pods selected by policy name: allow-frontend namespace default";
    let chain = "-A KUBE-NWPLCY-ZYILT46TV6UI3I25";
    let mark = "-j MARK --set-xmark 0x10000/0x10000";
    let back = "-m mark --mark 0x10000/0x10000 -j RETURN";
    assert_eq!(
        lines,
        [
            format!("{chain} -m comment --comment \"{pods_comment}\" {pods} {mark}"),
            format!("{chain} -m comment --comment \"{pods_comment}\" {pods} {back}"),
            format!("{chain} -m comment --comment \"{all_comment}\" {target} {mark}"),
            format!("{chain} -m comment --comment \"{all_comment}\" {target} {back}"),
        ]
    );
}

/// Egress to an external with an exception, to `world` on a range, and a named port.
#[test]
fn egress_ip_blocks_ranges_and_named_ports() {
    let source = "
namespace default {
  default allow ingress
  dns off
  app backend {
    port http 80
    endpoint 10.244.1.20
  }
  external partner {
    cidr 203.0.113.0/24 except 203.0.113.7/32
    port https 443
  }
  allow backend -> partner:https, world:8000-8100/udp
}
";
    let model = model(source);
    let router = payload(&model, &address::allocate(&model), Wanted::Both);
    let egress = names::policy_chain("default", "backend-egress", "1", Family::V4);
    let lines = restore_lines(&router, &egress);
    let sets: Vec<(&str, &str)> = router
        .sets
        .iter()
        .map(|s| (s.name.as_str(), s.kind))
        .collect();
    let blocks: Vec<&IpSet> = router
        .sets
        .iter()
        .filter(|s| s.kind == "hash:net")
        .collect();
    assert_eq!(blocks.len(), 2, "{sets:?}");
    let members: Vec<Vec<(String, bool)>> = blocks.iter().map(|s| s.members.clone()).collect();
    assert!(members.contains(&vec![
        ("203.0.113.0/24".into(), false),
        ("203.0.113.7".into(), true)
    ]));
    assert!(members.contains(&vec![
        ("0.0.0.0/1".into(), false),
        ("128.0.0.0/1".into(), false)
    ]));
    assert_eq!(lines.len(), 4, "{lines:#?}");
    assert!(lines.iter().all(|l| l.contains(
        "\"rule to ACCEPT traffic from source pods to specified ipBlocks selected by policy name: backend-egress namespace default\""
    )));
    assert!(lines
        .iter()
        .any(|l| l.contains(" -p UDP --dport 8000:8100 ")));
    assert!(lines.iter().any(|l| l.contains(" -p TCP --dport 443 ")));
    let save = router.ipset_save();
    assert!(save.contains("add "), "{save}");
    assert!(save.contains(" 203.0.113.7 timeout 0 nomatch\n"), "{save}");

    // A named port resolves to nothing: no rule; a numbered port beside it stays.
    let named = |ports: Vec<TargetPort>| PolicyPlan {
        rules: vec![PolicyRule {
            peers: vec![std::borrow::Cow::Owned(Peer::Namespace {
                namespace: "default".into(),
            })],
            ports: ports
                .into_iter()
                .map(|port| PolicyPort {
                    protocol: Protocol::Tcp,
                    port,
                    end_port: None,
                })
                .collect(),
        }],
        ..allow_frontend()
    };
    let only_named = payload_for(
        &[named(vec![TargetPort::Name("http".into())])],
        &model,
        &address::allocate(&model),
    );
    let chain = names::policy_chain("default", "allow-frontend", "1", Family::V4);
    assert!(restore_lines(&only_named, &chain).is_empty());
    let both = payload_for(
        &[named(vec![
            TargetPort::Name("http".into()),
            TargetPort::Number(8080),
        ])],
        &model,
        &address::allocate(&model),
    );
    assert_eq!(restore_lines(&both, &chain).len(), 2);
}

/// An IPv6 pod range: `IPv6` in the hashes, `inet6:` sets, ICMPv6 rules.
#[test]
fn ipv6_family() {
    let source = "
cluster {
  pod-cidr fd00:10::/64
  service-cidr fd00:20::/108
}
namespace default {
  default allow egress
  app backend {
    port http 80
  }
  app frontend {
    port http 80
  }
  allow frontend -> backend:http
}
";
    let model = model(source);
    let router = payload(&model, &address::allocate(&model), Wanted::Both);
    assert!(!router.sets.is_empty());
    assert!(router
        .sets
        .iter()
        .all(|s| s.name.starts_with("inet6:KUBE-")));
    assert!(router.ipset_save().contains(" family inet6 "));
    let chain = names::policy_chain("default", "backend-ingress", "1", Family::V6);
    assert_eq!(restore_lines(&router, &chain).len(), 2);
    assert_eq!(restore_lines(&router, names::COMMON).len(), 8);
}
