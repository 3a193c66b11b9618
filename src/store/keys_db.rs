//! API keys in D1 (and the shape of a user, shared with `users_db`).

use serde::Deserialize;
use worker::D1Database;

use super::d1::{self};
use super::StoreError;

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ApiKey {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
    /// Space-separated scope names (see `uload_core::scope`).
    pub scopes: String,
    pub expires_at: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct KeyOwner {
    pub key_id: String,
    pub user_id: String,
    pub username: String,
    pub last_used_at: Option<String>,
    pub scopes: String,
    pub expires_at: Option<String>,
}

const KEY_SELECT: &str =
    "SELECT id, name, prefix, created_at, last_used_at, revoked_at, scopes, expires_at FROM api_keys";

pub struct KeysDb<'a> {
    pub db: &'a D1Database,
}

impl KeysDb<'_> {
    /// The active key with this hash and its user, if any.
    pub async fn find_by_hash(&self, hash: &str) -> Result<Option<KeyOwner>, StoreError> {
        d1::first(
            self.db,
            "SELECT k.id AS key_id, k.user_id, u.username, k.last_used_at, k.scopes, k.expires_at FROM api_keys k \
             JOIN users u ON u.id = k.user_id WHERE k.key_hash = ?1 AND k.revoked_at IS NULL",
            &[hash.into()],
        )
        .await
    }

    /// Records use at most once a minute per key, so a busy key does not write on every call.
    pub async fn touch(&self, key_id: &str, now: &str, not_since: &str) -> Result<(), StoreError> {
        d1::run(
            self.db,
            "UPDATE api_keys SET last_used_at = ?2 WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?3)",
            &[key_id.into(), now.into(), not_since.into()],
        )
        .await
        .map(|_| ())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn create(
        &self,
        id: &str,
        user_id: &str,
        name: &str,
        hash: &str,
        prefix: &str,
        scopes: &str,
        expires_at: Option<&str>,
        now: &str,
    ) -> Result<ApiKey, StoreError> {
        d1::run(
            self.db,
            "INSERT INTO api_keys (id, user_id, name, key_hash, prefix, scopes, expires_at, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            &[id.into(), user_id.into(), name.into(), hash.into(), prefix.into(), scopes.into(), expires_at.into(), now.into()],
        )
        .await?;
        d1::first(
            self.db,
            &format!("{KEY_SELECT} WHERE id = ?1"),
            &[id.into()],
        )
        .await?
        .ok_or_else(|| StoreError::Corrupt("api key vanished after insert".into()))
    }

    pub async fn list(&self, user_id: &str) -> Result<Vec<ApiKey>, StoreError> {
        d1::all(
            self.db,
            &format!("{KEY_SELECT} WHERE user_id = ?1 ORDER BY created_at DESC, id DESC"),
            &[user_id.into()],
        )
        .await
    }

    /// `false` when there is no such active key of this user.
    pub async fn revoke(&self, id: &str, user_id: &str, now: &str) -> Result<bool, StoreError> {
        let n = d1::run(
            self.db,
            "UPDATE api_keys SET revoked_at = ?3 WHERE id = ?1 AND user_id = ?2 AND revoked_at IS NULL",
            &[id.into(), user_id.into(), now.into()],
        )
        .await?;
        Ok(n > 0)
    }
}
