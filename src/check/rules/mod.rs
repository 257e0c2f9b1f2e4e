//! Kubernetes API-server validation rules as pure functions.
//!
//! In: one value as the user wrote it (a name, label key or value, annotation key, Ingress
//! host or path, Service `externalName`, IP or CIDR), or already-parsed addresses for the
//! rules that relate two values (`except` inside `cidr`, special external IPs).
//! Out: `Ok` (with the parsed address where the function parses) or `Err` holding every
//! reason the value is rejected, each a short lowercase phrase in knet's message style
//! ("must be no more than 63 characters", "contains `_`, which is not allowed"). The caller
//! turns the reasons into a diagnostic with a span and an error code; this module knows
//! nothing about spans, codes or the AST.
//!
//! The rules mirror `k8s.io/apimachinery/pkg/util/validation` and the core/networking
//! validation (section numbers refer to `k8s-validation.md`), but the reasons say what is
//! wrong with this value instead of quoting a regex. IPs and CIDRs are held to more than
//! the server's default: strict mode plus canonical form, so that what knet accepts is
//! accepted by every Kubernetes version.

use std::net::{IpAddr, Ipv4Addr};

use ipnet::IpNet;

/// DNS labels, DNS-1035 labels and label-key name parts (§1.1, §1.3, §1.7).
const LABEL_MAX: usize = 63;
/// DNS subdomains, including wildcard ones (§1.2, §1.4).
const SUBDOMAIN_MAX: usize = 253;
/// IANA service names, i.e. named ports (§1.6).
const IANA_SVC_NAME_MAX: usize = 15;

const EMPTY: &str = "must not be empty";
const START_LOWER_ALNUM: &str = "must start with a lowercase letter or digit";
const END_LOWER_ALNUM: &str = "must end with a lowercase letter or digit";
const STAR_FIRST_LABEL_ONLY: &str =
    "`*` is only allowed as the whole first label (as in `*.example.com`)";
const NOT_AN_IP: &str = "is not a valid IP address";
const NOT_A_CIDR: &str = "is not a valid CIDR";

/// Which `pathType` an Ingress path has; the path rules depend on it (§5.7–5.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PathKind {
    Exact,
    Prefix,
    ImplementationSpecific,
}

/// The reasons every name check starts with (too long), or `None` for an empty name,
/// which is reported alone.
fn non_empty(s: &str, max: usize) -> Option<Vec<String>> {
    (!s.is_empty()).then(|| too_long(s, max).into_iter().collect())
}

/// DNS-1123 label (§1.1): namespaces and Service port names.
pub fn dns1123_label(s: &str) -> Result<(), Vec<String>> {
    if plain_label(s, false) {
        return Ok(());
    }
    dns1123_label_reasons(s)
}

fn dns1123_label_reasons(s: &str) -> Result<(), Vec<String>> {
    let Some(mut reasons) = non_empty(s, LABEL_MAX) else {
        return finish(vec![EMPTY.to_owned()]);
    };
    check_chars(s, is_subdomain_char, &mut reasons);
    if s.contains('.') {
        reasons.push("must not contain dots".to_owned());
    }
    check_hyphen_edges(s, START_LOWER_ALNUM, &mut reasons);
    finish(reasons)
}

/// DNS-1123 subdomain (§1.2): Ingress and NetworkPolicy names, TLS secret names, classes.
/// The 253-character limit is the only length limit; single labels are not limited to 63.
pub fn dns1123_subdomain(s: &str) -> Result<(), Vec<String>> {
    let Some(mut reasons) = non_empty(s, SUBDOMAIN_MAX) else {
        return finish(vec![EMPTY.to_owned()]);
    };
    check_chars(s, is_subdomain_char, &mut reasons);
    check_subdomain_structure(s, &mut reasons);
    finish(reasons)
}

/// DNS-1035 label (§1.3): Service names, and the Service an Ingress backend names.
/// Like a DNS-1123 label, but the first character must be a letter.
pub fn dns1035_label(s: &str) -> Result<(), Vec<String>> {
    if plain_label(s, true) {
        return Ok(());
    }
    dns1035_label_reasons(s)
}

