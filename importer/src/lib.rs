//! Moving uLoad's PocketBase data into uload-edge: read the `users`, `links`, `tags` and
//! `clicks` collections (from `pb_data/data.db`, from JSON pages of the REST API, or from
//! CSV exports), map them onto the D1 schema with the worker's own rules, and write SQL
//! that is safe to run any number of times (`INSERT … ON CONFLICT DO NOTHING` by id).
//!
//! What is deliberately not carried over: plaintext passwords (hashed on the way, PBKDF2
//! as the worker does), raw IP addresses (uLoad stored them in `ip_hash`; clicks keep no
//! visitor hash instead), and records that break the worker's rules (reported, skipped).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use serde_json::{Map, Value};
use uload_edge::domain::{code, secret, slug, target, useragent};

pub type Record = Map<String, Value>;

/// The four collections, as read.
#[derive(Debug, Default)]
pub struct Collections {
    pub users: Vec<Record>,
    pub links: Vec<Record>,
    pub tags: Vec<Record>,
    pub clicks: Vec<Record>,
}

impl Collections {
    fn slot(&mut self, name: &str) -> Option<&mut Vec<Record>> {
        match name {
            "users" => Some(&mut self.users),
            "links" => Some(&mut self.links),
            "tags" => Some(&mut self.tags),
            "clicks" => Some(&mut self.clicks),
            _ => None,
        }
    }

    pub fn total(&self) -> usize {
        self.users.len() + self.links.len() + self.tags.len() + self.clicks.len()
    }
}

/// A record that was not imported, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Skip {
    pub collection: &'static str,
    pub id: String,
    pub reason: String,
}

// --- Reading ----------------------------------------------------------------------------

/// PocketBase's SQLite file: one table per collection (absent tables are empty collections).
pub fn read_sqlite(path: &Path) -> Result<Collections, String> {
    let db =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Collections::default();
    for name in ["users", "links", "tags", "clicks"] {
        let exists: bool = db
            .query_row(
                "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?1",
                [name],
                |r| r.get(0),
            )
            .map_err(|e| e.to_string())?;
        if !exists {
            continue;
        }
        let mut stmt = db
            .prepare(&format!("SELECT * FROM \"{name}\""))
            .map_err(|e| e.to_string())?;
        let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
        let rows = stmt
            .query_map([], |row| {
                let mut rec = Record::new();
                for (i, c) in columns.iter().enumerate() {
                    let v = match row.get_ref(i)? {
                        rusqlite::types::ValueRef::Null => Value::Null,
                        rusqlite::types::ValueRef::Integer(n) => Value::from(n),
                        rusqlite::types::ValueRef::Real(f) => Value::from(f),
                        rusqlite::types::ValueRef::Text(t) => {
                            Value::from(String::from_utf8_lossy(t).into_owned())
                        }
                        rusqlite::types::ValueRef::Blob(_) => Value::Null,
                    };
                    rec.insert(c.clone(), v);
                }
                Ok(rec)
            })
            .map_err(|e| e.to_string())?;
        let slot = out.slot(name).expect("known collection");
        for r in rows {
            slot.push(r.map_err(|e| e.to_string())?);
        }
    }
    Ok(out)
}

/// JSON pages of PocketBase's REST API (`{page, perPage, totalItems, items: […]}`), one per
/// file, named after their collection: `links.json`, `links-2.json`, `tags_page3.json`, …
pub fn read_json_dir(dir: &Path) -> Result<Collections, String> {
    let mut out = Collections::default();
    let mut files = files_in(dir, "json")?;
    files.sort();
    for (collection, path) in files {
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let page: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let items = page
            .get("items")
            .and_then(Value::as_array)
            .ok_or_else(|| format!("{}: not a PocketBase page (no items)", path.display()))?;
        let slot = out
            .slot(&collection)
            .expect("filtered to known collections");
        for item in items {
            if let Value::Object(rec) = item {
                slot.push(rec.clone());
            }
        }
    }
    Ok(out)
}

