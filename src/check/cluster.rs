//! The `cluster` block: at most one per unit (`E0301`), each setting at most once
//! (`E0302`), values checked; missing settings take kubeadm's defaults. The pod and
//! service CIDRs are of one IP family (`E0348`).

use std::net::{IpAddr, Ipv4Addr};

use ipnet::{IpNet, Ipv4Net};

use super::values::{self, DNS_LABEL, DNS_SUBDOMAIN};
use super::Diagnostics;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{Cluster, Labels, Selector};
use crate::syntax::ast::{self, ClusterSetting, Spanned};

fn labels_of(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// kubeadm's defaults (see the book's `cluster` page).
pub fn defaults() -> Cluster {
    Cluster {
        service_cidr: IpNet::V4(Ipv4Net::new_assert(Ipv4Addr::new(10, 96, 0, 0), 12)),
        pod_cidr: IpNet::V4(Ipv4Net::new_assert(Ipv4Addr::new(10, 244, 0, 0), 16)),
        node_port_range: (30000, 32767),
        dns: Selector {
            namespace: "kube-system".into(),
            labels: labels_of(&[("k8s-app", "kube-dns")]),
        },
        dns_port: 53,
        ingress_controller: Selector {
            namespace: "ingress-nginx".into(),
            labels: labels_of(&[("app.kubernetes.io/name", "ingress-nginx")]),
        },
        node_ip: IpAddr::V4(Ipv4Addr::new(192, 168, 0, 10)),
        node_name: "node-1".into(),
        masquerade_mark: "0x00004000".into(),
        localhost_node_ports: true,
        random_fully: true,
        nfacct: true,
        policy_version: "1".into(),
        app_label: "app".into(),
        routes: crate::ir::RoutesMode::Ingress,
        gateway: None,
        gateway_pods_namespace: None,
        gateway_pods_labels: None,
    }
}

pub fn check(diags: &mut Diagnostics, files: &[ast::File]) -> Cluster {
    let mut cluster = defaults();
    let blocks: Vec<&ast::ClusterBlock> = files
        .iter()
        .flat_map(|f| &f.items)
        .filter_map(|item| match item {
            ast::Item::Cluster(block) => Some(block),
            ast::Item::Namespace(_) | ast::Item::Group(_) => None,
        })
        .collect();
    let Some(first) = blocks.first() else {
        return cluster;
    };
    for extra in blocks.iter().skip(1) {
        diags.push(
            Diagnostic::new(
                Code::SecondClusterBlock,
                "a second `cluster` block",
                extra.keyword,
            )
            .label("another `cluster` block here")
            .secondary(first.keyword, "the first `cluster` block")
            .help("a compilation unit describes one cluster: merge the settings into one block"),
        );
    }
    let mut seen: Vec<&Spanned<ClusterSetting>> = Vec::new();
    for setting in &first.settings {
        if let Some(earlier) = seen
            .iter()
            .find(|s| s.node.keyword() == setting.node.keyword())
        {
            diags.push(setting_twice(
                setting.node.keyword(),
                setting.span,
                earlier.span,
            ));
            continue;
        }
        seen.push(setting);
        apply(diags, &mut cluster, &setting.node);
    }
    one_family(diags, &cluster, &seen);
    cluster
}

/// `E0348`: knet describes a single-stack cluster, and its preview is one family's rule
/// set (`iptables-restore` or `ip6tables-restore`): the policy part follows the pod CIDR,
/// kube-proxy's part the service CIDR, so the two are of one IP family. (The node's
/// address only decides whether a load balancer's source ranges hold it.) Reported at
/// the later of the two settings written.
fn one_family(diags: &mut Diagnostics, cluster: &Cluster, written: &[&Spanned<ClusterSetting>]) {
    let v4 = |net: &IpNet| matches!(net, IpNet::V4(_));
    if v4(&cluster.pod_cidr) == v4(&cluster.service_cidr) {
        return;
    }
    let family = |net: &IpNet| if v4(net) { "IPv4" } else { "IPv6" };
    let mut cidrs: Vec<(&str, &IpNet, Option<crate::source::Span>)> = [
        ("pod-cidr", &cluster.pod_cidr),
        ("service-cidr", &cluster.service_cidr),
    ]
    .into_iter()
    .map(|(keyword, net)| {
        let span = written
            .iter()
            .find(|s| s.node.keyword() == keyword)
            .map(|s| s.span);
        (keyword, net, span)
    })
    .collect();
    // The later one written first, the other after.
    cidrs.sort_by_key(|(_, _, span)| std::cmp::Reverse(span.map(|s| s.start())));
    let [(keyword, net, Some(span)), (other, other_net, other_span)] = cidrs.as_slice() else {
        return;
    };
    let mut diagnostic = Diagnostic::new(
        Code::MixedAddressFamilies,
        format!(
            "`{keyword}` is {}, `{other}` {}",
            family(net),
            family(other_net)
        ),
        *span,
    )
    .label(format!("{} here", family(net)));
    diagnostic = match other_span {
        Some(other_span) => {
            diagnostic.secondary(*other_span, format!("{} here", family(other_net)))
        }
        None => diagnostic.note(format!("`{other}` is {other_net} when it is left out")),
    };
    diags.push(
        diagnostic
            .note("knet describes a single-stack cluster, and previews it as one family's rules: the policy part follows `pod-cidr`, kube-proxy's part `service-cidr`")
            .help(format!("write `{other}` in {} too, or `{keyword}` in {}", family(net), family(other_net))),
    );
}

pub fn setting_twice(
    keyword: &str,
    span: crate::source::Span,
    first: crate::source::Span,
) -> Diagnostic {
    Diagnostic::new(
        Code::SettingTwice,
        format!("`{keyword}` is given twice"),
        span,
    )
    .label("given again here")
    .secondary(first, "first given here")
    .help("keep one of them")
}

fn apply(diags: &mut Diagnostics, cluster: &mut Cluster, setting: &ClusterSetting) {
    match setting {
        ClusterSetting::ServiceCidr(cidr) => {
            if let Some(net) = values::cidr(diags, cidr) {
                cluster.service_cidr = net;
            }
        }
        ClusterSetting::PodCidr(cidr) => {
            if let Some(net) = values::cidr(diags, cidr) {
                cluster.pod_cidr = net;
            }
        }
        ClusterSetting::NodePortRange(range) => {
            let low = values::port(diags, &range.low, "node port");
            let high = values::port(diags, &range.high, "node port");
            if let Some(protocol) = &range.protocol {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidPortRange,
                        "a node-port range has no protocol",
                        protocol.span,
                    )
                    .label("protocol not allowed here")
                    .note("the range applies to node ports of every protocol")
                    .help(format!("remove `/{}`", protocol.node)),
                );
            }
            if let (Some(low), Some(high)) = (low, high) {
                if low > high {
                    diags.push(range_reversed(range.span, low, high));
                } else {
                    cluster.node_port_range = (low, high);
                }
            }
        }
        ClusterSetting::Dns {
            namespace,
            labels,
            port,
        } => {
            selector(
                diags,
                &mut cluster.dns,
                namespace.as_ref(),
                labels.as_deref(),
            );
            if let Some(port) = port {
                if let Some(port) = values::port(diags, port, "DNS port") {
                    cluster.dns_port = port;
                }
            }
        }
        ClusterSetting::IngressController { namespace, labels } => {
            selector(
                diags,
                &mut cluster.ingress_controller,
                namespace.as_ref(),
                labels.as_deref(),
            );
        }
        ClusterSetting::NodeIp(ip) => {
            if let Some(ip) = values::ip(diags, ip) {
                cluster.node_ip = ip;
            }
        }
        ClusterSetting::NodeName(name) => {
            if values::name(
                diags,
                Code::InvalidNodeName,
                "node name",
                &DNS_SUBDOMAIN,
                name,
            ) {
                cluster.node_name = name.node.clone();
            }
        }
        ClusterSetting::MasqueradeMark(mark) => {
            if masquerade_mark_ok(&mark.node) {
                cluster.masquerade_mark = mark.node.clone();
            } else {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidMasqueradeMark,
                        format!("`{}` is not a valid masquerade mark", mark.node),
                        mark.span,
                    )
                    .label("expected a hexadecimal mark such as `0x00004000`")
                    .help(match mark.node.parse::<u32>() {
                        // kube-proxy's `--iptables-masquerade-bit` is a bit number.
                        Ok(bit) if bit < 32 => format!("kube-proxy's masquerade bit {bit} is the mark `{:#010x}`", 1u32 << bit),
                        _ => "write the mark as `0x` and 1 to 8 hexadecimal digits, with exactly one bit set".to_string(),
                    }),
                );
            }
        }
        ClusterSetting::AppLabel(key) => {
            if values::label_key(diags, key) {
                cluster.app_label = key.node.clone();
            }
        }
        ClusterSetting::Routes(mode) => cluster.routes = routes_mode(mode.node),
        ClusterSetting::Gateway(gateway) => {
            if let Some(gateway) = gateway_ref(diags, gateway) {
                cluster.gateway = Some(gateway);
            }
        }
        ClusterSetting::GatewayPods { namespace, labels } => {
            let mut pods = Selector {
                namespace: String::new(),
                labels: Labels::default(),
            };
            selector(diags, &mut pods, namespace.as_ref(), labels.as_deref());
            if namespace.is_some() && !pods.namespace.is_empty() {
                cluster.gateway_pods_namespace = Some(pods.namespace);
            }
            if labels.is_some() {
                cluster.gateway_pods_labels = Some(pods.labels);
            }
        }
        ClusterSetting::LocalhostNodePorts(on) => cluster.localhost_node_ports = on.node,
        ClusterSetting::RandomFully(on) => cluster.random_fully = on.node,
        ClusterSetting::Nfacct(on) => cluster.nfacct = on.node,
        ClusterSetting::PolicyVersion(version) => {
            if policy_version_ok(&version.node) {
                cluster.policy_version = version.node.clone();
            } else {
                let message = if version.node.is_empty() {
                    "the policy version is empty".to_string()
                } else {
                    format!("`{}` is not a valid policy version", version.node)
                };
                diags.push(
                    Diagnostic::new(Code::InvalidPolicyVersion, message, version.span)
                        .label("must be 1 to 64 printable ASCII characters")
                        .help("use a number or a timestamp, such as `1` or `2024-01-01T00:00:00Z`"),
                );
            }
        }
    }
}

