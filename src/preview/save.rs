//! `iptables-save` rendering: what a node prints for the rules kube-proxy and
//! kube-router load (reference §4.4). iptables parses each rule into addresses,
//! protocol, matches and a target, and prints them back in its own canonical form:
//!
//! - `-s`, `-d`, `-i`, `-o`, `-p` first, host addresses with `/32` (`/128`);
//! - then the matches in the order they were loaded, each with its options in the
//!   module's own order (`recent`, `statistic` with 11 decimals, `mark` in short hex,
//!   `nfacct` with its double space...); an option such as `--dport` without `-m tcp`
//!   loads the protocol's match where it appears;
//! - then the target, with its canonical options (`MARK --set-xmark`, `REJECT
//!   --reject-with icmp-port-unreachable`).
//!
//! The CI checks this against real netfilter: it loads a preview, runs
//! `iptables-save`, and compares.

use std::borrow::Cow;
use std::fmt::Write;
use std::net::IpAddr;

use super::rule::RuleRef;

/// A negation flag, an option and its values, borrowed from the rule's arguments.
type Opt<'a> = (bool, &'a str, &'a [&'a str]);

/// A match module and its options, in the order given.
#[derive(Debug, Default)]
struct Match<'a> {
    name: Cow<'a, str>,
    options: Vec<Opt<'a>>,
}

