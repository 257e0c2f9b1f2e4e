//! The import's last step: the knet it made is compiled, so that `knet import` never
//! hands over knet that does not build.
//!
//! The import copies label keys and values, port names and numbers from the input as
//! they are. knet's checker applies the API server's rules to them, so an object that
//! a cluster would refuse (a label value `-1`, a target port named `HTTP`, two unnamed
//! ports on one Service) makes knet that does not compile. Each error of that knet
//! becomes `E0406` on the object that holds the value, and nothing is written.

use std::borrow::Cow;

use serde_yaml::Value;

use crate::diagnostic::{Code, Diagnostic};
use crate::kube::documents::Object;
use crate::source::{Sources, Span};

/// The errors of the knet `text`, each pointed at the object that holds the offending
/// value (the first object, when none holds it as written).
pub fn verify(text: &str, objects: &[Object]) -> Vec<Diagnostic> {
    let Some(first) = objects.first() else {
        return Vec::new();
    };
    let mut sources = Sources::new();
    sources.add("imported.knet", text);
    let checked = crate::compile(&sources);
    checked
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| {
            let (object, value) = offending(text, d.primary.span, objects).unwrap_or_else(|| {
                let written = sources.slice(d.primary.span).trim_matches('"');
                (first, written.to_string())
            });
            refused(d, object, &value)
        })
        .collect()
}

fn refused(error: &Diagnostic, object: &Object, value: &str) -> Diagnostic {
    let unparsable = error.code == Code::Syntax;
    let message = if unparsable {
        format!("{}: `{value}` cannot be written in knet", object.describe())
    } else {
        format!("{}: {}", object.describe(), error.message)
    };
    let mut refused =
        Diagnostic::new(Code::InvalidObjectValue, message, object.span).label("in this object");
    if unparsable {
        refused = refused.note(format!(
            "the knet made from it does not parse: {}",
            error.message
        ));
    } else if !error.primary.message.is_empty() {
        refused = refused.note(format!("`{value}`: {}", error.primary.message));
    }
    for note in &error.notes {
        refused = refused.note(note.clone());
    }
    refused.help(if unparsable {
        "fix the value in the input: knet writes nothing until the knet it makes compiles"
    } else {
        "fix the value in the input: knet applies the API server's rules to it, so a cluster would refuse the object too"
    })
}

/// The input value written where the error is: the longest key or scalar of an object
/// that the error's line holds across the error's first character.
fn offending<'o>(text: &str, span: Span, objects: &'o [Object]) -> Option<(&'o Object, String)> {
    let at = span.start().min(text.len());
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = &text[line_start..line_end];
    let column = at - line_start;
    let covers = |scalar: &str| {
        !scalar.is_empty()
            && line
                .match_indices(scalar)
                .any(|(i, _)| i <= column && column < i + scalar.len())
    };
    let mut best: Option<(&Object, String)> = None;
    for object in objects {
        for scalar in scalars(&object.value) {
            if covers(&scalar) && best.as_ref().is_none_or(|(_, b)| scalar.len() > b.len()) {
                best = Some((object, scalar.into_owned()));
            }
        }
    }
    best
}

/// Every key and scalar inside `value`, as the YAML reads (a number as its digits).
fn scalars(value: &Value) -> Vec<Cow<'_, str>> {
    let mut out = Vec::new();
    let mut stack = vec![value];
    while let Some(value) = stack.pop() {
        match value {
            Value::String(s) => out.push(Cow::Borrowed(s.as_str())),
            Value::Number(n) => out.push(Cow::Owned(n.to_string())),
            Value::Sequence(items) => stack.extend(items),
            Value::Mapping(map) => {
                for (k, v) in map {
                    stack.push(k);
                    stack.push(v);
                }
            }
            Value::Tagged(tagged) => stack.push(&tagged.value),
            Value::Null | Value::Bool(_) => {}
        }
    }
    out
}
