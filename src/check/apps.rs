//! One `app` block to an [`ir::App`]: its name (`E0102`, `E0117`), lines given twice
//! (`E0302`), ports (`E0104`, `E0115`, `E0205`, `E0206`, `E0309`), and the Service rules
//! of the API server: which settings each Service type allows (`E0311`-`E0316`, `E0320`),
//! session affinity (`E0214`), external IPs (`E0210`), annotations (`E0323`), and the
//! preview lines (`E0217`, `E0220`, `E0317`).

use crate::collections::SmallMap;

use super::cluster::setting_twice;
use super::declare::{port_name, reserved};
use super::values::{self, DNS_1035_LABEL, IANA_NAME};
use super::{rules, services, Diagnostics};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{self, ServiceType, TargetPort, TrafficPolicy};
use crate::source::Span;
use crate::syntax::ast::{self, AppLine, PortTarget, Spanned};

const SERVICE_TYPES: [(&str, ServiceType); 5] = [
    ("cluster-ip", ServiceType::ClusterIp),
    ("node-port", ServiceType::NodePort),
    ("load-balancer", ServiceType::LoadBalancer),
    ("headless", ServiceType::Headless),
    ("none", ServiceType::None),
];
const TRAFFIC_POLICIES: [(&str, TrafficPolicy); 2] = [
    ("local", TrafficPolicy::Local),
    ("cluster", TrafficPolicy::Cluster),
];
const AFFINITIES: [(&str, ()); 1] = [("client-ip", ())];

/// Kubernetes' limit on `sessionAffinityConfig.clientIP.timeoutSeconds`.
const MAX_AFFINITY_TIMEOUT: u64 = 86_400;
/// The most replicas one app may preview (`E0220`): every replica gets its own chains
/// and rules, and kube-proxy's large-cluster mode starts at 1,000 endpoints in total.
pub const MAX_REPLICAS: u64 = 1_000;

