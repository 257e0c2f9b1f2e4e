//! `cargo bench`: how long `knet check` and `knet build` take on large models.
//!
//! The model is generated: one namespace with N apps (each with two ports and its own
//! labels plus a shared `tier` label), a flow from each app to the next, an ingress
//! route per 10 apps, and every 100th app exposed as a node port. The pairwise
//! checks (label subsets, covered flows, shadowed routes) see every app of the
//! namespace. Prints the median of several runs for each size.
//!
//! The model's YAML is also imported back (`knet import`), up to 10,000 apps.
//!
//! Then the pathological shapes of issue 7, each generated here: one line of 50,000
//! comma-separated items (destinations, repeated destinations and sources, ports,
//! labels, external IPs, CIDRs, the ports and port ranges of one external), 10,000
//! externals allowed to one app, 10,000 apps in 100 groups labelled alike (a warning
//! each, not one for each pair), an app with 40,000 ports, 32,000 `allow` lines, a
//! `labels` line with 95,000 labels, 20,000 ports of one app each allowed from one
//! external, 10,000 hosts in one ingress and 10,000 ingresses in one namespace, 10,000
//! namespaces of one app each, 10,000 `expect` lines, and the largest preview
//! `replicas` allows. Each must grow linearly and stay well under a second,
//! except the `expect` lines, which build the YAML and read it back (about a second for
//! 10,000); the time is `compile` (or `compile` + preview), not the rendering of its
//! diagnostics.

mod common;

use common::{sizes, time};

use knetc::source::Sources;

/// `namespace n { app src, app dst, BODY }`.
fn two_apps(body: &str) -> String {
    format!(
        "namespace n {{\n  app src {{\n    port http 80\n  }}\n  app dst {{\n    port http 80\n  }}\n{body}}}\n"
    )
}

fn list(n: usize, item: impl Fn(usize) -> String) -> String {
    (0..n).map(item).collect::<Vec<_>>().join(", ")
}

