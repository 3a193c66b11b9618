//! Structured logs: one JSON object per line, on the console that Workers Logs and
//! `wrangler tail` collect. Callers pass only what is safe to keep: never tokens,
//! passwords or IP addresses.

use serde_json::{json, Value};

fn emit(level: &str, event: &str, fields: Value) {
    let mut line = json!({ "level": level, "event": event, "ts": crate::clock::now_ms() });
    if let (Some(line), Value::Object(fields)) = (line.as_object_mut(), fields) {
        line.extend(fields);
    }
    match level {
        "error" => worker::console_error!("{line}"),
        "warn" => worker::console_warn!("{line}"),
        _ => worker::console_log!("{line}"),
    }
}

pub fn info(event: &str, fields: Value) {
    emit("info", event, fields);
}

pub fn warn(event: &str, fields: Value) {
    emit("warn", event, fields);
}

pub fn error(event: &str, fields: Value) {
    emit("error", event, fields);
}
