//! Applying rate limits. Exact scopes (API, link creation, password attempts) ask their
//! limiter object on every request. The redirect scope decides in the isolate and reports to
//! the object in the background, so a redirect never waits for a round trip.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

use serde_json::json;
use worker::{Context, Env, Request};

use crate::config::Config;
use crate::error::ApiError;
use crate::{limiter, log};
use uload_core::cache::TtlCache;
use uload_core::outbox::Outbox;
use uload_core::ratelimit::{self, Outcome, Scope};
use uload_core::redirect_limit::{self, Admission, Client};

pub type Headers = Vec<(&'static str, String)>;

thread_local! {
    /// Clients of this isolate whose failures passed the limit, until when (ms): refused
    /// before any lookup. Bounded: an isolate remembers at most 10,000.
    static SHUT_OUT: RefCell<TtlCache<()>> = RefCell::new(TtlCache::new(10_000));
}

/// Who a limit on failures or guesses counts: the client's address, an IPv6 client by its /64.
pub fn client_key(req: &Request) -> String {
    uload_core::unlock::attempt_client(&crate::http::client_ip(req))
}

/// The key of a client's failures (see `check_shut_out` and `count_failure`).
pub fn failure_key(req: &Request) -> String {
    format!("ip:{}", client_key(req))
}

/// Failures a client may have per window before it is shut out (wrong credentials, POSTs to
/// codes that are no links): RATE_FAILURE_LIMIT per RATE_API_WINDOW_SECONDS.
fn failure_policy(cfg: &Config) -> ratelimit::Policy {
    ratelimit::Policy {
        limit: cfg.rate_failure_limit,
        window_ms: cfg.rate_api.window_ms,
    }
}

/// `Err(429)` when `client` is shut out for its failures: checked before any credential or
/// code is looked up, so repeated failures cost neither D1 nor KV.
pub fn check_shut_out(client: &str) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    if SHUT_OUT.with(|s| s.borrow().get(client, now).is_some()) {
        return Err(ApiError::RateLimited {
            scope: "failures",
            retry_after: 60,
            limit: 0,
            window_s: 60,
        });
    }
    Ok(())
}

/// Counts one failure of `client` (exactly, across isolates, by the limiter); past the limit
/// the client is shut out in this isolate until the window lets it in again, and the error
/// to answer is returned. An unreachable limiter counts nothing (failures are not a promise).
pub async fn count_failure(env: &Env, cfg: &Config, client: &str) -> Option<ApiError> {
    let policy = failure_policy(cfg);
    let key = format!("fail|{client}");
    match limiter::check(env, Scope::Api, &key, policy, 1).await {
        Ok(o) if !o.allowed => {
            let retry_ms = o.retry_after_ms.max(1000);
            SHUT_OUT.with(|s| {
                s.borrow_mut()
                    .insert(client, (), retry_ms, crate::clock::now_ms())
            });
            log::warn(
                "client_shut_out",
                json!({ "client": uload_core::ratelimit::limiter_name(Scope::Api, client), "retry_after_ms": retry_ms }),
            );
            Some(ApiError::RateLimited {
                scope: "failures",
                retry_after: retry_ms.div_ceil(1000) as u32,
                limit: policy.limit,
                window_s: policy.window_ms.div_ceil(1000),
            })
        }
        _ => None,
    }
}

/// Exact check of one request against `scope` for `client`. Returns the headers to send in
/// every case; the error is a 429 or, when the limiter is unreachable and the scope fails
/// closed, a 503.
pub async fn enforce(
    env: &Env,
    cfg: &Config,
    scope: Scope,
    client: &str,
    fail_closed: bool,
) -> (Result<(), ApiError>, Headers) {
    enforce_policy(env, scope, client, cfg.rate_policy(scope), fail_closed).await
}

/// `enforce` with a policy of the caller's (a second limit on the same scope).
pub async fn enforce_policy(
    env: &Env,
    scope: Scope,
    client: &str,
    policy: ratelimit::Policy,
    fail_closed: bool,
) -> (Result<(), ApiError>, Headers) {
    match limiter::check(env, scope, client, policy, 1).await {
        Ok(o) => {
            let headers = ratelimit::headers(&o, policy, crate::clock::now_ms());
            (verdict(scope, &o, policy), headers)
        }
        Err(e) => {
            log::error(
                "rate_limiter_unreachable",
                json!({ "scope": scope.name(), "fail_closed": fail_closed, "cause": e.to_string() }),
            );
            if fail_closed {
                (
                    Err(ApiError::Unavailable {
                        dependency: "rate limiter",
                        retry_after: 5,
                    }),
                    Vec::new(),
                )
            } else {
                (Ok(()), Vec::new())
            }
        }
    }
}

