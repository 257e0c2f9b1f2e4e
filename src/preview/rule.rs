//! Rules and tables as kube-proxy and kube-router write them.
//!
//! A [`Rule`] keeps its arguments in the order the program passes them to
//! `iptables-restore` (that order is part of kube-proxy's payload); [`super::save`]
//! re-renders them the way `iptables-save` prints them.

use super::store::RuleStore;
use crate::collections::narrow;
use crate::sink::Sink;

/// The packed arguments' first allocation (kube-proxy's rules are mostly 80 to 200
/// characters long).
const PACKED_CAPACITY: usize = 160;

/// One `-A CHAIN ARGS...` line. The arguments are packed into one string, in the form
/// `iptables-restore` reads: each after a space, and in double quotes when it holds a
/// space or is empty (as kube-proxy writes `"ns/svc:port cluster IP"` but `ns/svc:port`
/// bare). A preview of a large cluster holds millions of rules: one allocation per rule
/// instead of one per argument is most of its memory, and the restore form is then
/// written as it is kept. No argument holds a double quote (they are words, names,
/// addresses and comments made of them), so the form reads back unambiguously.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub chain: String,
    packed: String,
}

impl Rule {
    pub fn new(chain: impl Into<String>) -> Self {
        Rule {
            chain: chain.into(),
            // Most rules' arguments fit: one allocation instead of a string that grows.
            packed: String::with_capacity(PACKED_CAPACITY),
        }
    }

    /// The rule as the read-only view the renderers take.
    pub fn view(&self) -> RuleRef<'_> {
        RuleRef {
            chain: &self.chain,
            packed: &self.packed,
        }
    }

    /// Appends arguments (builder style).
    pub fn arg<S: AsRef<str>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        for arg in args {
            let arg = arg.as_ref();
            debug_assert!(
                !arg.contains('"'),
                "a rule argument with a double quote: {arg}"
            );
            self.packed.push(' ');
            // Most arguments are a few bytes long: a byte loop beats `contains`'s
            // vectorised search.
            if arg.is_empty() || arg.bytes().any(|b| b == b' ') {
                self.packed.push('"');
                self.packed.push_str(arg);
                self.packed.push('"');
            } else {
                self.packed.push_str(arg);
            }
        }
        self
    }

    /// `-m comment --comment TEXT`
    pub fn comment(self, text: impl Into<String>) -> Self {
        let text = text.into();
        self.arg(["-m", "comment", "--comment"]).arg([text])
    }

    /// `-j TARGET`
    pub fn jump(self, target: &str) -> Self {
        self.arg(["-j", target])
    }

    /// [`RuleRef::to_restore`].
    pub fn to_restore(&self) -> String {
        self.view().to_restore()
    }
}

/// A rule as it is read: its chain and packed arguments, borrowed from a [`Rule`] or
/// from a [`RuleStore`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleRef<'a> {
    pub chain: &'a str,
    packed: &'a str,
}

impl<'a> RuleRef<'a> {
    pub(super) fn new(chain: &'a str, packed: &'a str) -> Self {
        RuleRef { chain, packed }
    }

    /// The arguments in packed form (restore form, see [`Rule`]).
    pub(super) fn packed(self) -> &'a str {
        self.packed
    }

    /// The arguments, unquoted, in order.
    pub fn args(self) -> Args<'a> {
        Args { rest: self.packed }
    }

    /// The comment text, if the rule has one.
    pub fn comment_text(self) -> Option<&'a str> {
        let mut args = self.args();
        args.find(|a| *a == "--comment")?;
        args.next()
    }

    /// The line in restore format: arguments joined by spaces, those with a space
    /// quoted (as kube-proxy writes `"ns/svc:port cluster IP"` but `ns/svc:port` bare).
    pub fn to_restore(self) -> String {
        let mut line = String::new();
        self.push_restore(&mut line);
        line
    }

    /// [`RuleRef::to_restore`], appended to `out` (no line break).
    pub fn push_restore(self, out: &mut String) {
        out.push_str("-A ");
        out.push_str(self.chain);
        self.push_restore_args(out);
    }

    /// The arguments in restore format, each after a space: the packed form itself.
    pub fn push_restore_args(self, out: &mut String) {
        out.push_str(self.packed);
    }
}

/// The arguments of a rule, read back from its packed form.
#[derive(Debug, Clone)]
pub struct Args<'a> {
    rest: &'a str,
}

impl<'a> Iterator for Args<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let rest = self.rest.strip_prefix(' ')?;
        let (arg, after) = match rest.strip_prefix('"') {
            Some(quoted) => {
                // A quoted argument is a comment, tens of bytes long: memchr looks at
                // many bytes at once (a byte loop was a third of reading a rule back).
                let end = memchr::memchr(b'"', quoted.as_bytes()).unwrap_or(quoted.len());
                (&quoted[..end], quoted.get(end + 1..).unwrap_or(""))
            }
            None => {
                // The others are a few bytes long: a byte loop beats a vectorised
                // search's set-up.
                let end = rest.bytes().position(|b| b == b' ').unwrap_or(rest.len());
                (&rest[..end], &rest[end..])
            }
        };
        self.rest = after;
        Some(arg)
    }
}

/// One table of a payload: the chains it declares (in the order written) and its
/// rules. A chain is known by its number in the rule store, given once: declaring a
/// chain, pushing its rules, sorting the chains and writing them never look a name up
/// again (a preview of 100,000 apps has hundreds of thousands of chains).
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub name: &'static str,
    pub rules: RuleStore,
    /// The declared chains' numbers, in the order written.
    declared: Vec<u32>,
    /// Whether each chain (by number) is declared.
    is_declared: Vec<bool>,
    /// Whether rules pushed are dropped ([`Table::discarding`]).
    discards: bool,
}

