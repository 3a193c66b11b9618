//! Conditional requests: `If-Match` against a link's ETag, so that a stale write is refused
//! (412) instead of silently overwriting someone else's edit.

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
            .filter_map(|t| t.strip_prefix("\"v")?.strip_suffix('"')?.parse().ok())
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_if_match() {
        assert_eq!(if_match_versions("*"), None);
        assert_eq!(if_match_versions("\"v3\""), Some(vec![3]));
        assert_eq!(if_match_versions("\"v3\", \"v4\""), Some(vec![3, 4]));
        assert_eq!(if_match_versions("W/\"v3\""), Some(vec![]));
        assert_eq!(if_match_versions("\"abc\""), Some(vec![]));
    }
}
