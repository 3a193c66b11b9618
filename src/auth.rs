//! Who is calling the API: the dashboard's server (service token, acting for the user named
//! in `X-Uload-User`, or for the service's own namespace without it), or a user's API key.

use std::cell::RefCell;

use serde_json::json;
use worker::{Context, Env, Request};

use crate::error::ApiError;
use crate::store::d1;
use crate::store::keys_db::KeysDb;
use crate::store::users_db::UsersDb;
use crate::{log, runtime};
use uload_core::cache::TtlCache;
use uload_core::secret::{self, sha256_hex};
use uload_core::token;

pub use uload_core::token::ACT_AS_HEADER;

#[derive(Debug, Clone)]
pub struct Principal {
    /// The owner of everything this request reads or writes (None: the service namespace).
    pub user_id: Option<String>,
    pub username: Option<String>,
    pub is_service: bool,
    /// The API key used, if any.
    pub key_id: Option<String>,
    /// The operator (ADMIN_TOKEN): backups, restores, reconcile; nothing else.
    pub is_admin: bool,
    /// An API key's scopes (None: not a key, so not limited by scopes).
    pub key_scopes: Option<Vec<uload_core::scope::KeyScope>>,
}

impl Principal {
    pub fn owner(&self) -> Option<&str> {
        self.user_id.as_deref()
    }

    /// The namespace of idempotency keys: per user, '' for the service itself.
    pub fn idempotency_owner(&self) -> &str {
        self.user_id.as_deref().unwrap_or("")
    }

    /// Who the API rate limit counts: the API key, or the user the dashboard acts for (the
    /// dashboard's server is one IP for all users, so per IP would throttle everyone at once).
    pub fn rate_key(&self) -> String {
        match (&self.key_id, &self.user_id) {
            (Some(k), _) => format!("key:{k}"),
            (None, Some(u)) => format!("user:{u}"),
            (None, None) => "service".into(),
        }
    }
}

pub async fn authenticate(req: &Request, env: &Env, ctx: &Context) -> Result<Principal, ApiError> {
    let header = req.headers().get("authorization").ok().flatten();
    let presented = token::bearer(header.as_deref()).ok_or(ApiError::Unauthorized)?;

    if secret::looks_like_api_key(presented) {
        return api_key(presented, env, ctx).await;
    }

    let act_as = req.headers().get(ACT_AS_HEADER).ok().flatten();
    // The operator's token: a secret of its own, so that a leaked dashboard token cannot
    // restore over the database. It acts for nobody.
    if let Some(admin) = runtime::secret(env, "ADMIN_TOKEN") {
        if token::secrets_match(presented.as_bytes(), admin.as_bytes()) {
            if act_as.is_some() {
                return Err(ApiError::InvalidHeader {
                    header: ACT_AS_HEADER,
                    detail: "the admin token acts for nobody: leave the header out",
                });
            }
            return Ok(Principal {
                user_id: None,
                username: None,
                is_service: false,
                key_id: None,
                is_admin: true,
                key_scopes: None,
            });
        }
    }
    let Some(expected) = runtime::secret(env, "SERVICE_TOKEN") else {
        log::error(
            "service_token_missing",
            json!({ "hint": "wrangler secret put SERVICE_TOKEN (32+ bytes)" }),
        );
        return Err(ApiError::Unauthorized);
    };
    if !token::secrets_match(presented.as_bytes(), expected.as_bytes()) {
        return Err(ApiError::Unauthorized);
    }
    // Absent: the service's own namespace. Present, it must name a user: an empty value
    // (a dashboard bug like `${user?.id ?? ''}`) must not turn into the service itself.
    let Some(user_id) = act_as else {
        return Ok(Principal {
            user_id: None,
            username: None,
            is_service: true,
            key_id: None,
            is_admin: false,
            key_scopes: None,
        });
    };
    let user_id = user_id.trim();
    if !uload_core::route::is_id(user_id) {
        return Err(ApiError::InvalidHeader {
            header: ACT_AS_HEADER,
            detail: "must be a user id; leave the header out to act as the service",
        });
    }
    let now = crate::clock::now_ms();
    let known = ACTING.with(|a| a.borrow().as_ref().and_then(|c| c.get(user_id, now)));
    let username = match known {
        Some(username) => username,
        None => {
            let db = d1::database(env)?;
            let Some(user) = (UsersDb { db: &db }).user(user_id).await? else {
                return Err(ApiError::validation(
                    ACT_AS_HEADER,
                    "no such user: create it with PUT /api/v1/users/{id}",
                ));
            };
            ACTING.with(|a| {
                a.borrow_mut()
                    .get_or_insert_with(|| TtlCache::new(ACTING_CAPACITY))
                    .insert(user_id, user.username.clone(), ACTING_KNOWN_MS, now)
            });
            user.username
        }
    };
    Ok(Principal {
        user_id: Some(user_id.to_string()),
        username: Some(username),
        is_service: true,
        key_id: None,
        is_admin: false,
        key_scopes: None,
    })
}

