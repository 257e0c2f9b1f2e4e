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
use super::store::RuleStore;

/// The order of chains, as a key: the rank, then the name (by its [`name_key`] first).
/// The sort reads ranks and keys that the rule store keeps ([`rank_by_key`]); the tests
/// hold it to this.
#[cfg(test)]
fn chain_rank(name: &str) -> (u8, u128, &str) {
    (rank_of(name), name_key(name), name)
}

/// A chain's rank: `KUBE-NODEPORTS`, `KUBE-SERVICES`, the other `KUBE-` chains, the rest.
fn rank_of(name: &str) -> u8 {
    match name {
        "KUBE-NODEPORTS" => 0,
        "KUBE-SERVICES" => 1,
        _ if name.starts_with("KUBE-") => 2,
        _ => 3,
    }
}

/// [`rank_of`] a name with the [`name_key`] `key`, which reads the name only when its
/// key is one of the two chains ranked first: ranking the chains of a large preview
/// then reads their keys, not their names.
fn rank_by_key<'a>(key: u128, name: impl FnOnce() -> &'a str) -> u8 {
    const FIRST: [u128; 2] = [name_key("KUBE-NODEPORTS"), name_key("KUBE-SERVICES")];
    // "KUBE-" is the key's first five bytes.
    const KUBE: u128 = name_key("KUBE-") >> 88;
    if FIRST.contains(&key) {
        rank_of(name())
    } else if key >> 88 == KUBE {
        2
    } else {
        3
    }
}

/// A name's first sixteen bytes as a number that sorts as they do (zero-padded), so that
/// sorting `(name_key(n), n)` sorts names: chain names share long prefixes (`KUBE-SEP-`,
/// `KUBE-POD-FW-`), and a preview sorts tens of thousands of them. Two names compare as
/// strings only when their first sixteen bytes are equal, which their hashes make rare.
pub const fn name_key(name: &str) -> u128 {
    let name = name.as_bytes();
    let mut bytes = [0u8; 16];
    let mut at = 0;
    while at < name.len() && at < 16 {
        bytes[at] = name[at];
        at += 1;
    }
    u128::from_be_bytes(bytes)
}

/// A name with its [`name_key`], which sorts it by its first sixteen bytes.
type KeyedName<'a> = (u128, &'a str);

/// The comment up to the first space or colon.
fn service_name<'a>(rule: RuleRef<'a>) -> Option<&'a str> {
    let comment = rule.comment_text()?;
    Some(comment.split([' ', ':']).next().unwrap_or(comment))
}

fn is_last_rule(rule: RuleRef) -> bool {
    rule.comment_text()
        .is_some_and(|c| c.contains("must be the last rule"))
}

/// The chains `numbers` (of `rules`) in [`chain_rank`]'s order. Each chain's rank is
/// computed once and the ranks are sorted with the chains' numbers: a comparison then
/// reads two small keys side by side instead of two names scattered over the heap (a
/// preview of 100,000 apps sorts hundreds of thousands of chains). Names are unique,
/// so the order is total and an unstable sort gives the one order there is.
fn sorted_chains(rules: &RuleStore, numbers: &[u32]) -> Vec<u32> {
    let mut ranked: Vec<(u8, u128, u32)> = numbers
        .iter()
        .map(|&number| {
            let key = rules.chain_key(number);
            (rank_by_key(key, || rules.chain_name(number)), key, number)
        })
        .collect();
    ranked.sort_unstable_by(|a, b| {
        (a.0, a.1)
            .cmp(&(b.0, b.1))
            .then_with(|| rules.chain_name(a.2).cmp(rules.chain_name(b.2)))
    });
    ranked.into_iter().map(|(_, _, number)| number).collect()
}

