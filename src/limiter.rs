//! The rate limiter: one Durable Object per scope and client (named by a hash, see
//! `uload_core::ratelimit::limiter_name`), so load spreads over as many objects as there are
//! clients and none becomes hot. Its SQLite storage holds the sliding-window log; the check
//! and the insert run synchronously in one turn of the object, so concurrent requests are
//! decided one after another: exact at the limit.
//!
//! The redirect scope is approximate by design (`uload_core::redirect_limit`) and reports
//! in batches: an object of the same class named as a shard (`redirect_limit::shard_name`)
//! holds the logs of many clients, by key, and answers a batch in one turn with three
//! statements whatever its size.

use std::cell::Cell;

use serde::{Deserialize, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::store::StoreError;
use uload_core::ratelimit::{self, Outcome, Policy, Scope};
use uload_core::redirect_limit;

pub const BINDING: &str = "LIMITER";

#[derive(Serialize, Deserialize)]
struct Check {
    limit: u32,
    window_ms: u64,
    cost: u32,
}

/// A batch of redirect reports for a shard: (client key, admissions) each.
#[derive(Serialize, Deserialize)]
struct Reports {
    limit: u32,
    window_ms: u64,
    reports: Vec<(String, u32)>,
}

/// What an object of this class is asked.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Call {
    Check(Check),
    /// Two limits on one client, each with its log, decided in order in one turn: the
    /// second is not counted when the first refuses. A link creation from the dashboard
    /// asks its user's API limit and creation limit in one call instead of two.
    Chain(Check, Check),
    Reports(Reports),
}

/// The tables of an object's logs: its own scope's, and the second of a `Call::Chain`
/// (created the first time a chain reaches the object).
struct Log {
    table: &'static str,
    /// The index of the log's times (the expired rows are found without reading the others).
    index: &'static str,
    expire: &'static str,
    count: &'static str,
    rows: &'static str,
    insert: &'static str,
}

const LOGS: [Log; 2] = [
    Log {
        table: "CREATE TABLE IF NOT EXISTS hits (ts INTEGER NOT NULL, n INTEGER NOT NULL)",
        index: "CREATE INDEX IF NOT EXISTS hits_ts ON hits (ts)",
        expire: "DELETE FROM hits WHERE ts <= ? RETURNING n",
        count: "SELECT ifnull(sum(n), 0) AS used, max(ts) AS newest FROM hits",
        rows: "SELECT ts, n FROM hits",
        insert: "INSERT INTO hits (ts, n) VALUES (?, ?)",
    },
    Log {
        table: "CREATE TABLE IF NOT EXISTS then_hits (ts INTEGER NOT NULL, n INTEGER NOT NULL)",
        index: "CREATE INDEX IF NOT EXISTS then_hits_ts ON then_hits (ts)",
        expire: "DELETE FROM then_hits WHERE ts <= ? RETURNING n",
        count: "SELECT ifnull(sum(n), 0) AS used, max(ts) AS newest FROM then_hits",
        rows: "SELECT ts, n FROM then_hits",
        insert: "INSERT INTO then_hits (ts, n) VALUES (?, ?)",
    },
];

#[derive(Deserialize)]
struct ClientHitRow {
    client: String,
    ts: f64,
    n: f64,
}

#[derive(Deserialize)]
struct CountRow {
    n: f64,
}

#[derive(Deserialize)]
struct Totals {
    used: f64,
    newest: Option<f64>,
}

#[derive(Deserialize)]
struct HitRow {
    ts: f64,
    n: f64,
}

#[cfg(feature = "api")]
#[durable_object]
pub struct RateLimiter {
    state: State,
    /// Whether this instance made sure of the shard table (only shard objects need it).
    shard_table: Cell<bool>,
    /// Whether this instance made sure of the second log's table (`Call::Chain`).
    then_table: Cell<bool>,
    /// Each log's totals as of its last check (`ratelimit::LogTotals`); None: count them
    /// from the table (a new instance, or a check that failed half way).
    totals: [Cell<Option<ratelimit::LogTotals>>; 2],
}