/// Two exact limits on one client in one limiter call (`limiter::check_chain`): `first`,
/// then `then` when the first admits. The headers are those of the last limit decided (the
/// stricter scope's, which a client must respect). Fails open when the limiter is
/// unreachable, as each scope of a link creation does.
pub async fn enforce_chain(
    env: &Env,
    client: &str,
    first: (Scope, ratelimit::Policy),
    then: (Scope, ratelimit::Policy),
) -> (Result<(), ApiError>, Headers) {
    match limiter::check_chain(env, client, first, then.1).await {
        Ok(chained) => {
            let ((scope, policy), o) = match chained {
                limiter::Chained::FirstRefused(o) => (first, o),
                limiter::Chained::SecondDecided(o) => (then, o),
            };
            let headers = ratelimit::headers(&o, policy, crate::clock::now_ms());
            (verdict(scope, &o, policy), headers)
        }
        Err(e) => {
            log::error(
                "rate_limiter_unreachable",
                json!({ "scope": format!("{}+{}", first.0.name(), then.0.name()), "fail_closed": false, "cause": e.to_string() }),
            );
            (Ok(()), Vec::new())
        }
    }
}

fn verdict(scope: Scope, o: &Outcome, policy: ratelimit::Policy) -> Result<(), ApiError> {
    if o.allowed {
        Ok(())
    } else {
        crate::metrics::record(|m| m.inc("rate_limited_total", &[("scope", scope.name())], 1));
        Err(ApiError::RateLimited {
            scope: scope.name(),
            retry_after: o.retry_after_ms.div_ceil(1000) as u32,
            limit: policy.limit,
            window_s: policy.window_ms.div_ceil(1000),
        })
    }
}

thread_local! {
    static REDIRECT_CLIENTS: RefCell<Option<TtlCache<Client>>> = const { RefCell::new(None) };
    /// Redirect reports, (client address, admissions) each, waiting for their batch.
    static REPORTS: RefCell<Outbox<(String, u32)>> =
        RefCell::new(Outbox::new(REPORTS_RENEW_AFTER_MS, REPORTS_CAPACITY));
}

/// Reports one batch takes at most (a few shard calls of at most ~50 KB together).
const REPORTS_BATCH: usize = 1_000;
/// A report flusher older than this is replaced by a new one at the next report.
const REPORTS_RENEW_AFTER_MS: u64 = 15_000;
/// Reports an isolate holds at most while the shards do not answer (the oldest go first:
/// a lost report only lets its client get that many more).
const REPORTS_CAPACITY: usize = 20_000;

fn with_local<R>(f: impl FnOnce(&mut TtlCache<Client>) -> R) -> R {
    REDIRECT_CLIENTS.with(|c| f(c.borrow_mut().get_or_insert_with(|| TtlCache::new(50_000))))
}

