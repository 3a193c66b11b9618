//! Finding a link's redirect record: the isolate's memory, then Workers KV, then D1 (the
//! source of truth). What D1 finds is remembered in memory and written back to KV after the
//! response, so the next visitor of this isolate, or of this colo, is served sooner.

use std::rc::Rc;

use serde_json::json;
use worker::{Context, Env};

use crate::config::Config;
use crate::log;
use crate::runtime::memory;
use crate::store::kv::RedirectKv;
use crate::store::links_db::LinksDb;
use crate::store::StoreError;
use uload_core::link::RedirectRecord;

/// The lookup layers, named as `x-served-from` reports them.
#[derive(Clone, Copy)]
pub enum Layer {
    Memory,
    Kv,
    D1,
}

impl Layer {
    pub const fn name(self) -> &'static str {
        match self {
            Layer::Memory => "memory",
            Layer::Kv => "kv",
            Layer::D1 => "d1",
        }
    }
}

/// A link's redirect record by code: `None` when no link has the code (remembered too, so
/// scans of absent codes cost D1 only once per isolate and TTL), with the layer that knew.
pub async fn lookup(
    code: &str,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
) -> Result<(Option<Rc<RedirectRecord>>, Layer), StoreError> {
    // 1. The isolate's memory, including "known absent" entries.
    if let Some(hit) = memory::get(cfg, code) {
        return Ok((hit, Layer::Memory));
    }

    // 2. KV. A failing KV is not fatal: D1 still knows every link.
    match RedirectKv::from_env(env, cfg.kv_cache_ttl_s) {
        Ok(kv) => match kv.get(code).await {
            Ok(Some(record)) => {
                let record = Rc::new(record);
                memory::put(cfg, code, Some(record.clone()));
                return Ok((Some(record), Layer::Kv));
            }
            Ok(None) => {}
            Err(e) => log::warn(
                "kv_read_failed",
                json!({ "code": code, "cause": e.to_string() }),
            ),
        },
        Err(e) => log::error("kv_binding_missing", json!({ "cause": e.to_string() })),
    }

    // 3. D1, the source of truth; found records are written back to KV after the response.
    let found = LinksDb::from_env(env)?
        .find_redirect(code)
        .await?
        .map(Rc::new);
    memory::put(cfg, code, found.clone());
    if let Some(record) = &found {
        write_back(env.clone(), ctx, code, record.clone(), cfg.kv_cache_ttl_s);
    }
    Ok((found, Layer::D1))
}

/// `lookup`, for a path that names the link's workspace (`/w/{workspace}/{code}`): under
/// it only that workspace's links exist.
pub async fn lookup_in(
    code: &str,
    workspace: Option<&str>,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
) -> Result<(Option<Rc<RedirectRecord>>, Layer), StoreError> {
    match (lookup(code, env, ctx, cfg).await?, workspace) {
        ((Some(r), layer), Some(ws)) if r.workspace.as_deref() != Some(ws) => Ok((None, layer)),
        (found, _) => Ok(found),
    }
}

fn write_back(env: Env, ctx: &Context, code: &str, record: Rc<RedirectRecord>, cache_ttl_s: u64) {
    let code = code.to_string();
    ctx.wait_until(async move {
        let result = match RedirectKv::from_env(&env, cache_ttl_s) {
            Ok(kv) => kv.put(&code, &record).await,
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            log::warn(
                "kv_write_back_failed",
                json!({ "code": code, "cause": e.to_string() }),
            );
        }
    });
}
