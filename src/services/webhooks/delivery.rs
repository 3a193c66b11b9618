//! The delivery queue's consumer: one signed POST per message (a batch's at once), with a
//! timeout; a failure is retried by the queue after an exponential, jittered delay, and
//! enough of them in a row disable the endpoint. On the dead-letter queue: the attempt is logged as dead (the
//! owner gets it again by enabling the endpoint).

use std::time::Duration;

use futures_util::future::{join_all, select, Either};
use serde_json::{json, Value};
use worker::{
    Delay, Env, Fetch, Headers, MessageBatch, MessageExt, Method, QueueRetryOptionsBuilder,
    Request, RequestInit, RequestRedirect,
};

use super::Delivery;
use crate::config::Config;
use crate::log;
use crate::store::d1;
use crate::store::webhooks_db::{EndpointRow, EventRow, WebhooksDb};
use uload_core::webhook;

/// The consumer of the delivery queue.
pub async fn consume(batch: MessageBatch<Value>, env: &Env, cfg: &Config) {
    let dead = batch.queue().ends_with("-dlq");
    let messages = match batch.messages() {
        Ok(m) => m,
        Err(e) => {
            log::error(
                "webhook_batch_unreadable",
                json!({ "cause": e.to_string() }),
            );
            batch.retry_all();
            return;
        }
    };
    let Ok(db) = d1::database(env) else {
        batch.retry_all();
        return;
    };
    let store = WebhooksDb { db: &db };
    let parsed: Vec<Option<Delivery>> = messages
        .iter()
        .map(|m| serde_json::from_value(m.body().clone()).ok())
        .collect();
    let event_ids: Vec<String> = parsed.iter().flatten().map(|d| d.event.clone()).collect();
    let endpoint_ids: Vec<String> = parsed
        .iter()
        .flatten()
        .map(|d| d.endpoint.clone())
        .collect();
    let (events, endpoints) = match (
        store.events(&event_ids).await,
        store.endpoints(&endpoint_ids).await,
    ) {
        (Ok(ev), Ok(ep)) => (ev, ep),
        (Err(e), _) | (_, Err(e)) => {
            log::warn("webhook_batch_failed", json!({ "cause": e.to_string() }));
            batch.retry_all();
            return;
        }
    };
    // First what needs no request (malformed, gone, dead letters, disabled endpoints), then
    // every delivery of the batch at once: a slow receiver holds its batch for one timeout,
    // not for one per message (order is not promised anyway: retries overtake).
    let mut sending = Vec::new();
    for (message, delivery) in messages.iter().zip(parsed) {
        let Some(delivery) = delivery else {
            log::error(
                "webhook_message_malformed",
                json!({ "body": message.body() }),
            );
            message.ack();
            continue;
        };
        let event = events.iter().find(|e| e.id == delivery.event);
        let endpoint = endpoints.iter().find(|e| e.id == delivery.endpoint);
        let (Some(event), Some(endpoint)) = (event, endpoint) else {
            // Deleted endpoint, or an event past retention: nothing left to deliver.
            message.ack();
            continue;
        };
        let attempt = message.attempts();
        if dead {
            // Every retry failed: said in the log; sent again when the owner enables it.
            log_only(
                &store,
                endpoint,
                event,
                attempt,
                "dead",
                Some("retries exhausted"),
            )
            .await;
            message.ack();
        } else if !endpoint.enabled {
            let why = endpoint.disabled_reason.as_deref();
            log_only(&store, endpoint, event, attempt, "skipped", why).await;
            message.ack();
        } else {
            sending.push((message, event, endpoint, attempt));
        }
    }
    let outcomes = join_all(sending.iter().map(|(_, ev, ep, _)| deliver(ep, ev, cfg))).await;
    for ((message, event, endpoint, attempt), (outcome, latency)) in
        sending.into_iter().zip(outcomes)
    {
        let (kind, status, error) = match &outcome {
            Ok(s) => ("delivered", Some(*s), None),
            Err((s, why)) => ("failed", *s, Some(why.as_str())),
        };
        let now = crate::clock::now_iso();
        let limit = cfg.webhooks.disable_after;
        let recorded = store
            .record(
                &endpoint.id,
                event,
                attempt,
                kind,
                status,
                latency,
                error,
                &now,
                limit,
            )
            .await;
        match recorded {
            _ if outcome.is_ok() => message.ack(),
            // Disabled by this failure: its owner sees why, and gets the event when they
            // enable it again.
            Ok(false) => {
                let why = Some("endpoint disabled");
                log_only(&store, endpoint, event, attempt, "skipped", why).await;
                message.ack();
            }
            _ => {
                let delay = webhook::backoff_seconds(
                    attempt,
                    cfg.webhooks.retry_base_s,
                    cfg.webhooks.retry_max_s,
                    unit_random(),
                );
                let options = QueueRetryOptionsBuilder::new()
                    .with_delay_seconds(delay)
                    .build();
                message.retry_with_options(&options);
            }
        }
        log::info(
            "webhook_attempt",
            json!({ "endpoint": endpoint.id, "event": event.id, "type": event.kind, "attempt": attempt, "outcome": kind, "status": status, "error": error }),
        );
    }
}

