//! Checking single values: names, numbers, protocols, addresses, labels.
//!
//! Each function takes what was written, reports what is wrong with it (codes `E01xx`
//! and `E02xx`) and returns the value the IR uses, or `None` when it is invalid.

use crate::collections::SmallMap;
use std::net::IpAddr;

use ipnet::IpNet;

use super::rules;
use super::suggest::did_you_mean;
use super::Diagnostics;
use crate::diagnostic::{Code, Diagnostic};
use crate::ir::{Labels, Protocol};
use crate::syntax::ast::{self, Name, Number, Spanned};

/// A Kubernetes naming rule, with the words that name it in messages.
pub struct NameRule {
    pub check: fn(&str) -> Result<(), Vec<String>>,
    pub rule_name: &'static str,
}

pub const DNS_LABEL: NameRule = NameRule {
    check: rules::dns1123_label,
    rule_name: "a DNS-1123 label",
};
pub const DNS_1035_LABEL: NameRule = NameRule {
    check: rules::dns1035_label,
    rule_name: "a DNS-1035 label",
};
pub const DNS_SUBDOMAIN: NameRule = NameRule {
    check: rules::dns1123_subdomain,
    rule_name: "a DNS-1123 subdomain",
};
pub const IANA_NAME: NameRule = NameRule {
    check: rules::iana_service_name,
    rule_name: "an IANA service name",
};

/// Checks a name against a rule: `` `Web_1` is not a valid app name``, with the reasons
/// and, when a simple rewrite is valid, "try `web-1`".
pub fn name(diags: &mut Diagnostics, code: Code, what: &str, rule: &NameRule, name: &Name) -> bool {
    let Err(reasons) = (rule.check)(&name.node) else {
        return true;
    };
    let mut diagnostic = Diagnostic::new(
        code,
        format!("`{}` is not a valid {what}", name.node),
        name.span,
    )
    .label(reasons.first().cloned().unwrap_or_default())
    .note(format!(
        "{} {what} must be {}",
        article(what),
        rule.rule_name
    ));
    for reason in reasons.iter().skip(1) {
        diagnostic = diagnostic.note(format!("it {reason}"));
    }
    let fixed = suggest_fix(&name.node);
    if fixed != name.node && (rule.check)(&fixed).is_ok() {
        diagnostic = diagnostic.help(format!("try `{fixed}`"));
    }
    diags.push(diagnostic);
    false
}

/// "a" or "an", for "an app name" and "a port name".
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// Lowercase, `_` and `.` to `-`: the usual repair of a Kubernetes name.
fn suggest_fix(name: &str) -> String {
    name.to_ascii_lowercase().replace(['_', '.'], "-")
}

/// A port number, 1..=65535.
pub fn port(diags: &mut Diagnostics, number: &Number, what: &str) -> Option<u16> {
    match u16::try_from(number.node) {
        Ok(port) if port >= 1 => Some(port),
        _ => {
            diags.push(
                Diagnostic::new(
                    Code::PortOutOfRange,
                    format!("{what} {} is out of range", shown(number)),
                    number.span,
                )
                .label("must be between 1 and 65535, inclusive"),
            );
            None
        }
    }
}

/// `` `65536` ``; numbers too long for u64 saturate in the parser, and are shown by their
/// number of digits (their span covers exactly the digits).
fn shown(number: &Number) -> String {
    if number.node == u64::MAX {
        format!("of {} digits", number.span.end() - number.span.start())
    } else {
        format!("`{}`", number.node)
    }
}

/// Any number up to `max`.
pub fn bounded(diags: &mut Diagnostics, number: &Number, what: &str, max: u64) -> Option<u64> {
    if number.node <= max {
        return Some(number.node);
    }
    diags.push(
        Diagnostic::new(
            Code::NumberTooLarge,
            format!("{what} {} is too large", shown(number)),
            number.span,
        )
        .label(format!("must be at most {max}")),
    );
    None
}

const PROTOCOLS: [&str; 3] = ["tcp", "udp", "sctp"];