fn dns1035_label_reasons(s: &str) -> Result<(), Vec<String>> {
    let Some(mut reasons) = non_empty(s, LABEL_MAX) else {
        return finish(vec![EMPTY.to_owned()]);
    };
    check_chars(s, is_subdomain_char, &mut reasons);
    if s.contains('.') {
        reasons.push("must not contain dots".to_owned());
    }
    if s.starts_with(|c: char| c == '-' || c.is_ascii_digit()) {
        reasons.push("must start with a lowercase letter".to_owned());
    }
    if s.len() > 1 && s.ends_with('-') {
        reasons.push(END_LOWER_ALNUM.to_owned());
    }
    finish(reasons)
}

/// Wildcard DNS-1123 subdomain (§1.4): `*.` followed by a subdomain. `*` is allowed only
/// as the whole first label, so `*`, `*.*.a.com`, `a.*.com`, `*a.com` and `f*.a.com` fail.
pub fn wildcard_subdomain(s: &str) -> Result<(), Vec<String>> {
    let mut reasons = Vec::new();
    reasons.extend(too_long(s, SUBDOMAIN_MAX));
    let (domain, check_structure) = if let Some(rest) = s.strip_prefix("*.") {
        if rest.is_empty() {
            reasons.push("must have a domain after `*.` (as in `*.example.com`)".to_owned());
        }
        (rest, true)
    } else if let Some(rest) = s.strip_prefix('*') {
        reasons.push("`*` must be followed by `.` and a domain (as in `*.example.com`)".to_owned());
        // What follows is not a domain on its own (`*a.com`), so its shape is not judged.
        (rest, false)
    } else {
        if !s.contains('*') {
            reasons.push("must start with `*.` (as in `*.example.com`)".to_owned());
        }
        (s, true)
    };
    if domain.contains('*') {
        reasons.push(STAR_FIRST_LABEL_ONLY.to_owned());
    }
    // Misplaced stars were reported above; the charset check only looks for the rest.
    check_chars(s, |c| is_subdomain_char(c) || c == '*', &mut reasons);
    if check_structure && !domain.is_empty() {
        check_subdomain_structure(domain, &mut reasons);
    }
    finish(reasons)
}

/// IANA service name (§1.6): named ports in Ingress backends and NetworkPolicies, and
/// string `targetPort`s. Every failing check is reported, as the server does.
pub fn iana_service_name(s: &str) -> Result<(), Vec<String>> {
    if plain_service_name(s) {
        return Ok(());
    }
    iana_service_name_reasons(s)
}

fn iana_service_name_reasons(s: &str) -> Result<(), Vec<String>> {
    let Some(mut reasons) = non_empty(s, IANA_SVC_NAME_MAX) else {
        return finish(vec![EMPTY.to_owned()]);
    };
    check_chars(s, is_label_char, &mut reasons);
    // Upper-case letters were reported above; they still count as letters here, so that
    // `HTTP` is told to lower-case and not to "contain a letter".
    if !s.chars().any(|c| c.is_ascii_alphabetic()) {
        reasons.push("must contain at least one letter (a-z)".to_owned());
    }
    if has_pair(s, *b"--") {
        reasons.push("must not contain consecutive hyphens".to_owned());
    }
    if s.starts_with('-') {
        reasons.push("must not start with a hyphen".to_owned());
    }
    if s.len() > 1 && s.ends_with('-') {
        reasons.push("must not end with a hyphen".to_owned());
    }
    finish(reasons)
}

/// Label key, a.k.a. qualified name (§1.7): an optional DNS-subdomain prefix and `/`, then
/// a name of at most 63 characters (upper case allowed).
pub fn label_key(s: &str) -> Result<(), Vec<String>> {
    let mut reasons = Vec::new();
    match s.split_once('/') {
        None => reasons.extend(qualified_name_part(s)),
        Some((_, name)) if name.contains('/') => {
            reasons
                .push("must not contain more than one `/` (as in `example.com/name`)".to_owned());
        }
        Some((prefix, name)) => {
            if prefix.is_empty() {
                reasons.push("prefix part must not be empty".to_owned());
            } else if let Err(prefix_reasons) = dns1123_subdomain(prefix) {
                reasons.extend(
                    prefix_reasons
                        .into_iter()
                        .map(|r| format!("prefix part {r}")),
                );
            }
            reasons.extend(
                qualified_name_part(name)
                    .into_iter()
                    .map(|r| format!("name part {r}")),
            );
        }
    }
    finish(reasons)
}