/// A rule's arguments as iptables reads them. Everything borrows from the rule: a
/// preview renders hundreds of thousands of rules.
#[derive(Debug, Default)]
struct Parsed<'a> {
    source: Option<(bool, &'a str)>,
    destination: Option<(bool, &'a str)>,
    in_interface: Option<(bool, &'a str)>,
    out_interface: Option<(bool, &'a str)>,
    protocol: Option<(bool, Cow<'a, str>)>,
    matches: Vec<Match<'a>>,
    target: Option<&'a str>,
    target_options: Vec<(&'a str, &'a [&'a str])>,
}

/// How many values an option takes.
fn arity(option: &str) -> usize {
    match option {
        "--rcheck"
        | "--set"
        | "--reap"
        | "--rsource"
        | "--random-fully"
        | "--physdev-is-bridged" => 0,
        "--match-set" => 2,
        _ => 1,
    }
}

/// The match module an option belongs to (`None`: a target option).
fn owner<'a>(option: &str, protocol: Option<&Cow<'a, str>>) -> Option<Cow<'a, str>> {
    let name = match option {
        "--comment" => "comment",
        "--dport" | "--sport" => {
            return Some(protocol.cloned().unwrap_or(Cow::Borrowed("tcp")));
        }
        "--icmp-type" => "icmp",
        "--icmpv6-type" => "icmp6",
        "--mode" | "--probability" => "statistic",
        "--name" | "--rcheck" | "--set" | "--seconds" | "--reap" | "--mask" | "--rsource" => {
            "recent"
        }
        "--dst-type" | "--src-type" => "addrtype",
        "--ctstate" => "conntrack",
        "--mark" => "mark",
        "--nfacct-name" => "nfacct",
        "--match-set" => "set",
        "--dports" => "multiport",
        "--physdev-is-bridged" => "physdev",
        "--limit" | "--limit-burst" => "limit",
        _ => return None,
    };
    Some(Cow::Borrowed(name))
}

fn lowercase(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(s.to_ascii_lowercase())
    } else {
        Cow::Borrowed(s)
    }
}

fn parse<'a>(args: &'a [&'a str]) -> Parsed<'a> {
    let mut parsed = Parsed::default();
    let mut negate = false;
    let mut i = 0;
    let next = |i: usize| args.get(i + 1).copied().unwrap_or("");
    while i < args.len() {
        let arg = args[i];
        match arg {
            "!" => {
                negate = true;
                i += 1;
                continue;
            }
            "-s" => parsed.source = Some((negate, next(i))),
            "-d" => parsed.destination = Some((negate, next(i))),
            "-i" => parsed.in_interface = Some((negate, next(i))),
            "-o" => parsed.out_interface = Some((negate, next(i))),
            "-p" => parsed.protocol = Some((negate, lowercase(next(i)))),
            "-m" => parsed.matches.push(Match {
                name: Cow::Borrowed(next(i)),
                options: Vec::new(),
            }),
            "-j" => parsed.target = Some(next(i)),
            option => {
                let count = arity(option);
                let values = args.get(i + 1..i + 1 + count).unwrap_or_default();
                let protocol = parsed.protocol.as_ref().map(|(_, p)| p);
                match owner(option, protocol) {
                    Some(module) => {
                        let existing = parsed.matches.iter().rposition(|m| m.name == module);
                        let at = match existing {
                            Some(at) => at,
                            None => {
                                // An option without its `-m`: iptables loads the match here.
                                parsed.matches.push(Match {
                                    name: module,
                                    options: Vec::new(),
                                });
                                parsed.matches.len() - 1
                            }
                        };
                        parsed.matches[at].options.push((negate, option, values));
                    }
                    None => parsed.target_options.push((option, values)),
                }
                negate = false;
                i += 1 + count;
                continue;
            }
        }
        negate = false;
        i += 2;
    }
    parsed
}

/// `10.0.0.1` -> `10.0.0.1/32`; `10.0.0.0/8` stays.
fn push_with_prefix(out: &mut String, address: &str) {
    if address.contains('/') {
        match address.parse::<ipnet::IpNet>() {
            Ok(net) => {
                let _ = write!(out, "{}", net.trunc());
            }
            Err(_) => out.push_str(address),
        }
        return;
    }
    out.push_str(address);
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V4(_)) => out.push_str("/32"),
        Ok(IpAddr::V6(_)) => out.push_str("/128"),
        Err(_) => {}
    }
}

/// libxtables `xtables_save_string`: bare when only `[-_0-9A-Za-z]`, else quoted with
/// `"`, `\` and `'` escaped.
fn push_save_string(out: &mut String, s: &str) {
    if !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
    {
        out.push_str(s);
        return;
    }
    out.push('"');
    let mut rest = s;
    // The three are ASCII, so a byte search finds them at character boundaries; memchr
    // looks at many bytes at once, and a comment is tens of bytes long, almost always
    // without any of them (a byte loop was a quarter of rendering a rule).
    while let Some(at) = memchr::memchr3(b'"', b'\\', b'\'', rest.as_bytes()) {
        out.push_str(&rest[..at]);
        out.push('\\');
        out.push_str(&rest[at..at + 1]);
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
    out.push('"');
}

fn parse_hex(value: &str) -> Option<u32> {
    match value
        .strip_prefix("0x")
        .or_else(|| value.strip_prefix("0X"))
    {
        Some(digits) => u32::from_str_radix(digits, 16).ok(),
        None => value.parse().ok(),
    }
}

/// `V/M` -> (V, M); a lone value has the full mask.
fn value_mask(text: &str) -> (u32, u32) {
    let (value, mask) = match text.split_once('/') {
        Some((v, m)) => (parse_hex(v).unwrap_or(0), parse_hex(m).unwrap_or(u32::MAX)),
        None => (parse_hex(text).unwrap_or(0), u32::MAX),
    };
    (value, mask)
}

/// statistic stores `lround(2^31 * p)` and prints `%.11f` of it.
fn probability(text: &str) -> String {
    let p: f64 = text.parse().unwrap_or(0.0);
    let stored = (p * 2_147_483_648.0).round();
    format!("{:.11}", stored / 2_147_483_648.0)
}

/// libxt_icmp and libxt_icmp6 save types as numbers.
fn icmp_type(name: &str, v6: bool) -> &str {
    match (name, v6) {
        ("echo-reply", false) => "0",
        ("destination-unreachable", false) => "3",
        ("echo-request", false) => "8",
        ("time-exceeded", false) => "11",
        ("destination-unreachable", true) => "1",
        ("time-exceeded", true) => "3",
        ("echo-request", true) => "128",
        ("echo-reply", true) => "129",
        ("neighbor-solicitation", true) => "135",
        ("neighbor-advertisement", true) => "136",
        (other, _) => other,
    }
}

/// libxt_limit prints a rate's unit short: `10/minute` is saved as `10/min`.
fn short_rate_unit(rate: &str) -> Cow<'_, str> {
    let long_to_short = [("/minute", "/min"), ("/second", "/sec")];
    for (long, short) in long_to_short {
        if let Some(count) = rate.strip_suffix(long) {
            return Cow::Owned([count, short].concat());
        }
    }
    Cow::Borrowed(rate)
}

/// ` [!] OPTION V1 V2...`, each value as `shown` prints it.
fn push_option<V: AsRef<str>>(
    out: &mut String,
    negate: bool,
    option: &str,
    values: impl IntoIterator<Item = V>,
) {
    if negate {
        out.push_str(" !");
    }
    out.push(' ');
    out.push_str(option);
    for value in values {
        out.push(' ');
        out.push_str(value.as_ref());
    }
}

fn first<'a>(values: &[&'a str]) -> Option<&'a str> {
    values.first().copied()
}

