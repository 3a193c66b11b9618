//! Reading PocketBase's values: empty is `''`, `0`, `FALSE` or the text `null`, never NULL;
//! relations are JSON text; times look like `2024-05-01 12:34:56.789Z`.

use serde_json::Value;

use crate::read::Record;

/// The first present, non-empty field among `names` (uLoad's field names changed over time,
/// and exports name some differently).
pub fn field<'a>(r: &'a Record, names: &[&str]) -> Option<&'a Value> {
    names
        .iter()
        .filter_map(|n| r.get(*n))
        .find(|v| !v.is_null() && v.as_str() != Some("") && v.as_str() != Some("null"))
}

/// A text field, trimmed.
pub fn text(r: &Record, names: &[&str]) -> Option<String> {
    exact_text(r, names)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// A text field exactly as stored (passwords: uLoad compared them with their spaces).
pub fn exact_text(r: &Record, names: &[&str]) -> Option<String> {
    field(r, names).map(|v| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    })
}

pub fn number(r: &Record, names: &[&str]) -> Option<i64> {
    field(r, names).and_then(|v| match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

pub fn flag(r: &Record, names: &[&str], default: bool) -> bool {
    match field(r, names) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() != Some(0),
        Some(Value::String(s)) => {
            matches!(s.trim().to_ascii_lowercase().as_str(), "true" | "1" | "yes")
        }
        // PocketBase stores an unset bool as FALSE: present but false is false.
        None if names.iter().any(|n| r.contains_key(*n)) => false,
        _ => default,
    }
}

/// A list field: PocketBase relations are JSON arrays (as text in SQLite, arrays in JSON,
/// comma- or space-separated in CSV).
pub fn list(r: &Record, names: &[&str]) -> Vec<String> {
    match field(r, names) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.starts_with('[') {
                serde_json::from_str::<Vec<String>>(s).unwrap_or_default()
            } else {
                s.split([',', ' '])
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect()
            }
        }
        _ => Vec::new(),
    }
}

/// PocketBase ids: 15 characters of [a-z0-9]; anything id-shaped up to 64 is kept.
pub fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// PocketBase times (`2024-01-02 03:04:05.678Z`) and RFC 3339 → ISO 8601 UTC with ms.
pub fn iso_time(v: &str) -> Option<String> {
    let candidate = v.trim().replacen(' ', "T", 1);
    chrono_parse(&candidate).or_else(|| chrono_parse(&format!("{candidate}Z")))
}

fn chrono_parse(v: &str) -> Option<String> {
    // The worker's chrono, through its stats helper, so formats agree exactly.
    let t = uload_core::time::parse(v)?;
    Some(uload_core::time::format(t))
}

pub fn time(r: &Record, names: &[&str]) -> Option<String> {
    text(r, names).and_then(|t| iso_time(&t))
}

/// uLoad's country field held a country NAME (`Germany`) or `Unknown`; the worker stores
/// ISO 3166-1 alpha-2 codes. Names and codes that ISO knows map to their code; anything
/// else (`Unknown`, typos) to none.
pub fn country_code(v: &str) -> Option<String> {
    let v = v.trim();
    if v.is_empty() || v.eq_ignore_ascii_case("unknown") {
        return None;
    }
    if v.len() == 2 && v.bytes().all(|b| b.is_ascii_alphabetic()) {
        let code = v.to_ascii_uppercase();
        return celes::Country::from_alpha2(&code).ok().map(|_| code);
    }
    v.parse::<celes::Country>()
        .ok()
        .map(|c| c.alpha2.to_string())
}

/// uLoad's city field: a name, or `Unknown` for none.
pub fn city(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty() && !v.eq_ignore_ascii_case("unknown")).then(|| v.to_string())
}

/// Usernames uLoad generated for users who never chose one (`temp_…`, `user_…`).
pub fn is_placeholder_username(u: &str) -> bool {
    let lower = u.to_ascii_lowercase();
    lower.starts_with("temp_") || lower.starts_with("user_")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pocketbase_empties_are_empty() {
        let r = json!({ "a": "", "b": "null", "c": 0, "d": false, "e": " x " })
            .as_object()
            .cloned()
            .unwrap();
        assert_eq!(text(&r, &["a", "b", "e"]).as_deref(), Some("x"));
        assert_eq!(exact_text(&r, &["e"]).as_deref(), Some(" x "));
        assert!(!flag(&r, &["d"], true), "a stored FALSE is false");
        assert!(
            flag(&r, &["missing"], true),
            "an absent field takes the default"
        );
        assert!(!flag(&r, &["a"], true), "PocketBase's empty bool is false");
        assert_eq!(number(&r, &["c"]), Some(0));
    }

    #[test]
    fn countries_are_iso_codes() {
        assert_eq!(country_code("Germany").as_deref(), Some("DE"));
        assert_eq!(country_code("United States").as_deref(), Some("US"));
        assert_eq!(country_code("de").as_deref(), Some("DE"));
        assert_eq!(country_code("Unknown"), None);
        assert_eq!(country_code("Atlantis"), None);
        assert_eq!(country_code("XX"), None);
        assert_eq!(city("Unknown"), None);
        assert_eq!(city("München").as_deref(), Some("München"));
    }

    #[test]
    fn times() {
        assert_eq!(
            iso_time("2024-01-02 03:04:05.678Z").as_deref(),
            Some("2024-01-02T03:04:05.678Z")
        );
        assert_eq!(
            iso_time("2024-01-02T03:04:05Z").as_deref(),
            Some("2024-01-02T03:04:05.000Z")
        );
        assert_eq!(
            iso_time("2024-01-02 03:04:05"),
            Some("2024-01-02T03:04:05.000Z".into())
        );
        assert_eq!(iso_time("yesterday"), None);
    }

    #[test]
    fn placeholders() {
        assert!(is_placeholder_username("temp_8f3a2c"));
        assert!(is_placeholder_username("user_abc123"));
        assert!(!is_placeholder_username("alice"));
        assert!(!is_placeholder_username("userland"));
    }
}