/// Label value (§1.8): empty, or at most 63 characters shaped like a label key's name part.
pub fn label_value(s: &str) -> Result<(), Vec<String>> {
    if s.is_empty() {
        return Ok(());
    }
    finish(qualified_name_part(s))
}

/// Annotation key (§2.7): a label key, checked after lower-casing, as the server does.
pub fn annotation_key(s: &str) -> Result<(), Vec<String>> {
    label_key(&s.to_lowercase())
}

/// Ingress rule host (§5.2, §5.3): a DNS name, never an IP address, without a port or a
/// trailing dot; the wildcard rule applies when it contains `*`. A URL pasted in its place
/// (`https://a.com:8443/x`) is taken apart so that each extra piece gets its own reason
/// and the host itself is still checked.
pub fn ingress_host(s: &str) -> Result<(), Vec<String>> {
    const DNS_NOT_IP: &str = "must be a DNS name, not an IP address";
    // Whole-value check first: an IPv6 address contains `:` but is not a host with a port.
    if parse_ip_lenient(s).is_some() {
        return Err(vec![DNS_NOT_IP.to_owned()]);
    }
    let mut reasons = Vec::new();
    let mut rest = s;
    if let Some((scheme, after)) = rest.split_once("://") {
        reasons.push(format!("must not include a scheme (`{scheme}://`)"));
        rest = after;
    }
    if let Some(index) = rest.find('/') {
        let (before, path) = rest.split_at(index);
        reasons.push(format!("must not include a path (`{path}`)"));
        rest = before;
    }
    // `[::1]:80`: a bracketed IPv6 literal, with or without a port.
    let bracketed = rest
        .strip_prefix('[')
        .and_then(|inner| inner.split_once(']'))
        .filter(|(inner, _)| parse_ip_lenient(inner).is_some());
    let (host, has_port) = match (bracketed, rest.split_once(':')) {
        (Some((inner, after)), _) => (inner, !after.is_empty()),
        (None, Some((host, _port))) => (host, true),
        (None, None) => (rest, false),
    };
    if has_port {
        reasons.push("must not include a port".to_owned());
    }
    if parse_ip_lenient(host).is_some() {
        reasons.insert(0, DNS_NOT_IP.to_owned());
        return finish(reasons);
    }
    let rule = if host.contains('*') {
        wildcard_subdomain(host)
    } else {
        dns1123_subdomain(host)
    };
    if let Err(host_reasons) = rule {
        reasons.extend(host_reasons);
    }
    finish(reasons)
}

/// Service `externalName` (§4.3.4): a DNS-1123 subdomain after trimming one trailing `.`.
/// An IPv4 address passes, as it does on the server.
pub fn external_name(s: &str) -> Result<(), Vec<String>> {
    dns1123_subdomain(s.strip_suffix('.').unwrap_or(s))
}

/// Ingress path (§5.7–5.10). `Exact` and `Prefix` paths must be absolute and free of
/// `//`, `/./`, `/../` and encoded slashes, and must not end in `/.` or `/..`; one reason
/// per sequence found. `ImplementationSpecific` paths may be empty and are otherwise only
/// required to be absolute (they may be regexes).
pub fn ingress_path(kind: PathKind, path: &str) -> Result<(), Vec<String>> {
    const ABSOLUTE: &str = "must be an absolute path (starting with `/`)";
    let mut reasons = Vec::new();
    match kind {
        PathKind::ImplementationSpecific => {
            if !path.is_empty() && !path.starts_with('/') {
                reasons.push(ABSOLUTE.to_owned());
            }
        }
        PathKind::Exact | PathKind::Prefix => {
            if !path.starts_with('/') {
                reasons.push(ABSOLUTE.to_owned());
            }
            for sequence in ["//", "/./", "/../"] {
                if path.contains(sequence) {
                    reasons.push(format!("must not contain `{sequence}`"));
                }
            }
            for sequence in ["%2f", "%2F"] {
                if path.contains(sequence) {
                    reasons.push(format!("must not contain `{sequence}` (an encoded `/`)"));
                }
            }
            for suffix in ["/..", "/."] {
                if path.ends_with(suffix) {
                    reasons.push(format!("must not end with `{suffix}`"));
                }
            }
        }
    }
    finish(reasons)
}

