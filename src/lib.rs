//! uload-edge: uLoad's short-link redirects and link API as a Cloudflare Worker.
//!
//! The rules live in the `uload-core` crate (crates/core: no `worker` types, unit-tested
//! natively); `store` adapts the bindings; `handlers` and `app` are the HTTP layer.

// The visitor's worker (`--no-default-features`) compiles the whole crate but reaches only
// the visitor's path: what it leaves unused is dropped by the linker, not by hand.
#![cfg_attr(not(feature = "api"), allow(dead_code, unused_imports))]

pub mod config;
pub mod error;

pub mod analytics;
mod app;
mod auth;
mod backup;
pub mod click_counter;
pub mod clock;
mod compression;
pub mod crypto;
mod flusher;
mod handlers;
mod http;
mod js_strings;
pub mod limiter;
mod log;
pub mod metrics;
mod objects;
mod restore_mode;
pub mod runtime;
pub mod salts;
mod services;
mod store;

use worker::{event, Context, Env, Request, Response, Result};
#[cfg(feature = "api")]
use worker::{MessageBatch, ScheduleContext, ScheduledEvent};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    console_error_panic_hook::set_once();
    js_strings::intern_common();
    Ok(app::handle(req, env, ctx).await)
}

#[cfg(feature = "api")]
/// Cron (wrangler.toml `[triggers]`): see `services::jobs`.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    console_error_panic_hook::set_once();
    services::jobs::run(&event.cron(), &env).await;
}

#[cfg(feature = "api")]
/// Queue consumers (wrangler.toml `[[queues.consumers]]`): click events into D1, and
/// webhook deliveries.
#[event(queue)]
async fn queue(batch: MessageBatch<serde_json::Value>, env: Env, _ctx: Context) -> Result<()> {
    console_error_panic_hook::set_once();
    // Failures are handled inside (the batch is retried); an `Err` here would panic.
    if batch.queue().starts_with(services::webhooks::QUEUE_PREFIX) {
        let cfg = runtime::config(&env);
        services::webhooks::consume(batch, &env, &cfg).await;
    } else {
        analytics::consume(batch, &env).await;
    }
    Ok(())
}