fn render_match(out: &mut String, m: &Match<'_>, ipv6: bool) {
    out.push_str(" -m ");
    out.push_str(&m.name);
    let find = |name: &str| m.options.iter().find(|(_, o, _)| *o == name);
    match m.name.as_ref() {
        "comment" => {
            if let Some((_, _, v)) = find("--comment") {
                out.push_str(" --comment ");
                push_save_string(out, first(v).unwrap_or(""));
            }
        }
        "statistic" => {
            if let Some((_, _, v)) = find("--mode") {
                push_option(out, false, "--mode", v.iter());
            }
            if let Some((n, _, v)) = find("--probability") {
                let p = probability(first(v).unwrap_or("0"));
                push_option(out, *n, "--probability", [p]);
            }
        }
        "recent" => {
            for command in ["--set", "--rcheck", "--update", "--remove"] {
                if let Some((n, o, _)) = find(command) {
                    push_option(out, *n, o, [""; 0]);
                }
            }
            if let Some((_, o, v)) = find("--seconds") {
                push_option(out, false, o, v.iter());
            }
            if find("--reap").is_some() {
                out.push_str(" --reap");
            }
            if let Some((_, o, v)) = find("--name") {
                push_option(out, false, o, v.iter());
            }
            let mask = if ipv6 {
                "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
            } else {
                "255.255.255.255"
            };
            let _ = write!(out, " --mask {mask} --rsource");
        }
        "mark" => {
            if let Some((n, o, v)) = find("--mark") {
                let (value, mask) = value_mask(first(v).unwrap_or("0"));
                push_option(out, *n, o, [format!("{value:#x}/{mask:#x}")]);
            }
        }
        "nfacct" => {
            if let Some((_, _, v)) = find("--nfacct-name") {
                // libxt_nfacct prints " --nfacct-name " and the saved string adds a space.
                out.push_str(" --nfacct-name  ");
                push_save_string(out, first(v).unwrap_or(""));
            }
        }
        "icmp" | "icmp6" => {
            for (n, o, v) in &m.options {
                let v6 = m.name == "icmp6";
                push_option(out, *n, o, v.iter().map(|t| icmp_type(t, v6)));
            }
        }
        "limit" => {
            for (n, o, v) in &m.options {
                push_option(out, *n, o, v.iter().map(|l| short_rate_unit(l)));
            }
        }
        "tcp" | "udp" | "sctp" => {
            for (n, o, v) in &m.options {
                // A range is `LOW:HIGH` in iptables-save.
                let values = v.iter().map(|p| {
                    if p.contains('-') {
                        Cow::Owned(p.replace('-', ":"))
                    } else {
                        Cow::Borrowed(*p)
                    }
                });
                push_option(out, *n, o, values);
            }
        }
        _ => {
            for (n, o, v) in &m.options {
                push_option(out, *n, o, v.iter());
            }
        }
    }
}

