//! Restore mode, read from D1 (and R2 when D1 is empty): while it is on, API writes answer
//! 503 and the crons skip, so nothing lands in the empty database that waits for its
//! restore, and no backup of it is taken. The rules are `uload_core::restore`.

use std::cell::RefCell;

use serde_json::json;
use worker::Env;

use crate::error::ApiError;
use crate::log;
use crate::store::d1;
use crate::store::operations_db::OperationsDb;
use crate::store::r2::Backups;
use crate::store::StoreError;
use uload_core::restore::{self, Flag, Mode};

/// Whether some backup holds links is read from R2 only while D1 is empty, and kept this
/// long per isolate (R2 lists every backup's manifest).
const BACKUPS_KNOWN_MS: u64 = 30_000;

/// A write trusts an "off" answer this long per isolate: every API write asking D1 first
/// cost a third of link-creation throughput (BENCHMARKS.md). An operator's switch reaches
/// other isolates within this; the isolate that makes it forgets at once.
const OFF_KNOWN_MS: u64 = 2_000;

thread_local! {
    static BACKUP_HAS_LINKS: RefCell<Option<(bool, u64)>> = const { RefCell::new(None) };
    static OFF_SINCE: RefCell<Option<u64>> = const { RefCell::new(None) };
}

async fn backup_has_links(env: &Env) -> Result<bool, StoreError> {
    let now = crate::clock::now_ms();
    if let Some((known, at)) = BACKUP_HAS_LINKS.with(|b| *b.borrow()) {
        if now.saturating_sub(at) < BACKUPS_KNOWN_MS {
            return Ok(known);
        }
    }
    let any = Backups::from_env(env)?
        .manifests()
        .await?
        .iter()
        .any(|m| m.links() > 0);
    BACKUP_HAS_LINKS.with(|b| *b.borrow_mut() = Some((any, now)));
    Ok(any)
}

/// The recorded flag and the mode it gives.
pub async fn state(env: &Env) -> Result<(Option<Flag>, Mode), StoreError> {
    let db = d1::database(env)?;
    let (flag, has_data) = OperationsDb { db: &db }.restore_state().await?;
    let backups = if flag.is_none() && !has_data {
        backup_has_links(env).await?
    } else {
        false
    };
    Ok((
        flag,
        restore::mode(flag, has_data, backups, crate::clock::now_ms()),
    ))
}

/// Refuses a write while restore mode is on (503 with Retry-After: nothing was changed).
pub async fn guard_write(env: &Env) -> Result<(), ApiError> {
    let now = crate::clock::now_ms();
    if OFF_SINCE.with(|o| {
        o.borrow()
            .is_some_and(|at| now.saturating_sub(at) < OFF_KNOWN_MS)
    }) {
        return Ok(());
    }
    let (_, mode) = state(env).await?;
    if mode.is_on() {
        OFF_SINCE.with(|o| *o.borrow_mut() = None);
        return Err(ApiError::RestoreMode(mode.reason()));
    }
    OFF_SINCE.with(|o| *o.borrow_mut() = Some(now));
    Ok(())
}

/// Whether a cron job may run now; a skipped job is logged with the reason. When D1 cannot
/// be read the job runs (and reports its own failure).
pub async fn cron_may_run(env: &Env, job: &str) -> bool {
    match state(env).await {
        Ok((_, mode)) if mode.is_on() => {
            crate::metrics::record(|m| m.inc("crons_skipped_total", &[("task", job)], 1));
            crate::metrics::flush_now(env).await;
            log::warn(
                "cron_skipped",
                json!({ "job": job, "restore_mode": mode.as_str(), "reason": mode.reason() }),
            );
            false
        }
        Ok(_) => true,
        Err(e) => {
            log::warn(
                "restore_mode_unknown",
                json!({ "job": job, "cause": e.to_string() }),
            );
            true
        }
    }
}

/// Records a flag (`None`: forget it, the database decides again).
pub async fn set(env: &Env, flag: Option<Flag>) -> Result<(), StoreError> {
    let db = d1::database(env)?;
    let ops = OperationsDb { db: &db };
    // A new decision: the next check reads D1 and R2 again.
    BACKUP_HAS_LINKS.with(|b| *b.borrow_mut() = None);
    OFF_SINCE.with(|o| *o.borrow_mut() = None);
    match flag {
        Some(f) => ops.set_restore(f, &crate::clock::now_iso()).await,
        None => ops.clear_restore().await,
    }
}
