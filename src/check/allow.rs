//! `# knet: allow(W0106)` comments: a team accepts a warning on purpose.
//!
//! The comment silences the listed warnings on the next line that is not blank or a
//! comment (and the lines that continue it after a trailing comma). Before a
//! `namespace NAME {` line it silences them in that whole block. An allow that
//! silences nothing, names an unknown code or names an error is itself a warning
//! (`W0001`): stale allows do not pile up.

use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::source::{FileId, SourceFile, Sources, Span};

/// One allow comment and the byte range it covers.
struct Allow {
    codes: Vec<(String, Span)>,
    file: FileId,
    covers: std::ops::Range<usize>,
    used: Vec<bool>,
    /// The namespace whose block the allow covers, for the unused-allow label.
    namespace: Option<String>,
}

/// Removes the allowed warnings and reports the allows that silenced nothing.
pub fn apply(diagnostics: &mut Vec<Diagnostic>, sources: &Sources) {
    let mut misplaced = Vec::new();
    let mut allows: Vec<Allow> = sources
        .iter()
        .flat_map(|(id, file)| allows_in(id, file, &mut misplaced))
        .collect();
    // Warnings are only computed for a model without errors: with errors, an allow is
    // not known to be unused.
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    diagnostics.retain(|d| {
        if d.severity != Severity::Warning {
            return true;
        }
        let span = d.primary.span;
        let mut silenced = false;
        for allow in &mut allows {
            if allow.file != span.file() || !allow.covers.contains(&span.start()) {
                continue;
            }
            for (i, (code, _)) in allow.codes.iter().enumerate() {
                if code.eq_ignore_ascii_case(d.code.as_str()) {
                    allow.used[i] = true;
                    silenced = true;
                }
            }
        }
        !silenced
    });
    diagnostics.extend(misplaced);
    for allow in allows.iter().filter(|_| !has_errors) {
        for (i, (code, span)) in allow.codes.iter().enumerate() {
            if allow.used.get(i).copied().unwrap_or(false) {
                continue;
            }
            diagnostics.push(unused(code, *span, allow.namespace.as_deref()));
        }
    }
    crate::diagnostic::sort(diagnostics);
}

fn unused(code: &str, span: Span, namespace: Option<&str>) -> Diagnostic {
    let diagnostic = Diagnostic::new(
        Code::UnusedAllow,
        format!("`allow({code})` silences nothing"),
        span,
    );
    match Code::parse(code) {
        None => {
            let warnings = Code::ALL
                .iter()
                .filter(|c| c.severity() == Severity::Warning)
                .map(|c| c.as_str());
            let help = crate::check::suggest::did_you_mean(code, warnings)
                .map(|c| format!("did you mean `{c}`?"))
                .unwrap_or_else(|| {
                    "warning codes look like `W0106`; `knet explain CODE` describes each"
                        .to_string()
                });
            diagnostic.label("not a knet diagnostic code").help(help)
        }
        Some(Code::UnusedAllow) => diagnostic
            .label("`W0001` cannot be allowed")
            .help("remove the allow comments that silence nothing instead"),
        Some(c) if c.severity() == Severity::Error => diagnostic
            .label("errors cannot be allowed")
            .note("an error means Kubernetes would reject the objects or knet cannot build them")
            .help(format!("remove `{}` from the comment", c.as_str())),
        Some(_) => {
            let label = match namespace {
                Some(ns) => format!("no such warning in namespace block `{ns}`"),
                None => "no such warning on the next line".to_string(),
            };
            diagnostic
                .label(label)
                .note("a stale allow would hide the warning if the problem came back")
                .help("remove the comment, or move it to the line before the warning")
        }
    }
}

/// An allow comment that is not on a line of its own, or that nothing follows.
fn misplaced(span: Span, why: &str, help: &str) -> Diagnostic {
    Diagnostic::new(
        Code::UnusedAllow,
        "this `knet: allow` comment silences nothing",
        span,
    )
    .label(why.to_string())
    .help(help.to_string())
}

