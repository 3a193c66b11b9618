//! Making link writes visible to the redirect path: D1 has been written; now KV, and this
//! isolate's memory. A failed KV write does not fail the request (D1 has the truth and the
//! redirect path falls back to it); it is retried once after the response and logged.

use std::cell::RefCell;
use std::time::Duration;

use futures_util::future::join_all;
use serde_json::json;
use worker::{Context, Env};

use crate::config::Config;
use crate::log;
use crate::runtime::memory;
use crate::store::d1;
use crate::store::kv::RedirectKv;
use crate::store::repairs::{Queued, Repairs};
use crate::store::StoreError;
use uload_core::link::RedirectRecord;
use uload_core::outbox::Outbox;

/// `Some(record)`: the code now redirects there; `None`: the code is gone.
pub type Change = (String, Option<RedirectRecord>);

async fn apply(
    env: &Env,
    kv_ttl: u64,
    code: &str,
    record: &Option<RedirectRecord>,
) -> Result<(), StoreError> {
    let kv = RedirectKv::from_env(env, kv_ttl)?;
    match record {
        Some(r) => kv.put(code, r).await,
        None => kv.delete(code).await,
    }
}

pub async fn publish(env: &Env, ctx: &Context, cfg: &Config, changes: Vec<Change>) {
    // Outbox first: should the KV writes fail, or this isolate die before them, the
    // reconcile job finds these codes and rewrites their records from D1.
    let codes: Vec<String> = changes.iter().map(|(c, _)| c.clone()).collect();
    let stamp = crate::clock::now_iso();
    let queued = match d1::database(env) {
        Ok(db) => Repairs { db: &db }.add(&codes, &stamp).await,
        Err(e) => Err(e),
    };
    if let Err(e) = &queued {
        log::warn("kv_repair_queue_failed", json!({ "cause": e.to_string() }));
    }
    publish_queued(env, ctx, cfg, changes, queued.ok().map(|_| stamp)).await;
}

/// `publish` for changes whose repair rows are already in D1 (written in the change's own
/// batch, as a link's creation does). `stamp`: the rows' stamp (`Repairs`), None when
/// nothing was queued.
pub async fn publish_queued(
    env: &Env,
    ctx: &Context,
    cfg: &Config,
    changes: Vec<Change>,
    stamp: Option<String>,
) {
    for (code, _) in &changes {
        memory::forget(cfg, code);
    }
    let ttl = cfg.kv_cache_ttl_s;
    let results = join_all(
        changes
            .iter()
            .map(|(code, record)| apply(env, ttl, code, record)),
    )
    .await;
    let mut failed: Vec<Change> = Vec::new();
    for (change, r) in changes.into_iter().zip(results) {
        match r {
            Ok(()) => {
                if let Some(id) = landed(&stamp, change.0) {
                    ctx.wait_until(remove_landed(id, env.clone()));
                }
            }
            Err(e) => {
                log::warn(
                    "kv_publish_failed",
                    json!({ "code": change.0, "cause": e.to_string(), "retry": true }),
                );
                failed.push(change);
            }
        }
    }
    if failed.is_empty() {
        return;
    }
    let env = env.clone();
    ctx.wait_until(async move {
        let mut flusher = None;
        for (code, record) in failed {
            match apply(&env, ttl, &code, &record).await {
                Ok(()) => flusher = flusher.or(landed(&stamp, code)),
                // Left in the queue: the reconcile job repairs it; D1 serves meanwhile.
                Err(e) => log::error(
                    "kv_publish_retry_failed",
                    json!({ "code": code, "cause": e.to_string() }),
                ),
            }
        }
        if let Some(id) = flusher {
            remove_landed(id, env).await;
        }
    });
}

thread_local! {
    /// Repair rows whose KV change landed, waiting to be removed together.
    static LANDED: RefCell<Outbox<Queued>> =
        RefCell::new(Outbox::new(LANDED_RENEW_AFTER_MS, LANDED_CAPACITY));
}

/// How long removals gather before one statement removes them: a link creation used to
/// end with a D1 write of its own (`DELETE FROM kv_repairs`), now many share one.
const LANDED_GATHER_MS: u64 = 1_000;
const LANDED_RENEW_AFTER_MS: u64 = 15_000;
/// Rows one statement removes at most (a JSON parameter well under D1's limits).
const LANDED_BATCH: usize = 200;
/// Held at most; beyond that the oldest are left to the reconcile job (which rewrites
/// their KV records from D1: the same records, a little work).
const LANDED_CAPACITY: usize = 5_000;

/// A code's KV change landed: its repair row (if it was queued) goes soon, with others.
/// Returns the id of a removal flusher the caller must start, if one is needed.
fn landed(stamp: &Option<String>, code: String) -> Option<u64> {
    let stamp = stamp.as_ref()?;
    let now = crate::clock::now_ms();
    LANDED.with(|l| l.borrow_mut().push((code, stamp.clone()), now))
}

