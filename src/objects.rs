//! Calling a Durable Object of this worker with a JSON request: the one way the limiter, the
//! click counters, the metrics shards and the salts are reached, with failures mapped once.

use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{Env, Method, Request, RequestInit};

use crate::store::StoreError;

/// POSTs `body` to the object `name` of `binding` and reads its JSON answer. `Err` names
/// `dependency` when the object cannot be reached or answers with an error.
pub async fn call<B: Serialize, R: DeserializeOwned>(
    env: &Env,
    binding: &str,
    name: &str,
    dependency: &'static str,
    body: &B,
) -> Result<R, StoreError> {
    let body = serde_json::to_string(body).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let answer = call_text(env, binding, name, dependency, body).await?;
    serde_json::from_str(&answer).map_err(|e| StoreError::unavailable(dependency, e))
}

/// The part of `call` that does not depend on the types: compiled once, not once per pair of
/// request and answer types (each copy costs the wasm a few kilobytes).
async fn call_text(
    env: &Env,
    binding: &str,
    name: &str,
    dependency: &'static str,
    body: String,
) -> Result<String, StoreError> {
    let unavailable = |e: worker::Error| StoreError::unavailable(dependency, e);
    let stub = env
        .durable_object(binding)
        .and_then(|ns| ns.id_from_name(name)?.get_stub())
        .map_err(unavailable)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let headers = worker::Headers::new();
    // Which object this is, for the object's own logs and for test wiring that stands in
    // for one object of a namespace (an unreachable shard).
    headers.set("x-uload-object", name).map_err(unavailable)?;
    init.with_headers(headers);
    let req = Request::new_with_init("https://object/call", &init).map_err(unavailable)?;
    let res = stub.fetch_with_request(req).await.map_err(unavailable)?;
    if res.status_code() != 200 {
        return Err(StoreError::unavailable(
            dependency,
            format!("status {}", res.status_code()),
        ));
    }
    // The runtime's own `text()`, one promise: workers-rs' `Response::text` reads a
    // streamed body chunk by chunk through a reader in Rust, several crossings of the JS
    // boundary per call (measured in the profile of a link creation, which makes two calls).
    let res: web_sys::Response = res.into();
    let text = res.text().map_err(|e| unavailable(e.into()))?;
    JsFuture::from(text)
        .await
        .map_err(|e| unavailable(e.into()))?
        .as_string()
        .ok_or_else(|| StoreError::unavailable(dependency, "an answer that is not text"))
}

/// The object's side of `call`: the caller's JSON body as `T`. Read as text and parsed in
/// Rust, one crossing of the JS boundary (`Request::json` builds a JS object, then walks it
/// field by field across the boundary).
pub async fn read_call<T: DeserializeOwned>(req: &mut Request) -> worker::Result<T> {
    let text = req.text().await?;
    serde_json::from_str(&text).map_err(|e| worker::Error::RustError(e.to_string()))
}
