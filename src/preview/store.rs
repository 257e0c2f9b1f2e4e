//! A table's rules, stored compactly.
//!
//! A preview of 100,000 apps holds about four million rules until they are sorted into
//! kube-proxy's canonical order and iptables-save's chain order. As [`Rule`]s (two
//! strings each, one of them with room to grow) they took two gigabytes. Here a rule is
//! sixteen bytes: its chain, a number into the chain names the store keeps once, and
//! where its packed arguments lie in a few large text chunks. Sorting moves those
//! sixteen bytes, never the text.

use crate::collections::{narrow, IndexSet};

use super::rule::{Rule, RuleRef};

/// The size of a text chunk. Chunks are never reallocated (a rule that does not fit
/// starts the next one), so the store grows without copying what it holds.
const CHUNK: usize = 1 << 20;

/// Where one rule lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    chain: u32,
    chunk: u32,
    start: u32,
    end: u32,
}

/// The rules of a [`RuleStore`] grouped by chain.
pub struct ChainGroups {
    /// Where each chain's indices start in `indices` (one more entry than chains).
    starts: Vec<u32>,
    indices: Vec<u32>,
}

impl ChainGroups {
    /// The indices of the rules of chain `number`, in order.
    pub fn of(&self, number: u32) -> &[u32] {
        let chain = number as usize;
        match (self.starts.get(chain), self.starts.get(chain + 1)) {
            (Some(&start), Some(&end)) => self
                .indices
                .get(start as usize..end as usize)
                .unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// Rules in order, each readable as a [`RuleRef`].
///
/// Chain numbers and text offsets are `u32` ([`narrow`]): a store past 4 GiB of text or
/// four billion chains is beyond any node's iptables (so are four billion policies or
/// pods, which the preview numbers the same way).
#[derive(Debug, Clone, Default)]
pub struct RuleStore {
    chains: IndexSet<String>,
    chunks: Vec<String>,
    entries: Vec<Entry>,
}

impl RuleStore {
    /// A store with room for about `chains` chains and `rules` rules.
    pub fn with_capacity(chains: usize, rules: usize) -> Self {
        RuleStore {
            chains: IndexSet::with_capacity_and_hasher(chains, Default::default()),
            chunks: Vec::new(),
            entries: Vec::with_capacity(rules),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Appends a rule, copying its arguments into the store's text.
    pub fn push(&mut self, rule: Rule) {
        let view = rule.view();
        let chain = self.chain_number(view.chain);
        let packed = view.packed();
        let fits = self
            .chunks
            .last()
            .is_some_and(|chunk| chunk.capacity() - chunk.len() >= packed.len());
        if !fits {
            self.chunks
                .push(String::with_capacity(CHUNK.max(packed.len())));
        }
        let chunk_index = self.chunks.len() - 1;
        let chunk = &mut self.chunks[chunk_index];
        let start = chunk.len();
        chunk.push_str(packed);
        self.entries.push(Entry {
            chain,
            chunk: narrow(chunk_index),
            start: narrow(start),
            end: narrow(chunk.len()),
        });
    }

    /// Moves every rule of `other` to the end, in order, without copying its text.
    pub fn append(&mut self, other: RuleStore) {
        let chains: Vec<u32> = other
            .chains
            .iter()
            .map(|name| self.chain_number(name))
            .collect();
        let offset = narrow(self.chunks.len());
        self.entries
            .extend(other.entries.into_iter().map(|entry| Entry {
                chain: chains[entry.chain as usize],
                chunk: entry.chunk + offset,
                ..entry
            }));
        self.chunks.extend(other.chunks);
    }

    /// The `index`th rule.
    pub fn get(&self, index: u32) -> Option<RuleRef<'_>> {
        self.entries
            .get(index as usize)
            .map(|&entry| self.view(entry))
    }

    /// The `index`th rule, whose chain the caller knows is `chain`: writing a chain's
    /// rules, looking its name up again for each rule would read the far end of the
    /// heap once a rule (at 100,000 apps, a cache miss each).
    pub fn get_in<'a>(&'a self, index: u32, chain: &'a str) -> Option<RuleRef<'a>> {
        let &entry = self.entries.get(index as usize)?;
        debug_assert_eq!(self.chain_name(entry.chain), chain);
        Some(RuleRef::new(chain, self.packed(entry)))
    }

    /// The rules in order. Rules come chain by chain, so a chain's name is looked up
    /// once for a run of its rules: written in kube-proxy's order, at 100,000 apps,
    /// a lookup for every rule read the far end of the heap.
    pub fn iter(&self) -> impl Iterator<Item = RuleRef<'_>> {
        let mut last: Option<(u32, &str)> = None;
        self.entries.iter().map(move |&entry| {
            let chain = match last {
                Some((number, name)) if number == entry.chain => name,
                _ => {
                    let name = self.chain_name(entry.chain);
                    last = Some((entry.chain, name));
                    name
                }
            };
            RuleRef::new(chain, self.packed(entry))
        })
    }

    /// Keeps the rules at `order`'s indices, in that order.
    pub fn reorder(&mut self, order: &[u32]) {
        self.entries = order.iter().map(|&i| self.entries[i as usize]).collect();
    }

    /// The rules' indices grouped by chain, each group in order: a counting sort, four
    /// bytes a rule (a chain's are [`ChainGroups::of`] its number).
    pub fn by_chain(&self) -> ChainGroups {
        let mut starts = vec![0u32; self.chains.len() + 1];
        for entry in &self.entries {
            starts[entry.chain as usize + 1] += 1;
        }
        for chain in 1..starts.len() {
            starts[chain] += starts[chain - 1];
        }
        let mut next = starts.clone();
        let mut indices = vec![0u32; self.entries.len()];
        for (i, entry) in self.entries.iter().enumerate() {
            let slot = &mut next[entry.chain as usize];
            indices[*slot as usize] = narrow(i);
            *slot += 1;
        }
        ChainGroups { starts, indices }
    }

    /// The number of the chain `name`, given to it now if it has none: chains are
    /// numbered in the order the store first meets them, by a rule or by
    /// [`super::rule::Table::chain`].
    pub fn chain_number(&mut self, name: &str) -> u32 {
        // Rules come chain by chain: most are in the chain of the rule before, and a
        // chain's first rule most often comes right after the chain was declared (met
        // last). A lookup by name is a cache miss or two at 100,000 apps.
        if let Some(last) = self.entries.last() {
            if self.chain_name(last.chain) == name {
                return last.chain;
            }
        }
        if self.chains.last().is_some_and(|newest| newest == name) {
            return narrow(self.chains.len() - 1);
        }
        let number = match self.chains.get_index_of(name) {
            Some(number) => number,
            None => self.chains.insert_full(name.to_string()).0,
        };
        narrow(number)
    }

    /// How many chains the store has met (numbered from 0).
    pub fn chain_count(&self) -> u32 {
        narrow(self.chains.len())
    }

    /// The number of the chain `name`, if the store has met it.
    pub fn number_of(&self, name: &str) -> Option<u32> {
        self.chains.get_index_of(name).map(narrow)
    }

    /// The name of chain `number`.
    pub fn chain_name(&self, number: u32) -> &str {
        self.chains
            .get_index(number as usize)
            .map_or("", String::as_str)
    }

    fn view(&self, entry: Entry) -> RuleRef<'_> {
        RuleRef::new(self.chain_name(entry.chain), self.packed(entry))
    }

    fn packed(&self, entry: Entry) -> &str {
        self.chunks[entry.chunk as usize]
            .get(entry.start as usize..entry.end as usize)
            .unwrap_or("")
    }
}

impl PartialEq for RuleStore {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for RuleStore {}

impl Extend<Rule> for RuleStore {
    fn extend<I: IntoIterator<Item = Rule>>(&mut self, rules: I) {
        for rule in rules {
            self.push(rule);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(chain: &str, args: &[&str]) -> Rule {
        Rule::new(chain).arg(args)
    }

    #[test]
    fn rules_read_back_as_pushed_across_chunks() {
        let mut store = RuleStore::default();
        let long = "x".repeat(CHUNK - 10);
        let pushed = [
            rule("A", &["-j", "ACCEPT"]),
            rule("B", &[&long]),
            rule("A", &["-m", "comment", "--comment", "a b"]),
            rule("C", &[]),
        ];
        store.extend(pushed.clone());
        assert_eq!(store.len(), 4);
        assert!(store.chunks.len() >= 2, "the long rule starts a new chunk");
        let read: Vec<RuleRef> = store.iter().collect();
        let expected: Vec<RuleRef> = pushed.iter().map(Rule::view).collect();
        assert_eq!(read, expected);
    }

    #[test]
    fn reorder_keeps_and_moves_rules_and_by_chain_groups_them() {
        let mut store = RuleStore::default();
        store.extend([rule("A", &["1"]), rule("B", &["2"]), rule("A", &["3"])]);
        let groups = store.by_chain();
        let group = |name: &str| store.number_of(name).map(|number| groups.of(number));
        assert_eq!(group("A"), Some(&[0, 2][..]));
        assert_eq!(group("B"), Some(&[1][..]));
        assert!(group("Z").is_none());
        let b = store.number_of("B").expect("B has a number");
        assert_eq!((store.chain_name(b), groups.of(b)), ("B", &[1][..]));
        assert_eq!(store.chain_count(), 2);
        assert!(groups.of(2).is_empty(), "no chain has that number");
        let chain_a: Vec<String> = group("A")
            .unwrap_or_default()
            .iter()
            .filter_map(|&i| store.get(i))
            .map(RuleRef::to_restore)
            .collect();
        assert_eq!(chain_a, ["-A A 1", "-A A 3"]);
        store.reorder(&[2, 0]);
        let args: Vec<String> = store.iter().map(RuleRef::to_restore).collect();
        assert_eq!(args, ["-A A 3", "-A A 1"]);
    }

    #[test]
    fn append_moves_rules_with_their_chains() {
        let mut first = RuleStore::default();
        first.push(rule("A", &["1"]));
        let mut second = RuleStore::default();
        second.extend([rule("B", &["2"]), rule("A", &["3"])]);
        first.append(second);
        first.push(rule("B", &["4"]));
        let lines: Vec<String> = first.iter().map(RuleRef::to_restore).collect();
        assert_eq!(lines, ["-A A 1", "-A B 2", "-A A 3", "-A B 4"]);
        assert_eq!(first.chains.len(), 2);
    }
}
