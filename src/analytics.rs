//! Click analytics, the moving parts: the producer (a redirect hands its click to the
//! queue after the response is on its way), the queue consumer (batches into D1, exactly
//! once), and retention (the daily cron). The rules live in `domain::click`,
//! `domain::useragent` and `store::clicks_db`; the stats API in `handlers::stats`.

use std::cell::RefCell;

use serde_json::json;
use worker::{Context, Env, MessageBatch, Method, Request};

use crate::config::Config;
use crate::domain::click::{self, ClickEvent, StoredClick, Utm};
use crate::handlers::limits;
use crate::store::clicks_db::ClicksDb;
use crate::store::StoreError;
use crate::{log, runtime};

pub const QUEUE_BINDING: &str = "CLICK_EVENTS";
pub const SALT_SECRET: &str = "ANALYTICS_SALT";

thread_local! {
    /// The salt secret, read once per isolate (secrets change only with a deployment).
    static SALT: RefCell<Option<Option<Vec<u8>>>> = const { RefCell::new(None) };
    /// Whether this isolate already said that analytics is misconfigured (once is loud
    /// enough per isolate; /health/ready says it on every call).
    static WARNED: RefCell<bool> = const { RefCell::new(false) };
}

fn salt(env: &Env) -> Option<Vec<u8>> {
    SALT.with(|s| {
        s.borrow_mut()
            .get_or_insert_with(|| {
                env.secret(SALT_SECRET)
                    .ok()
                    .map(|v| v.to_string().into_bytes())
                    .filter(|v| v.len() >= 16)
            })
            .clone()
    })
}

fn warn_once(event: &str, cause: String) {
    let first = WARNED.with(|w| !w.replace(true));
    if first {
        log::error(
            event,
            json!({ "cause": cause, "hint": "see GET /health/ready" }),
        );
    }
}

