//! The API's front door: authentication, request bodies, Idempotency-Key, then the
//! resource handlers. Errors leave as `ApiError`; `app` turns them into problem documents.

use serde_json::{json, Value};
use worker::{Context, Env, Request};

use super::limits::{self, Headers};
use super::request::{header, query_pairs, read_json};
use super::{abuse, admin, bulk, keys, links, qr, stats, tags, users, webhooks, workspaces, Ctx};
use crate::auth;
use crate::config::Config;
use crate::error::ApiError;
use crate::http::{Body, Reply};
use crate::log;
use crate::store::d1;
use crate::store::idempotency::{Claim, IdempotencyDb};
use uload_core::operation::{Api, Body as Takes};
use uload_core::ratelimit::Scope;
use uload_core::secret;

/// openapi/openapi.json without its indentation (build.rs).
pub const OPENAPI: &str = include_str!(concat!(env!("OUT_DIR"), "/openapi.json"));

/// Answers an API request; also returns the rate-limit headers to send with the answer,
/// whatever it is.
/// Whom the dashboard's call counts against: the user it acts for; for the user routes
/// without `X-Uload-User` (sign-ups and profile syncs), the user they name, so a burst of
/// sign-ups does not share one bucket.
fn dashboard_client(who: &auth::Principal, api: &Api<'_>) -> String {
    match (who.user_id.is_none(), api) {
        (true, Api::PutUser(id) | Api::PatchUser(id) | Api::GetUser(id) | Api::DeleteUser(id)) => {
            format!("sync:{id}")
        }
        _ => who.rate_key(),
    }
}

