//! Tags API: list, create, rename/recolour, delete, merge.

use serde_json::Value;
use uload_core::problem::Code;

use super::Ctx;
use crate::error::ApiError;
use crate::http::Reply;
use crate::runtime;
use crate::store::constraint::Constraint;
use crate::store::d1;
use crate::store::tags_db::TagsDb;
use crate::store::StoreError;
use uload_core::fields::{Field, Reader};
use uload_core::page::List;
use uload_core::tag;

fn taken(slug: &str) -> ApiError {
    ApiError::Conflict {
        code: Code::TagExists,
        field: "name",
        detail: format!("a tag '{slug}' exists already"),
    }
}

pub async fn list(c: &Ctx<'_>) -> Result<Reply, ApiError> {
    let db = d1::database(c.env)?;
    let tags = TagsDb { db: &db }.list(c.who.owner()).await?;
    Ok(Reply::json(200, &List::from(tags)))
}

pub async fn create(c: &Ctx<'_>, body: &Value) -> Result<Reply, ApiError> {
    let mut r = Reader::new(body, tag::FIELDS).map_err(ApiError::Validation)?;
    let name = tag::read_name(&mut r);
    let name = r.require("name", name);
    let color = tag::read_color(&mut r).into_option();
    r.finish(|| ()).map_err(ApiError::Validation)?;
    let Some((name, slug)) = name else {
        return Err(ApiError::validation("name", "name is required"));
    };
    let db = d1::database(c.env)?;
    let id = runtime::random_id();
    let tag = TagsDb { db: &db }
        .create(
            &id,
            c.who.owner(),
            &name,
            &slug,
            color.as_deref(),
            &crate::clock::now_iso(),
        )
        .await?
        .ok_or_else(|| taken(&slug))?;
    Ok(Reply::json(201, &tag).header("location", format!("/api/v1/tags/{}", tag.id)))
}

pub async fn update(c: &Ctx<'_>, id: &str, body: &Value) -> Result<Reply, ApiError> {
    let mut r = Reader::new(body, tag::FIELDS).map_err(ApiError::Validation)?;
    let name = tag::read_name(&mut r).into_option();
    let color = tag::read_color(&mut r);
    if r.errors.is_empty() && name.is_none() && color.is_absent() {
        r.error("", "send a name or a color");
    }
    r.finish(|| ()).map_err(ApiError::Validation)?;
    let color = match &color {
        Field::Absent => None,
        Field::Null => Some(None),
        Field::Value(c) => Some(Some(c.as_str())),
    };
    let db = d1::database(c.env)?;
    let name_ref = name.as_ref().map(|(n, s)| (n.as_str(), s.as_str()));
    match (TagsDb { db: &db })
        .update(id, c.who.owner(), name_ref, color, &crate::clock::now_iso())
        .await
    {
        Ok(Some(tag)) => Ok(Reply::json(200, &tag)),
        Ok(None) => Err(ApiError::NotFound),
        Err(StoreError::Conflict(Constraint::TagSlug)) => {
            Err(taken(&name.map(|(_, s)| s).unwrap_or_default()))
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn delete(c: &Ctx<'_>, id: &str) -> Result<Reply, ApiError> {
    let db = d1::database(c.env)?;
    if (TagsDb { db: &db }).delete(id, c.who.owner()).await? {
        Ok(Reply::no_content())
    } else {
        Err(ApiError::NotFound)
    }
}

/// Moves every link tagged `id` to the tag `into`, then deletes `id`.
pub async fn merge(c: &Ctx<'_>, id: &str, body: &Value) -> Result<Reply, ApiError> {
    let mut r = Reader::new(body, tag::MERGE_FIELDS).map_err(ApiError::Validation)?;
    let into = r.string("into");
    let into = r.require("into", into);
    if into.as_deref() == Some(id) {
        r.error("into", "a tag cannot be merged into itself");
    }
    r.finish(|| ()).map_err(ApiError::Validation)?;
    let into = into.unwrap_or_default();
    let db = d1::database(c.env)?;
    let tags = TagsDb { db: &db };
    let owner = c.who.owner();
    tags.get(id, owner).await?.ok_or(ApiError::NotFound)?;
    if tags.get(&into, owner).await?.is_none() {
        return Err(ApiError::validation("into", "no such tag"));
    }
    tags.merge(id, &into, owner, &crate::clock::now_iso())
        .await?;
    let merged = tags.get(&into, owner).await?.ok_or(ApiError::NotFound)?;
    Ok(Reply::json(200, &merged))
}
