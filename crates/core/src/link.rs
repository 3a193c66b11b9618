//! Links: the record the redirect path reads, the input the API accepts (create and
//! partial update), and the representation it answers with.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::code;
use super::fields::{text, Field, Reader};
use super::problem::FieldError;
use super::target::Policy;

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

/// A link as stored in D1 and answered by the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub id: String,
    pub code: String,
    pub url: String,
    pub title: Option<String>,
    pub description: Option<String>,
    pub is_active: bool,
    pub has_password: bool,
    pub max_clicks: Option<u64>,
    pub expires_at: Option<String>,
    /// Clicks by people (bots excluded), kept exact by the click consumer.
    pub click_count: u64,
    /// Clicks by bots: crawlers, link previewers, uptime checkers.
    pub bot_click_count: u64,
    pub last_clicked_at: Option<String>,
    pub tags: Vec<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub user_id: Option<String>,
    pub workspace_id: Option<String>,
    pub redirect_status: u16,
    pub forward_query: bool,
    pub ios_url: Option<String>,
    pub android_url: Option<String>,
    pub geo: std::collections::BTreeMap<String, String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: u64,
    /// Never serialised: the API says only `has_password`.
    #[serde(skip)]
    pub password_hash: Option<String>,
    /// Disabled for abuse: why and when (its owner sees this; visitors get a 451 page).
    pub blocked: Option<Blocked>,
    /// Held for review since then, after independent abuse reports (visitors are warned).
    pub held_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocked {
    pub reason: String,
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
        }
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

/// What a request may set on a link. Used for creates (absent fields take defaults) and
/// partial updates (absent fields stay as they are; null clears).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LinkFields {
    pub url: Field<String>,
    pub code: Field<String>,
    pub title: Field<String>,
    pub description: Field<String>,
    pub is_active: Field<bool>,
    /// Plain text here only; the adapter hashes it before anything is stored.
    pub password: Field<String>,
    pub max_clicks: Field<u64>,
    pub expires_at: Field<String>,
    pub tags: Field<Vec<String>>,
    pub utm_source: Field<String>,
    pub utm_medium: Field<String>,
    pub utm_campaign: Field<String>,
    pub workspace_id: Field<String>,
    pub redirect_status: Field<u16>,
    pub forward_query: Field<bool>,
    pub ios_url: Field<String>,
    pub android_url: Field<String>,
    pub geo: Field<std::collections::BTreeMap<String, String>>,
}

pub const FIELDS: &[&str] = &[
    "url",
    "code",
    "title",
    "description",
    "is_active",
    "password",
    "max_clicks",
    "expires_at",
    "tags",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "workspace_id",
    "redirect_status",
    "forward_query",
    "ios_url",
    "android_url",
    "geo",
];

pub const MAX_GEO: usize = 50;

/// The context a link is validated in.
pub struct Rules<'a> {
    pub policy: &'a Policy,
    /// The acting user's username (for `username/code` codes).
    pub username: Option<&'a str>,
    pub now: DateTime<Utc>,
}

/// Validates a create: `url` is required, everything else optional.
pub fn parse_create(body: &Value, rules: &Rules) -> Result<LinkFields, Vec<FieldError>> {
    let mut r = Reader::new(body, FIELDS)?;
    let fields = read_fields(&mut r, rules);
    if matches!(fields.url, Field::Absent | Field::Null) {
        let url = fields.url.clone();
        r.require::<String>("url", url);
    }
    r.finish(|| fields)
}

/// Validates a partial update: at least one field; `url` and `code` cannot be cleared.
pub fn parse_update(body: &Value, rules: &Rules) -> Result<LinkFields, Vec<FieldError>> {
    let mut r = Reader::new(body, FIELDS)?;
    let fields = read_fields(&mut r, rules);
    for (name, null) in [
        ("url", fields.url == Field::Null),
        ("code", fields.code == Field::Null),
    ] {
        if null {
            r.error(name, format!("{name} cannot be removed"));
        }
    }
    if r.errors.is_empty() && fields == LinkFields::default() {
        r.error("", "the update changes nothing: send at least one field");
    }
    r.finish(|| fields)
}

