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
