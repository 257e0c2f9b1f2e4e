//! The iptables preview against kube-proxy's own vectors (reference §3 and §7):
//! chain hashes, rule text, canonical order, and stable addresses.

use std::net::IpAddr;

use knetc::ir::Protocol;
use knetc::preview::kube_proxy::{self, PortEndpoint, ProxyConfig, ServicePort};
use knetc::preview::{self, order, Format};

use crate::common::sources_from;

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test address")
}

fn model(source: &str) -> knetc::ir::Model {
    let sources = sources_from("preview.knet", source);
    let checked = knetc::compile(&sources);
    let rendered = crate::common::rendered(&checked.diagnostics, &sources);
    checked
        .model
        .unwrap_or_else(|| panic!("must compile:\n{rendered}"))
}

fn restore(source: &str) -> String {
    preview::iptables(&model(source), Format::Restore)
}

/// The addresses allocated for a model, by (namespace, name).
struct ByName {
    cluster_ips: knetc::collections::IndexMap<(String, String), IpAddr>,
    endpoints:
        knetc::collections::IndexMap<(String, String), Vec<knetc::preview::address::Endpoint>>,
}

fn addresses_by_name(source: &str) -> ByName {
    let model = model(source);
    let addresses = knetc::preview::address::allocate(&model);
    ByName {
        cluster_ips: addresses.cluster_ips_by_name(&model),
        endpoints: addresses.endpoints_by_name(&model),
    }
}

fn assert_lines(haystack: &str, lines: &[&str]) {
    for line in lines {
        assert!(
            haystack.lines().any(|l| l == *line),
            "missing line:\n{line}\nin:\n{haystack}"
        );
    }
}