/// What the Gateway API's HTTPRoute adds to the Ingress path rules (its CEL rules on
/// `spec.rules[].matches[].path`): at most 1024 characters; for `Exact` and `PathPrefix`,
/// only the characters of RFC 3986 paths (`[-A-Za-z0-9/._~!$&'()*+,;=:@]`) and `%XX`
/// escapes, so no `#`, `?`, space or non-ASCII. `implementation-specific` becomes a
/// `RegularExpression` match, which only has the length limit.
pub fn gateway_path(kind: PathKind, path: &str) -> Result<(), Vec<String>> {
    const MAX: usize = 1024;
    let mut reasons = Vec::new();
    if path.len() > MAX {
        reasons.push(format!(
            "must be at most {MAX} characters (it has {})",
            path.len()
        ));
    }
    if kind != PathKind::ImplementationSpecific {
        let bytes = path.as_bytes();
        let mut i = 0;
        let mut bad: Vec<char> = Vec::new();
        while let Some(&b) = bytes.get(i) {
            let hex = |j: usize| bytes.get(j).is_some_and(u8::is_ascii_hexdigit);
            if b == b'%' && hex(i + 1) && hex(i + 2) {
                i += 3;
                continue;
            }
            let ok = b.is_ascii_alphanumeric() || b"-/._~!$&'()*+,;=:@".contains(&b);
            if !ok {
                if let Some(c) = path.get(i..).and_then(|rest| rest.chars().next()) {
                    if !bad.contains(&c) {
                        bad.push(c);
                    }
                    i += c.len_utf8();
                    continue;
                }
            }
            i += 1;
        }
        if !bad.is_empty() {
            let shown: Vec<String> = bad
                .iter()
                .map(|c| format!("`{}`", c.escape_default()))
                .collect();
            reasons.push(format!(
                "must not contain {} (only letters, digits, `-/._~!$&'()*+,;=:@` and `%XX` escapes)",
                shown.join(", ")
            ));
        }
    }
    finish(reasons)
}

/// An IP address in strict, canonical form (§1.9, §1.11): no leading zeros in IPv4
/// octets, no IPv4-mapped IPv6, and written exactly as Rust (and Go) print it.
pub fn ip_strict(s: &str) -> Result<IpAddr, Vec<String>> {
    let Some(parsed) = parse_ip_lenient(s) else {
        return Err(vec![NOT_AN_IP.to_owned()]);
    };
    match ip_issue(&parsed, s) {
        None => Ok(parsed.addr),
        Some(IpIssue::LeadingZeros) => Err(vec![LEADING_ZEROS.to_owned()]),
        Some(IpIssue::Mapped(v4)) => Err(vec![format!("{MAPPED}: did you mean `{v4}`?")]),
        Some(IpIssue::NotCanonical) => Err(vec![format!(
            "must be written in canonical form `{}`",
            parsed.addr
        )]),
    }
}

/// A CIDR in strict, canonical form (§1.10, §1.11, §6.14): an address as in
/// [`ip_strict`], a `/len` within the family's range and without leading zeros, and no
/// bits set beyond the prefix length.
pub fn cidr_strict(s: &str) -> Result<IpNet, Vec<String>> {
    let Some((addr_text, len_text)) = s.split_once('/') else {
        let reason = match parse_ip_lenient(s) {
            Some(parsed) => format!(
                "must include a prefix length (`/{}` for a single address)",
                max_prefix_len(parsed.addr)
            ),
            None => NOT_A_CIDR.to_owned(),
        };
        return Err(vec![reason]);
    };
    let Some(parsed) = parse_ip_lenient(addr_text).filter(|_| !len_text.contains('/')) else {
        return Err(vec![NOT_A_CIDR.to_owned()]);
    };
    let mut reasons = Vec::new();
    let prefix_len = parse_prefix_len(len_text, parsed.addr, &mut reasons);
    let issue = ip_issue(&parsed, addr_text);
    match issue {
        Some(IpIssue::LeadingZeros) => reasons.push(LEADING_ZEROS.to_owned()),
        Some(IpIssue::Mapped(v4)) => {
            let suggestion = prefix_len
                .and_then(|len| len.checked_sub(96))
                .and_then(|len| IpNet::new(IpAddr::V4(v4), len).ok());
            reasons.push(match suggestion {
                Some(net) => format!("{MAPPED}: did you mean `{}`?", net.trunc()),
                None => MAPPED.to_owned(),
            });
            return Err(reasons);
        }
        Some(IpIssue::NotCanonical) | None => {}
    }
    let Some(len) = prefix_len else {
        return Err(reasons);
    };
    let Ok(net) = IpNet::new(parsed.addr, len) else {
        return Err(vec![NOT_A_CIDR.to_owned()]);
    };
    let network = net.trunc();
    if network != net {
        // The suggestion is canonical, so a separate canonical-form reason would be noise.
        reasons.push(format!(
            "has bits set beyond the prefix length: did you mean `{network}`?"
        ));
    } else if issue == Some(IpIssue::NotCanonical) {
        reasons.push(format!("must be written in canonical form `{net}`"));
    }
    if reasons.is_empty() {
        Ok(net)
    } else {
        Err(reasons)
    }
}

