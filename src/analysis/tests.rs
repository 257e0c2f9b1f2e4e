//! The evaluator on hand-written policy sets: each test is one rule of the Kubernetes
//! NetworkPolicy semantics.

use std::net::IpAddr;

use super::endpoints::{Endpoint, Kind, Place, Pod};
use super::eval::{Objects, Side};
use super::read_objects;
use crate::ir::Protocol;
use crate::kube::objects::{ContainerPort, Labels};

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn pod(namespace: &str, name: &str, pairs: &[(&str, &str)]) -> Endpoint {
    Endpoint {
        id: format!("{namespace}/{name}"),
        kind: Kind::App,
        place: Place::Pod(Pod {
            namespace: namespace.to_string(),
            name: name.to_string(),
            labels: labels(pairs),
            ports: vec![ContainerPort {
                name: Some("http".to_string()),
                number: 8080,
                protocol: Protocol::Tcp,
            }],
        }),
    }
}

fn address(text: &str) -> Endpoint {
    Endpoint {
        id: text.to_string(),
        kind: Kind::World,
        place: Place::Address(text.parse::<IpAddr>().expect("test address")),
    }
}

fn objects(yaml: &str) -> Objects {
    let mut objects = read_objects(yaml);
    for (ns, extra) in [("a", ("team", "x")), ("b", ("team", "y"))] {
        let mut l = labels(&[("kubernetes.io/metadata.name", ns)]);
        l.insert(extra.0.to_string(), extra.1.to_string());
        objects.namespaces.insert(ns.to_string(), l);
    }
    objects
}

fn allowed(objects: &Objects, src: &Endpoint, dst: &Endpoint) -> String {
    objects.verdict(src, dst).conns.to_string()
}

const DENY_ALL_IN_B: &str = "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny, namespace: b}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
";

#[test]
fn a_pod_no_policy_selects_allows_everything() {
    let o = objects("");
    assert_eq!(allowed(&o, &pod("a", "x", &[]), &pod("b", "y", &[])), "all");
}

#[test]
fn a_selected_pod_is_isolated_for_the_listed_directions_only() {
    let o = objects(
        "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: in-only, namespace: b}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress]
",
    );
    let web = pod("b", "web", &[("app", "web")]);
    let other = pod("b", "other", &[]);
    assert_eq!(allowed(&o, &other, &web), "none");
    assert_eq!(allowed(&o, &web, &other), "all");
    assert!(matches!(o.verdict(&web, &other).egress, Side::NotIsolated));
}

#[test]
fn both_egress_and_ingress_must_allow() {
    let yaml = format!(
        "{DENY_ALL_IN_B}---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: out, namespace: a}}
spec:
  podSelector: {{}}
  policyTypes: [Egress]
  egress:
  - to: [{{namespaceSelector: {{matchLabels: {{team: y}}}}}}]
    ports: [{{port: 8080}}]
"
    );
    let o = objects(&yaml);
    let (x, y) = (pod("a", "x", &[]), pod("b", "y", &[]));
    // Egress of `a` allows it, but `b` denies every ingress.
    assert_eq!(allowed(&o, &x, &y), "none");
    let o = objects(&yaml.replace("policyTypes: [Ingress, Egress]", "policyTypes: [Egress]"));
    assert_eq!(allowed(&o, &x, &y), "TCP 8080");
}

#[test]
fn namespace_and_pod_selectors_in_one_peer_are_and_in_two_peers_or() {
    let policy = |peers: &str| {
        format!(
            "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {{name: in, namespace: b}}
spec:
  podSelector: {{}}
  policyTypes: [Ingress]
  ingress:
  - from: {peers}
"
        )
    };
    let dst = pod("b", "db", &[]);
    let api_in_a = pod("a", "api", &[("app", "api")]);
    let web_in_a = pod("a", "web", &[("app", "web")]);
    let api_in_b = pod("b", "api", &[("app", "api")]);
    let and = objects(&policy(
        "[{namespaceSelector: {matchLabels: {team: x}}, podSelector: {matchLabels: {app: api}}}]",
    ));
    assert_eq!(allowed(&and, &api_in_a, &dst), "all");
    assert_eq!(allowed(&and, &web_in_a, &dst), "none");
    assert_eq!(allowed(&and, &api_in_b, &dst), "none");
    let or = objects(&policy(
        "[{namespaceSelector: {matchLabels: {team: x}}}, {podSelector: {matchLabels: {app: api}}}]",
    ));
    assert_eq!(allowed(&or, &web_in_a, &dst), "all");
    assert_eq!(allowed(&or, &api_in_b, &dst), "all");
    assert_eq!(allowed(&or, &pod("b", "other", &[]), &dst), "none");
}

#[test]
fn named_ports_resolve_on_the_destination_and_end_port_makes_a_range() {
    let o = objects(
        "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: in, namespace: b}
spec:
  podSelector: {}
  policyTypes: [Ingress]
  ingress:
  - ports: [{port: http}, {port: 9000, endPort: 9010, protocol: UDP}, {port: http, protocol: UDP}]
",
    );
    let dst = pod("b", "web", &[]);
    assert_eq!(
        allowed(&o, &pod("a", "x", &[]), &dst),
        "TCP 8080; UDP 9000-9010"
    );
}

#[test]
fn ip_blocks_match_outside_addresses_but_not_their_exceptions_nor_pods() {
    let o = objects(
        "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - to: [{ipBlock: {cidr: 0.0.0.0/0, except: [169.254.169.254/32]}}]
",
    );
    let x = pod("a", "x", &[]);
    assert_eq!(allowed(&o, &x, &address("203.0.113.10")), "all");
    assert_eq!(allowed(&o, &x, &address("169.254.169.254")), "none");
    assert_eq!(allowed(&o, &x, &pod("b", "y", &[])), "none");
    // An address has no policy of its own.
    assert_eq!(allowed(&o, &address("203.0.113.10"), &x), "all");
}

#[test]
fn a_rule_without_peers_matches_pods_and_addresses() {
    let o = objects(
        "
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: out, namespace: a}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress:
  - ports: [{port: 443}]
",
    );
    let x = pod("a", "x", &[]);
    assert_eq!(allowed(&o, &x, &address("203.0.113.10")), "TCP 443");
    assert_eq!(allowed(&o, &x, &pod("b", "y", &[])), "TCP 443");
}
