//! Webhook delivery: the dispatcher (events → one queue message per subscribed endpoint),
//! the queue consumer (signed POSTs with a timeout, retries with back-off and jitter, the
//! endpoint disabled after too many failures in a row), the dead-letter consumer, and the
//! events that are not written by the link triggers (clicks, limits, expiries).
//!
//! At least once, never silently: an event is in D1 before anything is sent (the outbox),
//! a dispatcher that dies leaves it to the next one, a delivery that fails is retried by
//! the queue with the same `webhook-id`, and whatever an endpoint could not take is in its
//! delivery log and is sent again when its owner enables it.

use std::cell::RefCell;
use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use worker::{Context, Env};

use crate::config::Config;
use crate::log;
use crate::store::d1;
use crate::store::webhooks_db::{outbox, EndpointRow, EventRow, NewEvent, WebhooksDb};
use crate::store::StoreError;
use uload_core::webhook;

mod delivery;
pub use delivery::consume;

pub const QUEUE_BINDING: &str = "WEBHOOK_DELIVERIES";
/// The delivery queue's name starts so (uload-webhooks, -staging, -dlq): how the queue
/// handler tells its batches from the clicks'.
pub const QUEUE_PREFIX: &str = "uload-webhooks";
/// Events claimed per round, and how long a claim holds.
const CLAIM: u32 = 100;
const LEASE_MS: i64 = 60_000;
/// Clicks in one `link.clicked` event (about 300 bytes each): a body receivers take, and a
/// row well under D1's 2 MB.
const CLICKS_PER_EVENT: usize = 500;

/// One delivery: an event for an endpoint. Small: the consumer reads the event from D1, so
/// every attempt sends the same body.
#[derive(Debug, Serialize, Deserialize)]
pub struct Delivery {
    pub event: String,
    pub endpoint: String,
}

/// After a successful API write: hands undispatched events to the queue, after the
/// response, when the write may have raised some. A link write says whether it left events
/// behind (`outbox`); one that raised none (nobody listens to the owner's links) skips the
/// dispatcher's claim, a D1 write. The other writes always dispatch.
/// `link_writes`: the operation's `link_writes_only`.
pub fn after_write(link_writes: bool, env: &Env, ctx: &Context) {
    let noted = outbox::take();
    if noted || !link_writes {
        dispatch_soon(env, ctx);
    }
}

/// Hands undispatched events to the queue, after the response.
pub fn dispatch_soon(env: &Env, ctx: &Context) {
    let env = env.clone();
    ctx.wait_until(async move {
        if let Err(e) = dispatch(&env).await {
            log::warn("webhook_dispatch_failed", json!({ "cause": e.to_string() }));
        }
    });
}

/// Claims undispatched events, sends one delivery per subscribed endpoint, marks them
/// dispatched. Returns how many deliveries were queued.
pub async fn dispatch(env: &Env) -> Result<usize, StoreError> {
    let db = d1::database(env)?;
    let store = WebhooksDb { db: &db };
    let queue = delivery_queue(env)?;
    let mut sent = 0;
    loop {
        crate::metrics::record(|m| m.inc("webhook_outbox_claims_total", &[], 1));
        let events = store
            .claim(crate::clock::now_ms() as i64, LEASE_MS, CLAIM)
            .await?;
        if events.is_empty() {
            return Ok(sent);
        }
        let mut owners: Vec<Option<String>> = events.iter().map(|e| e.user_id.clone()).collect();
        owners.sort();
        owners.dedup();
        let mut workspaces: Vec<String> = events
            .iter()
            .filter_map(|e| e.workspace_id.clone())
            .collect();
        workspaces.sort();
        workspaces.dedup();
        let endpoints = store.endpoints_of(&owners, &workspaces).await?;
        let mut deliveries: Vec<Delivery> = Vec::new();
        for ev in &events {
            for ep in endpoints.iter().filter(|ep| takes(ep, ev)) {
                if ep.enabled {
                    deliveries.push(Delivery {
                        event: ev.id.clone(),
                        endpoint: ep.id.clone(),
                    });
                } else {
                    // Not sent; logged, and sent when its owner enables it again.
                    let reason = ep.disabled_reason.as_deref().unwrap_or("endpoint disabled");
                    store
                        .record(
                            &ep.id,
                            ev,
                            0,
                            "skipped",
                            None,
                            None,
                            Some(reason),
                            &crate::clock::now_iso(),
                            u32::MAX,
                        )
                        .await?;
                }
            }
        }
        enqueue(&queue, &deliveries).await?;
        sent += deliveries.len();
        let ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
        store
            .mark_dispatched(&ids, &crate::clock::now_iso())
            .await?;
        if events.len() < CLAIM as usize {
            return Ok(sent);
        }
    }
}

/// Whether an endpoint takes an event: a test event goes to its endpoint only; the others
/// as `webhook::subscribed` says (membership is checked by the query that found it).
fn takes(ep: &EndpointRow, ev: &EventRow) -> bool {
    match &ev.endpoint_id {
        Some(id) => *id == ep.id,
        None => webhook::subscribed(
            &ep.event_list(),
            scope(&ep.user_id, &ep.workspace_id),
            &ev.kind,
            scope(&ev.user_id, &ev.workspace_id),
        ),
    }
}

thread_local! {
    /// Links whose `link.limit_reached` this isolate raised already.
    static LIMITS_RAISED: RefCell<HashSet<(String, u64)>> = RefCell::new(HashSet::new());
}

fn scope<'a>(user: &'a Option<String>, workspace: &'a Option<String>) -> webhook::Scope<'a> {
    webhook::Scope {
        user: user.as_deref(),
        workspace: workspace.as_deref(),
    }
}

