//! What the benches share: the generated model and a timer.
//!
//! The model: N apps (each with two ports and its own labels plus a shared `tier`
//! label) in one namespace or spread over many, a flow from each app to another, an
//! ingress route per 10 apps, and every 100th app exposed as a node port.

// Each bench uses part of this module.
#![allow(dead_code)]

use std::time::{Duration, Instant};

pub fn model(apps: usize) -> String {
    model_in(apps, 1)
}

/// The model spread over `namespaces` namespaces (`ns-0`, `ns-1`, ...; `big` when there
/// is one), apps in equal runs. With more than one namespace every app's flow goes to
/// the app at the same place in the next namespace, so every flow crosses namespaces,
/// and each namespace has its own ingress. The `cluster` block gives the pods a range
/// that holds 100,000 of them.
pub fn model_in(apps: usize, namespaces: usize) -> String {
    let per = apps.div_ceil(namespaces);
    let ns_of = |i: usize| {
        if namespaces == 1 {
            "big".to_string()
        } else {
            format!("ns-{}", i / per)
        }
    };
    let mut text = String::from("cluster {\n  pod-cidr 10.128.0.0/12\n}\n");
    for start in (0..apps).step_by(per) {
        let here = ns_of(start);
        let end = (start + per).min(apps);
        text.push_str(&format!("namespace {here} {{\n"));
        for i in start..end {
            text.push_str(&format!(
                "  app app-{i} {{\n    labels app=app-{i}, tier=t{}\n    port http 80 -> 8080\n    port metrics 9090\n",
                i % 7
            ));
            if i % 100 == 0 {
                text.push_str("    service node-port\n");
            }
            text.push_str("  }\n");
        }
        for i in start..end {
            let next = if namespaces == 1 {
                (i + 1) % apps
            } else {
                (i + per) % apps
            };
            let there = ns_of(next);
            let peer = if there == here {
                format!("app-{next}")
            } else {
                format!("{there}/app-{next}")
            };
            text.push_str(&format!(
                "  allow app-{i} -> {peer}:http\n  allow monitoring/* -> app-{i}:metrics\n"
            ));
        }
        let host = if namespaces == 1 {
            "www".to_string()
        } else {
            here.clone()
        };
        text.push_str(&format!(
            "  ingress web {{\n    host {host}.example.com {{\n"
        ));
        for i in (start..end).step_by(10) {
            text.push_str(&format!("      /app-{i} -> app-{i}:http\n"));
        }
        text.push_str("    }\n  }\n}\n");
    }
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
