//! Numbered items (pods, apps, policies: the caller's numbers) listed per namespace
//! under labels, so that matching labels against selectors looks at a few lists instead
//! of at every item.
//!
//! Two uses, one structure:
//! - Pods under every label they carry: the pods a `matchLabels` selector may pick are
//!   those under its rarest label ([`LabelLists::rarest`]).
//! - Selectors under the first label of their `matchLabels` (those without any on a
//!   list of the namespace's own): the selectors a pod's labels may satisfy are those
//!   under one of its labels, or on that list ([`LabelLists::under_any`]).
//!
//! Either way the lists only narrow the search: the caller matches each item found.

use crate::collections::HashMap;

use super::objects::Labels;

#[derive(Debug, Clone, Default)]
pub struct LabelLists {
    namespaces: HashMap<String, Lists>,
}

#[derive(Debug, Clone, Default)]
struct Lists {
    /// Key, then value: the items listed under that label, in the order added.
    by_label: HashMap<String, HashMap<String, Vec<usize>>>,
    /// The items listed under no label.
    unlabelled: Vec<usize>,
}

impl LabelLists {
    fn lists(&mut self, namespace: &str) -> &mut Lists {
        if !self.namespaces.contains_key(namespace) {
            self.namespaces
                .insert(namespace.to_string(), Lists::default());
        }
        self.namespaces.get_mut(namespace).expect("just inserted")
    }

    /// Lists `item` under the label `key=value` of `namespace`.
    pub fn add(&mut self, namespace: &str, key: &str, value: &str, item: usize) {
        self.lists(namespace)
            .by_label
            .entry(key.to_string())
            .or_default()
            .entry(value.to_string())
            .or_default()
            .push(item);
    }

    /// Lists `item` under every label of `labels`.
    pub fn add_all(&mut self, namespace: &str, labels: &Labels, item: usize) {
        for (key, value) in labels {
            self.add(namespace, key, value, item);
        }
    }

    /// Lists `item` under the first label of `selector`, or, when it has none, on the
    /// namespace's list of unlabelled items.
    pub fn add_first(&mut self, namespace: &str, selector: &Labels, item: usize) {
        match selector.first() {
            Some((key, value)) => self.add(namespace, key, value, item),
            None => self.lists(namespace).unlabelled.push(item),
        }
    }

    /// The items under `key=value` in `namespace`.
    pub fn under(&self, namespace: &str, key: &str, value: &str) -> &[usize] {
        self.namespaces
            .get(namespace)
            .and_then(|lists| lists.by_label.get(key))
            .and_then(|values| values.get(value))
            .map_or(&[], Vec::as_slice)
    }

    /// The shortest of the lists under the labels of `selector` (`None` when it has no
    /// label): every item that carries all of them is on it.
    pub fn rarest(&self, namespace: &str, selector: &Labels) -> Option<&[usize]> {
        selector
            .iter()
            .map(|(key, value)| self.under(namespace, key, value))
            .min_by_key(|items| items.len())
    }

    /// The items listed under one of `labels` or under none, ascending: with
    /// [`LabelLists::add_first`], every selector that `labels` may satisfy.
    pub fn under_any(&self, namespace: &str, labels: &Labels) -> Vec<usize> {
        let Some(lists) = self.namespaces.get(namespace) else {
            return Vec::new();
        };
        let mut found = lists.unlabelled.clone();
        for (key, value) in labels {
            found.extend_from_slice(self.under(namespace, key, value));
        }
        // An item is listed once, and a pod has one value per key: no repeats.
        found.sort_unstable();
        found
    }
}
