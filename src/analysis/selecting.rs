//! Which policies select a pod, found through an index of the policies' pod selectors
//! instead of a match against every policy.
//!
//! `expect` lines ask for one verdict each, and a verdict starts with the policies that
//! select either end: a scan of every policy for each made a model of 10,000
//! expectations take 8 s. A policy can only select pods that carry each label of its
//! `matchLabels`, so it is kept under its namespace and the first of them, and a pod
//! looks up its own labels; a policy without `matchLabels` is tried for every pod of
//! its namespace. The answer is the scan's: every policy that selects the pod, in order.

use crate::kube::label_lists::LabelLists;
use crate::kube::objects::{Labels, Policy};

/// The policies of each namespace by the first label of their pod selector.
#[derive(Debug, Clone, Default)]
pub struct PolicyIndex(LabelLists);

impl PolicyIndex {
    pub fn new(policies: &[Policy]) -> Self {
        let mut index = LabelLists::default();
        for (at, policy) in policies.iter().enumerate() {
            index.add_first(&policy.namespace, &policy.pod_selector.labels, at);
        }
        PolicyIndex(index)
    }

    /// The policies (indices into `policies`, ascending) that select a pod of
    /// `namespace` labelled `labels`.
    pub fn selecting(&self, policies: &[Policy], namespace: &str, labels: &Labels) -> Vec<usize> {
        let mut found = self.0.under_any(namespace, labels);
        found.retain(|&at| policies[at].pod_selector.matches(labels));
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube::objects::strategies::{labels, selector};
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// The index finds what a match against every policy finds, in order.
        #[test]
        fn the_index_selects_what_a_scan_selects(
            policies in prop::collection::vec((0..2usize, selector()), 0..10),
            namespace in 0..3usize,
            pod in labels(),
        ) {
            let policies: Vec<Policy> = policies
                .into_iter()
                .map(|(ns, pod_selector)| Policy {
                    name: "p".to_string(),
                    namespace: format!("ns{ns}"),
                    pod_selector,
                    ingress: None,
                    egress: None,
                    span: crate::source::Span::default(),
                })
                .collect();
            let namespace = format!("ns{namespace}");
            let scan: Vec<usize> = (0..policies.len())
                .filter(|&at| {
                    policies[at].namespace == namespace && policies[at].pod_selector.matches(&pod)
                })
                .collect();
            prop_assert_eq!(
                PolicyIndex::new(&policies).selecting(&policies, &namespace, &pod),
                scan
            );
        }
    }
}
