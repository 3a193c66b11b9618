//! The runtime's clock (the time of the request's start while a request's code runs: Workers
//! freeze the clock during execution), in the forms the worker uses. Formats are
//! `uload_core::time`'s.

/// `Date.now()`, one call across the JS boundary: workers-rs' `Date::now` builds a JS `Date`
/// object and asks it for its time (two calls, and an object held by the wasm's reference
/// table: 146 µs of a search request's profile, from the handful of times one request reads
/// the clock).
pub fn now_ms() -> u64 {
    worker::js_sys::Date::now() as u64
}

pub fn now_utc() -> chrono::DateTime<chrono::Utc> {
    uload_core::time::from_millis(now_ms())
}

/// Now in the stored format.
pub fn now_iso() -> String {
    uload_core::time::format(now_utc())
}
