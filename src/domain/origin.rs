//! The origin (uLoad's SvelteKit app) as a fallback: which paths go there without a link
//! lookup, when a failed request is retried, and the circuit breaker that stops sending
//! traffic to an origin that keeps failing.

/// Whether `path` certainly is not a link: it starts with one of the configured prefixes
/// (`/p/` matches `/p/alice`; `/login` matches `/login` and `/login/x`, not `/loginx`).
pub fn is_origin_path(path: &str, prefixes: &[String]) -> bool {
    prefixes.iter().any(|p| {
        if p.ends_with('/') {
            path.starts_with(p.as_str())
        } else {
            path == p
                || path
                    .strip_prefix(p.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        }
    })
}

/// Requests that may be sent again after a failure: they change nothing at the origin.
pub fn is_idempotent(method: &str) -> bool {
    matches!(method, "GET" | "HEAD" | "OPTIONS")
}

/// Statuses worth one more try: the origin (or its proxy) failed in passing.
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 502..=504)
}

/// A per-isolate circuit breaker: after `threshold` consecutive failures it opens for
/// `cooldown_ms` (requests fail fast instead of waiting for a timeout), then lets a single
/// trial request through; its success closes the breaker, its failure opens it again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Breaker {
    failures: u32,
    open_until: u64,
    trial_in_flight: bool,
}

impl Breaker {
    pub fn allow(&mut self, now: u64) -> bool {
        if self.open_until == 0 {
            return true;
        }
        if now < self.open_until || self.trial_in_flight {
            return false;
        }
        self.trial_in_flight = true; // half-open: one trial
        true
    }

    pub fn success(&mut self) {
        *self = Breaker::default();
    }

    pub fn failure(&mut self, now: u64, threshold: u32, cooldown_ms: u64) {
        self.failures += 1;
        if self.trial_in_flight || self.failures >= threshold {
            self.open_until = now + cooldown_ms;
            self.trial_in_flight = false;
        }
    }

    pub fn is_open(&self, now: u64) -> bool {
        self.open_until != 0 && now < self.open_until
    }

    /// Seconds until the next trial (for Retry-After).
    pub fn retry_after_s(&self, now: u64) -> u64 {
        self.open_until.saturating_sub(now).div_ceil(1000).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_paths_by_prefix() {
        let p: Vec<String> = ["/login", "/p/", "/_app/"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert!(is_origin_path("/login", &p));
        assert!(is_origin_path("/login/callback", &p));
        assert!(!is_origin_path("/loginx", &p));
        assert!(is_origin_path("/p/alice", &p));
        assert!(!is_origin_path("/p", &p));
        assert!(is_origin_path("/_app/immutable/x.js", &p));
        assert!(!is_origin_path("/promo", &p));
    }

    #[test]
    fn only_safe_methods_are_retried() {
        assert!(is_idempotent("GET") && is_idempotent("HEAD"));
        assert!(!is_idempotent("POST") && !is_idempotent("PATCH"));
        assert!(is_retryable_status(502) && is_retryable_status(504));
        assert!(!is_retryable_status(500) && !is_retryable_status(404));
    }

    #[test]
    fn opens_after_repeated_failures_then_tries_once() {
        let mut b = Breaker::default();
        for _ in 0..2 {
            assert!(b.allow(0));
            b.failure(0, 3, 1000);
        }
        assert!(b.allow(0));
        b.failure(0, 3, 1000);
        assert!(b.is_open(0));
        assert!(!b.allow(500), "open: fail fast");
        assert_eq!(b.retry_after_s(500), 1);
        assert!(b.allow(1000), "half-open: one trial");
        assert!(!b.allow(1000), "only one");
        b.failure(1000, 3, 1000);
        assert!(!b.allow(1500), "the trial failed: open again");
        assert!(b.allow(2000));
        b.success();
        assert!(b.allow(2000) && b.allow(2000), "closed again");
    }

    #[test]
    fn successes_reset_the_count() {
        let mut b = Breaker::default();
        b.failure(0, 3, 1000);
        b.failure(0, 3, 1000);
        b.success();
        b.failure(0, 3, 1000);
        assert!(!b.is_open(0));
    }
}
