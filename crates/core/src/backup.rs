//! Backups of D1: what a backup holds, how its parts are checked before anything is
//! restored, and which backups retention deletes. A backup is one folder in R2:
//! `backups/{id}/{table}.ndjson.gz` per table and `backups/{id}/manifest.json`, written
//! last (a folder without a manifest is an unfinished backup and is never restored). The
//! manifest holds each table's row count, columns and the SHA-256 of its NDJSON, so a
//! corrupted or truncated part is refused before a single row is written.

use chrono::{DateTime, NaiveDateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

mod views;
pub use views::{BackupListed, BackupSummary, KvRewrite, RestoreResult, TableSummary};

pub const FORMAT: u32 = 1;
pub const PREFIX: &str = "backups/";

/// Tables in restore order (parents before children: foreign keys hold at every step).
/// Not backed up: idempotency keys, the KV repair queue, the visitors of the day and webhook
/// events and attempts (short-lived by design; KV is rebuilt from the links after a restore).
pub const TABLES: [&str; 12] = [
    "users",
    // Webhook endpoints with their secrets: a restore must not silently cut off a user's
    // integrations. Their events and attempts are short-lived and not backed up; the link
    // triggers raise nothing while a restore writes (migrations/0014).
    "webhook_endpoints",
    "links",
    "tags",
    "link_tags",
    "api_keys",
    "click_rollups",
    "workspaces",
    "workspace_members",
    // What the PocketBase import has inserted: after a restore, running the import again
    // must not bring back what was deleted since.
    "import_ledger",
    // Abuse handling: what is denied, and who did what (both must survive a restore).
    "abuse_denylist",
    "admin_audit",
];
/// Raw clicks, with BACKUP_INCLUDE_CLICKS (they are big and expire anyway).
pub const CLICKS_TABLE: &str = "clicks";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub id: String,
    pub created_at: String,
    /// How many links it holds (also in `tables`; said up front for people and scripts).
    /// Backups written before this field existed read it from `tables`.
    #[serde(default)]
    pub links: Option<u64>,
    pub tables: Vec<TableEntry>,
}

impl Manifest {
    /// Rows of `table` in this backup (0 when the table is not in it).
    pub fn rows(&self, table: &str) -> u64 {
        self.tables
            .iter()
            .find(|t| t.name == table)
            .map_or(0, |t| t.rows)
    }

    /// How many links this backup holds.
    pub fn links(&self) -> u64 {
        self.links.unwrap_or_else(|| self.rows("links"))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TableEntry {
    pub name: String,
    /// The R2 key of the gzipped NDJSON.
    pub key: String,
    pub rows: u64,
    pub columns: Vec<String>,
    /// SHA-256 (hex) of the uncompressed NDJSON.
    pub sha256: String,
    pub bytes: u64,
    pub gzip_bytes: u64,
}

#[derive(Debug, PartialEq, Eq)]
pub enum BackupError {
    NotFound,
    BadManifest(String),
    UnsupportedFormat(u32),
    MissingPart(String),
    Damaged { table: String, why: String },
}

impl std::fmt::Display for BackupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BackupError::NotFound => write!(f, "no complete backup with this id (no manifest)"),
            BackupError::BadManifest(why) => write!(f, "the manifest is not valid: {why}"),
            BackupError::UnsupportedFormat(v) => {
                write!(
                    f,
                    "backup format {v} is not supported (this worker reads {FORMAT})"
                )
            }
            BackupError::MissingPart(key) => write!(f, "the backup part {key} is missing"),
            BackupError::Damaged { table, why } => write!(f, "table {table} is damaged: {why}"),
        }
    }
}

/// A backup's id: its UTC time, sortable and safe in an R2 key.
pub fn backup_id(now: DateTime<Utc>) -> String {
    now.format("%Y-%m-%dT%H-%M-%S%.3fZ").to_string()
}

pub fn parse_backup_id(id: &str) -> Option<DateTime<Utc>> {
    NaiveDateTime::parse_from_str(id, "%Y-%m-%dT%H-%M-%S%.3fZ")
        .ok()
        .map(|n| n.and_utc())
}

pub fn manifest_key(id: &str) -> String {
    format!("{PREFIX}{id}/manifest.json")
}

