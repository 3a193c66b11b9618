//! Webhook events (the outbox) and delivery attempts: what the dispatcher claims and the
//! consumer records, and the events raised outside the link triggers (clicks, limits,
//! expiries, tests), with ids that make a second insert of one event a no-op.

use serde::Deserialize;
use serde_json::Value;

use super::{ClickOwner, EndpointRow, NewEvent, WebhooksDb, COLUMNS};
use crate::store::d1;
use crate::store::StoreError;

/// An event as the dispatcher and the consumer read it.
#[derive(Debug, Clone, Deserialize)]
pub struct EventRow {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub user_id: Option<String>,
    pub workspace_id: Option<String>,
    pub endpoint_id: Option<String>,
    pub created_at: String,
    #[serde(default)]
    pub data: Option<String>,
}

/// One delivery attempt as stored (D1 numbers arrive as floats).
#[derive(Debug, Deserialize)]
struct AttemptRow {
    event_id: String,
    event_type: String,
    attempt: f64,
    outcome: String,
    status: Option<f64>,
    latency_ms: Option<f64>,
    error: Option<String>,
    at: String,
}

pub use uload_core::webhook::Attempt;

/// A link's snapshot in an event's data, as the triggers write it (migrations/0014).
const LINK_JSON: &str = "json_object('id', l.id, 'code', l.code, 'url', l.url, 'title', l.title, \
    'description', l.description, \
    'is_active', json(CASE WHEN l.is_active THEN 'true' ELSE 'false' END), \
    'has_password', json(CASE WHEN l.password_hash IS NULL THEN 'false' ELSE 'true' END), \
    'max_clicks', l.max_clicks, 'expires_at', l.expires_at, 'workspace_id', l.workspace_id, \
    'redirect_status', l.redirect_status, \
    'blocked', json(CASE WHEN l.blocked_reason IS NULL THEN 'false' ELSE 'true' END), \
    'version', l.version, 'created_at', l.created_at, 'updated_at', l.updated_at)";

/// Someone listens to the link's `event`: an endpoint of its owner or of its workspace (a
/// disabled one too: it gets what it missed when enabled again).
fn subscribed(event: &str) -> String {
    format!(
        "EXISTS (SELECT 1 FROM webhook_endpoints e, json_each(e.events) ev \
         WHERE (e.user_id IS l.user_id OR e.workspace_id = l.workspace_id) AND ev.value = '{event}')"
    )
}

