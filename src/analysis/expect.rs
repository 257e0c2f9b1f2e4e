//! `expect` lines checked against the emitted policies: `E0339` at a line whose
//! expectation does not hold, with `knet why`'s explanation.
//!
//! `expect allow A -> B:PORT` holds when the connection is allowed on that port;
//! without a port, when some connection from A to B is allowed. `expect deny A -> B:PORT`
//! holds when that port is denied; without a port, when nothing is allowed. A side that
//! stands for every app of a namespace (`*`, `NS/*`) must hold for each app. Codes:
//! `E0339`, and `E0346` for an external without addresses (nothing to ask about).

use super::endpoints::{Endpoint, Kind, Place};
use super::why::explain;
use super::{analyze, Reach};
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{ExpectEnd, ExpectPort, Expectation, Model, Protocol, TargetPort};

/// Checks every `expect` line of the model (nothing to do, and no YAML written, when
/// there is none).
pub fn check(model: &Model) -> Vec<Diagnostic> {
    if model.expectations.is_empty() {
        return Vec::new();
    }
    let mut reach = analyze(model);
    let mut diags = Vec::new();
    for expectation in &model.expectations {
        let sources = ends(&mut reach, model, &expectation.source);
        let destinations = ends(&mut reach, model, &expectation.destination);
        let (Some(sources), Some(destinations)) = (sources, destinations) else {
            diags.push(
                Diagnostic::new(
                    Code::ExpectationTarget,
                    "an expectation cannot check an external without addresses",
                    expectation.span,
                )
                .label("this external has no `cidr`")
                .help("give the external its `cidr`, or expect about `world`"),
            );
            continue;
        };
        for &src in &sources {
            for &dst in &destinations {
                if src == dst {
                    continue;
                }
                let port = expectation
                    .port
                    .as_ref()
                    .map(|p| port_of(p, &reach.endpoints[dst]));
                let answer = explain(&reach, src, dst, port);
                if answer.allowed != expectation.allow {
                    diags.push(failed(expectation, &reach, src, dst, &answer));
                }
            }
        }
    }
    diags
}

fn failed(
    expectation: &Expectation,
    reach: &Reach,
    src: usize,
    dst: usize,
    answer: &super::why::Explanation,
) -> Diagnostic {
    let (a, b) = (&reach.endpoints[src].id, &reach.endpoints[dst].id);
    let (message, label) = if expectation.allow {
        (
            format!("expected `{a}` to reach `{b}`, but the policies deny it"),
            "denied by the emitted policies",
        )
    } else {
        (
            format!("expected `{a}` not to reach `{b}`, but the policies allow it"),
            "allowed by the emitted policies",
        )
    };
    let mut diagnostic =
        Diagnostic::new(Code::ExpectationFailed, message, expectation.span).label(label);
    diagnostic = diagnostic.note(answer.headline.clone());
    for reason in &answer.reasons {
        diagnostic = diagnostic.note(reason.clone());
    }
    match (&answer.fix, expectation.allow) {
        (Some((namespace, line)), true) => diagnostic.help(format!(
            "to allow it, add to namespace `{namespace}`: `{line}`"
        )),
        (None, true) => diagnostic.help("no `allow` line of a knet namespace can open it"),
        (_, false) => diagnostic
            .help("narrow the `allow` lines (or the exposure) that open it, or expect `allow`"),
    }
}

/// The port an expectation asks about, as a number on the destination pod.
fn port_of(port: &ExpectPort, destination: &Endpoint) -> (Protocol, u16) {
    match port {
        ExpectPort::Number { protocol, port } => (*protocol, *port),
        ExpectPort::App(declared) => match &declared.target {
            TargetPort::Number(n) => (declared.protocol, *n),
            TargetPort::Name(name) => {
                let number = match &destination.place {
                    Place::Pod(pod) => pod
                        .ports
                        .iter()
                        .find(|p| {
                            p.name.as_deref() == Some(name) && p.protocol == declared.protocol
                        })
                        .map(|p| p.number),
                    Place::Address(_) => None,
                };
                (declared.protocol, number.unwrap_or(declared.port))
            }
        },
    }
}

/// The endpoints one side stands for; `None` for an external without addresses.
fn ends(reach: &mut Reach, model: &Model, end: &ExpectEnd) -> Option<Vec<usize>> {
    let by_kind = |reach: &Reach, kind: Kind| -> Vec<usize> {
        (0..reach.endpoints.len())
            .filter(|&i| reach.endpoints[i].kind == kind)
            .collect()
    };
    let found = match end {
        ExpectEnd::App { namespace, app } => reach
            .find(&format!("{namespace}/{app}"))
            .into_iter()
            .collect(),
        ExpectEnd::AppsOf(namespace) => (0..reach.endpoints.len())
            .filter(|&i| {
                let e = &reach.endpoints[i];
                e.kind == Kind::App && e.namespace() == Some(namespace)
            })
            .collect(),
        ExpectEnd::NamespacePods(namespace) => match reach.find(&format!("{namespace}/*")) {
            Some(i) => vec![i],
            None => vec![ad_hoc(
                reach,
                namespace,
                Kind::NamespacePod,
                format!("{namespace}/*"),
            )],
        },
        ExpectEnd::Group(group) => match reach.find(&format!("{group}/*")) {
            Some(i) => vec![i],
            None => {
                let labels = model.groups.get(group).cloned().unwrap_or_default();
                let namespace = format!("group-{group}");
                reach
                    .objects
                    .namespaces
                    .entry(namespace.clone())
                    .or_insert(labels);
                vec![ad_hoc(
                    reach,
                    &namespace,
                    Kind::GroupPod,
                    format!("{group}/*"),
                )]
            }
        },
        ExpectEnd::Elsewhere => by_kind(reach, Kind::Elsewhere),
        // `ingress` is what carries the routes: the Gateways' pods for ingresses written
        // as HTTPRoutes, and the ingress controller when any ingress is an Ingress (or
        // there is none).
        ExpectEnd::IngressController
            if !by_kind(reach, Kind::Gateway).is_empty() && !model.has_ingress_objects() =>
        {
            by_kind(reach, Kind::Gateway)
        }
        ExpectEnd::IngressController => {
            let controller = by_kind(reach, Kind::IngressController);
            if controller.is_empty() {
                let selector = &model.cluster.ingress_controller;
                (0..reach.endpoints.len())
                    .filter(|&i| reach.endpoints[i].is_selected_by(selector))
                    .collect()
            } else {
                controller
            }
        }
        ExpectEnd::World => by_kind(reach, Kind::World),
        ExpectEnd::External { namespace, name } => {
            return reach.find(&format!("{namespace}/{name}")).map(|i| vec![i]);
        }
    };
    Some(found)
}

/// A pod of a namespace that no policy names, added for an expectation about it.
fn ad_hoc(reach: &mut Reach, namespace: &str, kind: Kind, id: String) -> usize {
    reach
        .endpoints
        .push(super::endpoints::other_pod(id, kind, namespace));
    reach.endpoints.len() - 1
}
