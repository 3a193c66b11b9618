//! The redirect limiter's state machine for one client in one isolate. Redirects never wait
//! for the limiter object: an isolate decides from what it knows and reports its admissions
//! every `sync_every`, after the response; the object's answer teaches it the client's count
//! over all isolates. The worker keeps one `Client` per address (`handlers::limits`) and does
//! the I/O; the rules are here, tested natively.
//!
//! Over-admission: once an isolate has heard from the object it counts everything it admits
//! and refuses at the limit, so with one isolate the limit is then exact. What it cannot see
//! are other isolates' admissions not yet reported: at most `sync_every - 1` per other
//! isolate, plus whatever they admit during one report round trip. A fresh isolate likewise
//! admits up to `sync_every` before it hears the global count.

use crate::ratelimit::Outcome;

/// How long an isolate admits everything after a failed report (the object is unreachable:
/// redirects fail open), before it reports again.
pub const DEGRADED_MS: u64 = 10_000;

/// What this isolate knows about one client's redirects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Client {
    /// Admitted here and not yet reported to the limiter object.
    pub unsynced: u32,
    /// The object's count at its last answer (all isolates), valid until `known_until`
    /// (0: this isolate has not heard from the object about this client).
    pub known_used: u32,
    pub known_until: u64,
    /// Refused until then (the object said the quota is used up).
    pub blocked_until: u64,
    /// Reports under way.
    pub syncing: u32,
    /// The last report failed: everything is admitted until then.
    pub degraded_until: u64,
}

/// The decision on one redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Admitted; `report`: this many admissions are to be reported to the object now.
    Admit {
        report: Option<u32>,
    },
    Refuse,
}

impl Client {
    /// One redirect of this client at `now`, under `limit` per window.
    pub fn admit(&mut self, now: u64, limit: u32, sync_every: u32) -> Admission {
        if self.degraded_until > now {
            return Admission::Admit { report: None }; // limiter unreachable: fail open
        }
        if self.known_until <= now {
            self.known_used = 0;
            self.known_until = 0;
        }
        // Refuse only on the object's word: its "full" answer, or its count plus what this
        // isolate admitted since. Before the first answer, admit (and report soon).
        let full = self.blocked_until > now || (self.known_until > 0 && self.used() >= limit);
        if full {
            return Admission::Refuse;
        }
        self.unsynced += 1;
        // Report every `sync_every` admissions, never per request: a visitor who clicks once
        // (most of them) costs no Durable Object call at all. More than one report may be
        // under way when the object is slow.
        if self.unsynced < sync_every {
            return Admission::Admit { report: None };
        }
        let n = self.unsynced;
        self.syncing += 1;
        self.unsynced = 0;
        self.known_used += n;
        Admission::Admit { report: Some(n) }
    }

    /// What a report's answer teaches (`None`: the object could not be reached). The
    /// object answers whether one more redirect would be admitted now, over all isolates.
    pub fn learn(&mut self, now: u64, answer: Option<Outcome>) {
        self.syncing = self.syncing.saturating_sub(1);
        match answer {
            Some(a) => {
                self.degraded_until = 0;
                self.known_until = now + a.reset_ms.max(1);
                if a.allowed {
                    self.known_used = a.limit - a.remaining - 1;
                } else {
                    self.known_used = a.limit;
                    self.blocked_until = now + a.retry_after_ms;
                }
            }
            None => self.degraded_until = now + DEGRADED_MS,
        }
    }

    /// Redirects of this client the window holds, as far as this isolate knows.
    pub fn used(&self) -> u32 {
        self.known_used + self.unsynced
    }

    /// After a refusal: when to try again (at least a second).
    pub fn retry_ms(&self, now: u64) -> u64 {
        self.blocked_until
            .saturating_sub(now)
            .max(self.known_until.saturating_sub(now))
            .max(1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: u32 = 5;
    const SYNC: u32 = 3;

    fn answer(allowed: bool, remaining: u32) -> Outcome {
        Outcome {
            allowed,
            limit: LIMIT,
            remaining,
            reset_ms: 60_000,
            retry_after_ms: if allowed { 0 } else { 30_000 },
        }
    }

    #[test]
    fn reports_every_sync_every_admissions_and_admits_until_it_hears_from_the_object() {
        let mut c = Client::default();
        let decisions: Vec<Admission> = (0..7).map(|_| c.admit(1_000, LIMIT, SYNC)).collect();
        let reports: Vec<Option<u32>> = decisions
            .iter()
            .map(|d| match d {
                Admission::Admit { report } => *report,
                Admission::Refuse => panic!("refused before the object answered"),
            })
            .collect();
        assert_eq!(
            reports,
            vec![None, None, Some(3), None, None, Some(3), None]
        );
        // Two reports under way, one admission not yet reported.
        assert_eq!((c.syncing, c.unsynced), (2, 1));
    }

    #[test]
    fn refuses_at_the_limit_once_the_object_has_answered() {
        let mut c = Client::default();
        for _ in 0..SYNC {
            c.admit(0, LIMIT, SYNC);
        }
        // The object's answer: 3 of 5 used over all isolates (its `remaining` counts the one
        // more it was asked about).
        c.learn(10, Some(answer(true, 1)));
        assert_eq!(c.used(), 3);
        assert_eq!(c.admit(20, LIMIT, SYNC), Admission::Admit { report: None });
        assert_eq!(c.admit(30, LIMIT, SYNC), Admission::Admit { report: None });
        assert_eq!(c.admit(40, LIMIT, SYNC), Admission::Refuse);
        assert_eq!(c.used(), LIMIT);
        // The window the object stated ends: the count is forgotten, admission resumes.
        assert!(matches!(
            c.admit(10 + 60_000, LIMIT, SYNC),
            Admission::Admit { .. }
        ));
    }

    #[test]
    fn the_objects_full_answer_blocks_until_its_retry_time() {
        let mut c = Client::default();
        c.learn(0, Some(answer(false, 0)));
        assert_eq!(c.admit(1, LIMIT, SYNC), Admission::Refuse);
        assert_eq!(c.retry_ms(1), 60_000 - 1);
        assert_eq!(c.admit(30_001, LIMIT, SYNC), Admission::Refuse); // still in the window
        assert!(matches!(
            c.admit(60_001, LIMIT, SYNC),
            Admission::Admit { .. }
        ));
    }

    #[test]
    fn an_unreachable_object_fails_open_for_a_while_then_is_asked_again() {
        let mut c = Client::default();
        c.learn(0, Some(answer(false, 0)));
        c.learn(5, None);
        // Degraded: admitted, and no report is made meanwhile.
        for t in 6..20 {
            assert_eq!(c.admit(t, LIMIT, SYNC), Admission::Admit { report: None });
        }
        assert_eq!(c.degraded_until, 5 + DEGRADED_MS);
        // After that the object's last word holds again (its window is not over).
        assert_eq!(c.admit(5 + DEGRADED_MS, LIMIT, SYNC), Admission::Refuse);
    }

    #[test]
    fn retry_is_at_least_a_second() {
        assert_eq!(Client::default().retry_ms(0), 1000);
    }
}
