//! Webhooks API: endpoints (create, list, read, change, delete), secret rotation, a test
//! event and the delivery log. The dashboard's service token only, acting for a user; an
//! endpoint belongs to that user (another user's is simply not found). With a
//! `workspace_id` (of a workspace the user is a member of) it is the workspace's: it takes
//! the events of every link in it, whoever's, for as long as its owner is a member.

use serde_json::{json, Value};
use uload_core::problem::Code;

use super::Ctx;
use crate::error::ApiError;
use crate::http::Reply;
use crate::runtime;
use crate::services::webhooks as delivery;
use crate::store::d1;
use crate::store::webhooks_db::{EndpointRow, WebhooksDb};
use uload_core::fields::Field;
use uload_core::page::List;
use uload_core::webhook::{self, EndpointWithSecret, UrlRules};

/// How long the previous secret keeps signing after a rotation.
const ROTATION_OVERLAP_HOURS: i64 = 24;
/// Attempts shown by the delivery log.
const LOG_LENGTH: u32 = 100;

fn url_rules<'a>(c: &'a Ctx<'_>) -> UrlRules<'a> {
    UrlRules {
        allow_loopback: c.cfg.webhooks.allow_loopback,
        own_hosts: &c.cfg.target_policy.own_hosts,
    }
}

fn new_secret() -> String {
    webhook::new_secret(&runtime::random_bytes(24))
}

async fn found(c: &Ctx<'_>, id: &str) -> Result<EndpointRow, ApiError> {
    let db = d1::database(c.env)?;
    WebhooksDb { db: &db }
        .get(id, c.who.owner())
        .await?
        .ok_or(ApiError::NotFound)
}

pub async fn list(c: &Ctx<'_>) -> Result<Reply, ApiError> {
    let db = d1::database(c.env)?;
    let rows = WebhooksDb { db: &db }.list(c.who.owner()).await?;
    let data: Vec<_> = rows.iter().map(EndpointRow::view).collect();
    Ok(Reply::json(200, &List::from(data)))
}

/// 201 with the secret: the only time it is shown.
pub async fn create(c: &Ctx<'_>, body: &Value) -> Result<Reply, ApiError> {
    let fields = webhook::parse(body, true, &url_rules(c)).map_err(ApiError::Validation)?;
    if let Field::Value(slug) = &fields.workspace_id {
        super::workspaces::check_use(c, slug).await?;
    }
    let db = d1::database(c.env)?;
    let store = WebhooksDb { db: &db };
    if store.count(c.who.owner()).await? >= webhook::MAX_ENDPOINTS as u64 {
        return Err(ApiError::Conflict {
            code: Code::TooManyWebhooks,
            field: "",
            detail: format!(
                "a user has at most {} webhook endpoints; delete one first",
                webhook::MAX_ENDPOINTS
            ),
        });
    }
    let id = runtime::random_id();
    let secret = new_secret();
    let row = store
        .insert(
            &id,
            c.who.owner(),
            &fields,
            &secret,
            &crate::clock::now_iso(),
        )
        .await?
        .ok_or_else(|| ApiError::Internal("the endpoint was not stored".into()))?;
    let view = EndpointWithSecret {
        endpoint: row.view(),
        secret,
    };
    Ok(Reply::json(201, &view).header("location", format!("/api/v1/webhooks/{id}")))
}

pub async fn get(c: &Ctx<'_>, id: &str) -> Result<Reply, ApiError> {
    Ok(Reply::json(200, &found(c, id).await?.view()))
}

/// A partial update. `enabled: true` clears the endpoint's failures and sends it what it
/// missed: events skipped while it was disabled, and deliveries whose every retry failed.
pub async fn update(c: &Ctx<'_>, id: &str, body: &Value) -> Result<Reply, ApiError> {
    let fields = webhook::parse(body, false, &url_rules(c)).map_err(ApiError::Validation)?;
    found(c, id).await?;
    if let Field::Value(slug) = &fields.workspace_id {
        super::workspaces::check_use(c, slug).await?;
    }
    let db = d1::database(c.env)?;
    let row = WebhooksDb { db: &db }
        .update(id, c.who.owner(), &fields, &crate::clock::now_iso())
        .await?
        .ok_or(ApiError::NotFound)?;
    if fields.enabled == Field::Value(true) {
        let n = delivery::redeliver_missed(c.env, id).await?;
        crate::log::info(
            "webhook_enabled",
            json!({ "endpoint": id, "redelivered": n }),
        );
    }
    Ok(Reply::json(200, &row.view()))
}

pub async fn delete(c: &Ctx<'_>, id: &str) -> Result<Reply, ApiError> {
    let db = d1::database(c.env)?;
    if (WebhooksDb { db: &db }).delete(id, c.who.owner()).await? {
        Ok(Reply::no_content())
    } else {
        Err(ApiError::NotFound)
    }
}

/// A new secret, shown once; the previous one keeps signing for a day (both signatures
/// are sent), so receivers can switch without losing a delivery.
pub async fn rotate(c: &Ctx<'_>, id: &str) -> Result<Reply, ApiError> {
    let db = d1::database(c.env)?;
    let now = crate::clock::now_utc();
    let until = uload_core::time::format(now + chrono::Duration::hours(ROTATION_OVERLAP_HOURS));
    let secret = new_secret();
    let row = WebhooksDb { db: &db }
        .rotate(
            id,
            c.who.owner(),
            &secret,
            &until,
            &uload_core::time::format(now),
        )
        .await?
        .ok_or(ApiError::NotFound)?;
    let view = EndpointWithSecret {
        endpoint: row.view(),
        secret,
    };
    Ok(Reply::json(200, &view))
}

/// Sends a `webhook.test` event to this endpoint (through the queue, like every event):
/// 202 with its id; the outcome is in the delivery log.
pub async fn test(c: &Ctx<'_>, id: &str) -> Result<Reply, ApiError> {
    let endpoint = found(c, id).await?;
    let db = d1::database(c.env)?;
    let event_id = format!("msg_{}", runtime::random_id());
    let now = crate::clock::now_iso();
    let data = json!({ "endpoint_id": endpoint.id, "message": "a test event from uLoad" });
    WebhooksDb { db: &db }
        .insert_targeted(&event_id, webhook::TEST_EVENT, &endpoint, &data, &now)
        .await?;
    delivery::dispatch(c.env).await?;
    Ok(Reply::json(
        202,
        &webhook::TestQueued {
            event_id,
            event_type: webhook::TEST_EVENT,
        },
    ))
}

pub async fn deliveries(c: &Ctx<'_>, id: &str) -> Result<Reply, ApiError> {
    let endpoint = found(c, id).await?;
    let db = d1::database(c.env)?;
    let attempts = WebhooksDb { db: &db }
        .attempts(&endpoint.id, LOG_LENGTH)
        .await?;
    Ok(Reply::json(200, &List::from(attempts)))
}
