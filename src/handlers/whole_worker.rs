//! The visitor's worker (built without the `api` feature) hands every route it does not
//! serve itself (`Route::whole_worker_only`: the link API, CORS preflights, /metrics,
//! /health/ready, the abuse report form) to the whole worker through the `API` service
//! binding: the same request, method, headers and streamed body, worker to worker inside
//! Cloudflare (no public hop). The whole worker answers it as if it had been called directly.

use serde_json::json;
use worker::{Env, Request, Response};

use crate::error::ApiError;
use crate::http;
use crate::log;

/// The service binding to the whole worker (wrangler.toml of the visitor's worker).
pub const BINDING: &str = "API";

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
