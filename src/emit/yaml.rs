//! YAML scalars: when a string can be written plain, and how it is quoted otherwise
//! (the layout around them is `block.rs`'s).
//!
//! knet writes YAML itself rather than through serde_yaml: serde_yaml's emitter leaves
//! `yes`, `on`, `off`, `1_000` or `2001-12-14` unquoted, which YAML 1.1 readers (PyYAML,
//! and the YAML layer of kubectl) read as booleans, numbers and dates. Here a string is
//! written plain only when no YAML 1.1 or 1.2 reader can take it for anything else;
//! otherwise it is double-quoted. The round-trip tests parse the output back.

/// `indent` spaces.
pub(super) fn pad(out: &mut String, indent: usize) {
    // One copy from a run of spaces, not a char at a time: `pad` starts every line.
    const SPACES: &str = "                                ";
    let mut left = indent;
    while left > 0 {
        let n = left.min(SPACES.len());
        out.push_str(&SPACES[..n]);
        left -= n;
    }
}

/// A string as a YAML scalar: plain when that is unambiguous, else double-quoted.
#[cfg(test)]
pub fn scalar(s: &str) -> String {
    let mut out = String::new();
    push_scalar(&mut out, s);
    out
}

/// [`scalar`], appended to `out`.
pub(super) fn push_scalar(out: &mut String, s: &str) {
    if plain_is_safe(s) {
        out.push_str(s);
        return;
    }
    out.reserve(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() || c == '\u{feff}' || c == '\u{2028}' || c == '\u{2029}' => {
                use std::fmt::Write;
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Names, label keys and most values: ASCII letters and digits, `-`, `.`, `_`, `/`,
/// starting with a letter. Such a string is plain in every YAML reader unless it is a
/// boolean or null word; the full test below is for the rest.
fn is_simple_word(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_alphabetic) && bytes.iter().all(|&b| WORD[b as usize])
}

/// The bytes of a simple word, as a table: one load a byte instead of five tests (every
/// name and value of every document goes through here).
const WORD: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'/');
        byte += 1;
    }
    table
};

/// Whether a plain scalar would read back as this same string in YAML 1.1 and 1.2.
pub(super) fn plain_is_safe(s: &str) -> bool {
    if is_simple_word(s) {
        return !is_special_word(s);
    }
    let Some(first) = s.chars().next() else {
        return false;
    };
    // Characters that start YAML syntax, and white space at either end.
    if "-?:,[]{}#&*!|>'\"%@`~ \t=<".contains(first) || s.ends_with([' ', '\t', ':']) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.contains(['\n', '\r', '\t']) {
        return false;
    }
    if s.chars()
        .any(|c| c.is_control() || matches!(c, '\u{feff}' | '\u{2028}' | '\u{2029}' | '\u{85}'))
    {
        return false;
    }
    !is_special_word(s) && !looks_numeric(s) && !looks_like_date(s)
}

/// Booleans and nulls of YAML 1.1 and 1.2, in any case.
fn is_special_word(s: &str) -> bool {
    // Every such word starts with one of these: most keys and names are ruled out by
    // their first byte, before ten comparisons.
    let first = s.as_bytes().first().map(u8::to_ascii_lowercase);
    s.len() <= 5
        && matches!(first, Some(b'y' | b'n' | b't' | b'f' | b'o' | b'~'))
        && [
            "y", "yes", "n", "no", "true", "false", "on", "off", "null", "~",
        ]
        .iter()
        .any(|word| s.eq_ignore_ascii_case(word))
}

/// Integers (decimal, `0x`, `0o`, `0b`, old octal, `_` separators, base 60) and floats
/// (`1.0`, `.5`, `1e3`, `.inf`, `.nan`) of YAML 1.1 and 1.2.
fn looks_numeric(s: &str) -> bool {
    // Every number starts with a digit, a sign or a dot; most names do not.
    if !s.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) {
        return false;
    }
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = unsigned.to_ascii_lowercase();
    if matches!(lower.as_str(), ".inf" | ".nan") {
        return true;
    }
    for (prefix, digits) in [
        ("0x", "0123456789abcdef_"),
        ("0o", "01234567_"),
        ("0b", "01_"),
    ] {
        if let Some(rest) = lower.strip_prefix(prefix) {
            return rest.chars().all(|c| digits.contains(c));
        }
    }
    let mantissa = match lower.split_once('e') {
        Some((m, exponent)) => {
            let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if exponent.is_empty() || !exponent.chars().all(|c| c.is_ascii_digit()) {
                return false;
            }
            m
        }
        None => lower.as_str(),
    };
    let has_digit = mantissa.chars().any(|c| c.is_ascii_digit());
    let dots = mantissa.matches('.').count();
    has_digit
        && dots <= 1
        && mantissa
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | '_' | ':'))
}

/// YAML 1.1 timestamps start with `YYYY-M-D`.
fn looks_like_date(s: &str) -> bool {
    if !s.starts_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    let parts: Vec<&str> = s.splitn(3, '-').collect();
    let [year, month, rest] = parts.as_slice() else {
        return false;
    };
    let day: String = rest.chars().take_while(char::is_ascii_digit).collect();
    year.len() == 4
        && year.chars().all(|c| c.is_ascii_digit())
        && (1..=2).contains(&month.len())
        && month.chars().all(|c| c.is_ascii_digit())
        && (1..=2).contains(&day.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_is_exact_at_any_depth() {
        for indent in [0, 1, 2, 31, 32, 33, 64, 70] {
            let mut out = String::from("x");
            pad(&mut out, indent);
            assert_eq!(out.len(), 1 + indent, "indent {indent}");
            assert!(out[1..].bytes().all(|b| b == b' '), "indent {indent}");
        }
    }

    #[test]
    fn ambiguous_strings_are_quoted() {
        for s in [
            "yes",
            "Yes",
            "NO",
            "on",
            "Off",
            "y",
            "n",
            "true",
            "null",
            "~",
            "",
            "1.0",
            "012",
            "0x1F",
            "0o17",
            "0b101",
            "1_000",
            "1e3",
            "-1",
            "+1",
            ".5",
            ".inf",
            "-.Inf",
            ".NaN",
            "1:20",
            "2001-12-14",
            "2001-12-14t21:59:43.10-05:00",
            "- x",
            "a: b",
            "a #b",
            "#x",
            "*x",
            "&x",
            "!x",
            "|",
            ">",
            "'x'",
            "\"x\"",
            "%x",
            "@x",
            "`x`",
            " x",
            "x ",
            "x:",
            "=",
            "<<",
            "a\nb",
            "[x]",
            "{x}",
            "?",
            ",x",
        ] {
            assert!(
                scalar(s).starts_with('"'),
                "{s:?} must be quoted, got {}",
                scalar(s)
            );
        }
    }

    #[test]
    fn ordinary_strings_stay_plain() {
        for s in [
            "web",
            "app.kubernetes.io/name",
            "10.96.0.1",
            "10.0.0.0/8",
            "fd00::1",
            "/api",
            "/",
            "api-v1",
            "v1.2.3",
            "TCP",
            "0.0.0.0/0",
            "networking.k8s.io/v1",
            "shop/api:http",
            "1.2.3.4",
        ] {
            assert_eq!(scalar(s), s, "{s:?} should stay plain");
        }
        // `*` starts an alias, so a wildcard host is quoted.
    }

    #[test]
    fn escapes() {
        assert_eq!(scalar("a: \"b\\c"), "\"a: \\\"b\\\\c\"");
        assert_eq!(scalar("tab\there"), "\"tab\\there\"");
        assert_eq!(scalar("\u{1}"), "\"\\u0001\"");
    }
}