/// Checks an app; `app_label` is the label key of an app without `labels`.
pub fn check(
    diags: &mut Diagnostics,
    cluster: &ir::Cluster,
    app_label: &str,
    app: &ast::App,
) -> ir::App {
    values::name(
        diags,
        Code::InvalidServiceName,
        "app name",
        &DNS_1035_LABEL,
        &app.name,
    );
    reserved(diags, "app", &app.name);
    let mut out = ir::App {
        name: app.name.node.clone(),
        labels: Default::default(),
        extra_services: Vec::new(),
        // Room for exactly the app's ports: a `Vec` grows through room for four, and
        // a large model has tens of thousands of apps with one or two.
        ports: Vec::with_capacity(
            app.lines
                .iter()
                .filter(|line| matches!(line.node, AppLine::Port(_)))
                .count(),
        ),
        service: ServiceType::ClusterIp,
        settings: Default::default(),
        preview: ir::AppPreview {
            replicas: 1,
            ..Default::default()
        },
    };
    let mut explicit_service: Option<&ast::Name> = None;
    let mut seen: Vec<&Spanned<AppLine>> = Vec::with_capacity(app.lines.len());
    let mut port_decls: Vec<&ast::PortDecl> = Vec::with_capacity(out.ports.capacity());
    let mut port_names: SmallMap<&str, &ast::Name> = SmallMap::new();
    let mut labels_written = false;
    let mut extra_services: Vec<&ast::ServiceBlock> = Vec::new();
    for line in &app.lines {
        let repeatable = matches!(
            line.node,
            AppLine::Port(_)
                | AppLine::ExtraService(_)
                | AppLine::Annotation(_)
                | AppLine::Endpoint { .. }
                | AppLine::LoadBalancerIngress(_)
        );
        if !repeatable {
            if let Some(first) = seen
                .iter()
                .find(|l| l.node.keyword() == line.node.keyword())
            {
                diags.push(setting_twice(line.node.keyword(), line.span, first.span));
                continue;
            }
            seen.push(line);
        }
        match &line.node {
            AppLine::Labels(labels) => {
                labels_written = true;
                out.labels = std::sync::Arc::new(values::labels(diags, labels));
            }
            AppLine::Port(decl) => {
                if decl.named {
                    // Only the first port of that name, if any: an app may have thousands.
                    let first = port_names.first_or_insert(&decl.name.node, &decl.name);
                    port_name(diags, first.copied().as_slice(), &decl.name);
                }
                port_decls.push(decl);
                if let Some(port) = service_port(diags, decl) {
                    out.ports.push(port);
                }
            }
            AppLine::Service(kind) => {
                explicit_service = Some(kind);
                if let Some(kind) = values::keyword(
                    diags,
                    Code::UnknownServiceType,
                    "service type",
                    kind,
                    &SERVICE_TYPES,
                ) {
                    out.service = kind;
                }
            }
            AppLine::ClusterIp(ip) => out.settings.cluster_ip = values::ip(diags, ip),
            AppLine::ExternalIps(ips) => {
                for written in ips {
                    let Some(ip) = values::ip(diags, written) else {
                        continue;
                    };
                    match rules::external_ip(ip) {
                        Ok(()) => out.settings.external_ips.push(ip),
                        Err(reasons) => diags.push(values::value_error(
                            Code::InvalidExternalIp,
                            format!("`{ip}` cannot be an external IP"),
                            written.span,
                            &reasons,
                        )),
                    }
                }
            }
            AppLine::SourceRanges(ranges) => {
                out.settings.source_ranges = ranges
                    .iter()
                    .filter_map(|r| values::cidr(diags, r))
                    .collect();
            }
            AppLine::TrafficPolicy(policy) => {
                out.settings.traffic_policy = values::keyword(
                    diags,
                    Code::UnknownTrafficPolicy,
                    "traffic policy",
                    policy,
                    &TRAFFIC_POLICIES,
                );
            }
            AppLine::HealthCheckNodePort(port) => {
                out.settings.health_check_node_port =
                    values::port(diags, port, "health-check node port")
                        .filter(|p| node_port_in_range(diags, cluster, *p, port.span));
            }
            AppLine::SessionAffinity { mode, timeout } => {
                let mode = values::keyword(
                    diags,
                    Code::UnknownSessionAffinity,
                    "session affinity",
                    mode,
                    &AFFINITIES,
                );
                let timeout = timeout.as_ref().and_then(|t| affinity_timeout(diags, t));
                if mode.is_some() {
                    out.settings.session_affinity = Some(timeout);
                }
            }
            AppLine::Annotation(annotation) => {
                if values::annotation_key(diags, &annotation.key) {
                    out.settings
                        .annotations
                        .insert(annotation.key.node.clone(), annotation.value.node.clone());
                }
            }
            AppLine::Replicas(n) => {
                let count = values::bounded(diags, n, "replicas", u64::from(u32::MAX));
                if let Some(count) = count.filter(|c| preview_replicas(diags, *c, n.span)) {
                    out.preview.replicas = u32::try_from(count).unwrap_or(u32::MAX);
                }
            }
            AppLine::Endpoint { address, local } => {
                if let Some(address) = values::ip(diags, address) {
                    out.preview.endpoints.push(ir::PreviewEndpoint {
                        address,
                        local: *local,
                    });
                }
            }
            AppLine::LoadBalancerIngress(ip) => {
                if let Some(ip) = values::ip(diags, ip) {
                    out.preview.load_balancer_ingress.push(ip);
                }
            }
            AppLine::ServiceLabels(labels) => {
                out.settings.service_labels = values::labels(diags, labels)
            }
            AppLine::ExtraService(block) => extra_services.push(block),
            // Lines of `service NAME { ... }` blocks only (the grammar keeps them there);
            // `services::as_app` turns them into app lines.
            AppLine::Type(_) | AppLine::Ports(_) | AppLine::NodePort { .. } => {}
        }
    }
    if !labels_written {
        std::sync::Arc::make_mut(&mut out.labels)
            .insert(app_label.to_string(), app.name.node.clone());
    }
    unnamed_ports(diags, app, &port_decls);
    if out.ports.is_empty() && port_decls.is_empty() {
        out.service = ServiceType::None;
    }
    service_rules(diags, cluster, app, &out, explicit_service, &port_decls);
    for block in extra_services {
        let Some(extra) = services::as_app(diags, app, block) else {
            continue;
        };
        // The extra Service repeats the app's port lines: what is wrong with those was
        // reported once already.
        let mut own = Diagnostics::new();
        let service = check(&mut own, cluster, app_label, &extra.app);
        own.retain(|d| !diags.contains(d));
        diags.append(&mut own);
        let labels = values::labels(diags, &extra.labels);
        out.extra_services
            .push(services::finish(&out, service, labels));
    }
    out
}

