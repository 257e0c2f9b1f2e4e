//! What kube-router (iptables + ipset) programs for the NetworkPolicies.
//! (Being written: see the book's preview chapter.)

use super::address::Addresses;
use super::rule::{Rule, Table};
use crate::ir::Model;

/// An ipset kube-router creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpSet {
    pub name: String,
    /// `hash:ip` or `hash:net`
    pub kind: &'static str,
    /// Members, with `nomatch` for the exceptions of an ipBlock.
    pub members: Vec<(String, bool)>,
}

/// kube-router's part of the node: its filter chains and rules, the jumps it inserts
/// into the built-in chains, and its sets.
#[derive(Debug, Clone, Default)]
pub struct KubeRouter {
    pub filter: Table,
    pub builtin_jumps: Vec<Rule>,
    pub sets: Vec<IpSet>,
}

impl KubeRouter {
    pub fn to_restore(&self) -> String {
        let mut table = self.filter.clone();
        table.name = "filter";
        table.to_restore()
    }

    pub fn ipset_save(&self) -> String {
        String::new()
    }
}

pub fn payload(_model: &Model, _addresses: &Addresses) -> KubeRouter {
    KubeRouter {
        filter: Table::new("filter"),
        ..KubeRouter::default()
    }
}
