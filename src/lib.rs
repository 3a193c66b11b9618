//! uload-edge: uLoad's short-link redirects and link API as a Cloudflare Worker.
//!
//! The rules live in the `uload-core` crate (crates/core: no `worker` types, unit-tested
//! natively); `store` adapts the bindings; `handlers` and `app` are the HTTP layer.

pub mod config;
pub mod error;

pub mod analytics;
mod app;
mod auth;
mod backup;
pub mod clicks;
pub mod clock;
pub mod crypto;
mod handlers;
mod http;
pub mod limiter;
mod log;
pub mod metrics;
mod objects;
mod restore_mode;
pub mod runtime;
pub mod salts;
mod store;

use worker::{
    event, Context, Env, MessageBatch, Request, Response, Result, ScheduleContext, ScheduledEvent,
};

/// The daily crons of wrangler.toml: click retention, and the backup. Every other schedule
/// is the KV reconcile.
const RETENTION_CRON: &str = "17 3 * * *";
const BACKUP_CRON: &str = "41 2 * * *";

/// Idempotency records older than their 24-hour retry window are deleted daily.
async fn purge_idempotency(env: &Env) {
    let before = uload_core::time::format(
        crate::clock::now_utc()
            - chrono::Duration::milliseconds(handlers::api::IDEMPOTENCY_WINDOW_MS),
    );
    let result = match store::d1::database(env) {
        Ok(db) => {
            (store::idempotency::IdempotencyDb { db: &db })
                .purge(&before)
                .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(n) => log::info("idempotency_purged", serde_json::json!({ "records": n })),
        Err(e) => log::error(
            "idempotency_purge_failed",
            serde_json::json!({ "cause": e.to_string() }),
        ),
    }
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    console_error_panic_hook::set_once();
    Ok(app::handle(req, env, ctx).await)
}

/// Cron (wrangler.toml `[triggers]`): the KV reconcile job every minute; click retention and
/// the backup once a day.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    console_error_panic_hook::set_once();
    let cfg = runtime::config(&env);
    let cron = event.cron();
    let job = match cron.as_str() {
        RETENTION_CRON => "retention",
        BACKUP_CRON => "backup",
        _ => "kv_reconcile",
    };
    // While a restore is pending or running, no backup of the waiting database, no audit
    // of KV against it, no retention: every job waits for the restore.
    if !restore_mode::cron_may_run(&env, job).await {
        return;
    }
    match cron.as_str() {
        RETENTION_CRON => {
            analytics::scheduled_prune(&env, &cfg).await;
            purge_idempotency(&env).await;
            return;
        }
        BACKUP_CRON => {
            backup::scheduled(&env, &cfg).await;
            // Links the denylist refuses since it changed are held for review; the audit
            // below publishes the holds to KV.
            if let Err(e) = handlers::abuse::recheck(&env).await {
                log::error(
                    "abuse_recheck_failed",
                    serde_json::json!({ "cause": e.to_string() }),
                );
            }
            // Then the full KV audit: missing, stale or orphaned records repaired from D1.
            if let Err(e) = handlers::publish::audit(&env, cfg.kv_cache_ttl_s, false).await {
                log::error(
                    "kv_audit_failed",
                    serde_json::json!({ "cause": e.to_string() }),
                );
            }
            // And the counters of imported limited links that still wait for their seed.
            match clicks::seed_imported(&env).await {
                Ok(0) => {}
                Ok(n) => log::info("limits_seeded", serde_json::json!({ "links": n })),
                Err(e) => log::error(
                    "limit_seeding_failed",
                    serde_json::json!({ "cause": e.to_string() }),
                ),
            }
            return;
        }
        _ => {}
    }
    match handlers::publish::reconcile(&env, cfg.kv_cache_ttl_s).await {
        Ok((fixed, failed)) => log::info(
            "kv_reconciled",
            serde_json::json!({ "fixed": fixed, "failed": failed }),
        ),
        Err(e) => log::error(
            "kv_reconcile_failed",
            serde_json::json!({ "cause": e.to_string() }),
        ),
    }
}

/// Queue consumer (wrangler.toml `[[queues.consumers]]`): click events into D1.
#[event(queue)]
async fn queue(batch: MessageBatch<serde_json::Value>, env: Env, _ctx: Context) -> Result<()> {
    console_error_panic_hook::set_once();
    // Failures are handled inside (the batch is retried); an `Err` here would panic.
    analytics::consume(batch, &env).await;
    Ok(())
}
