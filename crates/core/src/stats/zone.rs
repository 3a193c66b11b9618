//! Time zones of the stats API: a fixed offset (`+02:00`) or an IANA zone whose offsets
//! the runtime supplies (`Resolver`), and local midnights in them.

use super::*;

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
        let plausible = (1..=super::MAX_ZONE_NAME).contains(&s.len())
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
