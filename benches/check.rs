//! `cargo bench`: how long `knet check` and `knet build` take on large models.
//!
//! The model is generated (`common`). The pairwise checks (label subsets, covered
//! flows, shadowed routes) see every app of the namespace. Prints the median of several
//! runs for each size.

mod common;

use common::{sizes, time};
use knetc::source::Sources;

fn main() {
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
    }
}