/// Every allow comment of a file; misplaced ones are reported into `misplaced`.
fn allows_in(file: FileId, source: &SourceFile, misplaced_out: &mut Vec<Diagnostic>) -> Vec<Allow> {
    let text = source.text.as_str();
    // Every allow comment, placed well or not, holds `knet:`: a file without one (most
    // files) needs no walk over its lines.
    if !text.contains("knet:") {
        return Vec::new();
    }
    let lines: Vec<(usize, &str)> = line_starts(text);
    let mut out = Vec::new();
    for (index, (start, line)) in lines.iter().enumerate() {
        if !line.contains("knet:") {
            continue;
        }
        let code_part = strip_comment(line);
        if code_part.len() == line.len() {
            continue;
        }
        let hash = code_part.len();
        let comment = &line[hash + 1..];
        if !code_part.trim().is_empty() {
            if let Some(at) = comment.find("knet:") {
                if comment[at..]
                    .trim_start_matches("knet:")
                    .trim_start()
                    .starts_with("allow(")
                {
                    let from = start + hash + 1 + at;
                    misplaced_out.push(misplaced(
                        Span::new(file, from, start + line.len()),
                        "an allow comment must be on a line of its own",
                        "move it to the line before the one it is about",
                    ));
                }
            }
            continue;
        }
        let Some(after) = comment.trim_start().strip_prefix("knet:") else {
            continue;
        };
        let Some(list) = after.trim_start().strip_prefix("allow(") else {
            continue;
        };
        let Some(close) = list.find(')') else {
            continue;
        };
        let list_offset = start + (line.len() - list.len());
        let mut codes = Vec::new();
        let mut offset = 0;
        for part in list[..close].split(',') {
            let trimmed = part.trim();
            let lead = part.len() - part.trim_start().len();
            if !trimmed.is_empty() {
                let at = list_offset + offset + lead;
                codes.push((trimmed.to_string(), Span::new(file, at, at + trimmed.len())));
            }
            offset += part.len() + 1;
        }
        let Some((covers, namespace)) = target(text, &lines, index) else {
            let from = start + hash;
            misplaced_out.push(misplaced(
                Span::new(file, from, start + line.len()),
                "nothing follows this comment",
                "put it on the line before the one it is about",
            ));
            continue;
        };
        let used = vec![false; codes.len()];
        out.push(Allow {
            codes,
            file,
            covers,
            used,
            namespace,
        });
    }
    out
}

fn line_starts(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        out.push((start, line.trim_end_matches(['\n', '\r'])));
        start += line.len();
    }
    out
}

/// The byte range an allow on line `index` covers, and the namespace when it covers a
/// namespace block.
fn target(
    text: &str,
    lines: &[(usize, &str)],
    index: usize,
) -> Option<(std::ops::Range<usize>, Option<String>)> {
    let next = lines
        .iter()
        .skip(index + 1)
        .position(|(_, l)| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#')
        })
        .map(|p| p + index + 1)?;
    let (start, line) = lines.get(next)?;
    if let Some(rest) = line.trim_start().strip_prefix("namespace ") {
        let open = text[*start..].find('{').map(|i| start + i)?;
        let name = rest
            .split(|c: char| c.is_whitespace() || c == '{')
            .next()
            .unwrap_or("");
        return Some((*start..block_end(text, open), Some(name.to_string())));
    }
    let mut last = next;
    while lines
        .get(last)
        .is_some_and(|(_, l)| strip_comment(l).trim_end().ends_with(','))
        && last + 1 < lines.len()
    {
        last += 1;
    }
    let (last_start, last_line) = lines.get(last)?;
    Some((*start..last_start + last_line.len(), None))
}

fn strip_comment(line: &str) -> &str {
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        match c {
            '\\' if in_string => escaped = !escaped,
            '"' if !escaped => in_string = !in_string,
            '#' if !in_string => return &line[..i],
            _ => escaped = false,
        }
        if c != '\\' {
            escaped = false;
        }
    }
    line
}

/// The end of the block opened at `open`: braces matched outside strings and comments.
fn block_end(text: &str, open: usize) -> usize {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut in_comment = false;
    let mut escaped = false;
    for (i, c) in text[open..].char_indices() {
        if in_comment {
            in_comment = c != '\n';
            continue;
        }
        if in_string {
            match c {
                '\\' if !escaped => {
                    escaped = true;
                    continue;
                }
                '"' if !escaped => in_string = false,
                '\n' => in_string = false,
                _ => {}
            }
            escaped = false;
            continue;
        }
        match c {
            '#' => in_comment = true,
            '"' => in_string = true,
            '{' => depth += 1,
            '}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return open + i + 1;
                }
            }
            _ => {}
        }
    }
    text.len()
}
