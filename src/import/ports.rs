//! Port sets: what a rule, or the meeting of an egress and an ingress rule, lets
//! through, as merged ranges per protocol.

use std::collections::BTreeMap;

use crate::ir::Protocol;
use crate::kube::objects::{ContainerPort, PolicyPort, PortValue};

const PROTOCOLS: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp];

/// Sorted, merged, non-empty ranges per protocol.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PortSet {
    ranges: BTreeMap<Protocol, Vec<(u16, u16)>>,
}

impl PortSet {
    /// Every port of every protocol.
    pub fn all() -> Self {
        let mut set = PortSet::default();
        for protocol in PROTOCOLS {
            set.add(protocol, 1, u16::MAX);
        }
        set
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn is_all(&self) -> bool {
        *self == PortSet::all()
    }

    pub fn add(&mut self, protocol: Protocol, low: u16, high: u16) {
        if low > high {
            return;
        }
        let ranges = self.ranges.entry(protocol).or_default();
        ranges.push((low, high));
        ranges.sort_unstable();
        let mut merged: Vec<(u16, u16)> = Vec::with_capacity(ranges.len());
        for &(lo, hi) in ranges.iter() {
            match merged.last_mut() {
                Some(last) if u32::from(lo) <= u32::from(last.1) + 1 => last.1 = last.1.max(hi),
                _ => merged.push((lo, hi)),
            }
        }
        *ranges = merged;
    }

    pub fn union(&mut self, other: &PortSet) {
        for (protocol, lo, hi) in other.ranges() {
            self.add(protocol, lo, hi);
        }
    }

    pub fn intersect(&self, other: &PortSet) -> PortSet {
        let mut out = PortSet::default();
        for (protocol, a) in &self.ranges {
            let Some(b) = other.ranges.get(protocol) else {
                continue;
            };
            for &(alo, ahi) in a {
                for &(blo, bhi) in b {
                    out.add(*protocol, alo.max(blo), ahi.min(bhi));
                }
            }
        }
        out
    }

    /// `(protocol, low, high)`, by protocol then port.
    pub fn ranges(&self) -> impl Iterator<Item = (Protocol, u16, u16)> + '_ {
        self.ranges
            .iter()
            .flat_map(|(p, ranges)| ranges.iter().map(move |&(lo, hi)| (*p, lo, hi)))
    }
}

/// The ports a rule's `ports` let through to a pod with `container` ports (named ports
/// resolve against them); `None` ports: every port.
pub fn of_rule(ports: Option<&[PolicyPort]>, container: &[ContainerPort]) -> PortSet {
    let Some(ports) = ports else {
        return PortSet::all();
    };
    let mut set = PortSet::default();
    for port in ports {
        match &port.port {
            None => set.add(port.protocol, 1, u16::MAX),
            Some(PortValue::Number(n)) => {
                let high = port.end_port.filter(|e| e >= n).unwrap_or(*n);
                set.add(port.protocol, *n, high);
            }
            Some(PortValue::Name(name)) => {
                for c in container {
                    if c.name.as_deref() == Some(name) && c.protocol == port.protocol {
                        set.add(port.protocol, c.number, c.number);
                    }
                }
            }
        }
    }
    set
}

/// Whether a rule's ports name a container port (only pods can resolve those).
pub fn has_named(ports: Option<&[PolicyPort]>) -> bool {
    ports.is_some_and(|ports| {
        ports
            .iter()
            .any(|p| matches!(p.port, Some(PortValue::Name(_))))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_merge_and_intersect() {
        let mut a = PortSet::default();
        a.add(Protocol::Tcp, 80, 90);
        a.add(Protocol::Tcp, 91, 100);
        a.add(Protocol::Udp, 53, 53);
        assert_eq!(a.ranges().count(), 2);
        let mut b = PortSet::default();
        b.add(Protocol::Tcp, 95, 200);
        let both = a.intersect(&b);
        assert_eq!(
            both.ranges().collect::<Vec<_>>(),
            [(Protocol::Tcp, 95, 100)]
        );
        assert!(PortSet::all().intersect(&a) == a);
        assert!(PortSet::all().is_all());
    }
}
