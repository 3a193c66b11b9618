//! D1's `operations` table (restore mode) and whether the database holds any data.

use serde::Deserialize;
use worker::D1Database;

use super::d1;
use super::StoreError;
use uload_core::restore::Flag;

pub struct OperationsDb<'a> {
    pub db: &'a D1Database,
}

impl OperationsDb<'_> {
    /// The recorded restore flag and whether any user or link exists, in one query.
    pub async fn restore_state(&self) -> Result<(Option<Flag>, bool), StoreError> {
        #[derive(Deserialize)]
        struct Row {
            state: Option<String>,
            updated_at: Option<String>,
            has_data: f64,
        }
        let row: Option<Row> = d1::first(
            self.db,
            "SELECT (SELECT state FROM operations WHERE name = 'restore') AS state, \
                    (SELECT updated_at FROM operations WHERE name = 'restore') AS updated_at, \
                    (EXISTS (SELECT 1 FROM links) OR EXISTS (SELECT 1 FROM users)) AS has_data",
            &[],
        )
        .await?;
        let Some(row) = row else {
            return Ok((None, false));
        };
        let since = row
            .updated_at
            .as_deref()
            .and_then(uload_core::time::parse)
            .map_or(0, |t| t.timestamp_millis().max(0) as u64);
        let flag = row.state.as_deref().and_then(|s| Flag::parse(s, since));
        Ok((flag, row.has_data != 0.0))
    }

    pub async fn set_restore(&self, flag: Flag, now: &str) -> Result<(), StoreError> {
        d1::run(
            self.db,
            "INSERT INTO operations (name, state, updated_at) VALUES ('restore', ?1, ?2) \
             ON CONFLICT (name) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
            &[flag.as_str().into(), now.into()],
        )
        .await
        .map(|_| ())
    }

    /// Forgets the flag: the database decides again (after a restore, it has data).
    pub async fn clear_restore(&self) -> Result<(), StoreError> {
        d1::run(
            self.db,
            "DELETE FROM operations WHERE name = 'restore'",
            &[],
        )
        .await
        .map(|_| ())
    }
}
