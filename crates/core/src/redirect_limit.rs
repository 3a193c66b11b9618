//! The redirect limiter's rules. Redirects never wait for the limiter object: an isolate
//! decides from what it knows, and reports a client's admissions every `sync_every`; the
//! reports of all its clients are gathered and sent after the response, at most once per
//! report interval, as one call per shard object (`shard_of`) carrying many clients. The
//! shard's answer teaches the isolate each client's count over all isolates. The worker
//! keeps one `Client` per address (`handlers::limits`) and does the I/O; the rules are here,
//! tested natively.
//!
//! Over-admission: an isolate refuses at the limit by its own count (its admissions within
//! its own window) and, once it has heard from the shard, by the count of all isolates. What
//! it cannot see are other isolates' admissions not yet reported: at most `sync_every - 1`
//! per other isolate, plus what they admit while a report waits for its batch (one report
//! interval) and its round trip.

use std::collections::HashMap;

use crate::ratelimit::{decide, Outcome, Policy};

/// How long an isolate sets the object's word aside after a failed report (the object is
/// unreachable: redirects fail open, by the isolate's own count only), before it reports
/// again.
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
    /// The last report failed: until then only this isolate's own count refuses.
    pub degraded_until: u64,
    /// Admitted by this isolate in its own window, which ends at `local_until`: the isolate
    /// refuses at the limit by this count alone, before the object's first answer arrives.
    pub local: u32,
    pub local_until: u64,
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
    /// One redirect of this client at `now`, under `policy`.
    pub fn admit(&mut self, now: u64, policy: Policy, sync_every: u32) -> Admission {
        if self.local_until <= now {
            self.local = 0;
            self.local_until = now + policy.window_ms;
        }
        // The object could not be reached lately: its word is set aside (redirects fail
        // open), but this isolate's own count still holds.
        let degraded = self.degraded_until > now;
        if !degraded && self.known_until <= now {
            self.known_used = 0;
            self.known_until = 0;
        }
        // The object's "full" answer, or the count `used` knows (the object's plus what this
        // isolate admitted since, or this isolate's own): before the object's first answer,
        // a flood into one isolate stops at the limit all the same.
        if (!degraded && self.blocked_until > now) || self.used(now) >= policy.limit {
            return Admission::Refuse;
        }
        self.local += 1;
        if degraded {
            return Admission::Admit { report: None }; // and no report until it is over
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

    /// Redirects of this client the window holds, as far as this isolate knows: the
    /// object's count and what was admitted since, or this isolate's own, whichever is more.
    /// While the object is unreachable, only this isolate's own count.
    pub fn used(&self, now: u64) -> u32 {
        if self.degraded_until > now {
            self.local
        } else {
            (self.known_used + self.unsynced).max(self.local)
        }
    }

    /// After a refusal: when to try again (at least a second).
    pub fn retry_ms(&self, now: u64) -> u64 {
        let own = if self.local_until > now && self.known_until <= now {
            self.local_until - now
        } else {
            0
        };
        self.blocked_until
            .saturating_sub(now)
            .max(self.known_until.saturating_sub(now))
            .max(own)
            .max(1000)
    }
}

/// Which of `shards` objects holds the redirect counts of the client whose limiter key is
/// `key` (`ratelimit::limiter_name`: the scope, a colon, a hex digest): the digest's first
/// 32 bits, so clients spread evenly and a client always lands on the same shard.
pub fn shard_of(key: &str, shards: u32) -> u32 {
    let digest = key.rsplit(':').next().unwrap_or_default();
    let head = u32::from_str_radix(digest.get(..8).unwrap_or("0"), 16).unwrap_or(0);
    head % shards.max(1)
}

/// The name of a shard object of the redirect scope (never a client's: its clients are in
/// its storage, by key).
pub fn shard_name(shard: u32) -> String {
    format!("redirect-shard:{shard}")
}

/// A shard's answer to a batch of reports, one outcome per report in order: whether one
/// more redirect of that client would be admitted now, over all isolates. `hits`: the
/// shard's (client key, time, count) rows of these clients, the batch's own included.
pub fn answer_reports(
    hits: &[(String, u64, u32)],
    clients: &[&str],
    now: u64,
    policy: Policy,
) -> Vec<Outcome> {
    let mut by_client: HashMap<&str, Vec<(u64, u32)>> = HashMap::new();
    for (client, ts, n) in hits {
        by_client.entry(client).or_default().push((*ts, *n));
    }
    clients
        .iter()
        .map(|c| {
            decide(
                by_client.get(c).map_or(&[][..], Vec::as_slice),
                now,
                policy,
                1,
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: u32 = 5;
    const SYNC: u32 = 3;
    const P: Policy = Policy {
        limit: LIMIT,
        window_ms: 60_000,
    };

    impl Client {
        fn admit_at(&mut self, now: u64, limit: u32, sync_every: u32) -> Admission {
            let window_ms = P.window_ms;
            self.admit(now, Policy { limit, window_ms }, sync_every)
        }
    }

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
        let decisions: Vec<Admission> = (0..7).map(|_| c.admit_at(1_000, 100, SYNC)).collect();
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
            c.admit_at(0, LIMIT, SYNC);
        }
        // The object's answer: 3 of 5 used over all isolates (its `remaining` counts the one
        // more it was asked about).
        c.learn(10, Some(answer(true, 1)));
        assert_eq!(c.used(0), 3);
        assert_eq!(
            c.admit_at(20, LIMIT, SYNC),
            Admission::Admit { report: None }
        );
        assert_eq!(
            c.admit_at(30, LIMIT, SYNC),
            Admission::Admit { report: None }
        );
        assert_eq!(c.admit_at(40, LIMIT, SYNC), Admission::Refuse);
        assert_eq!(c.used(0), LIMIT);
        // The window the object stated ends: the count is forgotten, admission resumes.
        assert!(matches!(
            c.admit_at(10 + 60_000, LIMIT, SYNC),
            Admission::Admit { .. }
        ));
    }

    #[test]
    fn the_objects_full_answer_blocks_until_its_retry_time() {
        let mut c = Client::default();
        c.learn(0, Some(answer(false, 0)));
        assert_eq!(c.admit_at(1, LIMIT, SYNC), Admission::Refuse);
        assert_eq!(c.retry_ms(1), 60_000 - 1);
        assert_eq!(c.admit_at(30_001, LIMIT, SYNC), Admission::Refuse); // still in the window
        assert!(matches!(
            c.admit_at(60_001, LIMIT, SYNC),
            Admission::Admit { .. }
        ));
    }

    #[test]
    fn an_unreachable_object_fails_open_for_a_while_then_is_asked_again() {
        let mut c = Client::default();
        c.learn(0, Some(answer(false, 0)));
        c.learn(5, None);
        // Degraded: the object's "full" is set aside and no report is made meanwhile; the
        // isolate's own count still stops a flood at the limit.
        for t in 6..6 + u64::from(LIMIT) {
            assert_eq!(
                c.admit_at(t, LIMIT, SYNC),
                Admission::Admit { report: None }
            );
        }
        assert_eq!(c.used(19), LIMIT, "its own count, not the object's word");
        assert_eq!(c.admit_at(20, LIMIT, SYNC), Admission::Refuse);
        assert_eq!(c.degraded_until, 5 + DEGRADED_MS);
        // After that the object's last word holds again (its window is not over).
        let mut fresh = Client::default();
        fresh.learn(0, Some(answer(false, 0)));
        fresh.learn(5, None);
        assert!(matches!(
            fresh.admit_at(6, LIMIT, SYNC),
            Admission::Admit { .. }
        ));
        assert_eq!(
            fresh.admit_at(5 + DEGRADED_MS, LIMIT, SYNC),
            Admission::Refuse
        );
    }

    #[test]
    fn retry_is_at_least_a_second() {
        assert_eq!(Client::default().retry_ms(0), 1000);
    }

    #[test]
    fn refuses_at_the_limit_by_its_own_count_before_any_answer() {
        let mut c = Client::default();
        let admitted = (0..8)
            .filter(|i| c.admit_at(100 + i, LIMIT, SYNC) != Admission::Refuse)
            .count();
        assert_eq!(
            admitted, LIMIT as usize,
            "a flood into one isolate stops at the limit"
        );
        // Its own window started at the first admission: retry when it ends.
        assert_eq!(c.retry_ms(200), 100 + 60_000 - 200);
        assert!(matches!(
            c.admit_at(100 + 60_000, LIMIT, SYNC),
            Admission::Admit { .. }
        ));
    }

    #[test]
    fn clients_spread_over_the_shards_and_each_stays_on_its_own() {
        use crate::ratelimit::{limiter_name, Scope};
        let shards = 16;
        let mut seen = vec![0u32; shards as usize];
        for i in 0..1_000 {
            let key = limiter_name(Scope::Redirect, &format!("198.18.{}.{}", i / 250, i % 250));
            let shard = shard_of(&key, shards);
            assert_eq!(shard, shard_of(&key, shards));
            seen[shard as usize] += 1;
        }
        // 1,000 clients over 16 shards: each holds some, none more than twice its share.
        assert!(
            seen.iter().all(|&n| n > 0 && n < 2 * 1_000 / 16),
            "{seen:?}"
        );
        assert_eq!(shard_of("redirect:ffffffff00", 1), 0);
        assert_eq!(
            shard_of("not a key", 7),
            0,
            "a malformed key still has a shard"
        );
        assert_eq!(shard_name(3), "redirect-shard:3");
    }

    #[test]
    fn a_batch_is_answered_per_report_from_each_clients_own_hits() {
        let hits = vec![
            ("a".to_string(), 61_000, 3),
            ("b".to_string(), 61_000, 5),
            ("a".to_string(), 62_000, 1),
            ("b".to_string(), 2_000, 100), // out of the window
        ];
        let answers = answer_reports(&hits, &["a", "b", "a", "new"], 62_000, P);
        let remaining: Vec<(bool, u32)> =
            answers.iter().map(|o| (o.allowed, o.remaining)).collect();
        // a: 4 of 5 used, one more would take the last; b: full; a again; an unknown client
        // has all of them.
        assert_eq!(
            remaining,
            vec![(true, 0), (false, 0), (true, 0), (true, LIMIT - 1)]
        );
        assert_eq!(answers[1].retry_after_ms, 61_000 + 60_000 - 62_000);
    }
}