/// CSV exports with a header row, one file per collection (`links.csv`, …).
pub fn read_csv_dir(dir: &Path) -> Result<Collections, String> {
    let mut out = Collections::default();
    for (collection, path) in files_in(dir, "csv")? {
        let mut reader =
            csv::Reader::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let headers = reader.headers().map_err(|e| e.to_string())?.clone();
        let slot = out
            .slot(&collection)
            .expect("filtered to known collections");
        for row in reader.records() {
            let row = row.map_err(|e| format!("{}: {e}", path.display()))?;
            let rec: Record = headers
                .iter()
                .zip(row.iter())
                .map(|(h, v)| {
                    (
                        h.to_string(),
                        if v.is_empty() {
                            Value::Null
                        } else {
                            Value::from(v)
                        },
                    )
                })
                .collect();
            slot.push(rec);
        }
    }
    Ok(out)
}

/// Files of `dir` with extension `ext` whose name starts with a collection name.
fn files_in(dir: &Path, ext: &str) -> Result<Vec<(String, std::path::PathBuf)>, String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().and_then(|e| e.to_str()) != Some(ext) {
            continue;
        }
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let collection = ["users", "links", "tags", "clicks"].into_iter().find(|c| {
            stem == *c || stem.starts_with(&format!("{c}-")) || stem.starts_with(&format!("{c}_"))
        });
        if let Some(c) = collection {
            out.push((c.to_string(), path));
        }
    }
    Ok(out)
}

// --- Mapping ----------------------------------------------------------------------------

/// The first present, non-empty field among `names` (uLoad's field names changed over time,
/// and exports name some differently).
fn field<'a>(r: &'a Record, names: &[&str]) -> Option<&'a Value> {
    names
        .iter()
        .filter_map(|n| r.get(*n))
        .find(|v| !v.is_null() && v.as_str() != Some(""))
}

fn text(r: &Record, names: &[&str]) -> Option<String> {
    field(r, names).map(|v| match v {
        Value::String(s) => s.trim().to_string(),
        other => other.to_string(),
    })
}

fn number(r: &Record, names: &[&str]) -> Option<i64> {
    field(r, names).and_then(|v| match v {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

fn flag(r: &Record, names: &[&str], default: bool) -> bool {
    match field(r, names) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() != Some(0),
        Some(Value::String(s)) => matches!(s.trim(), "true" | "1" | "yes" | "TRUE" | "True"),
        _ => default,
    }
}

/// The record's id if it is usable; otherwise the record is reported as skipped.
fn checked_id(r: &Record, collection: &'static str, skipped: &mut Vec<Skip>) -> Option<String> {
    let id = text(r, &["id"]).unwrap_or_default();
    if valid_id(&id) {
        return Some(id);
    }
    skipped.push(Skip {
        collection,
        id,
        reason: "no valid id".into(),
    });
    None
}

/// The record's owner (a user id), `Ok(None)` for the service's own namespace, `Err` when
/// the owner is not among the imported users.
fn owner_of(r: &Record, usernames: &BTreeMap<String, String>) -> Result<Option<String>, ()> {
    match text(r, &["user_id", "user", "owner"]) {
        Some(o) if !usernames.contains_key(&o) => Err(()),
        owner => Ok(owner),
    }
}

/// PocketBase ids: 15 characters of [a-z0-9]; anything id-shaped up to 64 is kept.
fn valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// PocketBase times (`2024-01-02 03:04:05.678Z`) and RFC 3339 → ISO 8601 UTC with ms.
pub fn iso_time(v: &str) -> Option<String> {
    let v = v.trim();
    let candidate = v.replacen(' ', "T", 1);
    let parsed = chrono_parse(&candidate).or_else(|| chrono_parse(&format!("{candidate}Z")))?;
    Some(parsed)
}

fn chrono_parse(v: &str) -> Option<String> {
    // The worker's chrono, through its stats helper, so formats agree exactly.
    let t = uload_edge::domain::stats::parse_instant(v)?;
    Some(uload_edge::domain::stats::iso(t))
}

/// A list field: PocketBase relations are JSON arrays (as text in SQLite, arrays in JSON,
/// comma- or space-separated in CSV).
fn list(r: &Record, names: &[&str]) -> Vec<String> {
    match field(r, names) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        Some(Value::String(s)) => {
            let s = s.trim();
            if s.starts_with('[') {
                serde_json::from_str::<Vec<String>>(s).unwrap_or_default()
            } else {
                s.split([',', ' '])
                    .filter(|x| !x.is_empty())
                    .map(str::to_string)
                    .collect()
            }
        }
        _ => Vec::new(),
    }
}

/// Whether a stored hash is one the worker itself would write (format, cost, sizes).
pub fn is_worker_hash(phc: &str) -> bool {
    secret::PasswordHash::parse(phc).is_some_and(|h| {
        h.iterations == secret::PBKDF2_ITERATIONS
            && h.salt.len() >= secret::SALT_LEN
            && h.hash.len() == secret::HASH_LEN
    })
}

/// Derives a password hash the worker verifies: PBKDF2-HMAC-SHA256, the worker's
/// iterations and salt length, as a PHC string.
pub fn hash_password(password: &str) -> String {
    let mut salt = vec![0u8; secret::SALT_LEN];
    getrandom::fill(&mut salt).expect("the OS has randomness");
    let mut hash = vec![0u8; secret::HASH_LEN];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
        password.as_bytes(),
        &salt,
        secret::PBKDF2_ITERATIONS,
        &mut hash,
    );
    secret::PasswordHash {
        iterations: secret::PBKDF2_ITERATIONS,
        salt,
        hash,
    }
    .to_phc()
}

