//! Webhooks: the rules without I/O. Which events exist, what an endpoint may be (https to a
//! public host: the worker must not become a way into private networks), how deliveries
//! are signed (the Standard Webhooks specification, so receivers verify them with its
//! libraries), and how long a failed delivery waits before the next attempt.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use std::net::{Ipv4Addr, Ipv6Addr};

mod views;
pub use views::{Attempt, Endpoint, EndpointWithSecret, Payload, TestQueued, OUTCOMES};

use crate::fields::{text, Field, Reader};
use crate::problem::FieldError;

/// Every event an endpoint can subscribe to.
pub const EVENT_TYPES: &[&str] = &[
    "link.created",
    "link.updated",
    "link.deleted",
    "link.clicked",
    "link.expired",
    "link.limit_reached",
];

/// Sent by `POST /webhooks/{id}/test` to that endpoint only, whatever it subscribes to.
pub const TEST_EVENT: &str = "webhook.test";

/// Endpoints per user: each costs deliveries on every event.
pub const MAX_ENDPOINTS: usize = 10;
pub const MAX_URL: usize = 2048;
pub const MAX_DESCRIPTION: usize = 200;
/// Secrets carry this prefix (Standard Webhooks), so they are recognisable when leaked.
pub const SECRET_PREFIX: &str = "whsec_";

pub const FIELDS: &[&str] = &["url", "description", "events", "workspace_id", "enabled"];

/// What a request may set on an endpoint (absent: default on create, unchanged on update).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EndpointFields {
    pub url: Field<String>,
    pub description: Field<String>,
    pub events: Field<Vec<String>>,
    pub workspace_id: Field<String>,
    pub enabled: Field<bool>,
}

/// Where endpoints may point.
pub struct UrlRules<'a> {
    /// Tests only (WEBHOOK_ALLOW_LOOPBACK): plain http to 127.0.0.1/localhost.
    pub allow_loopback: bool,
    /// The short domains: a webhook to the worker itself would loop.
    pub own_hosts: &'a [String],
}

/// Validates a create (`create`: `url` and `events` required) or a partial update.
pub fn parse(
    body: &Value,
    create: bool,
    rules: &UrlRules,
) -> Result<EndpointFields, Vec<FieldError>> {
    let mut r = Reader::new(body, FIELDS)?;
    let url = match r.string("url") {
        Field::Value(raw) => match check_url(&raw, rules) {
            Ok(u) => Field::Value(u),
            Err(msg) => {
                r.error("url", msg);
                Field::Absent
            }
        },
        Field::Null => {
            r.error("url", "url cannot be cleared");
            Field::Absent
        }
        Field::Absent => Field::Absent,
    };
    let description = text(&mut r, "description", MAX_DESCRIPTION);
    let events = match r.strings("events") {
        Field::Value(list) => match check_events(&list) {
            Ok(l) => Field::Value(l),
            Err(msg) => {
                r.error("events", msg);
                Field::Absent
            }
        },
        Field::Null => {
            r.error("events", "events cannot be cleared; name at least one");
            Field::Absent
        }
        Field::Absent => Field::Absent,
    };
    let workspace_id = match text(&mut r, "workspace_id", 64) {
        Field::Value(w) if !crate::route::is_id(&w) => {
            r.error(
                "workspace_id",
                "workspace_id may only contain A-Z, a-z, 0-9, '_' and '-'",
            );
            Field::Absent
        }
        other => other,
    };
    let enabled = match r.bool("enabled") {
        Field::Null => {
            r.error("enabled", "enabled must be true or false");
            Field::Absent
        }
        other => other,
    };
    let fields = EndpointFields {
        url,
        description,
        events,
        workspace_id,
        enabled,
    };
    if create {
        let (u, e) = (fields.url.clone(), fields.events.clone());
        if !r.errors.iter().any(|e| e.field == "url") {
            r.require("url", u);
        }
        if !r.errors.iter().any(|e| e.field == "events") {
            r.require("events", e);
        }
    } else if r.errors.is_empty() && fields == EndpointFields::default() {
        r.error(
            "",
            "send at least one of url, description, events, workspace_id, enabled",
        );
    }
    r.finish(|| fields)
}

fn check_events(list: &[String]) -> Result<Vec<String>, String> {
    if list.is_empty() {
        return Err("name at least one event".into());
    }
    let mut out: Vec<String> = Vec::new();
    for e in list {
        if !EVENT_TYPES.contains(&e.as_str()) {
            return Err(format!(
                "'{e}' is not an event; events are {}",
                EVENT_TYPES.join(", ")
            ));
        }
        if !out.contains(e) {
            out.push(e.clone());
        }
    }
    Ok(out)
}

