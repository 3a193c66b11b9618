//! The redirect decision: from a record to what a visitor gets.

use super::link::{parse_time, RedirectRecord, DEFAULT_STATUS, STATUSES};

/// Browsers cache 301/308 for good unless told otherwise, which makes edits of a link
/// never take effect for someone who clicked it once. Every redirect says "do not reuse
/// without asking", and `private` keeps shared caches out (analytics must see each click).
pub const CACHE_CONTROL: &str = "private, max-age=0";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Redirect { status: u16, location: String },
    /// The link exists but no longer redirects (deactivated or expired): 410.
    Gone,
    /// The redirect needs the link's password first (or a valid unlock cookie).
    Protected { status: u16, location: String, password_hash: String },
}

pub fn decide(record: &RedirectRecord, now_ms: u64) -> Decision {
    if !record.active {
        return Decision::Gone;
    }
    if let Some(exp) = record.expires_at.as_deref() {
        // An unreadable expiry is treated as expired: failing closed here only hides a link
        // whose stored data is broken, never shows one that should be gone.
        let expired = parse_time(exp).is_none_or(|t| t.timestamp_millis() <= now_ms as i64);
        if expired {
            return Decision::Gone;
        }
    }
    // A record with an unexpected status (a bad import, a newer writer) still redirects.
    let status = if STATUSES.contains(&record.status) { record.status } else { DEFAULT_STATUS };
    match &record.password_hash {
        Some(hash) => Decision::Protected { status, location: record.url.clone(), password_hash: hash.clone() },
        None => Decision::Redirect { status, location: record.url.clone() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: u16) -> RedirectRecord {
        RedirectRecord {
            link_id: "l".into(),
            url: "https://a.de/".into(),
            status,
            active: true,
            expires_at: None,
            password_hash: None,
        }
    }

    const NOW: u64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    #[test]
    fn uses_the_links_status() {
        for s in STATUSES {
            assert_eq!(decide(&record(s), NOW), Decision::Redirect { status: s, location: "https://a.de/".into() });
        }
    }

    #[test]
    fn unknown_statuses_fall_back_to_302() {
        assert!(matches!(decide(&record(200), NOW), Decision::Redirect { status: 302, .. }));
        assert!(matches!(decide(&record(0), NOW), Decision::Redirect { status: 302, .. }));
    }

    #[test]
    fn inactive_and_expired_links_are_gone() {
        let mut r = record(302);
        r.active = false;
        assert_eq!(decide(&r, NOW), Decision::Gone);
        let mut r = record(302);
        r.expires_at = Some("2026-01-01T00:00:00.000Z".into());
        assert_eq!(decide(&r, NOW), Decision::Gone, "expiry is exclusive");
        assert!(matches!(decide(&r, NOW - 1), Decision::Redirect { .. }));
        r.expires_at = Some("garbage".into());
        assert_eq!(decide(&r, NOW), Decision::Gone);
    }

    #[test]
    fn protected_links_ask_first_but_inactive_ones_are_gone() {
        let mut r = record(307);
        r.password_hash = Some("$h".into());
        assert_eq!(
            decide(&r, NOW),
            Decision::Protected { status: 307, location: "https://a.de/".into(), password_hash: "$h".into() }
        );
        r.active = false;
        assert_eq!(decide(&r, NOW), Decision::Gone);
    }
}