/// Reference §3, verbatim: kube-proxy's own test of a local load balancer with session
/// affinity and an unnamed port (upstream test settings: mark 0x4000, no
/// --random-fully, cluster CIDR 10.0.0.0/8, node IP 192.168.0.2).
#[test]
fn upstream_vector_svl_with_session_affinity() {
    let config = ProxyConfig {
        cluster_cidr: Some("10.0.0.0/8".parse().expect("cidr")),
        masquerade_mark: "0x4000".into(),
        localhost_node_ports: true,
        random_fully: false,
        nfacct: false,
        node_ip: ip("192.168.0.2"),
        ipv6: false,
    };
    let endpoint = |address: &str, local| PortEndpoint {
        address: ip(address),
        port: 80,
        local,
    };
    let port = ServicePort {
        name: "ns1/svc1".into(),
        protocol: Protocol::Tcp,
        cluster_ip: ip("172.30.1.1"),
        port: 80,
        node_port: None,
        external_ips: vec![],
        load_balancer_ips: vec![ip("1.2.3.4")],
        source_ranges: vec![],
        external_local: true,
        health_check_node_port: Some(30000),
        affinity_timeout: Some(10800),
        endpoints: vec![
            endpoint("10.0.1.1", true),
            endpoint("10.0.1.2", true),
            endpoint("10.0.1.5", false),
        ],
    };
    let (filter, nat) = kube_proxy::payload(&config, &[port]);
    let expected = "\
*nat
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXT-AQI2S6QIMU7PVVRP - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-3JOIVZTXZZRGORX4 - [0:0]
:KUBE-SEP-EQCHZ7S2PJ72OHAY - [0:0]
:KUBE-SEP-IO5XOSKPAXIFQXAJ - [0:0]
:KUBE-SVC-AQI2S6QIMU7PVVRP - [0:0]
:KUBE-SVL-AQI2S6QIMU7PVVRP - [0:0]
-A KUBE-SERVICES -m comment --comment \"ns1/svc1 cluster IP\" -m tcp -p tcp -d 172.30.1.1 --dport 80 -j KUBE-SVC-AQI2S6QIMU7PVVRP
-A KUBE-SERVICES -m comment --comment \"ns1/svc1 loadbalancer IP\" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-EXT-AQI2S6QIMU7PVVRP
-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-EXT-AQI2S6QIMU7PVVRP -m comment --comment \"pod traffic for ns1/svc1 external destinations\" -s 10.0.0.0/8 -j KUBE-SVC-AQI2S6QIMU7PVVRP
-A KUBE-EXT-AQI2S6QIMU7PVVRP -m comment --comment \"masquerade LOCAL traffic for ns1/svc1 external destinations\" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-AQI2S6QIMU7PVVRP -m comment --comment \"route LOCAL traffic for ns1/svc1 external destinations\" -m addrtype --src-type LOCAL -j KUBE-SVC-AQI2S6QIMU7PVVRP
-A KUBE-EXT-AQI2S6QIMU7PVVRP -j KUBE-SVL-AQI2S6QIMU7PVVRP
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE
-A KUBE-SEP-3JOIVZTXZZRGORX4 -m comment --comment ns1/svc1 -s 10.0.1.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-3JOIVZTXZZRGORX4 -m comment --comment ns1/svc1 -m recent --name KUBE-SEP-3JOIVZTXZZRGORX4 --set -m tcp -p tcp -j DNAT --to-destination 10.0.1.1:80
-A KUBE-SEP-EQCHZ7S2PJ72OHAY -m comment --comment ns1/svc1 -s 10.0.1.5 -j KUBE-MARK-MASQ
-A KUBE-SEP-EQCHZ7S2PJ72OHAY -m comment --comment ns1/svc1 -m recent --name KUBE-SEP-EQCHZ7S2PJ72OHAY --set -m tcp -p tcp -j DNAT --to-destination 10.0.1.5:80
-A KUBE-SEP-IO5XOSKPAXIFQXAJ -m comment --comment ns1/svc1 -s 10.0.1.2 -j KUBE-MARK-MASQ
-A KUBE-SEP-IO5XOSKPAXIFQXAJ -m comment --comment ns1/svc1 -m recent --name KUBE-SEP-IO5XOSKPAXIFQXAJ --set -m tcp -p tcp -j DNAT --to-destination 10.0.1.2:80
-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment \"ns1/svc1 cluster IP\" -m tcp -p tcp -d 172.30.1.1 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment \"ns1/svc1 -> 10.0.1.1:80\" -m recent --name KUBE-SEP-3JOIVZTXZZRGORX4 --rcheck --seconds 10800 --reap -j KUBE-SEP-3JOIVZTXZZRGORX4
-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment \"ns1/svc1 -> 10.0.1.2:80\" -m recent --name KUBE-SEP-IO5XOSKPAXIFQXAJ --rcheck --seconds 10800 --reap -j KUBE-SEP-IO5XOSKPAXIFQXAJ
-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment \"ns1/svc1 -> 10.0.1.5:80\" -m recent --name KUBE-SEP-EQCHZ7S2PJ72OHAY --rcheck --seconds 10800 --reap -j KUBE-SEP-EQCHZ7S2PJ72OHAY
-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment \"ns1/svc1 -> 10.0.1.1:80\" -m statistic --mode random --probability 0.3333333333 -j KUBE-SEP-3JOIVZTXZZRGORX4
-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment \"ns1/svc1 -> 10.0.1.2:80\" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-IO5XOSKPAXIFQXAJ
-A KUBE-SVC-AQI2S6QIMU7PVVRP -m comment --comment \"ns1/svc1 -> 10.0.1.5:80\" -j KUBE-SEP-EQCHZ7S2PJ72OHAY
-A KUBE-SVL-AQI2S6QIMU7PVVRP -m comment --comment \"ns1/svc1 -> 10.0.1.1:80\" -m recent --name KUBE-SEP-3JOIVZTXZZRGORX4 --rcheck --seconds 10800 --reap -j KUBE-SEP-3JOIVZTXZZRGORX4
-A KUBE-SVL-AQI2S6QIMU7PVVRP -m comment --comment \"ns1/svc1 -> 10.0.1.2:80\" -m recent --name KUBE-SEP-IO5XOSKPAXIFQXAJ --rcheck --seconds 10800 --reap -j KUBE-SEP-IO5XOSKPAXIFQXAJ
-A KUBE-SVL-AQI2S6QIMU7PVVRP -m comment --comment \"ns1/svc1 -> 10.0.1.1:80\" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-3JOIVZTXZZRGORX4
-A KUBE-SVL-AQI2S6QIMU7PVVRP -m comment --comment \"ns1/svc1 -> 10.0.1.2:80\" -j KUBE-SEP-IO5XOSKPAXIFQXAJ
COMMIT
";
    assert_eq!(order::canonical(nat).to_restore(), expected);
    let filter = order::canonical(filter).to_restore();
    assert_lines(
        &filter,
        &["-A KUBE-NODEPORTS -m comment --comment \"ns1/svc1 health check node port\" -m tcp -p tcp --dport 30000 -j ACCEPT"],
    );
}

