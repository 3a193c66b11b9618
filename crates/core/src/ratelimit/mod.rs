//! Rate-limit arithmetic: a sliding-window log. Each limiter (one per scope and client)
//! keeps the times of its admitted requests within the window; a request is admitted while
//! fewer than `limit` lie within the last `window`.
//!
//! Why a sliding log and not GCRA or a fixed window: "100 per 15 minutes" then means exactly
//! that for *every* 15-minute span. GCRA admits up to 2L-1 in some spans of length W (a full
//! burst, then one per W/L), and a fixed window up to 2L across a boundary. The log costs at
//! most `limit` rows per client, which a Durable Object's SQLite holds easily, and a check
//! reads only the rows leaving the window (`LogTotals`), whatever the limit. Rows carry a
//! count, so the redirect scope can report several admissions at once.

use sha2::{Digest, Sha256};

mod log_totals;
pub use log_totals::LogTotals;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Api,
    Create,
    Password,
    Redirect,
    /// Abuse reports (`POST /abuse/report`), per client network.
    Report,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Api => "api",
            Scope::Create => "create",
            Scope::Password => "password",
            Scope::Redirect => "redirect",
            Scope::Report => "report",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub limit: u32,
    pub window_ms: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Outcome {
    pub allowed: bool,
    pub limit: u32,
    /// Requests left in the window after this one.
    pub remaining: u32,
    /// Milliseconds until the window holds no admitted request of now (the quota is full again).
    pub reset_ms: u64,
    /// When denied: milliseconds until one request would be admitted.
    pub retry_after_ms: u64,
}

/// `hits`: (time, count) of admitted requests, any order; `cost`: how many this request takes.
pub fn decide(hits: &[(u64, u32)], now: u64, policy: Policy, cost: u32) -> Outcome {
    // Live: admitted within (now - window, now].
    let mut live: Vec<(u64, u32)> = hits
        .iter()
        .copied()
        .filter(|(t, _)| t + policy.window_ms > now)
        .collect();
    live.sort_unstable();
    let used: u32 = live.iter().map(|(_, n)| *n).sum();
    let newest = live.last().map(|(t, _)| *t);
    if let Some(admitted) = admit_from_totals(used, newest, now, policy, cost) {
        return admitted;
    }
    let reset_at = newest.map_or(now, |t| t + policy.window_ms).max(now);
    // Denied: find when enough of the oldest admissions leave the window.
    let mut freed = 0u32;
    let mut retry_at = now + policy.window_ms;
    for (t, n) in &live {
        freed += n;
        if used - freed + cost <= policy.limit {
            retry_at = t + policy.window_ms;
            break;
        }
    }
    Outcome {
        allowed: false,
        limit: policy.limit,
        remaining: 0,
        reset_ms: reset_at - now,
        retry_after_ms: retry_at.saturating_sub(now).max(1),
    }
}

/// `decide` for a request that is admitted, from the window's totals alone: `used`, the sum
/// of the live counts, and `newest`, the latest live time. `None`: refused, and the retry
/// time needs the times themselves (`decide` over the rows). An admission, nearly every
/// check, then reads one row of totals instead of up to `limit` rows.
pub fn admit_from_totals(
    used: u32,
    newest: Option<u64>,
    now: u64,
    policy: Policy,
    cost: u32,
) -> Option<Outcome> {
    if used.saturating_add(cost) > policy.limit {
        return None;
    }
    let reset_at = if cost > 0 {
        now + policy.window_ms
    } else {
        newest.map_or(now, |t| t + policy.window_ms).max(now)
    };
    Some(Outcome {
        allowed: true,
        limit: policy.limit,
        remaining: policy.limit - used - cost,
        reset_ms: reset_at - now,
        retry_after_ms: 0,
    })
}

