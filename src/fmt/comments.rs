//! The comments of a source file, found by a scan of its text.
//!
//! The grammar drops comments (they are layout), so the formatter finds them again here.
//! A `#` starts a comment except inside a double-quoted string or an ingress path (a
//! token that starts with `/` after white space, and runs to the next white space):
//! everywhere else the grammar's tokens exclude `#`.

/// One `# ...` comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    /// Byte offset of the `#`.
    pub offset: usize,
    /// The comment from `#` to the end of its line, trailing white space removed.
    pub text: String,
    /// Whether only white space stands before it on its line.
    pub own_line: bool,
}

/// Every comment of `text`, in order.
pub fn scan(text: &str) -> Vec<Comment> {
    let mut comments = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        if let Some(at) = comment_start(line) {
            let own_line = line[..at].trim().is_empty();
            comments.push(Comment {
                offset: line_start + at,
                text: line[at..].trim_end().to_string(),
                own_line,
            });
        }
        line_start += line.len();
    }
    comments
}

/// Where the comment of one line starts, if it has one.
fn comment_start(line: &str) -> Option<usize> {
    let mut chars = line.char_indices().peekable();
    let mut in_string = false;
    let mut after_space = true;
    while let Some((at, c)) = chars.next() {
        if in_string {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_string = false,
                _ => {}
            }
            after_space = false;
            continue;
        }
        match c {
            '#' => return Some(at),
            '"' => in_string = true,
            '/' if after_space => {
                // An ingress path: skip it whole.
                while chars.peek().is_some_and(|(_, c)| !c.is_whitespace()) {
                    chars.next();
                }
            }
            _ => {}
        }
        after_space = c.is_whitespace();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_own_line_and_trailing_comments() {
        let text = "# top\nnamespace a { # open\n  allow x -> y  # why\n}\n";
        let found = scan(text);
        assert_eq!(found.len(), 3);
        assert!(found[0].own_line);
        assert_eq!(found[1].text, "# open");
        assert!(!found[1].own_line);
        assert_eq!(&text[found[2].offset..found[2].offset + 5], "# why");
    }

    #[test]
    fn a_hash_in_a_string_or_a_path_is_not_a_comment() {
        assert_eq!(scan("annotation \"a#b\" \"c\\\"#\"\n"), vec![]);
        assert_eq!(scan("  /docs#top -> web\n"), vec![]);
        let found = scan("  /docs#top -> web # real\n");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].text, "# real");
    }

    #[test]
    fn a_hash_right_after_a_name_starts_a_comment() {
        let found = scan("allow a -> b#note\n");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].text, "#note");
    }
}
