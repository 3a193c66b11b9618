//! The redirect decision: from a record to the response a visitor gets.

use super::link::{RedirectRecord, DEFAULT_STATUS};

/// Browsers cache 301/308 for good unless told otherwise, which makes edits of a link
/// never take effect for someone who clicked it once. Every redirect says "do not reuse
/// without asking", and `private` keeps shared caches out (analytics must see each click).
pub const CACHE_CONTROL: &str = "private, max-age=0";

pub const ALLOWED_STATUSES: [u16; 4] = [301, 302, 307, 308];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub status: u16,
    pub location: String,
}

pub fn decide(record: &RedirectRecord) -> Redirect {
    // A record with an unexpected status (a bad import, a newer writer) still redirects.
    let status =
        if ALLOWED_STATUSES.contains(&record.status) { record.status } else { DEFAULT_STATUS };
    Redirect { status, location: record.url.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: u16) -> RedirectRecord {
        RedirectRecord { link_id: "l".into(), url: "https://a.de/".into(), status }
    }

    #[test]
    fn uses_the_links_status() {
        for s in ALLOWED_STATUSES {
            assert_eq!(decide(&record(s)).status, s);
        }
        assert_eq!(decide(&record(302)).location, "https://a.de/");
    }

    #[test]
    fn unknown_statuses_fall_back_to_302() {
        assert_eq!(decide(&record(200)).status, 302);
        assert_eq!(decide(&record(0)).status, 302);
    }
}
