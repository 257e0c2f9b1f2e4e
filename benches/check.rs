//! `cargo bench`: how long `knet check` and `knet build` take on large models.
//!
//! The model is generated: one namespace with N apps (each with two ports and its own
//! labels plus a shared `tier` label), a flow from each app to the next, an ingress
//! route per 10 apps, and every 100th app exposed as a node port. The pairwise
//! checks (label subsets, covered flows, shadowed routes) see every app of the
//! namespace. Prints the median of several runs for each size.

use std::time::{Duration, Instant};

use knetc::source::Sources;

fn model(apps: usize) -> String {
    let mut text = String::from("namespace big {\n");
    for i in 0..apps {
        text.push_str(&format!(
            "  app app-{i} {{\n    labels app=app-{i}, tier=t{}\n    port http 80 -> 8080\n    port metrics 9090\n",
            i % 7
        ));
        if i % 100 == 0 {
            text.push_str("    service node-port\n");
        }
        text.push_str("  }\n");
    }
    for i in 0..apps {
        text.push_str(&format!(
            "  allow app-{i} -> app-{}:http\n  allow monitoring/* -> app-{i}:metrics\n",
            (i + 1) % apps
        ));
    }
    text.push_str("  ingress web {\n    host www.example.com {\n");
    for i in (0..apps).step_by(10) {
        text.push_str(&format!("      /app-{i} -> app-{i}:http\n"));
    }
    text.push_str("    }\n  }\n}\n");
    text
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn time(runs: usize, mut f: impl FnMut()) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed()
            })
            .collect(),
    )
}

fn main() {
    // `cargo bench -- quick` for a fast smoke run.
    let quick = std::env::args().any(|a| a == "quick");
    let sizes: &[usize] = if quick { &[1_000] } else { &[1_000, 10_000] };
    for &apps in sizes {
        let text = model(apps);
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
    }
}
