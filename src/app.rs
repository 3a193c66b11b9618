//! The request path in one place: route → handler → response. Every error of a handler
//! becomes a problem document here, so no handler formats errors itself.

use worker::{Context, Env, Request, Response};

use crate::config::Config;
use crate::error::ApiError;
use crate::handlers::origin as proxy;
use crate::handlers::{api, health, inspect, limits, password, ready, redirect, report};
use crate::{http, metrics, runtime};
use uload_core::origin::{hand_off, Miss};
use uload_core::route::{route, Route, RouteError};
use uload_core::{code, cors};

pub async fn handle(req: Request, env: Env, ctx: Context) -> Response {
    let started = crate::clock::now_ms();
    // The method as sent: workers-rs maps methods it does not know (QUERY, PROPFIND, …) to
    // GET, which would answer them like a GET.
    let method = req.inner().method();
    let (kind, mut response) = respond(req, &method, &env, &ctx).await;
    if kind == FORWARDED {
        // The whole worker's answer, headers and all (they cannot be changed anyway).
        metrics::flush_soon(&env, &ctx);
        return response;
    }
    // Every response says which layer answered; whatever the worker answered itself (API,
    // health, errors) is "worker". The redirect and origin paths set their own.
    let served_from = match response.headers().get(http::SERVED_FROM) {
        Ok(Some(layer)) => layer,
        _ => {
            let _ = response.headers_mut().set(http::SERVED_FROM, "worker");
            "worker".to_string()
        }
    };
    count(&method, kind, response.status_code(), &served_from, started);
    metrics::flush_soon(&env, &ctx);
    response
}

/// The kind of a request the visitor's worker handed to the whole worker (counted there).
const FORWARDED: &str = "forwarded";

/// Counts the request in this isolate's metrics (no I/O).
fn count(method: &str, kind: &'static str, status: u16, served_from: &str, started: u64) {
    let method = match method {
        "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
        _ => "OTHER",
    };
    let seconds = crate::clock::now_ms().saturating_sub(started) as f64 / 1000.0;
    metrics::record(|m| {
        let status_text = status.to_string();
        m.inc(
            "http_requests_total",
            &[
                ("method", method),
                ("route", kind),
                ("status", &status_text),
            ],
            1,
        );
        m.observe("http_request_duration_seconds", &[("route", kind)], seconds);
        // Answered by the origin or one of its fallbacks, not by a link lookup.
        let from_origin = matches!(served_from, "origin" | "stale" | "maintenance" | "edge");
        if from_origin {
            m.inc("origin_requests_total", &[("outcome", served_from)], 1);
        } else if kind == "redirect" {
            let outcome = match status {
                300..=399 => "redirect",
                // A social previewer shown the link's card.
                200 => "preview",
                204 => "head_limited",
                401 => "password_required",
                404 => "not_found",
                410 => "gone",
                429 => "rate_limited",
                _ => "unavailable",
            };
            m.inc(
                "link_redirects_total",
                &[("outcome", outcome), ("served_from", served_from)],
                1,
            );
        }
    });
}

async fn respond(req: Request, method: &str, env: &Env, ctx: &Context) -> (&'static str, Response) {
    let cfg = runtime::config(env);
    let path = req.path();
    // Pages of the app skip the link lookup altogether.
    if let Some(fallback) = hand_off(
        Miss::Path(&path),
        cfg.origin_url.is_some(),
        &cfg.origin_prefixes,
    ) {
        return ("origin", proxy::proxy(req, env, ctx, &cfg, fallback).await);
    }
    let routed = route(method, &path);
    #[cfg(not(feature = "api"))]
    if let Ok(r) = &routed {
        if r.whole_worker_only() {
            // A scrape sums what every isolate handed over: this one's counts first, as
            // the whole worker does with its own. Only for a request with credentials (the
            // whole worker checks them), and at most once a second: a stranger's requests
            // cannot turn into calls to the aggregator.
            let scrape = matches!(r, Route::Metrics);
            if scrape && req.headers().has("authorization").unwrap_or(false) {
                metrics::flush_if_due(env, 1_000).await;
            }
            return (
                FORWARDED,
                crate::handlers::whole_worker::forward(req, env).await,
            );
        }
    }
    let kind = routed.as_ref().map_or("other", |r| r.kind());
    (kind, dispatch(routed, req, env, ctx, &cfg).await)
}