/// The pathological shapes: (name, source, whether to time the preview too).
fn shapes() -> Vec<(&'static str, String, bool)> {
    const N: usize = 50_000;
    let apps = |n: usize| -> String {
        (0..n)
            .map(|i| format!("  app a{i} {{\n    port http 80\n  }}\n"))
            .collect()
    };
    vec![
        (
            "50,000 destinations on one line",
            format!(
                "namespace n {{\n  app src {{\n  }}\n{}  allow src -> {}\n}}\n",
                apps(N),
                list(N, |i| format!("a{i}"))
            ),
            false,
        ),
        (
            "one destination repeated 50,000 times",
            two_apps(&format!("  allow src -> {}\n", list(N, |_| "dst".into()))),
            false,
        ),
        (
            "one source repeated 50,000 times",
            two_apps(&format!("  allow {} -> dst\n", list(N, |_| "src".into()))),
            false,
        ),
        (
            "one port repeated 50,000 times",
            two_apps(&format!("  allow src -> dst:{{{}}}\n", list(N, |_| "http".into()))),
            false,
        ),
        (
            "50,000 ports of one external on one line",
            format!(
                "namespace n {{\n  app a {{\n  }}\n  external e {{\n    cidr 10.0.0.0/8\n  }}\n  allow a -> {}\n}}\n",
                list(N, |i| format!("e:{}", 1 + i % 65_535))
            ),
            false,
        ),
        (
            "50,000 port ranges of one external on one line",
            format!(
                "namespace n {{\n  app a {{\n  }}\n  external e {{\n    cidr 10.0.0.0/8\n  }}\n  allow a -> {}\n}}\n",
                list(N, |i| {
                    let low = 1 + (2 * i) % 65_000;
                    format!("e:{low}-{}", low + 1)
                })
            ),
            false,
        ),
        (
            "10,000 externals to one app on one line",
            format!(
                "namespace n {{\n  app a {{\n    port http 80\n  }}\n{}  allow {} -> a\n}}\n",
                (0..10_000)
                    .map(|i| format!("  external e{i} {{\n    cidr 10.{}.{}.0/24\n  }}\n", i / 256, i % 256))
                    .collect::<String>(),
                list(10_000, |i| format!("e{i}"))
            ),
            false,
        ),
        (
            "50,000 external IPs",
            format!(
                "namespace n {{\n  app a {{\n    port http 80\n    external-ips {}\n  }}\n}}\n",
                list(N, |i| format!("198.18.{}.{}", i / 256, i % 256))
            ),
            false,
        ),
        (
            "50,000 CIDRs",
            format!(
                "namespace n {{\n  external e {{\n    cidr {}\n  }}\n  app a {{\n  }}\n  allow a -> e\n}}\n",
                list(N, |i| format!("10.{}.{}.{}/32", i / 65_536, i / 256 % 256, i % 256))
            ),
            false,
        ),
        (
            "an app with 40,000 ports",
            format!(
                "namespace n {{\n  app a {{\n{}  }}\n  app b {{\n  }}\n  allow b -> a\n}}\n",
                (0..40_000)
                    .map(|i| format!("    port p{i} {}\n", i + 1))
                    .collect::<String>()
            ),
            false,
        ),
        (
            "32,000 allow lines",
            format!(
                "namespace n {{\n{}{}}}\n",
                apps(32_000),
                (0..32_000)
                    .map(|i| format!("  allow a{i} -> a{}:http\n", (i + 1) % 32_000))
                    .collect::<String>()
            ),
            false,
        ),
        (
            "10,000 apps in 100 groups labelled alike",
            format!(
                "namespace n {{\n{}}}\n",
                (0..10_000)
                    .map(|i| format!("  app a{i} {{\n    labels tier=web, group=g{}\n  }}\n", i % 100))
                    .collect::<String>()
            ),
            false,
        ),
        (
            "95,000 labels on one line",
            format!(
                "namespace n {{\n  app a {{\n    port http 80\n    labels {}\n  }}\n}}\n",
                list(95_000, |i| format!("k{i}=v"))
            ),
            false,
        ),
        (
            "10,000 namespace groups, then apps",
            format!(
                "{}namespace n {{\n  app a {{\n    port http 80\n  }}\n}}\n",
                (0..10_000)
                    .map(|i| format!("namespaces g{i} {{\n  labels team=t{i}\n}}\n"))
                    .collect::<String>()
            ),
            false,
        ),
        (
            // Flows from one external's addresses, each to another port of one app: the
            // covering flows are looked up by CIDR and then by port, and each port by
            // its name.
            "20,000 ports of one app from one external",
            format!(
                "namespace n {{\n  app a {{\n{}  }}\n  external e {{\n    cidr 10.0.0.0/8\n  }}\n{}}}\n",
                (0..20_000)
                    .map(|i| format!("    port p{i} {}\n", 1_000 + i))
                    .collect::<String>(),
                (0..20_000)
                    .map(|i| format!("  allow e -> a:p{i}\n"))
                    .collect::<String>()
            ),
            false,
        ),
        (
            // Each `expect` is one verdict: the policies that select its ends are
            // looked up, and its ends found by id.
            "10,000 flows, each expected",
            format!(
                "namespace n {{\n{}{}}}\n",
                (0..10_000)
                    .map(|i| format!("  app a{i} {{\n    port http 80\n  }}\n"))
                    .collect::<String>(),
                (0..10_000)
                    .map(|i| {
                        let next = (i + 1) % 10_000;
                        format!("  allow a{i} -> a{next}:http\n  expect allow a{i} -> a{next}:http\n")
                    })
                    .collect::<String>()
            ),
            false,
        ),
        (
            // Hosts and ingresses by name, not by a scan of those before them.
            "10,000 hosts in one ingress",
            format!(
                "namespace n {{\n  app a {{\n    port http 80\n  }}\n  ingress web {{\n{}  }}\n}}\n",
                (0..10_000)
                    .map(|i| format!("    host h{i}.example.com {{\n      / -> a:http\n    }}\n"))
                    .collect::<String>()
            ),
            true,
        ),
        (
            "10,000 ingresses in one namespace",
            format!(
                "namespace n {{\n  app a {{\n    port http 80\n  }}\n{}}}\n",
                (0..10_000)
                    .map(|i| format!("  ingress w{i} {{\n    host h{i}.example.com {{\n      / -> a:http\n    }}\n  }}\n"))
                    .collect::<String>()
            ),
            true,
        ),
        (
            // Each namespace's checks once, not once per namespace for the whole model
            // (the flows into a namespace, its ingresses).
            "10,000 namespaces of one app each",
            common::model_in(10_000, 10_000),
            true,
        ),
        (
            "the most replicas a preview allows",
            format!(
                "namespace n {{\n  default allow\n  app a {{\n    port http 80\n    replicas {}\n  }}\n}}\n",
                knetc::check::MAX_REPLICAS
            ),
            true,
        ),
    ]
}

