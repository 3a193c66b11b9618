//! Bulk operations on links: create (per-item results), delete, activate/deactivate and
//! tag many links in one request, each with its own limits.

use serde_json::Value;

use super::links::{create_one, db, rules, view};
use super::Ctx;
use crate::error::ApiError;
use crate::http::Reply;
use crate::services::kv_sync::publish;
use uload_core::fields::{Field, Reader};
use uload_core::link;
use uload_core::link::{BulkCreated, BulkDeleted, BulkItem, BulkUpdated, MAX_BULK};

/// Each item succeeds or fails on its own; the answer lists every item's outcome in order.
pub async fn create(c: &Ctx<'_>, body: &Value) -> Result<Reply, ApiError> {
    let mut r = Reader::new(body, link::BULK_CREATE_FIELDS).map_err(ApiError::Validation)?;
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
                BulkItem {
                    index,
                    status: 201,
                    link: Some(view(c, &link, Some(&flags))),
                    error: None,
                }
            }
            Err(e @ ApiError::Unavailable { .. }) => return Err(e),
            Err(e) => {
                failed += 1;
                let p = e.to_problem();
                BulkItem {
                    index,
                    status: p.status,
                    link: None,
                    error: Some(p),
                }
            }
        });
    }
    Ok(Reply::json(
        200,
        &BulkCreated {
            created,
            failed,
            results,
        },
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

fn outcome(ids: &[String], done: Vec<String>) -> BulkUpdated {
    BulkUpdated {
        not_found: not_found(ids, &done),
        updated: done,
    }
}

/// The ids asked for that were not done: unknown, or not the caller's.
fn not_found(ids: &[String], done: &[String]) -> Vec<String> {
    ids.iter()
        .filter(|id| !done.contains(id))
        .cloned()
        .collect()
}

pub async fn delete(c: &Ctx<'_>, body: &Value) -> Result<Reply, ApiError> {
    let mut r = Reader::new(body, link::BULK_DELETE_FIELDS).map_err(ApiError::Validation)?;
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
    Ok(Reply::json(
        200,
        &BulkDeleted {
            not_found: not_found(&ids, &done),
            deleted: done,
        },
    ))
}

pub async fn update(c: &Ctx<'_>, body: &Value) -> Result<Reply, ApiError> {
    let mut r = Reader::new(body, link::BULK_UPDATE_FIELDS).map_err(ApiError::Validation)?;
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
    Ok(Reply::json(200, &outcome(&ids, done)))
}

pub async fn tag(c: &Ctx<'_>, body: &Value) -> Result<Reply, ApiError> {
    let mut r = Reader::new(body, link::BULK_TAG_FIELDS).map_err(ApiError::Validation)?;
    let ids = read_ids(&mut r);
    let names = |r: &mut Reader, field: &str| match r.strings(field) {
        Field::Value(list) => link::normalise_tag_names(&list).unwrap_or_else(|msg| {
            r.error(field, msg);
            Vec::new()
        }),
        Field::Null => {
            r.error(field, format!("{field} must be an array of tag names"));
            Vec::new()
        }
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
    Ok(Reply::json(200, &outcome(&ids, done)))
}