/// The limiter's name for a client in a scope: a hash, so no Durable Object name (and no
/// log line) ever holds a raw IP address or key.
pub fn limiter_name(scope: Scope, client: &str) -> String {
    let digest = Sha256::digest(format!("{}\u{0}{client}", scope.name()).as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("{}:{hex}", scope.name())
}

fn secs_ceil(ms: u64) -> u64 {
    ms.div_ceil(1000)
}

/// Whether a response of an approximate, high-volume scope (redirects) should carry the
/// limit's headers: refused, or the client has used at least half its quota. The IETF
/// draft lets a server leave them out ("an implementer concerned with performance might
/// provide RateLimit header fields only when a given quota is going to expire"); a
/// visitor far from its limit, nearly every one, gets no seven extra headers. The exact
/// scopes (API, creation, passwords) always send them.
pub fn near_limit(o: &Outcome) -> bool {
    !o.allowed || o.remaining <= o.limit / 2
}

/// The headers of a limited response: the IETF `RateLimit-*` fields and the `X-RateLimit-*`
/// ones uLoad's clients read (reset as a Unix time there, as they expect), plus
/// `Retry-After` when denied.
pub fn headers(o: &Outcome, policy: Policy, now_ms: u64) -> Vec<(&'static str, String)> {
    let reset = secs_ceil(o.reset_ms);
    let mut h = vec![
        ("ratelimit-limit", o.limit.to_string()),
        ("ratelimit-remaining", o.remaining.to_string()),
        ("ratelimit-reset", reset.to_string()),
        (
            "ratelimit-policy",
            format!("{};w={}", o.limit, secs_ceil(policy.window_ms)),
        ),
        ("x-ratelimit-limit", o.limit.to_string()),
        ("x-ratelimit-remaining", o.remaining.to_string()),
        (
            "x-ratelimit-reset",
            secs_ceil(now_ms + o.reset_ms).to_string(),
        ),
    ];
    if !o.allowed {
        h.push(("retry-after", secs_ceil(o.retry_after_ms).to_string()));
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Policy = Policy {
        limit: 3,
        window_ms: 1000,
    };

    #[test]
    fn admits_up_to_the_limit_then_denies() {
        let mut hits = Vec::new();
        for i in 0..3 {
            let o = decide(&hits, 100, P, 1);
            assert!(o.allowed);
            assert_eq!(o.remaining, 2 - i);
            hits.push((100, 1));
        }
        let o = decide(&hits, 100, P, 1);
        assert!(!o.allowed);
        assert_eq!(o.remaining, 0);
        assert_eq!(o.retry_after_ms, 1000);
    }

    #[test]
    fn the_window_slides() {
        let hits = vec![(0, 1), (400, 1), (800, 1)];
        assert!(!decide(&hits, 999, P, 1).allowed);
        // At 1000 the hit at 0 has left the window (it covers (now - 1000, now]).
        let o = decide(&hits, 1000, P, 1);
        assert!(o.allowed);
        assert_eq!(o.remaining, 0);
        let o = decide(&hits, 999, P, 1);
        assert_eq!(o.retry_after_ms, 1);
    }

    #[test]
    fn retry_after_accounts_for_counts_and_cost() {
        let hits = vec![(0, 2), (500, 1)];
        let o = decide(&hits, 600, P, 2);
        assert!(!o.allowed);
        assert_eq!(o.retry_after_ms, 400, "the two at 0 must leave");
        assert_eq!(o.reset_ms, 900);
    }

    #[test]
    fn never_more_than_the_limit_in_any_window() {
        // Requests every 10 ms for 5 s: in any 1 s span at most 3 admitted.
        let mut hits: Vec<(u64, u32)> = Vec::new();
        for t in (0..5000).step_by(10) {
            if decide(&hits, t, P, 1).allowed {
                hits.push((t, 1));
            }
        }
        for (i, (t, _)) in hits.iter().enumerate() {
            let in_span = hits[i..].iter().filter(|(u, _)| *u < t + 1000).count();
            assert!(in_span <= 3, "{in_span} admitted in [{t}, {})", t + 1000);
        }
        assert_eq!(hits.len(), 15);
    }

    #[test]
    fn names_hide_the_client() {
        let n = limiter_name(Scope::Redirect, "203.0.113.9");
        assert!(n.starts_with("redirect:") && !n.contains("203.0.113.9"));
        assert_ne!(n, limiter_name(Scope::Api, "203.0.113.9"));
        assert_eq!(n, limiter_name(Scope::Redirect, "203.0.113.9"));
    }

    #[test]
    fn totals_admit_exactly_as_the_rows_do() {
        // Every small log, every cost: where `decide` admits, the totals give the same
        // outcome; where it refuses, the totals say so (and leave the retry to the rows).
        let times = [0u64, 100, 400, 999, 1_000];
        for mask in 0u32..(1 << times.len()) {
            let hits: Vec<(u64, u32)> = times
                .iter()
                .enumerate()
                .filter(|(i, _)| mask & (1 << i) != 0)
                .map(|(i, t)| (*t, (i as u32 % 2) + 1))
                .collect();
            let now = 1_050;
            let live: Vec<&(u64, u32)> =
                hits.iter().filter(|(t, _)| t + P.window_ms > now).collect();
            let used: u32 = live.iter().map(|(_, n)| n).sum();
            let newest = live.iter().map(|(t, _)| *t).max();
            for cost in 0..=3 {
                let rows = decide(&hits, now, P, cost);
                match admit_from_totals(used, newest, now, P, cost) {
                    Some(o) => assert_eq!(o, rows, "{hits:?} cost {cost}"),
                    None => assert!(!rows.allowed, "{hits:?} cost {cost}"),
                }
            }
        }
    }

    #[test]
    fn near_the_limit_from_half_the_quota_on_and_when_refused() {
        let o = |allowed, remaining| Outcome {
            allowed,
            limit: 300,
            remaining,
            reset_ms: 60_000,
            retry_after_ms: 0,
        };
        assert!(!near_limit(&o(true, 299)));
        assert!(!near_limit(&o(true, 151)));
        assert!(near_limit(&o(true, 150)));
        assert!(near_limit(&o(true, 0)));
        assert!(near_limit(&o(false, 0)));
        let one = Outcome {
            limit: 1,
            ..o(true, 0)
        };
        assert!(
            near_limit(&one),
            "a limit of one: its only admission is at the limit"
        );
    }

    #[test]
    fn headers_for_admitted_and_denied() {
        let o = decide(
            &[],
            5_000,
            Policy {
                limit: 100,
                window_ms: 900_000,
            },
            1,
        );
        let h = headers(
            &o,
            Policy {
                limit: 100,
                window_ms: 900_000,
            },
            5_000,
        );
        let get = |k: &str| h.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone());
        assert_eq!(get("ratelimit-limit").as_deref(), Some("100"));
        assert_eq!(get("ratelimit-remaining").as_deref(), Some("99"));
        assert_eq!(get("ratelimit-reset").as_deref(), Some("900"));
        assert_eq!(get("ratelimit-policy").as_deref(), Some("100;w=900"));
        assert_eq!(get("x-ratelimit-reset").as_deref(), Some("905"));
        assert_eq!(get("retry-after"), None);
        let denied = decide(
            &[(5_000, 1)],
            5_000,
            Policy {
                limit: 1,
                window_ms: 60_000,
            },
            1,
        );
        let h = headers(
            &denied,
            Policy {
                limit: 1,
                window_ms: 60_000,
            },
            5_000,
        );
        assert!(h.iter().any(|(n, v)| *n == "retry-after" && v == "60"));
    }
}
