//! The CSV of the raw-click export (RFC 4180 quoting, formula-injection safe).

/// One CSV field (RFC 4180): quoted when needed. A field that a spreadsheet would run as a
/// formula (=, +, -, @, tab, CR at the start) is prefixed with `'` (CSV injection).
pub fn csv_field(v: &str) -> String {
    let guarded = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{v}")
    } else {
        v.to_string()
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

pub fn csv_line(fields: &[&str]) -> String {
    let mut line = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}
