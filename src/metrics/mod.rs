//! Metrics of this worker: each isolate counts into its own snapshot (no I/O on the hot
//! path, `pending`) and hands it to one of `SHARDS` `MetricsAggregator` Durable Objects at
//! most every `FLUSH_EVERY_MS`, in `wait_until`; `/metrics` flushes its own isolate, then
//! renders the sum of every shard. A failed hand-over puts the counts back, so none is lost.
//!
//! Why shards: one object would take every isolate's report; with thousands of isolates
//! (a viral link served from 300 locations) that is one object's whole capacity. Any
//! snapshot may go to any shard (counters add, histograms add, gauges keep the larger), so
//! each hand-over picks one at random, and the scrape's merge of all shards is exact.

mod aggregator;
pub mod pending;

use serde_json::json;
use worker::{Context, Env};

use crate::{log, objects};
use uload_core::metrics::Snapshot;

#[cfg(feature = "api")]
pub use aggregator::MetricsAggregator;
pub use pending::record;

pub const BINDING: &str = "METRICS";
/// Aggregator shards. Shard 0 keeps the name of the single object of earlier versions, so
/// its totals carry on.
const SHARDS: u32 = 8;
const FLUSH_EVERY_MS: u64 = 10_000;

fn shard_name(shard: u32) -> String {
    if shard == 0 {
        "global".to_string()
    } else {
        format!("global-{shard}")
    }
}

/// (name, type, help) of every metric.
pub const HELP: &[(&str, &str, &str)] = &[
    ("http_requests_total", "counter", "Requests answered, by method, route kind and status"),
    ("http_request_duration_seconds", "histogram", "Time from request to response (the runtime's clock advances only across I/O, so pure-CPU answers read as 0)"),
    ("link_redirects_total", "counter", "Short-link lookups, by outcome and the layer that answered"),
    ("rate_limited_total", "counter", "Requests refused by a rate limit, by scope"),
    ("redirect_limit_calls_total", "counter", "Calls of isolates to the redirect limiter's shard objects (each carries a batch of reports), by outcome"),
    ("redirect_limit_reports_total", "counter", "Clients' redirect reports sent to the limiter's shards, by outcome (answered, or failed: those clients fail open a while)"),
    ("origin_requests_total", "counter", "Requests for the origin (the SvelteKit app), by how they were answered"),
    ("clicks_recorded_total", "counter", "Clicks handed to analytics by redirects"),
    ("clicks_dropped_total", "counter", "Clicks an isolate gave up because its outbox was full (the queue did not take them): alert on any"),
    ("click_messages_total", "counter", "Queue messages of clicks, by outcome (sent, or stored directly when the queue refused)"),
    ("click_batches_total", "counter", "Queue batches the click consumer handled, by outcome"),
    ("clicks_stored_total", "counter", "Clicks stored, by the consumer or directly when the queue refused them (new ones; redelivered ones are not counted again)"),
    ("click_counter_calls_total", "counter", "Calls to max_clicks counters, by object (the link's pool, or one of its shards once the link is busier than one object takes)"),
    ("overloaded_total", "counter", "Failures of a dependency that said it is overloaded (a Durable Object or D1 past its capacity), by dependency: alert on any"),
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
    ("webhook_outbox_claims_total", "counter", "Claims of undispatched webhook events by the dispatcher (a D1 write each, up to 100 events; started after API writes that raised events, after the other API writes, and every minute)"),
    ("abuse_report_wait_seconds_total", "counter", "Seconds the oldest open report of each decided link waited (divide by abuse_reports_actioned_total)"),
];

/// Series exported from the first scrape with their zero value, before anything happened:
/// an alert on `increase()` misses the first event of a series that appears with it.
/// (The backup timestamp is not among them: "never" is not 1970; `absent()` covers it.)
const FROM_START: &[(&str, &[(&str, &str)])] = &[
    ("backups_total", &[("outcome", "ok")]),
    ("backups_total", &[("outcome", "failed")]),
    ("clicks_dropped_total", &[]),
    ("overloaded_total", &[("dependency", "click counter")]),
    ("overloaded_total", &[("dependency", "rate limiter")]),
    ("overloaded_total", &[("dependency", "D1")]),
    ("click_batches_total", &[("outcome", "stored")]),
    ("click_batches_total", &[("outcome", "retried")]),
    ("kv_audit_deletions_refused_total", &[]),
    ("crons_skipped_total", &[("task", "backup")]),
    ("crons_skipped_total", &[("task", "retention")]),
    ("crons_skipped_total", &[("task", "kv_reconcile")]),
];

async fn send(env: &Env, snapshot: Snapshot) {
    if snapshot.is_empty() {
        return;
    }
    let shard = u32::from(crate::runtime::random_bytes(1)[0]) % SHARDS;
    let sent: std::result::Result<serde_json::Value, _> = objects::call(
        env,
        BINDING,
        &shard_name(shard),
        "metrics object",
        &snapshot,
    )
    .await;
    if let Err(e) = sent {
        // Kept for the next hand-over.
        pending::put_back(&snapshot);
        log::warn("metrics_flush_failed", json!({ "cause": e.to_string() }));
    }
}

/// Hands this isolate's counts to an aggregator in the background, at most every 10 s.
pub fn flush_soon(env: &Env, ctx: &Context) {
    if let Some(snapshot) = pending::take_if_due(FLUSH_EVERY_MS) {
        let env = env.clone();
        ctx.wait_until(async move { send(&env, snapshot).await });
    }
}

/// Hands this isolate's counts over when the last hand-over is `every_ms` old: the visitor's
/// worker before it forwards a scrape (bounded, so scrapes cannot make it call the
/// aggregator more often than that).
pub async fn flush_if_due(env: &Env, every_ms: u64) {
    if let Some(snapshot) = pending::take_if_due(every_ms) {
        send(env, snapshot).await;
    }
}

/// Hands this isolate's counts over now (scrapes, queue batches, crons).
pub async fn flush_now(env: &Env) {
    send(env, pending::take()).await;
}

/// Every isolate's counts: the sum of every shard. One shard that cannot be reached fails
/// the scrape (Prometheus records it as down) rather than showing counters that went back.
pub async fn scrape(env: &Env) -> std::result::Result<String, crate::store::StoreError> {
    flush_now(env).await;
    let empty = Snapshot::default();
    let names: Vec<String> = (0..SHARDS).map(shard_name).collect();
    let reads = names
        .iter()
        .map(|name| objects::call::<_, Snapshot>(env, BINDING, name, "metrics object", &empty));
    let mut total = Snapshot::default();
    for shard in futures_util::future::join_all(reads).await {
        total.merge(&shard?);
    }
    for (name, labels) in FROM_START {
        total.inc(name, labels, 0);
    }
    Ok(total.render(HELP))
}
