//! Click analytics, the moving parts: the producer (a redirect hands its click to the
//! queue after the response is on its way), the queue consumer (batches into D1, exactly
//! once), and retention (the daily cron). The rules live in `uload_core::click`,
//! `uload_core::useragent` and `store::clicks_db`; the stats API in `handlers::stats`.

use std::cell::RefCell;
use std::time::Duration;

use serde_json::json;
use worker::wasm_bindgen::JsValue;
use worker::{Context, Env, MessageBatch, Method, QueueContentType, RawMessageBuilder, Request};

use crate::config::Config;
use crate::store::clicks_db::ClicksDb;
use crate::store::StoreError;
use crate::{log, metrics, runtime};
use uload_core::click::{self, ClickEvent, ClickIds, StoredClick, Utm};
use uload_core::outbox::Outbox;
use uload_core::useragent::Classifier;

pub const QUEUE_BINDING: &str = "CLICK_EVENTS";
pub const SALT_SECRET: &str = "ANALYTICS_SALT";
/// Clicks a flusher takes at a time (a few queue messages of up to 120 KB, sent together).
const BATCH: usize = 1_000;
/// A flusher older than this is replaced by a new one at the next click (background work
/// of one request may run 30 s after its response).
const RENEW_AFTER_MS: u64 = 5_000;
/// Clicks an isolate holds at most while the queue does not take them.
const OUTBOX_CAPACITY: usize = 50_000;
/// And at most 16 MiB of them: clicks with long User-Agents and UTM values cannot take the
/// isolate's 128 MB (50,000 of the largest would weigh ~100 MB).
const OUTBOX_MAX_BYTES: usize = 16 * 1024 * 1024;

thread_local! {
    /// The day salts this isolate fetched (today's, and yesterday's around midnight).
    static SALTS: RefCell<Vec<(String, [u8; 32])>> = const { RefCell::new(Vec::new()) };
    static CLICK_IDS: RefCell<Option<ClickIds>> = const { RefCell::new(None) };
    /// Whether this isolate already said that analytics is misconfigured (once is loud
    /// enough per isolate; /health/ready says it on every call).
    static WARNED: RefCell<bool> = const { RefCell::new(false) };
    /// The consumer's User-Agent classifications (most clicks share a few agents).
    static CLASSIFIER: RefCell<Classifier> = RefCell::new(Classifier::new(2_000));
    /// Clicks of this isolate on their way to the queue.
    static OUTBOX: RefCell<Outbox<ClickEvent>> = RefCell::new(Outbox::with_max_bytes(RENEW_AFTER_MS, OUTBOX_CAPACITY, OUTBOX_MAX_BYTES));
}

fn salt_secret(env: &Env) -> Option<Vec<u8>> {
    runtime::secret(env, SALT_SECRET).map(String::into_bytes)
}

/// The random salt of `day`, from this isolate's memory or the day's object. `None` when the
/// day is over or the object cannot be reached (the click is then counted, not as a unique
/// visitor).
async fn day_salt(env: &Env, day: &str) -> Option<[u8; 32]> {
    if let Some(salt) = SALTS.with(|s| s.borrow().iter().find(|(d, _)| d == day).map(|(_, s)| *s)) {
        return Some(salt);
    }
    match crate::salts::of_day(env, day).await {
        Ok(Some(salt)) => {
            SALTS.with(|s| {
                let mut s = s.borrow_mut();
                // Two days at most: the one ending and the one beginning.
                s.push((day.to_string(), salt));
                s.sort_by(|a, b| b.0.cmp(&a.0));
                s.truncate(2);
            });
            Some(salt)
        }
        Ok(None) => None,
        Err(e) => {
            warn_once("daily_salt_unreachable", e.to_string());
            None
        }
    }
}

