//! Users, synchronised by the dashboard's server (service token only): profiles, renames
//! under the username rules of `uload_core::username`, and deletion with everything of theirs.

use serde_json::{json, Value};
use uload_core::problem::Code;

use super::Ctx;
use crate::error::ApiError;
use crate::http::Reply;
use crate::log;
use crate::services::kv_sync::{self, Change};
use crate::store::constraint::Constraint;
use crate::store::d1;
use crate::store::repairs::Repairs;
use crate::store::users_db::{Profile, UsersDb};
use crate::store::StoreError;
use uload_core::fields::{text, Reader};
use uload_core::{profile, time, username};

/// KV records deleted while the request runs; the rest go through the repair queue (the
/// reconcile job deletes 500 a minute), within the runtime's subrequest limit.
const KV_NOW: usize = 500;

/// Creates or replaces a user's public profile. Only the dashboard's server (service token)
/// may: users are managed there, this is a copy for the edge.
pub async fn put(c: &Ctx<'_>, id: &str, body: &Value) -> Result<Reply, ApiError> {
    c.require_service("users")?;
    let mut r = Reader::new(body, profile::FIELDS).map_err(ApiError::Validation)?;
    let name = r.string("username");
    let name = r.require("username", name);
    if let Some(u) = &name {
        if !username::is_valid(u) {
            r.error(
                "username",
                format!(
                    "username must be {} to {} characters of a-z, 0-9, '_' and '-'",
                    username::MIN_LEN,
                    username::MAX_LEN
                ),
            );
        }
    }
    let display_name = text(&mut r, "display_name", profile::MAX_DISPLAY_NAME).into_option();
    let bio = text(&mut r, "bio", profile::MAX_BIO).into_option();
    let public = r.flag("profile_public", true);
    r.finish(|| ()).map_err(ApiError::Validation)?;
    let name = name.unwrap_or_default();
    let db = d1::database(c.env)?;
    let users = UsersDb { db: &db };
    let (hold, others_links) = users.claims_on(id, &name).await?;
    let hold = hold.and_then(|(holder, released)| Some((holder, time::parse(&released)?)));
    if let Err(refusal) = username::may_take(
        id,
        hold.as_ref().map(|(h, at)| (h.as_str(), *at)),
        others_links,
        crate::clock::now_utc(),
        c.cfg.username_hold_days,
    ) {
        return Err(ApiError::Conflict {
            code: Code::UsernameHeld,
            field: "username",
            detail: refusal.detail(&name),
        });
    }
    let profile = Profile {
        username: &name,
        display_name: display_name.as_deref(),
        bio: bio.as_deref(),
        public,
    };
    let stored = users.put(id, &profile, &crate::clock::now_iso()).await;
    // Whatever happened, this isolate reads the user again when it next acts for them.
    crate::auth::forget_user(id);
    match stored {
        Ok((user, true)) => {
            let location = format!("/api/v1/users/{}", user.id);
            Ok(Reply::json(201, &user).header("location", location))
        }
        Ok((user, false)) => Ok(Reply::json(200, &user)),
        Err(StoreError::Conflict(Constraint::Username)) => Err(ApiError::Conflict {
            code: Code::UsernameTaken,
            field: "username",
            detail: format!("the username '{name}' belongs to another user"),
        }),
        Err(e) => Err(e.into()),
    }
}

/// A user as the edge holds it (service token only). 404 when there is no such user.
pub async fn get(c: &Ctx<'_>, id: &str) -> Result<Reply, ApiError> {
    c.require_service("users")?;
    let db = d1::database(c.env)?;
    let user = UsersDb { db: &db }
        .user(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    Ok(Reply::json(200, &user))
}

/// Changes only the fields the body names (PUT replaces the whole profile, so a PUT without
/// `bio` clears it): the body is laid over the stored profile, then checked and stored as a
/// PUT would be. 404 when there is no such user (PUT creates one).
pub async fn patch(c: &Ctx<'_>, id: &str, body: &Value) -> Result<Reply, ApiError> {
    c.require_service("users")?;
    let Some(given) = body.as_object() else {
        return Err(ApiError::validation(
            "body",
            "the body must be a JSON object",
        ));
    };
    let db = d1::database(c.env)?;
    let user = UsersDb { db: &db }
        .user(id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let stored = serde_json::to_value(&user).unwrap_or_default();
    let mut merged: serde_json::Map<String, Value> = profile::FIELDS
        .iter()
        .filter_map(|k| Some((k.to_string(), stored.get(k)?.clone())))
        .collect();
    merged.extend(given.clone());
    let merged = Value::Object(merged);
    put(c, id, &merged).await
}

/// Deletes a user and everything of theirs (links, their clicks and statistics, tags, API
/// keys, memberships); their links stop redirecting at once (KV records deleted) and their
/// username is held for them. 204, or 404 when there is no such user.
pub async fn delete(c: &Ctx<'_>, id: &str) -> Result<Reply, ApiError> {
    c.require_service("users")?;
    let db = d1::database(c.env)?;
    let users = UsersDb { db: &db };
    if users.user(id).await?.is_none() {
        return Err(ApiError::NotFound);
    }
    let codes = users.link_codes(id).await?;
    // Queued before D1 changes: should this isolate die after the delete, the reconcile
    // job still finds every code (and deletes its record, since D1 no longer has it).
    let now = crate::clock::now_iso();
    (Repairs { db: &db }).add(&codes, &now).await?;
    let deleted = users.delete(id, &now).await;
    crate::auth::forget_user(id);
    if !deleted? {
        return Err(ApiError::NotFound);
    }
    let gone: Vec<Change> = codes
        .iter()
        .take(KV_NOW)
        .map(|c| (c.clone(), None))
        .collect();
    kv_sync::publish(c.env, c.ctx, c.cfg, gone).await;
    log::info(
        "user_deleted",
        json!({ "links": codes.len(), "kv_later": codes.len().saturating_sub(KV_NOW) }),
    );
    Ok(Reply::no_content())
}