pub fn table_key(id: &str, table: &str) -> String {
    format!("{PREFIX}{id}/{table}.ndjson.gz")
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One JSON object per line, each ending in a newline.
pub fn ndjson(rows: &[Value]) -> Vec<u8> {
    let mut out = Vec::new();
    for r in rows {
        if let Ok(line) = serde_json::to_vec(r) {
            out.extend_from_slice(&line);
            out.push(b'\n');
        }
    }
    out
}

/// The columns of a table's rows (the keys of the first row; every row has the same).
pub fn columns(rows: &[Value]) -> Vec<String> {
    rows.first()
        .and_then(Value::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

pub fn parse_manifest(bytes: &[u8]) -> Result<Manifest, BackupError> {
    let m: Manifest =
        serde_json::from_slice(bytes).map_err(|e| BackupError::BadManifest(e.to_string()))?;
    if m.format != FORMAT {
        return Err(BackupError::UnsupportedFormat(m.format));
    }
    for t in &m.tables {
        let known = TABLES.contains(&t.name.as_str()) || t.name == CLICKS_TABLE;
        let columns_ok = t
            .columns
            .iter()
            .all(|c| !c.is_empty() && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        if !known || !columns_ok {
            return Err(BackupError::BadManifest(format!(
                "unexpected table {:?}",
                t.name
            )));
        }
    }
    Ok(m)
}

/// Checks one table's NDJSON against its manifest entry and returns its rows.
pub fn verify_table(entry: &TableEntry, ndjson: &[u8]) -> Result<Vec<Value>, BackupError> {
    let damaged = |why: String| BackupError::Damaged {
        table: entry.name.clone(),
        why,
    };
    if ndjson.len() as u64 != entry.bytes {
        return Err(damaged(format!(
            "{} bytes instead of {}",
            ndjson.len(),
            entry.bytes
        )));
    }
    if sha256_hex(ndjson) != entry.sha256 {
        return Err(damaged("checksum does not match the manifest".into()));
    }
    let mut rows = Vec::with_capacity(entry.rows as usize);
    for (i, line) in ndjson.split(|b| *b == b'\n').enumerate() {
        if line.is_empty() {
            continue;
        }
        let v: Value =
            serde_json::from_slice(line).map_err(|e| damaged(format!("line {}: {e}", i + 1)))?;
        if !v.is_object() {
            return Err(damaged(format!("line {} is not an object", i + 1)));
        }
        rows.push(v);
    }
    if rows.len() as u64 != entry.rows {
        return Err(damaged(format!(
            "{} rows instead of {}",
            rows.len(),
            entry.rows
        )));
    }
    Ok(rows)
}

/// A restored row must be one the API could have written: a backup in R2 is input like any
/// other (whoever can write the bucket could craft a consistent one). Links: their code (a
/// plain code, or `username/code` of their owner), their targets under the current target
/// policy (as stored: `check_stored`), and a password hash in the worker's own format and cost. Users: their username.
/// API keys: a SHA-256 hex hash. `usernames`: user id → username, from the backup's users.
pub fn validate_row(
    table: &str,
    row: &Value,
    policy: &super::target::Policy,
    usernames: &std::collections::HashMap<String, String>,
) -> Result<(), String> {
    let text = |k: &str| row.get(k).and_then(Value::as_str);
    match table {
        "links" => {
            let code = text("code").ok_or("no code")?;
            let owner = text("user_id")
                .and_then(|u| usernames.get(u))
                .map(String::as_str);
            super::code::validate_stored(code, owner)
                .map_err(|e| format!("code '{code}': {e:?}"))?;
            for field in ["url", "ios_url", "android_url"] {
                if let Some(url) = text(field) {
                    policy
                        .check_stored(url)
                        .map_err(|e| format!("{field} of '{code}': {e:?}"))?;
                }
            }
            if let Some(geo) = text("geo_targets") {
                let map: std::collections::BTreeMap<String, String> = serde_json::from_str(geo)
                    .map_err(|_| format!("geo_targets of '{code}' is not a map"))?;
                for url in map.values() {
                    policy
                        .check_stored(url)
                        .map_err(|e| format!("a geo target of '{code}': {e:?}"))?;
                }
            }
            if let Some(phc) = text("password_hash") {
                let ok = super::secret::PasswordHash::parse(phc).is_some_and(|h| {
                    h.iterations == super::secret::PBKDF2_ITERATIONS
                        && h.salt.len() >= super::secret::SALT_LEN
                        && h.hash.len() == super::secret::HASH_LEN
                });
                if !ok {
                    return Err(format!(
                        "password_hash of '{code}' is not the worker's PBKDF2"
                    ));
                }
            }
            Ok(())
        }
        "users" => {
            let name = text("username").ok_or("no username")?;
            let valid = super::username::is_valid(name)
                || text("id").is_some_and(|id| name == super::username::unset(id));
            valid
                .then_some(())
                .ok_or_else(|| format!("username '{name}'"))
        }
        "api_keys" => {
            let hash = text("key_hash").unwrap_or_default();
            (hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
                .then_some(())
                .ok_or_else(|| "key_hash is not a SHA-256".into())
        }
        _ => Ok(()),
    }
}

/// Backups that retention deletes: older than `keep_days`, but never the newest one, nor
/// `also_keep` (the newest backup fit to restore: an emptied database backed up for weeks
/// must not push the last good backup out).
pub fn expired(
    ids: &[String],
    now: DateTime<Utc>,
    keep_days: i64,
    also_keep: Option<&str>,
) -> Vec<String> {
    let newest = ids.iter().filter_map(|i| parse_backup_id(i)).max();
    let cutoff = now - chrono::Duration::days(keep_days);
    ids.iter()
        .filter(|id| Some(id.as_str()) != also_keep)
        .filter(|id| parse_backup_id(id).is_some_and(|t| t < cutoff && Some(t) != newest))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests;
