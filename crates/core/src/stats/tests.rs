//! Unit tests of `stats`.

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
