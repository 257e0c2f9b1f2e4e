//! `knet graph` and `knet why`: the reachability analysis (`knetc::analysis`) on the
//! command line. Running Graphviz for `--format svg` is I/O, so it lives here.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use knetc::analysis::{self, why, Reach};
use knetc::ir::Protocol;

use super::args::{Common, GraphFormat};
use super::{emit_model, fail, inputs, report, EXIT_OK, EXIT_USAGE};

pub fn graph(paths: &[PathBuf], format: GraphFormat, common: &Common) -> i32 {
    if format != GraphFormat::Svg {
        return emit_model(paths, common, |model, out| {
            let reach = analysis::analyze(model);
            out.push_str(&match format {
                GraphFormat::Mermaid => analysis::graph::mermaid(&reach),
                _ => analysis::graph::dot(&reach),
            });
        });
    }
    let reach = match reach_of(paths, common) {
        Ok(reach) => reach,
        Err(status) => return status,
    };
    match svg(&analysis::graph::dot(&reach)) {
        Ok(svg) => super::write_stdout(&svg),
        Err(message) => fail(&message),
    }
}

/// Lays out DOT with Graphviz's `dot -Tsvg`.
fn svg(dot: &str) -> Result<String, String> {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| {
            format!(
                "`knet graph --format svg` runs Graphviz's `dot`, which could not be started \
                 ({error}): install Graphviz (`apt-get install graphviz`), or write \
                 `--format dot` and lay it out elsewhere"
            )
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(dot.as_bytes())
            .map_err(|error| format!("cannot write to `dot`: {error}"))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|error| format!("`dot` failed: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "`dot -Tsvg` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    String::from_utf8(output.stdout).map_err(|_| "`dot` wrote SVG that is not UTF-8".to_string())
}

/// The analysis of the model, once its diagnostics are reported without error; else the
/// exit status.
fn reach_of(paths: &[PathBuf], common: &Common) -> Result<Reach, i32> {
    let sources = inputs::read(paths).map_err(|message| fail(&message))?;
    let checked = knetc::compile(&sources);
    let status = report(&checked.diagnostics, &sources, common);
    match checked.model {
        Some(model) if status == EXIT_OK => Ok(analysis::analyze(&model)),
        _ => Err(status),
    }
}

pub fn why(paths: &[PathBuf], source: &str, destination: &str, common: &Common) -> i32 {
    let reach = match reach_of(paths, common) {
        Ok(reach) => reach,
        Err(status) => return status,
    };
    let src = match endpoint(&reach, source) {
        Ok(i) => i,
        Err(message) => return usage(&message),
    };
    let (name, port) = match destination.rsplit_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (destination, None),
    };
    let dst = match endpoint(&reach, name) {
        Ok(i) => i,
        Err(message) => return usage(&message),
    };
    let port = match port.map(|p| parse_port(&reach, dst, p)).transpose() {
        Ok(port) => port,
        Err(message) => return usage(&message),
    };
    let answer = why::explain(&reach, src, dst, port);
    super::write_stdout(&answer.text())
}

fn usage(message: &str) -> i32 {
    eprintln!("error: {message}");
    EXIT_USAGE
}

/// An endpoint by id, or by app name when one namespace has it.
fn endpoint(reach: &Reach, name: &str) -> Result<usize, String> {
    if let Some(i) = reach.find(name) {
        return Ok(i);
    }
    let by_name: Vec<usize> = (0..reach.endpoints.len())
        .filter(|&i| {
            reach.endpoints[i]
                .id
                .rsplit_once('/')
                .is_some_and(|(_, n)| n == name)
        })
        .collect();
    match by_name.as_slice() {
        [one] => Ok(*one),
        [] => {
            let ids: Vec<&str> = reach.endpoints.iter().map(|e| e.id.as_str()).collect();
            Err(format!(
                "no endpoint `{name}`; the endpoints are: {}",
                ids.join(", ")
            ))
        }
        several => {
            let ids: Vec<&str> = several
                .iter()
                .map(|&i| reach.endpoints[i].id.as_str())
                .collect();
            Err(format!("`{name}` is ambiguous: {}", ids.join(", ")))
        }
    }
}

/// `http` (a named container port of the destination), `8080`, `53/udp`.
fn parse_port(reach: &Reach, dst: usize, text: &str) -> Result<(Protocol, u16), String> {
    let (number, protocol) = match text.split_once('/') {
        Some((n, p)) => (n, Some(p)),
        None => (text, None),
    };
    let protocol = match protocol.map(str::to_ascii_lowercase).as_deref() {
        None | Some("tcp") => Protocol::Tcp,
        Some("udp") => Protocol::Udp,
        Some("sctp") => Protocol::Sctp,
        Some(other) => return Err(format!("unknown protocol `{other}` (tcp, udp or sctp)")),
    };
    if let Ok(n) = number.parse::<u16>() {
        if n > 0 {
            return Ok((protocol, n));
        }
    }
    let endpoint = &reach.endpoints[dst];
    if let analysis::endpoints::Place::Pod(pod) = &endpoint.place {
        if let Some(p) = pod.ports.iter().find(|p| p.name.as_deref() == Some(number)) {
            return Ok((p.protocol, p.number));
        }
    }
    Err(format!(
        "`{text}` is not a port number or a named port of `{}`",
        endpoint.id
    ))
}
