//! No input makes the compiler panic: random bytes, and random sequences of the
//! language's own tokens (which reach far deeper into the parser and the checker).

use proptest::prelude::*;

use crate::common::sources_from;

/// Tokens of the language, including near misses, so that random sequences of them
/// parse some way and reach the checker.
const TOKENS: &[&str] = &[
    "namespace",
    "cluster",
    "app",
    "external",
    "ingress",
    "allow",
    "default",
    "deny",
    "egress",
    "dns",
    "off",
    "on",
    "labels",
    "port",
    "node-port",
    "service",
    "cluster-ip",
    "external-ips",
    "source-ranges",
    "traffic-policy",
    "local",
    "cluster",
    "health-check-node-port",
    "session-affinity",
    "client-ip",
    "timeout",
    "annotation",
    "replicas",
    "endpoint",
    "load-balancer-ingress",
    "host",
    "cidr",
    "except",
    "class",
    "tls",
    "exact",
    "prefix",
    "implementation-specific",
    "service-cidr",
    "pod-cidr",
    "node-port-range",
    "node-ip",
    "node-name",
    "masquerade-mark",
    "localhost-node-ports",
    "random-fully",
    "nfacct",
    "policy-version",
    "world",
    "*",
    "shop",
    "api",
    "web",
    "monitoring/*",
    "shop/api",
    "http",
    "https",
    "{",
    "}",
    "{\n",
    "}\n",
    "->",
    ":",
    ",",
    "\n",
    " ",
    "80",
    "443/udp",
    "30000-30100/tcp",
    "0",
    "65536",
    "99999999999999999999999",
    "10.0.0.0/8",
    "10.0.0.1/24",
    "::1",
    "fd00::/8",
    "1.2.3.4",
    "*.example.com",
    "example.com",
    "/",
    "/api",
    "//x",
    "app=web",
    "tier=\"yes\"",
    "Bad_Key=1",
    "\"string\"",
    "\"unterminated",
    "# comment\n",
    "node-port",
    "load-balancer",
    "headless",
    "none",
    "0x4000",
    "é",
    "\t",
    "-",
    "=",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..80).prop_map(|tokens| tokens.join(" "))
}

/// A valid skeleton with random lines inside an app, to exercise the checker.
fn app_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..12).prop_map(|tokens| {
        format!(
            "namespace shop {{\n  app api {{\n    {}\n  }}\n  app web {{\n    port http 80\n  }}\n  allow web -> api\n}}\n",
            tokens.join(" ")
        )
    })
}

fn compile_and_build(text: &str) {
    let sources = sources_from("prop.knet", text);
    let checked = knetc::compile(&sources);
    // Rendering and JSON must not panic either.
    let _ = knetc::diagnostic::render::render(&checked.diagnostics, &sources, true);
    for diagnostic in &checked.diagnostics {
        let _ = diagnostic.to_json(&sources);
    }
    if checked.model.is_some() {
        assert!(knetc::build_yaml(&sources).is_ok());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        compile_and_build(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_token_sequences_never_panic(text in token_soup()) {
        compile_and_build(&text);
    }

    #[test]
    fn random_app_lines_never_panic(text in app_soup()) {
        compile_and_build(&text);
    }
}

/// The same input gives the same bytes: YAML and both preview formats, twice over.
#[test]
fn output_is_deterministic() {
    for example in [
        "examples/shop.knet",
        "examples/platform.knet",
        "tests/valid/peers.knet",
    ] {
        let path = crate::common::root().join(example);
        let run = || {
            let sources = crate::common::sources_of(&path);
            let model = knetc::compile(&sources).model.expect("compiles");
            (
                knetc::emit::emit_yaml(&model),
                knetc::preview::iptables(&model, knetc::preview::Format::Save),
                knetc::preview::iptables(&model, knetc::preview::Format::Restore),
                knetc::preview::ipset(&model),
            )
        };
        assert_eq!(run(), run(), "{example}");
    }
}
