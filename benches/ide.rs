//! `cargo bench --bench ide`: how fast the language server answers on large models.
//!
//! On the generated model (`common`), it times what a keystroke costs (a fresh
//! `Analysis`: parse, check, index; the server publishes its diagnostics), the same
//! when the line being typed does not parse (the tolerant parse of completion), and the
//! queries the server answers from a cached analysis: hover on a port and on an `allow`
//! line, go to definition, find references, completion of ports and of peers. Prints
//! the median of several runs for each size.

mod common;

use common::{sizes, time};
use knetc::ide::Analysis;
use knetc::source::Sources;

fn ms(duration: std::time::Duration) -> String {
    if duration.as_micros() < 1000 {
        format!("{} µs", duration.as_micros())
    } else {
        format!("{:.1} ms", duration.as_secs_f64() * 1e3)
    }
}

fn main() {
    for (apps, text) in sizes() {
        let mut sources = Sources::new();
        let file = sources.add("big.knet", text.clone());
        let runs = if apps >= 10_000 { 3 } else { 5 };
        let analysis = Analysis::new(&sources);
        assert!(
            analysis.checked.model.is_some(),
            "the generated model must compile"
        );
        let analyse = time(runs, || {
            let _ = Analysis::new(&sources);
        });
        let compile = time(runs, || {
            let _ = knetc::compile(&sources);
        });

        let typing = text.replacen(
            "namespace big {\n",
            "namespace big {\n  allow app-1 -> app-2:\n",
            1,
        );
        let mut broken = Sources::new();
        broken.add("big.knet", typing);
        let analyse_broken = time(runs, || {
            let _ = Analysis::new(&broken);
        });

        let middle = apps / 2;
        let flow = format!("allow app-{} -> app-{middle}:http", middle - 1);
        let flow_at = text.find(&flow).expect("the flow is in the model");
        let port_at = flow_at + flow.len() - 2;
        let app_at = flow_at + flow.find(&format!("app-{middle}:")).unwrap_or(0) + 2;
        let colon_at = flow_at + flow.len() - "http".len();
        let arrow_at = flow_at + flow.find("-> ").unwrap_or(0) + 3;
        let queries = 50;
        let hover_port = time(queries, || {
            assert!(analysis.hover(&sources, file, port_at).is_some());
        });
        let hover_flow = time(queries, || {
            assert!(analysis.hover(&sources, file, flow_at + 1).is_some());
        });
        let definition = time(queries, || {
            assert_eq!(analysis.definition(file, app_at).len(), 1);
        });
        let references = time(queries, || {
            assert!(analysis.references(file, app_at).len() >= 3);
        });
        let complete_port = time(queries, || {
            assert_eq!(analysis.completions(&sources, file, colon_at).len(), 2);
        });
        let complete_peer = time(queries, || {
            assert!(analysis.completions(&sources, file, arrow_at).len() > apps);
        });
        println!(
            "{apps:>6} apps: analysis (diagnostics) {} (compile alone {}), with a broken line {}; hover port {}, hover allow {}, definition {}, references {}, complete port {}, complete peer {}",
            ms(analyse),
            ms(compile),
            ms(analyse_broken),
            ms(hover_port),
            ms(hover_flow),
            ms(definition),
            ms(references),
            ms(complete_port),
            ms(complete_peer),
        );
    }
}