/// An endpoint URL: https, a public host (no IP literal of a private, loopback, link-local
/// or otherwise special network; no local names), no credentials, no fragment. Redirects
/// are never followed at delivery, so the host checked here is the host called.
pub fn check_url(raw: &str, rules: &UrlRules) -> Result<String, String> {
    let raw = raw.trim();
    if raw.len() > MAX_URL {
        return Err(format!("url must be at most {MAX_URL} bytes"));
    }
    let url = url::Url::parse(raw).map_err(|e| format!("url is not a valid absolute URL: {e}"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err("url must not contain a user name or password".into());
    }
    if url.fragment().is_some() {
        return Err("url must not have a fragment".into());
    }
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let loopback = is_loopback_host(&url);
    match (url.scheme(), loopback && rules.allow_loopback) {
        ("https", _) | ("http", true) => {}
        _ => return Err("url must use https".into()),
    }
    if loopback && rules.allow_loopback {
        return Ok(url.into());
    }
    let special = match url.host() {
        Some(url::Host::Ipv4(ip)) => !is_public_v4(ip),
        Some(url::Host::Ipv6(ip)) => !is_public_v6(ip),
        Some(url::Host::Domain(_)) => {
            host == "localhost"
                || [
                    ".localhost",
                    ".local",
                    ".internal",
                    ".home.arpa",
                    ".lan",
                    ".intranet",
                ]
                .iter()
                .any(|s| host.ends_with(s))
                || !host.contains('.')
        }
        None => true,
    };
    if special {
        return Err(
            "url must point to a public host (not a private, loopback or local address)".into(),
        );
    }
    if rules.own_hosts.contains(&host) {
        return Err(format!("url must not point to the short domain {host}"));
    }
    Ok(url.into())
}

fn is_loopback_host(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || first == 0x2001 && ip.segments()[1] == 0x0db8) // documentation
}

/// A new secret from random bytes: `whsec_` and their base64.
pub fn new_secret(random: &[u8]) -> String {
    format!("{SECRET_PREFIX}{}", B64.encode(random))
}

/// The `webhook-signature` value for one secret: `v1,` and the base64 HMAC-SHA256 of
/// `{id}.{timestamp}.{body}` keyed with the secret's decoded bytes. `None`: not a secret.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> Option<String> {
    let key = B64.decode(secret.strip_prefix(SECRET_PREFIX)?).ok()?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Some(format!("v1,{}", B64.encode(mac.finalize().into_bytes())))
}

/// The header with every secret that signs now (space-separated, as the specification
/// allows): the current one, and during a rotation the previous one too.
pub fn signature_header(secrets: &[&str], id: &str, timestamp: i64, body: &str) -> String {
    secrets
        .iter()
        .filter_map(|s| sign(s, id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The delivered body: the Standard Webhooks shape.
pub fn body(event_type: &str, timestamp: &str, data: &Value) -> String {
    serde_json::to_string(&Payload {
        event_type,
        timestamp,
        data,
    })
    .unwrap_or_default()
}

/// Seconds before attempt `attempt + 1` after `attempt` failed (1-based): exponential from
/// `base`, capped at `cap`, with jitter (`unit` in [0, 1): from half to the whole delay) so
/// that endpoints failing together do not retry together.
pub fn backoff_seconds(attempt: u32, base: u32, cap: u32, unit: f64) -> u32 {
    let full = u64::from(base.max(1))
        .saturating_mul(1u64 << attempt.saturating_sub(1).min(30))
        .min(u64::from(cap.max(1)));
    let unit = unit.clamp(0.0, 1.0);
    ((full as f64) * (0.5 + unit / 2.0)).round().max(1.0) as u32
}

/// Who an endpoint or an event belongs to: a user (None: the service namespace) and a
/// workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope<'a> {
    pub user: Option<&'a str>,
    pub workspace: Option<&'a str>,
}

/// Whether an endpoint takes an event: it subscribes to the type, and the event is of its
/// workspace (a workspace's endpoint: every link in it, whoever's; the caller checks that
/// the endpoint's owner is a member) or, for an endpoint without one, of its owner.
pub fn subscribed(events: &[String], endpoint: Scope, event_type: &str, event: Scope) -> bool {
    let ours = match endpoint.workspace {
        Some(w) => event.workspace == Some(w),
        None => endpoint.user == event.user,
    };
    ours && events.iter().any(|e| e == event_type)
}

#[cfg(test)]
mod tests;
