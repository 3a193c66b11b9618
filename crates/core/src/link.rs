//! Links: the record the redirect path reads, the input the API accepts (create and
//! partial update), and the representation it answers with.

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::code;
use super::fields::{text, Field, Reader};
use super::problem::FieldError;
use super::target::Policy;

mod bulk;
mod input;
mod view;
pub use bulk::{BulkCreated, BulkDeleted, BulkItem, BulkUpdated};
pub use input::*;
pub use view::LinkView;

/// Link ids look like PocketBase record ids (15 characters of [a-z0-9]), so ids imported
/// from uLoad and ids minted here share one format.
pub const ID_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
pub const ID_LEN: usize = 15;

pub const DEFAULT_STATUS: u16 = 302;
pub const STATUSES: [u16; 4] = [301, 302, 307, 308];
pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 500;
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_NAME: usize = 50;
pub const MAX_UTM: usize = 200;
pub const MAX_PASSWORD: usize = 200;
pub const MAX_CLICKS_LIMIT: u64 = 1_000_000_000;

pub const WARN_301: &str = "301 redirects are cached by browsers for good: visitors who followed \
    this link once will not see later edits. Prefer 302 unless the target never changes.";

/// What KV (and the in-memory layer) hold per code: only what a redirect needs, so the
/// hot path deserialises a few dozen bytes. Fields added later must have serde defaults,
/// because records written by an older version stay in KV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedirectRecord {
    pub link_id: String,
    pub url: String,
    #[serde(default = "default_status")]
    pub status: u16,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub active: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// The PHC hash of the link's password: the redirect path can check a password with
    /// KV alone, so protected links keep working while D1 is down.
    #[serde(default, rename = "pw", skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    /// Whether the short URL's query string is passed on to the target.
    #[serde(default = "yes", rename = "fq", skip_serializing_if = "is_true")]
    pub forward_query: bool,
    /// The link's UTM parameters (source, medium, campaign), added unless the target has them.
    #[serde(default, skip_serializing_if = "Utm::is_empty")]
    pub utm: Utm,
    /// At most this many redirects, counted exactly by the link's click counter.
    #[serde(default, rename = "mc", skip_serializing_if = "Option::is_none")]
    pub max_clicks: Option<u64>,
    #[serde(default, rename = "t", skip_serializing_if = "Targets::is_empty")]
    pub targets: Targets,
    /// The link's workspace, for `/w/{workspace}/{code}`.
    #[serde(default, rename = "ws", skip_serializing_if = "Option::is_none")]
    pub workspace: Option<String>,
    /// Disabled for abuse by an admin: answers 451, whatever else the link is.
    #[serde(default, rename = "bl", skip_serializing_if = "std::ops::Not::not")]
    pub blocked: bool,
    /// Held for review after abuse reports: visitors see a warning with a continue link.
    #[serde(default, rename = "hd", skip_serializing_if = "std::ops::Not::not")]
    pub held: bool,
    /// The link's title and creation time, for its inspection page (`/{code}+`).
    #[serde(default, rename = "ti", skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, rename = "ca", skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// The link's own social preview (Open Graph), shown to social crawlers instead of the
    /// redirect. Only when the link sets one: otherwise crawlers follow the redirect and
    /// show the target's own card.
    #[serde(default, rename = "pv", skip_serializing_if = "Option::is_none")]
    pub preview: Option<Preview>,
}

/// A link's social preview card: what Open Graph and Twitter card tags say about it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Preview {
    #[serde(default, rename = "t", skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, rename = "d", skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, rename = "i", skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
}

impl Preview {
    fn approx_bytes(&self) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        48 + opt(&self.title) + opt(&self.description) + opt(&self.image)
    }
}

impl RedirectRecord {
    /// About what the record takes in memory: its strings plus a fixed overhead. What the
    /// memory layer counts against its byte budget.
    pub fn approx_bytes(&self) -> usize {
        let opt = |s: &Option<String>| s.as_ref().map_or(0, String::len);
        128 + self.link_id.len()
            + self.url.len()
            + opt(&self.expires_at)
            + opt(&self.password_hash)
            + opt(&self.utm.source)
            + opt(&self.utm.medium)
            + opt(&self.utm.campaign)
            + opt(&self.targets.ios)
            + opt(&self.targets.android)
            + self
                .targets
                .geo
                .iter()
                .map(|(k, v)| k.len() + v.len() + 48)
                .sum::<usize>()
            + opt(&self.workspace)
            + opt(&self.title)
            + opt(&self.created_at)
            + self.preview.as_ref().map_or(0, Preview::approx_bytes)
    }
}

/// Other targets by device and country (checked in this order; the link's URL otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Targets {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ios: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub android: Option<String>,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub geo: std::collections::BTreeMap<String, String>,
}

