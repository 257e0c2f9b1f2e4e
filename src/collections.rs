//! The maps and sets of the compiler: indexmap's (kept in insertion order, so no output
//! depends on hashing) and std's, with the Fx hasher instead of SipHash.
//!
//! knet hashes short strings read from its own input; SipHash's defence against chosen
//! keys buys nothing there, and it was about a twentieth of `build`'s instructions on a
//! large model. Build one with `default()` (or `collect()`); `new()` is SipHash's.

/// The hasher of every map and set here.
pub type BuildHasher = rustc_hash::FxBuildHasher;
pub type IndexMap<K, V> = indexmap::IndexMap<K, V, BuildHasher>;
pub type IndexSet<T> = indexmap::IndexSet<T, BuildHasher>;
pub type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasher>;
pub type HashSet<T> = std::collections::HashSet<T, BuildHasher>;

/// The first value seen under each name, for "given twice" checks. A few names are
/// searched in a list: most lines and blocks hold two or three, and a map would cost an
/// allocation and a hash each. Past [`FirstSeen::FEW`] they move into a map, so that a
/// line of tens of thousands stays linear.
pub struct FirstSeen<'a, V> {
    few: Vec<(&'a str, V)>,
    many: Option<HashMap<&'a str, V>>,
}

impl<'a, V: Copy> FirstSeen<'a, V> {
    /// Up to this many names are searched.
    pub const FEW: usize = 8;

    pub fn new() -> Self {
        FirstSeen {
            few: Vec::new(),
            many: None,
        }
    }

    /// The value first seen under `name`.
    pub fn get(&self, name: &str) -> Option<V> {
        match &self.many {
            Some(map) => map.get(name).copied(),
            None => self.few.iter().find(|(n, _)| *n == name).map(|&(_, v)| v),
        }
    }

    /// Records `value` under `name`, unless a value came first.
    pub fn add(&mut self, name: &'a str, value: V) {
        if let Some(map) = &mut self.many {
            map.entry(name).or_insert(value);
        } else if self.get(name).is_none() {
            self.few.push((name, value));
            if self.few.len() > Self::FEW {
                self.many = Some(self.few.drain(..).collect());
            }
        }
    }
}

impl<V: Copy> Default for FirstSeen<'_, V> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first value of each name is kept, before and after the list becomes a map.
    #[test]
    fn first_seen_keeps_the_first_value_of_each_name() {
        let names: Vec<String> = (0..3 * FirstSeen::<usize>::FEW)
            .map(|i| format!("n{i}"))
            .collect();
        let mut seen = FirstSeen::new();
        for (i, name) in names.iter().enumerate() {
            assert_eq!(seen.get(name), None);
            seen.add(name, i);
            seen.add(name, i + 1000);
            assert_eq!(seen.get(name), Some(i), "after {i} names");
            assert_eq!(seen.get(&names[0]), Some(0), "after {i} names");
        }
        assert_eq!(seen.get("other"), None);
    }
}