#[cfg(feature = "api")]
impl DurableObject for RateLimiter {
    fn new(state: State, _env: Env) -> Self {
        // Once per object instance, not per request.
        // The index finds the rows that left the window without reading the others
        // (objects of earlier versions get it here too).
        let sql = state.storage().sql();
        let schema = sql
            .exec(LOGS[0].table, None)
            .and_then(|_| sql.exec(LOGS[0].index, None));
        if let Err(e) = schema {
            worker::console_error!(
                "{{\"level\":\"error\",\"event\":\"limiter_schema_failed\",\"cause\":\"{e}\"}}"
            );
        }
        Self {
            state,
            shard_table: Cell::new(false),
            then_table: Cell::new(false),
            totals: [Cell::new(None), Cell::new(None)],
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        match crate::objects::read_call(&mut req).await? {
            Call::Check(check) => Response::from_json(&self.check(0, &check)?),
            Call::Chain(first, then) => self.chain(&first, &then),
            Call::Reports(reports) => self.reports(reports),
        }
    }
}

#[cfg(feature = "api")]
impl RateLimiter {
    /// Decides `check` on log `log` (0: the object's own, 1: a chain's second).
    fn check(&self, log: usize, check: &Check) -> Result<Outcome> {
        // Nothing awaits here: the whole decision is one atomic turn.
        let sql = self.state.storage().sql();
        let statements = &LOGS[log];
        let now = crate::clock::now_ms();
        let policy = Policy {
            limit: check.limit,
            window_ms: check.window_ms,
        };
        let cutoff = (now.saturating_sub(policy.window_ms)) as i64;
        // Taken, not read: a check that fails half way leaves the totals to be counted again.
        let known = self.totals[log]
            .take()
            .filter(|t| t.window_ms == policy.window_ms);
        let expired: Vec<CountRow> = sql
            .exec(statements.expire, vec![cutoff.into()])?
            .to_array()?;
        let mut totals = match known {
            Some(t) => t.expire(expired.iter().map(|r| r.n.max(0.0) as u64).sum()),
            None => {
                let totals: Totals = sql.exec(statements.count, None)?.one()?;
                ratelimit::LogTotals {
                    window_ms: policy.window_ms,
                    used: totals.used.max(0.0) as u64,
                    newest: totals.newest.map(|t| t as u64),
                }
            }
        };
        let outcome = match ratelimit::admit_from_totals(
            totals.used_u32(),
            totals.newest,
            now,
            policy,
            check.cost,
        ) {
            Some(o) => o,
            // Refused: when it may try again depends on the times of the log.
            None => {
                let rows: Vec<HitRow> = sql.exec(statements.rows, None)?.to_array()?;
                let hits: Vec<(u64, u32)> =
                    rows.iter().map(|r| (r.ts as u64, r.n as u32)).collect();
                ratelimit::decide(&hits, now, policy, check.cost)
            }
        };
        if outcome.allowed && check.cost > 0 {
            sql.exec(
                statements.insert,
                vec![(now as i64).into(), i64::from(check.cost).into()],
            )?;
            totals = totals.admit(now, check.cost);
        }
        self.totals[log].set(Some(totals));
        Ok(outcome)
    }

    /// `Call::Chain`: the first check, then the second only when the first admitted; one
    /// answer per check made, in order (one turn: exact, as `check`).
    fn chain(&self, first: &Check, then: &Check) -> Result<Response> {
        let first = self.check(0, first)?;
        if !first.allowed {
            return Response::from_json(&[first]);
        }
        if !self.then_table.get() {
            let sql = self.state.storage().sql();
            sql.exec(LOGS[1].table, None)?;
            sql.exec(LOGS[1].index, None)?;
            self.then_table.set(true);
        }
        Response::from_json(&[first, self.check(1, then)?])
    }

