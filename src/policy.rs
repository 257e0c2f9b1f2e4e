//! The NetworkPolicy plan: the model's flows grouped into the policies of each
//! namespace, before they are written as YAML.
//!
//! Shared by the checker (generated names must not collide, `E0118`) and the backends
//! (YAML, the kube-router preview), so that both see the same policies. One walk of the
//! model (`Planner`) serves all three: the checker takes only the names
//! ([`name_collisions`]), the YAML and the preview the policies one at a time
//! ([`each_plan`]), so that the whole plan is never held.
//!
//! Per namespace, in this order: `default-deny` (the isolated directions), `allow-dns`
//! (egress isolated and DNS on), then for each app in source order `APP-ingress` and
//! `APP-egress`, then `cluster-dns-ingress` / `ingress-controller-egress` when the
//! namespace is the cluster DNS or ingress controller namespace, then
//! `all-pods-ingress` and `all-pods-egress`. A policy exists only for
//! an isolated direction that has flows. Its rules group the flows by port set, in order
//! of first appearance; each rule lists its peers once.

use crate::collections::{HashMap, HashSet, IndexMap};
use std::collections::hash_map::Entry;

use crate::ir::{Labels, Model, Peer, PolicyPort};
use std::borrow::Cow;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Direction {
    Ingress,
    Egress,
}

impl Direction {
    pub fn as_k8s(self) -> &'static str {
        match self {
            Direction::Ingress => "Ingress",
            Direction::Egress => "Egress",
        }
    }

    pub fn suffix(self) -> &'static str {
        match self {
            Direction::Ingress => "ingress",
            Direction::Egress => "egress",
        }
    }
}

/// One NetworkPolicy to emit. Its peers are the model's, borrowed.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyPlan<'m> {
    pub namespace: String,
    pub name: String,
    /// `None` selects every pod of the namespace (`podSelector: {}`). Shared with the
    /// app it selects.
    pub pod_selector: Option<Arc<Labels>>,
    /// The app the policy is for, if any.
    pub app: Option<String>,
    pub types: Vec<Direction>,
    pub rules: Vec<PolicyRule<'m>>,
    /// Which direction `rules` are for (empty for `default-deny`).
    pub direction: Option<Direction>,
}

/// Peers and the ports they may use (empty ports: all ports). The peers of flows are
/// borrowed from the model (a large model has a peer per flow, cloned and dropped by
/// the thousand otherwise); the cluster DNS peer of `allow-dns` is made here.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyRule<'m> {
    pub peers: Vec<Cow<'m, Peer>>,
    pub ports: Vec<PolicyPort>,
}

/// The subject of a policy: one app, the pods of a cluster component knet knows by its
/// selector (cluster DNS, the ingress controller), or every pod of the namespace.
/// Borrowed from the model and the list of components: every policy of the plan has one.
#[derive(Clone, Copy)]
enum Subject<'a> {
    /// An app, with its place among its namespace's apps.
    App(&'a str, u32),
    Component(&'a Component),
    AllPods,
}

impl<'a> Subject<'a> {
    /// The name of the subject's policies, before `-ingress` / `-egress`.
    fn prefix(&self) -> &'a str {
        match self {
            Subject::App(app, _) => app,
            Subject::Component(component) => &component.name,
            Subject::AllPods => "all-pods",
        }
    }

    /// The name of the subject's policy for one direction: `PREFIX-ingress`,
    /// `PREFIX-egress`.
    fn policy_name(&self, direction: Direction) -> String {
        [self.prefix(), "-", direction.suffix()].concat()
    }
}

/// A policy that a flow adds a rule to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyRef {
    pub namespace: String,
    pub name: String,
    pub direction: Direction,
}

/// The policies of [`each_plan`] that one flow adds a rule to: the ingress policy of its
/// destination and the egress policy of its source, for each side that a policy selects
/// in a namespace isolating that direction.
pub fn policies_of(model: &Model, flow: &crate::ir::Flow) -> Vec<PolicyRef> {
    let components = components(model);
    let mut out = Vec::new();
    for (peer, direction) in [
        (&flow.from, Direction::Egress),
        (&flow.to, Direction::Ingress),
    ] {
        let Some((namespace, subject)) = subject_of(model, &components, peer) else {
            continue;
        };
        let isolated = model
            .namespaces
            .get(namespace)
            .is_some_and(|ns| Isolated::of(ns).has(direction));
        if isolated {
            out.push(PolicyRef {
                name: subject.policy_name(direction),
                namespace: namespace.to_string(),
                direction,
            });
        }
    }
    out
}