/// A NetworkPolicy `ipBlock.except` entry against its `cidr` (§6.15): the same family,
/// inside it, and with a strictly longer prefix.
pub fn except_subset(cidr: &IpNet, except: &IpNet) -> Result<(), Vec<String>> {
    let outer = cidr.trunc();
    let same_family = matches!(
        (cidr, except),
        (IpNet::V4(_), IpNet::V4(_)) | (IpNet::V6(_), IpNet::V6(_))
    );
    if !same_family {
        return Err(vec![format!("is a different IP family from `{outer}`")]);
    }
    if !outer.contains(&except.network()) {
        return Err(vec![format!("is not inside `{outer}`")]);
    }
    if except.prefix_len() <= outer.prefix_len() {
        return Err(vec![format!(
            "must be a strict subset of `{outer}` (a longer prefix)"
        )]);
    }
    Ok(())
}

/// A Service `externalIPs` entry (§4.5.1): not unspecified, loopback, link-local unicast
/// or link-local multicast. Like Go's `net.IP` methods, an IPv4-mapped IPv6 address is
/// judged as its IPv4 address, and IPv6 link-local multicast is any multicast address of
/// link-local scope (`ff02::/16`, `ff12::/16`, …). Each reason names only this address's
/// family's range.
pub fn external_ip(ip: IpAddr) -> Result<(), Vec<String>> {
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        IpAddr::V4(_) => ip,
    };
    let mut reasons = Vec::new();
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            if v4.is_unspecified() {
                reasons.push("must not be the unspecified address `0.0.0.0`".to_owned());
            }
            if v4.is_loopback() {
                reasons.push("must not be a loopback address (127.0.0.0/8)".to_owned());
            }
            if v4.is_link_local() {
                reasons.push("must not be a link-local address (169.254.0.0/16)".to_owned());
            }
            if (a, b, c) == (224, 0, 0) {
                reasons
                    .push("must not be a link-local multicast address (224.0.0.0/24)".to_owned());
            }
        }
        IpAddr::V6(v6) => {
            let [first, ..] = v6.segments();
            if v6.is_unspecified() {
                reasons.push("must not be the unspecified address `::`".to_owned());
            }
            if v6.is_loopback() {
                reasons.push("must not be the loopback address `::1`".to_owned());
            }
            if first & 0xffc0 == 0xfe80 {
                reasons.push("must not be a link-local address (fe80::/10)".to_owned());
            }
            if first & 0xff0f == 0xff02 {
                reasons.push(format!(
                    "must not be a link-local multicast address ({first:x}::/16)"
                ));
            }
        }
    }
    finish(reasons)
}

// ---------------------------------------------------------------------------------------
// Shared pieces

// The valid names, recognised in one pass over their bytes. Almost every name a
// model holds is valid, and the rules above build their reasons in several passes;
// these say exactly when those find none (a test compares them on every input shape),
// so the rules run only for the names they reject.

/// A valid DNS-1123 label, or with `letter_first` a DNS-1035 label.
fn plain_label(s: &str, letter_first: bool) -> bool {
    let Some((first, last)) = edges(s) else {
        return false;
    };
    let first_ok = if letter_first {
        first.is_ascii_lowercase()
    } else {
        first != b'-'
    };
    first_ok && last != b'-' && s.len() <= LABEL_MAX && label_bytes(s)
}