/// TC2: three endpoints in lexicographic order, probabilities, SEP chains.
#[test]
fn tc2_cluster_ip_with_three_endpoints() {
    let out = restore(
        "namespace default {\n  app web {\n    port http 80 -> 8080\n    cluster-ip 10.96.0.50\n    endpoint 10.244.1.9\n    endpoint 10.244.1.10\n    endpoint 10.244.2.3\n  }\n  default allow\n}\n",
    );
    assert_lines(
        &out,
        &[
            "-A KUBE-SERVICES -m comment --comment \"default/web:http cluster IP\" -m tcp -p tcp -d 10.96.0.50 --dport 80 -j KUBE-SVC-CDGGSHYLG3RE2FKL",
            "-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment \"default/web:http cluster IP\" -m tcp -p tcp -d 10.96.0.50 --dport 80 ! -s 10.244.0.0/16 -j KUBE-MARK-MASQ",
            "-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment \"default/web:http -> 10.244.1.10:8080\" -m statistic --mode random --probability 0.3333333333 -j KUBE-SEP-GWQABTP5GBYXHJY5",
            "-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment \"default/web:http -> 10.244.1.9:8080\" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-2Z4PPZBSTLK4A5ZT",
            "-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment \"default/web:http -> 10.244.2.3:8080\" -j KUBE-SEP-VQGOCFX4X6FWJPNR",
            "-A KUBE-SEP-GWQABTP5GBYXHJY5 -m comment --comment default/web:http -s 10.244.1.10 -j KUBE-MARK-MASQ",
            "-A KUBE-SEP-GWQABTP5GBYXHJY5 -m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.244.1.10:8080",
            ":KUBE-SVC-CDGGSHYLG3RE2FKL - [0:0]",
            ":KUBE-SEP-GWQABTP5GBYXHJY5 - [0:0]",
            ":KUBE-SEP-2Z4PPZBSTLK4A5ZT - [0:0]",
            ":KUBE-SEP-VQGOCFX4X6FWJPNR - [0:0]",
        ],
    );
    let save = preview::iptables(
        &model("namespace default {\n  app web {\n    port http 80 -> 8080\n    cluster-ip 10.96.0.50\n    endpoint 10.244.1.9\n    endpoint 10.244.1.10\n    endpoint 10.244.2.3\n  }\n  default allow\n}\n"),
        Format::Save,
    );
    assert_lines(
        &save,
        &[
            "-A KUBE-SERVICES -d 10.96.0.50/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-CDGGSHYLG3RE2FKL",
            "-A KUBE-SVC-CDGGSHYLG3RE2FKL ! -s 10.244.0.0/16 -d 10.96.0.50/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -j KUBE-MARK-MASQ",
            "-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment \"default/web:http -> 10.244.1.10:8080\" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-GWQABTP5GBYXHJY5",
            "-A KUBE-SEP-GWQABTP5GBYXHJY5 -s 10.244.1.10/32 -m comment --comment \"default/web:http\" -j KUBE-MARK-MASQ",
            "-A KUBE-SEP-GWQABTP5GBYXHJY5 -p tcp -m comment --comment \"default/web:http\" -m tcp -j DNAT --to-destination 10.244.1.10:8080",
        ],
    );
}

