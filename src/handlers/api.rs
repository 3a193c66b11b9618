//! The API's front door: authentication, request bodies, Idempotency-Key, then the
//! resource handlers. Errors leave as `ApiError`; `app` turns them into problem documents.

use serde_json::{json, Value};
use worker::{Context, Env, Request};

use super::limits::{self, Headers};
use super::request::{header, query_pairs, read_json};
use super::{abuse, admin, keys, links, stats, tags, users, workspaces, Ctx};
use crate::auth;
use crate::config::Config;
use crate::error::ApiError;
use crate::http::{Body, Reply};
use crate::log;
use crate::store::d1;
use crate::store::idempotency::{Claim, IdempotencyDb};
use uload_core::ratelimit::Scope;
use uload_core::route::Api;
use uload_core::secret;

pub const OPENAPI: &str = include_str!("../../openapi/openapi.json");
/// How long a response is kept for retries with the same Idempotency-Key.
pub const IDEMPOTENCY_WINDOW_MS: i64 = 24 * 3600 * 1000;

/// Answers an API request; also returns the rate-limit headers to send with the answer,
/// whatever it is.
pub async fn handle(
    api: Api<'_>,
    req: Request,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
) -> (Result<Reply, ApiError>, Headers) {
    if api == Api::OpenApi {
        return (
            Ok(Reply::raw(
                "application/json",
                OPENAPI.as_bytes().to_vec(),
                "public, max-age=300",
            )),
            Vec::new(),
        );
    }
    let ip = limits::client_ip(&req);
    // A client whose credentials kept failing is refused before they are looked up.
    let failing = limits::failure_key(&req);
    if let Err(e) = limits::check_shut_out(&failing) {
        return (Err(e), Vec::new());
    }
    let who = auth::authenticate(&req, env, ctx).await;
    if matches!(who, Err(ApiError::Unauthorized)) {
        if let Some(e) = limits::count_failure(env, cfg, &failing).await {
            return (Err(e), Vec::new());
        }
    }
    // The API scope: per API key, per user for the dashboard, per IP for unauthenticated
    // requests (so guessing tokens is limited too). Creating API keys fails closed.
    let client = match &who {
        Ok(p) => p.rate_key(),
        Err(_) => format!("ip:{ip}"),
    };
    let (admitted, mut headers) =
        limits::enforce(env, cfg, Scope::Api, &client, api == Api::CreateApiKey).await;
    if let Err(e) = admitted {
        return (Err(e), headers);
    }
    let who = match who {
        Ok(w) => w,
        Err(e) => return (Err(e), headers),
    };
    if let Some(held) = &who.key_scopes {
        let needs = api.key_needs();
        if !uload_core::scope::key_allows(held, needs) {
            let why = match needs {
                uload_core::scope::Needs::Scope(s) => format!("this API key lacks the scope {s}"),
                uload_core::scope::Needs::ServiceOnly => {
                    "API keys and users are managed by the dashboard (service token), not with an API key".into()
                }
            };
            return (Err(ApiError::Forbidden(why)), headers);
        }
    }
    if who.is_admin && !api.is_admin() {
        return (
            Err(ApiError::Forbidden(
                "the admin token is for /api/v1/admin/… only".into(),
            )),
            headers,
        );
    }
    if matches!(api, Api::CreateLink | Api::BulkCreate) {
        // Link creation: per user, or per IP in the service's own namespace.
        let creator = who
            .owner()
            .map_or_else(|| format!("ip:{ip}"), |u| format!("user:{u}"));
        let (admitted, create_headers) =
            limits::enforce(env, cfg, Scope::Create, &creator, false).await;
        if !create_headers.is_empty() {
            // The stricter scope's headers are the ones a client must respect here.
            headers = create_headers;
        }
        if let Err(e) = admitted {
            return (Err(e), headers);
        }
    }
    // Nothing may land in a database that waits for its restore (see `restore_mode`).
    if api.is_write() {
        if let Err(e) = crate::restore_mode::guard_write(env).await {
            return (Err(e), headers);
        }
    }
    (route(api, req, env, ctx, cfg, &who).await, headers)
}