fn render_target(out: &mut String, target: &str, options: &[(&str, &[&str])], ipv6: bool) {
    out.push_str(" -j ");
    out.push_str(target);
    let value = |name: &str| {
        options
            .iter()
            .find(|(o, _)| *o == name)
            .and_then(|(_, v)| first(v))
    };
    match target {
        "REJECT" => {
            let with = value("--reject-with").unwrap_or(if ipv6 {
                "icmp6-port-unreachable"
            } else {
                "icmp-port-unreachable"
            });
            out.push_str(" --reject-with ");
            out.push_str(with);
        }
        "MARK" => {
            let (value_, mask) = if let Some(v) = value("--or-mark") {
                let (v, _) = value_mask(v);
                (v, v)
            } else if let Some(v) = value("--xor-mark") {
                let (v, _) = value_mask(v);
                (v, 0)
            } else if let Some(v) = value("--set-mark") {
                let (v, m) = value_mask(v);
                (v, v | m)
            } else if let Some(v) = value("--set-xmark") {
                value_mask(v)
            } else {
                (0, 0)
            };
            let _ = write!(out, " --set-xmark {value_:#x}/{mask:#x}");
        }
        _ => {
            for (o, v) in options {
                push_option(out, false, o, v.iter());
            }
        }
    }
}

/// One rule as `iptables-save` (`ip6tables-save` when `ipv6`) prints it.
pub fn render(rule: RuleRef, ipv6: bool) -> String {
    let mut out = String::new();
    push_rendered(&mut out, rule, ipv6);
    out
}

/// Arguments a rule may have before [`push_rendered`] needs the heap.
const STACK_ARGS: usize = 48;

/// [`render`], appended to `out` (no line break).
pub fn push_rendered(out: &mut String, rule: RuleRef, ipv6: bool) {
    // The arguments on the stack: a preview renders millions of rules, each with a few
    // dozen arguments at most (a longer rule takes the heap).
    let mut on_stack = [""; STACK_ARGS];
    let mut count = 0;
    let mut on_heap = Vec::new();
    for arg in rule.args() {
        match on_stack.get_mut(count) {
            Some(slot) => *slot = arg,
            None => {
                if on_heap.is_empty() {
                    on_heap.extend_from_slice(&on_stack);
                }
                on_heap.push(arg);
            }
        }
        count += 1;
    }
    let args: &[&str] = if on_heap.is_empty() {
        &on_stack[..count]
    } else {
        &on_heap
    };
    let parsed = parse(args);
    out.push_str("-A ");
    out.push_str(rule.chain);
    let field = |out: &mut String, flag: &str, value: Option<(bool, &str)>, address: bool| {
        if let Some((negate, v)) = value {
            if negate {
                out.push_str(" !");
            }
            out.push(' ');
            out.push_str(flag);
            out.push(' ');
            if address {
                push_with_prefix(out, v);
            } else {
                out.push_str(v);
            }
        }
    };
    field(out, "-s", parsed.source, true);
    field(out, "-d", parsed.destination, true);
    field(out, "-i", parsed.in_interface, false);
    field(out, "-o", parsed.out_interface, false);
    let protocol = parsed.protocol.as_ref().map(|(n, p)| (*n, p.as_ref()));
    field(out, "-p", protocol, false);
    for m in &parsed.matches {
        render_match(out, m, ipv6);
    }
    if let Some(target) = parsed.target {
        render_target(out, target, &parsed.target_options, ipv6);
    }
}

#[cfg(test)]
mod tests {
    use super::super::rule::Rule;
    use super::*;

    fn rule(chain: &str, line: &[&str]) -> Rule {
        Rule::new(chain).arg(line.iter().copied())
    }