async fn dispatch(
    routed: Result<Route<'_>, RouteError>,
    req: Request,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
) -> Response {
    let has_origin = cfg.origin_url.is_some();
    let miss = match &routed {
        // A reserved word cannot be a link: it is one of the app's own pages.
        Ok(
            Route::Redirect { code }
            | Route::Unlock { code }
            | Route::Inspect {
                code,
                workspace: None,
            },
        ) if code::is_reserved(code) => Some(Miss::ReservedWord),
        Ok(Route::NotFound) => Some(Miss::NoRoute),
        _ => None,
    };
    if let Some(fallback) = miss.and_then(|m| hand_off(m, has_origin, &cfg.origin_prefixes)) {
        return proxy::proxy(req, env, ctx, cfg, fallback).await;
    }
    match routed {
        Ok(Route::Redirect { code }) => redirect::serve(req, code, None, env, ctx, cfg).await,
        Ok(Route::WorkspaceRedirect { workspace, code }) => {
            redirect::serve(req, code, Some(workspace), env, ctx, cfg).await
        }
        Ok(Route::Unlock { code }) => password::unlock(req, code, env, ctx, cfg).await,
        Ok(Route::Inspect { code, workspace }) => {
            inspect::serve(req, code, workspace, env, ctx, cfg).await
        }
        Ok(Route::Health) => health::live(),
        #[cfg(feature = "api")]
        Ok(Route::AbuseReport) => report::serve(req, env, ctx, cfg).await,
        Ok(Route::SecurityTxt) => report::security_txt(cfg),
        #[cfg(feature = "api")]
        Ok(Route::Metrics) => scrape(&req, env, cfg).await,
        #[cfg(feature = "api")]
        Ok(Route::Ready) => ready::ready(&req, env, cfg).await,
        #[cfg(feature = "api")]
        Ok(Route::Api(endpoint)) => {
            let origin = req.headers().get("origin").ok().flatten();
            let (writes, link_writes) = (endpoint.is_write(), endpoint.link_writes_only());
            let (result, limit_headers) = api::handle(endpoint, req, env, ctx, cfg).await;
            // A write may have raised webhook events (the link triggers): out they go,
            // after the response.
            if writes && result.is_ok() {
                crate::services::webhooks::after_write(link_writes, env, ctx);
            }
            let mut response = match result {
                Ok(reply) => reply.into_response(&[]),
                Err(e) => http::problem(&e),
            };
            http::add_headers(&mut response, &limit_headers);
            with_cors(response, origin.as_deref(), cfg)
        }
        #[cfg(feature = "api")]
        Ok(Route::Preflight) => preflight(&req, cfg),
        // The visitor's worker hands these to the whole worker before dispatch (`respond`):
        // never reached, there for the match to be whole.
        #[cfg(not(feature = "api"))]
        Ok(
            Route::Api(_) | Route::Preflight | Route::Metrics | Route::Ready | Route::AbuseReport,
        ) => http::problem(&ApiError::NotFound),
        Ok(Route::ApiNotFound | Route::NotFound) => http::problem(&ApiError::NotFound),
        Err(RouteError::MethodNotAllowed { allow }) => {
            http::problem(&ApiError::MethodNotAllowed { allow })
        }
    }
}

/// `GET /metrics`: the Prometheus text of every isolate, behind METRICS_TOKEN (a bearer
/// token; without the secret set, metrics are off: 404).
async fn scrape(req: &Request, env: &Env, cfg: &Config) -> Response {
    let Some(expected) = runtime::secret(env, "METRICS_TOKEN") else {
        return http::problem(&ApiError::NotFound);
    };
    let failing = limits::failure_key(req);
    if let Err(e) = limits::check_shut_out(&failing) {
        return http::problem(&e);
    }
    let header = req.headers().get("authorization").ok().flatten();
    let given = uload_core::token::bearer(header.as_deref()).unwrap_or("");
    if !uload_core::token::secrets_match(given.as_bytes(), expected.as_bytes()) {
        // Wrong tokens are counted: a guesser is shut out after a few.
        if let Some(e) = limits::count_failure(env, cfg, &failing).await {
            return http::problem(&e);
        }
        return http::problem(&ApiError::Unauthorized);
    }
    match metrics::scrape(env).await {
        Ok(text) => http::respond(
            200,
            "text/plain; version=0.0.4; charset=utf-8",
            text.into_bytes(),
            &[("cache-control", "no-store")],
        ),
        Err(e) => http::problem(&ApiError::from(e)),
    }
}

fn with_cors(mut response: Response, origin: Option<&str>, cfg: &Config) -> Response {
    let headers = response.headers_mut();
    let _ = headers.append("vary", "Origin");
    if let Some(origin) = cors::allowed_origin(origin, &cfg.cors_origins) {
        let _ = headers.set("access-control-allow-origin", origin);
        let _ = headers.set("access-control-expose-headers", cors::EXPOSE_HEADERS);
    }
    response
}

fn preflight(req: &Request, cfg: &Config) -> Response {
    let origin = req.headers().get("origin").ok().flatten();
    match cors::allowed_origin(origin.as_deref(), &cfg.cors_origins) {
        Some(origin) => http::empty(
            204,
            &[
                ("access-control-allow-origin", origin),
                ("access-control-allow-methods", cors::ALLOW_METHODS),
                ("access-control-allow-headers", cors::ALLOW_HEADERS),
                ("access-control-max-age", "600"),
                ("vary", "Origin"),
            ],
        ),
        None => http::problem(&ApiError::Forbidden(
            "this origin may not call the API".into(),
        )),
    }
}
