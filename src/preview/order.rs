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

use super::rule::{Rule, Table};

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

fn is_last_rule(rule: &Rule) -> bool {
    rule.comment_text()
        .is_some_and(|c| c.contains("must be the last rule"))
}

/// The table in canonical order (its rules moved, not copied: a large preview has
/// hundreds of thousands).
pub fn canonical(table: Table) -> Table {
    let Table {
        name,
        mut chains,
        rules,
    } = table;
    chains.sort_by(|a, b| chain_rank(a).cmp(&chain_rank(b)));
    // The rules' indices, grouped by chain in one pass.
    let mut by_chain: indexmap::IndexMap<&str, Vec<usize>> = indexmap::IndexMap::new();
    for (i, rule) in rules.iter().enumerate() {
        by_chain.entry(rule.chain.as_str()).or_default().push(i);
    }
    let mut order = Vec::with_capacity(rules.len());
    for chain in &chains {
        let mut in_chain = by_chain.swap_remove(chain.as_str()).unwrap_or_default();
        if chain == "KUBE-NODEPORTS" || chain == "KUBE-SERVICES" {
            // A stable sort, like Go's sort.SliceStable.
            // Each rule's comment is looked at once, not at every comparison.
            let mut keyed: Vec<(usize, bool, Option<&str>)> = in_chain
                .iter()
                .map(|&i| (i, is_last_rule(&rules[i]), service_name(&rules[i])))
                .collect();
            keyed.sort_by(|a, b| match ((a.1, a.2), (b.1, b.2)) {
                ((true, _), (false, _)) => Ordering::Greater,
                ((false, _), (true, _)) => Ordering::Less,
                ((_, Some(x)), (_, Some(y))) => x.cmp(y),
                _ => Ordering::Equal,
            });
            in_chain = keyed.into_iter().map(|(i, _, _)| i).collect();
        }
        order.extend(in_chain);
    }
    let mut slots: Vec<Option<Rule>> = rules.into_iter().map(Some).collect();
    let rules = order.iter().filter_map(|&i| slots[i].take()).collect();
    Table {
        name,
        chains,
        rules,
    }
}
