//! The KV repair queue in D1 (an outbox): codes whose KV record is being changed, or whose
//! change failed. See migrations/0003_kv_repairs.sql.
//!
//! A row's `created_at` is the stamp of the last write that queued its code: a write of the
//! same code while the row is there moves the stamp on, and a removal names the stamp of
//! the write whose KV change landed. So a removal that comes late (they are gathered, see
//! `kv_sync`) cannot take away the row of a later write whose KV change failed.

use serde::Deserialize;
use worker::D1Database;

use super::d1;
use super::StoreError;

pub struct Repairs<'a> {
    pub db: &'a D1Database,
}

impl Repairs<'_> {
    pub async fn add(&self, codes: &[String], now: &str) -> Result<(), StoreError> {
        let json = serde_json::to_string(codes).unwrap_or_else(|_| "[]".into());
        d1::run(
            self.db,
            "INSERT INTO kv_repairs (code, created_at) SELECT value, ?2 FROM json_each(?1) WHERE true \
             ON CONFLICT (code) DO UPDATE SET created_at = excluded.created_at",
            &[json.into(), now.into()],
        )
        .await
        .map(|_| ())
    }

    /// `add` for one code, as a statement of the caller's batch: the repair row is written in
    /// the same transaction as the change it covers (one D1 round trip fewer).
    pub fn add_stmt(
        db: &D1Database,
        code: &str,
        now: &str,
    ) -> Result<worker::D1PreparedStatement, StoreError> {
        d1::stmt(
            db,
            "INSERT INTO kv_repairs (code, created_at) VALUES (?1, ?2) \
             ON CONFLICT (code) DO UPDATE SET created_at = excluded.created_at",
            &[code.into(), now.into()],
        )
    }

    /// Removes the rows of these (code, stamp) pairs; a row whose stamp moved on (a later
    /// write queued its code again) stays.
    pub async fn remove(&self, queued: &[Queued]) -> Result<(), StoreError> {
        let json = serde_json::to_string(queued).unwrap_or_else(|_| "[]".into());
        d1::run(
            self.db,
            "DELETE FROM kv_repairs WHERE (code, created_at) IN \
             (SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?1))",
            &[json.into()],
        )
        .await
        .map(|_| ())
    }

    /// The oldest `limit` codes waiting for repair, with their stamps.
    pub async fn pending(&self, limit: u32) -> Result<Vec<Queued>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            code: String,
            created_at: String,
        }
        let rows: Vec<Row> = d1::all(
            self.db,
            "SELECT code, created_at FROM kv_repairs ORDER BY created_at LIMIT ?1",
            &[i64::from(limit).into()],
        )
        .await?;
        Ok(rows.into_iter().map(|r| (r.code, r.created_at)).collect())
    }
}

/// A queued code and the stamp of the write that queued it.
pub type Queued = (String, String);