/// What /health/ready reports: why analytics would stay empty or incomplete, if it would.
pub fn misconfiguration(env: &Env, cfg: &Config) -> Option<String> {
    let mut problems = Vec::new();
    if !cfg.analytics_enabled {
        problems.push("click analytics is turned off (ANALYTICS_ENABLED=false)".to_string());
    }
    if let Err(e) = env.queue(QUEUE_BINDING) {
        problems.push(format!(
            "queue binding {QUEUE_BINDING} is missing: no click is recorded ({e})"
        ));
    }
    if salt(env).is_none() {
        problems.push(format!(
            "secret {SALT_SECRET} is not set (16+ characters): unique visitors are not counted"
        ));
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// Sends the click of this redirect to the queue, after the response: the redirect never
/// waits. Only a GET is a click (HEAD is how link previewers look); bots are sent too and
/// flagged by the consumer, so they can be counted apart.
pub fn record(req: &Request, link_id: &str, env: &Env, ctx: &Context, cfg: &Config) {
    if !cfg.analytics_enabled || req.method() != Method::Get {
        return;
    }
    let queue = match env.queue(QUEUE_BINDING) {
        Ok(q) => q,
        Err(e) => return warn_once("click_queue_missing", e.to_string()),
    };
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let ua = header("user-agent").unwrap_or_default();
    let ua = click::truncate(&ua, click::MAX_USER_AGENT).to_string();
    let at = runtime::now_ms();
    let visitor = salt(env).map(|s| click::visitor_hash(&s, at, &limits::client_ip(req), &ua));
    let cf = req.cf();
    let url = req.inner().url();
    let query = url
        .split_once('?')
        .map(|(_, q)| q.split('#').next().unwrap_or(q));
    let event = ClickEvent {
        id: runtime::random_click_id(),
        link: link_id.to_string(),
        at,
        v: visitor,
        ua,
        r#ref: click::referer_host(header("referer").as_deref()),
        country: cf.as_ref().and_then(|c| c.country()),
        city: cf.as_ref().and_then(|c| c.city()),
        utm: Utm::from_query(query),
    };
    let env = env.clone();
    ctx.wait_until(async move {
        let Err(e) = queue.send(&event).await else {
            return;
        };
        // The queue refused it: write this one click straight to D1 (same id, so it is
        // still counted once), rather than lose it.
        let fallback = store(&env, vec![event.clone()]).await;
        log::error(
            "click_queue_send_failed",
            json!({
                "click_id": event.id,
                "cause": e.to_string(),
                "stored_directly": fallback.is_ok(),
                "fallback_error": fallback.err().map(|e| e.to_string()),
            }),
        );
    });
}

/// Stores events exactly once: raw clicks first, then everything pending is counted.
async fn store(env: &Env, events: Vec<ClickEvent>) -> Result<(usize, usize), StoreError> {
    let mut clicks = Vec::with_capacity(events.len());
    let mut dropped = 0;
    for e in events {
        let id = e.id.clone();
        match StoredClick::from_event(e) {
            Ok(c) => clicks.push(c),
            Err(why) => {
                dropped += 1;
                log::error(
                    "click_event_invalid",
                    json!({ "click_id": id, "cause": why.to_string() }),
                );
            }
        }
    }
    let db = ClicksDb::from_env(env)?;
    let new = if clicks.is_empty() {
        0
    } else {
        db.insert(&clicks).await?
    };
    // Also with no new rows: a batch that died after its insert left pending rows.
    db.count_pending().await?;
    Ok((new, dropped))
}

/// The queue consumer. On any failure the whole batch is retried: already stored clicks
/// are skipped by id, and pending ones are counted by whichever batch gets there first.
pub async fn consume(batch: MessageBatch<serde_json::Value>, env: &Env) {
    let messages = match batch.messages() {
        Ok(m) => m,
        Err(e) => {
            log::error("click_batch_unreadable", json!({ "cause": e.to_string() }));
            batch.retry_all();
            return;
        }
    };
    let received = messages.len();
    let mut events = Vec::with_capacity(received);
    let mut malformed = 0;
    for m in messages {
        match serde_json::from_value::<ClickEvent>(m.into_body()) {
            Ok(e) => events.push(e),
            Err(e) => {
                malformed += 1;
                log::error("click_event_malformed", json!({ "cause": e.to_string() }));
            }
        }
    }
    match store(env, events).await {
        Ok((new, dropped)) => {
            batch.ack_all();
            log::info(
                "clicks_stored",
                json!({
                    "queue": batch.queue(),
                    "received": received,
                    "new": new,
                    "duplicates": received - malformed - dropped - new,
                    "dropped": malformed + dropped,
                }),
            );
        }
        Err(e) => {
            batch.retry_all();
            log::error(
                "click_batch_failed",
                json!({ "queue": batch.queue(), "received": received, "cause": e.to_string(), "retry": true }),
            );
        }
    }
}

/// The daily retention job: raw clicks older than `CLICK_RETENTION_DAYS` go (rollups stay),
/// and visitor hashes of past days go (their salt is gone, so they can never match again).
pub async fn prune(env: &Env, cfg: &Config) -> Result<(usize, usize), StoreError> {
    const CHUNK: u32 = 5_000;
    const MAX_CHUNKS: usize = 200;
    let db = ClicksDb::from_env(env)?;
    let now = runtime::now_utc();
    let cutoff = crate::domain::stats::iso(now - chrono::Duration::days(cfg.click_retention_days));
    let mut deleted = 0;
    for _ in 0..MAX_CHUNKS {
        let n = db.prune_clicks(&cutoff, CHUNK).await?;
        deleted += n;
        if n < CHUNK as usize {
            break;
        }
    }
    let yesterday = click::utc_day((now - chrono::Duration::days(1)).timestamp_millis() as u64);
    let visitors = db.prune_visitors(&yesterday).await?;
    Ok((deleted, visitors))
}

pub async fn scheduled_prune(env: &Env, ctx_cfg: &Config) {
    match prune(env, ctx_cfg).await {
        Ok((clicks, visitors)) => log::info(
            "clicks_pruned",
            json!({ "clicks": clicks, "visitor_hashes": visitors, "retention_days": ctx_cfg.click_retention_days }),
        ),
        Err(e) => log::error("clicks_prune_failed", json!({ "cause": e.to_string() })),
    }
}
