//! The redirect records in Workers KV: one key per code, holding a `RedirectRecord`.

use worker::kv::KvStore;
use worker::Env;

use super::StoreError;
use uload_core::link::RedirectRecord;

pub const BINDING: &str = "LINKS_KV";

pub struct RedirectKv {
    kv: KvStore,
    cache_ttl_s: u64,
}

impl RedirectKv {
    pub fn from_env(env: &Env, cache_ttl_s: u64) -> Result<Self, StoreError> {
        let kv = env
            .kv(BINDING)
            .map_err(|e| StoreError::unavailable("KV", e))?;
        Ok(Self { kv, cache_ttl_s })
    }

    /// Keys are namespaced so the same KV namespace can hold other kinds of keys later
    /// (health probes, per-domain records) without colliding with a code.
    pub fn key(code: &str) -> String {
        format!("link:{code}")
    }

    pub async fn get(&self, code: &str) -> Result<Option<RedirectRecord>, StoreError> {
        let text = self
            .kv
            .get(&Self::key(code))
            .cache_ttl(self.cache_ttl_s)
            .text()
            .await
            .map_err(|e| StoreError::unavailable("KV", e))?;
        match text {
            None => Ok(None),
            Some(t) => serde_json::from_str(&t)
                .map(Some)
                .map_err(|e| StoreError::Corrupt(format!("KV {}: {e}", Self::key(code)))),
        }
    }

    pub async fn put(&self, code: &str, record: &RedirectRecord) -> Result<(), StoreError> {
        let body = serde_json::to_string(record).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        self.kv
            .put(&Self::key(code), body)
            .map_err(|e| StoreError::unavailable("KV", e))?
            .execute()
            .await
            .map_err(|e| StoreError::unavailable("KV", e))
    }
}

impl RedirectKv {
    pub async fn delete(&self, code: &str) -> Result<(), StoreError> {
        self.kv
            .delete(&Self::key(code))
            .await
            .map_err(|e| StoreError::unavailable("KV", e))
    }

    /// Every code that has a KV record (all pages of `link:` keys).
    pub async fn codes(&self) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut list = self.kv.list().prefix("link:".into());
            if let Some(c) = cursor.take() {
                list = list.cursor(c);
            }
            let page = list
                .execute()
                .await
                .map_err(|e| StoreError::unavailable("KV", e))?;
            out.extend(
                page.keys
                    .iter()
                    .filter_map(|k| k.name.strip_prefix("link:").map(str::to_string)),
            );
            match (page.list_complete, page.cursor) {
                (false, Some(c)) => cursor = Some(c),
                _ => return Ok(out),
            }
        }
    }
}
