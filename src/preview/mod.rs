//! Stage 3b, preview: the rules a node would carry for the model.
//!
//! In: a checked model. Out: text. [`iptables`] prints what kube-proxy (iptables mode)
//! programs for the Services ([`kube_proxy`]) followed by what kube-router programs
//! for the NetworkPolicies ([`kube_router`]); [`ipset`] prints the sets kube-router's
//! rules match on. Addresses come from [`address`]: stable, pinned ones first.
//!
//! Two formats: [`Format::Restore`] is kube-proxy's own `iptables-restore` payload,
//! byte for byte, in the canonical order of kube-proxy's tests ([`order`]), followed by
//! kube-router's filter payload; [`Format::Save`] is what `iptables-save` prints on
//! such a node ([`save`]), built-in chains and their jump rules included.

pub mod address;
pub mod hash;
pub mod kube_proxy;
pub mod kube_router;
pub mod order;
pub mod rule;
pub mod save;
pub mod store;

use crate::ir::Model;
use crate::sink::Sink;
use rule::{Rule, Table};
use store::RuleStore;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Save,
    Restore,
}

/// The iptables preview of a model.
pub fn iptables(model: &Model, format: Format) -> String {
    crate::sink::to_string(|out| drop(write(model, format, out)))
}

/// What [`write`] made last, and wrote last. Dropped, it is freed; a command about to
/// exit can leave it to the exit instead (at 100,000 apps it is millions of allocations).
pub enum Made {
    /// kube-proxy's nat table, the save format's last part.
    Nat(Table),
    /// kube-router's part, the restore format's last.
    KubeRouter(kube_router::KubeRouter),
}

/// Writes the preview of `model` in `format` into `out`: everything a node carries for
/// the model, kube-proxy's tables (in kube-proxy's canonical order, in both formats, so
/// that loading the restore format and running iptables-save gives exactly the save
/// format) and kube-router's part.
///
/// The parts are made in the order they are written, and each is freed once written,
/// before the next is made: the largest part, not their sum, is what a preview adds to
/// the model's memory. (At 100,000 apps kube-proxy's nat table and kube-router's part
/// are over a hundred megabytes each.) iptables-save writes kube-router's chains among
/// kube-proxy's filter chains, and the nat table after them: that format walks the
/// Service ports twice, once for the filter table and once for the nat table.
pub fn write(model: &Model, format: Format, out: &mut Sink) -> Made {
    let addresses = address::allocate(model);
    let config = kube_proxy::config(model);
    // The Service ports are freed before a table is sorted, once no walk needs them.
    let ports = kube_proxy::service_ports(model, &addresses);
    let router = || kube_router::payload(model, &addresses, kube_router::Wanted::Rules);
    match format {
        Format::Restore => {
            let (filter, nat) = kube_proxy::payload(&config, &ports);
            drop(ports);
            order::canonical(filter).write_restore(out);
            order::canonical(nat).write_restore(out);
            out.push_str("# kube-router: NetworkPolicies (load with iptables-restore --noflush)");
            out.line_end();
            let router = router();
            router.write_restore(out);
            Made::KubeRouter(router)
        }
        Format::Save => {
            let router = router();
            let (filter, _) = kube_proxy::payload_of(&config, &ports, kube_proxy::Tables::Filter);
            let filter = order::canonical(filter);
            let localhost_firewall = filter.declares("KUBE-FIREWALL");
            let mut filter_jumps = router.builtin_jumps.clone();
            filter_jumps.extend(kube_proxy_filter_jumps(localhost_firewall));
            save_table(
                out,
                &[&router.filter, &filter],
                (
                    &|number, chain, write| router.made_rules(number, chain, write),
                    router.pods_at,
                ),
                &["INPUT", "FORWARD", "OUTPUT"],
                &filter_jumps,
                config.ipv6,
            );
            drop((router, filter));
            let (_, nat) = kube_proxy::payload_of(&config, &ports, kube_proxy::Tables::Nat);
            drop(ports);
            let nat = order::canonical(nat);
            save_table(
                out,
                &[&nat],
                (&|_, _, _| {}, usize::MAX),
                &["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
                &kube_proxy_nat_jumps(),
                config.ipv6,
            );
            Made::Nat(nat)
        }
    }
}

/// The ipset preview (`ipset save` format).
pub fn ipset(model: &Model) -> String {
    let addresses = address::allocate(model);
    kube_router::payload(model, &addresses, kube_router::Wanted::Sets).ipset_save()
}

/// kube-proxy's jumps from the built-in filter chains, in the order a fresh node ends up
/// with (each is prepended when missing, reference §2.1), and kubelet's KUBE-FIREWALL.
fn kube_proxy_filter_jumps(localhost_firewall: bool) -> Vec<Rule> {
    let new = ["-m", "conntrack", "--ctstate", "NEW"];
    let firewall = |chain: &str| {
        Rule::new(chain)
            .arg(new)
            .comment("kubernetes load balancer firewall")
            .jump("KUBE-PROXY-FIREWALL")
    };
    let external = |chain: &str| {
        Rule::new(chain)
            .arg(new)
            .comment("kubernetes externally-visible service portals")
            .jump("KUBE-EXTERNAL-SERVICES")
    };
    let services = |chain: &str| {
        Rule::new(chain)
            .arg(new)
            .comment("kubernetes service portals")
            .jump("KUBE-SERVICES")
    };
    let mut rules = vec![
        firewall("INPUT"),
        Rule::new("INPUT")
            .comment("kubernetes health check service ports")
            .jump("KUBE-NODEPORTS"),
        external("INPUT"),
    ];
    if localhost_firewall {
        rules.push(Rule::new("INPUT").jump("KUBE-FIREWALL"));
    }
    rules.extend([
        firewall("FORWARD"),
        Rule::new("FORWARD")
            .comment("kubernetes forwarding rules")
            .jump("KUBE-FORWARD"),
        services("FORWARD"),
        external("FORWARD"),
        firewall("OUTPUT"),
        services("OUTPUT"),
    ]);
    if localhost_firewall {
        rules.push(Rule::new("OUTPUT").jump("KUBE-FIREWALL"));
    }
    rules
}

fn kube_proxy_nat_jumps() -> Vec<Rule> {
    vec![
        Rule::new("PREROUTING")
            .comment("kubernetes service portals")
            .jump("KUBE-SERVICES"),
        Rule::new("OUTPUT")
            .comment("kubernetes service portals")
            .jump("KUBE-SERVICES"),
        Rule::new("POSTROUTING")
            .comment("kubernetes postrouting rules")
            .jump("KUBE-POSTROUTING"),
    ]
}

/// A chain of one of the stores [`save_table`] merges: its name, the store (0: the
/// jumps, then the parts in order), its number there, the indices of its rules there,
/// and whether that part declares it.
///
/// The rules' indices are found while the chains are listed in the stores' order, not
/// later in the order of name: that order is random to the stores, and at 100,000 apps
/// each lookup in it read memory no cache held.
struct ChainOf<'a> {
    key: u128,
    name: &'a str,
    source: usize,
    number: u32,
    stored: &'a [u32],
    declared: bool,
}

