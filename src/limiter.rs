//! The rate limiter: one Durable Object per scope and client (named by a hash, see
//! `uload_core::ratelimit::limiter_name`), so load spreads over as many objects as there are
//! clients and none becomes hot. Its SQLite storage holds the sliding-window log; the check
//! and the insert run synchronously in one turn of the object, so concurrent requests are
//! decided one after another: exact at the limit.

use serde::{Deserialize, Serialize};
use worker::{durable_object, Date, DurableObject, Env, Request, Response, Result, State};

use crate::store::StoreError;
use uload_core::ratelimit::{self, Outcome, Policy, Scope};

pub const BINDING: &str = "LIMITER";

#[derive(Serialize, Deserialize)]
struct Check {
    limit: u32,
    window_ms: u64,
    cost: u32,
    /// Record `cost` admissions whatever the outcome (the redirect scope reports requests
    /// it already admitted locally) and answer whether one more would be admitted now.
    force: bool,
}

#[derive(Deserialize)]
struct HitRow {
    ts: f64,
    n: f64,
}

#[durable_object]
pub struct RateLimiter {
    state: State,
}

impl DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        // Once per object instance, not per request.
        if let Err(e) = state.storage().sql().exec(
            "CREATE TABLE IF NOT EXISTS hits (ts INTEGER NOT NULL, n INTEGER NOT NULL)",
            None,
        ) {
            worker::console_error!(
                "{{\"level\":\"error\",\"event\":\"limiter_schema_failed\",\"cause\":\"{e}\"}}"
            );
        }
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let check: Check = req.json().await?;
        // From here on nothing awaits: the whole decision is one atomic turn.
        let sql = self.state.storage().sql();
        let now = Date::now().as_millis();
        let policy = Policy {
            limit: check.limit,
            window_ms: check.window_ms,
        };
        sql.exec(
            "DELETE FROM hits WHERE ts + ? <= ?",
            vec![(policy.window_ms as i64).into(), (now as i64).into()],
        )?;
        let rows: Vec<HitRow> = sql.exec("SELECT ts, n FROM hits", None)?.to_array()?;
        let mut hits: Vec<(u64, u32)> = rows.iter().map(|r| (r.ts as u64, r.n as u32)).collect();
        let outcome = if check.force {
            hits.push((now, check.cost));
            sql.exec(
                "INSERT INTO hits (ts, n) VALUES (?, ?)",
                vec![(now as i64).into(), i64::from(check.cost).into()],
            )?;
            ratelimit::decide(&hits, now, policy, 1)
        } else {
            let o = ratelimit::decide(&hits, now, policy, check.cost);
            if o.allowed && check.cost > 0 {
                sql.exec(
                    "INSERT INTO hits (ts, n) VALUES (?, ?)",
                    vec![(now as i64).into(), i64::from(check.cost).into()],
                )?;
            }
            o
        };
        Response::from_json(&outcome)
    }
}

/// Asks the limiter of `client` in `scope`. `Err` when the object cannot be reached; the
/// caller decides whether that fails open or closed.
pub async fn check(
    env: &Env,
    scope: Scope,
    client: &str,
    policy: Policy,
    cost: u32,
    force: bool,
) -> std::result::Result<Outcome, StoreError> {
    let check = Check {
        limit: policy.limit,
        window_ms: policy.window_ms,
        cost,
        force,
    };
    let name = ratelimit::limiter_name(scope, client);
    crate::objects::call(env, BINDING, &name, "rate limiter", &check).await
}
