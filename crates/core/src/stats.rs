//! The stats API's arithmetic: which time range a query means in the caller's time zone,
//! the buckets of its time series, and how hourly rollups (UTC hours) fall into them. Also
//! the CSV of the raw-click export. No I/O: the store hands over rows, this shapes them.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, Timelike, Utc};
use std::rc::Rc;

use super::problem::FieldError;

mod csv;
pub use csv::*;
mod series;
pub use series::*;
mod response;
pub use response::*;
mod zone;
pub use zone::*;

/// Most buckets one series may have (an hourly series of ~83 days).
pub const MAX_BUCKETS: i64 = 2_000;
pub const DEFAULT_TOP: usize = 10;
pub const MAX_TOP: usize = 100;
/// The widest range a query may span.
pub const MAX_RANGE_DAYS: i64 = 3_660;
/// Default range: the last 30 days, counted in the caller's days.
pub const DEFAULT_DAYS: i64 = 30;
pub const DEFAULT_EXPORT_LIMIT: u32 = 10_000;
pub const MAX_EXPORT_LIMIT: u32 = 100_000;
/// A `tz` (an IANA name or an offset), at most (characters).
pub const MAX_ZONE_NAME: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Hour,
    Day,
}

impl Interval {
    /// Every interval: `interval=` takes exactly these names.
    pub const ALL: [Interval; 2] = [Interval::Hour, Interval::Day];

    pub fn name(self) -> &'static str {
        match self {
            Interval::Hour => "hour",
            Interval::Day => "day",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct StatsQuery {
    /// Inclusive start and exclusive end.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub zone: Zone,
    pub interval: Interval,
    pub include_bots: bool,
    pub top: usize,
}

/// One bound of a range: a date (the start of that day in the zone; as `to`, the end of
/// that day, so `from=2026-11-01&to=2026-11-30` is all of November) or an RFC 3339 instant.
pub(crate) fn bound(v: &str, zone: &Zone, is_end: bool) -> Option<DateTime<Utc>> {
    if let Ok(d) = NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        let d = if is_end { d.succ_opt()? } else { d };
        return Some(zone.instant(d.and_hms_opt(0, 0, 0)?));
    }
    crate::time::parse(v)
}

fn start_of_day(zone: &Zone, at: DateTime<Utc>) -> DateTime<Utc> {
    zone.instant(
        zone.local(at)
            .date()
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default(),
    )
}

fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "true" | "1" | "yes" => Some(true),
        "false" | "0" | "no" => Some(false),
        _ => None,
    }
}

/// The parameters shared by the stats and the export: `from`, `to`, `tz`, `include_bots`.
struct RangeParams {
    from: Option<String>,
    to: Option<String>,
    zone: Zone,
    include_bots: bool,
}

impl RangeParams {
    fn new(include_bots: bool) -> Self {
        RangeParams {
            from: None,
            to: None,
            zone: Zone::utc(),
            include_bots,
        }
    }

    /// Takes a shared parameter; `false` when `k` is not one of them.
    fn read(&mut self, k: &str, v: &str, resolve: Resolver, errors: &mut Vec<FieldError>) -> bool {
        match k {
            "from" => self.from = Some(v.to_string()),
            "to" => self.to = Some(v.to_string()),
            "tz" => match Zone::parse(v, resolve) {
                Some(z) => self.zone = z,
                None => errors.push(FieldError::new(
                    "tz",
                    "tz must be an IANA time zone (Europe/Berlin) or an offset (+05:30)",
                )),
            },
            "include_bots" => match parse_bool(v) {
                Some(b) => self.include_bots = b,
                None => errors.push(FieldError::new(
                    "include_bots",
                    "include_bots must be true or false",
                )),
            },
            _ => return false,
        }
        true
    }
}

