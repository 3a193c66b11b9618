//! What an API key may do. Keys carry scopes; the dashboard's service token (acting for a
//! user) carries every link scope and is the only one that manages keys and users, so a
//! leaked key can neither mint new keys nor revoke the others (and outlive its own revocation).

use std::fmt;

use schemars::JsonSchema;
use serde::Serialize;

/// A right an API key may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(rename = "KeyScope")]
pub enum KeyScope {
    /// List and read links, their QR codes, and tags.
    #[serde(rename = "links:read")]
    LinksRead,
    /// Create, change and delete links and tags.
    #[serde(rename = "links:write")]
    LinksWrite,
    /// Read click statistics and the CSV export.
    #[serde(rename = "stats:read")]
    StatsRead,
}

pub const ALL: [KeyScope; 3] = [
    KeyScope::LinksRead,
    KeyScope::LinksWrite,
    KeyScope::StatsRead,
];

impl KeyScope {
    pub fn name(self) -> &'static str {
        match self {
            KeyScope::LinksRead => "links:read",
            KeyScope::LinksWrite => "links:write",
            KeyScope::StatsRead => "stats:read",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        ALL.into_iter().find(|k| k.name() == s)
    }
}

impl fmt::Display for KeyScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The scopes stored with a key: names separated by spaces (as OAuth writes them).
pub fn parse_stored(s: &str) -> Vec<KeyScope> {
    s.split_whitespace().filter_map(KeyScope::parse).collect()
}

pub fn to_stored(scopes: &[KeyScope]) -> String {
    ALL.iter()
        .filter(|k| scopes.contains(k))
        .map(|k| k.name())
        .collect::<Vec<_>>()
        .join(" ")
}

/// What a request needs from an API key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Scope(KeyScope),
    /// Keys and users are managed by the dashboard's server only (service token).
    ServiceOnly,
}

/// Whether a key holding `held` (and not expired) may do what `needs` says.
pub fn key_allows(held: &[KeyScope], needs: Needs) -> bool {
    match needs {
        Needs::Scope(s) => held.contains(&s),
        Needs::ServiceOnly => false,
    }
}

/// A key to make: its name, scopes (default: every scope) and optional expiry.
#[derive(Debug, Clone, PartialEq)]
pub struct NewKey {
    pub name: String,
    pub scopes: Vec<KeyScope>,
    pub expires_at: Option<String>,
}

/// An API key as its owner sees it (never its secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(rename = "ApiKey", deny_unknown_fields)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    /// The first characters of the key, to tell keys apart.
    pub prefix: String,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub last_used_at: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub revoked_at: Option<String>,
    /// What the key may do. Keys never manage keys or users.
    pub scopes: Vec<KeyScope>,
    /// After this the key is refused (401); null: no expiry.
    #[schemars(extend("format" = "date-time"))]
    pub expires_at: Option<String>,
}

/// A new key with its secret, answered once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(rename = "ApiKeyCreated", deny_unknown_fields)]
pub struct ApiKeyCreated {
    #[serde(flatten)]
    pub view: ApiKeyView,
    /// The secret; shown only in this response. A retry with the same Idempotency-Key
    /// (Idempotency-Replayed: true) answers null here: the secret is never stored, so it
    /// cannot be shown again; revoke that key and create another if it was lost.
    #[schemars(extend("pattern" = format!(
        "^{}[A-Za-z0-9]{{{}}}$",
        crate::secret::API_KEY_PREFIX,
        crate::secret::API_KEY_LEN
    )))]
    pub key: Option<String>,
}

/// The members a new key's request accepts.
pub const KEY_FIELDS: &[&str] = &["name", "scopes", "expires_at"];

/// An API key's name, at most (characters).
pub const MAX_KEY_NAME: usize = 100;

