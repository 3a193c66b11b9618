//! The few ways this service talks to D1, so every store does it the same way: bound
//! parameters only (never SQL built from input), errors mapped once.

use serde::de::DeserializeOwned;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::{D1Database, D1PreparedStatement, Env};

use super::StoreError;

pub const BINDING: &str = "DB";

/// A bound parameter (owned, so statements can be assembled from computed values).
#[derive(Debug, Clone)]
pub enum P {
    Text(String),
    Int(i64),
    Null,
}

impl P {
    fn js(&self) -> JsValue {
        match self {
            P::Text(s) => JsValue::from(s.as_str()),
            P::Int(n) => JsValue::from(*n as f64),
            P::Null => JsValue::NULL,
        }
    }
}

impl From<&str> for P {
    fn from(s: &str) -> Self {
        P::Text(s.to_string())
    }
}
impl From<&String> for P {
    fn from(s: &String) -> Self {
        P::Text(s.clone())
    }
}
impl From<String> for P {
    fn from(s: String) -> Self {
        P::Text(s)
    }
}
impl From<i64> for P {
    fn from(n: i64) -> Self {
        P::Int(n)
    }
}
impl From<bool> for P {
    fn from(b: bool) -> Self {
        P::Int(i64::from(b))
    }
}
impl<T: Into<P>> From<Option<T>> for P {
    fn from(o: Option<T>) -> Self {
        o.map_or(P::Null, Into::into)
    }
}

thread_local! {
    /// The isolate's D1 binding, read from `env` once: the same object serves every request
    /// of the isolate (the runtime's `env` does not change within it), and reading it is a
    /// property read plus a type check across the JS boundary each time.
    static DATABASE: std::cell::RefCell<Option<JsValue>> = const { std::cell::RefCell::new(None) };
}

pub fn database(env: &Env) -> Result<D1Database, StoreError> {
    if let Some(db) = DATABASE.with(|d| d.borrow().clone()) {
        return Ok(db.unchecked_into());
    }
    let db = env
        .d1(BINDING)
        .map_err(|e| StoreError::unavailable("D1", e))?;
    DATABASE.with(|d| *d.borrow_mut() = Some(AsRef::<JsValue>::as_ref(&db).clone()));
    Ok(db)
}

pub fn map_err(e: worker::Error) -> StoreError {
    let msg = e.to_string();
    match super::constraint::recognise(&msg) {
        Some(constraint) => StoreError::Conflict(constraint),
        None => StoreError::unavailable("D1", msg),
    }
}

pub fn stmt(db: &D1Database, sql: &str, params: &[P]) -> Result<D1PreparedStatement, StoreError> {
    let values: Vec<JsValue> = params.iter().map(P::js).collect();
    db.prepare(sql).bind(&values).map_err(map_err)
}

pub async fn first<T: DeserializeOwned>(
    db: &D1Database,
    sql: &str,
    params: &[P],
) -> Result<Option<T>, StoreError> {
    stmt(db, sql, params)?.first(None).await.map_err(map_err)
}

pub async fn all<T: DeserializeOwned>(
    db: &D1Database,
    sql: &str,
    params: &[P],
) -> Result<Vec<T>, StoreError> {
    let result = stmt(db, sql, params)?.all().await.map_err(map_err)?;
    result
        .results()
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Runs a statement; returns the number of rows it changed.
pub async fn run(db: &D1Database, sql: &str, params: &[P]) -> Result<usize, StoreError> {
    let result = stmt(db, sql, params)?.run().await.map_err(map_err)?;
    Ok(result
        .meta()
        .ok()
        .flatten()
        .and_then(|m| m.changes)
        .unwrap_or(0))
}

/// Runs statements in one transaction (D1 batches are atomic); returns each one's rows.
pub async fn batch<T: DeserializeOwned>(
    db: &D1Database,
    statements: Vec<D1PreparedStatement>,
) -> Result<Vec<Vec<T>>, StoreError> {
    let results = db.batch(statements).await.map_err(map_err)?;
    results
        .iter()
        .map(|r| r.results().map_err(|e| StoreError::Corrupt(e.to_string())))
        .collect()
}

/// A flag column's number as a `bool` (SQLite has no booleans).
pub use uload_core::fields::flag;

/// A boolean column read into a row struct as a `bool` (SQLite's 0/1, or a JSON boolean).
pub use uload_core::fields::flag_field;

pub fn uint(v: f64) -> u64 {
    if v.is_finite() && v > 0.0 {
        v as u64
    } else {
        0
    }
}