fn read_fields(r: &mut Reader, rules: &Rules) -> LinkFields {
    let url = match r.string("url") {
        Field::Value(raw) => match rules.policy.check(&raw) {
            Ok(u) => Field::Value(u),
            Err(e) => {
                r.error("url", e.message());
                Field::Absent
            }
        },
        other => other,
    };
    let code = match r.string("code") {
        Field::Value(c) => match code::validate_stored(&c, rules.username) {
            Ok(()) => Field::Value(c),
            Err(e) => {
                r.error("code", e.message());
                Field::Absent
            }
        },
        other => other,
    };
    let title = text(r, "title", MAX_TITLE);
    let description = text(r, "description", MAX_DESCRIPTION);
    let is_active = r.bool("is_active");
    let password = match r.string("password") {
        Field::Value(p) if p.is_empty() => Field::Null,
        Field::Value(p) if p.chars().count() > MAX_PASSWORD => {
            r.error(
                "password",
                format!("password must be at most {MAX_PASSWORD} characters"),
            );
            Field::Absent
        }
        other => other,
    };
    let max_clicks = match r.uint("max_clicks") {
        Field::Value(n) if n == 0 || n > MAX_CLICKS_LIMIT => {
            r.error(
                "max_clicks",
                format!("max_clicks must be between 1 and {MAX_CLICKS_LIMIT}"),
            );
            Field::Absent
        }
        other => other,
    };
    let expires_at = match r.string("expires_at") {
        Field::Value(s) => match crate::time::parse(&s) {
            Some(t) if t > rules.now => Field::Value(crate::time::format(t)),
            Some(_) => {
                r.error("expires_at", "expires_at must be in the future");
                Field::Absent
            }
            None => {
                r.error(
                    "expires_at",
                    "expires_at must be an RFC 3339 date-time, e.g. 2030-01-31T12:00:00Z",
                );
                Field::Absent
            }
        },
        other => other,
    };
    let tags = match r.strings("tags") {
        Field::Value(list) => match normalise_tag_names(&list) {
            Ok(names) => Field::Value(names),
            Err(msg) => {
                r.error("tags", msg);
                Field::Absent
            }
        },
        other => other,
    };
    let utm_source = text(r, "utm_source", MAX_UTM);
    let utm_medium = text(r, "utm_medium", MAX_UTM);
    let utm_campaign = text(r, "utm_campaign", MAX_UTM);
    let workspace_id = match text(r, "workspace_id", 50) {
        Field::Value(w)
            if !w
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') =>
        {
            r.error(
                "workspace_id",
                "workspace_id may only contain A-Z, a-z, 0-9, '_' and '-'",
            );
            Field::Absent
        }
        other => other,
    };
    let redirect_status = match r.uint("redirect_status") {
        Field::Value(s) if STATUSES.contains(&(s as u16)) && s <= 308 => Field::Value(s as u16),
        Field::Value(_) => {
            r.error(
                "redirect_status",
                "redirect_status must be 301, 302, 307 or 308",
            );
            Field::Absent
        }
        other => other.map(|s| s as u16),
    };
    let forward_query = r.bool("forward_query");
    let target_url = |r: &mut Reader, name: &str| match r.string(name) {
        Field::Value(raw) => match rules.policy.check(&raw) {
            Ok(u) => Field::Value(u),
            Err(e) => {
                r.error(name, e.message());
                Field::Absent
            }
        },
        other => other,
    };
    let ios_url = target_url(r, "ios_url");
    let android_url = target_url(r, "android_url");
    let geo = read_geo(r, rules);
    LinkFields {
        url,
        code,
        title,
        description,
        is_active,
        password,
        max_clicks,
        expires_at,
        tags,
        utm_source,
        utm_medium,
        utm_campaign,
        workspace_id,
        redirect_status,
        forward_query,
        ios_url,
        android_url,
        geo,
    }
}

