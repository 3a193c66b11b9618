//! uload-edge: uLoad's short-link redirects and link API as a Cloudflare Worker.
//!
//! `domain` is pure (no `worker` types) and unit-tested natively; `store` adapts the
//! bindings; `handlers` and `app` are the HTTP layer.

pub mod config;
pub mod domain;
pub mod error;

mod app;
mod auth;
pub mod crypto;
mod handlers;
mod http;
pub mod limiter;
mod log;
pub mod runtime;
mod store;

use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    console_error_panic_hook::set_once();
    Ok(app::handle(req, env, ctx).await)
}
