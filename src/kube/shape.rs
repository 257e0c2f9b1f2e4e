//! The shape of a NetworkPolicy's `spec`, as the API server's decoder and validation
//! refuse it: a field of the wrong type (`egress: [1]`, `matchLabels: {app: [web]}`), a
//! policy type other than `Ingress` or `Egress`, a port out of range or a protocol the
//! API does not know.
//!
//! Why it matters: in a NetworkPolicy an absent field means "everything" (a rule without
//! `to` reaches every address, a selector without labels picks every pod). Read leniently,
//! a malformed field would be imported as the widest permission, where a cluster would
//! refuse the object. Unknown fields are not refused: the API server drops them unless
//! field validation is strict.

use serde_yaml::Value;

/// What is wrong with `spec`, each as `PATH: reason`; empty when the shape is right.
pub fn policy_problems(spec: Option<&Value>) -> Vec<String> {
    let mut problems = Vec::new();
    let Some(spec) = spec.filter(|s| !s.is_null()) else {
        return problems;
    };
    if !spec.is_mapping() {
        problems.push("spec: must be a mapping".to_string());
        return problems;
    }
    let mut check = Checker {
        problems: &mut problems,
    };
    check.selector("spec.podSelector", spec.get("podSelector"));
    check.list(
        "spec.policyTypes",
        spec.get("policyTypes"),
        |check, path, item| {
            if !matches!(item.as_str(), Some("Ingress" | "Egress")) {
                check.problem(path, "must be `Ingress` or `Egress`");
            }
        },
    );
    for (key, peers) in [("ingress", "from"), ("egress", "to")] {
        let path = format!("spec.{key}");
        check.list(&path, spec.get(key), |check, path, rule| {
            // A null rule decodes to an empty one: every peer, every port.
            if rule.is_null() {
                return;
            }
            if !rule.is_mapping() {
                return check.problem(path, "must be a mapping");
            }
            check.list(&format!("{path}.{peers}"), rule.get(peers), Checker::peer);
            check.list(&format!("{path}.ports"), rule.get("ports"), Checker::port);
        });
    }
    problems
}

struct Checker<'p> {
    problems: &'p mut Vec<String>,
}

