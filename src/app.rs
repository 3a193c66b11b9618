//! The request path in one place: route → handler → response. Every error of a handler
//! becomes a problem document here, so no handler formats errors itself.

use worker::{Context, Env, Request, Response};

use crate::config::Config;
use crate::domain::route::{route, Route, RouteError};
use crate::domain::{code, cors, origin};
use crate::error::ApiError;
use crate::handlers::origin::{self as proxy, Fallback};
use crate::handlers::{api, health, ready, redirect};
use crate::{http, runtime};

pub async fn handle(req: Request, env: Env, ctx: Context) -> Response {
    let mut response = respond(req, env, ctx).await;
    // Every response says which layer answered; whatever the worker answered itself (API,
    // health, errors) is "worker". The redirect and origin paths set their own.
    if !response.headers().has(http::SERVED_FROM).unwrap_or(true) {
        let _ = response.headers_mut().set(http::SERVED_FROM, "worker");
    }
    response
}

async fn respond(req: Request, env: Env, ctx: Context) -> Response {
    let cfg = runtime::config(&env);
    let method = req.method().to_string();
    let path = req.path();
    // Pages of the app skip the link lookup altogether.
    if cfg.origin_url.is_some() && origin::is_origin_path(&path, &cfg.origin_prefixes) {
        return proxy::proxy(req, &env, &ctx, &cfg, Fallback::Page).await;
    }
    match route(&method, &path) {
        // A reserved word cannot be a link: it is one of the app's own pages.
        Ok(Route::Redirect { code } | Route::Unlock { code })
            if cfg.origin_url.is_some() && code::is_reserved(code) =>
        {
            proxy::proxy(req, &env, &ctx, &cfg, Fallback::Page).await
        }
        Ok(Route::Redirect { code }) => redirect::serve(req, code, None, &env, &ctx, &cfg).await,
        Ok(Route::WorkspaceRedirect { workspace, code }) => {
            redirect::serve(req, code, Some(workspace), &env, &ctx, &cfg).await
        }
        Ok(Route::Unlock { code }) => redirect::unlock(req, code, &env, &ctx, &cfg).await,
        Ok(Route::Health) => health::live(),
        Ok(Route::Ready) => ready::ready(&env, &cfg).await,
        Ok(Route::Api(endpoint)) => {
            let origin = req.headers().get("origin").ok().flatten();
            let (result, limit_headers) = api::handle(endpoint, req, &env, &ctx, &cfg).await;
            let mut response = match result {
                Ok(reply) => reply.into_response(&[]),
                Err(e) => http::problem(&e),
            };
            http::add_headers(&mut response, &limit_headers);
            with_cors(response, origin.as_deref(), &cfg)
        }
        Ok(Route::Preflight) => preflight(&req, &cfg),
        Ok(Route::NotFound) if cfg.origin_url.is_some() => {
            proxy::proxy(req, &env, &ctx, &cfg, Fallback::Page).await
        }
        Ok(Route::ApiNotFound | Route::NotFound) => http::problem(&ApiError::NotFound),
        Err(RouteError::MethodNotAllowed { allow }) => {
            http::problem(&ApiError::MethodNotAllowed { allow })
        }
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
