//! The tests of the validation rules: tables of inputs and their exact reasons.

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
            // Raw here: the diagnostic builder names them (`diagnostic::shown`).
            ("a\tb", &["contains `\t`, which is not allowed"]),
            ("a\u{a0}b", &["contains `\u{a0}`, which is not allowed"]),
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

        /// The one-pass recognisers of valid names agree with the rules that give
        /// reasons, on names of every shape: letters of both cases, digits, `-`, `_`,
        /// `.`, `/`, a non-ASCII letter, and lengths around the limits.
        #[test]
        fn plain_names_are_exactly_the_valid_ones(s in "[-a-zA-Z0-9._/é]{0,70}|[-a-z0-9]{10,20}|[a-z][-a-z0-9]{60,64}") {
            prop_assert_eq!(plain_label(&s, false), dns1123_label_reasons(&s).is_ok(), "{:?}", s);
            prop_assert_eq!(plain_label(&s, true), dns1035_label_reasons(&s).is_ok(), "{:?}", s);
            prop_assert_eq!(plain_service_name(&s), iana_service_name_reasons(&s).is_ok(), "{:?}", s);
            prop_assert_eq!(plain_qualified_name(&s), qualified_name_part_reasons(&s).is_empty(), "{:?}", s);
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