/// Kubernetes lets a Service's port go unnamed only when it is the only port.
fn unnamed_ports(diags: &mut Diagnostics, app: &ast::App, port_decls: &[&ast::PortDecl]) {
    if port_decls.len() < 2 {
        return;
    }
    for decl in port_decls.iter().filter(|d| !d.named) {
        diags.push(
            Diagnostic::new(
                Code::PortNameRequired,
                format!(
                    "port {} needs a name: app `{}` has {} ports",
                    decl.name.node,
                    app.name.node,
                    port_decls.len()
                ),
                decl.name.span,
            )
            .label("unnamed port")
            .note("with two or more ports every port needs a name (a Service may leave only a single port unnamed)")
            .help(format!("name it, as in `port NAME {}`", decl.name.node)),
        );
    }
}

fn service_port(diags: &mut Diagnostics, decl: &ast::PortDecl) -> Option<ir::ServicePort> {
    let port = values::port(diags, &decl.port.number, "port");
    let protocol = values::protocol(diags, decl.port.protocol.as_deref());
    let target = match &decl.target {
        None => port.map(TargetPort::Number),
        Some(Spanned {
            node: PortTarget::Number(n),
            span,
        }) => values::port(diags, &Spanned::new(*n, *span), "target port").map(TargetPort::Number),
        Some(Spanned {
            node: PortTarget::Name(name),
            span,
        }) => {
            let name = Spanned::new(name.clone(), *span);
            values::name(
                diags,
                Code::InvalidPortName,
                "target port name",
                &IANA_NAME,
                &name,
            )
            .then_some(TargetPort::Name(name.node))
        }
    };
    let node_port = match &decl.node_port {
        Some(n) => Some(values::port(diags, n, "node port")?),
        None => None,
    };
    Some(ir::ServicePort {
        name: if decl.named {
            decl.name.node.clone()
        } else {
            String::new()
        },
        port: port?,
        protocol: protocol?,
        target: target?,
        node_port,
    })
}

pub fn node_port_in_range(
    diags: &mut Diagnostics,
    cluster: &ir::Cluster,
    port: u16,
    span: Span,
) -> bool {
    let (low, high) = cluster.node_port_range;
    if (low..=high).contains(&port) {
        return true;
    }
    diags.push(
        Diagnostic::new(
            Code::NodePortOutOfRange,
            format!("node port {port} is outside the node-port range {low}-{high}"),
            span,
        )
        .label(format!("must be between {low} and {high}"))
        .help("pick a port in the range, or set the cluster's `node-port-range` to the API server's `--service-node-port-range`"),
    );
    false
}

/// `E0220`: `replicas` only sizes the preview, so a number beyond any real Service is a
/// typo that would make the preview enormous.
fn preview_replicas(diags: &mut Diagnostics, count: u64, span: Span) -> bool {
    if count <= MAX_REPLICAS {
        return true;
    }
    diags.push(
        Diagnostic::new(
            Code::TooManyReplicas,
            format!("replicas `{count}` is above the preview maximum of {MAX_REPLICAS}"),
            span,
        )
        .label(format!("at most {MAX_REPLICAS} per app"))
        .note("`replicas` sizes only the preview: every replica gets its own endpoint chain and rules")
        .help(format!("preview with at most {MAX_REPLICAS} replicas; the YAML does not depend on the number")),
    );
    false
}

fn affinity_timeout(diags: &mut Diagnostics, timeout: &ast::Number) -> Option<u32> {
    if (1..=MAX_AFFINITY_TIMEOUT).contains(&timeout.node) {
        return u32::try_from(timeout.node).ok();
    }
    diags.push(
        Diagnostic::new(
            Code::InvalidAffinityTimeout,
            "session-affinity timeout out of range",
            timeout.span,
        )
        .label("must be between 1 and 86400 seconds")
        .help("the default, when no timeout is given, is 10800 seconds (3 hours)"),
    );
    None
}

