//! uload-edge: uLoad's short-link redirects and link API as a Cloudflare Worker.
//!
//! `domain` is pure (no `worker` types) and unit-tested natively; `store` adapts the
//! bindings; `handlers` and `app` are the HTTP layer.

pub mod config;
pub mod domain;
pub mod error;

mod app;
mod auth;
pub mod clicks;
pub mod crypto;
mod handlers;
mod http;
pub mod limiter;
mod log;
mod objects;
pub mod runtime;
mod store;

use worker::{event, Context, Env, Request, Response, Result, ScheduleContext, ScheduledEvent};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    console_error_panic_hook::set_once();
    Ok(app::handle(req, env, ctx).await)
}

/// Cron (wrangler.toml `[triggers]`): the KV reconcile job.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    console_error_panic_hook::set_once();
    let cfg = runtime::config(&env);
    match handlers::publish::reconcile(&env, cfg.kv_cache_ttl_s).await {
        Ok((fixed, failed)) => log::info(
            "kv_reconciled",
            serde_json::json!({ "fixed": fixed, "failed": failed }),
        ),
        Err(e) => log::error(
            "kv_reconcile_failed",
            serde_json::json!({ "cause": e.to_string() }),
        ),
    }
}