/// The cluster components whose pods get policies when their namespace is declared in
/// knet: the name prefix of their policies and their selector. The data-plane pods of
/// each Gateway that routes attach to are `gateway-NAME` (the first Gateway of a
/// selector that several share names them).
fn components(model: &Model) -> Vec<Component> {
    let mut out = vec![
        Component::new("cluster-dns".to_string(), model.cluster.dns.clone()),
        Component::new(
            "ingress-controller".to_string(),
            model.cluster.ingress_controller.clone(),
        ),
    ];
    for (gateway, pods) in gateways_naming_pods(model) {
        out.push(Component::new(gateway_prefix(gateway), pods));
    }
    out
}

/// The Gateways that name their data-plane pods as a component: of the Gateways that
/// routes attach to, the first of each selector that neither cluster DNS nor the
/// ingress controller has, with that selector.
fn gateways_naming_pods(model: &Model) -> Vec<(&crate::ir::GatewayRef, crate::ir::Selector)> {
    let mut taken = vec![
        model.cluster.dns.clone(),
        model.cluster.ingress_controller.clone(),
    ];
    let mut out = Vec::new();
    for gateway in model.route_gateways() {
        let pods = model.cluster.gateway_pods(gateway);
        if !taken.contains(&pods) {
            taken.push(pods.clone());
            out.push((gateway, pods));
        }
    }
    out
}

/// The Gateways whose data-plane pods get policies of their own (their namespace is
/// declared in knet), each with the name prefix of those policies: `gateway-NAME`.
pub fn gateway_components(model: &Model) -> Vec<(&crate::ir::GatewayRef, String)> {
    gateways_naming_pods(model)
        .into_iter()
        .filter(|(_, pods)| model.namespaces.contains_key(&pods.namespace))
        .map(|(gateway, _)| (gateway, gateway_prefix(gateway)))
        .collect()
}

fn gateway_prefix(gateway: &crate::ir::GatewayRef) -> String {
    format!("gateway-{}", gateway.name)
}

/// A cluster component of [`components`]: the name prefix of its policies, its
/// selector, and the selector's labels as a policy's pod selector shares them.
struct Component {
    name: String,
    selector: crate::ir::Selector,
    labels: Arc<Labels>,
}

impl Component {
    fn new(name: String, selector: crate::ir::Selector) -> Self {
        let labels = Arc::new(selector.labels.clone());
        Component {
            name,
            selector,
            labels,
        }
    }
}

/// Every policy of the model, namespace by namespace in the model's order, made one at a
/// time as `consume` takes them, so that the whole plan is never held at once (the YAML
/// writes each and the kube-router preview turns each into its chains, then drops it:
/// at 100,000 apps the whole plan is a quarter of a gigabyte).
pub fn each_plan<R>(
    model: &Model,
    consume: impl for<'p> FnOnce(&mut dyn Iterator<Item = PolicyPlan<'p>>) -> R,
) -> R {
    let components = components(model);
    let planner = Planner::new(model, &components, true);
    let mut plans = planner
        .policies()
        .map(|(namespace, policy)| planner.plan_of(namespace, policy));
    consume(&mut plans)
}

/// Two policies of one namespace that the plan gives the same name (`E0118`): the
/// app of the later one and of the first, if they are an app's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameCollision {
    pub namespace: String,
    pub name: String,
    pub app: Option<String>,
    pub first_app: Option<String>,
}

/// The name collisions of [`each_plan`], found on the same walk without grouping flows into
/// rules or copying selectors: the checker runs this on every model, the output's
/// plan only when there is output. Most models cannot have one (see
/// [`names_may_collide`]), and then the walk, a tenth of `check`, is left out.
pub fn name_collisions(model: &Model) -> Vec<NameCollision> {
    let components = components(model);
    if !names_may_collide(model, &components) {
        return Vec::new();
    }
    walk_name_collisions(model, &components)
}

/// Whether two policies of one namespace could take one name. A policy is named
/// `default-deny`, `allow-dns`, or its subject's prefix and `-ingress` / `-egress`; no
/// two of those forms can be equal (`-ingress` and `-egress` differ in their last six
/// characters), so two policies share a name only if two subjects of one namespace share
/// a prefix: an app's name, a component's (in its pods' namespace) or `all-pods`. App
/// names are unique in their namespace, so it is enough to look for an app named
/// `all-pods` or like a component, and for two components alike.
fn names_may_collide(model: &Model, components: &[Component]) -> bool {
    let has_app = |namespace: &str, name: &str| {
        model
            .namespaces
            .get(namespace)
            .is_some_and(|ns| ns.apps.contains_key(name))
    };
    let mut prefixes = HashSet::default();
    let components_collide = components.iter().any(|component| {
        let namespace = component.selector.namespace.as_str();
        let name = component.name.as_str();
        name == Subject::AllPods.prefix()
            || has_app(namespace, name)
            || !prefixes.insert((namespace, name))
    });
    components_collide
        || model
            .namespaces
            .values()
            .any(|ns| ns.apps.contains_key(Subject::AllPods.prefix()))
}