fn range(
    p: RangeParams,
    now: DateTime<Utc>,
    errors: &mut Vec<FieldError>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let zone = &p.zone;
    let to = match p.to.as_deref() {
        None => now,
        Some(v) => bound(v, zone, true).unwrap_or_else(|| {
            errors.push(FieldError::new(
                "to",
                "to must be a date (YYYY-MM-DD) or an RFC 3339 time",
            ));
            now
        }),
    };
    let from = match p.from.as_deref() {
        None => start_of_day(zone, to - Duration::days(DEFAULT_DAYS - 1)),
        Some(v) => bound(v, zone, false).unwrap_or_else(|| {
            errors.push(FieldError::new(
                "from",
                "from must be a date (YYYY-MM-DD) or an RFC 3339 time",
            ));
            to
        }),
    };
    if errors.is_empty() {
        if from >= to {
            errors.push(FieldError::new("from", "from must be before to"));
        } else if to - from > Duration::days(MAX_RANGE_DAYS) {
            errors.push(FieldError::new(
                "from",
                format!("the range may span at most {MAX_RANGE_DAYS} days"),
            ));
        }
    }
    (from, to)
}

/// Parses `?from=&to=&tz=&interval=hour|day&include_bots=&top=` (percent-decoded pairs).
pub fn parse_stats(
    pairs: &[(String, String)],
    now: DateTime<Utc>,
    resolve: Resolver,
) -> Result<StatsQuery, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut p = RangeParams::new(false);
    let mut interval = Interval::Day;
    let mut top = DEFAULT_TOP;
    for (k, v) in pairs {
        if p.read(k, v, resolve, &mut errors) {
            continue;
        }
        match k.as_str() {
            "interval" => match Interval::ALL.into_iter().find(|i| i.name() == v) {
                Some(i) => interval = i,
                None => errors.push(FieldError::new("interval", "interval must be hour or day")),
            },
            "top" => match v.parse::<usize>() {
                Ok(n) if (1..=MAX_TOP).contains(&n) => top = n,
                _ => errors.push(FieldError::new(
                    "top",
                    format!("top must be 1 to {MAX_TOP}"),
                )),
            },
            other => errors.push(FieldError::new(other, "unknown query parameter")),
        }
    }
    let include_bots = p.include_bots;
    let zone = p.zone.clone();
    let (from, to) = range(p, now, &mut errors);
    let q = StatsQuery {
        from,
        to,
        zone,
        interval,
        include_bots,
        top,
    };
    if errors.is_empty() && bucket_count(&q) > MAX_BUCKETS {
        errors.push(FieldError::new(
            "interval",
            format!(
                "the series would have more than {MAX_BUCKETS} points; use interval=day or a shorter range"
            ),
        ));
    }
    if errors.is_empty() {
        Ok(q)
    } else {
        Err(errors)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExportQuery {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub include_bots: bool,
    pub limit: u32,
    /// Continue after this (clicked_at, id).
    pub after: Option<(String, String)>,
}

/// Parses the export's `?from=&to=&tz=&include_bots=&limit=&after=`.
pub fn parse_export(
    pairs: &[(String, String)],
    now: DateTime<Utc>,
    resolve: Resolver,
) -> Result<ExportQuery, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut p = RangeParams::new(true);
    let mut limit = DEFAULT_EXPORT_LIMIT;
    let mut after = None;
    for (k, v) in pairs {
        if p.read(k, v, resolve, &mut errors) {
            continue;
        }
        match k.as_str() {
            "limit" => match v.parse::<u32>() {
                Ok(n) if (1..=MAX_EXPORT_LIMIT).contains(&n) => limit = n,
                _ => errors.push(FieldError::new(
                    "limit",
                    format!("limit must be 1 to {MAX_EXPORT_LIMIT}"),
                )),
            },
            "after" => match decode_after(v) {
                Some(a) => after = Some(a),
                None => errors.push(FieldError::new("after", "after is not a valid cursor")),
            },
            other => errors.push(FieldError::new(other, "unknown query parameter")),
        }
    }
    let include_bots = p.include_bots;
    let (from, to) = range(p, now, &mut errors);
    if errors.is_empty() {
        Ok(ExportQuery {
            from,
            to,
            include_bots,
            limit,
            after,
        })
    } else {
        Err(errors)
    }
}

/// The export's continuation cursor: `{clicked_at}~{id}` (both are URL-safe).
pub fn encode_after(clicked_at: &str, id: &str) -> String {
    format!("{clicked_at}~{id}")
}

fn decode_after(v: &str) -> Option<(String, String)> {
    let (at, id) = v.split_once('~')?;
    crate::time::parse(at)?;
    let id_ok = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    id_ok.then(|| (at.to_string(), id.to_string()))
}

#[cfg(test)]
mod tests;