/// A valid IANA service name.
fn plain_service_name(s: &str) -> bool {
    let Some((first, last)) = edges(s) else {
        return false;
    };
    first != b'-'
        && last != b'-'
        && s.len() <= IANA_SVC_NAME_MAX
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && !has_pair(s, *b"--")
        && label_bytes(s)
}

/// A valid name part of a label key, or a valid non-empty label value.
fn plain_qualified_name(s: &str) -> bool {
    let Some((first, last)) = edges(s) else {
        return false;
    };
    first.is_ascii_alphanumeric()
        && last.is_ascii_alphanumeric()
        && s.len() <= LABEL_MAX
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The first and last bytes of a non-empty `s`.
fn edges(s: &str) -> Option<(u8, u8)> {
    Some((*s.as_bytes().first()?, *s.as_bytes().last()?))
}

/// Whether every byte is a lower-case letter, a digit or `-`.
fn label_bytes(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Whether `s` holds these two bytes in a row. (`str::contains` with a string sets up
/// a substring search first, which costs more than scanning a name of a few bytes.)
fn has_pair(s: &str, pair: [u8; 2]) -> bool {
    s.as_bytes().windows(2).any(|window| window == pair)
}

fn finish(reasons: Vec<String>) -> Result<(), Vec<String>> {
    if reasons.is_empty() {
        Ok(())
    } else {
        Err(reasons)
    }
}

/// The server counts bytes; for ASCII values (all valid ones) that is characters.
fn too_long(s: &str, max: usize) -> Option<String> {
    let len = s.len();
    if len <= max {
        return None;
    }
    let unit = if s.is_ascii() { "characters" } else { "bytes" };
    Some(format!("must be no more than {max} {unit} (it has {len})"))
}

fn is_label_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
}

fn is_subdomain_char(c: char) -> bool {
    is_label_char(c) || c == '.'
}

fn is_qualified_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

/// Reports upper-case letters (with the lower-cased value as the fix) and, in one reason,
/// every other character `allowed` rejects, each named once in order of appearance.
fn check_chars(s: &str, allowed: impl Fn(char) -> bool, reasons: &mut Vec<String>) {
    // Almost every value is valid: one pass finds that, and the reasons are built only
    // for the rest.
    if s.chars().all(&allowed) {
        return;
    }
    if s.chars().any(|c| c.is_ascii_uppercase() && !allowed(c)) {
        reasons.push(format!(
            "must not contain uppercase letters (`{s}` → `{}`)",
            s.to_ascii_lowercase()
        ));
    }
    let mut bad: Vec<char> = Vec::new();
    for c in s.chars() {
        if !allowed(c) && !c.is_ascii_uppercase() && !bad.contains(&c) {
            bad.push(c);
        }
    }
    let names: Vec<String> = bad.into_iter().map(describe_char).collect();
    match names.as_slice() {
        [] => {}
        [one] => reasons.push(format!("contains {one}, which is not allowed")),
        [init @ .., last] => reasons.push(format!(
            "contains {} and {last}, which are not allowed",
            init.join(", ")
        )),
    }
}

/// A character as it should appear in a message: in backticks. An invisible one is
/// named (`<U+00A0 NO-BREAK SPACE>`) when the diagnostic is built, by
/// `diagnostic::shown`, like any invisible character in any message.
fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".to_owned(),
        '`' => "`` ` ``".to_owned(),
        c => format!("`{c}`"),
    }
}

/// A hyphen is an allowed character in labels but not at either end. Other bad first or
/// last characters are already reported by [`check_chars`].
fn check_hyphen_edges(s: &str, start_reason: &str, reasons: &mut Vec<String>) {
    if s.starts_with('-') {
        reasons.push(start_reason.to_owned());
    }
    if s.len() > 1 && s.ends_with('-') {
        reasons.push(END_LOWER_ALNUM.to_owned());
    }
}

/// Every dot-separated part of a subdomain must start and end with a letter or digit.
/// Given an allowed charset, that comes down to these edges and sequences.
fn check_subdomain_structure(s: &str, reasons: &mut Vec<String>) {
    if s.starts_with('.') {
        reasons.push("must not start with a dot".to_owned());
    } else if s.starts_with('-') {
        reasons.push(START_LOWER_ALNUM.to_owned());
    }
    if s.len() > 1 {
        if s.ends_with('.') {
            reasons.push("must not end with a dot".to_owned());
        } else if s.ends_with('-') {
            reasons.push(END_LOWER_ALNUM.to_owned());
        }
    }
    if has_pair(s, *b"..") {
        reasons.push("must not contain `..`".to_owned());
    }
    if has_pair(s, *b".-") {
        reasons.push(
            "must not contain `.-` (each part between dots must start with a letter or digit)"
                .to_owned(),
        );
    }
    if has_pair(s, *b"-.") {
        reasons.push(
            "must not contain `-.` (each part between dots must end with a letter or digit)"
                .to_owned(),
        );
    }
}