/// [`name_collisions`] by walking every policy of the plan.
fn walk_name_collisions(model: &Model, components: &[Component]) -> Vec<NameCollision> {
    let planner = Planner::new(model, components, false);
    let mut seen: HashMap<(&str, String), Option<&str>> = HashMap::default();
    let mut collisions = Vec::new();
    for (namespace, policy) in planner.policies() {
        let app = policy.app();
        match seen.entry((namespace, policy.name())) {
            Entry::Vacant(vacant) => {
                vacant.insert(app);
            }
            Entry::Occupied(first) => collisions.push(NameCollision {
                namespace: namespace.to_string(),
                name: first.key().1.clone(),
                app: app.map(str::to_string),
                first_app: first.get().map(str::to_string),
            }),
        }
    }
    collisions
}

/// The directions a namespace isolates.
#[derive(Debug, Clone, Copy)]
struct Isolated {
    ingress: bool,
    egress: bool,
}

impl Isolated {
    fn of(ns: &crate::ir::Namespace) -> Self {
        Isolated {
            ingress: ns.isolate_ingress,
            egress: ns.isolate_egress,
        }
    }

    fn has(self, direction: Direction) -> bool {
        match direction {
            Direction::Ingress => self.ingress,
            Direction::Egress => self.egress,
        }
    }

    /// The isolated directions, ingress first.
    fn directions(self) -> impl Iterator<Item = Direction> + Clone {
        [Direction::Ingress, Direction::Egress]
            .into_iter()
            .filter(move |&direction| self.has(direction))
    }
}

/// One policy of the plan, borrowed from the model and the components (`'a`) and
/// from the flows the [`Planner`] indexed (`'f`).
#[derive(Clone, Copy)]
enum Policy<'a, 'f> {
    /// The namespace's isolated directions.
    DefaultDeny { isolated: Isolated },
    /// Egress to cluster DNS from every pod of a namespace that isolates egress.
    AllowDns,
    /// The rules of one subject for one direction: the peers on the other side.
    Subject {
        subject: Subject<'a>,
        selector: Option<&'a Arc<Labels>>,
        direction: Direction,
        flows: &'f [(&'a Peer, &'a Vec<PolicyPort>)],
    },
}

impl<'a> Policy<'a, '_> {
    fn name(&self) -> String {
        match self {
            Policy::DefaultDeny { .. } => "default-deny".into(),
            Policy::AllowDns => "allow-dns".into(),
            Policy::Subject {
                subject, direction, ..
            } => subject.policy_name(*direction),
        }
    }

    fn app(&self) -> Option<&'a str> {
        match self {
            Policy::Subject {
                subject: Subject::App(app, _),
                ..
            } => Some(app),
            _ => None,
        }
    }
}

/// The model's flows indexed by the policy they feed, and the policies in the plan's
/// order (see the module's doc).
struct Planner<'a> {
    model: &'a Model,
    components: &'a [Component],
    /// By the namespace's place in the model.
    sides: Vec<NamespaceSides<'a>>,
}

/// The flows on the other side of each subject of one namespace, by direction. A
/// subject is found by its place (an app's in the namespace's apps, a component's in
/// the components), not its name: a large model has hundreds of thousands of subjects,
/// and a map of their names was read at random by each flow and again by each policy.
/// (A component is its entry in [`components`], which lists a selector once:
/// [`subject_of`] finds it by selector, and its place is where that entry is.)
struct NamespaceSides<'a> {
    apps: Vec<Sides<'a>>,
    components: Vec<Sides<'a>>,
    all_pods: Sides<'a>,
}

/// A subject's flows, ingress then egress (see [`direction_slot`]): `None` when no
/// flow gives it a policy in that direction. The peer on the other side of each flow,
/// and the flow's ports.
type Sides<'a> = [Option<Vec<(&'a Peer, &'a Vec<PolicyPort>)>>; 2];

/// Where a direction's flows are in [`Sides`].
fn direction_slot(direction: Direction) -> usize {
    match direction {
        Direction::Ingress => 0,
        Direction::Egress => 1,
    }
}

