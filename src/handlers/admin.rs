//! Operations API (the admin token only, ADMIN_TOKEN): list and make backups, restore one,
//! reconcile KV.

use serde_json::{json, Value};

use super::Ctx;
use crate::backup::{self, RestoreError};
use crate::domain::backup::Manifest;
use crate::error::ApiError;
use crate::http::Reply;
use crate::log;

fn service_only(c: &Ctx) -> Result<(), ApiError> {
    if c.who.is_admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "operations need the admin token (ADMIN_TOKEN), not the dashboard's".into(),
        ))
    }
}

fn summary(m: &Manifest) -> Value {
    json!({
        "id": m.id,
        "created_at": m.created_at,
        "tables": m.tables.iter().map(|t| json!({
            "name": t.name, "rows": t.rows, "bytes": t.bytes, "gzip_bytes": t.gzip_bytes, "sha256": t.sha256,
        })).collect::<Vec<_>>(),
    })
}

pub async fn list(c: &Ctx<'_>) -> Result<Reply, ApiError> {
    service_only(c)?;
    let backups = backup::list(c.env).await?;
    Ok(Reply::json(
        200,
        &json!({ "data": backups.iter().map(summary).collect::<Vec<_>>() }),
    ))
}

pub async fn create(c: &Ctx<'_>) -> Result<Reply, ApiError> {
    service_only(c)?;
    let manifest = backup::run(c.env, c.cfg).await?;
    Ok(Reply::json(201, &summary(&manifest)))
}

pub async fn restore(c: &Ctx<'_>, id: &str) -> Result<Reply, ApiError> {
    service_only(c)?;
    match backup::restore(c.env, c.cfg, id).await {
        Ok(r) => Ok(Reply::json(
            200,
            &json!({
                "restored": summary(&r.manifest),
                "kv": { "written": r.kv_written, "failed": r.kv_failed },
            }),
        )),
        Err(RestoreError::Backup(crate::domain::backup::BackupError::NotFound)) => {
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
            code: "database_not_empty",
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
    service_only(c)?;
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
    let report = crate::handlers::publish::audit(c.env, c.cfg.kv_cache_ttl_s, delete_all).await?;
    Ok(Reply::json(200, &report))
}
