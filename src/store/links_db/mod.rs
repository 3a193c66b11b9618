//! Links in D1, the source of truth. Every query is scoped to its owner (`user_id IS ?`,
//! which also matches NULL, the service's own namespace): another user's link is simply
//! not found.

use serde::Deserialize;
use serde_json::Value;
use worker::{D1Database, D1PreparedStatement, Env};

use super::constraint::Constraint;
use super::d1::{self, P};
use super::repairs::Repairs;
use super::webhooks_db::outbox;
use super::StoreError;
use schema::LinkRow;
pub use schema::LinkWrite;
use uload_core::link::{Link, RedirectRecord};

mod list;
mod schema;
mod tags;

/// The default short domain. Codes are unique per domain; a column now means adding
/// custom domains later needs no rewrite of the unique index.
pub const DEFAULT_DOMAIN: &str = "";

pub enum Insert {
    Created(Box<Link>),
    CodeTaken,
}

pub enum Update {
    Updated {
        link: Box<Link>,
        old_code: String,
    },
    /// The link exists but its version is not the one the client expected.
    Stale,
    CodeTaken,
}

pub struct LinksDb {
    db: D1Database,
}

impl LinksDb {
    pub fn from_env(env: &Env) -> Result<Self, StoreError> {
        d1::database(env).map(|db| Self { db })
    }

    /// Runs a write's statements in one transaction (D1 batches are atomic), with one more
    /// at the end: whether the link triggers left webhook events to dispatch, noted for the
    /// API (`outbox`). Returns the write's own statements' rows.
    async fn write(
        &self,
        mut statements: Vec<D1PreparedStatement>,
    ) -> Result<Vec<Vec<Value>>, StoreError> {
        statements.push(outbox::pending_stmt(&self.db)?);
        let mut results = d1::batch::<Value>(&self.db, statements).await?;
        outbox::note(&results.pop().unwrap_or_default());
        Ok(results)
    }

    /// Inserts a link unless its code is taken, with its tags, in one transaction. The
    /// unique index on (domain, code) decides: two concurrent creates of one code cannot
    /// both succeed, which a read-then-write could not promise.
    pub async fn insert(
        &self,
        id: &str,
        owner: Option<&str>,
        w: &LinkWrite,
        now: &str,
    ) -> Result<Insert, StoreError> {
        let code = w.code().unwrap_or_default().to_string();
        let columns = schema::written(w);
        let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
        let mut params: Vec<P> = vec![id.into(), DEFAULT_DOMAIN.into(), owner.into(), now.into()];
        params.extend(columns.into_iter().map(|c| c.value.unwrap_or(c.default)));
        let placeholders: Vec<String> = (5..=params.len()).map(|i| format!("?{i}")).collect();
        let insert = d1::stmt(
            &self.db,
            &format!(
                "INSERT INTO links (id, domain, user_id, created_at, updated_at, {}) \
                 VALUES (?1, ?2, ?3, ?4, ?4, {}) ON CONFLICT (domain, code) DO NOTHING",
                names.join(", "),
                placeholders.join(", ")
            ),
            &params,
        )?;
        // The KV repair row goes with the link (see `kv_sync::publish_queued`).
        let mut statements = vec![insert, Repairs::add_stmt(&self.db, &code, now)?];
        if let Some(tags) = &w.tags() {
            statements.extend(tags::replace(&self.db, id, owner, tags, now, None)?);
        }
        statements.push(d1::stmt(
            &self.db,
            &format!("{} WHERE l.id = ?1 AND l.code = ?2", schema::select(true)),
            &[id.into(), code.into()],
        )?);
        let mut results = self.write(statements).await?;
        match results.pop().and_then(|mut rows| rows.pop()) {
            Some(row) => Ok(Insert::Created(Box::new(schema::link_from_value(row)?))),
            None => Ok(Insert::CodeTaken),
        }
    }

    pub async fn get(&self, id: &str, owner: Option<&str>) -> Result<Option<Link>, StoreError> {
        let row: Option<LinkRow> = d1::first(
            &self.db,
            &format!(
                "{} WHERE l.id = ?1 AND l.user_id IS ?2",
                schema::select(true)
            ),
            &[id.into(), owner.into()],
        )
        .await?;
        Ok(row.map(Link::from))
    }

    /// Applies a partial update if the link is at `expected_version` (compare-and-set in
    /// one statement, so two concurrent writers cannot both win).
    pub async fn update(
        &self,
        current: &Link,
        v: &LinkWrite,
        now: &str,
    ) -> Result<Update, StoreError> {
        // ?1 id, ?2 expected version, ?3 now, ?4 this write's id; the changed columns follow.
        let write_id = crate::runtime::random_id();
        let mut params: Vec<P> = vec![
            current.id.as_str().into(),
            (current.version as i64).into(),
            now.into(),
            write_id.as_str().into(),
        ];
        let mut sets: Vec<String> = Vec::new();
        for column in schema::written(v) {
            if let Some(value) = column.value {
                params.push(value);
                sets.push(format!("{} = ?{}", column.name, params.len()));
            }
        }
        sets.push("updated_at = ?3".into());
        sets.push("write_id = ?4".into());
        sets.push("version = version + 1".into());
        let update = d1::stmt(
            &self.db,
            &format!(
                "UPDATE links SET {} WHERE id = ?1 AND version = ?2",
                sets.join(", ")
            ),
            &params,
        )?;
        let mut statements = vec![update];
        if let Some(tags) = &v.tags() {
            statements.extend(tags::replace(
                &self.db,
                &current.id,
                current.user_id.as_deref(),
                tags,
                now,
                Some(&write_id),
            )?);
        }
        statements.push(d1::stmt(
            &self.db,
            &format!(
                "{} WHERE l.id = ?1 AND l.write_id = ?2",
                schema::select(true)
            ),
            &[current.id.as_str().into(), write_id.as_str().into()],
        )?);
        let mut results = match self.write(statements).await {
            Ok(r) => r,
            Err(StoreError::Conflict(Constraint::LinkCode)) => return Ok(Update::CodeTaken),
            Err(e) => return Err(e),
        };
        match results.pop().and_then(|mut rows| rows.pop()) {
            Some(row) => Ok(Update::Updated {
                link: Box::new(schema::link_from_value(row)?),
                old_code: current.code.clone(),
            }),
            None => Ok(Update::Stale),
        }
    }

