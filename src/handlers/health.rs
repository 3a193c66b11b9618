//! Liveness: cheap, touches no binding, 200 while the worker runs.

use uload_core::health::Health;
use worker::Response;

use crate::http;

pub fn live() -> Response {
    http::json(
        200,
        &Health {
            status: "ok",
            version: env!("CARGO_PKG_VERSION"),
        },
        &[("cache-control", "no-store")],
    )
}
