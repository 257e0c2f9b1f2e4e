//! `cargo bench --bench scale`: the time and peak memory of the `knet` binary on models
//! of 1,000, 10,000 and 100,000 apps, in one namespace and in 100 namespaces.
//!
//! Each command (`check`, `build`, `preview iptables` in both formats) runs as its own
//! process, so that its peak resident memory is its own: this binary starts itself as a
//! small wrapper (`--measure`), which runs `knet`, waits for it, and reads the child's
//! CPU time and peak RSS with `getrusage(RUSAGE_CHILDREN)`. CPU time is user + system:
//! the kernel's page zeroing is part of what a large model costs. Output goes to
//! `/dev/null`, as a pipeline's redirect would take it. Prints the median of several
//! runs, and the growth from 10,000 to 100,000 apps.
//!
//! `cargo bench --bench scale -- quick` measures 1,000 apps only; `-- 10000` (any list
//! of sizes) measures those.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The commands measured: a name and the arguments before the file.
const COMMANDS: &[(&str, &[&str])] = &[
    ("check", &["check"]),
    ("build", &["build"]),
    ("preview save", &["preview", "iptables", "--format", "save"]),
    (
        "preview restore",
        &["preview", "iptables", "--format", "restore"],
    ),
];

/// One run: CPU seconds (user + system), wall seconds, peak RSS in KiB.
#[derive(Clone, Copy)]
struct Run {
    cpu: f64,
    wall: f64,
    peak_kib: i64,
}

/// The wrapper: runs the command after `--measure`, then prints its usage.
fn measure(args: &[String]) -> ! {
    use nix::sys::resource::{getrusage, UsageWho};
    let start = std::time::Instant::now();
    let status = Command::new(&args[0])
        .args(&args[1..])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("knet runs");
    let wall = start.elapsed().as_secs_f64();
    let usage = getrusage(UsageWho::RUSAGE_CHILDREN).expect("getrusage");
    let seconds = |t: nix::sys::time::TimeVal| t.tv_sec() as f64 + t.tv_usec() as f64 / 1e6;
    println!(
        "{} {} {} {}",
        status.code().unwrap_or(-1),
        seconds(usage.user_time()) + seconds(usage.system_time()),
        wall,
        usage.max_rss()
    );
    std::process::exit(0)
}

fn run_once(file: &Path, args: &[&str]) -> Run {
    let output = Command::new(std::env::current_exe().expect("own path"))
        .arg("--measure")
        .arg(env!("CARGO_BIN_EXE_knet"))
        .args(args)
        .arg(file)
        .output()
        .expect("the wrapper runs");
    let text = String::from_utf8_lossy(&output.stdout);
    let fields: Vec<&str> = text.split_whitespace().collect();
    assert_eq!(fields.len(), 4, "wrapper output: {text}");
    assert_eq!(fields[0], "0", "knet {args:?} {} failed", file.display());
    Run {
        cpu: fields[1].parse().expect("cpu"),
        wall: fields[2].parse().expect("wall"),
        peak_kib: fields[3].parse().expect("rss"),
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn measured(file: &Path, args: &[&str], runs: usize) -> Run {
    let all: Vec<Run> = (0..runs).map(|_| run_once(file, args)).collect();
    Run {
        cpu: median(all.iter().map(|r| r.cpu).collect()),
        wall: median(all.iter().map(|r| r.wall).collect()),
        peak_kib: all.iter().map(|r| r.peak_kib).max().unwrap_or(0),
    }
}

fn sizes() -> Vec<usize> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "quick") {
        return vec![1_000];
    }
    let listed: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    if listed.is_empty() {
        vec![1_000, 10_000, 100_000]
    } else {
        listed
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--measure") {
        measure(&args[2..]);
    }
    let dir: PathBuf = std::env::temp_dir().join(format!("knet-scale-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    println!(
        "{:>7} {:>10} {:<16} {:>9} {:>9} {:>9}",
        "apps", "namespaces", "command", "cpu ms", "wall ms", "peak MiB"
    );
    let mut results = Vec::new();
    for namespaces in [1, 100] {
        for apps in sizes() {
            let file = dir.join(format!("model-{apps}-{namespaces}.knet"));
            std::fs::write(&file, common::model_in(apps, namespaces)).expect("write model");
            let runs = match apps {
                a if a >= 100_000 => 3,
                a if a >= 10_000 => 5,
                _ => 9,
            };
            for (name, command) in COMMANDS {
                let run = measured(&file, command, runs);
                println!(
                    "{apps:>7} {namespaces:>10} {name:<16} {:>9.1} {:>9.1} {:>9.1}",
                    run.cpu * 1e3,
                    run.wall * 1e3,
                    run.peak_kib as f64 / 1024.0
                );
                results.push((apps, namespaces, *name, run));
            }
            std::fs::remove_file(&file).ok();
        }
    }
    std::fs::remove_dir(&dir).ok();
    println!("\ngrowth from 10,000 to 100,000 apps (cpu, peak memory):");
    for &(apps, namespaces, name, big) in &results {
        if apps != 100_000 {
            continue;
        }
        if let Some((_, _, _, small)) = results
            .iter()
            .find(|(a, n, c, _)| *a == 10_000 && *n == namespaces && *c == name)
        {
            println!(
                "{namespaces:>4} namespaces {name:<16} {:>5.1}x {:>5.1}x",
                big.cpu / small.cpu,
                big.peak_kib as f64 / small.peak_kib as f64
            );
        }
    }
}