/// The name part of a label key, or a non-empty label value (§1.7, §1.8).
fn qualified_name_part(s: &str) -> Vec<String> {
    if plain_qualified_name(s) {
        return Vec::new();
    }
    qualified_name_part_reasons(s)
}

fn qualified_name_part_reasons(s: &str) -> Vec<String> {
    let mut reasons = Vec::new();
    reasons.extend(too_long(s, LABEL_MAX));
    if s.is_empty() {
        reasons.push(EMPTY.to_owned());
        return reasons;
    }
    check_chars(s, is_qualified_name_char, &mut reasons);
    let punctuation = ['-', '_', '.'];
    if s.starts_with(punctuation) {
        reasons.push("must start with a letter or digit".to_owned());
    }
    if s.len() > 1 && s.ends_with(punctuation) {
        reasons.push("must end with a letter or digit".to_owned());
    }
    reasons
}

// ---------------------------------------------------------------------------------------
// IP addresses

const LEADING_ZEROS: &str = "must not have leading zeros";
const MAPPED: &str = "must not be an IPv4-mapped IPv6 address";

/// An address as the server's sloppy parser reads it, before the strict checks.
struct ParsedIp {
    addr: IpAddr,
    /// Only the sloppy IPv4 reading succeeded: some octet has a leading zero.
    leading_zeros: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IpIssue {
    LeadingZeros,
    Mapped(Ipv4Addr),
    NotCanonical,
}

/// Reads `s` like Go's `ParseIPSloppy`: standard syntax, plus IPv4 octets with leading
/// zeros, read as decimal. `None` means it is no IP address at all.
fn parse_ip_lenient(s: &str) -> Option<ParsedIp> {
    if let Ok(addr) = s.parse::<IpAddr>() {
        return Some(ParsedIp {
            addr,
            leading_zeros: false,
        });
    }
    parse_ipv4_sloppy(s).map(|v4| ParsedIp {
        addr: IpAddr::V4(v4),
        leading_zeros: true,
    })
}

fn parse_ipv4_sloppy(s: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = s.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *octet = match part.trim_start_matches('0') {
            "" => 0,
            digits => digits.parse().ok()?,
        };
    }
    if parts.next().is_some() {
        return None;
    }
    Some(Ipv4Addr::from(octets))
}

/// The first strictness problem of an address written as `text`, if any.
fn ip_issue(parsed: &ParsedIp, text: &str) -> Option<IpIssue> {
    if parsed.leading_zeros {
        return Some(IpIssue::LeadingZeros);
    }
    if let IpAddr::V6(v6) = parsed.addr {
        if let Some(v4) = v6.to_ipv4_mapped() {
            return Some(IpIssue::Mapped(v4));
        }
    }
    (parsed.addr.to_string() != text).then_some(IpIssue::NotCanonical)
}

/// The `len` of `addr/len`, or `None` with a reason. Leading zeros are reported but the
/// value is still used, so that the other checks can run.
fn parse_prefix_len(text: &str, addr: IpAddr, reasons: &mut Vec<String>) -> Option<u8> {
    let max = max_prefix_len(addr);
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        reasons.push(format!("prefix length must be a number from 0 to {max}"));
        return None;
    }
    if text.len() > 1 && text.starts_with('0') {
        reasons.push("prefix length must not have leading zeros".to_owned());
    }
    let value = match text.trim_start_matches('0') {
        "" => Some(0),
        digits => digits.parse::<u8>().ok(),
    };
    let len = value.filter(|len| *len <= max);
    if len.is_none() {
        let family = if addr.is_ipv4() { "IPv4" } else { "IPv6" };
        reasons.push(format!("prefix length must be at most {max} for {family}"));
    }
    len
}

fn max_prefix_len(addr: IpAddr) -> u8 {
    match addr {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    }
}

#[cfg(test)]
mod tests;