/// TC4: no endpoints: REJECT in filter only, no nat chain, no node-port nat rule.
#[test]
fn tc4_no_endpoints_rejects() {
    let out = restore(
        "namespace default {\n  app empty {\n    service node-port\n    port http 80 node-port 30080\n    cluster-ip 10.96.0.60\n    replicas 0\n  }\n  default allow\n}\n",
    );
    assert_lines(
        &out,
        &[
            "-A KUBE-SERVICES -m comment --comment \"default/empty:http has no endpoints\" -m tcp -p tcp -d 10.96.0.60 --dport 80 -j REJECT",
            "-A KUBE-EXTERNAL-SERVICES -m comment --comment \"default/empty:http has no endpoints\" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j REJECT",
        ],
    );
    assert!(!out.contains("KUBE-SVC-C6ZBJIDUTAB6GRYC"));
    assert!(!out.contains("-A KUBE-NODEPORTS"));
}

/// TC5: a node port with the cluster traffic policy, localhost node ports and nfacct.
#[test]
fn tc5_node_port_cluster_policy() {
    let out = restore(
        "namespace default {\n  app np-svc {\n    service node-port\n    port http 80 -> 8080 node-port 30080\n    cluster-ip 10.96.0.70\n    endpoint 10.244.1.5\n  }\n  default allow\n}\n",
    );
    assert_lines(
        &out,
        &[
            "-A KUBE-NODEPORTS -m comment --comment default/np-svc:http -m tcp -p tcp -d 127.0.0.0/8 --dport 30080 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-DUCBKF5X6SF6MMTH",
            "-A KUBE-NODEPORTS -m comment --comment default/np-svc:http -m tcp -p tcp --dport 30080 -j KUBE-EXT-DUCBKF5X6SF6MMTH",
            "-A KUBE-EXT-DUCBKF5X6SF6MMTH -m comment --comment \"masquerade traffic for default/np-svc:http external destinations\" -j KUBE-MARK-MASQ",
            "-A KUBE-EXT-DUCBKF5X6SF6MMTH -j KUBE-SVC-DUCBKF5X6SF6MMTH",
            "-A KUBE-SVC-DUCBKF5X6SF6MMTH -m comment --comment \"default/np-svc:http -> 10.244.1.5:8080\" -j KUBE-SEP-BAW5XE23BQQ6U66V",
        ],
    );
    let save = preview::iptables(
        &model("namespace default {\n  app np-svc {\n    service node-port\n    port http 80 -> 8080 node-port 30080\n    cluster-ip 10.96.0.70\n    endpoint 10.244.1.5\n  }\n  default allow\n}\n"),
        Format::Save,
    );
    assert_lines(
        &save,
        &["-A KUBE-NODEPORTS -d 127.0.0.0/8 -p tcp -m comment --comment \"default/np-svc:http\" -m tcp --dport 30080 -m nfacct --nfacct-name  localhost_nps_accepted_pkts -j KUBE-EXT-DUCBKF5X6SF6MMTH"],
    );
    // Without nfacct or localhost node ports, no 127.0.0.0/8 rule.
    for setting in ["nfacct off", "localhost-node-ports off"] {
        let out = restore(&format!(
            "cluster {{\n  {setting}\n}}\nnamespace default {{\n  app np-svc {{\n    service node-port\n    port http 80 -> 8080 node-port 30080\n    endpoint 10.244.1.5\n  }}\n  default allow\n}}\n"
        ));
        assert!(!out.contains("127.0.0.0/8 --dport 30080"), "{setting}");
    }
}

const LB: &str = "namespace default {\n  app lb-svc {\n    service load-balancer\n    port https 443 -> 8443 node-port 31443\n    cluster-ip 10.96.0.80\n    load-balancer-ingress 203.0.113.10\n    endpoint 10.244.1.7\n    endpoint 10.244.2.8\n    RANGES\n  }\n  default allow\n}\n";