/// Validates `POST /api/v1/api-keys`: `name` (1–100), `scopes` (known names, at least one),
/// `expires_at` (RFC 3339, in the future).
pub fn parse_new_key(
    body: &serde_json::Value,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<NewKey, Vec<super::problem::FieldError>> {
    use super::fields::{text, Field, Reader};
    let mut r = Reader::new(body, KEY_FIELDS)?;
    let name = text(&mut r, "name", MAX_KEY_NAME);
    let name = r.require("name", name);
    let scopes = match r.strings("scopes") {
        Field::Value(list) => {
            let parsed: Vec<Option<KeyScope>> = list.iter().map(|s| KeyScope::parse(s)).collect();
            if list.is_empty() {
                r.error(
                    "scopes",
                    "scopes must name at least one of links:read, links:write, stats:read",
                );
            } else if let Some(bad) = list.iter().zip(&parsed).find(|(_, p)| p.is_none()) {
                r.error(
                    "scopes",
                    format!(
                        "unknown scope '{}': links:read, links:write or stats:read",
                        bad.0
                    ),
                );
            }
            parsed.into_iter().flatten().collect()
        }
        _ => ALL.to_vec(),
    };
    let expires_at = match r.string("expires_at") {
        Field::Value(s) => match crate::time::parse(&s) {
            Some(t) if t > now => Some(crate::time::format(t)),
            Some(_) => {
                r.error("expires_at", "expires_at must be in the future");
                None
            }
            None => {
                r.error(
                    "expires_at",
                    "expires_at must be an RFC 3339 date-time, e.g. 2030-01-31T12:00:00Z",
                );
                None
            }
        },
        _ => None,
    };
    r.finish(|| NewKey {
        name: name.unwrap_or_default(),
        scopes: ALL.into_iter().filter(|k| scopes.contains(k)).collect(),
        expires_at,
    })
}

/// Whether a key with this expiry is past it (`now` and `expires_at` in the stored format,
/// which sorts as time).
pub fn expired(expires_at: Option<&str>, now: &str) -> bool {
    expires_at.is_some_and(|e| e <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_keys_are_validated() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-25T00:00:00Z")
            .unwrap()
            .to_utc();
        let ok = parse_new_key(&serde_json::json!({ "name": "ci" }), now).unwrap();
        assert_eq!(ok.scopes, ALL.to_vec(), "every scope unless narrowed");
        assert_eq!(ok.expires_at, None);
        let narrow = parse_new_key(&serde_json::json!({ "name": "ci", "scopes": ["stats:read", "links:read", "links:read"], "expires_at": "2027-01-01T00:00:00Z" }), now).unwrap();
        assert_eq!(
            narrow.scopes,
            vec![KeyScope::LinksRead, KeyScope::StatsRead]
        );
        assert_eq!(
            narrow.expires_at.as_deref(),
            Some("2027-01-01T00:00:00.000Z")
        );
        for bad in [
            serde_json::json!({ "name": "ci", "scopes": [] }),
            serde_json::json!({ "name": "ci", "scopes": ["admin"] }),
            serde_json::json!({ "name": "ci", "expires_at": "2020-01-01T00:00:00Z" }),
            serde_json::json!({ "name": "ci", "expires_at": "tomorrow" }),
            serde_json::json!({ "scopes": ["links:read"] }),
        ] {
            assert!(parse_new_key(&bad, now).is_err(), "{bad}");
        }
        assert!(expired(
            Some("2026-01-01T00:00:00.000Z"),
            "2026-11-25T00:00:00.000Z"
        ));
        assert!(!expired(
            Some("2027-01-01T00:00:00.000Z"),
            "2026-11-25T00:00:00.000Z"
        ));
        assert!(!expired(None, "2026-11-25T00:00:00.000Z"));
    }

    #[test]
    fn scopes_round_trip_in_a_stable_order() {
        let s = to_stored(&[KeyScope::StatsRead, KeyScope::LinksRead]);
        assert_eq!(s, "links:read stats:read");
        assert_eq!(
            parse_stored(&s),
            vec![KeyScope::LinksRead, KeyScope::StatsRead]
        );
        assert_eq!(
            parse_stored("links:read bogus  stats:read"),
            vec![KeyScope::LinksRead, KeyScope::StatsRead]
        );
        assert_eq!(KeyScope::parse("links:write"), Some(KeyScope::LinksWrite));
        assert_eq!(KeyScope::parse("admin"), None);
    }

    #[test]
    fn a_key_does_what_its_scopes_say_and_never_manages_keys() {
        let read_only = [KeyScope::LinksRead];
        assert!(key_allows(&read_only, Needs::Scope(KeyScope::LinksRead)));
        assert!(!key_allows(&read_only, Needs::Scope(KeyScope::LinksWrite)));
        assert!(!key_allows(&read_only, Needs::Scope(KeyScope::StatsRead)));
        assert!(
            !key_allows(&ALL, Needs::ServiceOnly),
            "not even a key with every scope"
        );
    }
}
