//! Conditional requests: `If-Match` against a link's ETag, so that a stale write is refused
//! (412) instead of silently overwriting someone else's edit; `If-None-Match`, so that a
//! client that has the current version gets 304 instead of the link again.

/// The version an `If-Match` header demands: `None` for `*` (any), `Some(list)` otherwise.
/// Weak tags never match for writes (RFC 9110 §13.1.1 uses strong comparison).
pub fn if_match_versions(header: &str) -> Option<Vec<u64>> {
    let header = header.trim();
    if header == "*" {
        return None;
    }
    Some(
        header
            .split(',')
            .map(str::trim)
            .filter(|t| !t.starts_with("W/"))
            .filter_map(version_of)
            .collect(),
    )
}

/// The version an ETag of this worker names (`"v3"` → 3); `None` for anything else.
fn version_of(tag: &str) -> Option<u64> {
    tag.strip_prefix("\"v")?.strip_suffix('"')?.parse().ok()
}

/// Whether an `If-None-Match` header names `version` (or is `*`): then a GET answers 304.
/// Weak comparison, as RFC 9110 §13.1.2 asks for reads: `W/"v3"` matches version 3.
pub fn if_none_match(header: &str, version: u64) -> bool {
    let header = header.trim();
    header == "*"
        || header
            .split(',')
            .map(str::trim)
            .any(|t| version_of(t.strip_prefix("W/").unwrap_or(t)) == Some(version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_compares_weakly_and_accepts_a_list() {
        assert!(if_none_match("\"v3\"", 3));
        assert!(if_none_match("W/\"v3\"", 3), "weak comparison for reads");
        assert!(if_none_match("\"v1\", \"v3\"", 3));
        assert!(if_none_match("*", 9));
        assert!(!if_none_match("\"v4\"", 3));
        assert!(
            !if_none_match("\"v3x\", v3, \"\"", 3),
            "malformed tags match nothing"
        );
    }

    #[test]
    fn parses_if_match() {
        assert_eq!(if_match_versions("*"), None);
        assert_eq!(if_match_versions("\"v3\""), Some(vec![3]));
        assert_eq!(if_match_versions("\"v3\", \"v4\""), Some(vec![3, 4]));
        assert_eq!(if_match_versions("W/\"v3\""), Some(vec![]));
        assert_eq!(if_match_versions("\"abc\""), Some(vec![]));
    }
}