/// TC6: a load balancer with an ingress address; source ranges switch it to KUBE-FW.
#[test]
fn tc6_load_balancer_and_firewall() {
    let out = restore(&LB.replace("RANGES", ""));
    assert_lines(
        &out,
        &[
            "-A KUBE-SERVICES -m comment --comment \"default/lb-svc:https loadbalancer IP\" -m tcp -p tcp -d 203.0.113.10 --dport 443 -j KUBE-EXT-KAF2F7ELA3IKYTZX",
            "-A KUBE-SVC-KAF2F7ELA3IKYTZX -m comment --comment \"default/lb-svc:https -> 10.244.1.7:8443\" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-VNM53EAHJ62PRNGO",
            "-A KUBE-SVC-KAF2F7ELA3IKYTZX -m comment --comment \"default/lb-svc:https -> 10.244.2.8:8443\" -j KUBE-SEP-OSIM4PJNZN47DJ6A",
        ],
    );
    assert!(!out.contains("KUBE-FW-"));
    assert!(!out.contains("-A KUBE-PROXY-FIREWALL"));

    let out = restore(&LB.replace("RANGES", "source-ranges 198.51.100.0/24"));
    assert_lines(
        &out,
        &[
            "-A KUBE-SERVICES -m comment --comment \"default/lb-svc:https loadbalancer IP\" -m tcp -p tcp -d 203.0.113.10 --dport 443 -j KUBE-FW-KAF2F7ELA3IKYTZX",
            "-A KUBE-FW-KAF2F7ELA3IKYTZX -m comment --comment \"default/lb-svc:https loadbalancer IP\" -s 198.51.100.0/24 -j KUBE-EXT-KAF2F7ELA3IKYTZX",
            "-A KUBE-FW-KAF2F7ELA3IKYTZX -m comment --comment \"other traffic to default/lb-svc:https will be dropped by KUBE-PROXY-FIREWALL\"",
            "-A KUBE-PROXY-FIREWALL -m comment --comment \"default/lb-svc:https traffic not accepted by KUBE-FW-KAF2F7ELA3IKYTZX\" -m tcp -p tcp -d 203.0.113.10 --dport 443 -j DROP",
        ],
    );
}

/// TC7: ExternalName and headless Services produce nothing: the output is exactly the
/// empty-cluster output (here in the canonical order).
#[test]
fn tc7_external_name_and_headless_produce_nothing() {
    let kube_proxy_part = |out: &str| out.split("# kube-router").next().unwrap_or("").to_string();
    let empty = restore("namespace default {\n  default allow\n}\n");
    let with = restore(
        "namespace default {\n  external db {\n    host db.example.com\n  }\n  app cache {\n    service headless\n    port redis 6379\n  }\n  default allow\n}\n",
    );
    assert_eq!(kube_proxy_part(&with), kube_proxy_part(&empty));
    let expected = "\
*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A KUBE-FIREWALL -m comment --comment \"block incoming localnet connections\" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP
-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding rules\" -m mark --mark 0x00004000/0x00004000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment \"kubernetes forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
*nat
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
-A KUBE-SERVICES -m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-MARK-MASQ -j MARK --or-mark 0x00004000
-A KUBE-POSTROUTING -m mark ! --mark 0x00004000/0x00004000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x00004000
-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE --random-fully
COMMIT
";
    assert_eq!(kube_proxy_part(&empty), expected);
}

