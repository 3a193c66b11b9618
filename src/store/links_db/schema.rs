//! The `links` table as the store reads and writes it, in one place: the columns a read
//! selects (and the row they make), and the columns a write sets, each field of a link
//! write named once. Inserts and updates are both built from `written`.

use serde::Deserialize;
use serde_json::Value;

use crate::store::d1::{self, P};
use crate::store::StoreError;
use uload_core::fields::Field;
use uload_core::link::{self, Link, LinkFields, DEFAULT_STATUS};

/// The columns a read selects, as `LinkRow` names them (`l` is `links`).
const READ: &str = "l.id, l.code, l.url, l.title, l.description, l.is_active, \
    l.password_hash IS NOT NULL AS has_password, l.max_clicks, l.expires_at, l.click_count, \
    l.bot_click_count, l.last_clicked_at, l.utm_source, l.utm_medium, l.utm_campaign, l.user_id, \
    l.workspace_id, l.redirect_status, l.forward_query, l.created_at, l.updated_at, l.version, \
    l.password_hash, l.ios_url, l.android_url, l.geo_targets, l.blocked_reason, l.blocked_at, \
    l.held_at, l.og_title, l.og_description, l.og_image";

/// The link's tag names, a JSON array (only the API's reads need them; the redirect path's
/// do not pay for the join).
const TAGS: &str = "(SELECT json_group_array(t.name) FROM link_tags lt JOIN tags t \
    ON t.id = lt.tag_id WHERE lt.link_id = l.id) AS tags";

/// `SELECT … FROM links l`, with or without the tags.
pub(super) fn select(with_tags: bool) -> String {
    if with_tags {
        format!("SELECT {READ}, {TAGS} FROM links l")
    } else {
        format!("SELECT {READ} FROM links l")
    }
}

/// `select(true)` for a page of many links, each row one JSON object made by SQLite (`j`):
/// D1 hands a row over as a JS object the worker then reads field by field across the JS
/// boundary (33 fields a link); one string a link is read in one go (`rows_from_json`).
pub(super) fn select_json() -> &'static str {
    static SELECT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let fields = READ
            .split(", ")
            .map(|column| {
                let name = column.rsplit([' ', '.']).next().unwrap_or(column);
                let expr = column.split(" AS ").next().unwrap_or(column);
                format!("'{name}', {expr}")
            })
            .collect::<Vec<_>>()
            .join(", ");
        let tags = TAGS.trim_end_matches(" AS tags");
        format!("SELECT json_object({fields}, 'tags', {tags}) AS j FROM links l")
    });
    &SELECT
}

/// The rows of a `select_json` statement.
pub(super) fn rows_from_json(rows: Vec<JsonRow>) -> Result<Vec<LinkRow>, StoreError> {
    rows.iter()
        .map(|r| serde_json::from_str(&r.j).map_err(|e| StoreError::Corrupt(e.to_string())))
        .collect()
}

#[derive(Deserialize)]
pub(super) struct JsonRow {
    j: String,
}

/// A link's tag names as a row holds them: JSON text from D1's own rows, or already an array
/// when SQLite embedded them in a row's JSON (`select_json`). Read by its own visitor rather
/// than `#[serde(untagged)]`, which buffers every row's value to try each case in turn.
enum Tags {
    Text(String),
    List(Vec<String>),
}