pub fn routes_mode(mode: ast::RoutesMode) -> crate::ir::RoutesMode {
    match mode {
        ast::RoutesMode::Ingress => crate::ir::RoutesMode::Ingress,
        ast::RoutesMode::GatewayApi => crate::ir::RoutesMode::GatewayApi,
    }
}

/// `NS/NAME`: a namespace name and a Gateway name (a DNS-1123 subdomain, `E0103`).
pub fn gateway_ref(
    diags: &mut Diagnostics,
    gateway: &ast::GatewayRef,
) -> Option<crate::ir::GatewayRef> {
    let namespace_ok = values::name(
        diags,
        Code::InvalidNamespaceName,
        "namespace name",
        &DNS_LABEL,
        &gateway.namespace,
    );
    let name_ok = values::name(
        diags,
        Code::InvalidIngressName,
        "Gateway name",
        &DNS_SUBDOMAIN,
        &gateway.name,
    );
    (namespace_ok && name_ok).then(|| crate::ir::GatewayRef {
        namespace: gateway.namespace.node.clone(),
        name: gateway.name.node.clone(),
    })
}

/// The `namespace NS` and `labels K=V, ...` clauses of a component's selector.
fn selector(
    diags: &mut Diagnostics,
    selector: &mut Selector,
    namespace: Option<&ast::Name>,
    labels: Option<&[ast::Label]>,
) {
    if let Some(ns) = namespace {
        if values::name(
            diags,
            Code::InvalidNamespaceName,
            "namespace name",
            &DNS_LABEL,
            ns,
        ) {
            selector.namespace = ns.node.clone();
        }
    }
    if let Some(labels) = labels {
        selector.labels = values::labels(diags, labels);
    }
}

pub fn range_reversed(span: crate::source::Span, low: u16, high: u16) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidPortRange,
        format!("port range `{low}-{high}` ends before it starts"),
        span,
    )
    .label("the first port must not be greater than the last")
    .help(format!("did you mean `{high}-{low}`?"))
}

/// kube-proxy's masquerade bit: `0x` and hex digits for a 32-bit value with one bit set.
fn masquerade_mark_ok(mark: &str) -> bool {
    let Some(digits) = mark.strip_prefix("0x") else {
        return false;
    };
    if digits.is_empty() || digits.len() > 8 {
        return false;
    }
    u32::from_str_radix(digits, 16).is_ok_and(|value| value.count_ones() == 1)
}

/// Hashed into chain names and shown in comments: printable ASCII without quotes.
fn policy_version_ok(version: &str) -> bool {
    !version.is_empty()
        && version.len() <= 64
        && version
            .chars()
            .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ')
}
