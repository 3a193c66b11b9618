//! `links.limit_seed`: what uLoad had counted against an imported link's max_clicks, kept
//! until the link's click counter has been seeded with it.

use serde::Deserialize;
use worker::D1Database;

use super::d1;
use super::StoreError;

pub struct LimitSeeds<'a> {
    pub db: &'a D1Database,
}

impl LimitSeeds<'_> {
    /// Up to `limit` (link id, seed) of limited links whose counter waits for its seed.
    pub async fn pending(&self, limit: u32) -> Result<Vec<(String, u64)>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            limit_seed: f64,
        }
        let rows: Vec<Row> = d1::all(
            self.db,
            "SELECT id, limit_seed FROM links WHERE limit_seed IS NOT NULL ORDER BY id LIMIT ?1",
            &[i64::from(limit).into()],
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.id, d1::uint(r.limit_seed)))
            .collect())
    }

    pub async fn clear(&self, ids: &[String]) -> Result<(), StoreError> {
        let json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        d1::run(
            self.db,
            "UPDATE links SET limit_seed = NULL WHERE id IN (SELECT value FROM json_each(?1))",
            &[json.into()],
        )
        .await
        .map(|_| ())
    }
}
