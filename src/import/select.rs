//! Which apps of the input a policy's selectors pick, found through an index of their
//! labels instead of a match against every app.
//!
//! The importer asks, for each app, which policies select it, and for each pair of apps,
//! whether the policies of one let the other through. Asked of every app (and every
//! pair), both are quadratic in apps: 10,000 apps took 74 s. A selector with
//! `matchLabels` can only pick apps that carry each of its labels, so the index keeps,
//! per namespace, the apps that carry each `key=value`; a selector is then matched
//! against the apps of its rarest label alone. (A selector of only `matchExpressions`,
//! or none, is matched against every app of its namespaces, as before.)

use std::ops::Range;

use crate::collections::IndexMap;
use crate::kube::label_lists::LabelLists;
use crate::kube::objects::{Labels, Policy, PolicyPeer, Rule, Selector};

/// The apps of the input, numbered in the importer's order (namespace by namespace).
pub struct PodIndex<'a> {
    /// Each app's pod labels, by number.
    labels: Vec<&'a Labels>,
    /// Per namespace: its labels (with its name) and its apps' numbers.
    namespaces: IndexMap<&'a str, Namespace<'a>>,
    /// The apps' numbers under each label their pods carry.
    by_label: LabelLists,
}

struct Namespace<'a> {
    labels: &'a Labels,
    apps: Range<usize>,
}

/// The apps a rule's peers pick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Picked {
    /// Every pod (a rule without `from` or `to`).
    Every,
    /// These apps' numbers, ascending.
    Apps(Vec<usize>),
}

impl<'a> PodIndex<'a> {
    /// `apps`: each namespace's apps' pod labels, in order; `namespace_labels`: each
    /// namespace's labels.
    pub fn new(
        apps: impl IntoIterator<Item = (&'a str, Vec<&'a Labels>)>,
        namespace_labels: &'a IndexMap<&'a str, Labels>,
    ) -> Self {
        let mut index = PodIndex {
            labels: Vec::new(),
            namespaces: IndexMap::default(),
            by_label: LabelLists::default(),
        };
        for (namespace, pods) in apps {
            let start = index.labels.len();
            for (offset, labels) in pods.iter().enumerate() {
                index.by_label.add_all(namespace, labels, start + offset);
            }
            index.labels.extend(pods);
            index.namespaces.insert(
                namespace,
                Namespace {
                    labels: &namespace_labels[namespace],
                    apps: start..index.labels.len(),
                },
            );
        }
        index
    }

    /// The apps of `namespace` that `selector` picks, ascending.
    pub fn select(&self, namespace: &str, selector: &Selector) -> Vec<usize> {
        let Some(space) = self.namespaces.get(namespace) else {
            return Vec::new();
        };
        let matches = |&app: &usize| selector.matches(self.labels[app]);
        match self.by_label.rarest(namespace, &selector.labels) {
            Some(apps) => apps.iter().copied().filter(matches).collect(),
            None => space.apps.clone().filter(matches).collect(),
        }
    }

    /// The policies that select each app, as indices into `policies`, ascending.
    pub fn selecting(&self, policies: &[Policy]) -> Vec<Vec<usize>> {
        let mut selected = vec![Vec::new(); self.labels.len()];
        for (at, policy) in policies.iter().enumerate() {
            for app in self.select(&policy.namespace, &policy.pod_selector) {
                selected[app].push(at);
            }
        }
        selected
    }

