//! Webhook endpoints, events (the outbox) and delivery attempts in D1. Link events are
//! written by triggers (migrations/0014) in the transaction of the change; the other
//! events (clicks, limits, expiries, tests) are inserted here with ids that make a second
//! insert of the same event a no-op.

use serde::Deserialize;
use serde_json::Value;
use worker::D1Database;

use super::d1::{self, P};
use super::StoreError;
use uload_core::fields::Field;
use uload_core::webhook::EndpointFields;

/// An endpoint as stored. `secret` and `previous_secret` never leave through the API
/// except once, when made.
#[derive(Debug, Clone, Deserialize)]
pub struct EndpointRow {
    pub id: String,
    pub user_id: Option<String>,
    pub workspace_id: Option<String>,
    pub url: String,
    pub description: Option<String>,
    pub events: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<String>,
    #[serde(deserialize_with = "d1::flag_field")]
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub consecutive_failures: f64,
    pub created_at: String,
    pub updated_at: String,
    pub last_success_at: Option<String>,
    pub last_failure_at: Option<String>,
    pub last_failure_reason: Option<String>,
}

pub use uload_core::webhook::Endpoint;

impl EndpointRow {
    pub fn event_list(&self) -> Vec<String> {
        serde_json::from_str(&self.events).unwrap_or_default()
    }

    pub fn view(&self) -> Endpoint {
        Endpoint {
            id: self.id.clone(),
            url: self.url.clone(),
            description: self.description.clone(),
            events: self.event_list(),
            workspace_id: self.workspace_id.clone(),
            enabled: self.enabled,
            disabled_reason: self.disabled_reason.clone(),
            consecutive_failures: d1::uint(self.consecutive_failures),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
            last_success_at: self.last_success_at.clone(),
            last_failure_at: self.last_failure_at.clone(),
            last_failure_reason: self.last_failure_reason.clone(),
            previous_secret_until: self.previous_secret_until.clone(),
        }
    }

    /// The secrets that sign at `now` (ISO): the current one, and the previous one until
    /// its overlap ends.
    pub fn signing_secrets(&self, now: &str) -> Vec<&str> {
        let mut out = vec![self.secret.as_str()];
        if let (Some(prev), Some(until)) = (&self.previous_secret, &self.previous_secret_until) {
            if until.as_str() > now {
                out.push(prev);
            }
        }
        out
    }
}

pub(super) const COLUMNS: &str =
    "id, user_id, workspace_id, url, description, events, secret, previous_secret, \
    previous_secret_until, enabled, disabled_reason, consecutive_failures, created_at, updated_at, \
    last_success_at, last_failure_at, last_failure_reason";

pub struct WebhooksDb<'a> {
    pub db: &'a D1Database,
}