impl Targets {
    pub fn is_empty(&self) -> bool {
        self.ios.is_none() && self.android.is_none() && self.geo.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Utm {
    #[serde(default, rename = "s", skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, rename = "m", skip_serializing_if = "Option::is_none")]
    pub medium: Option<String>,
    #[serde(default, rename = "c", skip_serializing_if = "Option::is_none")]
    pub campaign: Option<String>,
}

impl Utm {
    pub fn is_empty(&self) -> bool {
        self.source.is_none() && self.medium.is_none() && self.campaign.is_none()
    }

    pub fn pairs(&self) -> [(&'static str, Option<&str>); 3] {
        [
            ("utm_source", self.source.as_deref()),
            ("utm_medium", self.medium.as_deref()),
            ("utm_campaign", self.campaign.as_deref()),
        ]
    }
}

fn default_status() -> u16 {
    DEFAULT_STATUS
}
fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}

/// A link as stored in D1 and answered by the API (in a `view::LinkView`). Its JSON Schema
/// is the OpenAPI document's (crates/openapi): the doc comments are the fields' descriptions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "StoredLink")]
pub struct Link {
    pub id: String,
    pub code: String,
    /// The target as stored: host in punycode (`url_display` has it in Unicode).
    pub url: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub is_active: bool,
    pub has_password: bool,
    /// At most this many redirects (people and bots); then the link answers 410.
    pub max_clicks: Option<u64>,
    #[schemars(extend("format" = "date-time"))]
    pub expires_at: Option<String>,
    /// Clicks by people (bots excluded), exact; updated seconds after each click.
    pub click_count: u64,
    /// Clicks by bots (crawlers, link previewers, uptime checkers), counted apart.
    pub bot_click_count: u64,
    #[schemars(extend("format" = "date-time"))]
    pub last_clicked_at: Option<String>,
    pub tags: Vec<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub user_id: Option<String>,
    pub workspace_id: Option<String>,
    #[schemars(schema_with = "redirect_status_schema")]
    pub redirect_status: u16,
    /// Whether the short URL's query string is passed on to the target.
    pub forward_query: bool,
    /// Where iPhones and iPads go instead of `url`.
    pub ios_url: Option<String>,
    /// Where Android devices go instead of `url`.
    pub android_url: Option<String>,
    /// Per country (ISO 3166-1 alpha-2, upper case), a target instead of `url`.
    pub geo: std::collections::BTreeMap<String, String>,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub updated_at: String,
    /// Grows with every change: send it back (or the ETag in If-Match) to update safely.
    #[schemars(range(min = 1))]
    pub version: u64,
    /// Never serialised: the API says only `has_password`.
    #[serde(skip)]
    pub password_hash: Option<String>,
    /// Disabled for abuse by uLoad (its visitors get a 451 page): why and when; null otherwise.
    pub blocked: Option<Blocked>,
    /// Held for review since then, after independent abuse reports (visitors see a warning
    /// with a continue link); null otherwise.
    #[schemars(extend("format" = "date-time"))]
    pub held_at: Option<String>,
    /// The title of the link's own social preview card (Open Graph), shown to social
    /// crawlers instead of the redirect.
    pub og_title: Option<String>,
    /// The description of the link's preview card.
    pub og_description: Option<String>,
    /// The image of the link's preview card.
    #[schemars(extend("format" = "uri"))]
    pub og_image: Option<String>,
}

/// `redirect_status`: one of `STATUSES`.
fn redirect_status_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "type": "integer", "enum": STATUSES })
}

/// Why and when a link was disabled for abuse.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Blocked {
    pub reason: String,
    #[schemars(extend("format" = "date-time"))]
    pub at: String,
}

impl Link {
    pub fn redirect_record(&self) -> RedirectRecord {
        RedirectRecord {
            link_id: self.id.clone(),
            url: self.url.clone(),
            status: self.redirect_status,
            active: self.is_active,
            expires_at: self.expires_at.clone(),
            password_hash: self.password_hash.clone(),
            forward_query: self.forward_query,
            utm: Utm {
                source: self.utm_source.clone(),
                medium: self.utm_medium.clone(),
                campaign: self.utm_campaign.clone(),
            },
            max_clicks: self.max_clicks,
            targets: Targets {
                ios: self.ios_url.clone(),
                android: self.android_url.clone(),
                geo: self.geo.clone(),
            },
            workspace: self.workspace_id.clone(),
            blocked: self.blocked.is_some(),
            held: self.held_at.is_some(),
            title: self.title.clone(),
            created_at: Some(self.created_at.clone()),
            preview: self.preview(),
        }
    }

    /// The card social crawlers see: only when the link sets one of its own (the missing
    /// parts then come from its title and description).
    fn preview(&self) -> Option<Preview> {
        if self.og_title.is_none() && self.og_description.is_none() && self.og_image.is_none() {
            return None;
        }
        Some(Preview {
            title: self.og_title.clone().or_else(|| self.title.clone()),
            description: self
                .og_description
                .clone()
                .or_else(|| self.description.clone()),
            image: self.og_image.clone(),
        })
    }

    /// The strong ETag of this version of the link.
    pub fn etag(&self) -> String {
        format!("\"v{}\"", self.version)
    }

    pub fn warnings(&self) -> Vec<&'static str> {
        if self.redirect_status == 301 {
            vec![WARN_301]
        } else {
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests;
