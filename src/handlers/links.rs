//! The link management API (/api/v1/links). D1 first, then KV; D1 is the truth.

use serde::Serialize;
use serde_json::{json, Value};

use super::Ctx;
use crate::error::ApiError;
use crate::http::Reply;
use crate::services::kv_sync::{publish, Change};
use crate::store::links_db::{Insert, LinkWrite, LinksDb, Update};
use crate::{crypto, log, runtime};
use uload_core::abuse::Flag;
use uload_core::fields::{Field, Reader};
use uload_core::link::{self, Link, LinkFields, Rules};
use uload_core::{listing, precondition, target};

/// How often a random code is redrawn after a collision before giving up. With 55^7
/// codes a second draw is already rare; five makes failure practically impossible.
const RANDOM_CODE_ATTEMPTS: usize = 5;
pub const MAX_BULK: usize = 100;

#[derive(Serialize)]
struct LinkView<'a> {
    #[serde(flatten)]
    link: &'a Link,
    short_url: String,
    /// The target with its host in Unicode, for display (`url` is what is stored: punycode).
    url_display: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<&'static str>,
}

/// `flags`: what the abuse checks flagged in this write (`None`: a read, no warnings).
fn view(c: &Ctx, link: &Link, flags: Option<&[Flag]>) -> Value {
    let v = LinkView {
        link,
        short_url: short_url(c, &link.code),
        url_display: target::display(&link.url),
        warnings: match flags {
            Some(flags) => {
                let mut w = link.warnings();
                w.extend(flags.iter().map(|f| f.warning()));
                w
            }
            None => Vec::new(),
        },
    };
    serde_json::to_value(v).unwrap_or(Value::Null)
}

pub fn short_url(c: &Ctx, code: &str) -> String {
    format!(
        "{}{}",
        c.cfg.short_base_url,
        uload_core::code::public_path(code)
    )
}

fn link_reply(c: &Ctx, status: u16, link: &Link, flags: &[Flag]) -> Reply {
    let mut r = Reply::json(status, &view(c, link, Some(flags))).header("etag", link.etag());
    if status == 201 {
        r = r.header("location", format!("/api/v1/links/{}", link.id));
    }
    r
}

fn rules<'a>(c: &'a Ctx) -> Rules<'a> {
    Rules {
        policy: &c.cfg.target_policy,
        username: c.who.username.as_deref(),
        now: crate::clock::now_utc(),
    }
}

fn db(c: &Ctx) -> Result<LinksDb, ApiError> {
    Ok(LinksDb::from_env(c.env)?)
}

/// Validated fields as a store write: the password is hashed here, so plain text never
/// reaches the store.
async fn to_write(mut fields: LinkFields) -> Result<LinkWrite, ApiError> {
    let password_hash = match std::mem::take(&mut fields.password) {
        Field::Value(p) => Field::Value(
            crypto::hash_password(&p)
                .await
                .map_err(ApiError::Internal)?,
        ),
        Field::Null => Field::Null,
        Field::Absent => Field::Absent,
    };
    Ok(LinkWrite {
        fields,
        password_hash,
    })
}

pub async fn create(c: &Ctx<'_>, body: &Value) -> Result<Reply, ApiError> {
    let fields = link::parse_create(body, &rules(c)).map_err(ApiError::Validation)?;
    let (link, flags) = create_one(c, fields).await?;
    Ok(link_reply(c, 201, &link, &flags))
}

/// Every target a write sets, by field (for the abuse checks).
fn targets(f: &LinkFields) -> Vec<(String, &str)> {
    let mut out = Vec::new();
    for (name, field) in [
        ("url", &f.url),
        ("ios_url", &f.ios_url),
        ("android_url", &f.android_url),
    ] {
        if let Field::Value(u) = field {
            out.push((name.to_string(), u.as_str()));
        }
    }
    if let Field::Value(geo) = &f.geo {
        out.extend(geo.iter().map(|(k, u)| (format!("geo.{k}"), u.as_str())));
    }
    out
}

async fn screen(c: &Ctx<'_>, f: &LinkFields) -> Result<Vec<Flag>, ApiError> {
    let t = targets(f);
    let refs: Vec<(&str, &str)> = t.iter().map(|(k, u)| (k.as_str(), *u)).collect();
    super::abuse::screen(c, &refs).await
}

async fn create_one(c: &Ctx<'_>, fields: LinkFields) -> Result<(Link, Vec<Flag>), ApiError> {
    if let Field::Value(slug) = &fields.workspace_id {
        super::workspaces::check_use(c, slug).await?;
    }
    let flags = screen(c, &fields).await?;
    let mut values = to_write(fields).await?;
    let db = db(c)?;
    let id = runtime::random_id();
    let now = crate::clock::now_iso();
    let owner = c.who.owner();
    let link = match values.code().map(str::to_string) {
        Some(code) => match db.insert(&id, owner, &values, &now).await? {
            Insert::Created(l) => *l,
            Insert::CodeTaken => return Err(ApiError::code_taken(&code)),
        },
        None => {
            let mut created = None;
            for _ in 0..RANDOM_CODE_ATTEMPTS {
                values.set_code(runtime::random_code());
                if let Insert::Created(l) = db.insert(&id, owner, &values, &now).await? {
                    created = Some(*l);
                    break;
                }
            }
            created.ok_or_else(|| {
                ApiError::Internal("no free random code after several attempts".into())
            })?
        }
    };
    publish(
        c.env,
        c.ctx,
        c.cfg,
        vec![(link.code.clone(), Some(link.redirect_record()))],
    )
    .await;
    log::info(
        "link_created",
        json!({ "link_id": link.id, "code": link.code }),
    );
    Ok((link, flags))
}

