//! The redirect path, top to bottom: memory → KV → D1 → decision → response.
//! A hot redirect touches only the isolate's memory; nothing on this path waits for a
//! write (write-backs run after the response, in `wait_until`).

use serde_json::json;
use worker::{Context, Env, Request, Response};

use crate::config::Config;
use crate::domain::link::RedirectRecord;
use crate::domain::problem::Problem;
use crate::domain::redirect::{self, Decision, CACHE_CONTROL};
use crate::runtime::memory;
use crate::store::kv::RedirectKv;
use crate::store::links_db::LinksDb;
use crate::store::StoreError;
use crate::{http, log};

/// The lookup layers, named as `x-served-from` reports them.
#[derive(Clone, Copy)]
enum Layer {
    Memory,
    Kv,
    D1,
}

impl Layer {
    fn name(self) -> &'static str {
        match self {
            Layer::Memory => "memory",
            Layer::Kv => "kv",
            Layer::D1 => "d1",
        }
    }
}

pub async fn serve(req: &Request, code: &str, env: &Env, ctx: &Context, cfg: &Config) -> Response {
    // Only the error pages read Accept: a hit pays for no header it does not need.
    let accept = || req.headers().get("accept").ok().flatten();
    match lookup(code, env, ctx, cfg).await {
        Ok((Some(record), layer)) => match redirect::decide(&record, crate::runtime::now_ms()) {
            Decision::Redirect { status, location } => redirect_response(status, &location, layer),
            Decision::Gone => gone(code, layer, accept().as_deref()),
        },
        Ok((None, layer)) => not_found(code, layer, accept().as_deref()),
        Err(e) => {
            log::error("lookup_failed", json!({ "code": code, "cause": e.to_string() }));
            unavailable(accept().as_deref())
        }
    }
}

async fn lookup(
    code: &str,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
) -> Result<(Option<RedirectRecord>, Layer), StoreError> {
    // 1. The isolate's memory, including "known absent" entries.
    if let Some(hit) = memory::get(cfg, code) {
        return Ok((hit, Layer::Memory));
    }

    // 2. KV. A failing KV is not fatal: D1 still knows every link.
    match RedirectKv::from_env(env, cfg.kv_cache_ttl_s) {
        Ok(kv) => match kv.get(code).await {
            Ok(Some(record)) => {
                memory::put(cfg, code, Some(record.clone()));
                return Ok((Some(record), Layer::Kv));
            }
            Ok(None) => {}
            Err(e) => log::warn("kv_read_failed", json!({ "code": code, "cause": e.to_string() })),
        },
        Err(e) => log::error("kv_binding_missing", json!({ "cause": e.to_string() })),
    }

    // 3. D1, the source of truth; found records are written back to KV after the response.
    let found = LinksDb::from_env(env)?.find_redirect(code).await?;
    memory::put(cfg, code, found.clone());
    if let Some(record) = &found {
        write_back(env.clone(), ctx, code, record.clone(), cfg.kv_cache_ttl_s);
    }
    Ok((found, Layer::D1))
}

fn write_back(env: Env, ctx: &Context, code: &str, record: RedirectRecord, cache_ttl_s: u64) {
    let code = code.to_string();
    ctx.wait_until(async move {
        let result = match RedirectKv::from_env(&env, cache_ttl_s) {
            Ok(kv) => kv.put(&code, &record).await,
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            log::warn("kv_write_back_failed", json!({ "code": code, "cause": e.to_string() }));
        }
    });
}

/// The hot path's response: three headers, no body.
fn redirect_response(status: u16, location: &str, layer: Layer) -> Response {
    http::empty(
        status,
        &[("location", location), ("cache-control", CACHE_CONTROL), (http::SERVED_FROM, layer.name())],
    )
}

fn gone(code: &str, layer: Layer, accept: Option<&str>) -> Response {
    let headers = [("cache-control", CACHE_CONTROL), (http::SERVED_FROM, layer.name())];
    if http::wants_json(accept) {
        let p = Problem::new(410, "link_gone", "Link no longer available")
            .with_detail(format!("the link '{code}' was deactivated or has expired"));
        return http::json_problem(&p, &headers);
    }
    let page = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
        <meta name=\"viewport\" content=\"width=device-width\"><title>Link no longer available</title>\
        <h1>Link no longer available</h1><p>This short link was deactivated or has expired.</p></html>";
    http::respond(410, "text/html; charset=utf-8", page.into(), &headers)
}

fn not_found(code: &str, layer: Layer, accept: Option<&str>) -> Response {
    let headers = [("cache-control", CACHE_CONTROL), (http::SERVED_FROM, layer.name())];
    if http::wants_json(accept) {
        let p = Problem::new(404, "link_not_found", "Link not found")
            .with_detail(format!("no link has the code '{code}'"));
        return http::json_problem(&p, &headers);
    }
    let page = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
        <meta name=\"viewport\" content=\"width=device-width\"><title>Link not found</title>\
        <h1>Link not found</h1><p>This short link does not exist.</p></html>";
    http::respond(404, "text/html; charset=utf-8", page.into(), &headers)
}

fn unavailable(accept: Option<&str>) -> Response {
    let headers = [("cache-control", "no-store"), ("retry-after", "30"), (http::SERVED_FROM, "none")];
    if http::wants_json(accept) {
        let p = Problem::new(503, "unavailable", "Temporarily unavailable").with_retry_after(30);
        return http::json_problem(&p, &headers);
    }
    let page = "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\">\
        <title>Temporarily unavailable</title><h1>Temporarily unavailable</h1>\
        <p>Please try again in a moment.</p></html>";
    http::respond(503, "text/html; charset=utf-8", page.into(), &headers)
}