impl<'a> Planner<'a> {
    /// Without `with_flows`, a subject's `flows` are empty: only which policies exist
    /// is worked out.
    fn new(model: &'a Model, components: &'a [Component], with_flows: bool) -> Self {
        let mut planner = Planner {
            model,
            components,
            sides: model
                .namespaces
                .values()
                .map(|ns| NamespaceSides {
                    apps: vec![Sides::default(); ns.apps.len()],
                    components: vec![Sides::default(); components.len()],
                    all_pods: Sides::default(),
                })
                .collect(),
        };
        planner.index_flows(with_flows);
        planner
    }

    /// For each subject and direction: the peers on the other side, with ports.
    /// Without `with_flows`, only which there are: the lists stay empty and allocate
    /// nothing.
    fn index_flows(&mut self, with_flows: bool) {
        let model = self.model;
        for flow in &model.flows {
            let sides_of_flow = [
                (&flow.to, Direction::Ingress, &flow.from),
                (&flow.from, Direction::Egress, &flow.to),
            ];
            for (subject_side, direction, other_side) in sides_of_flow {
                if let Some(sides) = self.sides_of(subject_side) {
                    let flows = sides[direction_slot(direction)].get_or_insert_with(Vec::new);
                    if with_flows {
                        flows.push((other_side, &flow.ports));
                    }
                }
            }
        }
    }

    /// The flows of the subject a peer stands for ([`subject_of`]), if a policy can
    /// select it.
    fn sides_of(&mut self, peer: &'a Peer) -> Option<&mut Sides<'a>> {
        let (namespace, subject) = subject_of(self.model, self.components, peer)?;
        let (place, _, ns) = self.model.namespaces.get_full(namespace)?;
        let sides = self.sides.get_mut(place)?;
        match subject {
            Subject::App(app, place) => sides.apps.get_mut(ns.place_of(app, place)),
            Subject::Component(component) => {
                let place = self
                    .components
                    .iter()
                    .position(|known| std::ptr::eq(known, component))?;
                sides.components.get_mut(place)
            }
            Subject::AllPods => Some(&mut sides.all_pods),
        }
    }

    /// Every policy with its namespace, in the plan's order, as the iteration reaches it.
    fn policies(&self) -> impl Iterator<Item = (&'a str, Policy<'a, '_>)> + '_ {
        self.model
            .namespaces
            .values()
            .zip(&self.sides)
            .flat_map(move |(ns, sides)| {
                let namespace = ns.name.as_str();
                let isolated = Isolated::of(ns);
                let deny = (isolated.ingress || isolated.egress)
                    .then_some(Policy::DefaultDeny { isolated });
                let dns = (ns.isolate_egress && ns.dns).then_some(Policy::AllowDns);
                let apps =
                    ns.apps
                        .values()
                        .zip(&sides.apps)
                        .zip(0..)
                        .map(|((app, flows), place)| {
                            (Subject::App(&app.name, place), Some(&app.labels), flows)
                        });
                let components = self
                    .components
                    .iter()
                    .zip(&sides.components)
                    .filter(move |(component, _)| component.selector.namespace == namespace)
                    .map(|(component, flows)| {
                        (
                            Subject::Component(component),
                            Some(&component.labels),
                            flows,
                        )
                    });
                let subjects = apps.chain(components).chain(std::iter::once((
                    Subject::AllPods,
                    None,
                    &sides.all_pods,
                )));
                let rules = subjects.flat_map(move |(subject, selector, flows)| {
                    isolated.directions().filter_map(move |direction| {
                        let flows = flows[direction_slot(direction)].as_deref()?;
                        Some(Policy::Subject {
                            subject,
                            selector,
                            direction,
                            flows,
                        })
                    })
                });
                deny.into_iter()
                    .chain(dns)
                    .chain(rules)
                    .map(move |policy| (namespace, policy))
            })
    }

    /// The policy as the output writes it.
    fn plan_of(&self, namespace: &str, policy: Policy<'a, '_>) -> PolicyPlan<'a> {
        let (pod_selector, types, rules, direction) = match policy {
            Policy::DefaultDeny { isolated } => {
                (None, isolated.directions().collect(), Vec::new(), None)
            }
            Policy::AllowDns => {
                let dns = PolicyRule {
                    peers: vec![Cow::Owned(Peer::Pods(Box::new(
                        self.model.cluster.dns.clone(),
                    )))],
                    ports: self.model.cluster.dns_ports(),
                };
                let egress = Some(Direction::Egress);
                (None, vec![Direction::Egress], vec![dns], egress)
            }
            Policy::Subject {
                selector,
                direction,
                flows,
                ..
            } => (
                selector.cloned(),
                vec![direction],
                group(flows),
                Some(direction),
            ),
        };
        PolicyPlan {
            namespace: namespace.to_string(),
            name: policy.name(),
            pod_selector,
            app: policy.app().map(str::to_string),
            types,
            rules,
            direction,
        }
    }
}

/// The knet namespace and subject a peer stands for, if a policy can select it.
fn subject_of<'a>(
    model: &Model,
    components: &'a [Component],
    peer: &'a Peer,
) -> Option<(&'a str, Subject<'a>)> {
    match peer {
        // Apps of unmanaged namespaces get no policy.
        Peer::App {
            namespace,
            app,
            place,
            ..
        } if model.namespaces.contains_key(&**namespace) => {
            Some((namespace, Subject::App(app, *place)))
        }
        Peer::Namespace { namespace } if model.namespaces.contains_key(&**namespace) => {
            Some((namespace, Subject::AllPods))
        }
        Peer::Pods(selector) if model.namespaces.contains_key(&selector.namespace) => {
            let component = components
                .iter()
                .find(|known| known.selector == **selector)?;
            Some((&selector.namespace, Subject::Component(component)))
        }
        _ => None,
    }
}