    /// The S-form lines of reference §7 (TC2, TC4, TC5, TC9) and §4.4.
    #[test]
    fn reference_save_forms() {
        let cases: Vec<(Rule, &str)> = vec![
            (
                rule("KUBE-SERVICES", &["-m", "comment", "--comment", "default/web:http cluster IP", "-m", "tcp", "-p", "tcp", "-d", "10.96.0.50", "--dport", "80", "-j", "KUBE-SVC-CDGGSHYLG3RE2FKL"]),
                "-A KUBE-SERVICES -d 10.96.0.50/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -j KUBE-SVC-CDGGSHYLG3RE2FKL",
            ),
            (
                rule("KUBE-SVC-CDGGSHYLG3RE2FKL", &["-m", "comment", "--comment", "default/web:http cluster IP", "-m", "tcp", "-p", "tcp", "-d", "10.96.0.50", "--dport", "80", "!", "-s", "10.244.0.0/16", "-j", "KUBE-MARK-MASQ"]),
                "-A KUBE-SVC-CDGGSHYLG3RE2FKL ! -s 10.244.0.0/16 -d 10.96.0.50/32 -p tcp -m comment --comment \"default/web:http cluster IP\" -m tcp --dport 80 -j KUBE-MARK-MASQ",
            ),
            (
                rule("KUBE-SVC-CDGGSHYLG3RE2FKL", &["-m", "comment", "--comment", "default/web:http -> 10.244.1.10:8080", "-m", "statistic", "--mode", "random", "--probability", "0.3333333333", "-j", "KUBE-SEP-GWQABTP5GBYXHJY5"]),
                "-A KUBE-SVC-CDGGSHYLG3RE2FKL -m comment --comment \"default/web:http -> 10.244.1.10:8080\" -m statistic --mode random --probability 0.33333333349 -j KUBE-SEP-GWQABTP5GBYXHJY5",
            ),
            (
                rule("KUBE-SEP-GWQABTP5GBYXHJY5", &["-m", "comment", "--comment", "default/web:http", "-s", "10.244.1.10", "-j", "KUBE-MARK-MASQ"]),
                "-A KUBE-SEP-GWQABTP5GBYXHJY5 -s 10.244.1.10/32 -m comment --comment \"default/web:http\" -j KUBE-MARK-MASQ",
            ),
            (
                rule("KUBE-SEP-GWQABTP5GBYXHJY5", &["-m", "comment", "--comment", "default/web:http", "-m", "tcp", "-p", "tcp", "-j", "DNAT", "--to-destination", "10.244.1.10:8080"]),
                "-A KUBE-SEP-GWQABTP5GBYXHJY5 -p tcp -m comment --comment \"default/web:http\" -m tcp -j DNAT --to-destination 10.244.1.10:8080",
            ),
            (
                rule("KUBE-SERVICES", &["-m", "comment", "--comment", "default/empty:http has no endpoints", "-m", "tcp", "-p", "tcp", "-d", "10.96.0.60", "--dport", "80", "-j", "REJECT"]),
                "-A KUBE-SERVICES -d 10.96.0.60/32 -p tcp -m comment --comment \"default/empty:http has no endpoints\" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable",
            ),
            (
                rule("KUBE-NODEPORTS", &["-m", "comment", "--comment", "default/np-svc:http", "-m", "tcp", "-p", "tcp", "-d", "127.0.0.0/8", "--dport", "30080", "-m", "nfacct", "--nfacct-name", "localhost_nps_accepted_pkts", "-j", "KUBE-EXT-DUCBKF5X6SF6MMTH"]),
                "-A KUBE-NODEPORTS -d 127.0.0.0/8 -p tcp -m comment --comment \"default/np-svc:http\" -m tcp --dport 30080 -m nfacct --nfacct-name  localhost_nps_accepted_pkts -j KUBE-EXT-DUCBKF5X6SF6MMTH",
            ),
            (
                rule("KUBE-SVC-X", &["-m", "comment", "--comment", "ns1/svc1 -> 10.0.1.1:80", "-m", "recent", "--name", "KUBE-SEP-3JOIVZTXZZRGORX4", "--rcheck", "--seconds", "10800", "--reap", "-j", "KUBE-SEP-3JOIVZTXZZRGORX4"]),
                "-A KUBE-SVC-X -m comment --comment \"ns1/svc1 -> 10.0.1.1:80\" -m recent --rcheck --seconds 10800 --reap --name KUBE-SEP-3JOIVZTXZZRGORX4 --mask 255.255.255.255 --rsource -j KUBE-SEP-3JOIVZTXZZRGORX4",
            ),
            (
                rule("KUBE-MARK-MASQ", &["-j", "MARK", "--or-mark", "0x00004000"]),
                "-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000",
            ),
            (
                rule("KUBE-POSTROUTING", &["-j", "MARK", "--xor-mark", "0x00004000"]),
                "-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0",
            ),
            (
                rule("KUBE-POSTROUTING", &["-m", "mark", "!", "--mark", "0x00004000/0x00004000", "-j", "RETURN"]),
                "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN",
            ),
            (
                rule("KUBE-POD-FW-X", &["-j", "MARK", "--set-mark", "0/0x10000"]),
                "-A KUBE-POD-FW-X -j MARK --set-xmark 0x0/0x10000",
            ),
            (
                rule("KUBE-NWPLCY-X", &["-m", "comment", "--comment", "rule to ACCEPT", "-m", "set", "--match-set", "KUBE-SRC-A", "src", "-m", "set", "--match-set", "KUBE-DST-B", "dst", "-p", "TCP", "--dport", "80", "-j", "MARK", "--set-xmark", "0x10000/0x10000"]),
                "-A KUBE-NWPLCY-X -p tcp -m comment --comment \"rule to ACCEPT\" -m set --match-set KUBE-SRC-A src -m set --match-set KUBE-DST-B dst -m tcp --dport 80 -j MARK --set-xmark 0x10000/0x10000",
            ),
            (
                rule("KUBE-POD-FW-X", &["-m", "comment", "--comment", "rule to permit the traffic traffic to pods when source is the pod's local node", "-m", "addrtype", "--src-type", "LOCAL", "-d", "10.244.1.20", "-j", "ACCEPT"]),
                "-A KUBE-POD-FW-X -d 10.244.1.20/32 -m comment --comment \"rule to permit the traffic traffic to pods when source is the pod\\'s local node\" -m addrtype --src-type LOCAL -j ACCEPT",
            ),
        ];
        for (rule, expected) in cases {
            assert_eq!(render(rule.view(), false), expected);
        }
    }

