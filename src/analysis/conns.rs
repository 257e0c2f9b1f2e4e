//! Sets of connections: every protocol, or ports per protocol (TCP, UDP, SCTP).
//!
//! A NetworkPolicy rule without `ports` allows every protocol (ICMP included); a port
//! entry allows one protocol on a port, a range (`endPort`) or every port. The set keeps
//! that difference, as np-guard's analyzer does ("All connections" is not "TCP, UDP,
//! SCTP on every port").

use std::collections::BTreeMap;
use std::fmt;

use crate::ir::Protocol;

pub const PROTOCOLS: [Protocol; 3] = [Protocol::Tcp, Protocol::Udp, Protocol::Sctp];

/// Connections, as ports per protocol. Ranges are inclusive, sorted, disjoint and not
/// adjacent; a protocol with no port is absent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Conns {
    /// Every protocol and port (a rule without `ports`, or a side that is not isolated).
    pub all: bool,
    pub ports: BTreeMap<Protocol, Vec<(u16, u16)>>,
}

impl Conns {
    pub fn none() -> Conns {
        Conns::default()
    }

    pub fn all() -> Conns {
        Conns {
            all: true,
            ports: BTreeMap::new(),
        }
    }

    /// `protocol` on ports `low..=high`.
    pub fn range(protocol: Protocol, low: u16, high: u16) -> Conns {
        let mut conns = Conns::none();
        if low <= high {
            conns.ports.insert(protocol, vec![(low, high)]);
        }
        conns
    }

    pub fn port(protocol: Protocol, port: u16) -> Conns {
        Conns::range(protocol, port, port)
    }

    pub fn is_empty(&self) -> bool {
        !self.all && self.ports.is_empty()
    }

    pub fn union(&self, other: &Conns) -> Conns {
        if self.all || other.all {
            return Conns::all();
        }
        let mut out = self.clone();
        for (protocol, ranges) in &other.ports {
            let mine = out.ports.entry(*protocol).or_default();
            mine.extend(ranges.iter().copied());
            *mine = normalise(std::mem::take(mine));
        }
        out
    }

    pub fn intersect(&self, other: &Conns) -> Conns {
        if self.all {
            return other.clone();
        }
        if other.all {
            return self.clone();
        }
        let mut out = Conns::none();
        for (protocol, mine) in &self.ports {
            let Some(theirs) = other.ports.get(protocol) else {
                continue;
            };
            let mut both = Vec::new();
            for &(a, b) in mine {
                for &(c, d) in theirs {
                    let (low, high) = (a.max(c), b.min(d));
                    if low <= high {
                        both.push((low, high));
                    }
                }
            }
            let both = normalise(both);
            if !both.is_empty() {
                out.ports.insert(*protocol, both);
            }
        }
        out
    }

    /// Whether `protocol`/`port` is in the set.
    pub fn contains(&self, protocol: Protocol, port: u16) -> bool {
        self.all
            || self
                .ports
                .get(&protocol)
                .is_some_and(|r| r.iter().any(|&(low, high)| low <= port && port <= high))
    }
}

fn normalise(mut ranges: Vec<(u16, u16)>) -> Vec<(u16, u16)> {
    ranges.sort_unstable();
    let mut out: Vec<(u16, u16)> = Vec::new();
    for (low, high) in ranges {
        match out.last_mut() {
            Some(last) if u32::from(low) <= u32::from(last.1) + 1 => last.1 = last.1.max(high),
            _ => out.push((low, high)),
        }
    }
    out
}

/// `all`, or `TCP 53, 8080-8090; UDP 53`; a protocol on every port is just its name.
impl fmt::Display for Conns {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.all {
            return f.write_str("all");
        }
        if self.ports.is_empty() {
            return f.write_str("none");
        }
        let mut first = true;
        for (protocol, ranges) in &self.ports {
            if !first {
                f.write_str("; ")?;
            }
            first = false;
            f.write_str(protocol.as_k8s())?;
            if ranges.as_slice() == [(1, u16::MAX)] {
                continue;
            }
            let list: Vec<String> = ranges.iter().map(|&r| range_text(r)).collect();
            write!(f, " {}", list.join(","))?;
        }
        Ok(())
    }
}

pub fn range_text((low, high): (u16, u16)) -> String {
    if low == high {
        low.to_string()
    } else {
        format!("{low}-{high}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_merges_adjacent_ranges() {
        let a = Conns::range(Protocol::Tcp, 80, 90);
        let b = Conns::range(Protocol::Tcp, 91, 100).union(&Conns::port(Protocol::Udp, 53));
        assert_eq!(a.union(&b).to_string(), "TCP 80-100; UDP 53");
    }

    #[test]
    fn intersection_keeps_common_ports() {
        let a = Conns::range(Protocol::Tcp, 80, 90).union(&Conns::port(Protocol::Udp, 53));
        let b = Conns::range(Protocol::Tcp, 85, 200);
        assert_eq!(a.intersect(&b).to_string(), "TCP 85-90");
        assert_eq!(a.intersect(&Conns::all()), a);
        assert!(a.intersect(&Conns::port(Protocol::Sctp, 53)).is_empty());
    }

    #[test]
    fn every_port_of_a_protocol_is_not_every_protocol() {
        let tcp = Conns::range(Protocol::Tcp, 1, u16::MAX);
        assert_eq!(tcp.to_string(), "TCP");
        assert_ne!(tcp, Conns::all());
        assert_eq!(Conns::all().to_string(), "all");
    }
}