/// The redirect scope: decided from this isolate's state (`uload_core::redirect_limit`, where
/// the over-admission bound is explained). A client's admissions are reported every
/// `redirect_sync_every`; the isolate gathers its reports for `redirect_report_ms` and sends
/// them after the response, one call per shard object, so a redirect never waits and many
/// clients cost one call.
/// `ip`: the client's address (`http::client_ip`). The headers come only near the limit
/// (`ratelimit::near_limit`).
pub fn admit_redirect(
    ip: &str,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
) -> Result<Headers, (ApiError, Headers)> {
    let policy = cfg.rate_redirect;
    if policy.limit == 0 {
        return Ok(Vec::new()); // RATE_REDIRECT_LIMIT=0: the redirect limiter is off
    }
    let now = crate::clock::now_ms();
    let (admission, client) = with_local(|cache| {
        let mut client = cache.get(ip, now).unwrap_or_default();
        let admission = client.admit(now, policy, cfg.redirect_sync_every);
        cache.insert(ip, client, policy.window_ms, now);
        (admission, client)
    });
    match admission {
        Admission::Admit { report } => {
            if let Some(n) = report {
                let flusher = REPORTS.with(|r| r.borrow_mut().push((ip.to_string(), n), now));
                if let Some(id) = flusher {
                    let gather = Duration::from_millis(cfg.redirect_report_ms);
                    ctx.wait_until(flush_reports(
                        id,
                        env.clone(),
                        policy,
                        gather,
                        cfg.redirect_shards,
                    ));
                }
            }
            let o = Outcome {
                allowed: true,
                limit: policy.limit,
                remaining: policy.limit.saturating_sub(client.used(now)),
                reset_ms: policy.window_ms,
                retry_after_ms: 0,
            };
            if !ratelimit::near_limit(&o) {
                return Ok(Vec::new());
            }
            Ok(ratelimit::headers(&o, policy, now))
        }
        Admission::Refuse => {
            let retry_ms = client.retry_ms(now);
            let o = Outcome {
                allowed: false,
                limit: policy.limit,
                remaining: 0,
                reset_ms: retry_ms,
                retry_after_ms: retry_ms,
            };
            let err = verdict(Scope::Redirect, &o, policy)
                .err()
                .unwrap_or(ApiError::NotFound);
            Err((err, ratelimit::headers(&o, policy, now)))
        }
    }
}

/// A report flusher: waits `gather` for reports to gather, then sends what there is until
/// the outbox says stop (`uload_core::outbox`: nothing is left behind).
async fn flush_reports(
    id: u64,
    env: Env,
    policy: ratelimit::Policy,
    gather: Duration,
    shards: u32,
) {
    let dropped = crate::flusher::drain(&REPORTS, id, REPORTS_BATCH, gather, |batch| {
        send_reports(&env, policy, shards, batch)
    })
    .await;
    if dropped > 0 {
        log::warn(
            "redirect_reports_dropped",
            json!({ "reports": dropped, "cause": "the isolate held too many: the limiter's shards did not answer" }),
        );
    }
}

/// Sends a batch, one call per shard at the same time, and teaches each client its answer.
/// An unreachable shard changes nothing for its clients but that they fail open a while.
async fn send_reports(
    env: &Env,
    policy: ratelimit::Policy,
    shards: u32,
    batch: Vec<(String, u32)>,
) {
    let mut by_shard: BTreeMap<u32, Vec<(String, String, u32)>> = BTreeMap::new();
    for (ip, n) in batch {
        let key = ratelimit::limiter_name(Scope::Redirect, &ip);
        by_shard
            .entry(redirect_limit::shard_of(&key, shards))
            .or_default()
            .push((ip, key, n));
    }
    let calls = by_shard.into_iter().map(|(shard, entries)| async move {
        // The keys go to the shard; the addresses stay, to learn its answers.
        let (ips, reports): (Vec<String>, Vec<(String, u32)>) = entries
            .into_iter()
            .map(|(ip, key, n)| (ip, (key, n)))
            .unzip();
        let answer = limiter::report_redirects(env, shard, policy, reports).await;
        (ips, answer)
    });
    for (entries, answer) in futures_util::future::join_all(calls).await {
        let outcome = if answer.is_ok() { "answered" } else { "failed" };
        crate::metrics::record(|m| {
            m.inc("redirect_limit_calls_total", &[("outcome", outcome)], 1);
            m.inc(
                "redirect_limit_reports_total",
                &[("outcome", outcome)],
                entries.len() as u64,
            );
        });
        let answers: Vec<Option<Outcome>> = match &answer {
            Ok(outcomes) if outcomes.len() == entries.len() => {
                outcomes.iter().copied().map(Some).collect()
            }
            _ => vec![None; entries.len()],
        };
        let now = crate::clock::now_ms();
        with_local(|cache| {
            for (ip, learned) in entries.iter().zip(answers) {
                let mut client = cache.get(ip, now).unwrap_or_default();
                client.learn(now, learned);
                cache.insert(ip, client, policy.window_ms, now);
            }
        });
        if let Err(e) = answer {
            log::warn(
                "rate_limiter_unreachable",
                json!({ "scope": "redirect", "fail_closed": false, "cause": e.to_string() }),
            );
        }
    }
}
