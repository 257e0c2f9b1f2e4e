//! Hover text, in markdown: what a name declares, what an `allow` statement emits, what
//! a diagnostic code in a comment means.
//!
//! In: the index and the definition of the name, or the checked model and the span of an
//! `allow` statement, or a comment's text. Out: markdown. A flow's policies are the ones
//! [`crate::policy::policies_of`] names for each of the IR flows the statement made;
//! when the unit does not compile there is no IR, and the hover says what the
//! statement asks for and why it cannot say more.

use super::index::{Detail, Index, Occurrence, Symbol};
use crate::diagnostic::Code;
use crate::ir::{self, FlowOrigin, Peer, PolicyPort, TargetPort};
use crate::policy;
use crate::source::{floor_boundary, Sources, Span};

/// A name: its kind, where it belongs and what its definition declares.
pub fn symbol(index: &Index, at: &Occurrence) -> Option<String> {
    let detail = match &at.detail {
        Some(detail) => detail,
        None => index
            .occurrences(&at.symbol)
            .find_map(|o| o.detail.as_ref())?,
    };
    Some(match (&at.symbol, detail) {
        (Symbol::Port { name, .. }, Detail::Port { summary, owner }) => {
            format!("port `{name}` of {owner}: {summary}")
        }
        (Symbol::Item { namespace, name }, Detail::App { labels, ports }) => {
            let mut text =
                format!("app `{name}` in namespace `{namespace}`\n\npod labels: {labels}");
            push_ports(&mut text, ports);
            text
        }
        (Symbol::Item { namespace, name }, Detail::External { ports }) => {
            let mut text = format!("external `{name}` in namespace `{namespace}`");
            push_ports(&mut text, ports);
            text
        }
        (Symbol::Item { namespace, name }, Detail::Service { owner }) => {
            format!("Service `{name}` over the pods of app `{owner}` in namespace `{namespace}`")
        }
        (Symbol::Namespace(name), Detail::Namespace { unmanaged }) => {
            let blocks = index
                .occurrences(&at.symbol)
                .filter(|o| o.detail.is_some())
                .count();
            let kind = if *unmanaged {
                "unmanaged namespace (knet writes nothing for it)"
            } else {
                "namespace"
            };
            format!("{kind} `{name}`, declared in {blocks} block(s)")
        }
        (Symbol::Group(name), Detail::Group { labels }) => {
            format!("namespace group `{name}`: the namespaces labelled {labels}")
        }
        _ => return None,
    })
}

fn push_ports(text: &mut String, ports: &[String]) {
    if ports.is_empty() {
        text.push_str("\n\nno ports");
    } else {
        text.push_str("\n\nports:");
        for port in ports {
            text.push_str(&format!("\n- {port}"));
        }
    }
}

/// The summary of a diagnostic code under the offset, in a comment.
pub fn code_in_comment(text: &str, offset: usize) -> Option<String> {
    let offset = floor_boundary(text, offset);
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let line = &text[start..end];
    let hash = line.find('#')?;
    let at = offset - start;
    if at <= hash {
        return None;
    }
    let word_start = line[..at]
        .rfind(|c: char| !c.is_ascii_alphanumeric())
        .map_or(0, |i| i + 1);
    let word_end = line[at..]
        .find(|c: char| !c.is_ascii_alphanumeric())
        .map_or(line.len(), |i| at + i);
    let code = Code::parse(line.get(word_start..word_end)?)?;
    Some(format!(
        "`{}` ({}): {}\n\n`knet explain {}` says more",
        code.as_str(),
        code.severity().as_str(),
        code.summary(),
        code.as_str()
    ))
}

/// What an `allow` statement emits: the policies each of its flows adds a rule to.
pub fn flow(sources: &Sources, model: Option<&ir::Model>, statement: Span) -> String {
    let written = sources
        .slice(statement)
        .split_whitespace()
        .collect::<Vec<_>>();
    let mut text = format!("`{}`", written.join(" "));
    let Some(model) = model else {
        text.push_str(
            "\n\nThe unit has errors, so what this flow emits is not known yet; fix them and \
             hover again to see its NetworkPolicies.",
        );
        return text;
    };
    let flows = model.flows.iter().filter(
        |f| matches!(f.origin, FlowOrigin::Declared { statement: s, .. } if s == statement),
    );
    for flow in flows {
        let ports = ports(&flow.ports);
        text.push_str(&format!(
            "\n\n{} → {} on {ports}:",
            peer(&flow.from),
            peer(&flow.to)
        ));
        let policies = policy::policies_of(model, flow);
        if policies.is_empty() {
            text.push_str(
                "\n- no NetworkPolicy: neither side is selected by a policy of a namespace \
                 that isolates its direction",
            );
        }
        for policy in policies {
            let (rule, other) = match policy.direction {
                policy::Direction::Ingress => ("an ingress rule from", &flow.from),
                policy::Direction::Egress => ("an egress rule to", &flow.to),
            };
            text.push_str(&format!(
                "\n- NetworkPolicy `{}` in namespace `{}`: {rule} {} on {ports}",
                policy.name,
                policy.namespace,
                peer(other)
            ));
        }
    }
    text
}

fn peer(peer: &Peer) -> String {
    match peer {
        Peer::App { namespace, app, .. } => format!("app `{namespace}/{app}`"),
        Peer::Namespace { namespace } => format!("every pod of namespace `{namespace}`"),
        Peer::AnyNamespace => "every pod of every namespace".to_string(),
        Peer::Pods(selector) => {
            let labels: Vec<String> = selector
                .labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            format!(
                "pods `{}` of namespace `{}`",
                labels.join(","),
                selector.namespace
            )
        }
        Peer::Addresses(blocks) => {
            let cidrs: Vec<String> = blocks.iter().map(|b| format!("`{}`", b.cidr)).collect();
            format!("addresses {}", cidrs.join(", "))
        }
        Peer::Any => "anything".to_string(),
        Peer::NamespaceGroup { group, .. } => format!("the namespaces of group `{group}`"),
    }
}

fn ports(ports: &[PolicyPort]) -> String {
    if ports.is_empty() {
        return "all ports".to_string();
    }
    let shown: Vec<String> = ports
        .iter()
        .map(|p| {
            let port = match &p.port {
                TargetPort::Number(n) => n.to_string(),
                TargetPort::Name(name) => name.clone(),
            };
            match p.end_port {
                Some(end) => format!("{} {port}-{end}", p.protocol.as_k8s()),
                None => format!("{} {port}", p.protocol.as_k8s()),
            }
        })
        .collect();
    shown.join(", ")
}
