//! Readiness (`GET /health/ready`), the detailed health check of uLoad's downtime plan:
//! every dependency probed for real, each with its status and latency. 200 when every
//! critical one works, 503 with the same body when one does not. The origin is not critical:
//! redirects never need it, so a failing origin degrades the service, it does not stop it.

use std::time::Duration;

use futures_util::future::{join5, select, Either};
use serde_json::{json, Value};
use worker::{Delay, Env, Fetch, Url};

use crate::config::Config;
use crate::store::d1;
use crate::{http, limiter, log, runtime};
use uload_core::health::{ReadyCheck, ReadyDetailed, ReadyPublic};
use uload_core::ratelimit::{Policy, Scope};
use uload_core::secret;
use worker::Response;

const ORIGIN_TIMEOUT: Duration = Duration::from_secs(3);

struct Check {
    name: &'static str,
    critical: bool,
    result: Result<(), String>,
    latency_ms: u64,
}

async fn timed(
    name: &'static str,
    critical: bool,
    probe: impl std::future::Future<Output = Result<(), String>>,
) -> Check {
    let start = crate::clock::now_ms();
    let result = probe.await;
    Check {
        name,
        critical,
        result,
        latency_ms: crate::clock::now_ms().saturating_sub(start),
    }
}

async fn kv(env: &Env) -> Result<(), String> {
    let store = env
        .kv(crate::store::kv::BINDING)
        .map_err(|e| format!("binding: {e}"))?;
    let key = format!("health:{}", runtime::random_id());
    let value = crate::clock::now_ms().to_string();
    store
        .put(&key, value.clone())
        .map_err(|e| e.to_string())?
        .expiration_ttl(60)
        .execute()
        .await
        .map_err(|e| e.to_string())?;
    let read = store.get(&key).text().await.map_err(|e| e.to_string())?;
    let _ = store.delete(&key).await;
    (read.as_deref() == Some(value.as_str()))
        .then_some(())
        .ok_or_else(|| "read back a different value".into())
}

async fn database(env: &Env) -> Result<(), String> {
    let db = d1::database(env).map_err(|e| e.to_string())?;
    let row: Option<Value> = d1::first(&db, "SELECT count(*) AS links FROM links", &[])
        .await
        .map_err(|e| e.to_string())?;
    row.map(|_| ()).ok_or_else(|| "no row".into())
}

