//! What the webhook API answers: endpoints (their secret only once, when made) and the log
//! of delivery attempts. Their JSON Schemas are the OpenAPI document's.

use schemars::JsonSchema;
use serde::Serialize;

use super::{EVENT_TYPES, SECRET_PREFIX};

/// What became of a delivery attempt: delivered, failed (retried later), skipped (the
/// endpoint was disabled or no longer qualifies) or dead (every retry failed).
pub const OUTCOMES: [&str; 4] = ["delivered", "failed", "skipped", "dead"];

/// An endpoint as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(rename = "WebhookEndpoint", deny_unknown_fields)]
pub struct Endpoint {
    pub id: String,
    #[schemars(extend("format" = "uri"))]
    pub url: String,
    pub description: Option<String>,
    #[schemars(extend("items" = { "enum": EVENT_TYPES }))]
    pub events: Vec<String>,
    pub workspace_id: Option<String>,
    pub enabled: bool,
    /// Why it was disabled: by its owner, or after WEBHOOK_DISABLE_AFTER failed deliveries
    /// in a row (with the last error).
    pub disabled_reason: Option<String>,
    pub consecutive_failures: u64,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub updated_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub last_success_at: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub last_failure_at: Option<String>,
    pub last_failure_reason: Option<String>,
    /// After a rotation: until when the previous secret signs too.
    #[schemars(extend("format" = "date-time"))]
    pub previous_secret_until: Option<String>,
}

/// An endpoint with its signing secret: answered once, when it is made or rotated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(rename = "WebhookEndpointWithSecret", deny_unknown_fields)]
pub struct EndpointWithSecret {
    #[serde(flatten)]
    pub endpoint: Endpoint,
    /// The signing secret (Standard Webhooks): shown in this response only.
    #[schemars(extend("pattern" = format!("^{SECRET_PREFIX}[A-Za-z0-9+/=]+$")))]
    pub secret: String,
}

/// A test event queued for the endpoint (its outcome is in the delivery log).
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "WebhookTestQueued", deny_unknown_fields)]
pub struct TestQueued {
    pub event_id: String,
    #[serde(rename = "type")]
    #[schemars(extend("const" = super::TEST_EVENT))]
    pub event_type: &'static str,
}

/// What a receiver gets: the Standard Webhooks shape.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "WebhookPayload")]
pub struct Payload<'a> {
    #[serde(rename = "type")]
    #[schemars(extend("enum" = payload_types()))]
    pub event_type: &'a str,
    /// When the event happened.
    #[schemars(extend("format" = "date-time"))]
    pub timestamp: &'a str,
    /// Link events: the link (id, code, short_url, url, title, description, is_active,
    /// has_password, max_clicks, expires_at, workspace_id, redirect_status, blocked, version,
    /// created_at, updated_at); link.clicked: {clicks: [{click_id, link_id, code, clicked_at,
    /// is_bot, browser, os, device_type, referer_host, country, city, utm_source, utm_medium,
    /// utm_campaign}]}.
    #[schemars(with = "serde_json::Map<String, serde_json::Value>")]
    pub data: &'a serde_json::Value,
}

/// Every event type a payload can carry: the subscribable ones and the test event.
fn payload_types() -> Vec<&'static str> {
    EVENT_TYPES
        .iter()
        .copied()
        .chain([super::TEST_EVENT])
        .collect()
}

/// One delivery attempt, as the endpoint's owner sees it.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "WebhookAttempt", deny_unknown_fields)]
pub struct Attempt {
    pub event_id: String,
    pub event_type: String,
    pub attempt: u64,
    #[schemars(extend("enum" = OUTCOMES))]
    pub outcome: String,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<u64>,
    pub latency_ms: Option<u64>,
    pub error: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub at: String,
}