    /// A shard's batch: records every report, answers each (one atomic turn, as `check`).
    fn reports(&self, batch: Reports) -> Result<Response> {
        let sql = self.state.storage().sql();
        if !self.shard_table.get() {
            sql.exec(
                "CREATE TABLE IF NOT EXISTS client_hits (client TEXT NOT NULL, ts INTEGER NOT NULL, n INTEGER NOT NULL)",
                None,
            )?;
            sql.exec(
                "CREATE INDEX IF NOT EXISTS client_hits_client ON client_hits (client, ts)",
                None,
            )?;
            self.shard_table.set(true);
        }
        let now = crate::clock::now_ms();
        let policy = Policy {
            limit: batch.limit,
            window_ms: batch.window_ms,
        };
        let reports = serde_json::to_string(&batch.reports)
            .map_err(|e| worker::Error::RustError(e.to_string()))?;
        // The whole batch in one statement each: SQLite's json_each reads the reports.
        sql.exec(
            "DELETE FROM client_hits WHERE ts + ? <= ?",
            vec![(policy.window_ms as i64).into(), (now as i64).into()],
        )?;
        sql.exec(
            "INSERT INTO client_hits (client, ts, n) \
             SELECT json_extract(value, '$[0]'), ?, json_extract(value, '$[1]') FROM json_each(?)",
            vec![(now as i64).into(), reports.clone().into()],
        )?;
        let rows: Vec<ClientHitRow> = sql
            .exec(
                "SELECT client, ts, n FROM client_hits \
                 WHERE client IN (SELECT json_extract(value, '$[0]') FROM json_each(?))",
                vec![reports.into()],
            )?
            .to_array()?;
        let hits: Vec<(String, u64, u32)> = rows
            .into_iter()
            .map(|r| (r.client, r.ts as u64, r.n as u32))
            .collect();
        let clients: Vec<&str> = batch.reports.iter().map(|(c, _)| c.as_str()).collect();
        Response::from_json(&redirect_limit::answer_reports(
            &hits, &clients, now, policy,
        ))
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
) -> std::result::Result<Outcome, StoreError> {
    let check = Check {
        limit: policy.limit,
        window_ms: policy.window_ms,
        cost,
    };
    let name = ratelimit::limiter_name(scope, client);
    crate::objects::call(env, BINDING, &name, "rate limiter", &Call::Check(check)).await
}

/// What a chain of two limits decided: the first refused (the second was not asked), or the
/// first admitted and the second decided.
pub enum Chained {
    FirstRefused(Outcome),
    SecondDecided(Outcome),
}

/// Asks the limiter of `client` in `first`'s scope for two limits in one call: `first`,
/// then, when it admits, `then` (counted in a second log of the same object). The second
/// limit's log lives with the first scope's object, not in the object `check` would ask for
/// `then`'s scope alone.
pub async fn check_chain(
    env: &Env,
    client: &str,
    first: (Scope, Policy),
    then: Policy,
) -> std::result::Result<Chained, StoreError> {
    let check = |p: Policy| Check {
        limit: p.limit,
        window_ms: p.window_ms,
        cost: 1,
    };
    let name = ratelimit::limiter_name(first.0, client);
    let call = Call::Chain(check(first.1), check(then));
    let answers: Vec<Outcome> =
        crate::objects::call(env, BINDING, &name, "rate limiter", &call).await?;
    // One answer per limit decided, in order, the second only after an admission: anything
    // else is no answer.
    let mut answers = answers.into_iter();
    match (answers.next(), answers.next(), answers.next()) {
        (Some(o), None, None) if !o.allowed => Ok(Chained::FirstRefused(o)),
        (Some(o), Some(second), None) if o.allowed => Ok(Chained::SecondDecided(second)),
        _ => Err(StoreError::unavailable(
            "rate limiter",
            "an answer that does not match the chain",
        )),
    }
}

/// Sends a batch of redirect reports, (client key, admissions) each, to `shard`, and reads
/// one answer per report, in order.
pub async fn report_redirects(
    env: &Env,
    shard: u32,
    policy: Policy,
    reports: Vec<(String, u32)>,
) -> std::result::Result<Vec<Outcome>, StoreError> {
    let call = Call::Reports(Reports {
        limit: policy.limit,
        window_ms: policy.window_ms,
        reports,
    });
    let name = redirect_limit::shard_name(shard);
    crate::objects::call(env, BINDING, &name, "rate limiter", &call).await
}
