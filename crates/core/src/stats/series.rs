//! Time series: the UTC hour keys of the rollups, the buckets of a range in the
//! caller's zone, and how hourly counts fall into them; the city value of the rollups.

use super::*;

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

pub(super) fn bucket_count(q: &StatsQuery) -> i64 {
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
