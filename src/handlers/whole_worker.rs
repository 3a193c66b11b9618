//! The visitor's worker (built without the `api` feature) hands every route it does not
//! serve itself (the link API, CORS preflights, /metrics, /health/ready, the abuse report
//! form) to the whole worker through the `API` service binding: the same request, method,
//! headers and streamed body, on Cloudflare's internal path (no public hop, no second
//! billing of the request). The whole worker answers it as if it had been called directly.

use serde_json::json;
use worker::{Env, Request, Response};

use crate::error::ApiError;
use crate::http;
use crate::log;

/// The service binding to the whole worker (wrangler.toml of the visitor's worker).
pub const BINDING: &str = "API";

/// Routes of the whole worker only. The visitor's worker keeps redirects, unlock forms,
/// inspect pages, /health, security.txt and the origin proxy.
pub fn serves(route: &uload_core::route::Route<'_>) -> bool {
    use uload_core::route::Route;
    matches!(
        route,
        Route::Api(_) | Route::Preflight | Route::Metrics | Route::Ready | Route::AbuseReport
    )
}

/// Hands `req` to the whole worker; its answer goes back as it is. When the binding is
/// missing or the call fails, a 503 problem document (the API is down; redirects are not).
pub async fn forward(req: Request, env: &Env) -> Response {
    let answer = match env.service(BINDING) {
        Ok(api) => api.fetch_request(req).await,
        Err(e) => Err(e),
    };
    match answer {
        Ok(response) => response,
        Err(e) => {
            log::error("api_forward_failed", json!({ "error": e.to_string() }));
            http::problem(&ApiError::Unavailable {
                dependency: "api",
                retry_after: 5,
            })
        }
    }
}