thread_local! {
    /// Users the dashboard acted for lately, with their usernames: a dashboard page makes
    /// several calls for one user in a second or two, and each read the user from D1 (one
    /// D1 round trip of every dashboard call, ~5% of a link creation's or a list's time).
    static ACTING: RefCell<Option<TtlCache<String>>> = const { RefCell::new(None) };
}

/// How long an isolate trusts that a user exists with a username. This isolate forgets a
/// user as soon as it writes one (`forget_user`); another isolate may act for a deleted
/// user that long: its reads find nothing (the user's data went with it) and its writes
/// are refused by the owner's foreign key (422, as an unknown user is); after a rename, a
/// `username/code` under the old name may be taken that long.
const ACTING_KNOWN_MS: u64 = 2_000;
const ACTING_CAPACITY: usize = 10_000;

/// A user was created, renamed or deleted: this isolate reads it again.
pub fn forget_user(user_id: &str) {
    ACTING.with(|a| {
        if let Some(c) = a.borrow_mut().as_mut() {
            c.remove(user_id);
        }
    });
}

/// API keys are looked up by their SHA-256: the secret itself is never stored, and an index
/// lookup by hash reveals nothing about other keys.
async fn api_key(presented: &str, env: &Env, ctx: &Context) -> Result<Principal, ApiError> {
    let db = d1::database(env)?;
    let owner = (KeysDb { db: &db })
        .find_by_hash(&sha256_hex(presented.as_bytes()))
        .await?;
    let Some(owner) = owner else {
        return Err(ApiError::Unauthorized);
    };
    if uload_core::scope::expired(owner.expires_at.as_deref(), &crate::clock::now_iso()) {
        return Err(ApiError::Unauthorized);
    }

    let minute_ago =
        uload_core::time::format(crate::clock::now_utc() - chrono::Duration::milliseconds(60_000));
    if owner
        .last_used_at
        .as_deref()
        .is_none_or(|t| t < minute_ago.as_str())
    {
        let (env, key_id) = (env.clone(), owner.key_id.clone());
        ctx.wait_until(async move {
            let result = match d1::database(&env) {
                Ok(db) => {
                    (KeysDb { db: &db })
                        .touch(&key_id, &crate::clock::now_iso(), &minute_ago)
                        .await
                }
                Err(e) => Err(e),
            };
            if let Err(e) = result {
                log::warn(
                    "api_key_touch_failed",
                    json!({ "key_id": key_id, "cause": e.to_string() }),
                );
            }
        });
    }
    Ok(Principal {
        user_id: Some(owner.user_id),
        username: Some(owner.username),
        is_service: false,
        key_id: Some(owner.key_id),
        is_admin: false,
        key_scopes: Some(uload_core::scope::parse_stored(&owner.scopes)),
    })
}
