//! The link management API (/api/v1/links). D1 first, then KV; D1 is the truth.

use serde_json::{json, Value};

use super::Ctx;
use crate::error::ApiError;
use crate::http::Reply;
use crate::services::kv_sync::{self, publish, Change};
use crate::store::links_db::{Insert, LinkWrite, LinksDb, Update};
use crate::{crypto, log, runtime};
use uload_core::abuse::Flag;
use uload_core::fields::Field;
use uload_core::link::{self, Link, LinkFields, LinkView, Rules};
use uload_core::{listing, precondition, target};

/// How often a random code is redrawn after a collision before giving up. With 55^7
/// codes a second draw is already rare; five makes failure practically impossible.
const RANDOM_CODE_ATTEMPTS: usize = 5;

/// `flags`: what the abuse checks flagged in this write (`None`: a read, no warnings).
pub(super) fn view(c: &Ctx, link: &Link, flags: Option<&[Flag]>) -> Value {
    serde_json::to_value(link_view(c, link, flags)).unwrap_or(Value::Null)
}

fn link_view<'a>(c: &Ctx, link: &'a Link, flags: Option<&[Flag]>) -> LinkView<'a> {
    LinkView {
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
    }
}

pub fn short_url(c: &Ctx, code: &str) -> String {
    format!(
        "{}{}",
        c.cfg.short_base_url,
        uload_core::code::public_path(code)
    )
}

pub(super) fn link_reply(c: &Ctx, status: u16, link: &Link, flags: &[Flag]) -> Reply {
    let mut r = Reply::json(status, &view(c, link, Some(flags))).header("etag", link.etag());
    if status == 201 {
        r = r.header("location", format!("/api/v1/links/{}", link.id));
    }
    r
}

pub(super) fn rules<'a>(c: &'a Ctx) -> Rules<'a> {
    Rules {
        policy: &c.cfg.target_policy,
        username: c.who.username.as_deref(),
        now: crate::clock::now_utc(),
    }
}

