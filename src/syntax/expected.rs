//! Syntax errors in words: pest's "expected one of these rules" becomes
//! "expected a port number or `->`, found `http`".
//!
//! Every named grammar rule that the parser can expect has a human name here
//! ([`describe`]); rules without one (whole statements, layout) are left out of the
//! message. Emits `E0001`.

use pest::error::{Error, ErrorVariant, InputLocation};

use super::Rule;
use crate::diagnostic::{Code, Diagnostic};
use crate::source::{FileId, Span};

/// What a person calls the thing a rule matches, or `None` for rules that are not
/// tokens.
fn describe(rule: Rule) -> Option<String> {
    let name = format!("{rule:?}");
    if let Some(keyword) = name.strip_prefix("kw_") {
        return Some(format!("`{}`", keyword.replace('_', "-")));
    }
    let words = match rule {
        Rule::eol => "end of line",
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::arrow => "`->`",
        Rule::colon => "`:`",
        Rule::name => "a name",
        Rule::number => "a number",
        Rule::port_number => "a port number",
        Rule::port_range => "a port range (`LOW-HIGH`)",
        Rule::port_target => "a target port (number or name)",
        Rule::address | Rule::address_list => "an address",
        Rule::host => "a host name",
        Rule::path => "a path (starting with `/`)",
        Rule::path_type => "a path type",
        Rule::string => "a quoted string",
        Rule::label | Rule::labels | Rule::label_key => "a label (`key=value`)",
        Rule::bare_value => "a label value",
        Rule::switch => "`on` or `off`",
        Rule::backend => "an app name",
        Rule::peer | Rule::peer_list => {
            "a peer (app, `NS/APP`, `NS/*`, `*`, `*/*`, `world`, `ingress`, `any`)"
        }
        Rule::named_peer => "a peer name (`APP`, `NAMESPACE/APP`)",
        Rule::any_namespace => "`*/*`",
        Rule::all_pods | Rule::all_ports => "`*`",
        Rule::port_set => "a port",
        Rule::cidr_entry => "a CIDR",
        Rule::EOI => "end of file",
        // Statements are described by their first keyword.
        Rule::cluster_block => "`cluster`",
        Rule::namespace_block => "`namespace`",
        Rule::app_block => "`app`",
        Rule::external_block => "`external`",
        Rule::ingress_block => "`ingress`",
        Rule::allow_stmt => "`allow`",
        Rule::default_stmt => "`default`",
        Rule::dns_stmt => "`dns`",
        Rule::labels_line => "`labels`",
        Rule::port_line | Rule::external_port_line => "`port`",
        Rule::service_line => "`service`",
        Rule::cluster_ip_line => "`cluster-ip`",
        Rule::external_ips_line => "`external-ips`",
        Rule::source_ranges_line => "`source-ranges`",
        Rule::traffic_policy_line => "`traffic-policy`",
        Rule::health_check_node_port_line => "`health-check-node-port`",
        Rule::session_affinity_line => "`session-affinity`",
        Rule::annotation_line => "`annotation`",
        Rule::replicas_line => "`replicas`",
        Rule::endpoint_line => "`endpoint`",
        Rule::load_balancer_ingress_line => "`load-balancer-ingress`",
        Rule::host_line | Rule::host_block => "`host`",
        Rule::cidr_line => "`cidr`",
        Rule::class_line => "`class`",
        Rule::tls_line => "`tls`",
        Rule::default_backend_line => "`default`",
        Rule::route_line => "a route (`PATH -> APP`)",
        Rule::service_cidr_setting => "`service-cidr`",
        Rule::pod_cidr_setting => "`pod-cidr`",
        Rule::node_port_range_setting => "`node-port-range`",
        Rule::dns_setting => "`dns`",
        Rule::ingress_controller_setting => "`ingress-controller`",
        Rule::namespace_clause => "`namespace`",
        Rule::labels_clause => "`labels`",
        Rule::port_clause => "`port`",
        Rule::node_ip_setting => "`node-ip`",
        Rule::node_name_setting => "`node-name`",
        Rule::masquerade_mark_setting => "`masquerade-mark`",
        Rule::localhost_node_ports_setting => "`localhost-node-ports`",
        Rule::random_fully_setting => "`random-fully`",
        Rule::nfacct_setting => "`nfacct`",
        Rule::policy_version_setting => "`policy-version`",
        Rule::app_label_setting | Rule::app_label_stmt => "`app-label`",
        Rule::group_block => "`namespaces`",
        Rule::unmanaged => "`unmanaged`",
        Rule::service_block => "`service`",
        Rule::service_labels_line => "`service-labels`",
        Rule::type_line => "`type`",
        Rule::ports_line => "`ports`",
        Rule::service_node_port_line => "`node-port`",
        Rule::routes_setting | Rule::routes_line => "`routes`",
        Rule::routes_mode => "`ingress` or `gateway-api`",
        Rule::gateway_setting | Rule::gateway_line => "`gateway`",
        Rule::gateway_ref => "a Gateway (`NAMESPACE/NAME`)",
        Rule::gateway_pods_setting => "`gateway-pods`",
        _ => return None,
    };
    Some(words.to_string())
}

