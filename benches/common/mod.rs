//! What the benches share: the generated model and a timer.
//!
//! The model: one namespace with N apps (each with two ports and its own labels plus a
//! shared `tier` label), a flow from each app to the next, an ingress route per 10
//! apps, and every 100th app exposed as a node port.

use std::time::{Duration, Instant};

pub fn model(apps: usize) -> String {
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

pub fn time(runs: usize, mut f: impl FnMut()) -> Duration {
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

/// The model sizes to measure: 1,000 and 10,000 apps, or 1,000 alone for a smoke run
/// (`cargo bench -- quick`); with the source of each.
pub fn sizes() -> Vec<(usize, String)> {
    let quick = std::env::args().any(|a| a == "quick");
    let sizes: &[usize] = if quick { &[1_000] } else { &[1_000, 10_000] };
    sizes.iter().map(|&apps| (apps, model(apps))).collect()
}