    /// The apps the peers of a rule of a policy in `namespace` pick (address blocks
    /// pick none).
    pub fn picked(&self, rule: &Rule, namespace: &str) -> Picked {
        let Some(peers) = &rule.peers else {
            return Picked::Every;
        };
        let mut apps = Vec::new();
        for peer in peers {
            let PolicyPeer::Pods { namespaces, pods } = peer else {
                continue;
            };
            let spaces: Vec<&str> = match namespaces {
                None => vec![namespace],
                Some(selector) => self
                    .namespaces
                    .iter()
                    .filter(|(_, space)| selector.matches(space.labels))
                    .map(|(name, _)| *name)
                    .collect(),
            };
            for space in spaces {
                match pods {
                    None => {
                        apps.extend(self.namespaces.get(space).map_or(0..0, |s| s.apps.clone()))
                    }
                    Some(selector) => apps.extend(self.select(space, selector)),
                }
            }
        }
        apps.sort_unstable();
        apps.dedup();
        Picked::Apps(apps)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube::objects::strategies::{labels, selector};
    use proptest::prelude::*;

    const NAMESPACES: [&str; 3] = ["a", "b", "c"];

    fn peer() -> impl Strategy<Value = PolicyPeer> {
        prop_oneof![
            (prop::option::of(selector()), prop::option::of(selector()))
                .prop_map(|(namespaces, pods)| PolicyPeer::Pods { namespaces, pods }),
            Just(PolicyPeer::Block {
                cidr: "10.0.0.0/8".to_string(),
                except: Vec::new(),
            }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// What the index picks is what a match against every app picks: the apps a
        /// selector selects, the policies that select each app, and the apps a rule's
        /// peers pick (pods of the policy's namespace, or of the namespaces a
        /// namespace selector picks; address blocks none).
        #[test]
        fn the_index_picks_what_a_scan_picks(
            pods in prop::collection::vec((0..3usize, labels()), 0..12),
            namespace_labels in prop::collection::vec(labels(), 3),
            policies in prop::collection::vec((0..3usize, selector()), 0..5),
            peers in prop::option::of(prop::collection::vec(peer(), 0..3)),
        ) {
            let mut pods = pods;
            pods.sort_by_key(|(ns, _)| *ns);
            let spaces: IndexMap<&str, Labels> = NAMESPACES
                .iter()
                .zip(namespace_labels)
                .map(|(ns, labels)| (*ns, labels))
                .collect();
            let grouped: Vec<(&str, Vec<&Labels>)> = NAMESPACES
                .iter()
                .map(|ns| (*ns, pods.iter().filter(|(n, _)| NAMESPACES[*n] == *ns).map(|(_, l)| l).collect::<Vec<_>>()))
                .filter(|(_, list)| !list.is_empty())
                .collect();
            let index = PodIndex::new(grouped, &spaces);
            let namespace_of = |app: usize| NAMESPACES[pods[app].0];
            let scan = |ns: &str, selector: &Selector| -> Vec<usize> {
                (0..pods.len())
                    .filter(|&i| namespace_of(i) == ns && selector.matches(&pods[i].1))
                    .collect()
            };
            let policies: Vec<Policy> = policies
                .into_iter()
                .map(|(ns, pod_selector)| Policy {
                    name: "p".to_string(),
                    namespace: NAMESPACES[ns].to_string(),
                    pod_selector,
                    ingress: None,
                    egress: None,
                    span: crate::source::Span::default(),
                })
                .collect();
            for policy in &policies {
                prop_assert_eq!(
                    index.select(&policy.namespace, &policy.pod_selector),
                    scan(&policy.namespace, &policy.pod_selector)
                );
            }
            let selected = index.selecting(&policies);
            for (app, found) in selected.iter().enumerate() {
                let expected: Vec<usize> = (0..policies.len())
                    .filter(|&at| {
                        let p = &policies[at];
                        p.namespace == namespace_of(app) && p.pod_selector.matches(&pods[app].1)
                    })
                    .collect();
                prop_assert_eq!(found, &expected);
            }
            let rule = Rule { peers, ports: None };
            let expected = match &rule.peers {
                None => Picked::Every,
                Some(peers) => Picked::Apps(
                    (0..pods.len())
                        .filter(|&i| {
                            peers.iter().any(|peer| match peer {
                                PolicyPeer::Block { .. } => false,
                                PolicyPeer::Pods { namespaces, pods: selector } => {
                                    let ns = namespace_of(i);
                                    let namespace_ok = match namespaces {
                                        None => ns == "b",
                                        Some(s) => s.matches(&spaces[ns]),
                                    };
                                    namespace_ok && selector.as_ref().is_none_or(|s| s.matches(&pods[i].1))
                                }
                            })
                        })
                        .collect(),
                ),
            };
            prop_assert_eq!(index.picked(&rule, "b"), expected);
        }
    }
}