pub async fn handle(
    api: Api<'_>,
    req: Request,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
) -> (Result<Reply, ApiError>, Headers) {
    if api == Api::OpenApi {
        return (Ok(openapi()), Vec::new());
    }
    let ip = crate::http::client_ip(&req);
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
    let (client, policy) = match &who {
        Ok(p) if p.key_id.is_none() && !p.is_admin => {
            (dashboard_client(p, &api), cfg.rate_dashboard)
        }
        Ok(p) => (p.rate_key(), cfg.rate_api),
        Err(_) => (format!("ip:{ip}"), cfg.rate_api),
    };
    let creates = matches!(api, Api::CreateLink | Api::BulkCreate);
    // Link creation: per user, or per IP in the service's own namespace.
    let creator = who.as_ref().ok().filter(|_| creates).map(|p| {
        p.owner()
            .map_or_else(|| format!("ip:{ip}"), |u| format!("user:{u}"))
    });
    // The dashboard creating for a user is limited per user in both scopes: one call to the
    // user's API limiter decides both (its creation log lives there too), instead of two.
    let chained = creates && creator.as_deref() == Some(client.as_str());
    let fail_closed = api == Api::CreateApiKey;
    let (admitted, mut headers) = if chained {
        let then = (Scope::Create, cfg.rate_policy(Scope::Create));
        limits::enforce_chain(env, &client, (Scope::Api, policy), then).await
    } else {
        limits::enforce_policy(env, Scope::Api, &client, policy, fail_closed).await
    };
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
    // A creation not decided by the chain above (`creator` is only set for creations).
    if let Some(creator) = creator.as_ref().filter(|_| !chained) {
        let (admitted, create_headers) =
            limits::enforce(env, cfg, Scope::Create, creator, false).await;
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

/// One dispatch: the body is read once if the operation takes one (`Api::rules`), a POST
/// with an `Idempotency-Key` goes through `idempotent`, and every operation is named once.
async fn route(
    api: Api<'_>,
    mut req: Request,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
    who: &auth::Principal,
) -> Result<Reply, ApiError> {
    let c = Ctx { env, ctx, cfg, who };
    let takes = api.rules().body;
    let (body, raw) = match takes {
        Takes::None => (Value::Null, Vec::new()),
        Takes::Json | Takes::Idempotent => read_json(&mut req, cfg.max_body_bytes).await?,
    };
    let query = query_pairs(&req);
    let run = || async {
        use Api::*;
        match api {
            OpenApi => Ok(openapi()),
            ListLinks => links::list(&c, &query).await,
            CreateLink => links::create(&c, &body).await,
            CodeAvailability => links::availability(&c, &query).await,
            GetLink(id) => links::get(&c, id, header(&req, "if-none-match")).await,
            UpdateLink(id) => links::update(&c, id, &body, header(&req, "if-match")).await,
            DeleteLink(id) => links::delete(&c, id, header(&req, "if-match")).await,
            LinkQr(id) => qr::get(&c, id, &query).await,
            BulkCreate => bulk::create(&c, &body).await,
            BulkDelete => bulk::delete(&c, &body).await,
            BulkUpdate => bulk::update(&c, &body).await,
            BulkTag => bulk::tag(&c, &body).await,
            LinkStats(id) => stats::stats(&c, id, &query).await,
            LinkClicksCsv(id) => stats::export(&c, id, &query).await,
            ListTags => tags::list(&c).await,
            CreateTag => tags::create(&c, &body).await,
            UpdateTag(id) => tags::update(&c, id, &body).await,
            DeleteTag(id) => tags::delete(&c, id).await,
            MergeTag(id) => tags::merge(&c, id, &body).await,
            ListApiKeys => keys::list(&c).await,
            CreateApiKey => keys::create(&c, &body).await,
            RevokeApiKey(id) => keys::revoke(&c, id).await,
            GetUser(id) => users::get(&c, id).await,
            PutUser(id) => users::put(&c, id, &body).await,
            PatchUser(id) => users::patch(&c, id, &body).await,
            DeleteUser(id) => users::delete(&c, id).await,
            GetWorkspace(slug) => workspaces::get(&c, slug).await,
            PutWorkspace(slug) => workspaces::put(&c, slug, &body).await,
            DeleteWorkspace(slug) => workspaces::delete(&c, slug).await,
            ListBackups => admin::list(&c).await,
            CreateBackup => admin::create(&c).await,
            Reconcile => admin::reconcile(&c, &query).await,
            RestoreBackup(id) => admin::restore(&c, id).await,
            GetRestoreMode => admin::restore_mode(&c).await,
            PutRestoreMode => admin::set_restore_mode(&c, &body).await,
            ListDenylist => abuse::list_denylist(&c).await,
            ListWebhooks => webhooks::list(&c).await,
            CreateWebhook => webhooks::create(&c, &body).await,
            GetWebhook(id) => webhooks::get(&c, id).await,
            UpdateWebhook(id) => webhooks::update(&c, id, &body).await,
            DeleteWebhook(id) => webhooks::delete(&c, id).await,
            RotateWebhookSecret(id) => webhooks::rotate(&c, id).await,
            TestWebhook(id) => webhooks::test(&c, id).await,
            WebhookDeliveries(id) => webhooks::deliveries(&c, id).await,
            AddDenylist => abuse::add_denylist(&c, &body).await,
            RemoveDenylist => abuse::remove_denylist(&c, &query).await,
            BlockLink(id) => abuse::block(&c, id, Some(&body)).await,
            UnblockLink(id) => abuse::block(&c, id, None).await,
            ReleaseLink(id) => abuse::release(&c, id).await,
            ListReports => abuse::reports(&c, &query).await,
            AuditLog => abuse::audit_log(&c, &query).await,
        }
    };
    // A retried POST with the same Idempotency-Key gets the first answer.
    match header(&req, "idempotency-key") {
        Some(key) if takes == Takes::Idempotent => {
            let holds_secret = api == Api::CreateApiKey;
            idempotent(&c, &key, &req.path(), &raw, holds_secret, run).await
        }
        _ => run().await,
    }
}

/// The OpenAPI document, answered before authentication (it is public).
fn openapi() -> Reply {
    Reply::raw(
        "application/json",
        OPENAPI.as_bytes().to_vec(),
        "public, max-age=300",
    )
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
    let now = crate::clock::now_utc();
    let window = chrono::Duration::milliseconds(crate::store::idempotency::WINDOW_MS);
    let fingerprint = secret::fingerprint("POST", path, raw);
    match store
        .claim(
            owner,
            key,
            &fingerprint,
            &uload_core::time::format(now),
            &uload_core::time::format(now - window),
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
