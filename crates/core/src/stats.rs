//! The stats API's arithmetic: which time range a query means in the caller's time zone,
//! the buckets of its time series, and how hourly rollups (UTC hours) fall into them. Also
//! the CSV of the raw-click export. No I/O: the store hands over rows, this shapes them.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, Timelike, Utc};
use std::rc::Rc;

use super::problem::FieldError;

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

/// The offset (seconds east of UTC) of a named zone at an instant (ms since the epoch).
/// Named zones come from the runtime's time zone database (`Intl` in the Workers runtime,
/// always current, and nothing to ship in the wasm), passed in as this function.
pub type OffsetFn = Rc<dyn Fn(i64) -> i32>;

/// Finds the offsets of a named zone, or `None` for a name the database does not know.
pub type Resolver<'a> = &'a dyn Fn(&str) -> Option<OffsetFn>;

/// A time zone: an IANA name (daylight saving included) or a fixed offset.
#[derive(Clone)]
pub struct Zone {
    name: String,
    offsets: Offsets,
}

#[derive(Clone)]
enum Offsets {
    Fixed(FixedOffset),
    Named(OffsetFn),
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl std::fmt::Debug for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Zone({})", self.name)
    }
}

impl Zone {
    pub fn utc() -> Zone {
        Zone {
            name: "UTC".into(),
            offsets: Offsets::Fixed(FixedOffset::east_opt(0).expect("0 is a valid offset")),
        }
    }