/// `geo`: an object of ISO 3166-1 alpha-2 country codes (as `request.cf.country` gives
/// them, upper case) to target URLs.
fn read_geo(r: &mut Reader, rules: &Rules) -> Field<std::collections::BTreeMap<String, String>> {
    let raw = match r.object("geo") {
        Field::Value(map) => map,
        Field::Null => return Field::Null,
        Field::Absent => return Field::Absent,
    };
    let mut out = std::collections::BTreeMap::new();
    if raw.len() > MAX_GEO {
        r.error("geo", format!("geo can target at most {MAX_GEO} countries"));
        return Field::Absent;
    }
    for (country, url) in raw {
        let cc = country.to_ascii_uppercase();
        if cc.len() != 2 || !cc.bytes().all(|b| b.is_ascii_uppercase()) {
            r.error(
                "geo",
                format!("'{country}' is not a two-letter country code"),
            );
            continue;
        }
        match url.as_str().map(|u| rules.policy.check(u)) {
            Some(Ok(u)) => {
                out.insert(cc, u);
            }
            Some(Err(e)) => r.error("geo", format!("{cc}: {}", e.message())),
            None => r.error("geo", format!("{cc}: the target must be a string")),
        }
    }
    if out.is_empty() {
        Field::Null
    } else {
        Field::Value(out)
    }
}

/// Trims, drops duplicates (by slug), and checks count and length.
pub fn normalise_tag_names(list: &[String]) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    let mut slugs: Vec<String> = Vec::new();
    for raw in list {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > MAX_TAG_NAME {
            return Err(format!("each tag must have 1 to {MAX_TAG_NAME} characters"));
        }
        let slug = super::slug::slugify(name);
        if slug.is_empty() {
            return Err(format!("tag '{name}' needs at least one letter or digit"));
        }
        if !slugs.contains(&slug) {
            slugs.push(slug);
            out.push(name.to_string());
        }
    }
    if out.len() > MAX_TAGS {
        return Err(format!("a link can have at most {MAX_TAGS} tags"));
    }
    Ok(out)
}

/// Links with a password in one bulk create, at most: each costs a PBKDF2 hash.
pub const MAX_BULK_PASSWORDS: usize = 10;