/// A removal flusher (`uload_core::outbox`: nothing pushed is left without one).
async fn remove_landed(id: u64, env: Env) {
    let gather = Duration::from_millis(LANDED_GATHER_MS);
    let env = &env;
    let dropped = crate::flusher::drain(&LANDED, id, LANDED_BATCH, gather, |batch| async move {
        let removed = match d1::database(env) {
            Ok(db) => Repairs { db: &db }.remove(&batch).await,
            Err(e) => Err(e),
        };
        // Not put back: the reconcile job rewrites those codes from D1 and removes them.
        if let Err(e) = removed {
            log::warn(
                "kv_repair_dequeue_failed",
                json!({ "rows": batch.len(), "cause": e.to_string() }),
            );
        }
    })
    .await;
    if dropped > 0 {
        log::warn(
            "kv_repair_removals_dropped",
            json!({ "rows": dropped, "cause": "the isolate held too many: the reconcile job removes them" }),
        );
    }
}

/// The reconcile job (cron): rewrites the KV record of every queued code from D1, the truth,
/// and reports what it fixed. A code whose link is gone loses its KV record.
pub async fn reconcile(env: &Env, kv_ttl: u64) -> Result<(usize, usize), StoreError> {
    let db = d1::database(env)?;
    let repairs = Repairs { db: &db };
    let links = crate::store::links_db::LinksDb::from_env(env)?;
    let queued = repairs.pending(500).await?;
    let (mut fixed, mut failed) = (0, 0);
    let mut done = Vec::new();
    for (code, stamp) in queued {
        let record = links.find_redirect(&code).await?;
        match apply(env, kv_ttl, &code, &record).await {
            Ok(()) => {
                fixed += 1;
                // With its stamp: a write that queued the code again since keeps its row.
                done.push((code, stamp));
            }
            Err(e) => {
                failed += 1;
                log::warn(
                    "kv_repair_failed",
                    json!({ "code": code, "cause": e.to_string() }),
                );
            }
        }
    }
    if !done.is_empty() {
        repairs.remove(&done).await?;
    }
    Ok((fixed, failed))
}

pub use uload_core::audit::Audit;

/// The full reconcile (daily, and `POST /api/v1/admin/reconcile`): walks every link of D1
/// and every record of KV, and repairs what differs (missing, stale, orphaned) from D1.
pub async fn audit(env: &Env, kv_ttl: u64, delete_all_orphans: bool) -> Result<Audit, StoreError> {
    const PAGE: u32 = 500;
    let kv = RedirectKv::from_env(env, kv_ttl)?;
    let links = crate::store::links_db::LinksDb::from_env(env)?;
    let mut kv_codes: std::collections::HashSet<String> = kv.codes().await?.into_iter().collect();
    let kv_records = kv_codes.len();
    let mut report = Audit::default();
    let mut fix: Vec<Change> = Vec::new();
    let mut after = String::new();
    loop {
        let page = links.redirects_page(&after, PAGE).await?;
        let Some((last, _)) = page.last() else {
            break;
        };
        after = last.clone();
        let full = page.len() == PAGE as usize;
        for (code, record) in page {
            report.checked += 1;
            let known = kv_codes.remove(&code);
            let stored = if known {
                kv.get(&code).await.ok().flatten()
            } else {
                None
            };
            match stored {
                None => report.missing += 1,
                Some(r) if r != record => report.stale += 1,
                Some(_) => continue,
            }
            fix.push((code, Some(record)));
        }
        if !full {
            break;
        }
    }
    report.orphaned = kv_codes.len();
    if delete_all_orphans || uload_core::audit::may_delete_orphans(report.orphaned, kv_records) {
        fix.extend(kv_codes.into_iter().map(|code| (code, None)));
    } else {
        // An emptied or shrunken D1 looks like "everything is orphaned": keep every redirect
        // and ask a person.
        report.orphans_kept = report.orphaned;
        crate::metrics::record(|m| m.inc("kv_audit_deletions_refused_total", &[], 1));
        log::error(
            "kv_audit_bulk_delete_refused",
            json!({
                "orphaned": report.orphaned,
                "kv_records": kv_records,
                "hint": "check D1; if these links are really gone: POST /api/v1/admin/reconcile?delete_orphans=true",
            }),
        );
    }
    for (code, record) in &fix {
        match apply(env, kv_ttl, code, record).await {
            Ok(()) => report.fixed += 1,
            Err(e) => {
                report.failed += 1;
                log::warn(
                    "kv_repair_failed",
                    json!({ "code": code, "cause": e.to_string() }),
                );
            }
        }
    }
    log::info(
        "kv_audited",
        serde_json::to_value(&report).unwrap_or_default(),
    );
    Ok(report)
}
