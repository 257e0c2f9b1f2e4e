//! Who can reach whom: an evaluator of the objects knet emits, and the tools on it
//! (`knet matrix`, `knet graph`, `knet why`, `expect` lines).
//!
//! ```text
//! Model --emit::emit_yaml--> YAML --kube (read back)--> Namespaces, NetworkPolicies
//!       \--endpoints: the apps' pods + representatives--/      |
//!                                                        eval (Kubernetes semantics)
//!                                         matrix | graph | why | expect (E0339)
//! ```
//!
//! The evaluator reads the emitted YAML back, as any analyzer of a cluster would, and
//! shares nothing with [`crate::policy`], which wrote it: a mistake in the policy plan
//! shows up as a connection the source did not mean (and fails an `expect` line).
//! The pods come from the model (each app's labels and ports, see [`endpoints`]) with
//! representatives of the rest of the world. The door is [`analyze`].

pub mod conns;
pub mod endpoints;
pub mod eval;
pub mod expect;
pub mod graph;
pub mod matrix;
mod selecting;
pub mod why;

use crate::collections::HashMap;
use conns::Conns;
use endpoints::Endpoint;
use eval::{Objects, Verdict};

use crate::ir::Model;
use crate::source::Sources;

/// The emitted objects of a model, and the endpoints to ask about.
#[derive(Debug, Clone)]
pub struct Reach {
    pub objects: Objects,
    pub endpoints: Vec<Endpoint>,
    /// Each endpoint by its id (the first, should two share one): `expect` lines look
    /// their ends up by id, thousands of times.
    ids: HashMap<String, usize>,
}

/// One allowed connection: indices into [`Reach::endpoints`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub src: usize,
    pub dst: usize,
    pub conns: Conns,
}

/// Emits the model's YAML, reads it back, and lists the endpoints.
pub fn analyze(model: &Model) -> Reach {
    let yaml = crate::emit::emit_yaml(model);
    let mut objects = read_objects(&yaml);
    let endpoints = endpoints::endpoints(model, &mut objects);
    let mut ids: HashMap<String, usize> = HashMap::default();
    for (at, endpoint) in endpoints.iter().enumerate() {
        ids.entry(endpoint.id.clone()).or_insert(at);
    }
    Reach {
        objects,
        endpoints,
        ids,
    }
}

/// Namespaces and NetworkPolicies of a YAML stream. knet's own output always reads;
/// what does not is left out.
pub fn read_objects(yaml: &str) -> Objects {
    let mut sources = Sources::new();
    sources.add("emitted.yaml", yaml);
    let mut diagnostics = Vec::new();
    let read = crate::kube::documents::read(&sources, "default", &mut diagnostics);
    let input = crate::kube::objects::typed(&read.objects);
    Objects::new(input.namespaces, input.policies)
}

impl Reach {
    pub fn verdict(&self, src: usize, dst: usize) -> Verdict {
        self.objects
            .verdict(&self.endpoints[src], &self.endpoints[dst])
    }

    /// Every allowed connection between two different endpoints, in endpoint order. A
    /// pod talking to itself is left out, as np-guard's analyzer does; between two
    /// addresses outside the cluster nothing is a policy's business.
    pub fn connections(&self) -> Vec<Connection> {
        let mut out = Vec::new();
        let selecting: Vec<Vec<usize>> = self
            .endpoints
            .iter()
            .map(|e| self.objects.selecting(e))
            .collect();
        for (src, a) in self.endpoints.iter().enumerate() {
            for (dst, b) in self.endpoints.iter().enumerate() {
                if src == dst || (a.namespace().is_none() && b.namespace().is_none()) {
                    continue;
                }
                let conns = self
                    .objects
                    .verdict_with(a, b, &selecting[src], &selecting[dst])
                    .conns;
                if !conns.is_empty() {
                    out.push(Connection { src, dst, conns });
                }
            }
        }
        out
    }

    /// The endpoint with this id.
    pub fn find(&self, id: &str) -> Option<usize> {
        self.ids.get(id).copied()
    }
}

#[cfg(test)]
mod tests;