pub async fn get(c: &Ctx<'_>, id: &str) -> Result<Reply, ApiError> {
    let link = db(c)?
        .get(id, c.who.owner())
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Reply::json(200, &view(c, &link, None)).header("etag", link.etag()))
}

pub async fn update(
    c: &Ctx<'_>,
    id: &str,
    body: &Value,
    if_match: Option<String>,
) -> Result<Reply, ApiError> {
    let fields = link::parse_update(body, &rules(c)).map_err(ApiError::Validation)?;
    if let Field::Value(slug) = &fields.workspace_id {
        super::workspaces::check_use(c, slug).await?;
    }
    let flags = screen(c, &fields).await?;
    let db = db(c)?;
    let current = db.get(id, c.who.owner()).await?.ok_or(ApiError::NotFound)?;
    if let Some(versions) = if_match
        .as_deref()
        .and_then(precondition::if_match_versions)
    {
        if !versions.contains(&current.version) {
            return Err(ApiError::PreconditionFailed {
                current_etag: current.etag(),
            });
        }
    }
    let values = to_write(fields).await?;
    let (link, old_code) = match db
        .update(&current, &values, &crate::clock::now_iso())
        .await?
    {
        Update::Updated { link, old_code } => (*link, old_code),
        Update::Stale => {
            return Err(ApiError::PreconditionFailed {
                current_etag: current.etag(),
            })
        }
        Update::CodeTaken => return Err(ApiError::code_taken(values.code().unwrap_or_default())),
    };
    let mut changes: Vec<Change> = vec![(link.code.clone(), Some(link.redirect_record()))];
    if old_code != link.code {
        changes.push((old_code, None));
    }
    publish(c.env, c.ctx, c.cfg, changes).await;
    log::info(
        "link_updated",
        json!({ "link_id": link.id, "version": link.version }),
    );
    Ok(link_reply(c, 200, &link, &flags))
}

pub async fn delete(c: &Ctx<'_>, id: &str) -> Result<Reply, ApiError> {
    let deleted = db(c)?.delete(&[id.to_string()], c.who.owner()).await?;
    let Some((id, code)) = deleted.into_iter().next() else {
        return Err(ApiError::NotFound);
    };
    publish(c.env, c.ctx, c.cfg, vec![(code, None)]).await;
    log::info("link_deleted", json!({ "link_id": id }));
    Ok(Reply::no_content())
}

pub async fn list(c: &Ctx<'_>, pairs: &[(String, String)]) -> Result<Reply, ApiError> {
    let q = listing::parse(pairs).map_err(ApiError::Validation)?;
    let mut rows = db(c)?
        .list(c.who.owner(), &q, &crate::clock::now_iso())
        .await?;
    let has_more = rows.len() > q.limit as usize;
    rows.truncate(q.limit as usize);
    let next_cursor = match (has_more, rows.last()) {
        (true, Some(last)) => Some(
            listing::Cursor {
                s: q.sort,
                c: match q.sort {
                    listing::Sort::Created => json!(last.created_at),
                    listing::Sort::Clicks => json!(last.click_count),
                },
                id: last.id.clone(),
            }
            .encode(),
        ),
        _ => None,
    };
    let data: Vec<Value> = rows.iter().map(|l| view(c, l, None)).collect();
    Ok(Reply::json(
        200,
        &json!({ "data": data, "next_cursor": next_cursor }),
    ))
}

/// Each item succeeds or fails on its own; the answer lists every item's outcome in order.
pub async fn bulk_create(c: &Ctx<'_>, body: &Value) -> Result<Reply, ApiError> {
    let mut r = Reader::new(body, &["links"]).map_err(ApiError::Validation)?;
    let items = match body.get("links") {
        Some(Value::Array(items))
            if !items.is_empty()
                && items.len() <= MAX_BULK
                && link::passwords_in(items) > link::MAX_BULK_PASSWORDS =>
        {
            // Each password costs a PBKDF2 hash (~100k iterations): a request of 100 would
            // spend seconds of CPU on one call.
            r.error(
                "links",
                format!(
                    "at most {} links of one bulk request may have a password",
                    link::MAX_BULK_PASSWORDS
                ),
            );
            Vec::new()
        }
        Some(Value::Array(items)) if !items.is_empty() && items.len() <= MAX_BULK => items.clone(),
        _ => {
            r.error(
                "links",
                format!("links must be an array of 1 to {MAX_BULK} links"),
            );
            Vec::new()
        }
    };
    r.finish(|| ()).map_err(ApiError::Validation)?;
    let mut results = Vec::with_capacity(items.len());
    let (mut created, mut failed) = (0, 0);
    for (index, item) in items.iter().enumerate() {
        let outcome = match link::parse_create(item, &rules(c)) {
            Err(errors) => Err(ApiError::Validation(errors)),
            Ok(fields) => create_one(c, fields).await,
        };
        results.push(match outcome {
            Ok((link, flags)) => {
                created += 1;
                json!({ "index": index, "status": 201, "link": view(c, &link, Some(&flags)) })
            }
            Err(e @ ApiError::Unavailable { .. }) => return Err(e),
            Err(e) => {
                failed += 1;
                let p = e.to_problem();
                json!({ "index": index, "status": p.status, "error": p })
            }
        });
    }
    Ok(Reply::json(
        200,
        &json!({ "created": created, "failed": failed, "results": results }),
    ))
}