impl Checker<'_> {
    fn problem(&mut self, path: &str, reason: &str) {
        self.problems.push(format!("{path}: {reason}"));
    }

    /// A list (or null): each item checked by `item`, at `PATH[i]`.
    fn list(&mut self, path: &str, value: Option<&Value>, item: impl Fn(&mut Self, &str, &Value)) {
        match value {
            None | Some(Value::Null) => {}
            Some(Value::Sequence(items)) => {
                for (i, value) in items.iter().enumerate() {
                    item(self, &format!("{path}[{i}]"), value);
                }
            }
            Some(_) => self.problem(path, "must be a list"),
        }
    }

    /// A label selector (or null): `matchLabels` of strings, `matchExpressions` of
    /// mappings with a string `key` and `operator` and string `values`.
    fn selector(&mut self, path: &str, value: Option<&Value>) {
        let Some(selector) = value.filter(|v| !v.is_null()) else {
            return;
        };
        if !selector.is_mapping() {
            return self.problem(path, "must be a mapping");
        }
        match selector.get("matchLabels") {
            None | Some(Value::Null) => {}
            Some(Value::Mapping(labels)) => {
                for (key, label) in labels {
                    if !key.is_string() || !label.is_string() {
                        let key = key.as_str().unwrap_or("?");
                        self.problem(&format!("{path}.matchLabels.{key}"), "must be a string");
                    }
                }
            }
            Some(_) => self.problem(&format!("{path}.matchLabels"), "must be a mapping"),
        }
        self.list(
            &format!("{path}.matchExpressions"),
            selector.get("matchExpressions"),
            |check, path, expression| {
                if !expression.is_mapping() {
                    return check.problem(path, "must be a mapping");
                }
                for key in ["key", "operator"] {
                    if !expression.get(key).is_some_and(Value::is_string) {
                        check.problem(&format!("{path}.{key}"), "must be a string");
                    }
                }
                check.list(
                    &format!("{path}.values"),
                    expression.get("values"),
                    Checker::string,
                );
            },
        );
    }

    fn string(&mut self, path: &str, value: &Value) {
        if !value.is_string() {
            self.problem(path, "must be a string");
        }
    }

    /// A rule's peer: a mapping of selectors and an `ipBlock`.
    fn peer(&mut self, path: &str, peer: &Value) {
        if !peer.is_mapping() {
            return self.problem(path, "must be a mapping");
        }
        self.selector(&format!("{path}.podSelector"), peer.get("podSelector"));
        self.selector(
            &format!("{path}.namespaceSelector"),
            peer.get("namespaceSelector"),
        );
        let Some(block) = peer.get("ipBlock").filter(|b| !b.is_null()) else {
            return;
        };
        if !block.is_mapping() {
            return self.problem(&format!("{path}.ipBlock"), "must be a mapping");
        }
        self.string(
            &format!("{path}.ipBlock.cidr"),
            block.get("cidr").unwrap_or(&Value::Null),
        );
        self.list(
            &format!("{path}.ipBlock.except"),
            block.get("except"),
            Checker::string,
        );
    }

    /// A rule's port: a number from 1 to 65535 or a port name, a protocol of the API,
    /// and an `endPort` in range.
    fn port(&mut self, path: &str, port: &Value) {
        if !port.is_mapping() {
            return self.problem(path, "must be a mapping");
        }
        let in_range = |value: &Value| value.as_u64().is_some_and(|n| (1..=65535).contains(&n));
        match port.get("port") {
            None | Some(Value::Null) => {}
            Some(Value::String(name)) => {
                if let Err(reasons) = crate::check::rules::iana_service_name(name) {
                    self.problem(&format!("{path}.port"), &reasons.join(", "));
                }
            }
            Some(number) if in_range(number) => {}
            Some(_) => self.problem(
                &format!("{path}.port"),
                "must be a number from 1 to 65535, or a port name",
            ),
        }
        match port.get("protocol") {
            None | Some(Value::Null) => {}
            Some(protocol) if matches!(protocol.as_str(), Some("TCP" | "UDP" | "SCTP")) => {}
            Some(_) => self.problem(
                &format!("{path}.protocol"),
                "must be `TCP`, `UDP` or `SCTP`",
            ),
        }
        match port.get("endPort") {
            None | Some(Value::Null) => {}
            Some(end) if in_range(end) => {}
            Some(_) => self.problem(
                &format!("{path}.endPort"),
                "must be a number from 1 to 65535",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(spec: &str) -> Vec<String> {
        let value: Value = serde_yaml::from_str(spec).expect("YAML");
        policy_problems(Some(&value))
    }

    /// What the API server takes passes: null rules and lists, selectors, named and
    /// numbered ports, ranges.
    #[test]
    fn a_well_formed_spec_has_no_problem() {
        let spec = "podSelector: {matchLabels: {app: web}, matchExpressions: [{key: tier, operator: In, values: [a]}]}
policyTypes: [Ingress, Egress]
ingress: [null, {}, {from: null, ports: null}]
egress:
- to: [{ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}}, {namespaceSelector: {}, podSelector: null}]
  ports: [{port: 80}, {port: http, protocol: UDP}, {port: 30000, endPort: 30100}, {protocol: SCTP}]
";
        assert_eq!(problems(spec), Vec::<String>::new());
    }

    /// Each malformed field is named by its path.
    #[test]
    fn malformed_fields_are_named_by_their_path() {
        let cases = [
            ("egress: [1]", "spec.egress[0]: must be a mapping"),
            ("egress: [{to: 5}]", "spec.egress[0].to: must be a list"),
            (
                "ingress: [{from: [5]}]",
                "spec.ingress[0].from[0]: must be a mapping",
            ),
            (
                "podSelector: {matchLabels: {app: [web]}}",
                "spec.podSelector.matchLabels.app: must be a string",
            ),
            ("podSelector: 5", "spec.podSelector: must be a mapping"),
            (
                "policyTypes: [ingress]",
                "spec.policyTypes[0]: must be `Ingress` or `Egress`",
            ),
            (
                "ingress: [{ports: [{port: 0}]}]",
                "spec.ingress[0].ports[0].port: must be a number from 1 to 65535, or a port name",
            ),
            (
                "ingress: [{ports: [{port: 65536}]}]",
                "spec.ingress[0].ports[0].port: must be a number from 1 to 65535, or a port name",
            ),
            (
                "ingress: [{ports: [{port: 80, protocol: tcp}]}]",
                "spec.ingress[0].ports[0].protocol: must be `TCP`, `UDP` or `SCTP`",
            ),
            (
                "egress: [{to: [{ipBlock: {cidr: 5}}]}]",
                "spec.egress[0].to[0].ipBlock.cidr: must be a string",
            ),
        ];
        for (spec, expected) in cases {
            let found = problems(spec);
            assert!(found.iter().any(|p| p == expected), "{spec}: {found:?}");
        }
    }
}