    #[test]
    fn probabilities_match_netfilter() {
        let expected = [
            ("0.5000000000", "0.50000000000"),
            ("0.3333333333", "0.33333333349"),
            ("0.2500000000", "0.25000000000"),
            ("0.2000000000", "0.20000000019"),
            ("0.1666666667", "0.16666666651"),
            ("0.1428571429", "0.14285714272"),
            ("0.1250000000", "0.12500000000"),
            ("0.1111111111", "0.11111111101"),
            ("0.1000000000", "0.10000000009"),
        ];
        for (written, saved) in expected {
            assert_eq!(probability(written), saved);
        }
    }

    fn save_string(s: &str) -> String {
        let mut out = String::new();
        push_save_string(&mut out, s);
        out
    }

    #[test]
    fn save_strings() {
        assert_eq!(save_string("x"), "x");
        assert_eq!(save_string("ns/svc"), "\"ns/svc\"");
        assert_eq!(save_string("pod's"), "\"pod\\'s\"");
        assert_eq!(save_string("a\\b"), "\"a\\\\b\"");
        // Escapes next to characters of more than one byte land where they belong.
        assert_eq!(save_string("é'ü'"), "\"é\\'ü\\'\"");
        assert_eq!(save_string(""), "\"\"");
    }

    #[test]
    fn rate_units_are_saved_short() {
        assert_eq!(short_rate_unit("10/minute"), "10/min");
        assert_eq!(short_rate_unit("5/second"), "5/sec");
        assert_eq!(short_rate_unit("1/hour"), "1/hour");
        assert_eq!(short_rate_unit("10"), "10");
    }

    /// A rule with more arguments than fit on the stack renders all of them.
    #[test]
    fn a_rule_longer_than_the_stack_buffer_keeps_every_argument() {
        let mut rule = Rule::new("KUBE-X");
        for i in 0..20 {
            rule = rule.comment(format!("c{i}"));
        }
        let rule = rule.jump("ACCEPT");
        assert!(rule.view().args().count() > STACK_ARGS);
        let line = render(rule.view(), false);
        for i in 0..20 {
            assert!(line.contains(&format!("--comment c{i} ")), "{line}");
        }
        assert!(line.ends_with("-j ACCEPT"), "{line}");
    }
}