/// `{"ids": [...]}` with 1 to 100 ids, plus whatever else the operation reads.
fn read_ids(r: &mut Reader) -> Vec<String> {
    match r.strings("ids") {
        Field::Value(mut ids) if (1..=MAX_BULK).contains(&ids.len()) => {
            ids.sort();
            ids.dedup();
            ids
        }
        Field::Value(_) | Field::Null | Field::Absent => {
            if !r.errors.iter().any(|e| e.field == "ids") {
                r.error(
                    "ids",
                    format!("ids must be an array of 1 to {MAX_BULK} link ids"),
                );
            }
            Vec::new()
        }
    }
}

fn outcome(ids: &[String], done: &[String]) -> Value {
    let not_found: Vec<&String> = ids.iter().filter(|id| !done.contains(id)).collect();
    json!({ "updated": done, "not_found": not_found })
}

pub async fn bulk_delete(c: &Ctx<'_>, body: &Value) -> Result<Reply, ApiError> {
    let mut r = Reader::new(body, &["ids"]).map_err(ApiError::Validation)?;
    let ids = read_ids(&mut r);
    r.finish(|| ()).map_err(ApiError::Validation)?;
    let deleted = db(c)?.delete(&ids, c.who.owner()).await?;
    let done: Vec<String> = deleted.iter().map(|(id, _)| id.clone()).collect();
    publish(
        c.env,
        c.ctx,
        c.cfg,
        deleted.into_iter().map(|(_, code)| (code, None)).collect(),
    )
    .await;
    let not_found: Vec<&String> = ids.iter().filter(|id| !done.contains(id)).collect();
    Ok(Reply::json(
        200,
        &json!({ "deleted": done, "not_found": not_found }),
    ))
}

pub async fn bulk_update(c: &Ctx<'_>, body: &Value) -> Result<Reply, ApiError> {
    let mut r = Reader::new(body, &["ids", "is_active"]).map_err(ApiError::Validation)?;
    let ids = read_ids(&mut r);
    let active = r.bool("is_active");
    let active = r.require("is_active", active);
    r.finish(|| ()).map_err(ApiError::Validation)?;
    let active = active.unwrap_or(true);
    let links = db(c)?
        .set_active(&ids, c.who.owner(), active, &crate::clock::now_iso())
        .await?;
    publish(
        c.env,
        c.ctx,
        c.cfg,
        links
            .iter()
            .map(|l| (l.code.clone(), Some(l.redirect_record())))
            .collect(),
    )
    .await;
    let done: Vec<String> = links.into_iter().map(|l| l.id).collect();
    Ok(Reply::json(200, &outcome(&ids, &done)))
}

pub async fn bulk_tag(c: &Ctx<'_>, body: &Value) -> Result<Reply, ApiError> {
    let mut r = Reader::new(body, &["ids", "add", "remove"]).map_err(ApiError::Validation)?;
    let ids = read_ids(&mut r);
    let names = |r: &mut Reader, field: &str| match r.strings(field) {
        Field::Value(list) => link::normalise_tag_names(&list).unwrap_or_else(|msg| {
            r.error(field, msg);
            Vec::new()
        }),
        _ => Vec::new(),
    };
    let add = names(&mut r, "add");
    let remove = names(&mut r, "remove");
    if r.errors.is_empty() && add.is_empty() && remove.is_empty() {
        r.error("add", "send tags to add or remove");
    }
    r.finish(|| ()).map_err(ApiError::Validation)?;
    let done = db(c)?
        .retag(&ids, c.who.owner(), &add, &remove, &crate::clock::now_iso())
        .await?;
    Ok(Reply::json(200, &outcome(&ids, &done)))
}

/// The short link as a QR code (SVG), made here rather than by a third-party service.
pub async fn qr(c: &Ctx<'_>, id: &str) -> Result<Reply, ApiError> {
    let link = db(c)?
        .get(id, c.who.owner())
        .await?
        .ok_or(ApiError::NotFound)?;
    let url = short_url(c, &link.code);
    let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| ApiError::Internal(format!("qr: {e}")))?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(256, 256)
        .quiet_zone(true)
        .build();
    Ok(Reply::raw(
        "image/svg+xml",
        svg.into_bytes(),
        "private, max-age=300",
    ))
}
