//! The runtime's clock (the time of the request's start while a request's code runs: Workers
//! freeze the clock during execution), in the forms the worker uses. Formats are
//! `uload_core::time`'s.

pub fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}

pub fn now_utc() -> chrono::DateTime<chrono::Utc> {
    uload_core::time::from_millis(now_ms())
}

/// Now in the stored format.
pub fn now_iso() -> String {
    uload_core::time::format(now_utc())
}