pub(super) fn db(c: &Ctx) -> Result<LinksDb, ApiError> {
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

pub(super) async fn create_one(
    c: &Ctx<'_>,
    fields: LinkFields,
) -> Result<(Link, Vec<Flag>), ApiError> {
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
    // The insert's batch wrote the KV repair row with the link.
    kv_sync::publish_queued(
        c.env,
        c.ctx,
        c.cfg,
        vec![(link.code.clone(), Some(link.redirect_record()))],
        Some(now),
    )
    .await;
    log::info(
        "link_created",
        json!({ "link_id": link.id, "code": link.code }),
    );
    Ok((link, flags))
}

pub async fn get(c: &Ctx<'_>, id: &str, if_none_match: Option<String>) -> Result<Reply, ApiError> {
    let link = db(c)?
        .get(id, c.who.owner())
        .await?
        .ok_or(ApiError::NotFound)?;
    if if_none_match.is_some_and(|h| precondition::if_none_match(&h, link.version)) {
        return Ok(Reply::not_modified().header("etag", link.etag()));
    }
    Ok(Reply::json(200, &view(c, &link, None)).header("etag", link.etag()))
}

pub async fn update(
    c: &Ctx<'_>,
    id: &str,
    body: &Value,
    if_match: Option<String>,
) -> Result<Reply, ApiError> {
    let db = db(c)?;
    let current = db.get(id, c.who.owner()).await?.ok_or(ApiError::NotFound)?;
    // A GET's body may come back edited: read-only and unchanged fields are no change, and
    // its `version` is a precondition like If-Match (the header wins when both are sent).
    let sent_something = body.as_object().is_some_and(|o| !o.is_empty());
    let (body, version) =
        link::changes(body, &view(c, &current, None)).map_err(ApiError::Validation)?;
    // Only what the link already is (or read-only fields): nothing to write.
    let nothing = sent_something && body.as_object().is_some_and(|o| o.is_empty());
    // The request's own faults first (422), then whether it is stale (412): a malformed
    // request is malformed whatever version it names.
    let fields = match nothing {
        true => None,
        false => Some(link::parse_update(&body, &rules(c)).map_err(ApiError::Validation)?),
    };
    let versions = match if_match.as_deref() {
        Some(h) => precondition::if_match_versions(h),
        None => version.map(|v| vec![v]),
    };
    if versions.is_some_and(|v| !v.contains(&current.version)) {
        return Err(ApiError::PreconditionFailed {
            current_etag: current.etag(),
        });
    }
    let Some(fields) = fields else {
        return Ok(link_reply(c, 200, &current, &[]));
    };
    if let Field::Value(slug) = &fields.workspace_id {
        super::workspaces::check_use(c, slug).await?;
    }
    let flags = screen(c, &fields).await?;
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

/// Deletes a link; with `If-Match`, only the version it names (412 otherwise, as for PATCH).
pub async fn delete(c: &Ctx<'_>, id: &str, if_match: Option<String>) -> Result<Reply, ApiError> {
    let versions = if_match
        .as_deref()
        .and_then(precondition::if_match_versions);
    let db = db(c)?;
    let deleted = db
        .delete_if(&[id.to_string()], c.who.owner(), versions.as_deref())
        .await?;
    let Some((id, code)) = deleted.into_iter().next() else {
        return Err(match db.get(id, c.who.owner()).await? {
            Some(current) if versions.is_some() => ApiError::PreconditionFailed {
                current_etag: current.etag(),
            },
            _ => ApiError::NotFound,
        });
    };
    publish(c.env, c.ctx, c.cfg, vec![(code, None)]).await;
    log::info("link_deleted", json!({ "link_id": id }));
    Ok(Reply::no_content())
}

/// `GET /links/availability?code=`: whether the acting user could create a link with this
/// code now: `available`, and when not, `reason` (`taken`, `reserved`, `invalid`) and
/// `detail`. Existence of a code is public anyway (its short URL answers), so this reveals
/// nothing a visitor could not learn; it is rate-limited like every API call.
pub async fn availability(c: &Ctx<'_>, pairs: &[(String, String)]) -> Result<Reply, ApiError> {
    let code = match pairs
        .iter()
        .filter(|(k, _)| k == "code")
        .collect::<Vec<_>>()
        .as_slice()
    {
        [(_, v)] if v.chars().count() > listing::MAX_SEARCH => {
            return Err(ApiError::validation(
                "code",
                format!("code must be at most {} characters", listing::MAX_SEARCH),
            ))
        }
        [(_, v)] if !v.is_empty() => v.clone(),
        [] => return Err(ApiError::validation("code", "code is required")),
        [_] => return Err(ApiError::validation("code", "code must not be empty")),
        _ => return Err(ApiError::validation("code", "give code once")),
    };
    if let Some((k, _)) = pairs.iter().find(|(k, _)| k != "code") {
        return Err(ApiError::validation(k, format!("unknown parameter '{k}'")));
    }
    let (reason, detail) = match uload_core::code::availability(&code, c.who.username.as_deref()) {
        Err((reason, detail)) => (Some(reason), Some(detail)),
        Ok(()) if db(c)?.code_exists(&code).await? => (
            Some("taken"),
            Some(format!("a link with the code '{code}' exists")),
        ),
        Ok(()) => (None, None),
    };
    let answer = uload_core::code::Availability {
        available: reason.is_none(),
        code,
        reason,
        detail,
    };
    Ok(Reply::json(200, &answer).header("cache-control", "no-store"))
}

pub async fn list(c: &Ctx<'_>, pairs: &[(String, String)]) -> Result<Reply, ApiError> {
    let q = listing::parse(pairs).map_err(ApiError::Validation)?;
    let (mut rows, total) = db(c)?
        .list(c.who.owner(), &q, &crate::clock::now_iso())
        .await?;
    let next_cursor = listing::next_cursor(&q, &mut rows);
    let body = listing::LinkList {
        data: rows.iter().map(|l| link_view(c, l, None)).collect(),
        next_cursor,
        total,
    };
    Ok(Reply::json(200, &body))
}