    /// `Europe/Berlin`, `UTC`, `Z`, `+05:30`, `-08:00`, `+02`.
    pub fn parse(s: &str, resolve: Resolver) -> Option<Zone> {
        let s = s.trim();
        if s == "Z" || s.eq_ignore_ascii_case("utc") {
            return Some(Zone::utc());
        }
        if let Some(rest) = s.strip_prefix('+').or_else(|| s.strip_prefix('-')) {
            let sign = if s.starts_with('-') { -1 } else { 1 };
            let (h, m) = rest.split_once(':').unwrap_or((rest, "0"));
            let (h, m): (i32, i32) = (h.parse().ok()?, m.parse().ok()?);
            if !(0..=14).contains(&h) || !(0..60).contains(&m) || rest.len() > 5 {
                return None;
            }
            let o = FixedOffset::east_opt(sign * (h * 3600 + m * 60))?;
            return Some(Zone {
                name: o.to_string(),
                offsets: Offsets::Fixed(o),
            });
        }
        // IANA names: letters, digits, '/', '_', '-', '+'; at most a few dozen characters.
        let plausible = (1..=64).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'-' | b'+'));
        if !plausible {
            return None;
        }
        resolve(s).map(|f| Zone {
            name: s.to_string(),
            offsets: Offsets::Named(f),
        })
    }

    pub fn name(&self) -> String {
        self.name.clone()
    }

    fn offset(&self, at: DateTime<Utc>) -> FixedOffset {
        match &self.offsets {
            Offsets::Fixed(o) => *o,
            Offsets::Named(f) => FixedOffset::east_opt(f(at.timestamp_millis()))
                .unwrap_or_else(|| FixedOffset::east_opt(0).expect("0 is a valid offset")),
        }
    }

    pub fn local(&self, at: DateTime<Utc>) -> NaiveDateTime {
        at.with_timezone(&self.offset(at)).naive_local()
    }

    /// The instant of a local wall-clock time. When the time occurs twice (clocks going
    /// back) the first; in a gap (clocks going forward) the first instant after the gap.
    pub fn instant(&self, local: NaiveDateTime) -> DateTime<Utc> {
        let naive = local.and_utc();
        let at = |o: FixedOffset| naive - Duration::seconds(i64::from(o.local_minus_utc()));
        // The offsets half a day either side cover any one transition near this time.
        let before = self.offset(naive - Duration::hours(12));
        let after = self.offset(naive + Duration::hours(12));
        let candidates = [at(before), at(after)];
        if let Some(first) = candidates.iter().filter(|t| self.local(**t) == local).min() {
            return *first;
        }
        // A gap: the transition lies between the two candidates; find it to the second.
        let (mut lo, mut hi) = (
            candidates[0].min(candidates[1]),
            candidates[0].max(candidates[1]),
        );
        let target = self.offset(hi);
        while hi - lo > Duration::seconds(1) {
            let mid = lo + (hi - lo) / 2;
            if self.offset(mid) == target {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    }

    /// RFC 3339 with this zone's offset at that instant.
    pub fn format(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&self.offset(at))
            .format("%Y-%m-%dT%H:%M:%S%:z")
            .to_string()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interval {
    Hour,
    Day,
}

impl Interval {
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
fn bound(v: &str, zone: &Zone, is_end: bool) -> Option<DateTime<Utc>> {
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
            "interval" => match v.as_str() {
                "hour" => interval = Interval::Hour,
                "day" => interval = Interval::Day,
                _ => errors.push(FieldError::new("interval", "interval must be hour or day")),
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

/// The rollup key of the UTC hour that contains `at`.
pub fn hour_key(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H").to_string()
}

/// Rollup keys of the range: rows with `from_key <= hour < to_key`. Hours are whole UTC
/// hours, so a bound inside an hour takes that whole hour in.
pub fn hour_keys(q: &StatsQuery) -> (String, String) {
    let end = q.to - Duration::milliseconds(1);
    (hour_key(q.from), hour_key(end + Duration::hours(1)))
}

fn parse_hour_key(key: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(&format!("{key}:00:00"), "%Y-%m-%dT%H:%M:%S")
        .ok()
        .map(|n| n.and_utc())
}

fn bucket_count(q: &StatsQuery) -> i64 {
    match q.interval {
        Interval::Hour => (q.to - q.from).num_hours() + 2,
        Interval::Day => (q.to - q.from).num_days() + 2,
    }
}

/// Bucket starts of the series: local hours or local days in the query's zone, from the one
/// that contains `from` up to `to`.
pub fn buckets(q: &StatsQuery) -> Vec<DateTime<Utc>> {
    let mut out = Vec::new();
    match q.interval {
        Interval::Hour => {
            // Local hour starts; consecutive ones are an hour apart in every real zone
            // (daylight saving moves whole hours, or half hours on Lord Howe Island).
            let l = q.zone.local(q.from);
            let start = l.date().and_hms_opt(l.hour(), 0, 0).unwrap_or(l);
            let mut t = q.zone.instant(start);
            while t < q.to {
                out.push(t);
                t += Duration::hours(1);
            }
        }
        Interval::Day => {
            let mut day = q.zone.local(q.from).date();
            loop {
                let t = q.zone.instant(day.and_hms_opt(0, 0, 0).unwrap_or_default());
                if t >= q.to {
                    break;
                }
                out.push(t);
                match day.succ_opt() {
                    Some(d) => day = d,
                    None => break,
                }
            }
        }
    }
    out
}

/// Counts of one rollup row or one bucket.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub clicks: u64,
    pub bots: u64,
    pub visitors: u64,
}

impl Counts {
    pub fn add(&mut self, o: Counts) {
        self.clicks += o.clicks;
        self.bots += o.bots;
        self.visitors += o.visitors;
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub start: String,
    pub counts: Counts,
}

/// The series: every bucket (empty ones as zeros), each summing the UTC hours that start in
/// it. `rows` are (hour key, counts) of the total rollup.
pub fn series(q: &StatsQuery, rows: &[(String, Counts)]) -> Vec<Point> {
    let starts = buckets(q);
    let mut sums = vec![Counts::default(); starts.len()];
    for (key, counts) in rows {
        let Some(t) = parse_hour_key(key) else {
            continue;
        };
        // The last bucket that starts at or before this hour.
        let i = starts.partition_point(|s| *s <= t);
        if i > 0 {
            sums[i - 1].add(*counts);
        }
    }
    starts
        .iter()
        .zip(sums)
        .map(|(s, counts)| Point {
            start: q.zone.format(*s),
            counts,
        })
        .collect()
}

/// The city breakdown stores country and city in one value.
pub fn city_value(country: Option<&str>, city: &str) -> String {
    format!("{}\t{city}", country.unwrap_or(""))
}

pub fn split_city(value: &str) -> (Option<&str>, &str) {
    match value.split_once('\t') {
        Some(("", city)) => (None, city),
        Some((country, city)) => (Some(country), city),
        None => (None, value),
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Offset, TimeZone};

    /// The runtime's zone database, natively: chrono-tz (a dev-dependency only).
    fn tzdb(name: &str) -> Option<OffsetFn> {
        let tz: chrono_tz::Tz = name.parse().ok()?;
        Some(Rc::new(move |ms| {
            let at = DateTime::from_timestamp_millis(ms).unwrap_or_default();
            tz.offset_from_utc_datetime(&at.naive_utc())
                .fix()
                .local_minus_utc()
        }))
    }

    fn zone(s: &str) -> Option<Zone> {
        Zone::parse(s, &tzdb)
    }

    fn pairs(q: &[(&str, &str)]) -> Vec<(String, String)> {
        q.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn counts(clicks: u64) -> Counts {
        Counts {
            clicks,
            bots: 0,
            visitors: clicks,
        }
    }

    #[test]
    fn zones() {
        assert_eq!(zone("UTC"), Some(Zone::utc()));
        assert_eq!(zone("Europe/Berlin").unwrap().name(), "Europe/Berlin");
        assert_eq!(zone("+05:30").unwrap().name(), "+05:30");
        assert_eq!(zone("-08").unwrap().name(), "-08:00");
        for bad in [
            "Mars/Olympus",
            "+25:00",
            "+05:75",
            "",
            "+1:2:3",
            "+123456",
            "../../etc",
        ] {
            assert_eq!(zone(bad), None, "{bad}");
        }
        let berlin = zone("Europe/Berlin").unwrap();
        assert_eq!(
            berlin.format(at("2026-07-01T10:00:00Z")),
            "2026-07-01T12:00:00+02:00"
        );
        assert_eq!(
            berlin.format(at("2026-01-01T10:00:00Z")),
            "2026-01-01T11:00:00+01:00"
        );
    }

    #[test]
    fn gaps_and_repeated_hours() {
        let berlin = zone("Europe/Berlin").unwrap();
        let local = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        // 02:30 does not exist on 2026-03-29 in Berlin: the first instant after the gap.
        assert_eq!(
            berlin.instant(local("2026-03-29 02:30")),
            at("2026-03-29T01:00:00Z")
        );
        // 02:30 happens twice on 2026-10-25: the first one (still +02:00).
        assert_eq!(
            berlin.instant(local("2026-10-25 02:30")),
            at("2026-10-25T00:30:00Z")
        );
        assert_eq!(
            berlin.instant(local("2026-10-25 00:00")),
            at("2026-10-24T22:00:00Z")
        );
        // A zone whose clocks jump at midnight: the day starts at 01:00.
        let santiago = zone("America/Santiago").unwrap();
        let start = santiago.instant(local("2026-09-06 00:00"));
        assert_eq!(santiago.format(start), "2026-09-06T01:00:00-03:00");
    }

    #[test]
    fn dates_mean_whole_local_days() {
        let now = at("2026-11-25T12:00:00Z");
        let q = parse_stats(
            &pairs(&[
                ("from", "2026-11-01"),
                ("to", "2026-11-02"),
                ("tz", "Europe/Berlin"),
            ]),
            now,
            &tzdb,
        )
        .unwrap();
        assert_eq!(q.from, at("2026-10-31T23:00:00Z"));
        assert_eq!(q.to, at("2026-11-02T23:00:00Z"));
        assert_eq!(
            hour_keys(&q),
            ("2026-10-31T23".into(), "2026-11-02T23".into())
        );
        let q = parse_stats(&pairs(&[]), now, &tzdb).unwrap();
        assert_eq!(q.to, now);
        assert_eq!(
            q.from,
            at("2026-10-27T00:00:00Z"),
            "30 days including today"
        );
    }

    #[test]
    fn bad_parameters_are_named() {
        let now = at("2026-11-25T12:00:00Z");
        let err = |q: &[(&str, &str)]| {
            parse_stats(&pairs(q), now, &tzdb).unwrap_err()[0]
                .field
                .clone()
        };
        assert_eq!(err(&[("from", "yesterday")]), "from");
        assert_eq!(err(&[("to", "2026-13-01")]), "to");
        assert_eq!(err(&[("from", "2026-11-20"), ("to", "2026-11-10")]), "from");
        assert_eq!(err(&[("tz", "Nowhere/Else")]), "tz");
        assert_eq!(err(&[("interval", "week")]), "interval");
        assert_eq!(err(&[("top", "0")]), "top");
        assert_eq!(err(&[("include_bots", "maybe")]), "include_bots");
        assert_eq!(err(&[("colour", "red")]), "colour");
        assert_eq!(err(&[("from", "2000-01-01")]), "from", "too wide");
        assert_eq!(
            err(&[("from", "2026-01-01"), ("interval", "hour")]),
            "interval",
            "too many points"
        );
    }

    #[test]
    fn day_series_in_a_zone_across_midnight() {
        // Two clicks at 22:30 and 23:30 UTC on Nov 1st: Nov 1st in UTC, Nov 1st and 2nd
        // in Berlin (UTC+1), and Nov 2nd in Tokyo (UTC+9).
        let rows = vec![
            ("2026-11-01T22".to_string(), counts(1)),
            ("2026-11-01T23".to_string(), counts(1)),
        ];
        let run = |tz: &str| {
            let q = parse_stats(
                &pairs(&[("from", "2026-11-01"), ("to", "2026-11-02"), ("tz", tz)]),
                at("2026-11-25T00:00:00Z"),
                &tzdb,
            )
            .unwrap();
            series(&q, &rows)
                .into_iter()
                .map(|p| (p.start, p.counts.clicks))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            run("UTC"),
            [
                ("2026-11-01T00:00:00+00:00".to_string(), 2),
                ("2026-11-02T00:00:00+00:00".to_string(), 0)
            ]
        );
        assert_eq!(
            run("Europe/Berlin"),
            [
                ("2026-11-01T00:00:00+01:00".to_string(), 1),
                ("2026-11-02T00:00:00+01:00".to_string(), 1)
            ]
        );
        // In Tokyo the rows fall on Nov 2nd; Nov 1st local starts at 15:00 UTC on Oct 31st
        // and ends before the first row.
        assert_eq!(
            run("Asia/Tokyo"),
            [
                ("2026-11-01T00:00:00+09:00".to_string(), 0),
                ("2026-11-02T00:00:00+09:00".to_string(), 2)
            ]
        );
    }

    #[test]
    fn daylight_saving_days_have_23_and_25_hours() {
        let q = parse_stats(
            &pairs(&[
                ("from", "2026-03-29"),
                ("to", "2026-03-29"),
                ("tz", "Europe/Berlin"),
                ("interval", "hour"),
            ]),
            at("2026-11-25T00:00:00Z"),
            &tzdb,
        )
        .unwrap();
        assert_eq!(buckets(&q).len(), 23);
        assert_eq!(series(&q, &[])[2].start, "2026-03-29T03:00:00+02:00");
        let q = StatsQuery {
            from: at("2026-10-24T22:00:00Z"),
            to: at("2026-10-25T23:00:00Z"),
            ..q
        };
        assert_eq!(buckets(&q).len(), 25);
        let q = StatsQuery {
            interval: Interval::Day,
            ..q
        };
        assert_eq!(buckets(&q).len(), 1);
    }

    #[test]
    fn hour_series_and_partial_bounds() {
        let q = parse_stats(
            &pairs(&[
                ("from", "2026-11-01T10:30:00Z"),
                ("to", "2026-11-01T12:15:00Z"),
                ("interval", "hour"),
            ]),
            at("2026-11-25T00:00:00Z"),
            &tzdb,
        )
        .unwrap();
        assert_eq!(
            hour_keys(&q),
            ("2026-11-01T10".into(), "2026-11-01T13".into())
        );
        let rows = vec![
            ("2026-11-01T10".to_string(), counts(3)),
            ("2026-11-01T12".to_string(), counts(4)),
        ];
        let s = series(&q, &rows);
        assert_eq!(
            s.iter().map(|p| p.counts.clicks).collect::<Vec<_>>(),
            [3, 0, 4]
        );
    }

    #[test]
    fn export_parameters_and_cursor() {
        let now = at("2026-11-25T12:00:00Z");
        let q = parse_export(&pairs(&[("limit", "5")]), now, &tzdb).unwrap();
        assert_eq!(q.limit, 5);
        assert!(q.include_bots);
        let c = encode_after("2026-11-01T10:00:00.000Z", "abc");
        let q = parse_export(&pairs(&[("after", &c)]), now, &tzdb).unwrap();
        assert_eq!(
            q.after,
            Some(("2026-11-01T10:00:00.000Z".into(), "abc".into()))
        );
        assert!(parse_export(&pairs(&[("after", "x~y")]), now, &tzdb).is_err());
        assert!(parse_export(&pairs(&[("limit", "1000001")]), now, &tzdb).is_err());
    }

    #[test]
    fn csv_escapes_and_defuses_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("+1"), "'+1");
        assert_eq!(csv_line(&["a", "b\nc"]), "a,\"b\nc\"\r\n");
        assert_eq!(
            split_city(&city_value(Some("DE"), "Berlin")),
            (Some("DE"), "Berlin")
        );
        assert_eq!(split_city(&city_value(None, "X")), (None, "X"));
    }
}