/// The rules that tie a Service's settings to its type.
fn service_rules(
    diags: &mut Diagnostics,
    cluster: &ir::Cluster,
    app: &ast::App,
    out: &ir::App,
    explicit_service: Option<&ast::Name>,
    port_decls: &[&ast::PortDecl],
) {
    let kind = out.service;
    let type_word = SERVICE_TYPES
        .iter()
        .find(|(_, k)| *k == kind)
        .map_or("cluster-ip", |(w, _)| *w);
    let type_span = explicit_service.map(|s| s.span);
    let describe_type = |d: Diagnostic| match type_span {
        Some(span) => d.secondary(span, format!("the Service is `{type_word}` here")),
        None => d.note(format!("the Service type is `{type_word}` (the default)")),
    };
    let has_service = !matches!(kind, ServiceType::None) && !port_decls.is_empty();

    for line in &app.lines {
        let span = line.span;
        let keyword = line.node.keyword();
        let service_setting = matches!(
            line.node,
            AppLine::ClusterIp(_)
                | AppLine::ExternalIps(_)
                | AppLine::SourceRanges(_)
                | AppLine::TrafficPolicy(_)
                | AppLine::HealthCheckNodePort(_)
                | AppLine::SessionAffinity { .. }
                | AppLine::Annotation(_)
        ) || (matches!(&line.node, AppLine::Service(kind) if kind.node != "none")
            && port_decls.is_empty());
        if service_setting && !has_service {
            let why = if port_decls.is_empty() {
                "an app without ports gets no Service"
            } else {
                "`service none` means no Service"
            };
            diags.push(
                Diagnostic::new(
                    Code::ServiceWithoutPorts,
                    format!(
                        "`{keyword}` has no effect: app `{}` has no Service",
                        app.name.node
                    ),
                    span,
                )
                .label("this configures a Service")
                .note(why)
                .help("remove the line, or give the app a port and a Service type"),
            );
            continue;
        }
        match &line.node {
            AppLine::SourceRanges(_) if kind != ServiceType::LoadBalancer => diags.push(describe_type(
                Diagnostic::new(
                    Code::SourceRangesNotLoadBalancer,
                    "`source-ranges` is only allowed on a load balancer",
                    span,
                )
                .label("not allowed for this Service type")
                .help("use `service load-balancer`, or narrow access with a flow from an external instead"),
            )),
            AppLine::TrafficPolicy(_)
                if !kind.exposed_on_nodes()
                    && (kind != ServiceType::ClusterIp || out.settings.external_ips.is_empty()) =>
            {
                diags.push(describe_type(
                    Diagnostic::new(
                        Code::TrafficPolicyNotExternal,
                        "`traffic-policy` is only allowed on an externally accessible Service",
                        span,
                    )
                    .label("not allowed for this Service")
                    .note("externally accessible: `node-port`, `load-balancer`, or `cluster-ip` with `external-ips`")
                    .help("remove the line, or change the Service type"),
                ))
            }
            AppLine::HealthCheckNodePort(_)
                if !(kind == ServiceType::LoadBalancer && out.settings.traffic_policy == Some(TrafficPolicy::Local)) =>
            {
                diags.push(describe_type(
                    Diagnostic::new(
                        Code::HealthCheckNodePortMisplaced,
                        "`health-check-node-port` needs a load balancer with `traffic-policy local`",
                        span,
                    )
                    .label("not allowed here")
                    .note("Kubernetes allocates a health-check node port only for `type: LoadBalancer` with `externalTrafficPolicy: Local`")
                    .help(if kind == ServiceType::LoadBalancer {
                        "add `traffic-policy local`, or remove the line"
                    } else {
                        "add `service load-balancer` and `traffic-policy local`, or remove the line"
                    }),
                ))
            }
            AppLine::ClusterIp(_) if kind == ServiceType::Headless => diags.push(describe_type(
                Diagnostic::new(
                    Code::ClusterIpNotAllowed,
                    "a headless Service cannot have a `cluster-ip`",
                    span,
                )
                .label("not allowed on a headless Service")
                .note("headless means `clusterIP: None`")
                .help("remove the line, or use `service cluster-ip`"),
            )),
            _ => {}
        }
    }

    for decl in port_decls {
        let Some(node_port) = &decl.node_port else {
            continue;
        };
        match kind {
            ServiceType::NodePort | ServiceType::LoadBalancer => {
                if let Ok(port) = u16::try_from(node_port.node) {
                    if port >= 1 {
                        node_port_in_range(diags, cluster, port, node_port.span);
                    }
                }
            }
            ServiceType::Headless => diags.push(describe_type(
                Diagnostic::new(Code::HeadlessExposed, "a headless Service cannot have node ports", node_port.span)
                    .label("node port on a headless Service")
                    .note("Kubernetes rejects `clusterIP: None` with `type: NodePort` or `LoadBalancer`")
                    .help("remove the node port, or use `service node-port`"),
            )),
            _ => diags.push(describe_type(
                Diagnostic::new(
                    Code::NodePortNotExposed,
                    format!("port `{}` has a node port, but the Service is not exposed on nodes", decl.name.node),
                    node_port.span,
                )
                .label("node port here")
                .help("add `service node-port` (or `service load-balancer`) to the app, or remove the node port"),
            )),
        }
    }

    duplicate_ports(diags, port_decls);
    let first_line = |kw: &'static str| app.lines.iter().find(|l| l.node.keyword() == kw);
    if let (Some(replicas), Some(endpoint)) = (first_line("replicas"), first_line("endpoint")) {
        diags.push(
            Diagnostic::new(
                Code::ReplicasAndEndpoints,
                "an app has `replicas` or `endpoint` lines, not both",
                replicas.span,
            )
            .label("`replicas` here")
            .secondary(endpoint.span, "`endpoint` here")
            .help("list every endpoint, or give only the number of replicas"),
        );
    }
    values::annotations_size(diags, "Service", &out.settings.annotations, app.name.span);
}