/// A random number in [0, 1) for the back-off's jitter.
fn unit_random() -> f64 {
    let b = crate::runtime::random_bytes(4);
    f64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])) / (f64::from(u32::MAX) + 1.0)
}

/// One signed POST. `Ok(status)` for a 2xx; otherwise the status (if any) and why. With
/// the time to the answer, when there was one.
async fn deliver(
    ep: &EndpointRow,
    ev: &EventRow,
    cfg: &Config,
) -> (Result<u16, (Option<u16>, String)>, Option<u64>) {
    let mut data: Value = ev
        .data
        .as_deref()
        .and_then(|d| serde_json::from_str(d).ok())
        .unwrap_or(Value::Null);
    if let Some(code) = data.get("code").and_then(Value::as_str) {
        let short = format!(
            "{}{}",
            cfg.short_base_url,
            uload_core::code::public_path(code)
        );
        data["short_url"] = Value::from(short);
    }
    let body = webhook::body(&ev.kind, &ev.created_at, &data);
    let timestamp = (crate::clock::now_ms() / 1000) as i64;
    let now = crate::clock::now_iso();
    let signature = webhook::signature_header(&ep.signing_secrets(&now), &ev.id, timestamp, &body);
    let headers = Headers::new();
    for (k, v) in [
        ("content-type", "application/json"),
        ("user-agent", "uload-webhooks/1 (+https://ulo.ad)"),
        ("webhook-id", ev.id.as_str()),
        ("webhook-timestamp", &timestamp.to_string()),
        ("webhook-signature", &signature),
    ] {
        let _ = headers.set(k, v);
    }
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_redirect(RequestRedirect::Manual)
        .with_body(Some(body.into()));
    let request = match Request::new_with_init(&ep.url, &init) {
        Ok(r) => r,
        Err(e) => return (Err((None, e.to_string())), None),
    };
    let started = crate::clock::now_ms();
    let fetch = Fetch::Request(request);
    let sent = Box::pin(fetch.send());
    let timer = Box::pin(Delay::from(Duration::from_millis(cfg.webhooks.timeout_ms)));
    let answered = match select(sent, timer).await {
        Either::Left((Ok(res), _)) => {
            let status = res.status_code();
            let latency = Some(crate::clock::now_ms().saturating_sub(started));
            let outcome = match status {
                200..=299 => Ok(status),
                300..=399 => Err((
                    Some(status),
                    format!("HTTP {status}: redirects are not followed"),
                )),
                _ => Err((Some(status), format!("HTTP {status}"))),
            };
            (outcome, latency)
        }
        Either::Left((Err(e), _)) => (Err((None, format!("request failed: {e}"))), None),
        Either::Right(_) => (
            Err((
                None,
                format!("no answer within {} ms", cfg.webhooks.timeout_ms),
            )),
            None,
        ),
    };
    answered
}

/// An attempt that made no request (the endpoint is disabled, or every retry failed):
/// logged for the endpoint's owner, who gets the event when they enable it again. A log
/// that fails is not worth a retry of the delivery.
async fn log_only(
    store: &WebhooksDb<'_>,
    ep: &EndpointRow,
    ev: &EventRow,
    attempt: u32,
    outcome: &str,
    why: Option<&str>,
) {
    let now = crate::clock::now_iso();
    let _ = store
        .record(
            &ep.id,
            ev,
            attempt,
            outcome,
            None,
            None,
            why,
            &now,
            u32::MAX,
        )
        .await;
}