impl WebhooksDb<'_> {
    pub async fn count(&self, owner: Option<&str>) -> Result<u64, StoreError> {
        #[derive(Deserialize)]
        struct N {
            n: f64,
        }
        let n: Option<N> = d1::first(
            self.db,
            "SELECT count(*) AS n FROM webhook_endpoints WHERE user_id IS ?1",
            &[owner.into()],
        )
        .await?;
        Ok(n.map_or(0, |n| d1::uint(n.n)))
    }

    pub async fn insert(
        &self,
        id: &str,
        owner: Option<&str>,
        f: &EndpointFields,
        secret: &str,
        now: &str,
    ) -> Result<Option<EndpointRow>, StoreError> {
        let events = match &f.events {
            Field::Value(e) => serde_json::to_string(e).unwrap_or_default(),
            _ => "[]".into(),
        };
        d1::first(
            self.db,
            &format!(
                "INSERT INTO webhook_endpoints (id, user_id, workspace_id, url, description, events, \
                 secret, enabled, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) \
                 RETURNING {COLUMNS}"
            ),
            &[
                id.into(),
                owner.into(),
                f.workspace_id.clone().into_option().into(),
                f.url.clone().into_option().unwrap_or_default().into(),
                f.description.clone().into_option().into(),
                events.into(),
                secret.into(),
                (!matches!(f.enabled, Field::Value(false))).into(),
                now.into(),
            ],
        )
        .await
    }

    pub async fn get(
        &self,
        id: &str,
        owner: Option<&str>,
    ) -> Result<Option<EndpointRow>, StoreError> {
        d1::first(
            self.db,
            &format!("SELECT {COLUMNS} FROM webhook_endpoints WHERE id = ?1 AND user_id IS ?2"),
            &[id.into(), owner.into()],
        )
        .await
    }

    pub async fn list(&self, owner: Option<&str>) -> Result<Vec<EndpointRow>, StoreError> {
        d1::all(
            self.db,
            &format!(
                "SELECT {COLUMNS} FROM webhook_endpoints WHERE user_id IS ?1 ORDER BY created_at, id"
            ),
            &[owner.into()],
        )
        .await
    }

    /// A partial update. Enabling an endpoint clears its failures and why it was disabled.
    pub async fn update(
        &self,
        id: &str,
        owner: Option<&str>,
        f: &EndpointFields,
        now: &str,
    ) -> Result<Option<EndpointRow>, StoreError> {
        let mut params: Vec<P> = vec![id.into(), owner.into(), now.into()];
        let mut sets = vec!["updated_at = ?3".to_string()];
        let mut set = |column: &str, value: P, params: &mut Vec<P>| {
            params.push(value);
            sets.push(format!("{column} = ?{}", params.len()));
        };
        if let Field::Value(u) = &f.url {
            set("url", u.into(), &mut params);
        }
        match &f.description {
            Field::Value(d) => set("description", d.into(), &mut params),
            Field::Null => set("description", P::Null, &mut params),
            Field::Absent => {}
        }
        if let Field::Value(e) = &f.events {
            set(
                "events",
                serde_json::to_string(e).unwrap_or_default().into(),
                &mut params,
            );
        }
        match &f.workspace_id {
            Field::Value(w) => set("workspace_id", w.into(), &mut params),
            Field::Null => set("workspace_id", P::Null, &mut params),
            Field::Absent => {}
        }
        if let Field::Value(on) = f.enabled {
            set("enabled", on.into(), &mut params);
            if on {
                sets.push("consecutive_failures = 0, disabled_reason = NULL".into());
            } else {
                sets.push("disabled_reason = 'disabled by its owner'".into());
            }
        }
        d1::first(
            self.db,
            &format!(
                "UPDATE webhook_endpoints SET {} WHERE id = ?1 AND user_id IS ?2 RETURNING {COLUMNS}",
                sets.join(", ")
            ),
            &params,
        )
        .await
    }

    pub async fn delete(&self, id: &str, owner: Option<&str>) -> Result<bool, StoreError> {
        let n = d1::run(
            self.db,
            "DELETE FROM webhook_endpoints WHERE id = ?1 AND user_id IS ?2",
            &[id.into(), owner.into()],
        )
        .await?;
        Ok(n > 0)
    }

    /// A new secret; the current one keeps signing until `until`.
    pub async fn rotate(
        &self,
        id: &str,
        owner: Option<&str>,
        secret: &str,
        until: &str,
        now: &str,
    ) -> Result<Option<EndpointRow>, StoreError> {
        d1::first(
            self.db,
            &format!(
                "UPDATE webhook_endpoints SET previous_secret = secret, previous_secret_until = ?4, \
                 secret = ?3, updated_at = ?5 WHERE id = ?1 AND user_id IS ?2 RETURNING {COLUMNS}"
            ),
            &[id.into(), owner.into(), secret.into(), until.into(), now.into()],
        )
        .await
    }
}

mod events;
pub mod outbox;
pub use events::*;

/// A link whose owner or workspace takes its clicks.
#[derive(Debug, Clone, Deserialize)]
pub struct ClickOwner {
    pub id: String,
    pub code: String,
    pub user_id: Option<String>,
    pub workspace_id: Option<String>,
}

/// An event raised outside the link triggers.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub id: String,
    pub kind: &'static str,
    pub user_id: Option<String>,
    pub workspace_id: Option<String>,
    pub data: Value,
}
