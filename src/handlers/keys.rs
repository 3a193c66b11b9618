//! API keys (per user; the secret is shown once) and users (synchronised by the dashboard).

use serde_json::{json, Value};

use super::Ctx;
use crate::domain::fields::{text, Reader};
use crate::domain::scope;
use crate::domain::secret::{self, API_KEY_DISPLAY_LEN};
use crate::error::ApiError;
use crate::http::Reply;
use crate::store::d1;
use crate::store::keys_db::KeysDb;
use crate::store::StoreError;
use crate::{log, runtime};

fn user_of<'a>(c: &'a Ctx) -> Result<&'a str, ApiError> {
    c.who.owner().ok_or_else(|| {
        ApiError::Forbidden(
            "API keys belong to a user: send X-Uload-User with the service token".into(),
        )
    })
}

pub async fn list(c: &Ctx<'_>) -> Result<Reply, ApiError> {
    let user = user_of(c)?;
    let db = d1::database(c.env)?;
    let keys = KeysDb { db: &db }.list(user).await?;
    Ok(Reply::json(
        200,
        &json!({ "data": keys.iter().map(shown).collect::<Vec<_>>() }),
    ))
}

/// A key as the API shows it: its scopes as a list.
fn shown(key: &crate::store::keys_db::ApiKey) -> Value {
    let mut v = serde_json::to_value(key).unwrap_or(Value::Null);
    v["scopes"] = json!(scope::parse_stored(&key.scopes)
        .iter()
        .map(|s| s.name())
        .collect::<Vec<_>>());
    v
}

pub async fn create(c: &Ctx<'_>, body: &Value) -> Result<Reply, ApiError> {
    let new = scope::parse_new_key(body, runtime::now_utc()).map_err(ApiError::Validation)?;
    let user = user_of(c)?;
    let key = loop {
        if let Some(k) = secret::api_key_from_random(&runtime::random_bytes(64)) {
            break k;
        }
    };
    let db = d1::database(c.env)?;
    let id = runtime::random_id();
    let created = KeysDb { db: &db }
        .create(
            &id,
            user,
            &new.name,
            &secret::sha256_hex(key.as_bytes()),
            &key[..API_KEY_DISPLAY_LEN],
            &scope::to_stored(&new.scopes),
            new.expires_at.as_deref(),
            &runtime::now_iso(),
        )
        .await?;
    log::info(
        "api_key_created",
        json!({ "key_id": created.id, "user_id": user }),
    );
    let mut body = shown(&created);
    body["key"] = json!(key);
    Ok(Reply::json(201, &body).header("location", format!("/api/v1/api-keys/{}", created.id)))
}

pub async fn revoke(c: &Ctx<'_>, id: &str) -> Result<Reply, ApiError> {
    let user = user_of(c)?;
    let db = d1::database(c.env)?;
    if (KeysDb { db: &db })
        .revoke(id, user, &runtime::now_iso())
        .await?
    {
        log::info("api_key_revoked", json!({ "key_id": id, "user_id": user }));
        Ok(Reply::no_content())
    } else {
        Err(ApiError::NotFound)
    }
}

fn valid_username(u: &str) -> bool {
    (3..=30).contains(&u.len())
        && u.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// Creates or replaces a user's public profile. Only the dashboard's server (service token)
/// may: users are managed there, this is a copy for the edge.
pub async fn put_user(c: &Ctx<'_>, id: &str, body: &Value) -> Result<Reply, ApiError> {
    if !c.who.is_service {
        return Err(ApiError::Forbidden(
            "users are managed by the dashboard (service token only)".into(),
        ));
    }
    let mut r = Reader::new(body, &["username", "display_name", "bio", "profile_public"])
        .map_err(ApiError::Validation)?;
    let username = r.string("username");
    let username = r.require("username", username);
    if let Some(u) = &username {
        if !valid_username(u) {
            r.error(
                "username",
                "username must be 3 to 30 characters of a-z, 0-9, '_' and '-'",
            );
        }
    }
    let display_name = text(&mut r, "display_name", 100).into_option();
    let bio = text(&mut r, "bio", 500).into_option();
    let public = r.bool("profile_public").into_option().unwrap_or(true);
    r.finish(|| ()).map_err(ApiError::Validation)?;
    let username = username.unwrap_or_default();
    let db = d1::database(c.env)?;
    let result = (KeysDb { db: &db })
        .put_user(
            id,
            &username,
            display_name.as_deref(),
            bio.as_deref(),
            public,
            &runtime::now_iso(),
        )
        .await;
    match result {
        Ok((user, created)) => Ok(Reply::json(if created { 201 } else { 200 }, &user)),
        Err(StoreError::Conflict(_)) => Err(ApiError::Conflict {
            code: "username_taken",
            field: "username",
            detail: format!("the username '{username}' belongs to another user"),
        }),
        Err(e) => Err(e.into()),
    }
}
