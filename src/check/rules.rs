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

/// DNS-1123 label (§1.1): namespaces and Service port names.
pub fn dns1123_label(s: &str) -> Result<(), Vec<String>> {
    let mut reasons = Vec::new();
    reasons.extend(too_long(s, LABEL_MAX));
    if s.is_empty() {
        reasons.push(EMPTY.to_owned());
        return finish(reasons);
    }
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
    let mut reasons = Vec::new();
    reasons.extend(too_long(s, SUBDOMAIN_MAX));
    if s.is_empty() {
        reasons.push(EMPTY.to_owned());
        return finish(reasons);
    }
    check_chars(s, is_subdomain_char, &mut reasons);
    check_subdomain_structure(s, &mut reasons);
    finish(reasons)
}

/// DNS-1035 label (§1.3): Service names, and the Service an Ingress backend names.
/// Like a DNS-1123 label, but the first character must be a letter.
pub fn dns1035_label(s: &str) -> Result<(), Vec<String>> {
    let mut reasons = Vec::new();
    reasons.extend(too_long(s, LABEL_MAX));
    if s.is_empty() {
        reasons.push(EMPTY.to_owned());
        return finish(reasons);
    }
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
    let mut reasons = Vec::new();
    reasons.extend(too_long(s, IANA_SVC_NAME_MAX));
    if s.is_empty() {
        reasons.push(EMPTY.to_owned());
        return finish(reasons);
    }
    check_chars(s, is_label_char, &mut reasons);
    // Upper-case letters were reported above; they still count as letters here, so that
    // `HTTP` is told to lower-case and not to "contain a letter".
    if !s.chars().any(|c| c.is_ascii_alphabetic()) {
        reasons.push("must contain at least one letter (a-z)".to_owned());
    }
    if s.contains("--") {
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
fn check_chars(s: &str, allowed: fn(char) -> bool, reasons: &mut Vec<String>) {
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

/// A character as it should appear in a message: in backticks, escaped if invisible.
fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".to_owned(),
        '`' => "`` ` ``".to_owned(),
        c if c.is_whitespace() || c.is_control() => {
            let debug: String = c.escape_debug().collect();
            if debug.chars().count() > 1 {
                format!("`{debug}`")
            } else {
                format!("`{}`", c.escape_unicode())
            }
        }
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
    if s.contains("..") {
        reasons.push("must not contain `..`".to_owned());
    }
    if s.contains(".-") {
        reasons.push(
            "must not contain `.-` (each part between dots must start with a letter or digit)"
                .to_owned(),
        );
    }
    if s.contains("-.") {
        reasons.push(
            "must not contain `-.` (each part between dots must end with a letter or digit)"
                .to_owned(),
        );
    }
}

/// The name part of a label key, or a non-empty label value (§1.7, §1.8).
fn qualified_name_part(s: &str) -> Vec<String> {
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
mod tests {
    use super::*;

    /// Each case is an input and the exact reasons expected; no reasons means accepted.
    #[track_caller]
    fn check<T>(rule: impl Fn(&str) -> Result<T, Vec<String>>, cases: &[(&str, &[&str])]) {
        for &(input, expected) in cases {
            let got = rule(input).err().unwrap_or_default();
            assert_eq!(got, expected, "input {input:?}");
        }
    }

    fn net(s: &str) -> IpNet {
        s.parse()
            .unwrap_or_else(|e| panic!("bad test CIDR {s}: {e}"))
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|e| panic!("bad test IP {s}: {e}"))
    }

    #[test]
    fn dns1123_label_rules() {
        let a63 = "a".repeat(63);
        let a64 = "a".repeat(64);
        check(
            dns1123_label,
            &[
                ("a", &[]),
                ("0", &[]),
                ("my-name", &[]),
                ("123-abc", &[]),
                (&a63, &[]),
                ("", &["must not be empty"]),
                (&a64, &["must be no more than 63 characters (it has 64)"]),
                (
                    "API",
                    &["must not contain uppercase letters (`API` → `api`)"],
                ),
                ("my_name", &["contains `_`, which is not allowed"]),
                ("a_b!", &["contains `_` and `!`, which are not allowed"]),
                (
                    "a_b c!_",
                    &["contains `_`, a space and `!`, which are not allowed"],
                ),
                ("a\tb", &["contains `\\t`, which is not allowed"]),
                ("a\u{a0}b", &["contains `\\u{a0}`, which is not allowed"]),
                ("a`b", &["contains `` ` ``, which is not allowed"]),
                ("a.b", &["must not contain dots"]),
                ("-a", &[START_LOWER_ALNUM]),
                ("a-", &[END_LOWER_ALNUM]),
                ("-", &[START_LOWER_ALNUM]),
                (
                    "-Web.",
                    &[
                        "must not contain uppercase letters (`-Web.` → `-web.`)",
                        "must not contain dots",
                        START_LOWER_ALNUM,
                    ],
                ),
            ],
        );
    }

    #[test]
    fn length_counts_bytes_like_the_server() {
        let s = format!("{}é", "a".repeat(62));
        check(
            dns1123_label,
            &[(
                &s,
                &[
                    "must be no more than 63 bytes (it has 64)",
                    "contains `é`, which is not allowed",
                ],
            )],
        );
    }

    #[test]
    fn dns1123_subdomain_rules() {
        let long_label = "a".repeat(100);
        let max = format!("{}.{}", "a".repeat(126), "b".repeat(126));
        let too_long = format!("{}.{}", "a".repeat(126), "b".repeat(127));
        check(
            dns1123_subdomain,
            &[
                ("a", &[]),
                ("example.com", &[]),
                ("a-b.c-d.e", &[]),
                ("1.2.3.4", &[]),
                (&long_label, &[]),
                (&max, &[]),
                ("", &["must not be empty"]),
                (&too_long, &["must be no more than 253 characters (it has 254)"]),
                ("Foo.com", &["must not contain uppercase letters (`Foo.com` → `foo.com`)"]),
                ("my_cert", &["contains `_`, which is not allowed"]),
                (".a", &["must not start with a dot"]),
                ("a.com.", &["must not end with a dot"]),
                ("-a", &[START_LOWER_ALNUM]),
                ("a-", &[END_LOWER_ALNUM]),
                ("a..b", &["must not contain `..`"]),
                (
                    "a.-b",
                    &["must not contain `.-` (each part between dots must start with a letter or digit)"],
                ),
                (
                    "a-.b",
                    &["must not contain `-.` (each part between dots must end with a letter or digit)"],
                ),
            ],
        );
    }

    #[test]
    fn dns1035_label_rules() {
        let a63 = "a".repeat(63);
        let s64 = format!("s{}", "1".repeat(63));
        check(
            dns1035_label,
            &[
                ("a", &[]),
                ("my-name", &[]),
                ("abc-123", &[]),
                (&a63, &[]),
                ("", &["must not be empty"]),
                (&s64, &["must be no more than 63 characters (it has 64)"]),
                ("1svc", &["must start with a lowercase letter"]),
                ("-svc", &["must start with a lowercase letter"]),
                ("svc-", &[END_LOWER_ALNUM]),
                ("my.svc", &["must not contain dots"]),
                (
                    "Svc",
                    &["must not contain uppercase letters (`Svc` → `svc`)"],
                ),
            ],
        );
    }

    #[test]
    fn wildcard_subdomain_allows_a_star_only_as_the_whole_first_label() {
        let follow = "`*` must be followed by `.` and a domain (as in `*.example.com`)";
        let too_long = format!("*.{}.{}", "a".repeat(126), "b".repeat(125));
        check(
            wildcard_subdomain,
            &[
                ("*.a.com", &[]),
                ("*.a", &[]),
                ("*", &[follow]),
                ("*a.com", &[follow]),
                (
                    "*.",
                    &["must have a domain after `*.` (as in `*.example.com`)"],
                ),
                ("*.*.a.com", &[STAR_FIRST_LABEL_ONLY]),
                ("a.*.com", &[STAR_FIRST_LABEL_ONLY]),
                ("f*.a.com", &[STAR_FIRST_LABEL_ONLY]),
                ("a.com", &["must start with `*.` (as in `*.example.com`)"]),
                (
                    "*.A.com.",
                    &[
                        "must not contain uppercase letters (`*.A.com.` → `*.a.com.`)",
                        "must not end with a dot",
                    ],
                ),
                (
                    &too_long,
                    &["must be no more than 253 characters (it has 254)"],
                ),
            ],
        );
    }

    #[test]
    fn iana_service_name_reports_every_failing_check() {
        let a15 = "a".repeat(15);
        check(
            iana_service_name,
            &[
                ("http", &[]),
                ("http-alt", &[]),
                ("h2c", &[]),
                ("a1b2", &[]),
                (&a15, &[]),
                ("", &["must not be empty"]),
                ("80", &["must contain at least one letter (a-z)"]),
                (
                    "HTTP",
                    &["must not contain uppercase letters (`HTTP` → `http`)"],
                ),
                (
                    "metrics-endpoint-1",
                    &["must be no more than 15 characters (it has 18)"],
                ),
                ("web-", &["must not end with a hyphen"]),
                (
                    "-1--2_",
                    &[
                        "contains `_`, which is not allowed",
                        "must contain at least one letter (a-z)",
                        "must not contain consecutive hyphens",
                        "must not start with a hyphen",
                    ],
                ),
            ],
        );
    }

    #[test]
    fn label_key_rules() {
        let long_name = format!("a/{}", "n".repeat(64));
        let long_prefix = format!("{}/x", "p".repeat(254));
        check(
            label_key,
            &[
                ("app", &[]),
                ("MyName", &[]),
                ("my.name", &[]),
                ("123-abc", &[]),
                ("a_b", &[]),
                ("example.com/MyName", &[]),
                ("app.kubernetes.io/name", &[]),
                ("kubernetes.io/metadata.name", &[]),
                ("", &["must not be empty"]),
                ("/x", &["prefix part must not be empty"]),
                ("a.com/", &["name part must not be empty"]),
                ("/", &["prefix part must not be empty", "name part must not be empty"]),
                ("a/b/c", &["must not contain more than one `/` (as in `example.com/name`)"]),
                ("a//b", &["must not contain more than one `/` (as in `example.com/name`)"]),
                (
                    "Example.com/-x",
                    &[
                        "prefix part must not contain uppercase letters (`Example.com` → `example.com`)",
                        "name part must start with a letter or digit",
                    ],
                ),
                ("-x.com/y", &["prefix part must start with a lowercase letter or digit"]),
                (&long_name, &["name part must be no more than 63 characters (it has 64)"]),
                (&long_prefix, &["prefix part must be no more than 253 characters (it has 254)"]),
                ("app:name", &["contains `:`, which is not allowed"]),
                ("tier_", &["must end with a letter or digit"]),
            ],
        );
    }

    #[test]
    fn label_value_rules() {
        let v63 = "v".repeat(63);
        let v64 = "v".repeat(64);
        check(
            label_value,
            &[
                ("", &[]),
                ("MyValue", &[]),
                ("my_value", &[]),
                ("12345", &[]),
                ("a.b-c_d", &[]),
                (&v63, &[]),
                (&v64, &["must be no more than 63 characters (it has 64)"]),
                ("a/b", &["contains `/`, which is not allowed"]),
                (
                    "_x.",
                    &[
                        "must start with a letter or digit",
                        "must end with a letter or digit",
                    ],
                ),
                ("-", &["must start with a letter or digit"]),
            ],
        );
    }

    #[test]
    fn annotation_key_is_checked_lower_cased() {
        check(
            annotation_key,
            &[
                ("Example.COM/Name", &[]),
                ("kubernetes.io/ingress.class", &[]),
                (
                    "a/b/c",
                    &["must not contain more than one `/` (as in `example.com/name`)"],
                ),
                (
                    "x_y.com/n",
                    &["prefix part contains `_`, which is not allowed"],
                ),
            ],
        );
    }

    #[test]
    fn ingress_host_rules() {
        let not_ip = "must be a DNS name, not an IP address";
        let port = "must not include a port";
        check(
            ingress_host,
            &[
                ("a.com", &[]),
                ("foo.bar.example.com", &[]),
                ("*.a.com", &[]),
                ("localhost", &[]),
                ("1.2.3.4", &[not_ip]),
                ("010.1.1.1", &[not_ip]),
                ("::1", &[not_ip]),
                ("2001:db8::1", &[not_ip]),
                ("[::1]", &[not_ip]),
                ("[::1]:80", &[not_ip, port]),
                ("1.2.3.4:80", &[not_ip, port]),
                ("a.com:80", &[port]),
                ("*.a.com:443", &[port]),
                (":80", &[port, "must not be empty"]),
                ("[a.com]", &["contains `[` and `]`, which are not allowed"]),
                ("a.com/", &["must not include a path (`/`)"]),
                (
                    "https://A.com:8443/api",
                    &[
                        "must not include a scheme (`https://`)",
                        "must not include a path (`/api`)",
                        port,
                        "must not contain uppercase letters (`A.com` → `a.com`)",
                    ],
                ),
                (
                    "A.com",
                    &["must not contain uppercase letters (`A.com` → `a.com`)"],
                ),
                ("a.com.", &["must not end with a dot"]),
                ("*.*.a.com", &[STAR_FIRST_LABEL_ONLY]),
            ],
        );
    }

    #[test]
    fn external_name_trims_one_trailing_dot() {
        check(
            external_name,
            &[
                ("example.com", &[]),
                ("example.com.", &[]),
                ("1.2.3.4", &[]),
                ("db", &[]),
                ("example.com..", &["must not end with a dot"]),
                (
                    "Foo.com",
                    &["must not contain uppercase letters (`Foo.com` → `foo.com`)"],
                ),
                (".", &["must not be empty"]),
            ],
        );
    }

    #[test]
    fn ingress_path_exact_and_prefix() {
        let absolute = "must be an absolute path (starting with `/`)";
        for kind in [PathKind::Exact, PathKind::Prefix] {
            check(
                |path| ingress_path(kind, path),
                &[
                    ("/", &[]),
                    ("/api", &[]),
                    ("/api/", &[]),
                    ("/a.b/c..d", &[]),
                    ("/.well-known/x", &[]),
                    ("", &[absolute]),
                    ("api", &[absolute]),
                    ("/a//b", &["must not contain `//`"]),
                    ("/a/./b", &["must not contain `/./`"]),
                    ("/a/../b", &["must not contain `/../`"]),
                    ("/a/..", &["must not end with `/..`"]),
                    ("/.", &["must not end with `/.`"]),
                    (
                        "a//b/%2f%2F/..",
                        &[
                            absolute,
                            "must not contain `//`",
                            "must not contain `%2f` (an encoded `/`)",
                            "must not contain `%2F` (an encoded `/`)",
                            "must not end with `/..`",
                        ],
                    ),
                ],
            );
        }
    }

    #[test]
    fn ingress_path_implementation_specific() {
        check(
            |path| ingress_path(PathKind::ImplementationSpecific, path),
            &[
                ("", &[]),
                ("/", &[]),
                ("/a//b", &[]),
                ("/api/(.*)", &[]),
                ("/a/..", &[]),
                ("api", &["must be an absolute path (starting with `/`)"]),
            ],
        );
    }

    #[test]
    fn ip_strict_rules() {
        let invalid = "is not a valid IP address";
        let zeros = "must not have leading zeros";
        check(
            ip_strict,
            &[
                ("10.0.0.1", &[]),
                ("0.0.0.0", &[]),
                ("255.255.255.255", &[]),
                ("::", &[]),
                ("::1", &[]),
                ("2001:db8::ffff", &[]),
                ("", &[invalid]),
                ("10.0.0", &[invalid]),
                ("10.0.0.256", &[invalid]),
                ("1.2.3.4.5", &[invalid]),
                ("a.b.c.d", &[invalid]),
                (" 1.2.3.4", &[invalid]),
                ("fe80::1%eth0", &[invalid]),
                ("10.0.0.0/8", &[invalid]),
                ("010.0.0.1", &[zeros]),
                ("10.0.0.01", &[zeros]),
                ("10.00.0.1", &[zeros]),
                ("0000010.0.0.1", &[zeros]),
                (
                    "::ffff:1.2.3.4",
                    &["must not be an IPv4-mapped IPv6 address: did you mean `1.2.3.4`?"],
                ),
                (
                    "2001:DB8::1",
                    &["must be written in canonical form `2001:db8::1`"],
                ),
                (
                    "2001:0db8:0:0:0:0:0:1",
                    &["must be written in canonical form `2001:db8::1`"],
                ),
                (
                    "::1.2.3.4",
                    &["must be written in canonical form `::102:304`"],
                ),
            ],
        );
        assert_eq!(ip_strict("2001:db8::ffff"), Ok(ip("2001:db8::ffff")));
    }

    #[test]
    fn cidr_strict_rules() {
        let invalid = "is not a valid CIDR";
        let not_a_number = "prefix length must be a number from 0 to 32";
        let zeros = "prefix length must not have leading zeros";
        check(
            cidr_strict,
            &[
                ("10.0.0.0/8", &[]),
                ("0.0.0.0/0", &[]),
                ("10.0.0.1/32", &[]),
                ("2001:db8::/32", &[]),
                ("::/0", &[]),
                ("::1/128", &[]),
                ("", &[invalid]),
                ("/8", &[invalid]),
                ("10.0.0/8", &[invalid]),
                ("x/8", &[invalid]),
                ("10.0.0.0/8/8", &[invalid]),
                (
                    "10.0.0.1",
                    &["must include a prefix length (`/32` for a single address)"],
                ),
                (
                    "2001:db8::1",
                    &["must include a prefix length (`/128` for a single address)"],
                ),
                (
                    "10.0.0.0/33",
                    &["prefix length must be at most 32 for IPv4"],
                ),
                ("::/129", &["prefix length must be at most 128 for IPv6"]),
                (
                    "10.0.0.0/99999999999999999999",
                    &["prefix length must be at most 32 for IPv4"],
                ),
                ("10.0.0.0/", &[not_a_number]),
                ("10.0.0.0/x", &[not_a_number]),
                ("10.0.0.0/+8", &[not_a_number]),
                ("10.0.0.0/-1", &[not_a_number]),
                ("10.0.0.0/08", &[zeros]),
                ("0.0.0.0/00", &[zeros]),
                (
                    "10.0.0.1/24",
                    &["has bits set beyond the prefix length: did you mean `10.0.0.0/24`?"],
                ),
                (
                    "010.0.0.1/024",
                    &[
                        zeros,
                        "must not have leading zeros",
                        "has bits set beyond the prefix length: did you mean `10.0.0.0/24`?",
                    ],
                ),
                (
                    "2001:DB8::/32",
                    &["must be written in canonical form `2001:db8::/32`"],
                ),
                (
                    "2001:DB8::1/32",
                    &["has bits set beyond the prefix length: did you mean `2001:db8::/32`?"],
                ),
                (
                    "::ffff:10.0.0.1/104",
                    &["must not be an IPv4-mapped IPv6 address: did you mean `10.0.0.0/8`?"],
                ),
                (
                    "::ffff:10.0.0.0/64",
                    &["must not be an IPv4-mapped IPv6 address"],
                ),
            ],
        );
        assert_eq!(cidr_strict("10.0.0.0/8"), Ok(net("10.0.0.0/8")));
    }

    #[test]
    fn except_subset_requires_a_strict_subset() {
        let cases: &[(&str, &str, &[&str])] = &[
            ("10.0.0.0/8", "10.1.0.0/16", &[]),
            ("10.0.0.0/8", "10.255.255.255/32", &[]),
            ("2001:db8::/32", "2001:db8:1::/48", &[]),
            (
                "10.0.0.0/16",
                "10.0.0.0/16",
                &["must be a strict subset of `10.0.0.0/16` (a longer prefix)"],
            ),
            (
                "10.0.0.0/16",
                "10.0.0.0/8",
                &["must be a strict subset of `10.0.0.0/16` (a longer prefix)"],
            ),
            (
                "10.0.0.0/16",
                "192.168.0.0/24",
                &["is not inside `10.0.0.0/16`"],
            ),
            (
                "10.0.0.0/8",
                "2001:db8::/64",
                &["is a different IP family from `10.0.0.0/8`"],
            ),
            // A non-canonical outer CIDR is shown by its network.
            ("10.1.2.3/8", "11.0.0.0/16", &["is not inside `10.0.0.0/8`"]),
        ];
        for &(cidr, except, expected) in cases {
            let got = except_subset(&net(cidr), &net(except))
                .err()
                .unwrap_or_default();
            assert_eq!(got, expected, "{except} in {cidr}");
        }
    }

    #[test]
    fn external_ip_rejects_special_addresses() {
        let cases: &[(&str, &[&str])] = &[
            ("203.0.113.7", &[]),
            ("10.0.0.1", &[]),
            ("224.0.1.1", &[]),
            ("2001:db8::1", &[]),
            ("ff05::1", &[]),
            ("fec0::1", &[]),
            (
                "0.0.0.0",
                &["must not be the unspecified address `0.0.0.0`"],
            ),
            ("::", &["must not be the unspecified address `::`"]),
            (
                "127.0.0.1",
                &["must not be a loopback address (127.0.0.0/8)"],
            ),
            (
                "127.255.0.9",
                &["must not be a loopback address (127.0.0.0/8)"],
            ),
            ("::1", &["must not be the loopback address `::1`"]),
            (
                "::ffff:127.0.0.1",
                &["must not be a loopback address (127.0.0.0/8)"],
            ),
            (
                "169.254.169.254",
                &["must not be a link-local address (169.254.0.0/16)"],
            ),
            ("fe80::1", &["must not be a link-local address (fe80::/10)"]),
            ("febf::1", &["must not be a link-local address (fe80::/10)"]),
            (
                "224.0.0.251",
                &["must not be a link-local multicast address (224.0.0.0/24)"],
            ),
            (
                "ff02::1",
                &["must not be a link-local multicast address (ff02::/16)"],
            ),
            (
                "ff12::1",
                &["must not be a link-local multicast address (ff12::/16)"],
            ),
        ];
        for &(addr, expected) in cases {
            let got = external_ip(ip(addr)).err().unwrap_or_default();
            assert_eq!(got, expected, "{addr}");
        }
    }
    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn no_rule_panics_on_any_input(s in "\\PC{0,80}|[-a-zA-Z0-9.*:/%_\\[\\]]{0,40}") {
                let _ = dns1123_label(&s);
                let _ = dns1123_subdomain(&s);
                let _ = dns1035_label(&s);
                let _ = wildcard_subdomain(&s);
                let _ = iana_service_name(&s);
                let _ = label_key(&s);
                let _ = label_value(&s);
                let _ = annotation_key(&s);
                let _ = ingress_host(&s);
                let _ = external_name(&s);
                let _ = ip_strict(&s);
                let _ = cidr_strict(&s);
                for kind in [PathKind::Exact, PathKind::Prefix, PathKind::ImplementationSpecific] {
                    let _ = ingress_path(kind, &s);
                }
            }

            #[test]
            fn rejections_always_give_a_reason(s in "[-a-zA-Z0-9._/]{0,70}") {
                for result in [dns1123_label(&s), dns1123_subdomain(&s), label_key(&s)] {
                    if let Err(reasons) = result {
                        prop_assert!(!reasons.is_empty());
                    }
                }
            }

            #[test]
            fn accepted_addresses_round_trip(s in "[0-9a-fA-F.:/]{0,45}") {
                if let Ok(ip) = ip_strict(&s) {
                    prop_assert_eq!(ip.to_string(), s.clone());
                }
                if let Ok(net) = cidr_strict(&s) {
                    prop_assert_eq!(net.to_string(), s.clone());
                    prop_assert_eq!(net.trunc(), net);
                }
            }

            #[test]
            fn every_canonical_network_is_accepted(addr in any::<IpAddr>(), len in 0u8..=128) {
                if let Ok(net) = IpNet::new(addr, len.min(max_prefix_len(addr))) {
                    let net = net.trunc();
                    // Mapped networks are rejected on purpose (see `ip_strict`).
                    let mapped = matches!(net.network(), IpAddr::V6(v6) if v6.to_ipv4_mapped().is_some());
                    if !mapped {
                        prop_assert_eq!(cidr_strict(&net.to_string()), Ok(net));
                    }
                }
            }
        }
    }
}