impl<'de> Deserialize<'de> for Tags {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Either;
        impl<'de> serde::de::Visitor<'de> for Either {
            type Value = Tags;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("tag names as JSON text or as an array")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Tags, E> {
                Ok(Tags::Text(v.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Tags, A::Error> {
                let mut names = Vec::new();
                while let Some(name) = seq.next_element()? {
                    names.push(name);
                }
                Ok(Tags::List(names))
            }
        }
        d.deserialize_any(Either)
    }
}

/// A row as D1 hands it over: SQLite has no booleans, and JS numbers arrive as floats.
#[derive(Deserialize)]
pub(super) struct LinkRow {
    id: String,
    code: String,
    url: String,
    title: Option<String>,
    description: Option<String>,
    is_active: f64,
    has_password: f64,
    max_clicks: Option<f64>,
    expires_at: Option<String>,
    click_count: f64,
    bot_click_count: f64,
    last_clicked_at: Option<String>,
    utm_source: Option<String>,
    utm_medium: Option<String>,
    utm_campaign: Option<String>,
    user_id: Option<String>,
    workspace_id: Option<String>,
    redirect_status: f64,
    forward_query: f64,
    created_at: String,
    updated_at: String,
    version: f64,
    password_hash: Option<String>,
    ios_url: Option<String>,
    android_url: Option<String>,
    geo_targets: Option<String>,
    #[serde(default)]
    blocked_reason: Option<String>,
    #[serde(default)]
    blocked_at: Option<String>,
    #[serde(default)]
    held_at: Option<String>,
    #[serde(default)]
    og_title: Option<String>,
    #[serde(default)]
    og_description: Option<String>,
    #[serde(default)]
    og_image: Option<String>,
    tags: Option<Tags>,
}

impl From<LinkRow> for Link {
    fn from(r: LinkRow) -> Self {
        let mut tags: Vec<String> = match r.tags {
            Some(Tags::Text(t)) => serde_json::from_str(&t).unwrap_or_default(),
            Some(Tags::List(t)) => t,
            None => Vec::new(),
        };
        tags.sort();
        Link {
            id: r.id,
            code: r.code,
            url: r.url,
            title: r.title,
            description: r.description,
            is_active: d1::flag(r.is_active),
            has_password: d1::flag(r.has_password),
            max_clicks: r.max_clicks.map(d1::uint),
            expires_at: r.expires_at,
            click_count: d1::uint(r.click_count),
            bot_click_count: d1::uint(r.bot_click_count),
            last_clicked_at: r.last_clicked_at,
            tags,
            utm_source: r.utm_source,
            utm_medium: r.utm_medium,
            utm_campaign: r.utm_campaign,
            user_id: r.user_id,
            workspace_id: r.workspace_id,
            redirect_status: r.redirect_status as u16,
            forward_query: d1::flag(r.forward_query),
            ios_url: r.ios_url,
            android_url: r.android_url,
            geo: geo(r.geo_targets),
            created_at: r.created_at,
            updated_at: r.updated_at,
            version: d1::uint(r.version),
            password_hash: r.password_hash,
            blocked: r.blocked_reason.map(|reason| link::Blocked {
                reason,
                at: r.blocked_at.unwrap_or_default(),
            }),
            held_at: r.held_at,
            og_title: r.og_title,
            og_description: r.og_description,
            og_image: r.og_image,
        }
    }
}

fn geo(json: Option<String>) -> std::collections::BTreeMap<String, String> {
    json.and_then(|j| serde_json::from_str(&j).ok())
        .unwrap_or_default()
}

pub(super) fn link_from_value(v: Value) -> Result<Link, StoreError> {
    serde_json::from_value::<LinkRow>(v)
        .map(Link::from)
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A validated link write: the request's fields (`uload_core::link::LinkFields`, whose
/// password is never read here) and the password's hash, made by the caller, so plain text
/// never reaches the store.
#[derive(Debug, Default, Clone)]
pub struct LinkWrite {
    pub fields: LinkFields,
    pub password_hash: Field<String>,
}

impl LinkWrite {
    pub fn code(&self) -> Option<&str> {
        match &self.fields.code {
            Field::Value(c) => Some(c),
            _ => None,
        }
    }

    pub fn set_code(&mut self, code: String) {
        self.fields.code = Field::Value(code);
    }

    /// `Some`: replace the link's tags with these names (null: no tags).
    pub fn tags(&self) -> Option<Vec<String>> {
        match &self.fields.tags {
            Field::Value(t) => Some(t.clone()),
            Field::Null => Some(Vec::new()),
            Field::Absent => None,
        }
    }
}

/// One column of a link write.
pub(super) struct Column {
    pub name: &'static str,
    /// `None`: the write leaves it as it is (an update) or at `default` (an insert).
    pub value: Option<P>,
    pub default: P,
}

/// Every column a link write can set, with this write's value and a new link's default.
pub(super) fn written(w: &LinkWrite) -> Vec<Column> {
    let f = &w.fields;
    let text = |v: &Field<String>| nullable(v, |s| s.as_str().into());
    let column = |name, value, default| Column {
        name,
        value,
        default,
    };
    vec![
        column("url", required(&f.url, |s| s.as_str().into()), "".into()),
        column("code", required(&f.code, |s| s.as_str().into()), "".into()),
        column("title", text(&f.title), P::Null),
        column("description", text(&f.description), P::Null),
        column(
            "is_active",
            required(&f.is_active, |b| (*b).into()),
            true.into(),
        ),
        column("password_hash", text(&w.password_hash), P::Null),
        column(
            "max_clicks",
            nullable(&f.max_clicks, |n| (*n as i64).into()),
            P::Null,
        ),
        column("expires_at", text(&f.expires_at), P::Null),
        column("utm_source", text(&f.utm_source), P::Null),
        column("utm_medium", text(&f.utm_medium), P::Null),
        column("utm_campaign", text(&f.utm_campaign), P::Null),
        column("workspace_id", text(&f.workspace_id), P::Null),
        column(
            "redirect_status",
            required(&f.redirect_status, |s| i64::from(*s).into()),
            i64::from(DEFAULT_STATUS).into(),
        ),
        column(
            "forward_query",
            required(&f.forward_query, |b| (*b).into()),
            true.into(),
        ),
        column("ios_url", text(&f.ios_url), P::Null),
        column("android_url", text(&f.android_url), P::Null),
        // The column holds the map as JSON text.
        column(
            "geo_targets",
            nullable(&f.geo, |g| {
                serde_json::to_string(g).unwrap_or_default().into()
            }),
            P::Null,
        ),
        column("og_title", text(&f.og_title), P::Null),
        column("og_description", text(&f.og_description), P::Null),
        column("og_image", text(&f.og_image), P::Null),
    ]
}

/// A column that may be cleared: null writes NULL.
fn nullable<T>(f: &Field<T>, to: impl Fn(&T) -> P) -> Option<P> {
    match f {
        Field::Absent => None,
        Field::Null => Some(P::Null),
        Field::Value(v) => Some(to(v)),
    }
}

/// A column that always has a value: null leaves it as it is (validation refuses null for
/// these; this is the store's own guard).
fn required<T>(f: &Field<T>, to: impl Fn(&T) -> P) -> Option<P> {
    match f {
        Field::Value(v) => Some(to(v)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names a read selects (`l.url` → `url`, `… AS has_password` → `has_password`).
    fn read_names() -> Vec<&'static str> {
        READ.split(',')
            .map(|c| {
                c.trim()
                    .rsplit(' ')
                    .next()
                    .unwrap_or_default()
                    .trim_start_matches("l.")
            })
            .collect()
    }

    #[test]
    fn every_column_a_write_sets_is_read_back_and_named_once() {
        let read = read_names();
        let written: Vec<&str> = written(&LinkWrite::default())
            .iter()
            .map(|c| c.name)
            .collect();
        for name in &written {
            assert!(read.contains(name), "{name} is written but never read");
            assert_eq!(written.iter().filter(|n| *n == name).count(), 1, "{name}");
        }
    }

    /// A row of every read column: the required ones set, the others null.
    fn read_row() -> serde_json::Map<String, Value> {
        let mut row = serde_json::Map::new();
        for name in read_names() {
            let value = match name {
                "id" | "code" | "url" | "created_at" | "updated_at" => Value::from(name),
                "is_active" | "has_password" | "click_count" | "bot_click_count"
                | "redirect_status" | "forward_query" | "version" => Value::from(1.0),
                _ => Value::Null,
            };
            row.insert(name.to_string(), value);
        }
        row
    }

    #[test]
    fn a_row_of_the_read_columns_is_a_link() {
        let row = read_row();
        let link = link_from_value(Value::Object(row)).expect("the read columns make a row");
        assert_eq!(
            (link.id.as_str(), link.is_active, link.version),
            ("id", true, 1)
        );
    }

    #[test]
    fn tags_are_read_as_json_text_or_as_an_array_and_come_out_sorted() {
        let with = |tags: Value| {
            let mut r = read_row();
            r.insert("tags".into(), tags);
            link_from_value(Value::Object(r)).map(|l| l.tags)
        };
        let both = vec!["a".to_string(), "b".to_string()];
        assert_eq!(with(Value::from(r#"["b","a"]"#)).unwrap(), both);
        assert_eq!(with(serde_json::json!(["b", "a"])).unwrap(), both);
        assert_eq!(with(Value::Null).unwrap(), Vec::<String>::new());
        assert!(with(Value::from(3)).is_err(), "a number is no tag list");
    }

    #[test]
    fn an_update_sets_only_what_it_names_and_null_clears_only_nullable_columns() {
        let w = LinkWrite {
            fields: LinkFields {
                title: Field::Null,
                url: Field::Null,
                max_clicks: Field::Value(5),
                ..LinkFields::default()
            },
            password_hash: Field::Absent,
        };
        let set: Vec<(&str, bool)> = written(&w)
            .into_iter()
            .filter_map(|c| c.value.map(|v| (c.name, matches!(v, P::Null))))
            .collect();
        assert_eq!(set, vec![("title", true), ("max_clicks", false)]);
    }
}