/// Queues deliveries (a send takes at most 100 messages).
async fn enqueue(queue: &worker::Queue, deliveries: &[Delivery]) -> Result<(), StoreError> {
    for chunk in deliveries.chunks(100) {
        let batch: Vec<&Delivery> = chunk.iter().collect();
        queue
            .send_batch(batch)
            .await
            .map_err(|e| StoreError::unavailable("webhook queue", e))?;
    }
    Ok(())
}

fn delivery_queue(env: &Env) -> Result<worker::Queue, StoreError> {
    env.queue(QUEUE_BINDING)
        .map_err(|e| StoreError::unavailable("webhook queue", e))
}

/// Sends again what an endpoint missed (its owner enabled it again).
pub async fn redeliver_missed(env: &Env, endpoint_id: &str) -> Result<usize, StoreError> {
    let db = d1::database(env)?;
    let missed = WebhooksDb { db: &db }.missed(endpoint_id).await?;
    let queue = delivery_queue(env)?;
    let deliveries: Vec<Delivery> = missed
        .iter()
        .map(|event| Delivery {
            event: event.clone(),
            endpoint: endpoint_id.to_string(),
        })
        .collect();
    enqueue(&queue, &deliveries).await?;
    Ok(deliveries.len())
}

/// A limited link ran out: `link.limit_reached`, once per isolate (and once in all, by its
/// id), after the response.
pub fn limit_reached(env: &Env, ctx: &Context, link_id: &str, max: u64) {
    let first = LIMITS_RAISED.with(|s| {
        let mut s = s.borrow_mut();
        if s.len() > 10_000 {
            s.clear();
        }
        s.insert((link_id.to_string(), max))
    });
    if !first {
        return;
    }
    let env = env.clone();
    let link_id = link_id.to_string();
    ctx.wait_until(async move {
        let result = async {
            let db = d1::database(&env)?;
            WebhooksDb { db: &db }
                .insert_limit_reached(&link_id, max, &crate::clock::now_iso())
                .await?;
            dispatch(&env).await
        }
        .await;
        if let Err(e) = result {
            log::warn(
                "webhook_limit_event_failed",
                json!({ "link_id": link_id, "cause": e.to_string() }),
            );
        }
    });
}

/// After a batch of clicks is stored: one `link.clicked` event per owner (and workspace)
/// that takes them, with every click of the batch. Ids come from the clicks, so a batch
/// delivered twice raises each event once.
pub async fn clicks(
    env: &Env,
    clicks: &[uload_core::click::StoredClick],
) -> Result<(), StoreError> {
    if clicks.is_empty() {
        return Ok(());
    }
    let db = d1::database(env)?;
    let store = WebhooksDb { db: &db };
    let mut link_ids: Vec<&str> = clicks.iter().map(|c| c.link_id.as_str()).collect();
    link_ids.sort_unstable();
    link_ids.dedup();
    let owners = store.click_subscribers(&link_ids).await?;
    if owners.is_empty() {
        return Ok(());
    }
    // Per owner and workspace, the batch's clicks in id order, in events of at most
    // CLICKS_PER_EVENT: ids from the clicks, so a redelivered batch raises the same events;
    // bounded, so no event outgrows a D1 row or a receiver's body limit.
    type Owner = (Option<String>, Option<String>);
    let mut groups: Vec<(Owner, Vec<(&uload_core::click::StoredClick, &str)>)> = Vec::new();
    for c in clicks {
        let Some(o) = owners.iter().find(|o| o.id == c.link_id) else {
            continue;
        };
        let key = (o.user_id.clone(), o.workspace_id.clone());
        match groups.iter_mut().find(|g| g.0 == key) {
            Some(g) => g.1.push((c, &o.code)),
            None => groups.push((key, vec![(c, &o.code)])),
        }
    }
    let mut events: Vec<NewEvent> = Vec::new();
    for ((user_id, workspace_id), mut list) in groups {
        list.sort_by(|a, b| a.0.id.cmp(&b.0.id));
        for chunk in list.chunks(CLICKS_PER_EVENT) {
            let ids: Vec<&str> = chunk.iter().map(|(c, _)| c.id.as_str()).collect();
            let views: Vec<Value> = chunk
                .iter()
                .map(|(c, code)| uload_core::click::webhook_view(c, code))
                .collect();
            events.push(NewEvent {
                id: format!("msg_clicks_{}", uload_core::click::batch_id(&ids)),
                kind: "link.clicked",
                user_id: user_id.clone(),
                workspace_id: workspace_id.clone(),
                data: json!({ "clicks": views }),
            });
        }
    }
    store
        .insert_events(&events, &crate::clock::now_iso())
        .await?;
    dispatch(env).await.map(|_| ())
}

/// Every minute: `link.expired` for links that expired since the last run (with overlap;
/// ids make repeats no-ops), events left undispatched, and the retention of old ones.
pub async fn tick(env: &Env, cfg: &Config) -> Result<(), StoreError> {
    let db = d1::database(env)?;
    let store = WebhooksDb { db: &db };
    let now = crate::clock::now_utc();
    let since = uload_core::time::format(now - chrono::Duration::minutes(10));
    store
        .insert_expired(&since, &uload_core::time::format(now))
        .await?;
    dispatch(env).await?;
    if now.format("%M").to_string() == "00" {
        let before =
            uload_core::time::format(now - chrono::Duration::days(cfg.webhooks.retention_days));
        store.prune(&before).await?;
    }
    Ok(())
}
