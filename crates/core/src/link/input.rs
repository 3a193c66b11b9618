//! The input the link API accepts: create and partial update, field by field, with the
//! rules (target policy, now, limits) passed in; tag names; bulk limits.

use super::*;

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
    pub og_title: Field<String>,
    pub og_description: Field<String>,
    pub og_image: Field<String>,
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
    "og_title",
    "og_description",
    "og_image",
];

pub const MAX_GEO: usize = 50;
/// A workspace's slug, as `workspace_id` names it.
pub const MAX_WORKSPACE_ID: usize = 50;

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
/// Fields of a link's representation that a client cannot set: a PATCH may send them back
/// (a GET's body, edited), and they are ignored; `version` is checked instead (as `If-Match`).
pub const READ_ONLY: &[&str] = &[
    "id",
    "user_id",
    "short_url",
    "url_display",
    "click_count",
    "bot_click_count",
    "last_clicked_at",
    "created_at",
    "updated_at",
    "version",
    "warnings",
    "has_password",
    "blocked",
    "held_at",
];

/// What a PATCH body asks to change, given the link as a GET shows it (`current`): without
/// the read-only fields and without the fields it sends back unchanged (an expiry already in
/// the past, a code the link already has), so a GET's body can be edited and sent back.
/// Returns the rest and the `version` it names, if any. A body that is not an object is
/// returned as it is, for `parse_update` to refuse.
pub fn changes(body: &Value, current: &Value) -> Result<(Value, Option<u64>), Vec<FieldError>> {
    let Some(given) = body.as_object() else {
        return Ok((body.clone(), None));
    };
    let mut version = None;
    let mut rest = serde_json::Map::new();
    for (k, v) in given {
        if k == "version" {
            // Versions start at 1: 0 is not one the link could have been read with.
            match crate::fields::whole(v) {
                Some(n) if n >= 1 => version = Some(n),
                _ => {
                    return Err(vec![FieldError::new(
                        "version",
                        "version must be the whole number the link was read with",
                    )])
                }
            }
        } else if READ_ONLY.contains(&k.as_str()) || current.get(k) == Some(v) {
            continue;
        } else {
            rest.insert(k.clone(), v.clone());
        }
    }
    Ok((Value::Object(rest), version))
}

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
    let workspace_id = match text(r, "workspace_id", MAX_WORKSPACE_ID) {
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
    let og_title = text(r, "og_title", MAX_TITLE);
    let og_description = text(r, "og_description", MAX_DESCRIPTION);
    let og_image = match r.string("og_image") {
        Field::Value(raw) => match crate::target::image_url(&raw) {
            Ok(u) => Field::Value(u),
            Err(msg) => {
                r.error("og_image", msg);
                Field::Absent
            }
        },
        other => other,
    };
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
        og_title,
        og_description,
        og_image,
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
        let slug = crate::slug::slugify(name);
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

/// The members each bulk request accepts (anything else is a 422).
pub const BULK_CREATE_FIELDS: &[&str] = &["links"];
pub const BULK_DELETE_FIELDS: &[&str] = &["ids"];
pub const BULK_UPDATE_FIELDS: &[&str] = &["ids", "is_active"];
pub const BULK_TAG_FIELDS: &[&str] = &["ids", "add", "remove"];

/// Items (links or ids) of one bulk request, at most.
pub const MAX_BULK: usize = 100;

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
