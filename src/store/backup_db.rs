//! D1 for backups: one consistent read of every backed-up table, and the restore that
//! writes a verified backup into an empty database in one transaction.

use serde::Deserialize;
use serde_json::Value;
use worker::D1Database;

use super::d1;
use super::StoreError;

/// Rows per INSERT statement: one JSON parameter far below D1's 2 MB value limit.
const INSERT_CHUNK: usize = 500;

pub struct BackupDb {
    db: D1Database,
}

/// A table to restore: its name (a constant of `uload_core::backup`), the backup's columns
/// (checked against the target schema) and rows.
pub struct TableRows<'a> {
    pub name: &'a str,
    pub columns: &'a [String],
    pub rows: &'a [Value],
}

impl BackupDb {
    pub fn from_env(env: &worker::Env) -> Result<Self, StoreError> {
        Ok(Self {
            db: d1::database(env)?,
        })
    }

    /// Every row of `tables`, read in one D1 batch: one transaction, so the tables agree
    /// with each other (no link without its tags, no tag link to a missing link).
    pub async fn export(&self, tables: &[&str]) -> Result<Vec<Vec<Value>>, StoreError> {
        let statements = tables
            .iter()
            .map(|t| d1::stmt(&self.db, &format!("SELECT * FROM {t}"), &[]))
            .collect::<Result<Vec<_>, _>>()?;
        d1::batch::<Value>(&self.db, statements).await
    }

    /// Whether the database holds no users, links, tags or API keys (a restore target).
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            n: f64,
        }
        let row: Option<Row> = d1::first(
            &self.db,
            "SELECT (SELECT count(*) FROM users) + (SELECT count(*) FROM links) + \
             (SELECT count(*) FROM tags) + (SELECT count(*) FROM api_keys) + \
             (SELECT count(*) FROM click_rollups) + (SELECT count(*) FROM workspaces) AS n",
            &[],
        )
        .await?;
        Ok(row.is_some_and(|r| r.n == 0.0))
    }

    /// The columns of a table in this database's schema.
    pub async fn columns(&self, table: &str) -> Result<Vec<String>, StoreError> {
        #[derive(Deserialize)]
        struct Col {
            name: String,
        }
        let cols: Vec<Col> = d1::all(&self.db, &format!("PRAGMA table_info({table})"), &[]).await?;
        Ok(cols.into_iter().map(|c| c.name).collect())
    }

    /// Writes every table in one transaction: a restore that fails changes nothing.
    pub async fn restore(&self, tables: &[TableRows<'_>]) -> Result<(), StoreError> {
        let mut statements = Vec::new();
        for t in tables {
            let cols = t.columns.join(", ");
            let values = t
                .columns
                .iter()
                .map(|c| format!("value ->> '$.{c}'"))
                .collect::<Vec<_>>()
                .join(", ");
            let sql = format!(
                "INSERT INTO {} ({cols}) SELECT {values} FROM json_each(?1)",
                t.name
            );
            for chunk in t.rows.chunks(INSERT_CHUNK) {
                let json = Value::Array(chunk.to_vec()).to_string();
                statements.push(d1::stmt(&self.db, &sql, &[json.into()])?);
            }
        }
        d1::batch::<Value>(&self.db, statements).await.map(|_| ())
    }
}
