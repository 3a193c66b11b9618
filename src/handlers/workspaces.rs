//! Workspaces (`/api/v1/workspaces/{slug}`): managed by the dashboard's server, like users.
//! A link may live under `/w/{slug}/` only if its owner is a member.

use serde_json::Value;

use super::Ctx;
use crate::error::ApiError;
use crate::http::Reply;
use crate::log;
use crate::store::d1;
use crate::store::workspaces_db::WorkspacesDb;
use uload_core::fields::{text, Field, Reader};
use uload_core::route::is_id;
use uload_core::workspace::{MAX_MEMBERS, MAX_NAME};

pub async fn get(c: &Ctx<'_>, slug: &str) -> Result<Reply, ApiError> {
    c.require_service("workspaces")?;
    let db = d1::database(c.env)?;
    let ws = (WorkspacesDb { db: &db })
        .get(slug)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Reply::json(200, &ws))
}

/// `{name?, members: [user ids]}`: creates the workspace or replaces its name and members.
pub async fn put(c: &Ctx<'_>, slug: &str, body: &Value) -> Result<Reply, ApiError> {
    c.require_service("workspaces")?;
    let mut r = Reader::new(body, uload_core::workspace::FIELDS).map_err(ApiError::Validation)?;
    let name = text(&mut r, "name", MAX_NAME).into_option();
    let members = match r.strings("members") {
        Field::Value(mut ids) if ids.len() <= MAX_MEMBERS => {
            ids.sort();
            ids.dedup();
            if let Some(bad) = ids.iter().find(|i| !is_id(i)) {
                r.error("members", format!("'{bad}' is not a user id"));
            }
            ids
        }
        Field::Value(_) => {
            r.error(
                "members",
                format!("members must be at most {MAX_MEMBERS} user ids"),
            );
            Vec::new()
        }
        _ => {
            r.error("members", "members (an array of user ids) is required");
            Vec::new()
        }
    };
    r.finish(|| ()).map_err(ApiError::Validation)?;
    let db = d1::database(c.env)?;
    let store = WorkspacesDb { db: &db };
    let unknown = store.unknown_users(&members).await?;
    if !unknown.is_empty() {
        return Err(ApiError::validation(
            "members",
            format!(
                "no such user: {} (create them with PUT /api/v1/users/{{id}})",
                unknown.join(", ")
            ),
        ));
    }
    let created = store
        .put(slug, name.as_deref(), &members, &crate::clock::now_iso())
        .await?;
    log::info(
        "workspace_put",
        serde_json::json!({ "workspace": slug, "members": members.len(), "created": created }),
    );
    let ws = store
        .get(slug)
        .await?
        .ok_or_else(|| ApiError::Internal("workspace vanished after it was written".into()))?;
    let reply = Reply::json(if created { 201 } else { 200 }, &ws);
    Ok(if created {
        reply.header("location", format!("/api/v1/workspaces/{slug}"))
    } else {
        reply
    })
}

pub async fn delete(c: &Ctx<'_>, slug: &str) -> Result<Reply, ApiError> {
    c.require_service("workspaces")?;
    let db = d1::database(c.env)?;
    if (WorkspacesDb { db: &db }).delete(slug).await? {
        log::info(
            "workspace_deleted",
            serde_json::json!({ "workspace": slug }),
        );
        Ok(Reply::no_content())
    } else {
        Err(ApiError::NotFound)
    }
}

/// Whether the caller may put a link into workspace `slug`: a user must be a member; the
/// service's own namespace needs the workspace to exist. Answered as a validation error on
/// `workspace_id` either way, so a non-member does not learn whether the workspace exists.
pub async fn check_use(c: &Ctx<'_>, slug: &str) -> Result<(), ApiError> {
    let db = d1::database(c.env)?;
    let store = WorkspacesDb { db: &db };
    let allowed = match c.who.owner() {
        Some(user) => store.is_member(slug, user).await?,
        None => store.exists(slug).await?,
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::validation(
            "workspace_id",
            format!("no workspace '{slug}' that you are a member of"),
        ))
    }
}
