//! Unit tests of the editor queries, on small units of one or two files.

use super::*;
use crate::source::Sources;

const APPS: &str = "namespace shop {
  app api {
    port http 80 -> 8080
    port metrics 9090
    service api-external {
      type node-port
      ports http
    }
  }
  app web {
    port http 80
  }
  external stripe {
    cidr 3.18.12.0/24
    port https 443
  }
  ingress shop {
    host www.shop.com {
      / -> web:http
    }
  }
}
namespaces teams {
  labels team=payments
}
";

const FLOWS: &str = "namespace shop {
  allow web -> api:http, stripe:https
  allow teams/* -> api:metrics
  allow monitoring/* -> api:{http, metrics}
}
namespace monitoring {
  app prom {
    port web 9090
  }
  allow prom -> shop/api:metrics
}
";

fn unit(files: &[(&str, &str)]) -> Sources {
    let mut sources = Sources::new();
    for (name, text) in files {
        sources.add(*name, *text);
    }
    sources
}

/// The offset of the `nth` occurrence of `needle` in file `file`, plus `delta`.
fn at(sources: &Sources, file: usize, needle: &str, nth: usize, delta: usize) -> usize {
    let text = &sources.get(FileId(file)).expect("file").text;
    text.match_indices(needle).nth(nth).expect("needle").0 + delta
}

fn texts(sources: &Sources, spans: &[Span]) -> Vec<(usize, String)> {
    spans
        .iter()
        .map(|s| (s.file().0, sources.slice(*s).to_string()))
        .collect()
}

#[test]
fn a_unit_without_errors_has_the_compilers_diagnostics() {
    let sources = unit(&[("apps.knet", APPS), ("flows.knet", FLOWS)]);
    let analysis = Analysis::new(&sources);
    assert!(
        analysis.checked.model.is_some(),
        "{:?}",
        analysis.diagnostics()
    );
    assert_eq!(
        analysis.diagnostics(),
        crate::compile(&sources).diagnostics.as_slice()
    );
}

#[test]
fn an_app_is_defined_in_another_file() {
    let sources = unit(&[("apps.knet", APPS), ("flows.knet", FLOWS)]);
    let offset = at(&sources, 1, "api:http", 0, 1);
    let spans = definition(&sources, FileId(1), offset);
    assert_eq!(texts(&sources, &spans), [(0, "api".to_string())]);
    assert_eq!(spans[0].start(), at(&sources, 0, "api", 0, 0));
}

#[test]
fn references_of_an_app_cover_flows_qualified_names_and_the_definition() {
    let sources = unit(&[("apps.knet", APPS), ("flows.knet", FLOWS)]);
    let offset = at(&sources, 0, "app api", 0, 5);
    let spans = references(&sources, FileId(0), offset);
    let files: Vec<usize> = spans.iter().map(|s| s.file().0).collect();
    assert_eq!(files, [0, 1, 1, 1, 1]);
    assert!(texts(&sources, &spans).iter().all(|(_, t)| t == "api"));
}

#[test]
fn ports_resolve_through_flows_backends_braces_and_service_ports_lines() {
    let sources = unit(&[("apps.knet", APPS), ("flows.knet", FLOWS)]);
    let offset = at(&sources, 0, "port http", 0, 6);
    let spans = references(&sources, FileId(0), offset);
    // The definition, `ports http`, `api:http` and `api:{http, ...}`; not `web:http`.
    assert_eq!(spans.len(), 4, "{:?}", texts(&sources, &spans));
    let metrics = at(&sources, 1, "shop/api:metrics", 0, 10);
    let defs = definition(&sources, FileId(1), metrics);
    assert_eq!(defs[0].start(), at(&sources, 0, "metrics", 0, 0));
}

#[test]
fn a_namespace_has_a_definition_per_block_and_groups_are_not_namespaces() {
    let sources = unit(&[("apps.knet", APPS), ("flows.knet", FLOWS)]);
    let offset = at(&sources, 1, "shop/api", 0, 1);
    assert_eq!(definition(&sources, FileId(1), offset).len(), 2);
    let group = at(&sources, 1, "teams/*", 0, 1);
    let defs = definition(&sources, FileId(1), group);
    assert_eq!(defs[0].start(), at(&sources, 0, "teams", 0, 0));
    let monitoring = at(&sources, 1, "monitoring/*", 0, 1);
    assert_eq!(definition(&sources, FileId(1), monitoring).len(), 1);
}

#[test]
fn hover_shows_a_ports_number_protocol_and_target() {
    let sources = unit(&[("apps.knet", APPS), ("flows.knet", FLOWS)]);
    let offset = at(&sources, 1, "api:http", 0, 5);
    let text = hover(&sources, FileId(1), offset).expect("hover");
    assert_eq!(text, "port `http` of app `api`: 80/TCP → target 8080");
    let stripe = at(&sources, 1, "https", 0, 0);
    let text = hover(&sources, FileId(1), stripe).expect("hover");
    assert_eq!(text, "port `https` of external `stripe`: 443/TCP");
}

#[test]
fn hover_on_an_allow_line_names_its_policies() {
    let sources = unit(&[("apps.knet", APPS), ("flows.knet", FLOWS)]);
    let offset = at(&sources, 1, "allow web", 0, 2);
    let text = hover(&sources, FileId(1), offset).expect("hover");
    assert!(
        text.contains("NetworkPolicy `web-egress` in namespace `shop`"),
        "{text}"
    );
    assert!(text.contains("NetworkPolicy `api-ingress` in namespace `shop`: an ingress rule from app `shop/web` on TCP 8080"), "{text}");
}

#[test]
fn hover_on_an_allow_line_of_a_unit_with_errors_says_why_it_cannot_say_more() {
    let broken = FLOWS.replace("api:http", "api:htp");
    let sources = unit(&[("apps.knet", APPS), ("flows.knet", &broken)]);
    let offset = at(&sources, 1, "allow web", 0, 2);
    let text = hover(&sources, FileId(1), offset).expect("hover");
    assert!(text.contains("has errors"), "{text}");
}

#[test]
fn hover_on_a_code_in_an_allow_comment_is_its_summary() {
    let text = "namespace a {\n  # knet: allow(W0106)\n}\n";
    let sources = unit(&[("a.knet", text)]);
    let offset = text.find("W0106").expect("code") + 2;
    let hovered = hover(&sources, FileId(0), offset).expect("hover");
    assert!(hovered.starts_with("`W0106` (warning): "), "{hovered}");
}

fn labels(completions: &[Completion]) -> Vec<&str> {
    completions.iter().map(|c| c.label.as_str()).collect()
}

#[test]
fn completes_ports_after_a_colon_and_in_braces_while_the_line_is_broken() {
    let text = FLOWS.replace("allow web -> api:http, stripe:https", "allow web -> api:");
    let sources = unit(&[("apps.knet", APPS), ("flows.knet", &text)]);
    let analysis = Analysis::new(&sources);
    let offset = at(&sources, 1, "api:", 0, 4);
    assert_eq!(
        labels(&analysis.completions(&sources, FileId(1), offset)),
        ["http", "metrics"]
    );
    let braces = at(&sources, 1, "api:{http, ", 0, 11);
    assert_eq!(
        labels(&analysis.completions(&sources, FileId(1), braces)),
        ["http", "metrics"]
    );
    let qualified = at(&sources, 1, "shop/api:", 0, 9);
    let items = analysis.completions(&sources, FileId(1), qualified);
    assert_eq!(labels(&items), ["http", "metrics"]);
    assert_eq!(items[0].detail.as_deref(), Some("80/TCP → target 8080"));
}

#[test]
fn completes_peers_after_the_arrow() {
    let text = FLOWS.replace("allow web -> api:http, stripe:https", "allow web -> a");
    let sources = unit(&[("apps.knet", APPS), ("flows.knet", &text)]);
    let offset = at(&sources, 1, "-> a", 0, 4);
    let items = completions(&sources, FileId(1), offset);
    let names = labels(&items);
    for expected in [
        "api",
        "web",
        "stripe",
        "world",
        "ingress",
        "any",
        "*/*",
        "shop/",
        "monitoring/",
        "teams/*",
    ] {
        assert!(names.contains(&expected), "{expected} in {names:?}");
    }
    assert!(!names.contains(&"api-external"), "{names:?}");
    // The typed `a` is replaced.
    assert_eq!(items[0].replace.end() - items[0].replace.start(), 1);
}