/// `tcp` (the default when absent), `udp` or `sctp`.
pub fn protocol(diags: &mut Diagnostics, written: Option<&Name>) -> Option<Protocol> {
    let Some(name) = written else {
        return Some(Protocol::Tcp);
    };
    match name.node.as_str() {
        "tcp" => Some(Protocol::Tcp),
        "udp" => Some(Protocol::Udp),
        "sctp" => Some(Protocol::Sctp),
        other => {
            let help = did_you_mean(other, PROTOCOLS)
                .map(|p| format!("did you mean `{p}`?"))
                .unwrap_or_else(|| "knet protocols are `tcp`, `udp` and `sctp`".to_string());
            diags.push(
                Diagnostic::new(
                    Code::UnknownProtocol,
                    format!("unknown protocol `{other}`"),
                    name.span,
                )
                .label("expected `tcp`, `udp` or `sctp`")
                .help(help),
            );
            None
        }
    }
}

/// One of a fixed set of words (service types, traffic policies...).
pub fn keyword<T: Copy>(
    diags: &mut Diagnostics,
    code: Code,
    what: &str,
    written: &Name,
    choices: &[(&'static str, T)],
) -> Option<T> {
    if let Some((_, value)) = choices.iter().find(|(word, _)| *word == written.node) {
        return Some(*value);
    }
    let words: Vec<&str> = choices.iter().map(|(w, _)| *w).collect();
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    let listed = match quoted.as_slice() {
        [] => String::new(),
        [only] => only.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    };
    let help = did_you_mean(&written.node, words.iter().copied())
        .map(|w| format!("did you mean `{w}`?"))
        .unwrap_or_else(|| format!("write {listed}"));
    diags.push(
        Diagnostic::new(
            code,
            format!("unknown {what} `{}`", written.node),
            written.span,
        )
        .label(format!("expected {listed}"))
        .help(help),
    );
    None
}

/// An IP address in strict, canonical form.
pub fn ip(diags: &mut Diagnostics, written: &Spanned<String>) -> Option<IpAddr> {
    rules::ip_strict(&written.node)
        .map_err(|reasons| {
            let reasons = instead_of_message(
                reasons,
                "is not a valid IP address",
                "expected an IPv4 or IPv6 address, such as `10.96.0.10` or `fd00::10`",
            );
            diags.push(value_error(
                Code::InvalidIp,
                format!("`{}` is not a valid IP address", written.node),
                written.span,
                &reasons,
            ));
        })
        .ok()
}

/// A CIDR in strict, canonical form (no host bits).
pub fn cidr(diags: &mut Diagnostics, written: &Spanned<String>) -> Option<IpNet> {
    rules::cidr_strict(&written.node)
        .map_err(|reasons| {
            let reasons = instead_of_message(
                reasons,
                "is not a valid CIDR",
                "expected an address and a prefix length, such as `10.0.0.0/8`",
            );
            diags.push(value_error(
                Code::InvalidCidr,
                format!("`{}` is not a valid CIDR", written.node),
                written.span,
                &reasons,
            ));
        })
        .ok()
}

/// A reason that only repeats the message makes a poor label: show what is expected.
fn instead_of_message(mut reasons: Vec<String>, repeated: &str, expected: &str) -> Vec<String> {
    for reason in &mut reasons {
        if reason == repeated {
            *reason = expected.to_string();
        }
    }
    reasons
}

/// An error whose label is the first reason and whose notes are the others; a reason
/// ending in "did you mean `x`?" becomes the help line.
pub fn value_error(
    code: Code,
    message: String,
    span: crate::source::Span,
    reasons: &[String],
) -> Diagnostic {
    let mut diagnostic = Diagnostic::new(code, message, span);
    for (i, reason) in reasons.iter().enumerate() {
        let (reason, help) = match reason.split_once(": did you mean") {
            Some((reason, rest)) => (reason.to_string(), Some(format!("did you mean{rest}"))),
            None => (reason.clone(), None),
        };
        diagnostic = if i == 0 {
            diagnostic.label(reason)
        } else {
            diagnostic.note(format!("it {reason}"))
        };
        if let Some(help) = help {
            diagnostic = diagnostic.help(help);
        }
    }
    diagnostic
}

/// What a label key (and an annotation key) looks like, for notes.
const LABEL_KEY_SHAPE: &str = "an optional DNS-subdomain prefix and `/` (as in `example.com/`), then a name of up to 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit";

/// One label key on its own (`app-label KEY`): checked as in a label set.
pub fn label_key(diags: &mut Diagnostics, key: &Spanned<String>) -> bool {
    match rules::label_key(&key.node) {
        Ok(()) => true,
        Err(reasons) => {
            diags.push(
                value_error(
                    Code::InvalidLabelKey,
                    format!("`{}` is not a valid label key", key.node),
                    key.span,
                    &reasons,
                )
                .note(format!("a label key is {LABEL_KEY_SHAPE}")),
            );
            false
        }
    }
}

/// A label set: keys and values checked, duplicate keys reported.
pub fn labels(diags: &mut Diagnostics, written: &[ast::Label]) -> Labels {
    let mut labels = Labels::with_capacity_and_hasher(written.len(), Default::default());
    // By key: a `labels` line may hold tens of thousands of labels.
    let mut seen: SmallMap<&str, &ast::Label> = SmallMap::new();
    for label in written {
        let mut ok = label_key(diags, &label.key);
        if let Err(reasons) = rules::label_value(&label.value.node) {
            diags.push(
                value_error(
                    Code::InvalidLabelValue,
                    format!("`{}` is not a valid label value", label.value.node),
                    label.value.span,
                    &reasons,
                )
                .note("a label value is empty, or up to 63 letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit"),
            );
            ok = false;
        }
        if let Some(first) = seen.first_or_insert(&label.key.node, label) {
            diags.push(
                Diagnostic::new(
                    Code::DuplicateLabelKey,
                    format!("label key `{}` is given twice", label.key.node),
                    label.key.span,
                )
                .label("given again here")
                .secondary(first.key.span, "first given here")
                .help("a label key can have one value: remove one of them"),
            );
            ok = false;
        }
        if ok {
            labels.insert(label.key.node.clone(), label.value.node.clone());
        }
    }
    labels
}

/// Annotations: keys checked; the total size limit is checked by the caller.
pub fn annotation_key(diags: &mut Diagnostics, key: &Spanned<String>) -> bool {
    match rules::annotation_key(&key.node) {
        Ok(()) => true,
        Err(reasons) => {
            diags.push(
                value_error(
                    Code::InvalidAnnotationKey,
                    format!("`{}` is not a valid annotation key", key.node),
                    key.span,
                    &reasons,
                )
                .note(format!(
                    "an annotation key is shaped like a label key: {LABEL_KEY_SHAPE}"
                )),
            );
            false
        }
    }
}

/// Kubernetes limits all annotations of one object to 256 KiB (keys and values).
pub const ANNOTATIONS_MAX_BYTES: usize = 262_144;

/// The size limit on the annotations of one object (`kind`: "Service", "Ingress"),
/// reported at the object's name.
pub fn annotations_size(
    diags: &mut Diagnostics,
    kind: &str,
    annotations: &crate::collections::IndexMap<String, String>,
    name_span: crate::source::Span,
) {
    let size: usize = annotations.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > ANNOTATIONS_MAX_BYTES {
        diags.push(
            Diagnostic::new(
                Code::AnnotationsTooLong,
                format!("the {kind}'s annotations are larger than 256 KiB"),
                name_span,
            )
            .label(format!("{size} bytes of annotations"))
            .note(format!("Kubernetes limits the annotations of an object, keys and values together, to {ANNOTATIONS_MAX_BYTES} bytes"))
            .help("keep large data out of annotations: put it in a ConfigMap and annotate with its name"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, Span};

    fn label(key: &str, value: &str, at: usize) -> ast::Label {
        let span = Span::new(FileId(0), at, at + 1);
        ast::Label {
            key: Spanned::new(key.to_string(), span),
            value: Spanned::new(value.to_string(), span),
        }
    }

    /// A key given twice is reported against its first label, and the first value is
    /// kept, whether the line is short (searched) or long (indexed).
    #[test]
    fn a_key_given_twice_is_reported_in_short_and_long_lines() {
        for others in [0, 2, 20] {
            let mut written: Vec<ast::Label> = (0..others)
                .map(|i| label(&format!("k{i}"), "v", 100 + i))
                .collect();
            written.insert(0, label("app", "first", 1));
            written.push(label("app", "second", 2));
            written.push(label("app", "third", 3));
            let mut diags = Diagnostics::new();
            let labels = labels(&mut diags, &written);
            assert_eq!(labels.get("app").map(String::as_str), Some("first"));
            assert_eq!(labels.len(), others + 1);
            let firsts: Vec<usize> = diags
                .iter()
                .map(|d| {
                    assert_eq!(d.code, Code::DuplicateLabelKey);
                    d.secondary[0].span.start()
                })
                .collect();
            assert_eq!(firsts, vec![1, 1], "{others} other labels");
        }
    }
}