/// Replaces each event's transient address by its visitor hash (per link, with its day's
/// salt), before the events leave the isolate.
async fn hash_visitors(env: &Env, batch: &mut [ClickEvent]) {
    let Some(secret) = salt_secret(env) else {
        for e in batch.iter_mut() {
            e.ip = None;
        }
        return;
    };
    // One answer per day and batch: when the salt object cannot answer (overloaded at
    // midnight, when every isolate asks for the new day's salt), a batch of a thousand clicks
    // asks it once, not a thousand times.
    let mut salts: Vec<(String, Option<[u8; 32]>)> = Vec::with_capacity(2);
    for e in batch.iter_mut() {
        let Some(ip) = e.ip.take() else {
            continue;
        };
        let day = click::utc_day(e.at);
        let salt = match salts.iter().find(|(d, _)| *d == day) {
            Some((_, salt)) => *salt,
            None => {
                let salt = day_salt(env, &day).await;
                salts.push((day, salt));
                salt
            }
        };
        if let Some(salt) = salt {
            e.v = Some(click::visitor_hash(&salt, &secret, &e.link, &ip, &e.ua));
        }
    }
}

fn next_click_id() -> String {
    CLICK_IDS.with(|c| {
        c.borrow_mut()
            .get_or_insert_with(|| ClickIds::new(runtime::random_click_prefix()))
            .next_id()
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
    if env.durable_object(crate::salts::BINDING).is_err() {
        problems.push(format!(
            "Durable Object binding {} is missing: unique visitors are not counted",
            crate::salts::BINDING
        ));
    }
    if salt_secret(env).is_none() {
        problems.push(format!(
            "secret {SALT_SECRET} is not set or shorter than 32 bytes: unique visitors are not counted"
        ));
    }
    (!problems.is_empty()).then(|| problems.join("; "))
}

/// Hands the click of this redirect to the isolate's outbox, from which a flusher sends it
/// to the queue after the response (in `wait_until`): the redirect never waits. Only a GET is a click (HEAD is how link previewers look); bots are sent too and
/// flagged by the consumer, so they can be counted apart.
/// `query`: the request's raw query string, as the redirect path already read it; `ip`
/// the client's address (`http::client_ip`).
pub fn record(
    req: &Request,
    link_id: &str,
    query: Option<&str>,
    ip: &str,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
) {
    if !cfg.analytics_enabled || req.method() != Method::Get {
        return;
    }
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let ua = header("user-agent").unwrap_or_default();
    let ua = click::truncate(&ua, click::MAX_USER_AGENT).to_string();
    let at = crate::clock::now_ms();
    let cf = req.cf();
    let event = ClickEvent {
        id: next_click_id(),
        link: link_id.to_string(),
        at,
        // Hashed by the flusher, with the day's salt, before it leaves the isolate.
        v: None,
        ua,
        r#ref: click::referer_host(header("referer").as_deref()),
        country: cf.as_ref().and_then(|c| c.country()),
        city: cf.as_ref().and_then(|c| c.city()),
        utm: Utm::from_query(query),
        ip: Some(ip.to_string()),
    };
    metrics::record(|m| m.inc("clicks_recorded_total", &[], 1));
    let bytes = event.approx_bytes();
    let flusher = OUTBOX.with(|o| o.borrow_mut().push_weighed(event, bytes, at));
    if let Some(id) = flusher {
        let gather = Duration::from_millis(cfg.click_gather_ms);
        ctx.wait_until(flush(id, env.clone(), gather));
    }
}

/// A flusher: waits `gather` for clicks to gather, then sends what the outbox holds until
/// the outbox says stop (see `uload_core::outbox` for why nothing is left behind).
async fn flush(id: u64, env: Env, gather: Duration) {
    let queue = env.queue(QUEUE_BINDING);
    let (env, queue) = (&env, queue.as_ref());
    let dropped = crate::flusher::drain(&OUTBOX, id, BATCH, gather, |mut batch| async move {
        hash_visitors(env, &mut batch).await;
        deliver(queue, env, batch).await;
    })
    .await;
    if dropped > 0 {
        metrics::record(|m| m.inc("clicks_dropped_total", &[], dropped));
        log::error(
            "click_events_dropped",
            json!({ "clicks": dropped, "cause": "the outbox was full: the queue did not take clicks" }),
        );
    }
}

/// Sends clicks to the queue as few messages (JSON text, up to ~100 clicks each: one queue
/// operation instead of one per click). If the queue is missing or refuses them, they are
/// written straight to D1 instead (same ids, so still counted once) rather than lost.
async fn deliver(queue: Result<&worker::Queue, &worker::Error>, env: &Env, batch: Vec<ClickEvent>) {
    let failure = match queue {
        Ok(queue) => {
            // The messages of one take go out together, not one after another: under load
            // the outbox must drain as fast as redirects fill it.
            let sends = click::encode_messages(&batch).into_iter().map(|message| {
                queue.send_raw(
                    RawMessageBuilder::new(JsValue::from(message))
                        .build_with_content_type(QueueContentType::Text),
                )
            });
            futures_util::future::join_all(sends)
                .await
                .into_iter()
                .find_map(|r| r.err().map(|e| e.to_string()))
        }
        Err(e) => {
            warn_once("click_queue_missing", e.to_string());
            Some(format!("no queue binding {QUEUE_BINDING}"))
        }
    };
    let outcome = if failure.is_some() {
        "stored_directly"
    } else {
        "sent"
    };
    metrics::record(|m| m.inc("click_messages_total", &[("outcome", outcome)], 1));
    let Some(cause) = failure else {
        return;
    };
    let fallback = store(env, batch.clone()).await;
    log::error(
        "click_queue_send_failed",
        json!({
            "clicks": batch.len(),
            "cause": cause,
            "stored_directly": fallback.is_ok(),
            "fallback_error": fallback.err().map(|e| e.to_string()),
        }),
    );
}

/// Stores events exactly once: raw clicks first, then everything pending is counted.
async fn store(env: &Env, events: Vec<ClickEvent>) -> Result<(usize, usize), StoreError> {
    let mut clicks = Vec::with_capacity(events.len());
    let mut dropped = 0;
    for e in events {
        let id = e.id.clone();
        let stored = CLASSIFIER.with(|c| {
            let mut c = c.borrow_mut();
            StoredClick::from_event_with(e, &mut |ua| c.classify(ua))
        });
        match stored {
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
    let new = db.insert(&clicks).await?;
    metrics::record(|m| m.inc("clicks_stored_total", &[], new as u64));
    // While a restore is pending, clicks wait raw and uncounted: counting would write
    // rollups into the database that must stay empty for the restore (which counts them).
    if crate::restore_mode::state(env).await?.1.is_on() {
        return Ok((new, dropped));
    }
    // Also with no new rows: a batch that died after its insert left pending rows.
    db.count_pending().await?;
    // The clicks' webhook events (ids from the clicks: a retried batch raises them once). A
    // failure retries the batch, so no event is lost.
    crate::services::webhooks::clicks(env, &clicks).await?;
    Ok((new, dropped))
}

/// The queue consumer. On any failure the whole batch is retried: already stored clicks
/// are skipped by id, and pending ones are counted by whichever batch gets there first.
pub async fn consume(batch: MessageBatch<serde_json::Value>, env: &Env) {
    consume_batch(batch, env).await;
    metrics::flush_now(env).await;
}

async fn consume_batch(batch: MessageBatch<serde_json::Value>, env: &Env) {
    let messages = match batch.messages() {
        Ok(m) => m,
        Err(e) => {
            log::error("click_batch_unreadable", json!({ "cause": e.to_string() }));
            batch.retry_all();
            return;
        }
    };
    let message_count = messages.len();
    let mut events = Vec::new();
    let mut malformed = 0;
    for m in messages {
        match click::decode_message(m.into_body()) {
            Ok(clicks) => events.extend(clicks),
            Err(e) => {
                // Redelivering cannot fix it: acknowledged with the batch, and said loudly.
                malformed += 1;
                log::error("click_message_malformed", json!({ "cause": e }));
            }
        }
    }
    let received = events.len();
    match store(env, events).await {
        Ok((new, dropped)) => {
            batch.ack_all();
            metrics::record(|m| {
                m.inc("click_batches_total", &[("outcome", "stored")], 1);
            });
            log::info(
                "clicks_stored",
                json!({
                    "queue": batch.queue(),
                    "messages": message_count,
                    "received": received,
                    "new": new,
                    "duplicates": received - dropped - new,
                    "dropped": dropped,
                    "malformed_messages": malformed,
                }),
            );
        }
        Err(e) => {
            batch.retry_all();
            metrics::record(|m| m.inc("click_batches_total", &[("outcome", "retried")], 1));
            log::error(
                "click_batch_failed",
                json!({ "queue": batch.queue(), "messages": message_count, "received": received, "cause": e.to_string(), "retry": true }),
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
    let now = crate::clock::now_utc();
    let cutoff = uload_core::time::format(now - chrono::Duration::days(cfg.click_retention_days));
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
