//! Warnings about externals: a `host` that is an IPv4 address (`W0110`).
//!
//! Reads the AST of each external; the model is valid, so every host is a DNS-1123
//! subdomain already.

use std::net::Ipv4Addr;

use super::Blocks;
use crate::check::Diagnostics;
use crate::diagnostic::{Code, Diagnostic};
use crate::syntax::ast;

pub fn check(diags: &mut Diagnostics, blocks: &Blocks) {
    let externals = blocks.items().filter_map(|item| match item {
        ast::NamespaceItem::External(external) => Some(external),
        _ => None,
    });
    for external in externals {
        for line in &external.lines {
            let ast::ExternalLine::Host(host) = &line.node else {
                continue;
            };
            let written = host.node.strip_suffix('.').unwrap_or(&host.node);
            let Ok(address) = written.parse::<Ipv4Addr>() else {
                continue;
            };
            diags.push(
                Diagnostic::new(
                    Code::HostIsAddress,
                    format!("external host `{}` is an IP address, not a DNS name", host.node),
                    host.span,
                )
                .label("an address where a DNS name belongs")
                .note("`host` becomes the `externalName` of an ExternalName Service: Kubernetes accepts an IPv4 address there, but cluster DNS answers with a CNAME to it, and a CNAME target is never resolved as an address")
                .help(format!(
                    "to reach the address, write `cidr {address}/32` instead of `host`; to name it, use a DNS name that resolves to it"
                )),
            );
        }
    }
}