/// TC8: UDP and TCP ports of one Service; an unnamed port; no cluster CIDR.
#[test]
fn tc8_udp_unnamed_port_and_no_local_detector() {
    let out = restore(
        "namespace kube-system {\n  app kube-dns {\n    labels k8s-app=kube-dns\n    port dns 53/udp\n    port dns-tcp 53\n  }\n  default allow\n}\n",
    );
    assert!(out.contains(":KUBE-SVC-TCOU7JCQXEZGVUNU - [0:0]"));
    assert!(out.contains(":KUBE-SVC-ERIFXISQEP7F7OF4 - [0:0]"));
    assert!(out.contains("-m udp -p udp"));

    let config = ProxyConfig {
        cluster_cidr: None,
        masquerade_mark: "0x00004000".into(),
        localhost_node_ports: true,
        random_fully: true,
        nfacct: true,
        node_ip: ip("192.168.0.10"),
        ipv6: false,
    };
    let port = ServicePort {
        name: "kube-system/kube-dns".into(),
        protocol: Protocol::Udp,
        cluster_ip: ip("10.96.0.10"),
        port: 53,
        node_port: None,
        external_ips: vec![],
        load_balancer_ips: vec![],
        source_ranges: vec![],
        external_local: false,
        health_check_node_port: None,
        affinity_timeout: None,
        endpoints: vec![PortEndpoint {
            address: ip("10.244.0.8"),
            port: 53,
            local: true,
        }],
    };
    let (_, nat) = kube_proxy::payload(&config, &[port]);
    let nat = nat.to_restore();
    assert!(nat.contains(":KUBE-SVC-GTAKZ6FHUTF7RBRM - [0:0]"));
    assert!(nat.contains("--comment \"kube-system/kube-dns cluster IP\""));
    assert!(!nat.contains(
        "-A KUBE-SVC-GTAKZ6FHUTF7RBRM -m comment --comment \"kube-system/kube-dns cluster IP\""
    ));
}

/// Above 1,000 endpoints kube-proxy drops the comments of SEP and SVC->SEP rules.
#[test]
fn large_cluster_mode_drops_endpoint_comments() {
    // 1,001 endpoints: above kube-proxy's threshold (one app previews at most 1,000).
    let out = restore("namespace big {\n  app web {\n    port http 80\n    replicas 600\n  }\n  app api {\n    port http 80\n    replicas 401\n  }\n  default allow\n}\n");
    let sep_rule = out
        .lines()
        .find(|l| l.starts_with("-A KUBE-SEP-"))
        .expect("a SEP rule");
    assert!(!sep_rule.contains("--comment"), "{sep_rule}");
    assert!(out.contains("--comment \"big/web:http cluster IP\""));
    let small = restore("namespace big {\n  app web {\n    port http 80\n    replicas 1000\n  }\n  default allow\n}\n");
    let sep_rule = small
        .lines()
        .find(|l| l.starts_with("-A KUBE-SEP-"))
        .expect("a SEP rule");
    assert!(sep_rule.contains("--comment big/web:http"), "{sep_rule}");
}

/// Adding an app changes no other app's addresses; pinned addresses always win.
#[test]
fn addresses_are_stable_and_pinned_ones_win() {
    let base = "namespace shop {\n  app a {\n    port http 80\n    replicas 2\n  }\n  app b {\n    port http 80\n  }\n  EXTRA\n}\n";
    let before = addresses_by_name(&base.replace("EXTRA", ""));
    let after = addresses_by_name(&base.replace(
        "EXTRA",
        "app c {\n    port http 80\n    replicas 3\n  }\n  app aa {\n    port http 80\n  }",
    ));
    for (key, ip) in &before.cluster_ips {
        assert_eq!(after.cluster_ips.get(key), Some(ip), "{key:?}");
    }
    for (key, endpoints) in &before.endpoints {
        assert_eq!(after.endpoints.get(key), Some(endpoints), "{key:?}");
    }
    // Pin b's address to a's: b gets it, and a moves.
    let a_ip = before.cluster_ips[&("shop".to_string(), "a".to_string())];
    let pinned = addresses_by_name(&base.replace("EXTRA", "").replace(
        "app b {\n    port http 80\n",
        &format!("app b {{\n    port http 80\n    cluster-ip {a_ip}\n"),
    ));
    assert_eq!(
        pinned.cluster_ips[&("shop".to_string(), "b".to_string())],
        a_ip
    );
    assert_ne!(
        pinned.cluster_ips[&("shop".to_string(), "a".to_string())],
        a_ip
    );
}

