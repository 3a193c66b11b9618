//! The totals of a limiter object's log, kept between checks (see `LogTotals`).

/// A limiter object's totals of its log, kept in the object's memory between checks: an
/// admission then reads only the rows that left the window (found by an index on time), not
/// the whole window. A service client's limit can be thousands, and so can its log; summing
/// it on every request made each check cost in proportion to the limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogTotals {
    /// The window they were counted for: a check with another window counts again.
    pub window_ms: u64,
    /// The sum of the live counts.
    pub used: u64,
    /// The latest live time.
    pub newest: Option<u64>,
}

impl LogTotals {
    /// After rows counting `expired` left the window. They are the oldest, so the newest
    /// stays unless none is left.
    pub fn expire(self, expired: u64) -> Self {
        let used = self.used.saturating_sub(expired);
        Self {
            used,
            newest: if used == 0 { None } else { self.newest },
            ..self
        }
    }

    /// After an admission of `cost` at `now` (a check of cost 0 writes nothing).
    pub fn admit(self, now: u64, cost: u32) -> Self {
        if cost == 0 {
            return self;
        }
        Self {
            used: self.used.saturating_add(u64::from(cost)),
            newest: Some(self.newest.map_or(now, |t| t.max(now))),
            ..self
        }
    }

    /// `used` as `admit_from_totals` takes it.
    pub fn used_u32(&self) -> u32 {
        u32::try_from(self.used).unwrap_or(u32::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{admit_from_totals, decide, Policy};
    use super::*;

    /// The running totals agree with `decide` over the rows they stand for, through
    /// admissions, refusals and expiries, whatever the order of events.
    #[test]
    fn running_totals_decide_as_the_whole_log_does() {
        let policy = Policy {
            limit: 5,
            window_ms: 1000,
        };
        let mut rows: Vec<(u64, u32)> = Vec::new();
        let mut totals = LogTotals {
            window_ms: 1000,
            used: 0,
            newest: None,
        };
        let mut admitted = 0;
        // Irregular arrivals: bursts, gaps longer than the window, costs of 0 to 2.
        let mut now = 10_000u64;
        for i in 0..400u64 {
            now += [1, 3, 0, 250, 7, 1200, 40, 2][(i % 8) as usize];
            let cost = (i % 3) as u32;
            let cutoff = now - policy.window_ms;
            let expired: u64 = rows
                .iter()
                .filter(|(t, _)| *t <= cutoff)
                .map(|(_, n)| u64::from(*n))
                .sum();
            rows.retain(|(t, _)| *t > cutoff);
            totals = totals.expire(expired);
            let whole = decide(&rows, now, policy, cost);
            let fast = admit_from_totals(totals.used_u32(), totals.newest, now, policy, cost);
            assert_eq!(fast.is_some(), whole.allowed, "step {i}");
            if let Some(o) = fast {
                assert_eq!(o, whole, "step {i}");
                admitted += 1;
                if cost > 0 {
                    rows.push((now, cost));
                }
                totals = totals.admit(now, cost);
            }
            let used: u64 = rows.iter().map(|(_, n)| u64::from(*n)).sum();
            assert_eq!(totals.used, used, "step {i}");
            assert_eq!(
                totals.newest,
                rows.iter().map(|(t, _)| *t).max(),
                "step {i}"
            );
        }
        assert!(admitted > 100 && admitted < 400, "some refused: {admitted}");
    }
}
