//! A table's rules, stored compactly.
//!
//! A preview of 100,000 apps holds about four million rules until they are sorted into
//! kube-proxy's canonical order and iptables-save's chain order. As [`Rule`]s (two
//! strings each, one of them with room to grow) they took two gigabytes. Here a rule is
//! sixteen bytes: its chain, a number into the chain names the store keeps once, and
//! where its packed arguments lie in the store's text. Sorting moves those sixteen
//! bytes, never the text.
//!
//! The text is kept in lanes ([`Text`]), so that what is written side by side in the
//! sorted order was also stored side by side.

use std::hash::BuildHasher as _;

use hashbrown::HashTable;

use crate::collections::{narrow, BuildHasher};

use super::order::name_key;
use super::rule::{Rule, RuleRef};

/// The largest text chunk. Chunks are never reallocated (a text that does not fit
/// starts the next one), so the store grows without copying what it holds.
const CHUNK: usize = 1 << 20;

/// A lane's first chunk; each next one is twice as large, up to [`CHUNK`].
const FIRST_CHUNK: usize = 1 << 10;

/// How many lanes a store's text has.
const LANES: usize = 8192;

/// Where a text lies in a [`Text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct At {
    chunk: u32,
    start: u32,
    end: u32,
}

/// Where one rule lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    chain: u32,
    at: At,
}

/// A store's text: chain names and rules, in chunks, each chunk in one lane.
///
/// A chain's name and rules go to the lane of its name ([`lane_of`]): the first two
/// bytes after its last dash, with what comes before. Sorted by name, as both of iptables'
/// orders sort chains, a run of chains then reads one lane's chunks. At 100,000 apps
/// kube-proxy's nat table is over a hundred megabytes of text; kept in the order it
/// was made, each of its rules written in sorted order read memory no cache held
/// (kube-proxy's chains are named by hashes, random to the order they are made in).
#[derive(Debug, Clone, Default)]
struct Text {
    chunks: Vec<String>,
    /// Each lane's open chunk (`u32::MAX`: none yet) and the size of its next one.
    lanes: Vec<(u32, usize)>,
}

impl Text {
    /// Copies `text` into `lane`.
    fn put(&mut self, lane: u32, text: &str) -> At {
        if self.lanes.is_empty() {
            self.lanes = vec![(u32::MAX, FIRST_CHUNK); LANES];
        }
        let (open, next) = &mut self.lanes[lane as usize];
        let fits = self
            .chunks
            .get(*open as usize)
            .is_some_and(|chunk| chunk.capacity() - chunk.len() >= text.len());
        if !fits {
            self.chunks
                .push(String::with_capacity((*next).max(text.len())));
            *open = narrow(self.chunks.len() - 1);
            *next = (*next * 2).min(CHUNK);
        }
        let chunk = &mut self.chunks[*open as usize];
        let start = narrow(chunk.len());
        chunk.push_str(text);
        At {
            chunk: *open,
            start,
            end: narrow(chunk.len()),
        }
    }

    fn get(&self, at: At) -> &str {
        self.chunks
            .get(at.chunk as usize)
            .and_then(|chunk| chunk.get(at.start as usize..at.end as usize))
            .unwrap_or("")
    }

    /// Moves `other`'s chunks to the end; where its texts now lie is [`Text::moved`].
    fn append(&mut self, other: Text) -> u32 {
        let offset = narrow(self.chunks.len());
        self.chunks.extend(other.chunks);
        offset
    }

    /// Where a text of a [`Text`] appended at `offset` now lies.
    fn moved(at: At, offset: u32) -> At {
        At {
            chunk: at.chunk + offset,
            ..at
        }
    }
}

