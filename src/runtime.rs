//! Per-isolate state and the few things the runtime provides: time, randomness, config.
//! Workers run one request at a time per isolate thread, so `thread_local!` + `RefCell`
//! is the whole synchronisation story.

use std::cell::RefCell;
use std::rc::Rc;

use worker::Env;

use crate::config::Config;
use crate::domain::cache::TtlCache;
use crate::domain::code;
use crate::domain::link::{RedirectRecord, ID_ALPHABET, ID_LEN};

thread_local! {
    static CONFIG: RefCell<Option<Rc<Config>>> = const { RefCell::new(None) };
    /// `None` values are negative entries: "this code does not exist".
    static MEMORY: RefCell<Option<TtlCache<Option<RedirectRecord>>>> = const { RefCell::new(None) };
}

/// Config is read once per isolate: vars cannot change without a new deployment.
pub fn config(env: &Env) -> Rc<Config> {
    CONFIG.with(|c| {
        c.borrow_mut()
            .get_or_insert_with(|| {
                let cfg = Config::from_lookup(|name| env.var(name).ok().map(|v| v.to_string()));
                for problem in &cfg.problems {
                    crate::log::warn("config_invalid", serde_json::json!({ "problem": problem }));
                }
                Rc::new(cfg)
            })
            .clone()
    })
}

pub fn now_ms() -> u64 {
    worker::Date::now().as_millis()
}

pub fn now_utc() -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(now_ms() as i64).unwrap_or_default()
}

/// ISO 8601 in UTC with milliseconds, the format stored in D1.
pub fn now_iso() -> String {
    worker::js_sys::Date::new_0().to_iso_string().into()
}

/// Cryptographically random bytes (crypto.getRandomValues in the Workers runtime).
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    // getrandom only fails when the platform has no entropy source at all; Workers always
    // has one, so a failure here is a broken runtime, not bad input.
    getrandom::fill(&mut buf).expect("crypto.getRandomValues is available");
    buf
}

fn random_string(alphabet: &[u8], len: usize) -> String {
    loop {
        // Twice the length covers the rejected bytes almost always; loop for the rest.
        if let Some(s) = code::sample(&random_bytes(len * 2), alphabet, len) {
            return s;
        }
    }
}

pub fn random_code() -> String {
    random_string(code::ALPHABET, code::RANDOM_LEN)
}

pub fn random_id() -> String {
    random_string(ID_ALPHABET, ID_LEN)
}

/// The isolate's memory layer of the redirect lookup.
pub mod memory {
    use super::*;

    fn with<R>(cfg: &Config, f: impl FnOnce(&mut TtlCache<Option<RedirectRecord>>) -> R) -> R {
        MEMORY.with(|m| {
            let mut m = m.borrow_mut();
            f(m.get_or_insert_with(|| TtlCache::new(cfg.memory_capacity)))
        })
    }

    /// `Some(Some(r))`: known link; `Some(None)`: known to be absent; `None`: not cached.
    pub fn get(cfg: &Config, code: &str) -> Option<Option<RedirectRecord>> {
        with(cfg, |c| c.get(code, now_ms()))
    }

    pub fn put(cfg: &Config, code: &str, record: Option<RedirectRecord>) {
        let ttl = if record.is_some() {
            cfg.memory_ttl_ms
        } else {
            cfg.memory_negative_ttl_ms
        };
        with(cfg, |c| c.insert(code, record, ttl, now_ms()));
    }

    pub fn forget(cfg: &Config, code: &str) {
        with(cfg, |c| c.remove(code));
    }
}
