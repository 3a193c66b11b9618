//! The cron jobs (wrangler.toml `[triggers]`): the KV reconcile every minute; click retention
//! and idempotency purge, and the backup with the abuse re-check, the KV audit and limit
//! seeding, once a day. All wait while a restore is pending or running.

use worker::Env;

use super::{abuse_review, kv_sync};
use crate::{analytics, backup, click_counter, log, restore_mode, runtime, store};

/// The daily crons of wrangler.toml: click retention, and the backup. Every other schedule
/// is the KV reconcile.
const RETENTION_CRON: &str = "17 3 * * *";
const BACKUP_CRON: &str = "41 2 * * *";

/// Idempotency records older than their 24-hour retry window are deleted daily.
async fn purge_idempotency(env: &Env) {
    let before = uload_core::time::format(
        crate::clock::now_utc()
            - chrono::Duration::milliseconds(crate::store::idempotency::WINDOW_MS),
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

/// Cron (wrangler.toml `[triggers]`): the KV reconcile job every minute; click retention and
/// the backup once a day.
pub async fn run(cron: &str, env: &Env) {
    let cfg = runtime::config(env);
    let job = match cron {
        RETENTION_CRON => "retention",
        BACKUP_CRON => "backup",
        _ => "kv_reconcile",
    };
    // While a restore is pending or running, no backup of the waiting database, no audit
    // of KV against it, no retention: every job waits for the restore.
    if !restore_mode::cron_may_run(env, job).await {
        return;
    }
    match cron {
        RETENTION_CRON => {
            analytics::scheduled_prune(env, &cfg).await;
            purge_idempotency(env).await;
            return;
        }
        BACKUP_CRON => {
            backup::scheduled(env, &cfg).await;
            // Links the denylist refuses since it changed are held for review; the audit
            // below publishes the holds to KV.
            if let Err(e) = abuse_review::recheck(env).await {
                log::error(
                    "abuse_recheck_failed",
                    serde_json::json!({ "cause": e.to_string() }),
                );
            }
            // Then the full KV audit: missing, stale or orphaned records repaired from D1.
            if let Err(e) = kv_sync::audit(env, cfg.kv_cache_ttl_s, false).await {
                log::error(
                    "kv_audit_failed",
                    serde_json::json!({ "cause": e.to_string() }),
                );
            }
            // And the counters of imported limited links that still wait for their seed.
            match click_counter::seed_imported(env).await {
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
    // Webhooks: expiries become events, events left undispatched go out, old ones go.
    if let Err(e) = super::webhooks::tick(env, &cfg).await {
        log::error(
            "webhook_tick_failed",
            serde_json::json!({ "cause": e.to_string() }),
        );
    }
    match kv_sync::reconcile(env, cfg.kv_cache_ttl_s).await {
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