impl WebhooksDb<'_> {
    /// The newest attempts of an endpoint, newest first.
    pub async fn attempts(
        &self,
        endpoint_id: &str,
        limit: u32,
    ) -> Result<Vec<Attempt>, StoreError> {
        let rows: Vec<AttemptRow> = d1::all(
            self.db,
            "SELECT event_id, event_type, attempt, outcome, status, latency_ms, error, at \
             FROM webhook_deliveries WHERE endpoint_id = ?1 ORDER BY id DESC LIMIT ?2",
            &[endpoint_id.into(), i64::from(limit).into()],
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| Attempt {
                event_id: r.event_id,
                event_type: r.event_type,
                attempt: d1::uint(r.attempt),
                outcome: r.outcome,
                status: r.status.map(d1::uint),
                latency_ms: r.latency_ms.map(d1::uint),
                error: r.error,
                at: r.at,
            })
            .collect())
    }

    /// An event for one endpoint only (a test).
    pub async fn insert_targeted(
        &self,
        id: &str,
        kind: &str,
        endpoint: &EndpointRow,
        data: &Value,
        now: &str,
    ) -> Result<(), StoreError> {
        d1::run(
            self.db,
            "INSERT INTO webhook_events (id, type, user_id, workspace_id, endpoint_id, data, created_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            &[
                id.into(),
                kind.into(),
                endpoint.user_id.as_deref().into(),
                endpoint.workspace_id.as_deref().into(),
                endpoint.id.as_str().into(),
                data.to_string().into(),
                now.into(),
            ],
        )
        .await
        .map(|_| ())
    }

    /// Claims undispatched events (oldest first) for `lease_ms`: a dispatcher that dies
    /// leaves them to the next one after the lease.
    pub async fn claim(
        &self,
        now_ms: i64,
        lease_ms: i64,
        limit: u32,
    ) -> Result<Vec<EventRow>, StoreError> {
        d1::all(
            self.db,
            "UPDATE webhook_events SET claimed_until = ?1 + ?2 WHERE id IN (SELECT id FROM webhook_events \
             WHERE dispatched_at IS NULL AND (claimed_until IS NULL OR claimed_until < ?1) \
             ORDER BY created_at, rowid LIMIT ?3) \
             RETURNING id, type, user_id, workspace_id, endpoint_id, created_at",
            &[now_ms.into(), lease_ms.into(), i64::from(limit).into()],
        )
        .await
    }

    pub async fn mark_dispatched(&self, ids: &[String], now: &str) -> Result<(), StoreError> {
        d1::run(
            self.db,
            "UPDATE webhook_events SET dispatched_at = ?2 WHERE id IN (SELECT value FROM json_each(?1))",
            &[serde_json::to_string(ids).unwrap_or_default().into(), now.into()],
        )
        .await
        .map(|_| ())
    }

    /// The endpoints of these owners (None: the service namespace).
    /// The endpoints that may take events of these owners and workspaces: the owners' own
    /// (None: the service namespace), and the workspaces' whose owner is still a member.
    pub async fn endpoints_of(
        &self,
        owners: &[Option<String>],
        workspaces: &[String],
    ) -> Result<Vec<EndpointRow>, StoreError> {
        let with_null = owners.iter().any(Option::is_none);
        let ids: Vec<&str> = owners.iter().flatten().map(String::as_str).collect();
        d1::all(
            self.db,
            &format!(
                "SELECT {COLUMNS} FROM webhook_endpoints e WHERE \
                 (e.workspace_id IS NULL AND (e.user_id IN (SELECT value FROM json_each(?1)) \
                   OR (?2 = 1 AND e.user_id IS NULL))) \
                 OR (e.workspace_id IN (SELECT value FROM json_each(?3)) AND (e.user_id IS NULL \
                   OR EXISTS (SELECT 1 FROM workspace_members m \
                     WHERE m.workspace_slug = e.workspace_id AND m.user_id = e.user_id)))"
            ),
            &[
                serde_json::to_string(&ids).unwrap_or_default().into(),
                with_null.into(),
                serde_json::to_string(workspaces).unwrap_or_default().into(),
            ],
        )
        .await
    }

    pub async fn events(&self, ids: &[String]) -> Result<Vec<EventRow>, StoreError> {
        d1::all(
            self.db,
            "SELECT id, type, user_id, workspace_id, endpoint_id, created_at, data FROM webhook_events \
             WHERE id IN (SELECT value FROM json_each(?1))",
            &[serde_json::to_string(ids).unwrap_or_default().into()],
        )
        .await
    }

    pub async fn endpoints(&self, ids: &[String]) -> Result<Vec<EndpointRow>, StoreError> {
        d1::all(
            self.db,
            &format!(
                "SELECT {COLUMNS} FROM webhook_endpoints WHERE id IN (SELECT value FROM json_each(?1))"
            ),
            &[serde_json::to_string(ids).unwrap_or_default().into()],
        )
        .await
    }

    /// Records an attempt and what it says about the endpoint: a success clears its
    /// failures; a failure counts, and `disable_after` in a row disable it. Returns whether
    /// the endpoint is enabled afterwards.
    #[allow(clippy::too_many_arguments)]
    pub async fn record(
        &self,
        endpoint_id: &str,
        event: &EventRow,
        attempt: u32,
        outcome: &str,
        status: Option<u16>,
        latency_ms: Option<u64>,
        error: Option<&str>,
        now: &str,
        disable_after: u32,
    ) -> Result<bool, StoreError> {
        let log = d1::stmt(
            self.db,
            "INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, attempt, outcome, status, \
             latency_ms, error, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            &[
                endpoint_id.into(),
                event.id.as_str().into(),
                event.kind.as_str().into(),
                i64::from(attempt).into(),
                outcome.into(),
                status.map(i64::from).into(),
                latency_ms.map(|l| l as i64).into(),
                error.into(),
                now.into(),
            ],
        )?;
        let endpoint = match outcome {
            "delivered" => d1::stmt(
                self.db,
                "UPDATE webhook_endpoints SET consecutive_failures = 0, last_success_at = ?2 \
                 WHERE id = ?1 RETURNING enabled",
                &[endpoint_id.into(), now.into()],
            )?,
            "failed" => d1::stmt(
                self.db,
                "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, \
                 last_failure_at = ?2, last_failure_reason = ?3, \
                 enabled = CASE WHEN consecutive_failures + 1 >= ?4 THEN 0 ELSE enabled END, \
                 disabled_reason = CASE WHEN enabled = 1 AND consecutive_failures + 1 >= ?4 \
                   THEN 'disabled after ' || (consecutive_failures + 1) || ' failed deliveries in a row; last: ' || ?3 \
                   ELSE disabled_reason END \
                 WHERE id = ?1 RETURNING enabled",
                &[endpoint_id.into(), now.into(), error.into(), i64::from(disable_after).into()],
            )?,
            _ => d1::stmt(
                self.db,
                "SELECT enabled FROM webhook_endpoints WHERE id = ?1",
                &[endpoint_id.into()],
            )?,
        };
        #[derive(Deserialize)]
        struct Enabled {
            #[serde(deserialize_with = "d1::flag_field")]
            enabled: bool,
        }
        let mut results = d1::batch::<Value>(self.db, vec![log, endpoint]).await?;
        let row = results.pop().and_then(|mut rows| rows.pop());
        Ok(row
            .and_then(|r| serde_json::from_value::<Enabled>(r).ok())
            .is_some_and(|e| e.enabled))
    }

    /// Events an endpoint missed while it could not take them (skipped while disabled, or
    /// given up after every retry) and never received since, oldest first.
    pub async fn missed(&self, endpoint_id: &str) -> Result<Vec<String>, StoreError> {
        #[derive(Deserialize)]
        struct Id {
            event_id: String,
        }
        let rows: Vec<Id> = d1::all(
            self.db,
            "SELECT d.event_id FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id \
             WHERE d.endpoint_id = ?1 AND d.outcome IN ('skipped', 'dead') AND NOT EXISTS \
             (SELECT 1 FROM webhook_deliveries ok WHERE ok.endpoint_id = ?1 AND ok.event_id = d.event_id \
              AND ok.outcome = 'delivered') GROUP BY d.event_id ORDER BY min(ev.created_at) LIMIT 1000",
            &[endpoint_id.into()],
        )
        .await?;
        Ok(rows.into_iter().map(|r| r.event_id).collect())
    }

    /// `link.limit_reached` for a link whose owner takes it (once per link and limit).
    pub async fn insert_limit_reached(
        &self,
        link_id: &str,
        max: u64,
        now: &str,
    ) -> Result<(), StoreError> {
        d1::run(
            self.db,
            &format!(
                "INSERT OR IGNORE INTO webhook_events (id, type, user_id, workspace_id, link_id, data, created_at) \
                 SELECT 'msg_limit_' || l.id || '_' || ?2, 'link.limit_reached', l.user_id, l.workspace_id, \
                 l.id, {LINK_JSON}, ?3 FROM links l WHERE l.id = ?1 AND {}",
                subscribed("link.limit_reached")
            ),
            &[link_id.into(), (max as i64).into(), now.into()],
        )
        .await
        .map(|_| ())
    }

    /// `link.expired` for links that expired in (since, now] (once per link and expiry).
    pub async fn insert_expired(&self, since: &str, now: &str) -> Result<usize, StoreError> {
        d1::run(
            self.db,
            &format!(
                "INSERT OR IGNORE INTO webhook_events (id, type, user_id, workspace_id, link_id, data, created_at) \
                 SELECT 'msg_expired_' || l.id || '_' || l.expires_at, 'link.expired', l.user_id, \
                 l.workspace_id, l.id, {LINK_JSON}, ?2 FROM links l \
                 WHERE l.expires_at > ?1 AND l.expires_at <= ?2 AND l.is_active = 1 AND {}",
                subscribed("link.expired")
            ),
            &[since.into(), now.into()],
        )
        .await
    }

    /// The owners (and code, workspace) of links whose owner takes `link.clicked`.
    pub async fn click_subscribers(
        &self,
        link_ids: &[&str],
    ) -> Result<Vec<ClickOwner>, StoreError> {
        d1::all(
            self.db,
            &format!(
                "SELECT l.id, l.code, l.user_id, l.workspace_id FROM links l \
                 WHERE l.id IN (SELECT value FROM json_each(?1)) AND {}",
                subscribed("link.clicked")
            ),
            &[serde_json::to_string(link_ids).unwrap_or_default().into()],
        )
        .await
    }

    /// Inserts events (id, type, owner, workspace, data) unless they exist.
    pub async fn insert_events(&self, events: &[NewEvent], now: &str) -> Result<(), StoreError> {
        let rows: Vec<Value> = events
            .iter()
            .map(|e| {
                serde_json::json!([e.id, e.kind, e.user_id, e.workspace_id, e.data.to_string()])
            })
            .collect();
        d1::run(
            self.db,
            "INSERT OR IGNORE INTO webhook_events (id, type, user_id, workspace_id, data, created_at) \
             SELECT j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, ?2 \
             FROM json_each(?1) j",
            &[serde_json::to_string(&rows).unwrap_or_default().into(), now.into()],
        )
        .await
        .map(|_| ())
    }

    /// The retention job: events and attempts older than `before` (ISO).
    pub async fn prune(&self, before: &str) -> Result<(), StoreError> {
        let statements = vec![
            d1::stmt(
                self.db,
                "DELETE FROM webhook_events WHERE created_at < ?1",
                &[before.into()],
            )?,
            d1::stmt(
                self.db,
                "DELETE FROM webhook_deliveries WHERE at < ?1",
                &[before.into()],
            )?,
        ];
        d1::batch::<Value>(self.db, statements).await.map(|_| ())
    }
}
