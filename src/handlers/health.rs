//! Liveness: cheap, touches no binding, 200 while the worker runs.

use serde_json::json;
use worker::Response;

use crate::http;

pub fn live() -> Response {
    http::json(
        200,
        &json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") }),
        &[("cache-control", "no-store")],
    )
}