    /// Deletes owned links; returns (id, code) of each one deleted.
    pub async fn delete(
        &self,
        ids: &[String],
        owner: Option<&str>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        self.delete_if(ids, owner, None).await
    }

    /// `delete`, only of links at one of `versions` (an `If-Match`), checked in the same
    /// transaction as the deletion: a link edited in between is not deleted.
    pub async fn delete_if(
        &self,
        ids: &[String],
        owner: Option<&str>,
        versions: Option<&[u64]>,
    ) -> Result<Vec<(String, String)>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            code: String,
        }
        let ids_json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        let versions_json = versions.map(|v| serde_json::to_string(v).unwrap_or_default());
        let params: [P; 3] = [
            ids_json.as_str().into(),
            owner.into(),
            versions_json.as_deref().into(),
        ];
        let version_ok = "(?3 IS NULL OR l.version IN (SELECT value FROM json_each(?3)))";
        // What hangs off the links goes with them: tags, and the analytics (the owner asked
        // for deletion). Table names are constants, never input.
        let mut statements = ["link_tags", "click_rollups", "clicks"]
            .iter()
            .map(|table| {
                d1::stmt(
                    &self.db,
                    &format!(
                        "DELETE FROM {table} WHERE link_id IN (SELECT l.id FROM links l, \
                         json_each(?1) j WHERE l.id = j.value AND l.user_id IS ?2 AND {version_ok})"
                    ),
                    &params,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        statements.push(d1::stmt(
            &self.db,
            &format!(
                "DELETE FROM links AS l WHERE l.id IN (SELECT value FROM json_each(?1)) \
                 AND l.user_id IS ?2 AND {version_ok} RETURNING id, code"
            ),
            &params,
        )?);
        let mut results = self.write(statements).await?;
        let rows = results.pop().unwrap_or_default();
        rows.into_iter()
            .map(|r| serde_json::from_value::<Row>(r).map(|r| (r.id, r.code)))
            .collect::<Result<_, _>>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Sets is_active on owned links; returns the updated links.
    pub async fn set_active(
        &self,
        ids: &[String],
        owner: Option<&str>,
        active: bool,
        now: &str,
    ) -> Result<Vec<Link>, StoreError> {
        let ids_json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        let statements = vec![
            d1::stmt(
                &self.db,
                "UPDATE links SET is_active = ?3, updated_at = ?4, version = version + 1 \
                 WHERE id IN (SELECT value FROM json_each(?1)) AND user_id IS ?2",
                &[
                    ids_json.as_str().into(),
                    owner.into(),
                    active.into(),
                    now.into(),
                ],
            )?,
            d1::stmt(
                &self.db,
                &format!(
                    "{} WHERE l.id IN (SELECT value FROM json_each(?1)) AND l.user_id IS ?2",
                    schema::select(true)
                ),
                &[ids_json.as_str().into(), owner.into()],
            )?,
        ];
        let mut results = self.write(statements).await?;
        results
            .pop()
            .unwrap_or_default()
            .into_iter()
            .map(schema::link_from_value)
            .collect()
    }

    /// The redirect record of a code of the default domain (the D1 step of the lookup).
    pub async fn find_redirect(&self, code: &str) -> Result<Option<RedirectRecord>, StoreError> {
        let row: Option<LinkRow> = d1::first(
            &self.db,
            &format!(
                "{} WHERE l.domain = ?1 AND l.code = ?2",
                schema::select(false)
            ),
            &[DEFAULT_DOMAIN.into(), code.into()],
        )
        .await?;
        Ok(row.map(|r| Link::from(r).redirect_record()))
    }

    /// Whether any link has this code (on the default domain), whoever's.
    pub async fn code_exists(&self, code: &str) -> Result<bool, StoreError> {
        let row: Option<Value> = d1::first(
            &self.db,
            "SELECT 1 AS found FROM links WHERE domain = ?1 AND code = ?2",
            &[DEFAULT_DOMAIN.into(), code.into()],
        )
        .await?;
        Ok(row.is_some())
    }

    /// Redirect records of the default domain by code, after `after`, `limit` at a time
    /// (the reconcile job walks every link with it).
    pub async fn redirects_page(
        &self,
        after: &str,
        limit: u32,
    ) -> Result<Vec<(String, RedirectRecord)>, StoreError> {
        let rows: Vec<LinkRow> = d1::all(
            &self.db,
            &format!(
                "{} WHERE l.domain = ?1 AND l.code > ?2 ORDER BY l.code LIMIT ?3",
                schema::select(false)
            ),
            &[DEFAULT_DOMAIN.into(), after.into(), i64::from(limit).into()],
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let link = Link::from(r);
                (link.code.clone(), link.redirect_record())
            })
            .collect())
    }
}
