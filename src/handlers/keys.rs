//! API keys (per user; the secret is shown once).

use serde_json::{json, Value};

use super::Ctx;
use crate::error::ApiError;
use crate::http::Reply;
use crate::store::d1;
use crate::store::keys_db::KeysDb;
use crate::{log, runtime};
use uload_core::page::List;
use uload_core::scope::{self, ApiKeyCreated, ApiKeyView};
use uload_core::secret::{self, API_KEY_DISPLAY_LEN};

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
        &List::from(keys.iter().map(shown).collect::<Vec<_>>()),
    ))
}

/// A key as the API shows it: its scopes as a list.
fn shown(key: &crate::store::keys_db::ApiKey) -> ApiKeyView {
    ApiKeyView {
        id: key.id.clone(),
        name: key.name.clone(),
        prefix: key.prefix.clone(),
        created_at: key.created_at.clone(),
        last_used_at: key.last_used_at.clone(),
        revoked_at: key.revoked_at.clone(),
        scopes: scope::parse_stored(&key.scopes),
        expires_at: key.expires_at.clone(),
    }
}

pub async fn create(c: &Ctx<'_>, body: &Value) -> Result<Reply, ApiError> {
    let new = scope::parse_new_key(body, crate::clock::now_utc()).map_err(ApiError::Validation)?;
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
            &crate::clock::now_iso(),
        )
        .await?;
    log::info(
        "api_key_created",
        json!({ "key_id": created.id, "user_id": user }),
    );
    let body = ApiKeyCreated {
        view: shown(&created),
        key: Some(key),
    };
    Ok(Reply::json(201, &body).header("location", format!("/api/v1/api-keys/{}", created.id)))
}

pub async fn revoke(c: &Ctx<'_>, id: &str) -> Result<Reply, ApiError> {
    let user = user_of(c)?;
    let db = d1::database(c.env)?;
    if (KeysDb { db: &db })
        .revoke(id, user, &crate::clock::now_iso())
        .await?
    {
        log::info("api_key_revoked", json!({ "key_id": id, "user_id": user }));
        Ok(Reply::no_content())
    } else {
        Err(ApiError::NotFound)
    }
}