impl PartialEq for Table {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.chains().eq(other.chains()) && self.rules == other.rules
    }
}

impl Eq for Table {}

impl Table {
    pub fn new(name: &'static str) -> Self {
        Table {
            name,
            ..Table::default()
        }
    }

    /// A table with room for about `chains` chains and `rules` rules: a table of
    /// hundreds of thousands of chains, grown by doubling, rehashed its chain names a
    /// dozen times over, at random.
    pub fn with_capacity(name: &'static str, chains: usize, rules: usize) -> Self {
        Table {
            name,
            rules: RuleStore::with_capacity(chains, rules),
            declared: Vec::with_capacity(chains),
            is_declared: Vec::with_capacity(chains),
            ..Table::default()
        }
    }

    /// A table whose pushed rules are dropped, for a walk that makes rules for two tables
    /// when only the other is wanted (chains are still declared and numbered).
    pub fn discarding(name: &'static str) -> Self {
        Table {
            discards: true,
            ..Table::new(name)
        }
    }

    /// Whether the table drops the rules pushed to it ([`Table::discarding`]).
    pub fn discards(&self) -> bool {
        self.discards
    }

    /// Declares a chain once; its number in the table's rule store.
    pub fn chain(&mut self, name: &str) -> u32 {
        let number = self.rules.chain_number(name);
        let at = number as usize;
        if self.is_declared.len() <= at {
            self.is_declared.resize(at + 1, false);
        }
        if !self.is_declared[at] {
            self.is_declared[at] = true;
            self.declared.push(number);
        }
        number
    }

    /// The declared chains' names, in order.
    pub fn chains(&self) -> impl Iterator<Item = &str> {
        self.declared
            .iter()
            .map(|&number| self.rules.chain_name(number))
    }

    /// The declared chains' numbers, in order.
    pub fn declared(&self) -> &[u32] {
        &self.declared
    }

    /// Whether chain `number` (of the table's rule store) is declared.
    pub fn is_declared(&self, number: u32) -> bool {
        self.is_declared.get(number as usize) == Some(&true)
    }

    /// Whether the chain `name` is declared.
    pub fn declares(&self, name: &str) -> bool {
        self.rules
            .number_of(name)
            .is_some_and(|number| self.is_declared(number))
    }

    /// The table with its declared chains (numbers among its own, each once) in the order
    /// given, each numbered by its place in that order ([`RuleStore::renumber`]).
    pub fn with_chain_order(mut self, declared: &[u32]) -> Table {
        self.rules.renumber(declared);
        let count = narrow(declared.len());
        self.declared = (0..count).collect();
        self.is_declared = (0..self.rules.chain_count()).map(|n| n < count).collect();
        self
    }

    pub fn push(&mut self, rule: Rule) {
        if !self.discards {
            self.rules.push(rule);
        }
    }

    /// `*table`, `:CHAIN - [0:0]` lines, rules, `COMMIT`.
    pub fn to_restore(&self) -> String {
        crate::sink::to_string(|out| self.write_restore(out))
    }

    /// [`Table::to_restore`], into `out`.
    pub fn write_restore(&self, out: &mut Sink) {
        out.push('*');
        out.push_str(self.name);
        out.line_end();
        for chain in self.chains() {
            push_chain_line(out, chain, "-");
        }
        for rule in self.rules.iter() {
            rule.push_restore(out);
            out.line_end();
        }
        out.push_str("COMMIT");
        out.line_end();
    }
}

/// `:CHAIN POLICY [0:0]`, a chain's declaration (policy `-` for a user chain).
pub fn push_chain_line(out: &mut Sink, chain: &str, policy: &str) {
    out.push(':');
    out.push_str(chain);
    out.push(' ');
    out.push_str(policy);
    out.push_str(" [0:0]");
    out.line_end();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A chain is declared once, where it is first declared, whether rules came to it
    /// before or not; a chain that only has rules is not declared. Tables are equal
    /// when their declared chains and rules are, however the store numbered them.
    #[test]
    fn chains_are_declared_once_in_the_order_written() {
        let mut table = Table::new("filter");
        table.push(Rule::new("B").arg(["-j", "ACCEPT"]));
        table.push(Rule::new("STRAY").arg(["-j", "DROP"]));
        table.chain("A");
        table.chain("B");
        table.chain("A");
        assert_eq!(table.chains().collect::<Vec<_>>(), ["A", "B"]);
        assert!(table.declares("A") && table.declares("B"));
        assert!(!table.declares("STRAY") && !table.declares("NONE"));
        let mut other = Table::new("filter");
        other.chain("A");
        other.chain("B");
        other.push(Rule::new("B").arg(["-j", "ACCEPT"]));
        other.push(Rule::new("STRAY").arg(["-j", "DROP"]));
        assert_eq!(table, other);
        other.chain("C");
        assert_ne!(table, other);
    }

    /// The packed form is the restore form, and reads back to the arguments given:
    /// quoted when an argument holds a space or is empty, bare otherwise.
    #[test]
    fn the_packed_form_is_the_restore_form_and_reads_back() {
        let args = [
            "-m",
            "comment",
            "--comment",
            "ns/web:http cluster IP",
            "",
            "-j",
            "ACCEPT",
        ];
        let rule = Rule::new("KUBE-SERVICES").arg(args);
        assert_eq!(
            rule.to_restore(),
            r#"-A KUBE-SERVICES -m comment --comment "ns/web:http cluster IP" "" -j ACCEPT"#
        );
        assert_eq!(rule.view().args().collect::<Vec<_>>(), args);
        assert_eq!(rule.view().comment_text(), Some("ns/web:http cluster IP"));
        assert_eq!(Rule::new("EMPTY").view().args().count(), 0);
    }
}
