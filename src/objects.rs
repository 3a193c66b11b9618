//! Calling a Durable Object of this worker with a JSON request: the one way the limiter, the
//! click counters, the metrics shards and the salts are reached, with failures mapped once.

use serde::de::DeserializeOwned;
use serde::Serialize;
use worker::js_sys::Reflect;
use worker::wasm_bindgen::prelude::wasm_bindgen;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{Env, Request};

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
///
/// Made of the runtime's own calls rather than workers-rs' `Stub` and `Request`: the stub by
/// name in one call (`getByName`, not `idFromName` then `get`), the call as a URL and an
/// init the stub's `fetch` turns into its request (no `Request`, no `Headers` object built
/// here, no URL read back), the answer with the runtime's `text()`, one promise (workers-rs'
/// `Response::text` reads a streamed body chunk by chunk through a reader in Rust).
async fn call_text(
    env: &Env,
    binding: &str,
    name: &str,
    dependency: &'static str,
    body: String,
) -> Result<String, StoreError> {
    let unavailable = |e: JsValue| StoreError::unavailable(dependency, worker::Error::from(e));
    let namespace: Namespace = Reflect::get(env.as_ref(), &JsValue::from_str(binding))
        .map_err(unavailable)?
        .unchecked_into();
    let stub = namespace.get_by_name(name).map_err(unavailable)?;
    let init = web_sys::RequestInit::new();
    init.set_method("POST");
    init.set_body(&JsValue::from(body));
    // Which object this is, in the URL: for traces, and for test wiring that stands in for
    // one object of a namespace (an unreachable shard).
    let url = format!("https://object/call?{}", call_query(name));
    let answer = JsFuture::from(stub.fetch(&url, &init).map_err(unavailable)?)
        .await
        .map_err(unavailable)?;
    let res: web_sys::Response = answer.unchecked_into();
    if res.status() != 200 {
        return Err(StoreError::unavailable(
            dependency,
            format!("status {}", res.status()),
        ));
    }
    let text = res.text().map_err(unavailable)?;
    JsFuture::from(text)
        .await
        .map_err(unavailable)?
        .as_string()
        .ok_or_else(|| StoreError::unavailable(dependency, "an answer that is not text"))
}

/// The query of a call's URL: `object=<the object's name>`, form-encoded.
fn call_query(name: &str) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("object", name)
        .finish()
}

#[wasm_bindgen]
extern "C" {
    /// A Durable Object namespace binding, as the runtime hands it over.
    type Namespace;
    #[wasm_bindgen(method, catch, js_name = getByName)]
    fn get_by_name(this: &Namespace, name: &str) -> Result<ObjectStub, JsValue>;

    /// A stub of one object of a namespace.
    type ObjectStub;
    #[wasm_bindgen(method, catch)]
    fn fetch(
        this: &ObjectStub,
        url: &str,
        init: &web_sys::RequestInit,
    ) -> Result<worker::js_sys::Promise, JsValue>;
}

/// The object's side of `call`: the caller's JSON body as `T`. Read as text and parsed in
/// Rust, one crossing of the JS boundary (`Request::json` builds a JS object, then walks it
/// field by field across the boundary).
pub async fn read_call<T: DeserializeOwned>(req: &mut Request) -> worker::Result<T> {
    let text = req.text().await?;
    serde_json::from_str(&text).map_err(|e| worker::Error::RustError(e.to_string()))
}
