//! Services (every type, and `ExternalName` for externals with `host`) and Ingresses.

use super::block::Map;
use super::{labelled_metadata, metadata, object};
use crate::ir::{self, ServiceType, TargetPort, TrafficPolicy};
use crate::sink::Sink;

/// The namespace's Services, each written as it is made: a namespace may hold 100,000
/// of them.
pub fn services(out: &mut Sink, ns: &ir::Namespace) {
    let apps = ns
        .apps
        .values()
        .flat_map(ir::App::services)
        .filter(|app| app.service != ServiceType::None && !app.ports.is_empty());
    for app in apps {
        app_service(out, &ns.name, app);
    }
    for external in ns.externals.values() {
        let Some(host) = &external.host else {
            continue;
        };
        object(
            out,
            "v1",
            "Service",
            metadata(&external.name, &ns.name, None),
            |spec| {
                spec.str("type", "ExternalName");
                spec.str("externalName", host);
            },
        );
    }
}

fn app_service(out: &mut Sink, namespace: &str, app: &ir::App) {
    let kind = match app.service {
        ServiceType::NodePort => "NodePort",
        ServiceType::LoadBalancer => "LoadBalancer",
        ServiceType::ClusterIp | ServiceType::Headless | ServiceType::None => "ClusterIP",
    };
    let cluster_ip = match app.service {
        ServiceType::Headless => Some("None".to_string()),
        _ => app.settings.cluster_ip.map(|ip| ip.to_string()),
    };
    let spec = |spec: &mut Map| {
        spec.str("type", kind);
        spec.opt_str("clusterIP", cluster_ip.as_deref());
        spec.strings("selector", app.labels.as_ref());
        spec.seq("ports", |ports| {
            for port in &app.ports {
                ports.map(|entry| {
                    // Kubernetes lets a single port go unnamed.
                    if !port.name.is_empty() {
                        entry.str("name", &port.name);
                    }
                    entry.int("port", port.port);
                    match &port.target {
                        TargetPort::Number(n) => entry.int("targetPort", *n),
                        TargetPort::Name(name) => entry.str("targetPort", name),
                    }
                    entry.str("protocol", port.protocol.as_k8s());
                    entry.opt_int("nodePort", port.node_port);
                });
            }
        });
        spec.seq_if_any("externalIPs", |ips| {
            app.settings
                .external_ips
                .iter()
                .for_each(|ip| ips.str(&ip.to_string()));
        });
        spec.seq_if_any("loadBalancerSourceRanges", |ranges| {
            app.settings
                .source_ranges
                .iter()
                .for_each(|range| ranges.str(&range.to_string()));
        });
        spec.opt_str(
            "externalTrafficPolicy",
            app.settings.traffic_policy.map(|p| match p {
                TrafficPolicy::Local => "Local",
                TrafficPolicy::Cluster => "Cluster",
            }),
        );
        spec.opt_int("healthCheckNodePort", app.settings.health_check_node_port);
        spec.opt_str(
            "sessionAffinity",
            app.settings.session_affinity.map(|_| "ClientIP"),
        );
        if let Some(timeout) = app.settings.session_affinity.flatten() {
            spec.map("sessionAffinityConfig", |config| {
                config.map("clientIP", |client| client.int("timeoutSeconds", timeout));
            });
        }
    };
    object(
        out,
        "v1",
        "Service",
        // The pods' labels, then the Service's own (`service-labels`).
        labelled_metadata(
            &app.name,
            namespace,
            &app.labels,
            &app.settings.service_labels,
            Some(&app.settings.annotations),
        ),
        spec,
    );
}

fn backend(map: &mut Map, backend: &ir::Backend) {
    map.map("service", |service| {
        service.str("name", &backend.service);
        service.map("port", |port| port.int("number", backend.port));
    });
}

pub fn ingress(out: &mut Sink, namespace: &str, ingress: &ir::Ingress) {
    let spec = |spec: &mut Map| {
        spec.opt_str("ingressClassName", ingress.class.as_deref());
        if let Some(default) = &ingress.default_backend {
            spec.map("defaultBackend", |map| backend(map, default));
        }
        spec.seq_if_any("tls", |tls| {
            for (secret, hosts) in &ingress.tls {
                tls.map(|entry| {
                    entry.seq("hosts", |list| hosts.iter().for_each(|h| list.str(h)));
                    entry.str("secretName", secret);
                });
            }
        });
        spec.seq_if_any("rules", |rules| {
            for rule in &ingress.rules {
                rules.map(|entry| {
                    entry.opt_str("host", rule.host.as_deref());
                    entry.map_if_any("http", |http| {
                        http.seq_if_any("paths", |paths| {
                            for path in &rule.paths {
                                paths.map(|item| {
                                    item.str("path", &path.path);
                                    item.str("pathType", path.path_type.as_k8s());
                                    item.map("backend", |b| backend(b, &path.backend));
                                });
                            }
                        });
                    });
                });
            }
        });
    };
    object(
        out,
        "networking.k8s.io/v1",
        "Ingress",
        metadata(&ingress.name, namespace, Some(&ingress.annotations)),
        spec,
    );
}
