//! Making link writes visible to the redirect path: D1 has been written; now KV, and this
//! isolate's memory. A failed KV write does not fail the request (D1 has the truth and the
//! redirect path falls back to it); it is retried once after the response and logged.

use futures_util::future::join_all;
use serde_json::json;
use worker::{Context, Env};

use crate::config::Config;
use crate::domain::link::RedirectRecord;
use crate::log;
use crate::runtime::memory;
use crate::store::kv::RedirectKv;
use crate::store::StoreError;

/// `Some(record)`: the code now redirects there; `None`: the code is gone.
pub type Change = (String, Option<RedirectRecord>);

async fn apply(env: &Env, kv_ttl: u64, code: &str, record: &Option<RedirectRecord>) -> Result<(), StoreError> {
    let kv = RedirectKv::from_env(env, kv_ttl)?;
    match record {
        Some(r) => kv.put(code, r).await,
        None => kv.delete(code).await,
    }
}

pub async fn publish(env: &Env, ctx: &Context, cfg: &Config, changes: Vec<Change>) {
    for (code, _) in &changes {
        memory::forget(cfg, code);
    }
    let ttl = cfg.kv_cache_ttl_s;
    let results = join_all(changes.iter().map(|(code, record)| apply(env, ttl, code, record))).await;
    let failed: Vec<Change> = changes
        .into_iter()
        .zip(results)
        .filter_map(|(change, r)| match r {
            Ok(()) => None,
            Err(e) => {
                log::warn("kv_publish_failed", json!({ "code": change.0, "cause": e.to_string(), "retry": true }));
                Some(change)
            }
        })
        .collect();
    if failed.is_empty() {
        return;
    }
    let env = env.clone();
    ctx.wait_until(async move {
        for (code, record) in failed {
            if let Err(e) = apply(&env, ttl, &code, &record).await {
                // The reconcile job repairs what is left; D1 keeps serving meanwhile.
                log::error("kv_publish_retry_failed", json!({ "code": code, "cause": e.to_string() }));
            }
        }
    });
}
