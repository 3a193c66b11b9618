//! Backups of D1 to R2 and restores from them. The rules (format, checks, retention) are
//! in `uload_core::backup`; this moves the bytes. Compression is the runtime's own gzip
//! (`compression`), so no compression library is shipped in the wasm.

use serde_json::{json, Value};
use worker::Env;

use crate::compression::{self, Format};
use crate::config::Config;
use crate::services::kv_sync;
use crate::store::backup_db::{BackupDb, TableRows};
use crate::store::r2::Backups;
use crate::store::StoreError;
use crate::{log, metrics};
use uload_core::backup::{self, BackupError, Manifest, TableEntry};
use uload_core::restore::{self, Flag};

#[derive(Debug)]
pub enum RestoreError {
    Backup(BackupError),
    /// The target database has data: a restore only goes into an empty one.
    NotEmpty,
    /// The backup has columns this database does not (a newer schema than the worker's).
    Schema(String),
    Store(StoreError),
}

impl From<StoreError> for RestoreError {
    fn from(e: StoreError) -> Self {
        RestoreError::Store(e)
    }
}

/// The most a table's NDJSON may take once decompressed (D1's own size limit per database is
/// far above any uLoad table; this only stops a hostile part).
const MAX_TABLE_BYTES: usize = 256 * 1024 * 1024;

fn tables(cfg: &Config) -> Vec<&'static str> {
    let mut t = backup::TABLES.to_vec();
    if cfg.backup_include_clicks {
        t.push(backup::CLICKS_TABLE);
    }
    t
}

/// Writes one backup: every table from one consistent read, gzipped NDJSON per table, then
/// the manifest; then deletes backups past retention (never the newest).
pub async fn run(env: &Env, cfg: &Config) -> Result<Manifest, StoreError> {
    let result = write(env, cfg).await;
    metrics::record(|m| match &result {
        Ok(_) => {
            m.inc("backups_total", &[("outcome", "ok")], 1);
            m.set_latest(
                "backup_last_success_timestamp_seconds",
                &[],
                (crate::clock::now_ms() / 1000) as f64,
            );
        }
        Err(_) => m.inc("backups_total", &[("outcome", "failed")], 1),
    });
    result
}

async fn write(env: &Env, cfg: &Config) -> Result<Manifest, StoreError> {
    let started = crate::clock::now_ms();
    let names = tables(cfg);
    let data = BackupDb::from_env(env)?.export(&names).await?;
    let r2 = Backups::from_env(env)?;
    let id = backup::backup_id(crate::clock::now_utc());
    let mut entries = Vec::new();
    for (name, rows) in names.iter().zip(data) {
        let ndjson = backup::ndjson(&rows);
        let gz = compression::compress(&ndjson, Format::Gzip)
            .await
            .map_err(|e| StoreError::unavailable("CompressionStream", e))?;
        let key = backup::table_key(&id, name);
        entries.push(TableEntry {
            name: name.to_string(),
            key: key.clone(),
            rows: rows.len() as u64,
            columns: backup::columns(&rows),
            sha256: backup::sha256_hex(&ndjson),
            bytes: ndjson.len() as u64,
            gzip_bytes: gz.len() as u64,
        });
        r2.put(&key, gz).await?;
    }
    let links = entries.iter().find(|t| t.name == "links").map(|t| t.rows);
    let manifest = Manifest {
        format: backup::FORMAT,
        id: id.clone(),
        created_at: crate::clock::now_iso(),
        links,
        tables: entries,
    };
    let bytes = serde_json::to_vec(&manifest).unwrap_or_default();
    r2.put(&backup::manifest_key(&id), bytes).await?;
    let pruned = prune(env, &r2, cfg).await?;
    log::info(
        "backup_written",
        json!({
            "id": id,
            "rows": manifest.tables.iter().map(|t| (t.name.clone(), json!(t.rows))).collect::<serde_json::Map<_, _>>(),
            "gzip_bytes": manifest.tables.iter().map(|t| t.gzip_bytes).sum::<u64>(),
            "ms": crate::clock::now_ms().saturating_sub(started),
            "pruned": pruned,
        }),
    );
    Ok(manifest)
}

async fn prune(env: &Env, r2: &Backups, cfg: &Config) -> Result<Vec<String>, StoreError> {
    let ids = r2.folders(backup::PREFIX).await?;
    // The newest backup fit to restore stays, however old (see `uload_core::restore::judge`).
    let backups = Backups::from_env(env)?.manifests().await?;
    let judged = judge(&backups);
    let good = judged
        .iter()
        .find(|(_, s)| s.is_none())
        .map(|(m, _)| m.id.clone());
    let old = backup::expired(
        &ids,
        crate::clock::now_utc(),
        cfg.backup_retention_days,
        good.as_deref(),
    );
    for id in &old {
        r2.delete_all(&format!("{}{id}/", backup::PREFIX)).await?;
    }
    Ok(old)
}

/// Backups (newest first) with what is suspect about each: empty or shrunken ones are never
/// restored unless named, nor kept as "the last good backup".
pub fn judge(backups: &[Manifest]) -> Vec<(&Manifest, Option<restore::Suspect>)> {
    let links: Vec<u64> = backups.iter().map(Manifest::links).collect();
    backups.iter().zip(restore::judge(&links)).collect()
}