/// "a, b or c"
fn one_of(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

/// The token found at `offset`, for "found `http`".
fn found_at(text: &str, offset: usize) -> (String, usize) {
    let rest = text.get(offset..).unwrap_or("");
    if rest.is_empty() {
        return ("end of file".to_string(), 0);
    }
    if rest.starts_with('\n') || rest.starts_with("\r\n") {
        return ("end of line".to_string(), 0);
    }
    let stop = |c: char| c.is_whitespace() || matches!(c, ',' | '{' | '}' | ':' | '#');
    let len = rest
        .char_indices()
        .find(|&(i, c)| i > 0 && stop(c))
        .map_or(rest.len(), |(i, _)| i);
    let token = rest.get(..len).unwrap_or("");
    // One stray punctuation character is a token of its own.
    let token = if token.chars().next().is_some_and(stop) {
        rest.chars().next().map(String::from).unwrap_or_default()
    } else {
        token.to_string()
    };
    (crate::diagnostic::shown::quoted(&token), token.len())
}

/// A comment is layout: when the parse stops at one, what was missing is missing at
/// the end of its line, and that is where the error points ("found end of line").
/// (The grammar reads comments as part of line ends, so that pest does not try one
/// between every two tokens; pest itself then stops at the `#`.)
fn past_comment(text: &str, offset: usize) -> usize {
    let rest = text.get(offset..).unwrap_or("");
    if !rest.starts_with('#') {
        return offset;
    }
    offset + rest.find(['\n', '\r']).unwrap_or(rest.len())
}

pub(super) fn syntax_error(file: FileId, text: &str, error: &Error<Rule>) -> Diagnostic {
    let offset = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((start, _)) => start,
    };
    let offset = past_comment(text, offset);
    let (found, found_len) = found_at(text, offset);
    let mut expected: Vec<String> = Vec::new();
    if let ErrorVariant::ParsingError { positives, .. } = &error.variant {
        for rule in positives {
            if let Some(words) = describe(*rule) {
                if !expected.contains(&words) {
                    expected.push(words);
                }
            }
        }
    }
    // Keywords last, in a stable order, after the kinds of token.
    expected.sort_by_key(|w| (w.starts_with('`'), w.clone()));
    let message = if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}, found {found}", one_of(&expected))
    };
    let span = Span::new(file, offset, offset + found_len);
    let label = if expected.is_empty() {
        "unexpected here".to_string()
    } else {
        format!("expected {}", one_of(&expected))
    };
    let help = keyword_suggestion(&found, &expected);
    Diagnostic::new(Code::Syntax, message, span)
        .label(label)
        .maybe_help(help)
}

/// "did you mean `app`?" when the found word is a near miss of an expected keyword.
fn keyword_suggestion(found: &str, expected: &[String]) -> Option<String> {
    let word = found.strip_prefix('`')?.strip_suffix('`')?;
    let keywords: Vec<&str> = expected
        .iter()
        .filter_map(|e| e.strip_prefix('`')?.strip_suffix('`'))
        .filter(|k| k.chars().all(|c| c.is_ascii_alphabetic() || c == '-'))
        .collect();
    crate::check::suggest::did_you_mean(word, keywords.iter().copied())
        .map(|k| format!("did you mean `{k}`?"))
}

pub(super) fn empty_parse(file: FileId) -> Diagnostic {
    Diagnostic::new(
        Code::Syntax,
        "the file could not be parsed",
        Span::new(file, 0, 0),
    )
}
