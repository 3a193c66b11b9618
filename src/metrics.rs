//! Metrics of this worker: each isolate counts into its own snapshot (no I/O on the hot
//! path) and hands it to the `MetricsAggregator` Durable Object at most every
//! `FLUSH_EVERY_MS`, in `wait_until`; `/metrics` flushes its own isolate, then renders the
//! object's sum of every isolate. A failed hand-over puts the counts back, so none is lost.

use std::cell::RefCell;

use serde_json::json;
use worker::{durable_object, Context, DurableObject, Env, Request, Response, Result, State};

use crate::{log, objects};
use uload_core::metrics::Snapshot;

pub const BINDING: &str = "METRICS";
const OBJECT: &str = "global";
const FLUSH_EVERY_MS: u64 = 10_000;

/// (name, type, help) of every metric.
pub const HELP: &[(&str, &str, &str)] = &[
    ("http_requests_total", "counter", "Requests answered, by method, route kind and status"),
    ("http_request_duration_seconds", "histogram", "Time from request to response (the runtime's clock advances only across I/O, so pure-CPU answers read as 0)"),
    ("link_redirects_total", "counter", "Short-link lookups, by outcome and the layer that answered"),
    ("rate_limited_total", "counter", "Requests refused by a rate limit, by scope"),
    ("origin_requests_total", "counter", "Requests for the origin (the SvelteKit app), by how they were answered"),
    ("clicks_recorded_total", "counter", "Clicks handed to analytics by redirects"),
    ("clicks_dropped_total", "counter", "Clicks an isolate gave up because its outbox was full (the queue did not take them): alert on any"),
    ("click_messages_total", "counter", "Queue messages of clicks, by outcome (sent, or stored directly when the queue refused)"),
    ("click_batches_total", "counter", "Queue batches the click consumer handled, by outcome"),
    ("clicks_stored_total", "counter", "Clicks stored, by the consumer or directly when the queue refused them (new ones; redelivered ones are not counted again)"),
    ("backups_total", "counter", "Backups of D1 to R2, by outcome"),
    ("backup_last_success_timestamp_seconds", "gauge", "Unix time of the last complete backup"),
    ("kv_audit_deletions_refused_total", "counter", "KV audits that found more orphaned records than they delete unasked (an emptied D1?)"),
    ("crons_skipped_total", "counter", "Cron jobs skipped because restore mode is on, by task"),
    ("links_refused_total", "counter", "Link writes refused by an abuse rule, by rule"),
    ("links_flagged_total", "counter", "Link writes flagged by an abuse rule (allowed, with a warning), by rule"),
    ("links_disabled_total", "counter", "Links disabled for abuse, by whom (admin, domain_ban)"),
    ("links_held_total", "counter", "Links held for review after independent abuse reports"),
    ("abuse_reports_total", "counter", "Abuse reports received, by reason and outcome (new, duplicate)"),
    ("abuse_reports_actioned_total", "counter", "Links whose open reports an admin decided on (blocked or released)"),
    ("abuse_report_wait_seconds_total", "counter", "Seconds the oldest open report of each decided link waited (divide by abuse_reports_actioned_total)"),
];

/// Series exported from the first scrape with their zero value, before anything happened:
/// an alert on `increase()` misses the first event of a series that appears with it.
/// (The backup timestamp is not among them: "never" is not 1970; `absent()` covers it.)
const FROM_START: &[(&str, &[(&str, &str)])] = &[
    ("backups_total", &[("outcome", "ok")]),
    ("backups_total", &[("outcome", "failed")]),
    ("clicks_dropped_total", &[]),
    ("click_batches_total", &[("outcome", "stored")]),
    ("click_batches_total", &[("outcome", "retried")]),
    ("kv_audit_deletions_refused_total", &[]),
    ("crons_skipped_total", &[("task", "backup")]),
    ("crons_skipped_total", &[("task", "retention")]),
    ("crons_skipped_total", &[("task", "kv_reconcile")]),
];

thread_local! {
    static PENDING: RefCell<Snapshot> = RefCell::new(Snapshot::default());
    static LAST_FLUSH: RefCell<u64> = const { RefCell::new(0) };
}

/// Counts into this isolate's snapshot.
pub fn record(f: impl FnOnce(&mut Snapshot)) {
    PENDING.with(|p| f(&mut p.borrow_mut()));
}

fn take() -> Snapshot {
    LAST_FLUSH.with(|l| *l.borrow_mut() = crate::clock::now_ms());
    PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()))
}

async fn send(env: &Env, snapshot: Snapshot) {
    if snapshot.is_empty() {
        return;
    }
    let sent: std::result::Result<serde_json::Value, _> =
        objects::call(env, BINDING, OBJECT, "metrics object", &snapshot).await;
    if let Err(e) = sent {
        // Kept for the next hand-over.
        PENDING.with(|p| p.borrow_mut().merge(&snapshot));
        log::warn("metrics_flush_failed", json!({ "cause": e.to_string() }));
    }
}

/// Hands this isolate's counts to the object in the background, at most every 10 s.
pub fn flush_soon(env: &Env, ctx: &Context) {
    let due =
        LAST_FLUSH.with(|l| crate::clock::now_ms().saturating_sub(*l.borrow()) >= FLUSH_EVERY_MS);
    if due && PENDING.with(|p| !p.borrow().is_empty()) {
        let snapshot = take();
        let env = env.clone();
        ctx.wait_until(async move { send(&env, snapshot).await });
    }
}

/// Hands this isolate's counts over now (scrapes, queue batches, crons).
pub async fn flush_now(env: &Env) {
    send(env, take()).await;
}

/// Every isolate's counts, summed by the object.
pub async fn scrape(env: &Env) -> std::result::Result<String, crate::store::StoreError> {
    flush_now(env).await;
    let mut total: Snapshot =
        objects::call(env, BINDING, OBJECT, "metrics object", &Snapshot::default()).await?;
    for (name, labels) in FROM_START {
        total.inc(name, labels, 0);
    }
    Ok(total.render(HELP))
}

/// Sums the snapshots isolates send; answers with the sum. One object for the worker:
/// isolates send at most every 10 s, so it sees a few requests per second per hundred
/// isolates.
#[durable_object]
pub struct MetricsAggregator {
    state: State,
}

impl DurableObject for MetricsAggregator {
    fn new(state: State, _env: Env) -> Self {
        Self { state }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let delta: Snapshot = req.json().await?;
        let storage = self.state.storage();
        // Stored as JSON text: exact integers, whatever the runtime's number types.
        let stored: Option<String> = storage.get("total").await?;
        let mut total: Snapshot = stored
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        if !delta.is_empty() {
            total.merge(&delta);
            let text = serde_json::to_string(&total)
                .map_err(|e| worker::Error::RustError(e.to_string()))?;
            storage.put("total", text).await?;
        }
        Response::from_json(&total)
    }
}
