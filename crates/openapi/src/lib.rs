//! The OpenAPI document, generated: `openapi/source.json` holds what only prose can say (the
//! operations, their descriptions and examples) and names, in `{{…}}` placeholders, every
//! value that is a rule of the code: limits, defaults, enums, problem codes. This crate fills
//! them in from uload-core's own constants, the ones the validators use, so the document
//! cannot state one rule while the worker applies another. The committed
//! `openapi/openapi.json` (which the worker serves and the TypeScript types come from) must
//! equal the output: a test here fails otherwise.
//!
//! A placeholder that is a whole JSON string (`"maxLength": "{{link::MAX_TITLE}}"`) becomes
//! the value itself (a number, an array); inside a longer string (a pattern) it becomes the
//! value's text. Unknown names and registry entries no placeholder uses are errors.

mod registry;
mod schemas;

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::Value;

pub use registry::registry;
pub use schemas::schemas;

/// The repository's root (this crate is at crates/openapi).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The document for `source`, formatted as the source is (two-space indentation).
pub fn generate(source: &str) -> Result<String, String> {
    let mut values: Vec<(String, Value)> = registry()
        .into_iter()
        .map(|(name, value)| (name.to_string(), value))
        .collect();
    values.extend(schemas());
    fill(source, &values)
}

/// `source` with its placeholders filled in from `values`, each of which must be used.
pub fn fill(source: &str, values: &[(String, Value)]) -> Result<String, String> {
    let mut used = BTreeSet::new();
    let mut out = String::with_capacity(source.len() + source.len() / 8);
    let mut rest = source;
    while let Some(at) = rest.find("{{") {
        let Some((name, len)) = placeholder(&rest[at..]) else {
            out.push_str(&rest[..at + 1]);
            rest = &rest[at + 1..];
            continue;
        };
        let value = values
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
            .ok_or_else(|| format!("unknown placeholder {{{{{name}}}}}"))?;
        used.insert(name);
        let whole = at > 0 && rest[..at].ends_with('"') && rest[at + len..].starts_with('"');
        if whole {
            out.push_str(&rest[..at - 1]);
            let line_start = out.rfind('\n').map_or(0, |i| i + 1);
            let indent: String = out[line_start..]
                .chars()
                .take_while(|c| *c == ' ')
                .collect();
            out.push_str(&pretty(value, &indent));
            rest = &rest[at + len + 1..];
        } else {
            out.push_str(&rest[..at]);
            out.push_str(&text(value)?);
            rest = &rest[at + len..];
        }
    }
    out.push_str(rest);
    let unused: Vec<&str> = values
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| !used.contains(n))
        .collect();
    if !unused.is_empty() {
        return Err(format!(
            "rules no placeholder states: {}",
            unused.join(", ")
        ));
    }
    serde_json::from_str::<Value>(&out).map_err(|e| format!("not JSON once filled in: {e}"))?;
    Ok(out)
}

/// `{{name}}` at the start of `s`: the name and the placeholder's length.
fn placeholder(s: &str) -> Option<(&str, usize)> {
    let body = s.strip_prefix("{{")?;
    let end = body.find("}}")?;
    let name = &body[..end];
    let ok = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':');
    ok.then_some((name, end + 4))
}

/// A value as JSON, its lines after the first indented like the line it is placed on.
fn pretty(value: &Value, indent: &str) -> String {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.replace('\n', &format!("\n{indent}"))
}

/// A value inside a string: numbers and strings as their text.
fn text(value: &Value) -> Result<String, String> {
    match value {
        Value::Number(n) => Ok(n.to_string()),
        // Escaped as inside a JSON string (a pattern's backslashes).
        Value::String(s) => {
            Ok(serde_json::to_string(s)
                .map_or_else(|_| s.clone(), |q| q[1..q.len() - 1].to_string()))
        }
        other => Err(format!("{other} cannot be placed inside a string")),
    }
}

#[cfg(test)]
mod tests;
