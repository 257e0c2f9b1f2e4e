//! The apps that [`super::apps`] has found so far, indexed for the questions it asks of
//! each Service, workload and selector: is there an app for this selector already, which
//! app owns this workload's pods, is this name taken. Each was a scan of every app, so
//! finding the apps of an input was quadratic in them (at 10,000 apps, most of an
//! import's time). The answers are the scans' answers: where several apps fit, the
//! first in order.

use crate::collections::{HashMap, HashSet};
use crate::kube::label_lists::LabelLists;
use crate::kube::objects::Labels;

use super::apps::App;

/// The names taken, per namespace.
#[derive(Default)]
pub struct Names(HashSet<(String, String)>);

impl Names {
    pub fn add(&mut self, app: &App) {
        self.0.insert((app.namespace.clone(), app.name.clone()));
    }

    pub fn taken(&self, namespace: &str, name: &str) -> bool {
        self.0.contains(&(namespace.to_string(), name.to_string()))
    }
}

/// The apps of Services by their selector, and by the first label of it (one it must
/// share with any pod it selects): the apps a pod's labels can belong to.
#[derive(Default)]
pub struct Selectors {
    /// `(namespace, selector as sorted pairs)`: the first app with it.
    exact: HashMap<(String, Vec<(String, String)>), usize>,
    by_first: LabelLists,
}

fn sorted(labels: &Labels) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> =
        labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    pairs.sort_unstable();
    pairs
}

impl Selectors {
    /// The first app of `namespace` whose selector is `selector`.
    pub fn exact(&self, namespace: &str, selector: &Labels) -> Option<usize> {
        self.exact
            .get(&(namespace.to_string(), sorted(selector)))
            .copied()
    }

    /// Records app `index`, whose selector is its `labels`.
    pub fn add(&mut self, index: usize, app: &App) {
        self.exact
            .entry((app.namespace.clone(), sorted(&app.labels)))
            .or_insert(index);
        self.by_first.add_first(&app.namespace, &app.labels, index);
    }

    /// The first app of `namespace` whose selector picks pods labelled `pod`.
    pub fn owner(&self, apps: &[App], namespace: &str, pod: &Labels) -> Option<usize> {
        self.by_first
            .under_any(namespace, pod)
            .into_iter()
            .find(|&i| apps[i].labels.iter().all(|(k, v)| pod.get(k) == Some(v)))
    }
}

/// The apps by the labels of their pods.
#[derive(Default)]
pub struct PodLabels(LabelLists);

impl PodLabels {
    pub fn add(&mut self, index: usize, app: &App) {
        self.0.add_all(&app.namespace, &app.pod_labels, index);
    }

    /// Whether an app of `namespace` has pods that carry every label of `selector`
    /// (not empty).
    pub fn any_carries(&self, apps: &[App], namespace: &str, selector: &Labels) -> bool {
        self.0
            .rarest(namespace, selector)
            .into_iter()
            .flatten()
            .any(|&i| {
                selector
                    .iter()
                    .all(|(k, v)| apps[i].pod_labels.get(k) == Some(v))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube::objects::strategies::labels;
    use proptest::prelude::*;

    fn app(namespace: usize, name: usize, labels: Labels, pod_labels: Labels) -> App {
        App {
            name: format!("n{name}"),
            namespace: format!("ns{namespace}"),
            labels,
            pod_labels,
            container: Vec::new(),
            services: Vec::new(),
            ports: Vec::new(),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        /// Each index answers as the scan of every app it replaced: the first app with
        /// a selector, the first whose selector picks a pod, whether some app's pods
        /// carry a selector's labels, whether a name is taken.
        #[test]
        fn the_indexes_answer_as_a_scan(
            apps in prop::collection::vec((0..2usize, 0..4usize, labels(), labels()), 0..10),
            namespace in 0..2usize,
            query in labels(),
            name in 0..5usize,
        ) {
            let apps: Vec<App> = apps
                .into_iter()
                .map(|(ns, name, labels, pods)| app(ns, name, labels, pods))
                .collect();
            let (mut selectors, mut pods, mut names) =
                (Selectors::default(), PodLabels::default(), Names::default());
            for (index, app) in apps.iter().enumerate() {
                selectors.add(index, app);
                pods.add(index, app);
                names.add(app);
            }
            let ns = format!("ns{namespace}");
            let in_ns = |a: &&App| a.namespace == ns;
            let position = |f: &dyn Fn(&App) -> bool| apps.iter().position(|a| in_ns(&a) && f(a));
            prop_assert_eq!(selectors.exact(&ns, &query), position(&|a| a.labels == query));
            prop_assert_eq!(
                selectors.owner(&apps, &ns, &query),
                position(&|a| a.labels.iter().all(|(k, v)| query.get(k) == Some(v)))
            );
            if !query.is_empty() {
                let carried = apps.iter().filter(in_ns).any(|a| {
                    query.iter().all(|(k, v)| a.pod_labels.get(k) == Some(v))
                });
                prop_assert_eq!(pods.any_carries(&apps, &ns, &query), carried);
            }
            let name = format!("n{name}");
            prop_assert_eq!(
                names.taken(&ns, &name),
                apps.iter().filter(in_ns).any(|a| a.name == name)
            );
        }
    }
}