/// How many items of a bulk create set a (non-empty) password.
pub fn passwords_in(items: &[serde_json::Value]) -> usize {
    items
        .iter()
        .filter(|i| {
            i.get("password")
                .and_then(serde_json::Value::as_str)
                .is_some_and(|p| !p.is_empty())
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rules(policy: &Policy) -> Rules<'_> {
        Rules {
            policy,
            username: Some("alice"),
            now: crate::time::parse("2026-01-01T00:00:00Z").unwrap(),
        }
    }

    fn create(body: Value) -> Result<LinkFields, Vec<FieldError>> {
        parse_create(&body, &rules(&Policy::new(&["ulo.ad".into()], &[])))
    }

    fn update(body: Value) -> Result<LinkFields, Vec<FieldError>> {
        parse_update(&body, &rules(&Policy::new(&["ulo.ad".into()], &[])))
    }

    fn fields(errs: &[FieldError]) -> Vec<&str> {
        errs.iter().map(|e| e.field.as_str()).collect()
    }

    #[test]
    fn create_needs_only_a_url() {
        let f = create(json!({"url": "https://a.de"})).unwrap();
        assert_eq!(f.url, Field::Value("https://a.de/".into()));
        assert!(f.code.is_absent() && f.title.is_absent());
        let errs = create(json!({})).unwrap_err();
        assert_eq!(fields(&errs), ["url"]);
    }

    #[test]
    fn create_reads_every_field() {
        let f = create(json!({
            "url": "https://a.de", "code": "alice/promo", "title": " T ", "description": "D",
            "is_active": false, "password": "pw", "max_clicks": 10, "expires_at": "2030-01-01T01:00:00+01:00",
            "tags": ["News", "news ", "Sale"], "utm_source": "nl", "utm_medium": "mail", "utm_campaign": "x",
            "workspace_id": "w1", "redirect_status": 307, "forward_query": false
        }))
        .unwrap();
        assert_eq!(f.code, Field::Value("alice/promo".into()));
        assert_eq!(f.title, Field::Value("T".into()));
        assert_eq!(
            f.expires_at,
            Field::Value("2030-01-01T00:00:00.000Z".into())
        );
        assert_eq!(f.tags, Field::Value(vec!["News".into(), "Sale".into()]));
        assert_eq!(f.redirect_status, Field::Value(307));
        assert_eq!(f.max_clicks, Field::Value(10));
    }

    #[test]
    fn names_every_offending_field() {
        let errs = create(json!({
            "url": "ftp://x", "code": "a/b", "ulr": 1, "title": "t".repeat(201), "max_clicks": 0,
            "expires_at": "tomorrow", "redirect_status": 200, "tags": [""], "is_active": "yes",
            "workspace_id": "a b"
        }))
        .unwrap_err();
        assert_eq!(
            fields(&errs),
            [
                "ulr",
                "url",
                "code",
                "title",
                "is_active",
                "max_clicks",
                "expires_at",
                "tags",
                "workspace_id",
                "redirect_status"
            ]
        );
    }

    #[test]
    fn refuses_expiry_in_the_past_and_loops() {
        let errs = create(json!({"url": "https://ulo.ad/x", "expires_at": "2025-12-31T23:59:59Z"}))
            .unwrap_err();
        assert_eq!(fields(&errs), ["url", "expires_at"]);
        assert!(errs[0].message.contains("loop"));
    }

    #[test]
    fn redirect_status_out_of_range_is_an_error_not_a_wrap() {
        let errs = create(json!({"url": "https://a.de", "redirect_status": 65_838})).unwrap_err();
        assert_eq!(fields(&errs), ["redirect_status"]);
    }

    #[test]
    fn update_is_partial_and_null_clears() {
        let f = update(json!({"title": null, "password": ""})).unwrap();
        assert_eq!(f.title, Field::Null);
        assert_eq!(f.password, Field::Null);
        assert!(f.url.is_absent());
        assert_eq!(fields(&update(json!({})).unwrap_err()), [""]);
        assert_eq!(
            fields(&update(json!({"url": null, "code": null})).unwrap_err()),
            ["url", "code"]
        );
    }

    #[test]
    fn too_many_tags() {
        let tags: Vec<String> = (0..21).map(|i| format!("t{i}")).collect();
        assert_eq!(
            fields(&create(json!({"url": "https://a.de", "tags": tags})).unwrap_err()),
            ["tags"]
        );
    }

    #[test]
    fn redirect_record_defaults_for_old_records_and_stays_small() {
        let r: RedirectRecord =
            serde_json::from_str(r#"{"link_id":"x","url":"https://a.de/"}"#).unwrap();
        assert_eq!(r.status, 302);
        assert!(r.active);
        assert_eq!(
            serde_json::to_string(&r).unwrap(),
            r#"{"link_id":"x","url":"https://a.de/","status":302}"#
        );
    }

    #[test]
    fn times_are_stored_in_one_format() {
        let t = crate::time::parse("2030-05-06T07:08:09.5+02:00").unwrap();
        assert_eq!(crate::time::format(t), "2030-05-06T05:08:09.500Z");
        assert_eq!(crate::time::parse("2030-05-06"), None);
    }

    #[test]
    fn passwords_of_a_bulk_request_are_counted() {
        let items: Vec<serde_json::Value> = vec![
            serde_json::json!({ "url": "https://a.example/", "password": "x" }),
            serde_json::json!({ "url": "https://a.example/", "password": "" }),
            serde_json::json!({ "url": "https://a.example/", "password": null }),
            serde_json::json!({ "url": "https://a.example/" }),
            serde_json::json!({ "url": "https://a.example/", "password": "y" }),
        ];
        assert_eq!(passwords_in(&items), 2);
    }
}
