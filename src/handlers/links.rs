//! The link management API (/api/v1/links). D1 first, then KV; D1 is the truth.

use serde::Serialize;
use serde_json::{json, Value};
use worker::{Context, Env, Request, Response};

use crate::config::Config;
use crate::domain::link::{self, Link, RedirectRecord};
use crate::domain::token;
use crate::error::ApiError;
use crate::runtime::{self, memory};
use crate::store::kv::RedirectKv;
use crate::store::links_db::{Insert, LinksDb};
use crate::{http, log};

/// How often a random code is redrawn after a collision before giving up. With 55^7
/// codes a second draw is already rare; five makes failure practically impossible.
const RANDOM_CODE_ATTEMPTS: usize = 5;

#[derive(Serialize)]
struct LinkView<'a> {
    #[serde(flatten)]
    link: &'a Link,
    short_url: String,
}

pub async fn create(
    mut req: Request,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
) -> Result<Response, ApiError> {
    authenticate(&req, env)?;
    let body = read_json(&mut req, cfg.max_body_bytes).await?;
    let new = link::parse_new_link(&body).map_err(ApiError::Validation)?;

    let db = LinksDb::from_env(env)?;
    let id = runtime::random_id();
    let now = runtime::now_iso();
    let created = match &new.code {
        Some(code) => match db.insert(&id, code, &new.url, &now).await? {
            Insert::Created(l) => l,
            Insert::CodeTaken => return Err(ApiError::CodeTaken(code.clone())),
        },
        None => insert_with_random_code(&db, &id, &new.url, &now).await?,
    };

    publish(env, ctx, cfg, &created.code, created.redirect_record()).await;
    log::info("link_created", json!({ "link_id": created.id, "code": created.code }));

    let view = LinkView { link: &created, short_url: format!("{}/{}", cfg.short_base_url, created.code) };
    let location = format!("/api/v1/links/{}", created.id);
    Ok(http::json(201, &view, &[("location", &location), ("cache-control", "no-store")]))
}

async fn insert_with_random_code(
    db: &LinksDb,
    id: &str,
    url: &str,
    now: &str,
) -> Result<Link, ApiError> {
    for _ in 0..RANDOM_CODE_ATTEMPTS {
        if let Insert::Created(l) = db.insert(id, &runtime::random_code(), url, now).await? {
            return Ok(l);
        }
    }
    Err(ApiError::Internal("no free random code after several attempts".into()))
}

/// Makes a written link visible to the redirect path: KV record, and this isolate's memory
/// (dropping a cached "not found"). A failed KV write does not fail the request: D1 has the
/// link and the redirect path falls back to it, then writes KV itself. One retry runs
/// after the response.
async fn publish(env: &Env, ctx: &Context, cfg: &Config, code: &str, record: RedirectRecord) {
    memory::forget(cfg, code);
    let first = match RedirectKv::from_env(env, cfg.kv_cache_ttl_s) {
        Ok(kv) => kv.put(code, &record).await,
        Err(e) => Err(e),
    };
    if let Err(e) = first {
        log::warn("kv_publish_failed", json!({ "code": code, "cause": e.to_string(), "retry": true }));
        let (env, code, ttl) = (env.clone(), code.to_string(), cfg.kv_cache_ttl_s);
        ctx.wait_until(async move {
            let retry = match RedirectKv::from_env(&env, ttl) {
                Ok(kv) => kv.put(&code, &record).await,
                Err(e) => Err(e),
            };
            if let Err(e) = retry {
                log::error("kv_publish_retry_failed", json!({ "code": code, "cause": e.to_string() }));
            }
        });
    }
}

/// The dashboard's server authenticates with the service token (a wrangler secret).
fn authenticate(req: &Request, env: &Env) -> Result<(), ApiError> {
    let header = req.headers().get("authorization").ok().flatten();
    let presented = token::bearer(header.as_deref()).ok_or(ApiError::Unauthorized)?;
    let Ok(expected) = env.secret("SERVICE_TOKEN").map(|s| s.to_string()) else {
        log::error("service_token_missing", json!({ "hint": "wrangler secret put SERVICE_TOKEN" }));
        return Err(ApiError::Unauthorized);
    };
    if expected.is_empty() || !token::constant_time_eq(presented.as_bytes(), expected.as_bytes()) {
        return Err(ApiError::Unauthorized);
    }
    Ok(())
}

/// Reads a JSON body: content type first, then size (declared, then actual), then syntax.
async fn read_json(req: &mut Request, max: usize) -> Result<Value, ApiError> {
    let content_type = req.headers().get("content-type").ok().flatten().unwrap_or_default();
    let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if media != "application/json" {
        return Err(ApiError::UnsupportedMediaType);
    }
    let declared = req.headers().get("content-length").ok().flatten();
    if declared.and_then(|v| v.trim().parse::<usize>().ok()).is_some_and(|n| n > max) {
        return Err(ApiError::PayloadTooLarge { max });
    }
    let bytes = req.bytes().await.map_err(|e| ApiError::InvalidJson(e.to_string()))?;
    if bytes.len() > max {
        return Err(ApiError::PayloadTooLarge { max });
    }
    serde_json::from_slice(&bytes).map_err(|e| ApiError::InvalidJson(e.to_string()))
}
