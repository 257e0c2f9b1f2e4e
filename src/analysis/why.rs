//! `knet why SRC DST[:PORT]`: the answer, and the policies and rules behind it. When the
//! connection is denied: the policies that isolate each side, and the `allow` line that
//! would open it. The same lines explain a failing `expect` (`E0339`).

use super::conns::Conns;
use super::endpoints::{Endpoint, Kind, Place};
use super::eval::{Direction, Side, Verdict};
use super::Reach;
use crate::ir::Protocol;

/// The answer about one pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    pub allowed: bool,
    /// `allowed: ...` or `denied: ...`.
    pub headline: String,
    /// One line per side: which policy and rule, or which policies isolate it.
    pub reasons: Vec<String>,
    /// For a denied connection: `(namespace, allow line)` that would open it.
    pub fix: Option<(String, String)>,
}

impl Explanation {
    /// The whole answer as text, as `knet why` prints it.
    pub fn text(&self) -> String {
        let mut out = format!("{}\n", self.headline);
        for reason in &self.reasons {
            out.push_str(&format!("  {reason}\n"));
        }
        if let Some((namespace, line)) = &self.fix {
            out.push_str(&format!(
                "  to allow it, add to namespace `{namespace}`: {line}\n"
            ));
        }
        out
    }
}

/// Explains whether `src` may connect to `dst` (on `port`, or on anything).
pub fn explain(
    reach: &Reach,
    src: usize,
    dst: usize,
    port: Option<(Protocol, u16)>,
) -> Explanation {
    let verdict = reach.verdict(src, dst);
    let (a, b) = (&reach.endpoints[src], &reach.endpoints[dst]);
    let asked = match port {
        Some((protocol, number)) => Conns::port(protocol, number),
        None => Conns::all(),
    };
    let through = verdict.conns.intersect(&asked);
    let allowed = !through.is_empty();
    let what = match port {
        Some((protocol, number)) => {
            format!("`{}` -> `{}` on {} {number}", a.id, b.id, protocol.as_k8s())
        }
        None => format!("`{}` -> `{}`", a.id, b.id),
    };
    let headline = if allowed && port.is_none() {
        format!("allowed: {what} ({through})")
    } else if allowed {
        format!("allowed: {what}")
    } else {
        format!("denied: {what}")
    };
    let reasons = vec![
        side_reason(reach, &verdict, Direction::Egress, a, b, &asked),
        side_reason(reach, &verdict, Direction::Ingress, b, a, &asked),
    ];
    let fix = if allowed { None } else { fix(a, b, port) };
    Explanation {
        allowed,
        headline,
        reasons,
        fix,
    }
}

fn side_reason(
    reach: &Reach,
    verdict: &Verdict,
    direction: Direction,
    subject: &Endpoint,
    peer: &Endpoint,
    asked: &Conns,
) -> String {
    let (side, word, towards) = match direction {
        Direction::Egress => (&verdict.egress, "egress", "to"),
        Direction::Ingress => (&verdict.ingress, "ingress", "from"),
    };
    let policy_name = |index: usize| {
        let p = &reach.objects.policies()[index];
        format!("`{}/{}`", p.namespace, p.name)
    };
    match side {
        Side::Outside => format!(
            "{word} of `{}`: an address outside the cluster, no policy applies",
            subject.id
        ),
        Side::NotIsolated => format!(
            "{word} of `{}`: allowed, no NetworkPolicy selects it for {word}",
            subject.id
        ),
        Side::Isolated {
            isolated_by,
            grants,
        } => {
            let matching: Vec<String> = grants
                .iter()
                .filter_map(|g| {
                    let both = g.conns.intersect(asked);
                    (!both.is_empty()).then(|| {
                        format!(
                            "{} {word} rule {} ({both})",
                            policy_name(g.policy),
                            g.rule + 1
                        )
                    })
                })
                .collect();
            if matching.is_empty() {
                let names: Vec<String> = isolated_by.iter().map(|&i| policy_name(i)).collect();
                format!(
                    "{word} of `{}`: denied, isolated by {} and no {word} rule allows it {towards} `{}`",
                    subject.id,
                    names.join(", "),
                    peer.id
                )
            } else {
                format!(
                    "{word} of `{}`: allowed by {}",
                    subject.id,
                    matching.join(", ")
                )
            }
        }
    }
}

/// The `allow` line that would open the connection, and the namespace to write it in.
fn fix(src: &Endpoint, dst: &Endpoint, port: Option<(Protocol, u16)>) -> Option<(String, String)> {
    let managed = |e: &Endpoint| e.kind == Kind::App;
    let home = if managed(src) {
        src.namespace()?
    } else if managed(dst) {
        dst.namespace()?
    } else {
        return None;
    };
    let from = knet_peer(src, home)?;
    let mut to = knet_peer(dst, home)?;
    if let Some((protocol, number)) = port {
        let named = match &dst.place {
            Place::Pod(pod) if dst.kind == Kind::App || dst.kind == Kind::Unmanaged => pod
                .ports
                .iter()
                .find(|p| p.number == number && p.protocol == protocol)
                .and_then(|p| p.name.clone()),
            _ => None,
        };
        let port = match named {
            Some(name) => name,
            None if protocol == Protocol::Tcp => number.to_string(),
            None => format!("{number}/{}", protocol.as_lower()),
        };
        to = format!("{to}:{port}");
    }
    Some((home.to_string(), format!("allow {from} -> {to}")))
}

/// How a knet line in namespace `here` names an endpoint.
fn knet_peer(e: &Endpoint, here: &str) -> Option<String> {
    let qualified = || match &e.place {
        Place::Pod(pod) if pod.namespace == here => pod.name.clone(),
        Place::Pod(pod) => format!("{}/{}", pod.namespace, pod.name),
        Place::Address(_) => e.id.clone(),
    };
    Some(match e.kind {
        Kind::App | Kind::Unmanaged => qualified(),
        Kind::Dns => format!("{}/*", e.namespace()?),
        Kind::IngressController => "ingress".to_string(),
        // A Gateway's pods reach backends by the routes' implied flows; no `allow`
        // peer names them.
        Kind::Gateway => return None,
        Kind::NamespacePod | Kind::GroupPod => e.id.clone(),
        Kind::Elsewhere => "*/*".to_string(),
        Kind::External => {
            let (namespace, name) = e.id.split_once('/')?;
            if namespace != here {
                return None;
            }
            name.to_string()
        }
        Kind::World => "world".to_string(),
        // No line opens only the metadata address; `world` would open it too.
        Kind::Metadata => return None,
    })
}
