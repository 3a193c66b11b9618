//! Per-isolate state and the few things the runtime provides: randomness, config, zones
//! (the clock is `clock`).
//! Workers run one request at a time per isolate thread, so `thread_local!` + `RefCell`
//! is the whole synchronisation story.

use std::cell::RefCell;
use std::rc::Rc;

use worker::Env;

use crate::config::Config;
use uload_core::cache::TtlCache;
use uload_core::code;
use uload_core::link::{RedirectRecord, ID_ALPHABET, ID_LEN};

thread_local! {
    static CONFIG: RefCell<Option<Rc<Config>>> = const { RefCell::new(None) };
    /// `None` values are negative entries: "this code does not exist".
    static MEMORY: RefCell<Option<TtlCache<Option<Rc<RedirectRecord>>>>> = const { RefCell::new(None) };
    /// Secrets read so far, by name (a handful: the service token, the metrics token, …).
    static SECRETS: RefCell<Vec<(String, Option<String>)>> = const { RefCell::new(Vec::new()) };
}

/// The config this isolate has read, if it has (every request reads it first).
pub fn loaded_config() -> Option<Rc<Config>> {
    CONFIG.with(|c| c.borrow().clone())
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

/// A secret's raw value, whatever its length (for readiness to judge). Read from `env` once
/// per isolate: a secret cannot change without a new version, which starts new isolates.
pub fn raw_secret(env: &Env, name: &str) -> Option<String> {
    let known = SECRETS.with(|s| {
        s.borrow()
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    });
    if let Some(value) = known {
        return value;
    }
    let value = env.secret(name).ok().map(|s| s.to_string());
    SECRETS.with(|s| s.borrow_mut().push((name.to_string(), value.clone())));
    value
}

/// A secret's value if it is set and at least `MIN_SECRET_BYTES` long (shorter ones are as
/// good as none: the caller fails closed or turns its feature off).
pub fn secret(env: &Env, name: &str) -> Option<String> {
    raw_secret(env, name).filter(|s| s.len() >= uload_core::secret::MIN_SECRET_BYTES)
}

/// The offsets of an IANA time zone from the runtime's own database (`Intl`, kept current
/// by the runtime), or `None` for a zone it does not know. Each call formats the instant in
/// the zone and reads the wall-clock time back.
pub fn time_zone(name: &str) -> Option<uload_core::stats::OffsetFn> {
    use worker::js_sys::{Array, Date, Function, Intl, Object, Reflect};
    use worker::wasm_bindgen::{JsCast, JsValue};
    let options = Object::new();
    for (k, v) in [
        ("timeZone", name),
        ("hourCycle", "h23"),
        ("year", "numeric"),
        ("month", "numeric"),
        ("day", "numeric"),
        ("hour", "numeric"),
        ("minute", "numeric"),
        ("second", "numeric"),
    ] {
        Reflect::set(&options, &k.into(), &v.into()).ok()?;
    }
    // Constructed through Reflect so that an unknown zone (a RangeError) is an Err here,
    // not an exception through the wasm.
    let intl = Reflect::get(&worker::js_sys::global(), &"Intl".into()).ok()?;
    let ctor: Function = Reflect::get(&intl, &"DateTimeFormat".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let args = Array::of2(&JsValue::from("en-US"), &options);
    let format: Intl::DateTimeFormat = Reflect::construct(&ctor, &args).ok()?.dyn_into().ok()?;
    Some(std::rc::Rc::new(move |ms: i64| {
        let ms = ms - ms.rem_euclid(1000);
        let parts = format.format_to_parts(&Date::new(&JsValue::from(ms as f64)));
        let mut f = [0f64; 6]; // year, month, day, hour, minute, second
        for part in parts.iter() {
            let kind = Reflect::get(&part, &"type".into())
                .ok()
                .and_then(|v| v.as_string());
            let value = Reflect::get(&part, &"value".into())
                .ok()
                .and_then(|v| v.as_string())
                .and_then(|v| v.parse::<f64>().ok());
            let slot = match kind.as_deref() {
                Some("year") => 0,
                Some("month") => 1,
                Some("day") => 2,
                Some("hour") => 3,
                Some("minute") => 4,
                Some("second") => 5,
                _ => continue,
            };
            f[slot] = value.unwrap_or(0.0);
        }
        let hour = if f[3] == 24.0 { 0.0 } else { f[3] };
        let local = Date::utc(f[0], f[1] - 1.0)
            + ((f[2] - 1.0) * 24.0 + hour) * 3_600_000.0
            + f[4] * 60_000.0
            + f[5] * 1000.0;
        ((local - ms as f64) / 1000.0).round() as i32
    }))
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

/// The random part of an isolate's click ids: 16 characters of 36 (~82 bits).
pub fn random_click_prefix() -> String {
    random_string(ID_ALPHABET, 16)
}

/// The isolate's memory layer of the redirect lookup.
pub mod memory {
    use super::*;

    fn with<R>(cfg: &Config, f: impl FnOnce(&mut TtlCache<Option<Rc<RedirectRecord>>>) -> R) -> R {
        MEMORY.with(|m| {
            let mut m = m.borrow_mut();
            f(m.get_or_insert_with(|| {
                TtlCache::with_max_bytes(cfg.memory_capacity, cfg.memory_max_bytes)
            }))
        })
    }

    /// `Some(Some(r))`: known link; `Some(None)`: known to be absent; `None`: not cached.
    pub fn get(cfg: &Config, code: &str) -> Option<Option<Rc<RedirectRecord>>> {
        with(cfg, |c| c.get(code, crate::clock::now_ms()))
    }

    pub fn put(cfg: &Config, code: &str, record: Option<Rc<RedirectRecord>>) {
        let ttl = if record.is_some() {
            cfg.memory_ttl_ms
        } else {
            cfg.memory_negative_ttl_ms
        };
        // The layer (or its negative half) is off: nothing to keep, and nothing older either.
        if ttl == 0 {
            return forget(cfg, code);
        }
        let bytes = record.as_deref().map_or(0, RedirectRecord::approx_bytes);
        with(cfg, |c| {
            c.insert_weighed(code, record, bytes, ttl, crate::clock::now_ms())
        });
    }

    pub fn forget(cfg: &Config, code: &str) {
        with(cfg, |c| c.remove(code));
    }
}

/// A JS exception as text (its message when it is an Error).
pub fn js_err(e: worker::wasm_bindgen::JsValue) -> String {
    e.as_string()
        .or_else(|| {
            worker::wasm_bindgen::JsCast::dyn_ref::<worker::js_sys::Error>(&e)
                .map(|e| String::from(e.message()))
        })
        .unwrap_or_else(|| format!("{e:?}"))
}