fn pathological(quick: bool) {
    for (name, text, preview) in shapes() {
        let mut sources = Sources::new();
        sources.add("shape.knet", text.clone());
        let diagnostics = knetc::compile(&sources).diagnostics.len();
        let runs = if quick { 1 } else { 3 };
        let check = time(runs, || {
            let _ = knetc::compile(&sources);
        });
        let mut line = format!(
            "{name:<40} {:>5} KiB, {diagnostics:>6} diagnostics: check {:>8.1} ms",
            text.len() / 1024,
            check.as_secs_f64() * 1e3
        );
        if preview {
            let mut bytes = 0;
            let with_preview = time(runs, || {
                if let Some(model) = knetc::compile(&sources).model {
                    bytes = knetc::preview::iptables(&model, knetc::preview::Format::Save).len();
                }
            });
            line.push_str(&format!(
                ", check+preview {:>8.1} ms ({} KiB of rules)",
                with_preview.as_secs_f64() * 1e3,
                bytes / 1024
            ));
        }
        println!("{line}");
    }
}

fn main() {
    // `cargo bench -- quick` for a fast smoke run.
    let quick = std::env::args().any(|a| a == "quick");
    for (apps, text) in sizes() {
        let mut sources = Sources::new();
        sources.add("big.knet", text.clone());
        let checked = knetc::compile(&sources);
        assert!(checked.model.is_some(), "the generated model must compile");
        let warnings = checked.diagnostics.len();
        let runs = if apps >= 10_000 { 3 } else { 5 };
        let check = time(runs, || {
            let _ = knetc::compile(&sources);
        });
        let build = time(runs, || {
            let _ = knetc::build_yaml(&sources);
        });
        let preview = time(runs, || {
            if let Some(model) = knetc::compile(&sources).model {
                let _ = knetc::preview::iptables(&model, knetc::preview::Format::Save);
            }
        });
        println!(
            "{apps:>6} apps, {:>5} KiB source, {warnings} warnings: check {:>8.1} ms, build {:>8.1} ms, check+preview {:>8.1} ms",
            text.len() / 1024,
            check.as_secs_f64() * 1e3,
            build.as_secs_f64() * 1e3,
            preview.as_secs_f64() * 1e3,
        );
        // The model's own YAML, imported back (up to 10,000 apps: the YAML parser's
        // values for 100,000 would take gigabytes).
        if let (true, Ok((yaml, _))) = (apps <= 10_000, knetc::build_yaml(&sources)) {
            let mut input = Sources::new();
            input.add("big.yaml", yaml);
            let import = time(runs, || {
                let _ = knetc::import::import(&input);
            });
            println!(
                "{apps:>6} apps: import of its YAML {:>8.1} ms",
                import.as_secs_f64() * 1e3
            );
        }
    }
    pathological(quick);
}
