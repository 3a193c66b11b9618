//! Links in D1, the source of truth. Every query is scoped to its owner (`user_id IS ?`,
//! which also matches NULL, the service's own namespace): another user's link is simply
//! not found.

use serde::Deserialize;
use serde_json::Value;
use worker::{D1Database, D1PreparedStatement, Env};

use super::d1::{self, P};
use super::StoreError;
use uload_core::link::{self, Link, RedirectRecord, Targets, Utm};
use uload_core::listing::{self, ListQuery, Sort, StatusFilter};

/// The default short domain. Codes are unique per domain; a column now means adding
/// custom domains later needs no rewrite of the unique index.
pub const DEFAULT_DOMAIN: &str = "";

const LINK_SELECT: &str = "SELECT l.id, l.code, l.url, l.title, l.description, l.is_active, \
    l.password_hash IS NOT NULL AS has_password, l.max_clicks, l.expires_at, l.click_count, l.bot_click_count, \
    l.last_clicked_at, l.utm_source, l.utm_medium, l.utm_campaign, l.user_id, l.workspace_id, \
    l.redirect_status, l.forward_query, l.created_at, l.updated_at, l.version, l.password_hash, \
    l.ios_url, l.android_url, l.geo_targets, l.blocked_reason, l.blocked_at, l.held_at, \
    (SELECT json_group_array(t.name) FROM link_tags lt JOIN tags t ON t.id = lt.tag_id \
     WHERE lt.link_id = l.id) AS tags \
    FROM links l";

/// A row as D1 hands it over: SQLite has no booleans, and JS numbers arrive as floats.
#[derive(Deserialize)]
struct LinkRow {
    id: String,
    code: String,
    url: String,
    title: Option<String>,
    description: Option<String>,
    is_active: f64,
    has_password: f64,
    max_clicks: Option<f64>,
    expires_at: Option<String>,
    click_count: f64,
    bot_click_count: f64,
    last_clicked_at: Option<String>,
    utm_source: Option<String>,
    utm_medium: Option<String>,
    utm_campaign: Option<String>,
    user_id: Option<String>,
    workspace_id: Option<String>,
    redirect_status: f64,
    forward_query: f64,
    created_at: String,
    updated_at: String,
    version: f64,
    password_hash: Option<String>,
    ios_url: Option<String>,
    android_url: Option<String>,
    geo_targets: Option<String>,
    #[serde(default)]
    blocked_reason: Option<String>,
    #[serde(default)]
    blocked_at: Option<String>,
    #[serde(default)]
    held_at: Option<String>,
    tags: Option<String>,
}

impl From<LinkRow> for Link {
    fn from(r: LinkRow) -> Self {
        let mut tags: Vec<String> = r
            .tags
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        tags.sort();
        Link {
            id: r.id,
            code: r.code,
            url: r.url,
            title: r.title,
            description: r.description,
            is_active: d1::flag(r.is_active),
            has_password: d1::flag(r.has_password),
            max_clicks: r.max_clicks.map(d1::uint),
            expires_at: r.expires_at,
            click_count: d1::uint(r.click_count),
            bot_click_count: d1::uint(r.bot_click_count),
            last_clicked_at: r.last_clicked_at,
            tags,
            utm_source: r.utm_source,
            utm_medium: r.utm_medium,
            utm_campaign: r.utm_campaign,
            user_id: r.user_id,
            workspace_id: r.workspace_id,
            redirect_status: r.redirect_status as u16,
            forward_query: d1::flag(r.forward_query),
            ios_url: r.ios_url,
            android_url: r.android_url,
            geo: geo(r.geo_targets),
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: d1::uint(r.version),
            password_hash: r.password_hash,
            blocked: r.blocked_reason.map(|reason| link::Blocked {
                reason,
                at: r.blocked_at.unwrap_or_default(),
            }),
            held_at: r.held_at,
        }
    }
}

fn geo(json: Option<String>) -> std::collections::BTreeMap<String, String> {
    json.and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default()
}

