//! The request path in one place: route → handler → response. Every error of a handler
//! becomes a problem document here, so no handler formats errors itself.

use worker::{Context, Env, Request, Response};

use crate::domain::route::{route, Route, RouteError};
use crate::error::ApiError;
use crate::handlers::{health, links, redirect};
use crate::{http, runtime};

pub async fn handle(req: Request, env: Env, ctx: Context) -> Response {
    let cfg = runtime::config(&env);
    let method = req.method().to_string();
    let path = req.path();
    match route(&method, &path) {
        Ok(Route::Health) => health::live(),
        Ok(Route::Redirect { code }) => redirect::serve(&req, code, &env, &ctx, &cfg).await,
        Ok(Route::CreateLink) => {
            links::create(req, &env, &ctx, &cfg).await.unwrap_or_else(|e| http::problem(&e))
        }
        Ok(Route::ApiNotFound | Route::NotFound) => http::problem(&ApiError::NotFound),
        Err(RouteError::MethodNotAllowed { allow }) => {
            http::problem(&ApiError::MethodNotAllowed { allow })
        }
    }
}