/// Addresses are allocated in order of name, whatever order the apps are written in,
/// and kept in the order written (the order the previews walk them). The ranges are
/// small, so that most names collide and the order decides who gets a slot.
#[test]
fn addresses_do_not_depend_on_the_order_apps_are_written_in() {
    let names = ["h", "g", "f", "e", "d", "c", "b", "a"];
    let source = |names: &[&str]| {
        let apps: String = names
            .iter()
            .map(|n| format!("  app {n} {{\n    port http 80\n    replicas 2\n  }}\n"))
            .collect();
        format!(
            "cluster {{\n  service-cidr 10.96.0.0/28\n  pod-cidr 10.244.0.0/27\n}}\nnamespace shop {{\n{apps}}}\n"
        )
    };
    let mut sorted = names;
    sorted.sort_unstable();
    let reversed = addresses_by_name(&source(&names));
    let in_order = addresses_by_name(&source(&sorted));
    let key = |n: &str| ("shop".to_string(), n.to_string());
    for name in names {
        assert_eq!(
            reversed.cluster_ips.get(&key(name)),
            in_order.cluster_ips.get(&key(name)),
            "{name}"
        );
        assert_eq!(
            reversed.endpoints.get(&key(name)),
            in_order.endpoints.get(&key(name)),
            "{name}"
        );
    }
    let written: Vec<&str> = reversed
        .cluster_ips
        .keys()
        .map(|(_, n)| n.as_str())
        .collect();
    assert_eq!(written, names);
    let written: Vec<&str> = reversed.endpoints.keys().map(|(_, n)| n.as_str()).collect();
    assert_eq!(written, names);
    assert_eq!(in_order.cluster_ips.len(), names.len());
}

/// `traffic-policy local` without local endpoints: no KUBE-SVL chain, external traffic
/// dropped in filter ("has no local endpoints"), the health-check node port accepted.
#[test]
fn local_traffic_policy_without_local_endpoints() {
    let out = restore(
        "namespace default {\n  app lb {\n    service load-balancer\n    traffic-policy local\n    health-check-node-port 32000\n    port http 80 -> 8080 node-port 30080\n    cluster-ip 10.96.0.90\n    load-balancer-ingress 203.0.113.20\n    endpoint 10.244.3.3\n  }\n  default allow\n}\n",
    );
    let svc = "default/lb:http";
    assert_lines(
        &out,
        &[
            &format!("-A KUBE-EXTERNAL-SERVICES -m comment --comment \"{svc} has no local endpoints\" -m tcp -p tcp -d 203.0.113.20 --dport 80 -j DROP"),
            &format!("-A KUBE-EXTERNAL-SERVICES -m comment --comment \"{svc} has no local endpoints\" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 30080 -j DROP"),
            &format!("-A KUBE-NODEPORTS -m comment --comment \"{svc} health check node port\" -m tcp -p tcp --dport 32000 -j ACCEPT"),
        ],
    );
    assert!(
        !out.contains("KUBE-SVL-"),
        "no local endpoints, no KUBE-SVL chain"
    );
    // The EXT chain keeps the short-circuit rules but has no final jump.
    let ext: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("-A KUBE-EXT-"))
        .collect();
    assert_eq!(ext.len(), 3, "{ext:#?}");
    assert!(ext[0].contains("pod traffic for default/lb:http external destinations"));
}

/// The masquerade mark is written as given, and `random-fully off` drops the flag.
#[test]
fn masquerade_mark_and_random_fully_follow_the_cluster_block() {
    let out = restore("cluster {\n  masquerade-mark 0x4000\n  random-fully off\n}\nnamespace default {\n  default allow\n}\n");
    assert_lines(
        &out,
        &[
            "-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000",
            "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
            "-A KUBE-POSTROUTING -m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE",
        ],
    );
    assert!(!out.contains("--random-fully"));
}