/// A chain's number in one store and the indices of its rules there.
type InStore<'a> = Option<(u32, &'a [u32])>;

/// One of the stores [`save_table`] merges (the jumps', or a part's with its table),
/// with its rules grouped by chain.
struct Source<'a> {
    store: &'a RuleStore,
    table: Option<&'a Table>,
    groups: store::ChainGroups,
}

/// Writes the rules of a chain that a payload makes while written (see [`save_table`]),
/// given the chain's number in the first part's rule store (if it has the chain) and
/// its name.
type MadeRules<'a> = dyn Fn(Option<u32>, &str, &mut dyn FnMut(&Rule)) + 'a;

/// One table as `iptables-save` prints it: built-in chains with their policy, user
/// chains sorted by name, then the rules chain by chain in that order, each chain's
/// rules in the order they were loaded. `made` writes the rules of a chain that the
/// first part makes while written (kube-router's pod chains and the jumps into them):
/// they go before that part's stored rules from the index it gives on.
fn save_table(
    out: &mut Sink,
    parts: &[&Table],
    made: (&MadeRules, usize),
    builtins: &[&str],
    jumps: &[Rule],
    ipv6: bool,
) {
    let name = parts.first().map_or("filter", |t| t.name);
    let mut jumps_store = RuleStore::default();
    jumps_store.extend(jumps.iter().cloned());
    // The stores merged: the jumps first, then the parts in order.
    let sources: Vec<Source> = std::iter::once((&jumps_store, None))
        .chain(parts.iter().map(|t| (&t.rules, Some(*t))))
        .map(|(store, table)| Source {
            store,
            table,
            groups: store.by_chain(),
        })
        .collect();
    // Every chain of every store, sorted by name: a chain's groups in each store are
    // then side by side, and no name is looked up.
    let mut chains: Vec<ChainOf> = Vec::new();
    for (index, source) in sources.iter().enumerate() {
        for number in 0..source.store.chain_count() {
            let name = source.store.chain_name(number);
            chains.push(ChainOf {
                key: source.store.chain_key(number),
                name,
                source: index,
                number,
                stored: source.groups.of(number),
                declared: source.table.is_some_and(|t| t.is_declared(number)),
            });
        }
    }
    chains.sort_unstable_by(|a, b| (a.key, a.name, a.source).cmp(&(b.key, b.name, b.source)));
    // Names that differ in their key differ: most neighbours are told apart without
    // reading their names.
    let runs: Vec<&[ChainOf]> = chains
        .chunk_by(|a, b| a.key == b.key && a.name == b.name)
        .filter(|run| run.iter().any(|chain| chain.declared))
        .collect();
    out.push('*');
    out.push_str(name);
    out.line_end();
    for builtin in builtins {
        rule::push_chain_line(out, builtin, "ACCEPT");
    }
    for run in &runs {
        rule::push_chain_line(out, run[0].name, "-");
    }
    let (make, made_at) = made;
    // The source of the first part, whose rules made while written go before its stored
    // rules from `made_at` on.
    const FIRST_PART: usize = 1;
    let write_stored = |out: &mut Sink, store: &RuleStore, chain: &str, indices: &[u32]| {
        for rule in indices.iter().filter_map(|&i| store.get_in(i, chain)) {
            save::push_rendered(out, rule, ipv6);
            out.line_end();
        }
    };
    // The rules of one chain, given where it is in each store, by source (None: the
    // store has no such chain).
    let write_chain = |out: &mut Sink, chain: &str, in_stores: &[InStore]| {
        for (index, (source, &at)) in sources.iter().zip(in_stores).enumerate() {
            let store = source.store;
            let stored = at.map_or(&[][..], |(_, stored)| stored);
            if index != FIRST_PART {
                write_stored(out, store, chain, stored);
                continue;
            }
            let split = stored.partition_point(|&i| (i as usize) < made_at);
            write_stored(out, store, chain, &stored[..split]);
            make(at.map(|(number, _)| number), chain, &mut |rule: &Rule| {
                save::push_rendered(out, rule.view(), ipv6);
                out.line_end();
            });
            write_stored(out, store, chain, &stored[split..]);
        }
    };
    // One list for every chain in turn (a large preview has 700,000).
    let mut in_stores: Vec<InStore> = vec![None; sources.len()];
    for builtin in builtins {
        for (slot, source) in in_stores.iter_mut().zip(&sources) {
            *slot = source
                .store
                .number_of(builtin)
                .map(|number| (number, source.groups.of(number)));
        }
        write_chain(out, builtin, &in_stores);
    }
    for run in &runs {
        in_stores.fill(None);
        for chain in *run {
            in_stores[chain.source] = Some((chain.number, chain.stored));
        }
        write_chain(out, run[0].name, &in_stores);
    }
    out.push_str("COMMIT");
    out.line_end();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(chain: &str, target: &str) -> Rule {
        Rule::new(chain).arg(["-j", target])
    }

    /// iptables-save's layout of merged parts: built-in chains with their jumps first,
    /// then every chain some part declares, by name, with the rules every part (and the
    /// rules made while written) has in it, part by part. The first part's rules from
    /// `made_at` on come after the made ones. A chain that only has rules, and no part
    /// declares, is not written.
    #[test]
    fn parts_are_merged_chain_by_chain_in_order_of_name() {
        let mut router = Table::new("filter");
        router.chain("Z-ROUTER");
        router.chain("A-SHARED");
        router.push(rule("Z-ROUTER", "ACCEPT"));
        router.push(rule("A-SHARED", "RETURN"));
        router.push(rule("UNDECLARED", "DROP"));
        router.push(rule("Z-ROUTER", "RETURN"));
        let mut proxy = Table::new("filter");
        proxy.chain("M-PROXY");
        proxy.push(rule("M-PROXY", "DROP"));
        proxy.push(rule("A-SHARED", "ACCEPT"));
        proxy.push(rule("INPUT", "LOG"));
        proxy.push(rule("Z-ROUTER", "DROP"));
        let z_router = router.rules.number_of("Z-ROUTER");
        let made = |number: Option<u32>, chain: &str, write: &mut dyn FnMut(&Rule)| {
            if number == z_router {
                assert_eq!(chain, "Z-ROUTER");
                write(&rule("Z-ROUTER", "MADE"));
            }
        };
        let text = crate::sink::to_string(|out| {
            save_table(
                out,
                &[&router, &proxy],
                (&made, 1),
                &["INPUT", "FORWARD"],
                &[rule("FORWARD", "M-PROXY")],
                false,
            )
        });
        let expected = [
            "*filter",
            ":INPUT ACCEPT [0:0]",
            ":FORWARD ACCEPT [0:0]",
            ":A-SHARED - [0:0]",
            ":M-PROXY - [0:0]",
            ":Z-ROUTER - [0:0]",
            "-A INPUT -j LOG",
            "-A FORWARD -j M-PROXY",
            "-A A-SHARED -j RETURN",
            "-A A-SHARED -j ACCEPT",
            "-A M-PROXY -j DROP",
            "-A Z-ROUTER -j ACCEPT",
            "-A Z-ROUTER -j MADE",
            "-A Z-ROUTER -j RETURN",
            "-A Z-ROUTER -j DROP",
            "COMMIT",
            "",
        ];
        assert_eq!(text, expected.join("\n"));
    }
}