/// The cron's entry: a backup, logged loudly when it fails (the plan wants 100%).
pub async fn scheduled(env: &Env, cfg: &Config) {
    if let Err(e) = run(env, cfg).await {
        log::error("backup_failed", json!({ "cause": e.to_string() }));
    }
    metrics::flush_now(env).await;
}

/// What a restore did.
pub struct Restored {
    pub manifest: Manifest,
    pub kv_written: usize,
    pub kv_failed: usize,
}

/// Restores backup `id` into an empty D1 and rebuilds KV from it. Every part is read and
/// checked (gzip, size, checksum, row count, columns) before anything is written; the
/// write is one transaction.
pub async fn restore(env: &Env, cfg: &Config, id: &str) -> Result<Restored, RestoreError> {
    if backup::parse_backup_id(id).is_none() {
        return Err(RestoreError::Backup(BackupError::NotFound));
    }
    let r2 = Backups::from_env(env)?;
    let manifest_bytes = r2
        .get(&backup::manifest_key(id))
        .await?
        .ok_or(RestoreError::Backup(BackupError::NotFound))?;
    let manifest = backup::parse_manifest(&manifest_bytes).map_err(RestoreError::Backup)?;
    let mut tables: Vec<(TableEntry, Vec<Value>)> = Vec::new();
    for entry in &manifest.tables {
        let gz = r2
            .get(&entry.key)
            .await?
            .ok_or_else(|| RestoreError::Backup(BackupError::MissingPart(entry.key.clone())))?;
        // No more than the manifest says the table holds (checked again by checksum after).
        let cap = usize::try_from(entry.bytes)
            .unwrap_or(MAX_TABLE_BYTES)
            .min(MAX_TABLE_BYTES);
        let ndjson = compression::decompress(&gz, Format::Gzip, cap)
            .await
            .map_err(|why| {
                RestoreError::Backup(BackupError::Damaged {
                    table: entry.name.clone(),
                    why: format!("not valid gzip (truncated?): {why}"),
                })
            })?;
        let rows = backup::verify_table(entry, &ndjson).map_err(RestoreError::Backup)?;
        tables.push((entry.clone(), rows));
    }
    // Every row must be one the API could have written (a backup is input like any other).
    let usernames: std::collections::HashMap<String, String> = tables
        .iter()
        .filter(|(e, _)| e.name == "users")
        .flat_map(|(_, rows)| rows.iter())
        .filter_map(|r| {
            Some((
                r.get("id")?.as_str()?.to_string(),
                r.get("username")?.as_str()?.to_string(),
            ))
        })
        .collect();
    for (entry, rows) in &tables {
        for (i, row) in rows.iter().enumerate() {
            backup::validate_row(&entry.name, row, &cfg.target_policy, &usernames).map_err(
                |why| {
                    RestoreError::Backup(BackupError::Damaged {
                        table: entry.name.clone(),
                        why: format!("row {} is not one the API would write: {why}", i + 1),
                    })
                },
            )?;
        }
    }
    // Restore order is the domain's (parents first), whatever order the manifest lists.
    tables.sort_by_key(|(e, _)| {
        backup::TABLES
            .iter()
            .position(|t| *t == e.name)
            .unwrap_or(backup::TABLES.len())
    });
    let db = BackupDb::from_env(env)?;
    if !db.is_empty().await? {
        return Err(RestoreError::NotEmpty);
    }
    for (entry, _) in &tables {
        let have = db.columns(&entry.name).await?;
        if let Some(missing) = entry.columns.iter().find(|c| !have.contains(c)) {
            return Err(RestoreError::Schema(format!(
                "table {} has no column {missing} here: apply the migrations first",
                entry.name
            )));
        }
    }
    let rows: Vec<TableRows> = tables
        .iter()
        .map(|(e, rows)| TableRows {
            name: &e.name,
            columns: &e.columns,
            rows,
        })
        .collect();
    // Restore mode says "running" while the rows go in; whatever happens, the flag that
    // was there before comes back on failure, and none is left on success (the database
    // has its data again, so it decides for itself).
    let (before, _) = crate::restore_mode::state(env).await?;
    crate::restore_mode::set(env, Some(Flag::Running { since_ms: 0 })).await?;
    if let Err(e) = db.restore(&rows).await {
        let _ = crate::restore_mode::set(env, before).await;
        return Err(e.into());
    }
    crate::restore_mode::set(env, None).await?;
    // Clicks that arrived while restore mode was on were stored raw, not counted.
    crate::store::clicks_db::ClicksDb::from_env(env)?
        .count_pending()
        .await?;
    // KV from the restored D1: every link written, records of links the backup lacks deleted.
    let audit = kv_sync::audit(env, cfg.kv_cache_ttl_s, false).await?;
    let (kv_written, kv_failed) = (audit.fixed, audit.failed);
    log::info(
        "backup_restored",
        json!({ "id": id, "kv_written": kv_written, "kv_failed": kv_failed }),
    );
    Ok(Restored {
        manifest,
        kv_written,
        kv_failed,
    })
}