#[test]
fn completes_apps_after_a_namespace_and_backends_after_an_arrow() {
    let text = FLOWS.replace("allow prom -> shop/api:metrics", "allow prom -> shop/");
    let sources = unit(&[("apps.knet", APPS), ("flows.knet", &text)]);
    let offset = at(&sources, 1, "shop/", 0, 5);
    assert_eq!(
        labels(&completions(&sources, FileId(1), offset)),
        ["api", "web", "*"]
    );
    let route = APPS.replace("/ -> web:http", "/ -> ");
    let sources = unit(&[("apps.knet", &route)]);
    let offset = at(&sources, 0, "/ -> ", 0, 5);
    assert_eq!(
        labels(&completions(&sources, FileId(0), offset)),
        ["api", "web"]
    );
    let port = at(&sources, 0, "ports http", 0, 6);
    assert_eq!(
        labels(&completions(&sources, FileId(0), port)),
        ["http", "metrics"]
    );
}

#[test]
fn did_you_mean_becomes_a_quick_fix() {
    let broken = FLOWS
        .replace("web -> api:http", "web -> apii:http")
        .replace("shop/api:metrics", "shpo/api:metrics");
    let sources = unit(&[("apps.knet", APPS), ("flows.knet", &broken)]);
    let analysis = Analysis::new(&sources);
    let fixes = analysis.quick_fixes(&sources);
    let edits: Vec<(&str, &str)> = fixes
        .iter()
        .map(|f| (sources.slice(f.span), f.replacement.as_str()))
        .collect();
    assert_eq!(edits, [("apii", "api"), ("shpo", "shop")], "{fixes:?}");
    assert_eq!(fixes[0].title, "replace `apii` with `api`");
}

#[test]
fn no_query_panics_at_any_offset_or_file() {
    let broken = "namespace a {\n  app é {\n    port x 8é\n  allow é -> :{\n";
    let sources = unit(&[("apps.knet", APPS), ("b.knet", broken), ("c.knet", FLOWS)]);
    let analysis = Analysis::new(&sources);
    for file in 0..4 {
        let len = sources.get(FileId(file)).map_or(10, |f| f.text.len());
        for offset in 0..len + 3 {
            let file = FileId(file);
            let _ = analysis.definition(file, offset);
            let _ = analysis.references(file, offset);
            let _ = analysis.hover(&sources, file, offset);
            let _ = analysis.completions(&sources, file, offset);
        }
    }
    let _ = analysis.quick_fixes(&sources);
}