/// The lane of a chain whose name has the [`name_key`] `key`: its name up to its last
/// dash and two bytes more, hashed into one of [`LANES`] (two such beginnings that share
/// a lane each read a lane twice as large). Names whose last dash is past their
/// fourteenth byte are laned by their first sixteen bytes.
///
/// kube-proxy's chains (`KUBE-SEP-`, `KUBE-SVC-`) and kube-router's are named by a
/// base32 hash: two bytes of it make a thousand lanes a prefix, so that at 100,000 apps
/// a lane holds tens of kilobytes.
fn lane_of(name: &str, key: u128) -> u32 {
    let kept = name
        .bytes()
        .rposition(|b| b == b'-')
        .map_or(name.len(), |dash| dash + 3)
        .min(16);
    let head = key.checked_shr(narrow(8 * (16 - kept))).unwrap_or(0);
    let folded = (head as u64 ^ (head >> 64) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    narrow((folded >> 32) as usize % LANES)
}

/// The hash a [`RuleStore`] finds a chain's number by, from its name.
fn name_hash(name: &str) -> u64 {
    BuildHasher::default().hash_one(name)
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

/// A chain of a [`RuleStore`]: its name's [`name_key`], where its name lies, and its
/// lane. The key is kept so that sorting chains reads them in the order they are
/// numbered, not their names in their lanes.
#[derive(Debug, Clone, Copy)]
struct Chain {
    key: u128,
    name: At,
    lane: u32,
}

/// Rules in order, each readable as a [`RuleRef`].
///
/// Chain numbers and text offsets are `u32` ([`narrow`]): a store past 4 GiB of text or
/// four billion chains is beyond any node's iptables (so are four billion policies or
/// pods, which the preview numbers the same way).
#[derive(Debug, Clone, Default)]
pub struct RuleStore {
    /// The chains by number.
    chains: Vec<Chain>,
    /// The chains' numbers by name, each with its name's hash.
    numbers: HashTable<(u64, u32)>,
    text: Text,
    entries: Vec<Entry>,
}

impl RuleStore {
    /// A store with room for about `chains` chains and `rules` rules.
    pub fn with_capacity(chains: usize, rules: usize) -> Self {
        RuleStore {
            chains: Vec::with_capacity(chains),
            numbers: HashTable::with_capacity(chains),
            entries: Vec::with_capacity(rules),
            ..RuleStore::default()
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
        let lane = self.chains[chain as usize].lane;
        let at = self.text.put(lane, view.packed());
        self.entries.push(Entry { chain, at });
    }

    /// Moves every rule of `other` to the end, in order, without copying its text.
    pub fn append(&mut self, other: RuleStore) {
        let chains: Vec<u32> = (0..other.chain_count())
            .map(|number| self.chain_number(other.chain_name(number)))
            .collect();
        let offset = self.text.append(other.text);
        self.entries
            .extend(other.entries.into_iter().map(|entry| Entry {
                chain: chains[entry.chain as usize],
                at: Text::moved(entry.at, offset),
            }));
    }

    /// The `index`th rule.
    pub fn get(&self, index: u32) -> Option<RuleRef<'_>> {
        self.entries
            .get(index as usize)
            .map(|&entry| RuleRef::new(self.chain_name(entry.chain), self.text.get(entry.at)))
    }

    /// The `index`th rule, whose chain the caller knows is `chain`: writing a chain's
    /// rules, looking its name up again for each rule would read the far end of the
    /// heap once a rule (at 100,000 apps, a cache miss each).
    pub fn get_in<'a>(&'a self, index: u32, chain: &'a str) -> Option<RuleRef<'a>> {
        let &entry = self.entries.get(index as usize)?;
        debug_assert_eq!(self.chain_name(entry.chain), chain);
        Some(RuleRef::new(chain, self.text.get(entry.at)))
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
            RuleRef::new(chain, self.text.get(entry.at))
        })
    }

    /// Numbers the chains anew: chain `order[i]` becomes chain `i`, and the chains not in
    /// `order` follow in the order of their numbers. Returns each chain's new number, by
    /// its old one.
    ///
    /// A table sorted by chain is then written in the order of its chains' numbers:
    /// reading them by their old numbers, at 100,000 apps, read the far end of the
    /// chains' list for each chain and each run of its rules (a cache miss each).
    pub fn renumber(&mut self, order: &[u32]) -> Vec<u32> {
        let count = self.chains.len();
        let mut new_of = vec![u32::MAX; count];
        let mut next = 0u32;
        for &old in order {
            if new_of[old as usize] == u32::MAX {
                new_of[old as usize] = next;
                next += 1;
            }
        }
        for new in new_of.iter_mut().filter(|new| **new == u32::MAX) {
            *new = next;
            next += 1;
        }
        let mut chains = self.chains.clone();
        for (old, &new) in new_of.iter().enumerate() {
            chains[new as usize] = self.chains[old];
        }
        self.chains = chains;
        for entry in &mut self.entries {
            entry.chain = new_of[entry.chain as usize];
        }
        for (_, number) in self.numbers.iter_mut() {
            *number = new_of[*number as usize];
        }
        new_of
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
        let newest = self.chain_count().checked_sub(1);
        if let Some(newest) = newest.filter(|&n| self.chain_name(n) == name) {
            return newest;
        }
        let hash = name_hash(name);
        if let Some(number) = self.find(hash, name) {
            return number;
        }
        let number = self.chain_count();
        let key = name_key(name);
        let lane = lane_of(name, key);
        self.chains.push(Chain {
            key,
            name: self.text.put(lane, name),
            lane,
        });
        self.numbers
            .insert_unique(hash, (hash, number), |&(hash, _)| hash);
        number
    }

    /// How many chains the store has met (numbered from 0).
    pub fn chain_count(&self) -> u32 {
        narrow(self.chains.len())
    }

    /// The number of the chain `name`, if the store has met it.
    pub fn number_of(&self, name: &str) -> Option<u32> {
        self.find(name_hash(name), name)
    }

    /// The number of the chain `name`, whose hash is `hash`: entries of another hash are
    /// passed over without reading their names, which lie in the lanes.
    fn find(&self, hash: u64, name: &str) -> Option<u32> {
        self.numbers
            .find(hash, |&(other, number)| {
                other == hash && self.chain_name(number) == name
            })
            .map(|&(_, number)| number)
    }

    /// The [`name_key`] of chain `number`'s name.
    pub fn chain_key(&self, number: u32) -> u128 {
        self.chains
            .get(number as usize)
            .map_or(0, |chain| chain.key)
    }

    /// The name of chain `number`.
    pub fn chain_name(&self, number: u32) -> &str {
        self.chains
            .get(number as usize)
            .map_or("", |chain| self.text.get(chain.name))
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
        let long = "x".repeat(CHUNK + 10);
        // Enough text in chain A's lane to fill its first chunks, and a rule larger
        // than the largest chunk.
        let mut pushed: Vec<Rule> = (0..2 * FIRST_CHUNK / 10)
            .map(|i| rule("A", &["-j", &i.to_string()]))
            .collect();
        pushed.extend([rule("B", &[&long]), rule("A", &["a b"]), rule("C", &[])]);
        store.extend(pushed.clone());
        assert_eq!(store.len(), pushed.len());
        assert!(store.text.chunks.len() >= 4, "A's lane and B's grew");
        let read: Vec<RuleRef> = store.iter().collect();
        let expected: Vec<RuleRef> = pushed.iter().map(Rule::view).collect();
        assert_eq!(read, expected);
        for (number, name) in ["A", "B", "C"].into_iter().enumerate() {
            assert_eq!(store.number_of(name), Some(narrow(number)));
            assert_eq!(store.chain_name(narrow(number)), name);
            assert_eq!(store.chain_key(narrow(number)), name_key(name));
        }
        assert_eq!(store.number_of("D"), None);
    }

    /// Chains whose names begin alike up to two bytes past their last dash share a
    /// lane: their names and rules lie in one chunk, whatever was stored in between.
    #[test]
    fn chains_that_sort_together_are_stored_together() {
        let mut store = RuleStore::default();
        let chains = [
            "KUBE-SEP-AB1",
            "KUBE-SVC-ZZ1",
            "KUBE-SEP-AB2",
            "KUBE-SEP-AC1",
        ];
        for chain in chains {
            store.push(rule(chain, &["-j", "ACCEPT"]));
        }
        let chunk_of = |index: u32| store.entries[index as usize].at.chunk;
        let name_chunk = |name: &str| {
            let number = store.number_of(name).unwrap_or(u32::MAX);
            store.chains[number as usize].name.chunk
        };
        assert_eq!(chunk_of(0), chunk_of(2), "KUBE-SEP-AB* share a lane");
        assert_eq!(name_chunk("KUBE-SEP-AB1"), chunk_of(2));
        assert_ne!(chunk_of(0), chunk_of(1));
        assert_ne!(chunk_of(0), chunk_of(3), "KUBE-SEP-AC* is another lane");
        assert_eq!(
            lane_of("KUBE-POD-FW-ABCDEF", name_key("KUBE-POD-FW-ABCDEF")),
            lane_of("KUBE-POD-FW-ABXYZ", name_key("KUBE-POD-FW-ABXYZ")),
        );
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

    /// Renumbered, chains keep their names and rules; those not listed follow.
    #[test]
    fn renumbering_keeps_names_rules_and_lookups() {
        let mut store = RuleStore::default();
        store.extend([rule("A", &["1"]), rule("B", &["2"]), rule("C", &["3"])]);
        store.push(rule("A", &["4"]));
        let new_of = store.renumber(&[2, 0]);
        assert_eq!(new_of, [1, 2, 0]);
        let names: Vec<&str> = (0..3).map(|n| store.chain_name(n)).collect();
        assert_eq!(names, ["C", "A", "B"]);
        assert_eq!(store.number_of("B"), Some(2));
        assert_eq!(store.chain_key(0), name_key("C"));
        let lines: Vec<String> = store.iter().map(RuleRef::to_restore).collect();
        assert_eq!(lines, ["-A A 1", "-A B 2", "-A C 3", "-A A 4"]);
        let groups = store.by_chain();
        assert_eq!(groups.of(1), [0, 3]);
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
