//! Operations API (the admin token only, ADMIN_TOKEN): list and make backups, restore one,
//! reconcile KV.

use serde_json::{json, Value};
use uload_core::problem::Code;

use super::Ctx;
use crate::backup::{self, RestoreError};
use crate::error::ApiError;
use crate::http::Reply;
use crate::log;
use crate::restore_mode;
use uload_core::backup::{BackupListed, BackupSummary, KvRewrite, RestoreResult};
use uload_core::fields::Reader;
use uload_core::page::List;
use uload_core::restore::Flag;

/// Backups, newest first; each says whether it is fit to restore (`suspect`: empty or
/// shrunken) and which one a restore without an id takes (`default`).
pub async fn list(c: &Ctx<'_>) -> Result<Reply, ApiError> {
    c.require_admin("operations")?;
    let backups = crate::store::r2::Backups::from_env(c.env)?
        .manifests()
        .await?;
    let judged = backup::judge(&backups);
    let chosen = judged.iter().position(|(_, s)| s.is_none());
    let data: Vec<BackupListed> = judged
        .iter()
        .enumerate()
        .map(|(i, (m, suspect))| BackupListed {
            summary: BackupSummary::from(*m),
            suspect: suspect.map(|s| s.describe()),
            default: Some(i) == chosen,
        })
        .collect();
    Ok(Reply::json(200, &List::from(data)))
}

/// Restore mode now: `mode` (off, pending, running), why, and the recorded flag.
pub async fn restore_mode(c: &Ctx<'_>) -> Result<Reply, ApiError> {
    c.require_admin("operations")?;
    let (flag, mode) = restore_mode::state(c.env).await?;
    Ok(Reply::json(
        200,
        &uload_core::restore::ModeView::new(flag, mode),
    ))
}

/// `{"mode": "pending" | "off" | "auto"}`: restore mode on, off (an empty database that is
/// meant to be empty), or decided by the database (on while it is empty and a backup with
/// links exists).
pub async fn set_restore_mode(c: &Ctx<'_>, body: &Value) -> Result<Reply, ApiError> {
    c.require_admin("operations")?;
    let mut r =
        Reader::new(body, uload_core::restore::MODE_FIELDS).map_err(ApiError::Validation)?;
    let mode = r.string("mode");
    let mode = r.require("mode", mode);
    let flag = match mode.as_deref() {
        Some("pending") => Some(Flag::Pending),
        Some("off") => Some(Flag::Off),
        Some("auto") | None => None,
        Some(_) => {
            r.error("mode", "mode must be pending, off or auto");
            None
        }
    };
    r.finish(|| ()).map_err(ApiError::Validation)?;
    restore_mode::set(c.env, flag).await?;
    log::warn(
        "restore_mode_set",
        json!({ "set": flag.map(|f| f.as_str()).unwrap_or("auto") }),
    );
    restore_mode(c).await
}

pub async fn create(c: &Ctx<'_>) -> Result<Reply, ApiError> {
    c.require_admin("operations")?;
    // A backup of the database that waits for its restore is what must never happen.
    restore_mode::guard_write(c.env).await?;
    let manifest = backup::run(c.env, c.cfg).await?;
    Ok(Reply::json(201, &BackupSummary::from(&manifest)))
}

pub async fn restore(c: &Ctx<'_>, id: &str) -> Result<Reply, ApiError> {
    c.require_admin("operations")?;
    match backup::restore(c.env, c.cfg, id).await {
        Ok(r) => Ok(Reply::json(
            200,
            &RestoreResult {
                restored: BackupSummary::from(&r.manifest),
                kv: KvRewrite {
                    written: r.kv_written,
                    failed: r.kv_failed,
                },
            },
        )),
        Err(RestoreError::Backup(uload_core::backup::BackupError::NotFound)) => {
            Err(ApiError::NotFound)
        }
        Err(RestoreError::Backup(e)) => {
            log::error(
                "backup_refused",
                json!({ "id": id, "cause": e.to_string() }),
            );
            Err(ApiError::BackupUnusable(e.to_string()))
        }
        Err(RestoreError::Schema(why)) => Err(ApiError::BackupUnusable(why)),
        Err(RestoreError::NotEmpty) => Err(ApiError::Conflict {
            code: Code::DatabaseNotEmpty,
            field: "database",
            detail:
                "a backup is restored only into an empty database (users, links, tags, API keys)"
                    .into(),
        }),
        Err(RestoreError::Store(e)) => Err(e.into()),
    }
}

/// Repairs KV from D1 now (missing, stale and orphaned records) and reports what it fixed.
/// Also counts clicks that wait to be counted (imported ones, or a batch that died).
/// `?delete_orphans=true`: delete every orphaned KV record, however many (the audit alone
/// never deletes in bulk).
pub async fn reconcile(c: &Ctx<'_>, pairs: &[(String, String)]) -> Result<Reply, ApiError> {
    c.require_admin("operations")?;
    restore_mode::guard_write(c.env).await?;
    let delete_all = match pairs
        .iter()
        .find(|(k, _)| k == "delete_orphans")
        .map(|(_, v)| v.as_str())
    {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            return Err(ApiError::validation(
                "delete_orphans",
                "delete_orphans must be true or false",
            ))
        }
    };
    crate::store::clicks_db::ClicksDb::from_env(c.env)?
        .count_pending()
        .await?;
    let report = crate::services::kv_sync::audit(c.env, c.cfg.kv_cache_ttl_s, delete_all).await?;
    let seeded = crate::click_counter::seed_imported(c.env).await?;
    Ok(Reply::json(
        200,
        &uload_core::audit::Reconciled {
            audit: report,
            limits_seeded: seeded,
        },
    ))
}
