//! Links in D1, the source of truth.

use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, Env};

use super::StoreError;
use crate::domain::link::{Link, RedirectRecord};

pub const BINDING: &str = "DB";

/// The default short domain. Codes are unique per domain; a column now means adding
/// custom domains later needs no rewrite of the unique index.
pub const DEFAULT_DOMAIN: &str = "";

pub struct LinksDb {
    db: D1Database,
}

pub enum Insert {
    Created(Link),
    CodeTaken,
}

/// A row as D1 hands it over: SQLite has no booleans, and JS numbers arrive as floats.
#[derive(Deserialize)]
struct LinkRow {
    id: String,
    code: String,
    url: String,
    redirect_status: f64,
    is_active: f64,
    click_count: f64,
    created_at: String,
    updated_at: String,
}

impl From<LinkRow> for Link {
    fn from(r: LinkRow) -> Self {
        Link {
            id: r.id,
            code: r.code,
            url: r.url,
            redirect_status: r.redirect_status as u16,
            is_active: r.is_active != 0.0,
            click_count: r.click_count.max(0.0) as u64,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[derive(Deserialize)]
struct RedirectRow {
    id: String,
    url: String,
    redirect_status: f64,
}

const LINK_COLUMNS: &str =
    "id, code, url, redirect_status, is_active, click_count, created_at, updated_at";

fn d1_err(e: worker::Error) -> StoreError {
    StoreError::unavailable("D1", e)
}

impl LinksDb {
    pub fn from_env(env: &Env) -> Result<Self, StoreError> {
        env.d1(BINDING).map(|db| Self { db }).map_err(d1_err)
    }

    /// Inserts a link unless its code is taken. The unique index on (domain, code) decides,
    /// in one statement: two concurrent creates of one code cannot both succeed, which a
    /// read-then-write could not promise.
    pub async fn insert(
        &self,
        id: &str,
        code: &str,
        url: &str,
        now: &str,
    ) -> Result<Insert, StoreError> {
        let sql = format!(
            "INSERT INTO links (id, domain, code, url, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?5) \
             ON CONFLICT (domain, code) DO NOTHING RETURNING {LINK_COLUMNS}"
        );
        let row: Option<LinkRow> = self
            .db
            .prepare(sql)
            .bind(&[
                JsValue::from(id),
                JsValue::from(DEFAULT_DOMAIN),
                JsValue::from(code),
                JsValue::from(url),
                JsValue::from(now),
            ])
            .map_err(d1_err)?
            .first(None)
            .await
            .map_err(d1_err)?;
        Ok(row.map_or(Insert::CodeTaken, |r| Insert::Created(r.into())))
    }

    pub async fn find_redirect(&self, code: &str) -> Result<Option<RedirectRecord>, StoreError> {
        let row: Option<RedirectRow> = self
            .db
            .prepare(
                "SELECT id, url, redirect_status FROM links \
                 WHERE domain = ?1 AND code = ?2",
            )
            .bind(&[JsValue::from(DEFAULT_DOMAIN), JsValue::from(code)])
            .map_err(d1_err)?
            .first(None)
            .await
            .map_err(d1_err)?;
        Ok(row.map(|r| RedirectRecord {
            link_id: r.id,
            url: r.url,
            status: r.redirect_status as u16,
        }))
    }
}
