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

use super::rule::{RuleRef, Table};

fn chain_rank(name: &str) -> (u8, &str) {
    match name {
        "KUBE-NODEPORTS" => (0, name),
        "KUBE-SERVICES" => (1, name),
        _ if name.starts_with("KUBE-") => (2, name),
        _ => (3, name),
    }
}

/// The comment up to the first space or colon.
fn service_name<'a>(rule: RuleRef<'a>) -> Option<&'a str> {
    let comment = rule.comment_text()?;
    Some(comment.split([' ', ':']).next().unwrap_or(comment))
}

fn is_last_rule(rule: RuleRef) -> bool {
    rule.comment_text()
        .is_some_and(|c| c.contains("must be the last rule"))
}

/// The table in canonical order (its rules' places moved, not their text: a large
/// preview has millions).
pub fn canonical(table: Table) -> Table {
    let Table {
        name,
        mut chains,
        mut rules,
    } = table;
    chains.sort_by(|a, b| chain_rank(a).cmp(&chain_rank(b)));
    let groups = rules.by_chain();
    let mut order = Vec::with_capacity(rules.len());
    for chain in &chains {
        let in_chain = rules.chain_group(&groups, chain);
        if chain == "KUBE-NODEPORTS" || chain == "KUBE-SERVICES" {
            // A stable sort, like Go's sort.SliceStable.
            // Each rule's comment is looked at once, not at every comparison.
            let mut keyed: Vec<(u32, bool, Option<&str>)> = in_chain
                .iter()
                .filter_map(|&i| {
                    let rule = rules.get(i)?;
                    Some((i, is_last_rule(rule), service_name(rule)))
                })
                .collect();
            keyed.sort_by(|a, b| match ((a.1, a.2), (b.1, b.2)) {
                ((true, _), (false, _)) => Ordering::Greater,
                ((false, _), (true, _)) => Ordering::Less,
                ((_, Some(x)), (_, Some(y))) => x.cmp(y),
                _ => Ordering::Equal,
            });
            order.extend(keyed.into_iter().map(|(i, _, _)| i));
        } else {
            order.extend_from_slice(in_chain);
        }
    }
    rules.reorder(&order);
    Table {
        name,
        chains,
        rules,
    }
}
