//! How user text appears inside a diagnostic's message, labels, notes and help.
//!
//! Messages quote what was written (``unknown app `apii` ``), and what was written can be
//! anything: a no-break space that looks like a space, a zero-width space, a byte-order
//! mark in the middle of a line, a NUL, or a 300-byte label value. [`visible`] is the one
//! pass every message goes through (the [`Diagnostic`](super::Diagnostic) builder calls
//! it), so no call site can forget it:
//!
//! - a character that cannot be seen, or that looks like another one, is named:
//!   `<U+00A0 NO-BREAK SPACE>`, never printed raw (which could also smuggle terminal
//!   escapes onto the user's screen);
//! - a quoted value (between backticks) longer than [`MAX_QUOTED`] characters is cut,
//!   and the cut says how long the value was: ``` `aaaa…` (300 bytes) ```;
//! - a whole message longer than [`MAX_MESSAGE`] characters is cut the same way.

use std::borrow::Cow;
use std::fmt::Write;

/// Quoted values up to this many characters are shown whole.
pub const MAX_QUOTED: usize = 80;
/// How many characters of a longer quoted value are shown.
const SHOWN_OF_LONG: usize = 60;
/// Messages up to this many characters are shown whole.
pub const MAX_MESSAGE: usize = 1000;

/// `value` between backticks, as [`visible`] would show it.
pub fn quoted(value: &str) -> String {
    visible(&format!("`{}`", value.replace('`', "'"))).into_owned()
}

/// The text with invisible characters named and overlong quoted values cut.
pub fn visible(text: &str) -> Cow<'_, str> {
    // Most messages need nothing: no invisible character, no quoted value too long to
    // show, not too long in all. (Every diagnostic passes here: a model can make tens of
    // thousands.)
    let long_quote = text
        .split('`')
        .skip(1)
        .step_by(2)
        .any(|quoted| quoted.len() > MAX_QUOTED && quoted.chars().count() > MAX_QUOTED);
    let needs_work = long_quote
        || (text.len() > MAX_MESSAGE && text.chars().count() > MAX_MESSAGE)
        || (!text.is_ascii() || text.bytes().any(|b| b < 0x20 || b == 0x7f))
            && text.chars().any(is_invisible);
    if !needs_work {
        return Cow::Borrowed(text);
    }
    let mut out = String::new();
    // After a cut value, its closing backtick is already written.
    let mut closed = false;
    for (index, part) in text.split('`').enumerate() {
        let is_quoted = index % 2 == 1;
        if index > 0 && !closed {
            out.push('`');
        }
        closed = false;
        if is_quoted && part.chars().count() > MAX_QUOTED {
            name_invisible(&mut out, part.chars().take(SHOWN_OF_LONG));
            let _ = write!(out, "…` ({} bytes)", part.len());
            closed = true;
        } else {
            name_invisible(&mut out, part.chars());
        }
    }
    let length = out.chars().count();
    if length > MAX_MESSAGE {
        let mut cut: String = out.chars().take(MAX_MESSAGE - 100).collect();
        let _ = write!(cut, "… ({} bytes)", text.len());
        return Cow::Owned(cut);
    }
    Cow::Owned(out)
}

fn name_invisible(out: &mut String, chars: impl Iterator<Item = char>) {
    for c in chars {
        if is_invisible(c) {
            let _ = write!(out, "<U+{:04X} {}>", u32::from(c), name(c));
        } else {
            out.push(c);
        }
    }
}

/// Characters that show as nothing, as a space, or move the cursor: control and format
/// characters, and every white space but the plain space.
pub fn is_invisible(c: char) -> bool {
    c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{E0000}'..='\u{E0FFF}'
        )
}

/// The Unicode name of the invisible characters one meets in practice; a general
/// description of the others.
fn name(c: char) -> &'static str {
    match c {
        '\u{0}' => "NULL",
        '\t' => "CHARACTER TABULATION",
        '\n' => "LINE FEED",
        '\u{B}' => "LINE TABULATION",
        '\u{C}' => "FORM FEED",
        '\r' => "CARRIAGE RETURN",
        '\u{1B}' => "ESCAPE",
        '\u{7F}' => "DELETE",
        '\u{85}' => "NEXT LINE",
        '\u{A0}' => "NO-BREAK SPACE",
        '\u{AD}' => "SOFT HYPHEN",
        '\u{1680}' => "OGHAM SPACE MARK",
        '\u{2000}'..='\u{200A}' => "SPACE",
        '\u{200B}' => "ZERO WIDTH SPACE",
        '\u{200C}' => "ZERO WIDTH NON-JOINER",
        '\u{200D}' => "ZERO WIDTH JOINER",
        '\u{200E}' => "LEFT-TO-RIGHT MARK",
        '\u{200F}' => "RIGHT-TO-LEFT MARK",
        '\u{2028}' => "LINE SEPARATOR",
        '\u{2029}' => "PARAGRAPH SEPARATOR",
        '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' => "BIDIRECTIONAL FORMATTING",
        '\u{202F}' => "NARROW NO-BREAK SPACE",
        '\u{205F}' => "MEDIUM MATHEMATICAL SPACE",
        '\u{2060}' => "WORD JOINER",
        '\u{3000}' => "IDEOGRAPHIC SPACE",
        '\u{FE00}'..='\u{FE0F}' => "VARIATION SELECTOR",
        '\u{FEFF}' => "ZERO WIDTH NO-BREAK SPACE",
        c if c.is_control() => "CONTROL",
        c if c.is_whitespace() => "SPACE",
        _ => "FORMAT CHARACTER",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_left_alone() {
        assert!(matches!(
            visible("unknown app `apii`"),
            Cow::Borrowed("unknown app `apii`")
        ));
        assert_eq!(visible("`café` ok"), "`café` ok");
    }

    #[test]
    fn invisible_characters_are_named() {
        assert_eq!(
            visible("`a\u{a0}b` is not a valid label value"),
            "`a<U+00A0 NO-BREAK SPACE>b` is not a valid label value"
        );
        assert_eq!(
            visible("found `\u{200b}`"),
            "found `<U+200B ZERO WIDTH SPACE>`"
        );
        assert_eq!(
            visible("`\u{0}\u{1b}[31m`"),
            "`<U+0000 NULL><U+001B ESCAPE>[31m`"
        );
        assert_eq!(visible("\u{feff}"), "<U+FEFF ZERO WIDTH NO-BREAK SPACE>");
        assert_eq!(visible("\u{1}"), "<U+0001 CONTROL>");
    }

    #[test]
    fn long_values_are_cut_with_their_length() {
        let long = "a".repeat(300);
        let message = format!("`{long}` is not a valid app name, nor is `b`");
        let shown = visible(&message);
        assert_eq!(
            shown,
            format!(
                "`{}…` (300 bytes) is not a valid app name, nor is `b`",
                "a".repeat(60)
            )
        );
        // Exactly at the limit: whole.
        let limit = "b".repeat(MAX_QUOTED);
        assert_eq!(visible(&format!("`{limit}`")), format!("`{limit}`"));
        assert_eq!(quoted(&long), format!("`{}…` (300 bytes)", "a".repeat(60)));
    }

    #[test]
    fn overlong_messages_are_cut_too() {
        let message = "x ".repeat(MAX_MESSAGE);
        let shown = visible(&message);
        assert!(shown.ends_with(&format!("… ({} bytes)", message.len())));
        assert!(shown.chars().count() < MAX_MESSAGE);
    }
}