/// Rows to insert, by table, and what was skipped.
#[derive(Debug, Default)]
pub struct Plan {
    pub rows: BTreeMap<&'static str, Vec<BTreeMap<&'static str, Value>>>,
    pub skipped: Vec<Skip>,
}

impl Plan {
    pub fn count(&self, table: &str) -> usize {
        self.rows.get(table).map_or(0, Vec::len)
    }

    fn push(&mut self, table: &'static str, row: BTreeMap<&'static str, Value>) {
        self.rows.entry(table).or_default().push(row);
    }
}

/// Table order for inserting: parents before children.
pub const TABLES: [&str; 5] = ["users", "links", "tags", "link_tags", "clicks"];

/// Maps every record; `progress` is called every 1,000 records.
/// `plan_with` under uLoad's own short domain and no blocked domains.
pub fn plan(c: &Collections, now: &str, progress: impl FnMut(usize, usize)) -> Plan {
    plan_with(
        c,
        now,
        &target::Policy::new(&["ulo.ad".to_string()], &[]),
        progress,
    )
}

/// Maps the collections to rows with the worker's rules; `policy` is the target policy of
/// the worker they go to (its short domains and blocked domains, as configured there).
pub fn plan_with(
    c: &Collections,
    now: &str,
    policy: &target::Policy,
    mut progress: impl FnMut(usize, usize),
) -> Plan {
    let mut p = Plan::default();
    let total = c.total();
    let mut done = 0;
    let mut tick = |p: &mut usize| {
        *p += 1;
        if (*p).is_multiple_of(1000) {
            progress(*p, total);
        }
    };

    // Users: id, username (unique), name, bio.
    let mut usernames: BTreeMap<String, String> = BTreeMap::new();
    let mut seen_usernames = HashSet::new();
    for r in &c.users {
        tick(&mut done);
        let Some(id) = checked_id(r, "users", &mut p.skipped) else {
            continue;
        };
        let skip = |reason: &str| Skip {
            collection: "users",
            id: id.clone(),
            reason: reason.into(),
        };
        let Some(username) = text(r, &["username"]).filter(|u| !u.is_empty()) else {
            p.skipped.push(skip("no username"));
            continue;
        };
        if !seen_usernames.insert(username.to_lowercase()) {
            p.skipped
                .push(skip("username already taken by another record"));
            continue;
        }
        usernames.insert(id.clone(), username.clone());
        let mut row = BTreeMap::new();
        row.insert("id", Value::from(id.clone()));
        row.insert("username", Value::from(username));
        row.insert(
            "display_name",
            text(r, &["name", "display_name"]).map_or(Value::Null, Value::from),
        );
        row.insert("bio", text(r, &["bio"]).map_or(Value::Null, Value::from));
        row.insert(
            "profile_public",
            Value::from(i64::from(flag(r, &["profile_public", "public"], true))),
        );
        let (created, updated) = times(r, now);
        row.insert("created_at", Value::from(created));
        row.insert("updated_at", Value::from(updated));
        p.push("users", row);
    }

    // Tags: per owner, slug unique per owner.
    // Each tag's owner: a link only gets tags of its own owner.
    let mut tag_ids: HashMap<String, Option<String>> = HashMap::new();
    let mut tag_slugs = HashSet::new();
    for r in &c.tags {
        tick(&mut done);
        let Some(id) = checked_id(r, "tags", &mut p.skipped) else {
            continue;
        };
        let skip = |reason: String| Skip {
            collection: "tags",
            id: id.clone(),
            reason,
        };
        let name = text(r, &["name"]).unwrap_or_default();
        let tag_slug = slug::slugify(&name);
        if name.is_empty() || name.chars().count() > 50 || tag_slug.is_empty() {
            p.skipped.push(skip(
                "name must be 1 to 50 characters with a letter or digit".into(),
            ));
            continue;
        }
        let Ok(owner) = owner_of(r, &usernames) else {
            p.skipped
                .push(skip("its owner is not among the imported users".into()));
            continue;
        };
        if !tag_slugs.insert((owner.clone(), tag_slug.clone())) {
            p.skipped.push(skip(format!(
                "another tag of this owner is already '{tag_slug}'"
            )));
            continue;
        }
        tag_ids.insert(id.clone(), owner.clone());
        let mut row = BTreeMap::new();
        row.insert("id", Value::from(id));
        row.insert("user_id", owner.map_or(Value::Null, Value::from));
        row.insert("name", Value::from(name));
        row.insert("slug", Value::from(tag_slug));
        row.insert(
            "color",
            text(r, &["color"]).map_or(Value::Null, Value::from),
        );
        let (created, updated) = times(r, now);
        row.insert("created_at", Value::from(created));
        row.insert("updated_at", Value::from(updated));
        p.push("tags", row);
    }

    // Links.
    let clicked: HashSet<String> = c
        .clicks
        .iter()
        .filter_map(|r| text(r, &["link", "link_id"]))
        .collect();
    let mut link_ids = HashSet::new();
    let mut codes = HashSet::new();
    for r in &c.links {
        tick(&mut done);
        let Some(id) = checked_id(r, "links", &mut p.skipped) else {
            continue;
        };
        let skip = |reason: String| Skip {
            collection: "links",
            id: id.clone(),
            reason,
        };
        let Ok(owner) = owner_of(r, &usernames) else {
            p.skipped
                .push(skip("its owner is not among the imported users".into()));
            continue;
        };
        let Some(raw_code) = text(r, &["short_code", "code", "slug", "shortCode"]) else {
            p.skipped.push(skip("no short code".into()));
            continue;
        };
        // uLoad's user links are stored as "username/code" here (served at /u/{user}/{code}).
        let is_user_link = flag(r, &["use_username", "user_link"], false) && owner.is_some();
        let stored_code = if is_user_link {
            format!("{}/{raw_code}", usernames[owner.as_ref().expect("checked")])
        } else {
            raw_code
        };
        let username = owner.as_ref().map(|o| usernames[o].as_str());
        if let Err(e) = code::validate_stored(&stored_code, username) {
            p.skipped
                .push(skip(format!("code '{stored_code}': {}", e.message())));
            continue;
        }
        if !codes.insert(stored_code.clone()) {
            p.skipped.push(skip(format!(
                "code '{stored_code}' is taken by another record"
            )));
            continue;
        }
        let Some(raw_url) = text(r, &["original_url", "url", "target_url", "destination"]) else {
            codes.remove(&stored_code);
            p.skipped.push(skip("no target URL".into()));
            continue;
        };
        let url = match policy.check(&raw_url) {
            Ok(u) => u,
            Err(e) => {
                codes.remove(&stored_code);
                p.skipped.push(skip(format!("target URL: {}", e.message())));
                continue;
            }
        };
        link_ids.insert(id.clone());
        // A stored hash is kept only in the worker's own format and cost (a weaker one would
        // make the password cheap to guess); a plaintext password is hashed exactly as stored.
        let mut imported_inactive = false;
        let password_hash = match text(r, &["password_hash"]) {
            Some(h) if is_worker_hash(&h) => Some(h),
            Some(_) => match text(r, &["password"]).filter(|p| !p.is_empty()) {
                Some(p) => Some(hash_password(&p)),
                None => {
                    // Protected, but not verifiable here: kept, switched off, never open.
                    imported_inactive = true;
                    p.skipped.push(Skip {
                        collection: "links",
                        id: id.clone(),
                        reason: "its password hash is not the worker's PBKDF2 (format or cost): imported inactive, its owner sets a new password".into(),
                    });
                    None
                }
            },
            None => text(r, &["password"])
                .filter(|p| !p.is_empty())
                .map(|p| hash_password(&p)),
        };
        let mut row = BTreeMap::new();
        row.insert("id", Value::from(id.clone()));
        row.insert("code", Value::from(stored_code));
        row.insert("url", Value::from(url));
        row.insert(
            "title",
            text(r, &["title"])
                .map(|t| t.chars().take(200).collect::<String>())
                .map_or(Value::Null, Value::from),
        );
        row.insert(
            "description",
            text(r, &["description"])
                .map(|t| t.chars().take(500).collect::<String>())
                .map_or(Value::Null, Value::from),
        );
        row.insert(
            "is_active",
            Value::from(i64::from(
                flag(r, &["is_active", "active"], true) && !imported_inactive,
            )),
        );
        row.insert(
            "password_hash",
            password_hash.map_or(Value::Null, Value::from),
        );
        row.insert(
            "max_clicks",
            number(r, &["max_clicks"])
                .filter(|n| *n > 0)
                .map_or(Value::Null, Value::from),
        );
        row.insert(
            "expires_at",
            text(r, &["expires_at", "expires"])
                .and_then(|t| iso_time(&t))
                .map_or(Value::Null, Value::from),
        );
        // With click records, the clicks are counted from them (exact); without, uLoad's count.
        let count = if clicked.contains(&id) {
            0
        } else {
            number(r, &["click_count", "clicks"]).unwrap_or(0).max(0)
        };
        row.insert("click_count", Value::from(count));
        row.insert(
            "last_clicked_at",
            text(r, &["last_clicked_at", "last_clicked"])
                .and_then(|t| iso_time(&t))
                .map_or(Value::Null, Value::from),
        );
        for utm in ["utm_source", "utm_medium", "utm_campaign"] {
            row.insert(utm, text(r, &[utm]).map_or(Value::Null, Value::from));
        }
        row.insert("user_id", owner.clone().map_or(Value::Null, Value::from));
        row.insert(
            "workspace_id",
            text(r, &["workspace_id", "workspace"]).map_or(Value::Null, Value::from),
        );
        let (created, updated) = times(r, now);
        row.insert("created_at", Value::from(created));
        row.insert("updated_at", Value::from(updated));
        p.push("links", row);
        for tag in list(r, &["tags"]) {
            let owned = tag_ids
                .get(&tag)
                .is_some_and(|tag_owner| *tag_owner == owner);
            if tag_ids.contains_key(&tag) && !owned {
                p.skipped.push(Skip {
                    collection: "links",
                    id: id.clone(),
                    reason: format!("tag {tag} belongs to another user: not assigned"),
                });
                continue;
            }
            if owned {
                let mut lt = BTreeMap::new();
                lt.insert("link_id", Value::from(id.clone()));
                lt.insert("tag_id", Value::from(tag));
                p.push("link_tags", lt);
            } else {
                p.skipped.push(Skip {
                    collection: "links",
                    id: id.clone(),
                    reason: format!(
                        "tag {tag} is not among the imported tags (link kept without it)"
                    ),
                });
            }
        }
    }

    // Clicks: counted by the worker once imported (pending), never with an IP.
    for r in &c.clicks {
        tick(&mut done);
        let Some(id) = checked_id(r, "clicks", &mut p.skipped) else {
            continue;
        };
        let skip = |reason: String| Skip {
            collection: "clicks",
            id: id.clone(),
            reason,
        };
        let link = text(r, &["link", "link_id"]).unwrap_or_default();
        if !link_ids.contains(&link) {
            p.skipped
                .push(skip(format!("link {link} is not among the imported links")));
            continue;
        }
        let Some(at) = text(r, &["clicked_at", "created"]).and_then(|t| iso_time(&t)) else {
            p.skipped.push(skip("no valid time".into()));
            continue;
        };
        let ua = text(r, &["user_agent"]).unwrap_or_default();
        let agent = useragent::classify(&ua);
        let referer = text(r, &["referer", "referrer"]);
        let mut row = BTreeMap::new();
        row.insert("id", Value::from(format!("pb-{id}")));
        row.insert("link_id", Value::from(link));
        row.insert("clicked_at", Value::from(at));
        row.insert("browser", Value::from(agent.browser));
        row.insert("os", Value::from(agent.os));
        row.insert("device_type", Value::from(agent.device));
        row.insert("is_bot", Value::from(i64::from(agent.bot)));
        row.insert(
            "referer_host",
            uload_edge::domain::click::referer_host(referer.as_deref())
                .map_or(Value::Null, Value::from),
        );
        row.insert(
            "country",
            text(r, &["country"])
                .map(|c| c.to_ascii_uppercase())
                .map_or(Value::Null, Value::from),
        );
        row.insert("city", text(r, &["city"]).map_or(Value::Null, Value::from));
        for utm in [
            "utm_source",
            "utm_medium",
            "utm_campaign",
            "utm_term",
            "utm_content",
        ] {
            row.insert(utm, text(r, &[utm]).map_or(Value::Null, Value::from));
        }
        p.push("clicks", row);
    }
    if total > 0 {
        progress(done, total);
    }
    p
}

