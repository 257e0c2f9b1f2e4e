//! Rules and tables as kube-proxy and kube-router write them.
//!
//! A [`Rule`] keeps its arguments in the order the program passes them to
//! `iptables-restore` (that order is part of kube-proxy's payload); [`super::save`]
//! re-renders them the way `iptables-save` prints them.

/// One `-A CHAIN ARGS...` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub chain: String,
    /// Arguments unquoted; a comment with a space is quoted when rendered.
    pub args: Vec<String>,
}

impl Rule {
    pub fn new(chain: impl Into<String>) -> Self {
        Rule {
            chain: chain.into(),
            args: Vec::new(),
        }
    }

    /// Appends arguments (builder style).
    pub fn arg<S: AsRef<str>>(mut self, args: impl IntoIterator<Item = S>) -> Self {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_string()));
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

    /// The comment text, if the rule has one.
    pub fn comment_text(&self) -> Option<&str> {
        self.args
            .iter()
            .position(|a| a == "--comment")
            .and_then(|i| self.args.get(i + 1))
            .map(String::as_str)
    }

    /// The line in restore format: arguments joined by spaces, those with a space
    /// quoted (as kube-proxy writes `"ns/svc:port cluster IP"` but `ns/svc:port` bare).
    pub fn to_restore(&self) -> String {
        let mut line = format!("-A {}", self.chain);
        for arg in &self.args {
            line.push(' ');
            if arg.contains(' ') || arg.is_empty() {
                line.push('"');
                line.push_str(arg);
                line.push('"');
            } else {
                line.push_str(arg);
            }
        }
        line
    }
}

/// One table of a payload: the chains it declares (in the order written) and its
/// rules.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    pub name: &'static str,
    /// Declared chains, in the order written; a set, so that declaring is O(1) on
    /// payloads with tens of thousands of chains.
    pub chains: indexmap::IndexSet<String>,
    pub rules: Vec<Rule>,
}

impl Table {
    pub fn new(name: &'static str) -> Self {
        Table {
            name,
            ..Table::default()
        }
    }

    /// Declares a chain once.
    pub fn chain(&mut self, name: &str) {
        if !self.chains.contains(name) {
            self.chains.insert(name.to_string());
        }
    }

    pub fn push(&mut self, rule: Rule) {
        self.rules.push(rule);
    }

    /// `*table`, `:CHAIN - [0:0]` lines, rules, `COMMIT`.
    pub fn to_restore(&self) -> String {
        let mut out = format!("*{}\n", self.name);
        for chain in &self.chains {
            out.push_str(&format!(":{chain} - [0:0]\n"));
        }
        for rule in &self.rules {
            out.push_str(&rule.to_restore());
            out.push('\n');
        }
        out.push_str("COMMIT\n");
        out
    }
}

/// Rules grouped by chain, each group in order (one pass, for large payloads).
pub fn by_chain(rules: &[Rule]) -> indexmap::IndexMap<&str, Vec<&Rule>> {
    let mut groups: indexmap::IndexMap<&str, Vec<&Rule>> = indexmap::IndexMap::new();
    for rule in rules {
        groups.entry(rule.chain.as_str()).or_default().push(rule);
    }
    groups
}