/// Two ports with one (protocol, port) in a Service (`E0309`), or two ports with one
/// node port (`E0310`). The API server's node-port allocator tracks numbers, not
/// protocols: inside one Service, ports share a node port only when they share a port
/// number (`443/tcp` and `443/udp`); `80/tcp` and `53/udp` on one node port fail with
/// `provided port is already allocated`. Indexed, as an app may have thousands of ports.
fn duplicate_ports<'a>(diags: &mut Diagnostics, port_decls: &[&'a ast::PortDecl]) {
    let protocol = |decl: &'a ast::PortDecl| {
        decl.port
            .protocol
            .as_ref()
            .map_or("tcp", |p| p.node.as_str())
    };
    let mut ports: SmallMap<(&str, u64), &ast::PortDecl> = SmallMap::new();
    let mut node_ports: SmallMap<u64, &ast::PortDecl> = SmallMap::new();
    for &decl in port_decls {
        let number = decl.port.number.node;
        let protocol = protocol(decl);
        if let Some(first) = ports.first_or_insert((protocol, number), decl) {
            diags.push(
                Diagnostic::new(
                    Code::DuplicateServicePort,
                    format!("port {number}/{protocol} is declared twice"),
                    decl.port.number.span,
                )
                .label(format!("`{}` uses {number}/{protocol}", decl.name.node))
                .secondary(
                    first.port.number.span,
                    format!("`{}` already uses it", first.name.node),
                )
                .help("a Service can serve one port number once per protocol"),
            );
        }
        let Some(node_port) = &decl.node_port else {
            continue;
        };
        match node_ports.first_or_insert(node_port.node, decl) {
            Some(first) if first.port.number.node != number => {
                let first_node_port = first.node_port.as_ref().map_or(first.name.span, |n| n.span);
                diags.push(duplicate_node_port(
                    node_port.node,
                    node_port.span,
                    first_node_port,
                    format!(
                        "inside one Service, two ports share a node port only when they have the same port number, such as `443/tcp` and `443/udp`; here `{}` is port {} and `{}` port {number}",
                        first.name.node, first.port.number.node, decl.name.node
                    ),
                ));
            }
            _ => {}
        }
    }
}

/// `E0310`, with a note that says why these two uses collide.
pub fn duplicate_node_port(port: u64, span: Span, first: Span, why: String) -> Diagnostic {
    Diagnostic::new(
        Code::DuplicateNodePort,
        format!("node port {port} is used twice"),
        span,
    )
    .label("used again here")
    .secondary(first, "first used here")
    .note(why)
    .help(
        "give each Service port its own node port, or leave it out to let Kubernetes allocate one",
    )
}