fn times(r: &Record, now: &str) -> (String, String) {
    let created = text(r, &["created", "created_at"])
        .and_then(|t| iso_time(&t))
        .unwrap_or_else(|| now.to_string());
    let updated = text(r, &["updated", "updated_at"])
        .and_then(|t| iso_time(&t))
        .unwrap_or_else(|| created.clone());
    (created, updated)
}

fn sql_value(v: &Value) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => i64::from(*b).to_string(),
        Value::String(s) => format!("'{}'", s.replace('\'', "''")),
        other => format!("'{}'", other.to_string().replace('\'', "''")),
    }
}

/// The plan as SQL for `wrangler d1 execute --file`: every row `ON CONFLICT DO NOTHING`, so
/// running it again changes nothing. No transaction statements: D1 runs a file as one batch.
pub fn sql(p: &Plan) -> String {
    let mut out = String::from("-- uload-import: PocketBase data for uload-edge (idempotent)\n");
    for table in TABLES {
        for row in p.rows.get(table).into_iter().flatten() {
            let cols: Vec<&str> = row.keys().copied().collect();
            let vals: Vec<String> = row.values().map(sql_value).collect();
            out.push_str(&format!(
                "INSERT INTO {table} ({}) VALUES ({}) ON CONFLICT DO NOTHING;\n",
                cols.join(", "),
                vals.join(", ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn rec(v: Value) -> Record {
        v.as_object().cloned().unwrap_or_default()
    }

    fn sample() -> Collections {
        Collections {
            users: vec![
                rec(
                    json!({ "id": "user00000000001", "username": "alice", "name": "Alice", "created": "2024-01-02 03:04:05.678Z" }),
                ),
                rec(json!({ "id": "user00000000002", "username": "" })),
                rec(json!({ "id": "user00000000003", "username": "ALICE" })),
            ],
            tags: vec![
                rec(json!({ "id": "tag000000000001", "name": "Promo", "user": "user00000000001" })),
                rec(json!({ "id": "tag000000000002", "name": "  " })),
            ],
            links: vec![
                rec(
                    json!({ "id": "link00000000001", "short_code": "hello", "original_url": "https://example.com/a", "user": "user00000000001", "tags": "[\"tag000000000001\",\"tag0000000000xx\"]", "is_active": 1, "click_count": 9 }),
                ),
                rec(
                    json!({ "id": "link00000000002", "short_code": "secret1", "original_url": "https://example.com/b", "password": "hunter2", "is_active": true }),
                ),
                rec(
                    json!({ "id": "link00000000003", "short_code": "api", "original_url": "https://example.com/c" }),
                ),
                rec(
                    json!({ "id": "link00000000004", "short_code": "evil", "original_url": "javascript:alert(1)" }),
                ),
                rec(
                    json!({ "id": "link00000000005", "short_code": "hello", "original_url": "https://example.com/dup" }),
                ),
                rec(
                    json!({ "id": "link00000000006", "short_code": "mine", "original_url": "https://example.com/m", "user": "user00000000001", "use_username": true }),
                ),
                rec(
                    json!({ "id": "bad id!", "short_code": "x1", "original_url": "https://example.com/" }),
                ),
            ],
            clicks: vec![
                rec(
                    json!({ "id": "click0000000001", "link": "link00000000002", "created": "2024-02-01 10:00:00.000Z", "user_agent": "Twitterbot/1.0", "ip_hash": "203.0.113.9", "country": "de" }),
                ),
                rec(
                    json!({ "id": "click0000000002", "link": "nolink000000000", "created": "2024-02-01 10:00:00.000Z" }),
                ),
            ],
        }
    }

    #[test]
    fn maps_good_records_and_says_why_bad_ones_are_skipped() {
        let mut ticks = 0;
        let p = plan(&sample(), "2026-01-01T00:00:00.000Z", |_, _| ticks += 1);
        assert_eq!(ticks, 1, "a final progress line");
        assert_eq!(
            (
                p.count("users"),
                p.count("tags"),
                p.count("links"),
                p.count("link_tags"),
                p.count("clicks")
            ),
            (1, 1, 3, 1, 1)
        );
        let reasons: Vec<String> = p
            .skipped
            .iter()
            .map(|s| format!("{}:{}:{}", s.collection, s.id, s.reason))
            .collect();
        let has = |needle: &str| {
            assert!(
                reasons.iter().any(|r| r.contains(needle)),
                "{needle} in {reasons:#?}"
            )
        };
        has("users:user00000000002:no username");
        has("users:user00000000003:username already taken");
        has("tags:tag000000000002:name must be");
        has("links:link00000000003:code 'api'");
        has("links:link00000000004:target URL");
        has("links:link00000000005:code 'hello' is taken");
        has("links:bad id!:no valid id");
        has("links:link00000000001:tag tag0000000000xx");
        has("clicks:click0000000002:link nolink000000000");
        let links = &p.rows["links"];
        let user_link = links.iter().find(|l| l["id"] == "link00000000006").unwrap();
        assert_eq!(
            user_link["code"], "alice/mine",
            "user links keep their /u/ path"
        );
        let hello = links.iter().find(|l| l["id"] == "link00000000001").unwrap();
        assert_eq!(
            hello["click_count"], 9,
            "no click records: uLoad's count is kept"
        );
        let secret = links.iter().find(|l| l["id"] == "link00000000002").unwrap();
        assert_eq!(
            secret["click_count"], 0,
            "counted from its click records instead"
        );
        assert_eq!(p.rows["users"][0]["created_at"], "2024-01-02T03:04:05.678Z");
    }

    #[test]
    fn passwords_are_hashed_the_way_the_worker_verifies_them() {
        let p = plan(&sample(), "2026-01-01T00:00:00.000Z", |_, _| {});
        let phc = p.rows["links"]
            .iter()
            .find(|l| l["id"] == "link00000000002")
            .unwrap()["password_hash"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(!phc.contains("hunter2"));
        let parsed = secret::PasswordHash::parse(&phc).expect("a PHC string the worker reads");
        let mut derived = vec![0u8; parsed.hash.len()];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
            b"hunter2",
            &parsed.salt,
            parsed.iterations,
            &mut derived,
        );
        assert!(parsed.matches(&derived));
        let mut wrong = vec![0u8; parsed.hash.len()];
        pbkdf2::pbkdf2_hmac::<sha2::Sha256>(
            b"hunter3",
            &parsed.salt,
            parsed.iterations,
            &mut wrong,
        );
        assert!(!parsed.matches(&wrong));
    }

    #[test]
    fn no_ip_reaches_the_sql_and_quotes_are_escaped() {
        let mut c = sample();
        c.links[0].insert(
            "title".into(),
            json!("it's \"quoted\"; DROP TABLE links; --"),
        );
        let text = sql(&plan(&c, "2026-01-01T00:00:00.000Z", |_, _| {}));
        assert!(!text.contains("203.0.113.9"));
        assert!(text.contains("'it''s \"quoted\"; DROP TABLE links; --'"));
        assert!(text
            .lines()
            .skip(1)
            .all(|l| l.starts_with("INSERT INTO ") && l.ends_with(" ON CONFLICT DO NOTHING;")));
    }

    #[test]
    fn times() {
        assert_eq!(
            iso_time("2024-01-02 03:04:05.678Z").as_deref(),
            Some("2024-01-02T03:04:05.678Z")
        );
        assert_eq!(
            iso_time("2024-01-02T03:04:05Z").as_deref(),
            Some("2024-01-02T03:04:05.000Z")
        );
        assert_eq!(
            iso_time("2024-01-02 03:04:05"),
            Some("2024-01-02T03:04:05.000Z".into())
        );
        assert_eq!(iso_time("yesterday"), None);
    }

    fn two_users() -> Collections {
        Collections {
            users: vec![
                rec(json!({ "id": "user00000000001", "username": "alice" })),
                rec(json!({ "id": "user00000000002", "username": "bobby" })),
            ],
            tags: vec![
                rec(
                    json!({ "id": "tag000000000001", "name": "Alice's", "user": "user00000000001" }),
                ),
                rec(json!({ "id": "tag000000000002", "name": "Bob's", "user": "user00000000002" })),
            ],
            links: Vec::new(),
            clicks: Vec::new(),
        }
    }

    fn link_row<'a>(p: &'a Plan, id: &str) -> &'a BTreeMap<&'static str, Value> {
        p.rows["links"]
            .iter()
            .find(|r| r["id"] == id)
            .expect("imported")
    }

    #[test]
    fn foreign_or_weak_password_hashes_never_open_a_link() {
        let mut c = two_users();
        let worker = hash_password("hunter2");
        let weak = "$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
        c.links = vec![
            rec(
                json!({ "id": "link00000000001", "short_code": "kept1", "original_url": "https://example.com/a", "password_hash": worker }),
            ),
            rec(
                json!({ "id": "link00000000002", "short_code": "weak1", "original_url": "https://example.com/b", "password_hash": weak, "is_active": true }),
            ),
            rec(
                json!({ "id": "link00000000003", "short_code": "bcrypt", "original_url": "https://example.com/c", "password_hash": "$2b$10$abcdefghijklmnopqrstuv", "is_active": true }),
            ),
        ];
        let p = plan(&c, "2026-11-25T00:00:00.000Z", |_, _| {});
        assert_eq!(
            link_row(&p, "link00000000001")["password_hash"],
            Value::from(worker.clone())
        );
        for id in ["link00000000002", "link00000000003"] {
            let row = link_row(&p, id);
            assert_eq!(
                row["is_active"],
                Value::from(0),
                "{id}: kept, but switched off"
            );
            assert_eq!(row["password_hash"], Value::Null);
            assert!(p
                .skipped
                .iter()
                .any(|s| s.id == id && s.reason.contains("not the worker's PBKDF2")));
        }
    }

    #[test]
    fn links_only_get_their_owners_tags() {
        let mut c = two_users();
        c.links = vec![rec(
            json!({ "id": "link00000000001", "short_code": "alicelink", "original_url": "https://example.com/a", "user": "user00000000001", "tags": "[\"tag000000000001\",\"tag000000000002\"]" }),
        )];
        let p = plan(&c, "2026-11-25T00:00:00.000Z", |_, _| {});
        let assigned: Vec<&Value> = p.rows["link_tags"].iter().map(|r| &r["tag_id"]).collect();
        assert_eq!(assigned, [&Value::from("tag000000000001")]);
        assert!(p
            .skipped
            .iter()
            .any(|s| s.reason.contains("tag000000000002 belongs to another user")));
    }

    #[test]
    fn targets_are_checked_against_the_workers_own_domains() {
        let mut c = two_users();
        c.links = vec![
            rec(
                json!({ "id": "link00000000001", "short_code": "loop1", "original_url": "https://sho.rt/x" }),
            ),
            rec(
                json!({ "id": "link00000000002", "short_code": "bad1", "original_url": "https://sub.blocked.example/x" }),
            ),
            rec(
                json!({ "id": "link00000000003", "short_code": "fine1", "original_url": "https://ulo.ad.example.com/x" }),
            ),
        ];
        let policy = target::Policy::new(&["sho.rt".to_string()], &["blocked.example".to_string()]);
        let p = plan_with(&c, "2026-11-25T00:00:00.000Z", &policy, |_, _| {});
        assert_eq!(p.count("links"), 1);
        assert!(
            p.skipped.iter().any(|s| s.id == "link00000000001"),
            "a loop to the configured short domain"
        );
        assert!(
            p.skipped.iter().any(|s| s.id == "link00000000002"),
            "a blocked domain, subdomains included"
        );
    }
}
