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
use crate::collections::IndexSet;

fn chain_rank(name: &str) -> (u8, u128, &str) {
    let rank = match name {
        "KUBE-NODEPORTS" => 0,
        "KUBE-SERVICES" => 1,
        _ if name.starts_with("KUBE-") => 2,
        _ => 3,
    };
    (rank, name_key(name), name)
}

/// A name's first sixteen bytes as a number that sorts as they do (zero-padded), so that
/// sorting `(name_key(n), n)` sorts names: chain names share long prefixes (`KUBE-SEP-`,
/// `KUBE-POD-FW-`), and a preview sorts tens of thousands of them. Two names compare as
/// strings only when their first sixteen bytes are equal, which their hashes make rare.
pub fn name_key(name: &str) -> u128 {
    let mut bytes = [0u8; 16];
    let head = &name.as_bytes()[..name.len().min(16)];
    bytes[..head.len()].copy_from_slice(head);
    u128::from_be_bytes(bytes)
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

/// The chains in [`chain_rank`]'s order. Each chain's rank is computed once and the
/// ranks are sorted with the chains' places, not the chains: a comparison then reads
/// two small keys side by side instead of two names scattered over the heap (a
/// preview of 100,000 apps sorts hundreds of thousands of chains). Names are unique,
/// so the order is total and an unstable sort gives the one order there is.
fn sorted_chains(chains: IndexSet<String>) -> IndexSet<String> {
    let mut ranked: Vec<(u8, u128, u32)> = chains
        .iter()
        .zip(0u32..)
        .map(|(name, place)| {
            let (rank, key, _) = chain_rank(name);
            (rank, key, place)
        })
        .collect();
    let name = |place: u32| chains.get_index(place as usize).map(String::as_str);
    ranked.sort_unstable_by(|a, b| {
        (a.0, a.1)
            .cmp(&(b.0, b.1))
            .then_with(|| name(a.2).cmp(&name(b.2)))
    });
    let mut names: Vec<String> = chains.into_iter().collect();
    ranked
        .iter()
        .map(|&(_, _, place)| std::mem::take(&mut names[place as usize]))
        .collect()
}

/// The table in canonical order (its rules' places moved, not their text: a large
/// preview has millions).
pub fn canonical(table: Table) -> Table {
    let Table {
        name,
        chains,
        mut rules,
    } = table;
    let chains = sorted_chains(chains);
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Names that share long prefixes, are prefixes of each other, are shorter and
    /// longer than the key, and hold multi-byte characters.
    fn name() -> impl Strategy<Value = String> {
        let prefix = prop::sample::select(vec![
            "",
            "KUBE-",
            "KUBE-SEP-",
            "KUBE-POD-FW-",
            "é",
            "KUBE-SEP-AAAAAAA",
        ]);
        (prefix, "[A-Z0-9é\u{0}-]{0,20}").prop_map(|(p, rest)| format!("{p}{rest}"))
    }

    proptest! {
        /// Sorting by the key, then the name, sorts by the name.
        #[test]
        fn the_key_sorts_as_the_name(names in prop::collection::vec(name(), 0..40)) {
            let mut keyed: Vec<(u128, &str)> =
                names.iter().map(|n| (name_key(n), n.as_str())).collect();
            keyed.sort_unstable();
            let by_key: Vec<&str> = keyed.into_iter().map(|(_, n)| n).collect();
            let mut by_name: Vec<&str> = names.iter().map(String::as_str).collect();
            by_name.sort_unstable();
            prop_assert_eq!(by_key, by_name);
        }
    }

    proptest! {
        /// The chains come out in `chain_rank`'s order, names that share their first
        /// sixteen bytes (one key) and the chains ranked first included.
        #[test]
        fn chains_are_sorted_by_rank(
            names in prop::collection::vec(
                prop_oneof![
                    name(),
                    Just("KUBE-NODEPORTS".to_string()),
                    Just("KUBE-SERVICES".to_string()),
                ],
                0..40,
            )
        ) {
            let chains: IndexSet<String> = names.into_iter().collect();
            let mut expected: Vec<&str> = chains.iter().map(String::as_str).collect();
            expected.sort_by(|a, b| chain_rank(a).cmp(&chain_rank(b)));
            let expected: Vec<String> = expected.into_iter().map(str::to_string).collect();
            let sorted: Vec<String> = sorted_chains(chains).into_iter().collect();
            prop_assert_eq!(sorted, expected);
        }
    }

    /// A name sorts before the longer names it begins; names whose first sixteen bytes
    /// are the same have one key (and are then compared as names).
    #[test]
    fn a_name_sorts_before_the_names_it_begins() {
        assert!(name_key("KUBE-SEP") < name_key("KUBE-SEP-"));
        assert!(name_key("KUBE-SEP-AAAAAA") < name_key("KUBE-SEP-AAAAAAB"));
        assert_eq!(name_key("KUBE-SEP-AAAAAAA"), name_key("KUBE-SEP-AAAAAAAB"));
    }
}