fn link_from_value(v: Value) -> Result<Link, StoreError> {
    serde_json::from_value::<LinkRow>(v)
        .map(Link::from)
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[derive(Deserialize)]
struct RedirectRow {
    id: String,
    code: String,
    url: String,
    redirect_status: f64,
    is_active: f64,
    expires_at: Option<String>,
    password_hash: Option<String>,
    forward_query: f64,
    utm_source: Option<String>,
    utm_medium: Option<String>,
    utm_campaign: Option<String>,
    max_clicks: Option<f64>,
    ios_url: Option<String>,
    android_url: Option<String>,
    geo_targets: Option<String>,
    workspace_id: Option<String>,
    #[serde(default)]
    blocked_reason: Option<String>,
    #[serde(default)]
    held_at: Option<String>,
}

const REDIRECT_SELECT: &str =
    "SELECT id, code, url, redirect_status, is_active, expires_at, password_hash, \
    forward_query, utm_source, utm_medium, utm_campaign, max_clicks, ios_url, android_url, \
    geo_targets, workspace_id, blocked_reason, held_at FROM links";

impl RedirectRow {
    fn into_record(self) -> RedirectRecord {
        RedirectRecord {
            link_id: self.id,
            url: self.url,
            status: self.redirect_status as u16,
            active: d1::flag(self.is_active),
            expires_at: self.expires_at,
            password_hash: self.password_hash,
            forward_query: d1::flag(self.forward_query),
            utm: Utm {
                source: self.utm_source,
                medium: self.utm_medium,
                campaign: self.utm_campaign,
            },
            max_clicks: self.max_clicks.map(d1::uint),
            targets: Targets {
                ios: self.ios_url,
                android: self.android_url,
                geo: geo(self.geo_targets),
            },
            workspace: self.workspace_id,
            blocked: self.blocked_reason.is_some(),
            held: self.held_at.is_some(),
        }
    }
}

/// Column values of a link write, already validated and (for the password) hashed.
#[derive(Debug, Default, Clone)]
pub struct LinkValues {
    pub url: Option<String>,
    pub code: Option<String>,
    pub title: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub is_active: Option<bool>,
    pub password_hash: Option<Option<String>>,
    pub max_clicks: Option<Option<u64>>,
    pub expires_at: Option<Option<String>>,
    pub utm_source: Option<Option<String>>,
    pub utm_medium: Option<Option<String>>,
    pub utm_campaign: Option<Option<String>>,
    pub workspace_id: Option<Option<String>>,
    pub redirect_status: Option<u16>,
    pub forward_query: Option<bool>,
    pub ios_url: Option<Option<String>>,
    pub android_url: Option<Option<String>>,
    /// As JSON text (the column's form).
    pub geo_targets: Option<Option<String>>,
    /// `Some`: replace the link's tags with these names (created for the owner if new).
    pub tags: Option<Vec<String>>,
}

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

    /// Inserts a link unless its code is taken, with its tags, in one transaction. The
    /// unique index on (domain, code) decides: two concurrent creates of one code cannot
    /// both succeed, which a read-then-write could not promise.
    pub async fn insert(
        &self,
        id: &str,
        owner: Option<&str>,
        v: &LinkValues,
        now: &str,
    ) -> Result<Insert, StoreError> {
        let code = v.code.clone().unwrap_or_default();
        let opt = |o: &Option<Option<String>>| P::from(o.clone().flatten());
        let insert = d1::stmt(
            &self.db,
            "INSERT INTO links (id, domain, code, url, title, description, is_active, password_hash, \
               max_clicks, expires_at, utm_source, utm_medium, utm_campaign, user_id, workspace_id, \
               redirect_status, forward_query, created_at, updated_at, ios_url, android_url, geo_targets) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18, ?19, ?20, ?21) \
             ON CONFLICT (domain, code) DO NOTHING",
            &[
                id.into(),
                DEFAULT_DOMAIN.into(),
                code.as_str().into(),
                v.url.clone().unwrap_or_default().into(),
                opt(&v.title),
                opt(&v.description),
                v.is_active.unwrap_or(true).into(),
                opt(&v.password_hash),
                v.max_clicks.flatten().map(|n| n as i64).into(),
                opt(&v.expires_at),
                opt(&v.utm_source),
                opt(&v.utm_medium),
                opt(&v.utm_campaign),
                owner.into(),
                opt(&v.workspace_id),
                i64::from(v.redirect_status.unwrap_or(302)).into(),
                v.forward_query.unwrap_or(true).into(),
                now.into(),
                opt(&v.ios_url),
                opt(&v.android_url),
                opt(&v.geo_targets),
            ],
        )?;
        let mut statements = vec![insert];
        if let Some(tags) = &v.tags {
            statements.extend(tag_statements(&self.db, id, owner, tags, now, None)?);
        }
        statements.push(d1::stmt(
            &self.db,
            &format!("{LINK_SELECT} WHERE l.id = ?1 AND l.code = ?2"),
            &[id.into(), code.into()],
        )?);
        let mut results = d1::batch::<Value>(&self.db, statements).await?;
        match results.pop().and_then(|mut rows| rows.pop()) {
            Some(row) => Ok(Insert::Created(Box::new(link_from_value(row)?))),
            None => Ok(Insert::CodeTaken),
        }
    }

    pub async fn get(&self, id: &str, owner: Option<&str>) -> Result<Option<Link>, StoreError> {
        let row: Option<LinkRow> = d1::first(
            &self.db,
            &format!("{LINK_SELECT} WHERE l.id = ?1 AND l.user_id IS ?2"),
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
        v: &LinkValues,
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
        let mut set = |col: &str, p: P| {
            params.push(p);
            sets.push(format!("{col} = ?{}", params.len()));
        };
        if let Some(url) = &v.url {
            set("url", url.into());
        }
        if let Some(code) = &v.code {
            set("code", code.into());
        }
        for (col, val) in [
            ("title", &v.title),
            ("description", &v.description),
            ("password_hash", &v.password_hash),
            ("expires_at", &v.expires_at),
            ("utm_source", &v.utm_source),
            ("utm_medium", &v.utm_medium),
            ("utm_campaign", &v.utm_campaign),
            ("workspace_id", &v.workspace_id),
            ("ios_url", &v.ios_url),
            ("android_url", &v.android_url),
            ("geo_targets", &v.geo_targets),
        ] {
            if let Some(val) = val {
                set(col, val.clone().into());
            }
        }
        if let Some(a) = v.is_active {
            set("is_active", a.into());
        }
        if let Some(m) = v.max_clicks {
            set("max_clicks", m.map(|n| n as i64).into());
        }
        if let Some(s) = v.redirect_status {
            set("redirect_status", i64::from(s).into());
        }
        if let Some(f) = v.forward_query {
            set("forward_query", f.into());
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
        if let Some(tags) = &v.tags {
            statements.extend(tag_statements(
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
            &format!("{LINK_SELECT} WHERE l.id = ?1 AND l.write_id = ?2"),
            &[current.id.as_str().into(), write_id.as_str().into()],
        )?);
        let mut results = match d1::batch::<Value>(&self.db, statements).await {
            Ok(r) => r,
            Err(StoreError::Conflict(_)) => return Ok(Update::CodeTaken),
            Err(e) => return Err(e),
        };
        match results.pop().and_then(|mut rows| rows.pop()) {
            Some(row) => Ok(Update::Updated {
                link: Box::new(link_from_value(row)?),
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
        #[derive(Deserialize)]
        struct Row {
            id: String,
            code: String,
        }
        let ids_json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        // What hangs off the links goes with them: tags, and the analytics (the owner asked
        // for deletion). Table names are constants, never input.
        let mut statements = ["link_tags", "click_rollups", "clicks"]
            .iter()
            .map(|table| {
                d1::stmt(
                    &self.db,
                    &format!(
                        "DELETE FROM {table} WHERE link_id IN (SELECT l.id FROM links l, \
                         json_each(?1) j WHERE l.id = j.value AND l.user_id IS ?2)"
                    ),
                    &[ids_json.as_str().into(), owner.into()],
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        statements.push(d1::stmt(
            &self.db,
            "DELETE FROM links WHERE id IN (SELECT value FROM json_each(?1)) AND user_id IS ?2 \
                 RETURNING id, code",
            &[ids_json.as_str().into(), owner.into()],
        )?);
        let mut results = d1::batch::<Value>(&self.db, statements).await?;
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
                &[ids_json.as_str().into(), owner.into(), active.into(), now.into()],
            )?,
            d1::stmt(
                &self.db,
                &format!("{LINK_SELECT} WHERE l.id IN (SELECT value FROM json_each(?1)) AND l.user_id IS ?2"),
                &[ids_json.as_str().into(), owner.into()],
            )?,
        ];
        let mut results = d1::batch::<Value>(&self.db, statements).await?;
        results
            .pop()
            .unwrap_or_default()
            .into_iter()
            .map(link_from_value)
            .collect()
    }

    /// Adds and removes tags on owned links; returns the ids of the links it touched.
    pub async fn retag(
        &self,
        ids: &[String],
        owner: Option<&str>,
        add: &[String],
        remove: &[String],
        now: &str,
    ) -> Result<Vec<String>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
        }
        let ids_json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        let owned =
            "SELECT l.id FROM links l, json_each(?1) j WHERE l.id = j.value AND l.user_id IS ?2";
        let mut statements = Vec::new();
        for name in add {
            let slug = uload_core::slug::slugify(name);
            let tag_id = crate::runtime::random_id();
            statements.push(d1::stmt(
                &self.db,
                "INSERT INTO tags (id, user_id, name, slug, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT DO NOTHING",
                &[
                    tag_id.into(),
                    owner.into(),
                    name.into(),
                    slug.as_str().into(),
                    now.into(),
                ],
            )?);
            let sql = format!(
                "INSERT OR IGNORE INTO link_tags (link_id, tag_id) SELECT o.id, t.id FROM ({owned}) o, tags t \
                 WHERE t.user_id IS ?2 AND t.slug = ?3"
            );
            statements.push(d1::stmt(
                &self.db,
                &sql,
                &[ids_json.as_str().into(), owner.into(), slug.as_str().into()],
            )?);
        }
        for name in remove {
            let slug = uload_core::slug::slugify(name);
            let sql = format!(
                "DELETE FROM link_tags WHERE link_id IN ({owned}) AND tag_id IN \
                 (SELECT id FROM tags WHERE user_id IS ?2 AND slug = ?3)"
            );
            statements.push(d1::stmt(
                &self.db,
                &sql,
                &[ids_json.as_str().into(), owner.into(), slug.as_str().into()],
            )?);
        }
        statements.push(d1::stmt(
            &self.db,
            &format!("UPDATE links SET updated_at = ?3, version = version + 1 WHERE id IN ({owned}) RETURNING id"),
            &[ids_json.as_str().into(), owner.into(), now.into()],
        )?);
        let mut results = d1::batch::<Value>(&self.db, statements).await?;
        results
            .pop()
            .unwrap_or_default()
            .into_iter()
            .map(|r| serde_json::from_value::<Row>(r).map(|r| r.id))
            .collect::<Result<_, _>>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// One page of a user's links, newest first (or most clicked first), after the cursor.
    pub async fn list(
        &self,
        owner: Option<&str>,
        q: &ListQuery,
        now: &str,
    ) -> Result<Vec<Link>, StoreError> {
        let mut conds = vec!["l.user_id IS ?1".to_string()];
        let mut params: Vec<P> = vec![owner.into(), now.into()];
        match q.status {
            Some(StatusFilter::Active) => {
                conds.push("l.is_active = 1 AND (l.expires_at IS NULL OR l.expires_at > ?2)".into())
            }
            Some(StatusFilter::Inactive) => conds.push("l.is_active = 0".into()),
            Some(StatusFilter::Expired) => {
                conds.push("l.expires_at IS NOT NULL AND l.expires_at <= ?2".into())
            }
            None => {}
        }
        if let Some(tag) = &q.tag {
            params.push(tag.into());
            conds.push(format!(
                "EXISTS (SELECT 1 FROM link_tags lt JOIN tags t ON t.id = lt.tag_id \
                 WHERE lt.link_id = l.id AND t.slug = ?{})",
                params.len()
            ));
        }
        if let Some(term) = &q.search {
            params.push(listing::like_pattern(term).into());
            let i = params.len();
            conds.push(format!(
                "(l.title LIKE ?{i} ESCAPE '\\' OR l.url LIKE ?{i} ESCAPE '\\' \
                 OR l.description LIKE ?{i} ESCAPE '\\')"
            ));
        }
        let sort_col = match q.sort {
            Sort::Created => "l.created_at",
            Sort::Clicks => "l.click_count",
        };
        if let Some(c) = &q.cursor {
            params.push(match q.sort {
                Sort::Created => c.c.as_str().unwrap_or_default().into(),
                Sort::Clicks => (c.c.as_u64().unwrap_or_default() as i64).into(),
            });
            params.push(c.id.as_str().into());
            let (a, b) = (params.len() - 1, params.len());
            conds.push(format!(
                "({sort_col} < ?{a} OR ({sort_col} = ?{a} AND l.id < ?{b}))"
            ));
        }
        params.push((i64::from(q.limit) + 1).into());
        let sql = format!(
            "{LINK_SELECT} WHERE {} ORDER BY {sort_col} DESC, l.id DESC LIMIT ?{}",
            conds.join(" AND "),
            params.len()
        );
        let rows: Vec<LinkRow> = d1::all(&self.db, &sql, &params).await?;
        Ok(rows.into_iter().map(Link::from).collect())
    }

    pub async fn find_redirect(&self, code: &str) -> Result<Option<RedirectRecord>, StoreError> {
        let row: Option<RedirectRow> = d1::first(
            &self.db,
            &format!("{REDIRECT_SELECT} WHERE domain = ?1 AND code = ?2"),
            &[DEFAULT_DOMAIN.into(), code.into()],
        )
        .await?;
        Ok(row.map(RedirectRow::into_record))
    }

    /// Redirect records of the default domain by code, after `after`, `limit` at a time
    /// (the reconcile job walks every link with it).
    pub async fn redirects_page(
        &self,
        after: &str,
        limit: u32,
    ) -> Result<Vec<(String, RedirectRecord)>, StoreError> {
        let rows: Vec<RedirectRow> = d1::all(
            &self.db,
            &format!("{REDIRECT_SELECT} WHERE domain = ?1 AND code > ?2 ORDER BY code LIMIT ?3"),
            &[DEFAULT_DOMAIN.into(), after.into(), i64::from(limit).into()],
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.code.clone(), r.into_record()))
            .collect())
    }
}

/// Statements that make `link_id`'s tags exactly `names` (creating missing tags for the
/// owner). `guard_write`: only if the update that precedes them in the batch won (the link
/// carries that write id); for inserts (None), only if the link row exists.
fn tag_statements(
    db: &D1Database,
    link_id: &str,
    owner: Option<&str>,
    names: &[String],
    now: &str,
    guard_write: Option<&str>,
) -> Result<Vec<D1PreparedStatement>, StoreError> {
    // The guard's parameter is always ?9, after every statement's own parameters.
    let guard = match guard_write {
        Some(_) => "EXISTS (SELECT 1 FROM links WHERE id = ?1 AND write_id = ?9)",
        None => "EXISTS (SELECT 1 FROM links WHERE id = ?1 AND ?9 IS NULL)",
    };
    let with_guard = |mut params: Vec<P>| {
        params.resize(8, P::Null);
        params.push(guard_write.into());
        params
    };
    let mut out = vec![d1::stmt(
        db,
        &format!("DELETE FROM link_tags WHERE link_id = ?1 AND {guard}"),
        &with_guard(vec![link_id.into()]),
    )?];
    for name in names {
        let slug = uload_core::slug::slugify(name);
        let tag_id = crate::runtime::random_id();
        out.push(d1::stmt(
            db,
            &format!(
                "INSERT INTO tags (id, user_id, name, slug, created_at, updated_at) \
                 SELECT ?2, ?3, ?4, ?5, ?6, ?6 WHERE {guard} ON CONFLICT DO NOTHING"
            ),
            &with_guard(vec![
                link_id.into(),
                tag_id.into(),
                owner.into(),
                name.into(),
                slug.as_str().into(),
                now.into(),
            ]),
        )?);
        out.push(d1::stmt(
            db,
            &format!(
                "INSERT OR IGNORE INTO link_tags (link_id, tag_id) \
                 SELECT ?1, id FROM tags WHERE user_id IS ?2 AND slug = ?3 AND {guard}"
            ),
            &with_guard(vec![link_id.into(), owner.into(), slug.into()]),
        )?);
    }
    Ok(out)
}