async fn durable_objects(env: &Env) -> Result<(), String> {
    let probe = Policy {
        limit: u32::MAX,
        window_ms: 1000,
    };
    limiter::check(env, Scope::Api, "health-probe", probe, 0)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

async fn origin(cfg: &Config) -> Result<(), String> {
    let Some(base) = cfg.origin_url.as_deref() else {
        return Err("ORIGIN_URL is not set (or not a URL)".into());
    };
    let url = Url::parse(base).map_err(|e| format!("ORIGIN_URL: {e}"))?;
    let request = Fetch::Url(url);
    let fetch = Box::pin(request.send());
    let timeout = Box::pin(Delay::from(ORIGIN_TIMEOUT));
    let outcome = match select(fetch, timeout).await {
        Either::Left((Ok(res), _)) if res.status_code() < 500 => Ok(()),
        Either::Left((Ok(res), _)) => Err(format!("status {}", res.status_code())),
        Either::Left((Err(e), _)) => Err(e.to_string()),
        Either::Right(_) => Err(format!("no answer within {} s", ORIGIN_TIMEOUT.as_secs())),
    };
    outcome
}

fn config(env: &Env, cfg: &Config) -> Result<(), String> {
    let mut problems = cfg.problems.clone();
    // Required secrets, and the optional ones that must be long enough when set (a short
    // METRICS_TOKEN turns metrics off; a short ANALYTICS_SALT stops unique-visitor counts).
    for (name, required) in [
        ("SERVICE_TOKEN", true),
        ("COOKIE_SECRET", true),
        ("ANALYTICS_SALT", false),
        ("METRICS_TOKEN", false),
        ("ADMIN_TOKEN", false),
    ] {
        let value = runtime::raw_secret(env, name);
        if let Some(problem) = secret::secret_problem(name, value.as_deref(), required) {
            problems.push(problem);
        }
    }
    if let (Some(admin), Some(service)) = (
        runtime::secret(env, "ADMIN_TOKEN"),
        runtime::secret(env, "SERVICE_TOKEN"),
    ) {
        if admin == service {
            problems
                .push("ADMIN_TOKEN is the SERVICE_TOKEN: it must be a secret of its own".into());
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

thread_local! {
    /// The last public answer of this isolate: (status code, status word, when).
    static LAST_PUBLIC: std::cell::Cell<Option<(u16, &'static str, u64)>> = const { std::cell::Cell::new(None) };
}

/// How long an isolate reuses its public answer: the probes write to KV, count links in D1
/// and call a Durable Object and the origin, which nobody may trigger on every request.
const PUBLIC_CACHE_MS: u64 = 5_000;

/// `GET /health/ready`. Anyone gets the status alone (`ok`, `degraded`, `fail`), from a
/// result at most 5 s old; the operator (`ADMIN_TOKEN`) or Prometheus (`METRICS_TOKEN`) gets
/// every check with its error, probed now.
pub async fn ready(req: &worker::Request, env: &Env, cfg: &Config) -> Response {
    let header = req.headers().get("authorization").ok().flatten();
    let presented = uload_core::token::bearer(header.as_deref());
    let detailed = presented.is_some_and(|p| {
        ["ADMIN_TOKEN", "METRICS_TOKEN"].iter().any(|name| {
            runtime::secret(env, name)
                .is_some_and(|s| uload_core::token::secrets_match(p.as_bytes(), s.as_bytes()))
        })
    });
    if detailed {
        return probe(env, cfg).await.0;
    }
    let now = crate::clock::now_ms();
    let cached = LAST_PUBLIC
        .with(|c| c.get())
        .filter(|(_, _, at)| now.saturating_sub(*at) < PUBLIC_CACHE_MS);
    let (code, status) = match cached {
        Some((code, status, _)) => (code, status),
        None => {
            let (_, code, status) = probe(env, cfg).await;
            LAST_PUBLIC.with(|c| c.set(Some((code, status, now))));
            (code, status)
        }
    };
    http::json(
        code,
        &ReadyPublic {
            status,
            version: env!("CARGO_PKG_VERSION"),
        },
        &[("cache-control", "no-store")],
    )
}

/// Runs every check: the detailed answer, its status code and its status word.
async fn probe(env: &Env, cfg: &Config) -> (Response, u16, &'static str) {
    let config_check = Check {
        name: "config",
        critical: true,
        result: config(env, cfg),
        latency_ms: 0,
    };
    let (a, b, c, d, e) = join5(
        timed("kv", true, kv(env)),
        timed("d1", true, database(env)),
        timed("durable_objects", true, durable_objects(env)),
        timed("origin", false, origin(cfg)),
        async { config_check },
    )
    .await;
    // Not critical (redirects work without it), but never silent: an analytics binding
    // that is missing would leave every stats page empty.
    let analytics_check = Check {
        name: "analytics",
        critical: false,
        result: crate::analytics::misconfiguration(env, cfg).map_or(Ok(()), Err),
        latency_ms: 0,
    };
    let checks = [a, b, c, d, e, analytics_check];
    let ok = checks.iter().all(|c| !c.critical || c.result.is_ok());
    let degraded = checks.iter().any(|c| c.result.is_err());
    let status = if !ok {
        "fail"
    } else if degraded {
        "degraded"
    } else {
        "ok"
    };
    let code = if ok { 200 } else { 503 };
    let mut body = ReadyDetailed {
        status,
        version: env!("CARGO_PKG_VERSION"),
        checks: Default::default(),
    };
    for c in &checks {
        if let Err(e) = &c.result {
            // Said loudly: a misconfigured binding must not fail silently.
            let level = if c.critical { "error" } else { "warn" };
            let fields = json!({ "check": c.name, "error": e });
            if level == "error" {
                log::error("readiness_check_failed", fields)
            } else {
                log::warn("readiness_check_failed", fields)
            }
        }
        body.checks.insert(
            c.name,
            ReadyCheck {
                ok: c.result.is_ok(),
                critical: c.critical,
                latency_ms: c.latency_ms,
                error: c.result.as_ref().err().cloned(),
            },
        );
    }
    (
        http::json(code, &body, &[("cache-control", "no-store")]),
        code,
        status,
    )
}
