//! The flows of one pair (a destination and a source) that name every port, a port
//! range or several ports, indexed by the ports they can cover.
//!
//! A flow can be covered only by one that covers each of its ports, so by one that
//! covers its first port: a flow of every port, one with that named port, or one with a
//! numeric port or range that contains it. The numeric ones are intervals, kept sorted
//! with the highest end of each subtree, so that the intervals holding a port or range
//! are found without a look at the others. A statement listing thousands of ranges or
//! port sets of one peer stays near linear.

use crate::collections::HashMap;
use crate::ir::{self, PolicyPort, Protocol, TargetPort};

use super::{sorted_ports, Kept};

#[derive(Default)]
pub(super) struct WideFlows<'m> {
    /// The flows by their (sorted) ports, each once.
    kept: Kept<'m, Vec<PolicyPort>>,
    /// Built by [`WideFlows::seal`], as slots in `kept`.
    ports: PortIndex<'m>,
}

impl<'m> WideFlows<'m> {
    pub(super) fn add(&mut self, index: usize, flow: &'m ir::Flow) {
        self.kept.add(sorted_ports(&flow.ports), index, flow);
    }

    /// Indexes the flows by their ports, once every flow is in.
    pub(super) fn seal(&mut self) {
        for (slot, (_, flow)) in self.kept.flows.iter().enumerate() {
            self.ports.add(slot, &flow.ports);
        }
        self.ports.seal();
    }

    /// The flows that may cover one with these ports.
    pub(super) fn covering(&self, ports: &[PolicyPort]) -> Vec<(usize, &'m ir::Flow)> {
        let mut slots = Vec::new();
        self.ports.covering(ports, &mut slots);
        slots
            .iter()
            .filter_map(|&slot| self.kept.get(slot))
            .collect()
    }
}

/// Flows (as slots in a store of the caller's) by the ports they can cover: a flow of
/// every port, by each named port, and by each number or range as an interval. Any
/// list of ports can be indexed, one port or many.
#[derive(Default)]
pub(super) struct PortIndex<'m> {
    every_port: Vec<usize>,
    named: HashMap<(Protocol, &'m str), Vec<usize>>,
    /// Numbers and ranges: gathered by [`PortIndex::add`], made intervals by
    /// [`PortIndex::seal`].
    pending: Vec<(Protocol, u16, u16, usize)>,
    numeric: Vec<(Protocol, Intervals)>,
}

impl<'m> PortIndex<'m> {
    pub(super) fn add(&mut self, slot: usize, ports: &'m [PolicyPort]) {
        if ports.is_empty() {
            self.every_port.push(slot);
        }
        for port in ports {
            match &port.port {
                TargetPort::Name(name) => self
                    .named
                    .entry((port.protocol, name))
                    .or_default()
                    .push(slot),
                TargetPort::Number(low) => {
                    let high = port.end_port.unwrap_or(*low);
                    self.pending.push((port.protocol, *low, high, slot));
                }
            }
        }
    }

    /// Builds the intervals, once every flow is in.
    pub(super) fn seal(&mut self) {
        let mut numeric = std::mem::take(&mut self.pending);
        numeric.sort_unstable();
        for run in numeric.chunk_by(|a, b| a.0 == b.0) {
            let intervals = run.iter().map(|&(_, low, high, slot)| (low, high, slot));
            self.numeric
                .push((run[0].0, Intervals::new(intervals.collect())));
        }
    }

    /// Pushes the slots of the flows that may cover one with these ports: those that
    /// cover its first port.
    pub(super) fn covering(&self, ports: &[PolicyPort], slots: &mut Vec<usize>) {
        slots.extend(&self.every_port);
        let Some(first) = ports.first() else {
            return;
        };
        match (&first.port, first.end_port) {
            (TargetPort::Name(name), None) => {
                if let Some(named) = self.named.get(&(first.protocol, name.as_str())) {
                    slots.extend(named);
                }
            }
            // A named port with an end covers nothing but itself (see `ports_cover`).
            (TargetPort::Name(_), Some(_)) => {}
            (TargetPort::Number(low), end) => {
                let protocol = self.numeric.iter().find(|(p, _)| *p == first.protocol);
                if let Some((_, intervals)) = protocol {
                    intervals.containing(*low, end.unwrap_or(*low), slots);
                }
            }
        }
    }
}

/// Intervals `[low, high]` sorted by `low`, with the highest `high` under each node of
/// an implicit binary tree over them.
struct Intervals {
    items: Vec<(u16, u16, usize)>,
    highest: Vec<u16>,
}

impl Intervals {
    fn new(mut items: Vec<(u16, u16, usize)>) -> Self {
        items.sort_unstable();
        let mut highest = vec![0; 4 * items.len().max(1)];
        if !items.is_empty() {
            Self::build(&items, &mut highest, 0, 0, items.len());
        }
        Intervals { items, highest }
    }

    fn build(
        items: &[(u16, u16, usize)],
        highest: &mut [u16],
        node: usize,
        from: usize,
        to: usize,
    ) -> u16 {
        let high = if to - from == 1 {
            items[from].1
        } else {
            let middle = (from + to) / 2;
            let left = Self::build(items, highest, 2 * node + 1, from, middle);
            left.max(Self::build(items, highest, 2 * node + 2, middle, to))
        };
        highest[node] = high;
        high
    }

    /// Pushes the value of every interval that holds `[low, high]`.
    fn containing(&self, low: u16, high: u16, out: &mut Vec<usize>) {
        // Only intervals that start at or before `low`: a prefix of the sorted items.
        let end = self.items.partition_point(|&(start, _, _)| start <= low);
        if end > 0 {
            self.visit(0, 0, self.items.len(), end, high, out);
        }
    }

    fn visit(
        &self,
        node: usize,
        from: usize,
        to: usize,
        end: usize,
        high: u16,
        out: &mut Vec<usize>,
    ) {
        if from >= end || self.highest[node] < high {
            return;
        }
        if to - from == 1 {
            out.push(self.items[from].2);
            return;
        }
        let middle = (from + to) / 2;
        self.visit(2 * node + 1, from, middle, end, high, out);
        self.visit(2 * node + 2, middle, to, end, high, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The intervals found are exactly those that hold the query.
        #[test]
        fn intervals_holding_a_range_are_found(
            items in prop::collection::vec((0u16..200, 0u16..60), 0..60),
            low in 0u16..220,
            width in 0u16..30,
        ) {
            let items: Vec<(u16, u16, usize)> = items
                .iter()
                .enumerate()
                .map(|(slot, &(start, length))| (start, start.saturating_add(length), slot))
                .collect();
            let high = low.saturating_add(width);
            let mut found = Vec::new();
            Intervals::new(items.clone()).containing(low, high, &mut found);
            found.sort_unstable();
            let mut expected: Vec<usize> = items
                .iter()
                .filter(|&&(start, end, _)| start <= low && high <= end)
                .map(|&(_, _, slot)| slot)
                .collect();
            expected.sort_unstable();
            prop_assert_eq!(found, expected);
        }
    }
}