/// Flows grouped by port set, in order of first appearance; peers listed once.
/// Indexed by port set and by peer, as one statement may list thousands of peers. A
/// rule with `any` among its peers has no peers at all (no `from`/`to`: every source
/// or destination), which includes the others.
fn group<'m>(flows: &[(&'m Peer, &'m Vec<PolicyPort>)]) -> Vec<PolicyRule<'m>> {
    /// One port set's peers, the peers seen, and whether `any` opened it.
    type Grouped<'m> = (Vec<Cow<'m, Peer>>, HashSet<crate::ir::PeerKey<'m>>, bool);
    let mut rules: IndexMap<Vec<PolicyPort>, Grouped<'m>> = IndexMap::default();
    for (peer, ports) in flows {
        let mut ports = (*ports).clone();
        ports.sort();
        // Two Service ports may forward to one container port.
        ports.dedup();
        let (peers, seen, open) = rules.entry(ports).or_default();
        if **peer == Peer::Any {
            *open = true;
            peers.clear();
            continue;
        }
        if !*open && seen.insert(peer.key()) {
            peers.push(Cow::Borrowed(*peer));
        }
    }
    rules
        .into_iter()
        .map(|(ports, (peers, _, _))| PolicyRule { peers, ports })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every model of the repository that compiles, checked with the shortcut: the walk
    /// over the whole plan finds no collision the shortcut would have let through, and
    /// the shortcut is taken on most of them.
    #[test]
    fn the_shortcut_never_hides_a_collision() {
        let files = crate::testing::repository_knet_files();
        let (mut models, mut skipped) = (0, 0);
        for path in &files {
            let mut sources = crate::source::Sources::new();
            let text = std::fs::read_to_string(path).unwrap_or_default();
            sources.add(path.display().to_string(), text);
            let Some(model) = crate::compile(&sources).model else {
                continue;
            };
            models += 1;
            let components = components(&model);
            if !names_may_collide(&model, &components) {
                skipped += 1;
                assert!(
                    walk_name_collisions(&model, &components).is_empty(),
                    "{}",
                    path.display()
                );
            }
        }
        assert!(models > 50, "{models} models");
        assert!(skipped * 10 > models * 9, "{skipped} of {models} skipped");
    }

    /// The names a collision needs: an app named `all-pods`, or like a component in
    /// the component's namespace.
    #[test]
    fn shared_prefixes_are_seen() {
        let cases = [
            ("namespace a {\n  app all-pods {\n    port 80\n  }\n}\n", true),
            ("namespace a {\n  app pods {\n    port 80\n  }\n}\n", false),
            (
                "cluster {\n  ingress-controller namespace ic labels app=ic\n}\nnamespace ic {\n  app ingress-controller {\n    port 80\n  }\n}\n",
                true,
            ),
            (
                "cluster {\n  ingress-controller namespace ic labels app=ic\n}\nnamespace other {\n  app ingress-controller {\n    port 80\n  }\n}\n",
                false,
            ),
        ];
        for (text, expected) in cases {
            let mut sources = crate::source::Sources::new();
            sources.add("case.knet", text);
            let model = crate::compile(&sources)
                .model
                .unwrap_or_else(|| panic!("{text} checks"));
            assert_eq!(
                names_may_collide(&model, &components(&model)),
                expected,
                "{text}"
            );
        }
    }
}