async fn route(
    api: Api<'_>,
    mut req: Request,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
    who: &auth::Principal,
) -> Result<Reply, ApiError> {
    let c = Ctx { env, ctx, cfg, who };
    use Api::*;
    match api {
        ListLinks => links::list(&c, &query_pairs(&req)).await,
        GetLink(id) => links::get(&c, id).await,
        DeleteLink(id) => links::delete(&c, id).await,
        LinkQr(id) => links::qr(&c, id).await,
        LinkStats(id) => stats::stats(&c, id, &query_pairs(&req)).await,
        ListBackups => admin::list(&c).await,
        CreateBackup => admin::create(&c).await,
        Reconcile => admin::reconcile(&c, &query_pairs(&req)).await,
        RestoreBackup(id) => admin::restore(&c, id).await,
        LinkClicksCsv(id) => stats::export(&c, id, &query_pairs(&req)).await,
        ListTags => tags::list(&c).await,
        DeleteTag(id) => tags::delete(&c, id).await,
        ListApiKeys => keys::list(&c).await,
        RevokeApiKey(id) => keys::revoke(&c, id).await,
        UpdateLink(id) => {
            let (body, _) = read_json(&mut req, cfg.max_body_bytes).await?;
            links::update(&c, id, &body, header(&req, "if-match")).await
        }
        UpdateTag(id) => {
            let (body, _) = read_json(&mut req, cfg.max_body_bytes).await?;
            tags::update(&c, id, &body).await
        }
        PutUser(id) => {
            let (body, _) = read_json(&mut req, cfg.max_body_bytes).await?;
            users::put(&c, id, &body).await
        }
        DeleteUser(id) => users::delete(&c, id).await,
        GetRestoreMode => admin::restore_mode(&c).await,
        ListDenylist => abuse::list_denylist(&c).await,
        AddDenylist => {
            let (body, _) = read_json(&mut req, cfg.max_body_bytes).await?;
            abuse::add_denylist(&c, &body).await
        }
        RemoveDenylist => abuse::remove_denylist(&c, &query_pairs(&req)).await,
        BlockLink(id) => {
            let (body, _) = read_json(&mut req, cfg.max_body_bytes).await?;
            abuse::block(&c, id, Some(&body)).await
        }
        UnblockLink(id) => abuse::block(&c, id, None).await,
        AuditLog => abuse::audit_log(&c, &query_pairs(&req)).await,
        ReleaseLink(id) => abuse::release(&c, id).await,
        ListReports => abuse::reports(&c, &query_pairs(&req)).await,
        PutRestoreMode => {
            let (body, _) = read_json(&mut req, cfg.max_body_bytes).await?;
            admin::set_restore_mode(&c, &body).await
        }
        GetWorkspace(slug) => workspaces::get(&c, slug).await,
        DeleteWorkspace(slug) => workspaces::delete(&c, slug).await,
        PutWorkspace(slug) => {
            let (body, _) = read_json(&mut req, cfg.max_body_bytes).await?;
            workspaces::put(&c, slug, &body).await
        }
        // POSTs: a retried request with the same Idempotency-Key gets the first answer.
        CreateLink | BulkCreate | BulkDelete | BulkUpdate | BulkTag | CreateTag | MergeTag(_)
        | CreateApiKey => {
            let (body, raw) = read_json(&mut req, cfg.max_body_bytes).await?;
            let key = header(&req, "idempotency-key");
            let run = || async {
                match api {
                    CreateLink => links::create(&c, &body).await,
                    BulkCreate => links::bulk_create(&c, &body).await,
                    BulkDelete => links::bulk_delete(&c, &body).await,
                    BulkUpdate => links::bulk_update(&c, &body).await,
                    BulkTag => links::bulk_tag(&c, &body).await,
                    CreateTag => tags::create(&c, &body).await,
                    MergeTag(id) => tags::merge(&c, id, &body).await,
                    _ => keys::create(&c, &body).await,
                }
            };
            match key {
                None => run().await,
                Some(key) => {
                    idempotent(&c, &key, &req.path(), &raw, api == CreateApiKey, run).await
                }
            }
        }
        OpenApi => unreachable!("answered above"),
    }
}

async fn idempotent<F, Fut>(
    c: &Ctx<'_>,
    key: &str,
    path: &str,
    raw: &[u8],
    holds_secret: bool,
    run: F,
) -> Result<Reply, ApiError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = Result<Reply, ApiError>>,
{
    if !secret::valid_idempotency_key(key) {
        return Err(ApiError::validation(
            "Idempotency-Key",
            "must be 1 to 255 printable ASCII characters",
        ));
    }
    let db = d1::database(c.env)?;
    let store = IdempotencyDb { db: &db };
    let owner = c.who.idempotency_owner();
    let now = crate::clock::now_ms() as i64;
    let fmt = |ms: i64| {
        uload_core::time::format(chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default())
    };
    let fingerprint = secret::fingerprint("POST", path, raw);
    match store
        .claim(
            owner,
            key,
            &fingerprint,
            &fmt(now),
            &fmt(now - IDEMPOTENCY_WINDOW_MS),
        )
        .await?
    {
        Claim::Fresh => {}
        Claim::Replay { status, body } => return Ok(replay(status, &body)),
        Claim::Mismatch => return Err(ApiError::IdempotencyKeyReused),
        Claim::InFlight => return Err(ApiError::IdempotencyInFlight),
    }
    let result = run().await;
    // Only successes are kept: a failed request changed nothing, so running it again on
    // retry is safe and gives the retry a chance to succeed.
    let stored = match &result {
        Ok(reply) => {
            let mut body = match &reply.body {
                Body::Json(v) => v.clone(),
                _ => Value::Null,
            };
            // A secret is shown once: the kept answer says the key was made, without it
            // (D1, its backups and Time Travel never hold a plaintext key).
            if holds_secret {
                if let Some(o) = body.as_object_mut() {
                    o.insert("key".into(), Value::Null);
                }
            }
            let saved = json!({
                "body": body,
                "headers": reply.headers.iter().map(|(k, v)| vec![k.to_string(), v.clone()]).collect::<Vec<_>>(),
            });
            store
                .complete(owner, key, reply.status, &saved.to_string())
                .await
        }
        Err(_) => store.release(owner, key).await,
    };
    if let Err(e) = stored {
        log::warn(
            "idempotency_store_failed",
            json!({ "cause": e.to_string() }),
        );
    }
    result
}

fn replay(status: u16, saved: &str) -> Reply {
    let saved: Value = serde_json::from_str(saved).unwrap_or(Value::Null);
    let mut reply = Reply::json(status, &saved["body"]);
    reply.headers.clear();
    // Header names are `&'static str` in a Reply: replay the ones handlers set, by name.
    const REPLAYED: [&str; 3] = ["etag", "location", "cache-control"];
    for pair in saved["headers"].as_array().into_iter().flatten() {
        if let (Some(k), Some(v)) = (pair[0].as_str(), pair[1].as_str()) {
            if let Some(name) = REPLAYED.iter().find(|n| **n == k) {
                reply.headers.push((name, v.to_string()));
            }
        }
    }
    reply.header("idempotency-replayed", "true")
}
