//! The KV repair queue in D1 (an outbox): codes whose KV record is being changed, or whose
//! change failed. See migrations/0003_kv_repairs.sql.

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
             ON CONFLICT (code) DO NOTHING",
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
            "INSERT INTO kv_repairs (code, created_at) VALUES (?1, ?2) ON CONFLICT (code) DO NOTHING",
            &[code.into(), now.into()],
        )
    }

    pub async fn remove(&self, codes: &[String]) -> Result<(), StoreError> {
        let json = serde_json::to_string(codes).unwrap_or_else(|_| "[]".into());
        d1::run(
            self.db,
            "DELETE FROM kv_repairs WHERE code IN (SELECT value FROM json_each(?1))",
            &[json.into()],
        )
        .await
        .map(|_| ())
    }

    /// The oldest `limit` codes waiting for repair.
    pub async fn pending(&self, limit: u32) -> Result<Vec<String>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            code: String,
        }
        let rows: Vec<Row> = d1::all(
            self.db,
            "SELECT code FROM kv_repairs ORDER BY created_at LIMIT ?1",
            &[i64::from(limit).into()],
        )
        .await?;
        Ok(rows.into_iter().map(|r| r.code).collect())
    }
}
