//! Strings this worker hands the runtime on nearly every request (header names, fixed header
//! values), kept as JS strings for the isolate's life with wasm-bindgen's interning: such a
//! string then crosses to JS as a reference to the kept string, not as UTF-8 bytes decoded
//! anew on every call (workerd's `TextDecoder`, a few µs a call on the redirect path; see
//! BENCHMARKS.md). Any other string crosses as before, after a lookup in the kept ones.

use std::cell::Cell;

use crate::services::link_lookup::Layer;
use uload_core::redirect::CACHE_CONTROL;

/// Header names and values of the redirect path and of every response of the worker, and
/// the names of the bindings it reads.
const COMMON: &[&str] = &[
    // read from every visitor's request
    "cf-connecting-ip",
    "user-agent",
    "referer",
    "accept",
    "accept-language",
    "cookie",
    "authorization",
    "origin",
    // set on responses
    crate::http::SERVED_FROM,
    "location",
    "cache-control",
    "x-robots-tag",
    "content-type",
    "vary",
    CACHE_CONTROL,
    "noindex",
    "no-store",
    "application/json",
    uload_core::problem::CONTENT_TYPE,
    // the layers that answer (`x-served-from`; "origin" is above)
    Layer::Memory.name(),
    Layer::Kv.name(),
    Layer::D1.name(),
    "worker",
    // bindings read from `env` by name on the redirect path
    crate::store::kv::BINDING,
    crate::store::d1::BINDING,
    crate::analytics::QUEUE_BINDING,
];

thread_local! {
    static DONE: Cell<bool> = const { Cell::new(false) };
}

/// Keeps the common strings, once per isolate (called at the start of every request).
pub fn intern_common() {
    if DONE.with(|d| d.replace(true)) {
        return;
    }
    for s in COMMON {
        worker::wasm_bindgen::intern(s);
    }
}
