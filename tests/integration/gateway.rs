//! Gateway API output (`routes gateway-api`, `knet build --routes gateway-api`).
//!
//! - Every example and valid case routes the same requests to the same Service ports
//!   whether its ingresses are written as Ingresses or as HTTPRoutes: the
//!   (namespace, host, path type, path) -> (Service, port) table read back from the YAML
//!   of both modes is identical. An Ingress's default backend counts as the catch-all
//!   (any host, prefix `/`) that knet writes as the HTTPRoute rule it becomes.
//! - The YAML of every example in Gateway API mode is snapshotted.

use knetc::ir::RoutesMode;
use knetc::source::Sources;
use serde::Deserialize;
use serde_yaml::Value;

use crate::common::{relative, rendered, root, sources_of, with_snapshots};

type Entry = (String, String, String, String, String, u64);

fn build(sources: &Sources, routes: RoutesMode) -> Result<String, String> {
    let options = knetc::Options {
        routes: Some(routes),
    };
    knetc::build_yaml_with(sources, options)
        .map(|(yaml, _)| yaml)
        .map_err(|d| rendered(&d, sources))
}

fn text<'a>(value: &'a Value, path: &[&str]) -> &'a str {
    let mut node = value;
    for key in path {
        node = &node[*key];
    }
    node.as_str().unwrap_or("")
}

fn number(value: &Value, path: &[&str]) -> u64 {
    let mut node = value;
    for key in path {
        node = &node[*key];
    }
    node.as_u64().unwrap_or(0)
}

/// Every (namespace, host, path type, path, Service, port) that the Ingresses and
/// HTTPRoutes of a stream route, sorted. Path types in the Ingress's spelling.
fn route_table(yaml: &str) -> Vec<Entry> {
    let mut table = Vec::new();
    for document in serde_yaml::Deserializer::from_str(yaml) {
        let object = Value::deserialize(document).expect("knet writes YAML that parses");
        let namespace = text(&object, &["metadata", "namespace"]).to_string();
        let spec = &object["spec"];
        match text(&object, &["kind"]) {
            "Ingress" => {
                if !spec["defaultBackend"].is_null() {
                    let service = &spec["defaultBackend"]["service"];
                    table.push((
                        namespace.clone(),
                        "*".into(),
                        "Prefix".into(),
                        "/".into(),
                        text(service, &["name"]).into(),
                        number(service, &["port", "number"]),
                    ));
                }
                for rule in spec["rules"].as_sequence().into_iter().flatten() {
                    let host = rule["host"].as_str().unwrap_or("*");
                    for path in rule["http"]["paths"].as_sequence().into_iter().flatten() {
                        let service = &path["backend"]["service"];
                        table.push((
                            namespace.clone(),
                            host.into(),
                            text(path, &["pathType"]).into(),
                            text(path, &["path"]).into(),
                            text(service, &["name"]).into(),
                            number(service, &["port", "number"]),
                        ));
                    }
                }
            }
            "HTTPRoute" => {
                let hosts: Vec<String> = match spec["hostnames"].as_sequence() {
                    Some(names) => names
                        .iter()
                        .filter_map(|h| h.as_str())
                        .map(String::from)
                        .collect(),
                    None => vec!["*".into()],
                };
                for rule in spec["rules"].as_sequence().into_iter().flatten() {
                    let backends = rule["backendRefs"]
                        .as_sequence()
                        .cloned()
                        .unwrap_or_default();
                    assert_eq!(backends.len(), 1, "knet writes one backend per rule");
                    let backend = &backends[0];
                    for m in rule["matches"].as_sequence().into_iter().flatten() {
                        let kind = match text(m, &["path", "type"]) {
                            "PathPrefix" => "Prefix",
                            "RegularExpression" => "ImplementationSpecific",
                            other => other,
                        };
                        for host in &hosts {
                            table.push((
                                namespace.clone(),
                                host.clone(),
                                kind.into(),
                                text(m, &["path", "value"]).into(),
                                text(backend, &["name"]).into(),
                                number(backend, &["port"]),
                            ));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    table.sort();
    table
}

fn units() -> Vec<std::path::PathBuf> {
    let mut units = Vec::new();
    for dir in ["examples", "tests/valid"] {
        let mut files: Vec<_> = std::fs::read_dir(root().join(dir))
            .expect("readable")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "knet"))
            .collect();
        files.sort();
        units.extend(files);
    }
    units
}

#[test]
fn ingress_and_http_routes_route_the_same_requests() {
    let mut compared = 0;
    let mut problems = Vec::new();
    for path in units() {
        let name = relative(&path);
        let sources = sources_of(&path);
        let ingress = build(&sources, RoutesMode::Ingress)
            .unwrap_or_else(|e| panic!("{name} must build with Ingresses:\n{e}"));
        let gateway = match build(&sources, RoutesMode::GatewayApi) {
            Ok(yaml) => yaml,
            // Examples must build in both modes; a valid case may need what only an
            // Ingress has (no class: E0340).
            Err(e) if name.starts_with("tests/") && e.contains("E0340") => continue,
            Err(e) => panic!("{name} must build with Gateway API output:\n{e}"),
        };
        let (a, b) = (route_table(&ingress), route_table(&gateway));
        if a != b {
            problems.push(format!("{name}:\n  Ingress:    {a:?}\n  HTTPRoutes: {b:?}"));
        }
        compared += usize::from(!a.is_empty());
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(compared >= 8, "only {compared} units route anything");
}

#[test]
fn examples_in_gateway_api_mode() {
    with_snapshots("examples-gateway-api", || {
        insta::glob!("../../examples", "*.knet", |path| {
            let name = relative(path);
            let yaml = build(&sources_of(path), RoutesMode::GatewayApi)
                .unwrap_or_else(|e| panic!("{name} must build:\n{e}"));
            insta::assert_snapshot!(yaml);
        });
    });
}

/// In Gateway API mode the Gateway's data-plane pods, not the ingress controller, reach
/// the backends: the evaluator asks about them (`NS/gateway-NAME`), and an `expect` line
/// about `ingress` is about them.
#[test]
fn the_evaluator_asks_about_the_gateway_pods() {
    let source = "cluster {\n  routes gateway-api\n}\nnamespace shop {\n  app web {\n    port http 80 -> 8080\n  }\n  app db {\n    port sql 5432\n  }\n  ingress site {\n    class istio\n    host shop.example.com {\n      / -> web:http\n    }\n  }\n  expect allow ingress -> web:http\n  expect deny ingress -> db:sql\n}\n";
    let mut sources = Sources::new();
    sources.add("gateway-reach.knet", source.to_string());
    let checked = knetc::compile(&sources);
    let model = checked
        .model
        .unwrap_or_else(|| panic!("{}", rendered(&checked.diagnostics, &sources)));
    let matrix = knetc::analysis::matrix::render(
        &knetc::analysis::analyze(&model),
        knetc::analysis::matrix::Format::Text,
    );
    assert!(
        matrix.contains("shop/gateway-site => shop/web : TCP 8080"),
        "{matrix}"
    );
    assert!(
        !matrix.contains("ingress-controller => shop/web"),
        "{matrix}"
    );
    // A line the Gateway's pods contradict is an error.
    let wrong = source.replace(
        "expect deny ingress -> db:sql",
        "expect allow ingress -> db:sql",
    );
    let mut sources = Sources::new();
    sources.add("gateway-reach.knet", wrong);
    let codes: Vec<String> = knetc::compile(&sources)
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.code.as_str().to_string())
        .collect();
    assert_eq!(codes, ["E0339"]);
}
