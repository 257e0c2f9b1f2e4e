//! The canonical order of kube-proxy's own tests (`sortIPTablesRules` and
//! `IPTablesDump.String()`, reference §4.2): real kube-proxy walks a Go map, so only
//! this order makes its payload reproducible.
//!
//! Tables by name; chains with `KUBE-NODEPORTS` first, `KUBE-SERVICES` second, then the
//! other `KUBE-*` chains, then the rest, each alphabetically; every chain line first,
//! then the rules grouped by chain; inside `KUBE-NODEPORTS` and `KUBE-SERVICES` the
//! rules are stably sorted by the service name in their comment, with the nat
//! "must be the last rule" rule kept last.

use std::cmp::Ordering;

use super::rule::{self, Rule, Table};

fn chain_rank(name: &str) -> (u8, &str) {
    match name {
        "KUBE-NODEPORTS" => (0, name),
        "KUBE-SERVICES" => (1, name),
        _ if name.starts_with("KUBE-") => (2, name),
        _ => (3, name),
    }
}

/// The comment up to the first space or colon.
fn service_name(rule: &Rule) -> Option<&str> {
    let comment = rule.comment_text()?;
    Some(comment.split([' ', ':']).next().unwrap_or(comment))
}

fn by_service_name(a: &Rule, b: &Rule) -> Ordering {
    match (service_name(a), service_name(b)) {
        (Some(x), Some(y)) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

fn is_last_rule(rule: &Rule) -> bool {
    rule.comment_text()
        .is_some_and(|c| c.contains("must be the last rule"))
}

/// A copy of the table in canonical order.
pub fn canonical(table: &Table) -> Table {
    let mut chains = table.chains.clone();
    chains.sort_by(|a, b| chain_rank(a).cmp(&chain_rank(b)));
    let mut by_chain = rule::by_chain(&table.rules);
    let mut rules = Vec::with_capacity(table.rules.len());
    for chain in &chains {
        let mut in_chain: Vec<Rule> = by_chain
            .swap_remove(chain.as_str())
            .unwrap_or_default()
            .into_iter()
            .cloned()
            .collect();
        if chain == "KUBE-NODEPORTS" || chain == "KUBE-SERVICES" {
            // A stable sort, like Go's sort.SliceStable.
            in_chain.sort_by(|a, b| match (is_last_rule(a), is_last_rule(b)) {
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                _ => by_service_name(a, b),
            });
        }
        rules.extend(in_chain);
    }
    Table {
        name: table.name,
        chains,
        rules,
    }
}
