//! Instants as the service writes and reads them: UTC, RFC 3339, milliseconds, `Z`
//! (`2026-11-25T03:05:07.123Z`). Stored text in this one format sorts in time order, so D1
//! compares instants as strings. Every timestamp the worker stores or answers comes from
//! `format`; every one it accepts goes through `parse`.

use chrono::{DateTime, SecondsFormat, Utc};

/// The stored and answered format.
pub fn format(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// An RFC 3339 instant with any offset (surrounding spaces ignored), as UTC.
pub fn parse(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Milliseconds since the epoch (the runtime's clock) as an instant; the epoch if out of range.
pub fn from_millis(ms: u64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms as i64).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_is_utc_with_milliseconds_and_sorts_as_text() {
        let a = parse("2026-11-25T04:05:07.1+01:00").unwrap();
        assert_eq!(format(a), "2026-11-25T03:05:07.100Z");
        let b = parse("2026-11-25T03:05:07.099Z").unwrap();
        assert!(format(b) < format(a));
        assert_eq!(format(from_millis(0)), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn parse_refuses_what_is_not_rfc_3339() {
        assert_eq!(
            parse(" 2026-11-25T03:05:07Z ").map(format).as_deref(),
            Some("2026-11-25T03:05:07.000Z")
        );
        for bad in [
            "",
            "2026-11-25",
            "2026-11-25 03:05:07",
            "tomorrow",
            "2026-13-01T00:00:00Z",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }
}
