//! The maps and sets of the compiler: indexmap's (kept in insertion order, so no output
//! depends on hashing) and std's, with the Fx hasher instead of SipHash.
//!
//! knet hashes short strings read from its own input; SipHash's defence against chosen
//! keys buys nothing there, and it was about a twentieth of `build`'s instructions on a
//! large model. Build one with `default()` (or `collect()`); `new()` is SipHash's.

use smallvec::SmallVec;

/// The hasher of every map and set here.
pub type BuildHasher = rustc_hash::FxBuildHasher;
pub type IndexMap<K, V> = indexmap::IndexMap<K, V, BuildHasher>;
pub type IndexSet<T> = indexmap::IndexSet<T, BuildHasher>;
pub type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasher>;
pub type HashSet<T> = std::collections::HashSet<T, BuildHasher>;

/// A map that is a list while it holds few entries. Most maps of this kind (the keys of
/// one `labels` line, the port names of one app, the sources of the flows to one
/// destination) hold one to three, and a hash map costs an allocation and a hash each.
/// Past [`SmallMap::FEW`] entries the list moves into a hash map, so that a large one
/// stays linear. Lookups only: it has no order to iterate in but its values'. The
/// first entry is kept inline: many such maps (W0106's, one per destination) hold one.
pub struct SmallMap<K, V> {
    few: SmallVec<[(K, V); 1]>,
    many: Option<HashMap<K, V>>,
}

/// Up to this many entries, a list is searched rather than indexed: [`SmallMap`], and
/// the lists that are only looked at where they are (W0107's opened ports).
pub const SCANNED: usize = 8;

/// A place in a list or an offset in a text as a `u32`: the compiler keeps such numbers
/// in four bytes, not eight, because a large model holds millions of them (spans, rule
/// store entries, the places of flows, pods and policies). Nothing it reads or makes
/// reaches four billion; were it to, the number saturates rather than wraps.
pub fn narrow(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl<K: std::hash::Hash + Eq, V> SmallMap<K, V> {
    /// Up to this many entries are searched.
    pub const FEW: usize = SCANNED;

    pub fn new() -> Self {
        SmallMap {
            few: SmallVec::new(),
            many: None,
        }
    }

    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        match &self.many {
            Some(map) => map.get(key),
            None => self
                .few
                .iter()
                .find(|(k, _)| k.borrow() == key)
                .map(|(_, v)| v),
        }
    }

    /// The value that came first under `key`; if none did, `value` is kept under it and
    /// the answer is `None`. For "given twice" checks, which report against the first.
    pub fn first_or_insert(&mut self, key: K, value: V) -> Option<&V> {
        let mut inserted = false;
        let slot = self.get_or_insert_with(key, || {
            inserted = true;
            value
        });
        (!inserted).then_some(&*slot)
    }

    /// The value under `key`, made by `make` if there is none yet.
    pub fn get_or_insert_with(&mut self, key: K, make: impl FnOnce() -> V) -> &mut V {
        if self.many.is_none() && self.few.len() >= Self::FEW && self.get(&key).is_none() {
            self.many = Some(self.few.drain(..).collect());
        }
        if let Some(map) = &mut self.many {
            return map.entry(key).or_insert_with(make);
        }
        let at = match self.few.iter().position(|(k, _)| *k == key) {
            Some(at) => at,
            None => {
                self.few.push((key, make()));
                self.few.len() - 1
            }
        };
        &mut self.few[at].1
    }

    pub fn values_mut(&mut self) -> impl Iterator<Item = &mut V> {
        // One of the two is empty: the list is drained into the map.
        let few = self.few.iter_mut().map(|(_, v)| v);
        few.chain(self.many.iter_mut().flat_map(|map| map.values_mut()))
    }

    /// Every key with its value, in no particular order.
    pub fn into_entries(self) -> impl Iterator<Item = (K, V)> {
        self.few.into_iter().chain(self.many.into_iter().flatten())
    }
}

impl<K: std::hash::Hash + Eq, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values are found, kept and changed in place, before and after the list becomes
    /// a map; the first value under a key stays, and is what a second insertion finds.
    #[test]
    fn a_small_map_keeps_its_values_as_it_grows() {
        let names: Vec<String> = (0..3 * SmallMap::<&str, usize>::FEW)
            .map(|i| format!("n{i}"))
            .collect();
        let mut map: SmallMap<&str, usize> = SmallMap::new();
        for (i, name) in names.iter().enumerate() {
            assert_eq!(map.get(name.as_str()), None);
            assert_eq!(map.first_or_insert(name, i), None);
            assert_eq!(map.first_or_insert(name, i + 2000), Some(&i));
            assert_eq!(*map.get_or_insert_with(name, || i + 1000), i);
            *map.get_or_insert_with(names[0].as_str(), || 1000) += 0;
            assert_eq!(map.get(names[0].as_str()), Some(&0), "after {i} names");
            assert_eq!(map.get(name.as_str()), Some(&i), "after {i} names");
        }
        assert_eq!(map.get("other"), None);
        map.values_mut().for_each(|v| *v += 1);
        let mut values: Vec<usize> = names
            .iter()
            .filter_map(|n| map.get(n.as_str()).copied())
            .collect();
        values.sort_unstable();
        assert_eq!(values, (1..=names.len()).collect::<Vec<_>>());
        let mut entries: Vec<(&str, usize)> = map.into_entries().collect();
        entries.sort_unstable_by_key(|&(_, value)| value);
        let expected: Vec<(&str, usize)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i + 1))
            .collect();
        assert_eq!(entries, expected);
    }
}