/// The table in canonical order (its rules' places moved, not their text: a large
/// preview has millions).
pub fn canonical(table: Table) -> Table {
    let chains = sorted_chains(&table.rules, table.declared());
    let mut table = table.with_chain_order(&chains);
    let rules = &table.rules;
    let groups = rules.by_chain();
    let mut order = Vec::with_capacity(rules.len());
    for &chain in table.declared() {
        let in_chain = groups.of(chain);
        let name = rules.chain_name(chain);
        if name == "KUBE-NODEPORTS" || name == "KUBE-SERVICES" {
            // A stable sort, like Go's sort.SliceStable.
            // Each rule's comment is looked at once, not at every comparison, and its
            // service name is compared by its key first: a comparison then reads the
            // rules' text only when two names share their first sixteen bytes.
            let mut keyed: Vec<(u32, bool, Option<KeyedName>)> = in_chain
                .iter()
                .filter_map(|&i| {
                    let rule = rules.get(i)?;
                    let service = service_name(rule).map(|name| (name_key(name), name));
                    Some((i, is_last_rule(rule), service))
                })
                .collect();
            keyed.sort_by(|a, b| match ((a.1, a.2), (b.1, b.2)) {
                ((true, _), (false, _)) => Ordering::Greater,
                ((false, _), (true, _)) => Ordering::Less,
                ((_, Some(x)), (_, Some(y))) => x.cmp(&y),
                _ => Ordering::Equal,
            });
            order.extend(keyed.into_iter().map(|(i, _, _)| i));
        } else {
            order.extend_from_slice(in_chain);
        }
    }
    table.rules.reorder(&order);
    table
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
            let mut table = Table::new("filter");
            for name in &names {
                table.chain(name);
            }
            let mut expected: Vec<&str> = table.chains().collect();
            expected.sort_by(|a, b| chain_rank(a).cmp(&chain_rank(b)));
            let sorted = sorted_chains(&table.rules, table.declared());
            let sorted: Vec<&str> = sorted.iter().map(|&n| table.rules.chain_name(n)).collect();
            prop_assert_eq!(sorted, expected);
        }
    }

    /// `sortIPTablesRules`: the rules of KUBE-SERVICES are stably sorted by the service
    /// name their comment begins with, the "must be the last rule" rule last; other
    /// chains keep the order their rules were made in. `web-frontend-a` and `-b` share
    /// their first sixteen bytes, so their names decide.
    #[test]
    fn service_rules_are_sorted_stably_by_service_name() {
        use super::super::rule::Rule;
        let mut table = Table::new("nat");
        table.chain("KUBE-SVC-X");
        table.chain("KUBE-SERVICES");
        let made = [
            (
                "KUBE-SERVICES",
                "kubernetes service nodeports; NOTE: this must be the last rule in this chain",
                "KUBE-NODEPORTS",
            ),
            ("KUBE-SERVICES", "shop/web-frontend-b:http cluster IP", "B1"),
            ("KUBE-SVC-X", "second", "Z"),
            ("KUBE-SERVICES", "shop/web-frontend-a:http cluster IP", "A1"),
            (
                "KUBE-SERVICES",
                "shop/web-frontend-b:http external IP",
                "B2",
            ),
            (
                "KUBE-SERVICES",
                "shop/web-frontend-a:http loadbalancer IP",
                "A2",
            ),
            ("KUBE-SERVICES", "default/kubernetes:https cluster IP", "K"),
            ("KUBE-SVC-X", "first", "A"),
        ];
        for (chain, comment, target) in made {
            table.push(Rule::new(chain).comment(comment).jump(target));
        }
        let table = canonical(table);
        let targets: Vec<String> = table
            .rules
            .iter()
            .map(|rule| format!("{} {}", rule.chain, rule.args().last().unwrap_or_default()))
            .collect();
        let expected = [
            "KUBE-SERVICES K",
            "KUBE-SERVICES A1",
            "KUBE-SERVICES A2",
            "KUBE-SERVICES B1",
            "KUBE-SERVICES B2",
            "KUBE-SERVICES KUBE-NODEPORTS",
            "KUBE-SVC-X Z",
            "KUBE-SVC-X A",
        ];
        assert_eq!(targets, expected);
        assert_eq!(
            table.chains().collect::<Vec<_>>(),
            ["KUBE-SERVICES", "KUBE-SVC-X"]
        );
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
