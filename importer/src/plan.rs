//! Mapping uLoad's collections onto the worker's D1 schema with the worker's own rules.
//! Every record ends up mapped, mapped with a note (something about it changed), or
//! skipped with the reason; the report counts each per collection.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;
use uload_core::{code, slug, target, useragent, username};

use crate::fields::{
    city, country_code, exact_text, field, flag, is_placeholder_username, list, number, text, time,
    valid_id,
};
use crate::read::{Collections, Record};
use crate::{hash_password, is_worker_hash};

pub type Row = BTreeMap<&'static str, Value>;

/// A record not imported (a skip), or imported with a change worth knowing (a note).
#[derive(Debug, Clone, PartialEq)]
pub struct Skip {
    pub collection: &'static str,
    pub id: String,
    pub reason: String,
}

/// Rows to insert, by table, each with its ledger key (`collection:id` of its source), and
/// what was skipped or noted.
#[derive(Debug, Default)]
pub struct Plan {
    pub rows: BTreeMap<&'static str, Vec<Row>>,
    pub keys: BTreeMap<&'static str, Vec<String>>,
    pub skipped: Vec<Skip>,
    pub notes: Vec<Skip>,
    /// Records mapped per source collection.
    pub mapped: BTreeMap<&'static str, usize>,
}

impl Plan {
    pub fn count(&self, table: &str) -> usize {
        self.rows.get(table).map_or(0, Vec::len)
    }

    fn push(&mut self, table: &'static str, key: String, row: Row) {
        self.rows.entry(table).or_default().push(row);
        self.keys.entry(table).or_default().push(key);
    }

    fn mapped(&mut self, collection: &'static str) {
        *self.mapped.entry(collection).or_default() += 1;
    }

    fn skip(&mut self, collection: &'static str, id: &str, reason: impl Into<String>) {
        self.skipped.push(Skip {
            collection,
            id: id.to_string(),
            reason: reason.into(),
        });
    }

    fn note(&mut self, collection: &'static str, id: &str, reason: impl Into<String>) {
        self.notes.push(Skip {
            collection,
            id: id.to_string(),
            reason: reason.into(),
        });
    }

    /// A row of `table`, by its `id` column (tests and reports).
    pub fn row(&self, table: &str, id: &str) -> Option<&Row> {
        self.rows.get(table)?.iter().find(|r| r["id"] == id)
    }
}

/// Table order for inserting: parents before children.
pub const TABLES: [&str; 7] = [
    "users",
    "workspaces",
    "workspace_members",
    "tags",
    "links",
    "link_tags",
    "clicks",
];

fn opt(v: Option<String>) -> Value {
    v.map_or(Value::Null, Value::from)
}

/// The record's id if it is usable; otherwise the record is reported as skipped.
fn checked_id(r: &Record, collection: &'static str, p: &mut Plan) -> Option<String> {
    let id = text(r, &["id"]).unwrap_or_default();
    if valid_id(&id) {
        return Some(id);
    }
    p.skip(collection, &id, "no valid id");
    None
}

/// created/updated: a missing creation time falls back to the update time, then to the
/// first click (a link existed before it was clicked), and only then to the import time.
fn times(r: &Record, first_click: Option<&String>, now: &str) -> (String, String, bool) {
    let updated = time(r, &["updated", "updated_at"]);
    let created = time(r, &["created", "created_at"]);
    let known = created.is_some();
    let created = created
        .or_else(|| updated.clone())
        .or_else(|| first_click.cloned())
        .unwrap_or_else(|| now.to_string());
    let updated = updated.unwrap_or_else(|| created.clone());
    (created, updated, known)
}

/// Maps every record; `policy` is the target policy of the worker they go to (its short
/// domains and blocked domains). `progress` is called every 1,000 records.
pub fn plan_with(
    c: &Collections,
    now: &str,
    policy: &target::Policy,
    mut progress: impl FnMut(usize, usize),
) -> Plan {
    let mut p = Plan::default();
    let total = c.total();
    let mut done: usize = 0;
    let mut tick = || {
        done += 1;
        if done.is_multiple_of(1000) {
            progress(done, total);
        }
    };

    // Every click uLoad recorded, per link (both click collections): for click counts, for
    // the max_clicks counters (uLoad counted bots and empty User-Agents too) and first clicks.
    let mut uload_clicks: HashMap<String, (u64, String)> = HashMap::new();
    for r in c.clicks.iter().chain(&c.analytics) {
        if let Some(link) = text(r, &["link_id", "link"]) {
            let at = time(r, &["clicked_at", "created"]).unwrap_or_default();
            let e = uload_clicks.entry(link).or_insert((0, at.clone()));
            e.0 += 1;
            if !at.is_empty() && (e.1.is_empty() || at < e.1) {
                e.1 = at;
            }
        }
    }
    // Prefixes of "name/code" codes per owner: a placeholder username with links under it
    // stays (their /u/ paths keep working).
    let mut prefixes: HashMap<String, HashSet<String>> = HashMap::new();
    for r in &c.links {
        if let (Some(owner), Some(code)) = (
            text(r, &["user_id", "user", "owner", "created_by"]),
            text(r, &["short_code", "code", "custom_code"]),
        ) {
            if let Some((prefix, _)) = code.split_once('/') {
                prefixes
                    .entry(owner)
                    .or_default()
                    .insert(prefix.to_string());
            }
        }
    }

    // Users. `usernames`: id → the routable username, if the user has one.
    let mut users: HashSet<String> = HashSet::new();
    let mut usernames: HashMap<String, String> = HashMap::new();
    let mut taken = HashSet::new();
    for r in &c.users {
        tick();
        let Some(id) = checked_id(r, "users", &mut p) else {
            continue;
        };
        let raw = text(r, &["username"]);
        let has_links_under = |u: &str| prefixes.get(&id).is_some_and(|s| s.contains(u));
        let name = match raw.as_deref() {
            None => {
                p.note("users", &id, format!("no username (never finished uLoad's username step): imported as ~{id}, which no path reaches; their links keep their plain codes; no bio page until the dashboard sets a username"));
                None
            }
            Some(u) if !username::is_valid(u) => {
                p.note("users", &id, format!("username '{u}' cannot be routed (3 to 30 of a-z 0-9 _ -): imported without one, as ~{id}"));
                None
            }
            Some(u) if is_placeholder_username(u) && !has_links_under(u) => {
                p.note("users", &id, format!("username '{u}' is a placeholder uLoad generated: imported without one, as ~{id}"));
                None
            }
            Some(u) if !taken.insert(u.to_string()) => {
                p.note(
                    "users",
                    &id,
                    format!(
                        "username '{u}' is another record's too: imported without one, as ~{id}"
                    ),
                );
                None
            }
            Some(u) => Some(u.to_string()),
        };
        let mut row = Row::new();
        row.insert("id", Value::from(id.clone()));
        row.insert(
            "username",
            Value::from(name.clone().unwrap_or_else(|| format!("~{id}"))),
        );
        row.insert("display_name", opt(text(r, &["name", "display_name"])));
        row.insert("bio", opt(text(r, &["bio"])));
        // uLoad showed a bio page only when publicProfile was true, and PocketBase stores an
        // unset bool as false: copied as is, every profile stays as public as it was.
        let public = name.is_some() && flag(r, &["publicProfile", "profile_public"], false);
        row.insert("profile_public", Value::from(i64::from(public)));
        let (created, updated, _) = times(r, None, now);
        row.insert("created_at", Value::from(created));
        row.insert("updated_at", Value::from(updated));
        p.push("users", format!("users:{id}"), row);
        p.mapped("users");
        users.insert(id.clone());
        if let Some(n) = name {
            usernames.insert(id, n);
        }
    }
    let owner_of = |r: &Record| -> Result<Option<String>, String> {
        match text(r, &["user_id", "user", "owner", "created_by"]) {
            Some(o) if !users.contains(&o) => Err(o),
            owner => Ok(owner),
        }
    };

    // Workspaces: served at /w/{slug}/…; personal ones (no slug) have no path of their own.
    let mut workspace_slugs: HashMap<String, String> = HashMap::new();
    let mut personal: HashSet<String> = HashSet::new();
    let mut slugs_seen = HashSet::new();
    let mut members_seen = HashSet::new();
    for r in &c.workspaces {
        tick();
        let Some(id) = checked_id(r, "workspaces", &mut p) else {
            continue;
        };
        let Some(ws_slug) = text(r, &["slug"]) else {
            personal.insert(id.clone());
            p.note("workspaces", &id, "no slug (a personal workspace): its links are served at their plain codes, as in uLoad; not imported as a workspace");
            continue;
        };
        if !uload_core::route::is_id(&ws_slug) || ws_slug.len() > 50 {
            p.skip(
                "workspaces",
                &id,
                format!("slug '{ws_slug}' cannot be a /w/ path (1 to 50 of A-Z a-z 0-9 _ -)"),
            );
            continue;
        }
        if !slugs_seen.insert(ws_slug.clone()) {
            p.skip(
                "workspaces",
                &id,
                format!("slug '{ws_slug}' is another workspace's"),
            );
            continue;
        }
        let mut row = Row::new();
        row.insert("slug", Value::from(ws_slug.clone()));
        row.insert(
            "name",
            opt(text(r, &["name"]).map(|n| n.chars().take(100).collect())),
        );
        let (created, updated, _) = times(r, None, now);
        row.insert("created_at", Value::from(created));
        row.insert("updated_at", Value::from(updated));
        p.push("workspaces", format!("workspaces:{id}"), row);
        p.mapped("workspaces");
        // Its owner is a member, as in uLoad.
        if let Some(owner) = text(r, &["owner"]).filter(|o| users.contains(o)) {
            if members_seen.insert((ws_slug.clone(), owner.clone())) {
                let mut m = Row::new();
                m.insert("workspace_slug", Value::from(ws_slug.clone()));
                m.insert("user_id", Value::from(owner));
                p.push("workspace_members", format!("workspaces.owner:{id}"), m);
            }
        }
        workspace_slugs.insert(id, ws_slug);
    }
    for r in &c.workspace_members {
        tick();
        let Some(id) = checked_id(r, "workspace_members", &mut p) else {
            continue;
        };
        let ws = text(r, &["workspace", "workspace_id"]).unwrap_or_default();
        let user = text(r, &["user", "user_id"]).unwrap_or_default();
        let status = text(r, &["invitation_status"]).unwrap_or_default();
        let Some(ws_slug) = workspace_slugs.get(&ws).cloned() else {
            if personal.contains(&ws) {
                p.note(
                    "workspace_members",
                    &id,
                    "a member of a personal workspace (no /w/ path): nothing to import",
                );
            } else {
                p.skip(
                    "workspace_members",
                    &id,
                    format!("workspace {ws} is not among the imported workspaces"),
                );
            }
            continue;
        };
        if !users.contains(&user) {
            p.skip(
                "workspace_members",
                &id,
                format!("user {user} is not among the imported users"),
            );
            continue;
        }
        if !(status.is_empty() || status == "accepted") {
            p.skip(
                "workspace_members",
                &id,
                format!("invitation {status}, not accepted: not a member"),
            );
            continue;
        }
        p.mapped("workspace_members");
        if members_seen.insert((ws_slug.clone(), user.clone())) {
            let mut m = Row::new();
            m.insert("workspace_slug", Value::from(ws_slug));
            m.insert("user_id", Value::from(user));
            p.push("workspace_members", format!("workspace_members:{id}"), m);
        }
    }

    // Tags: per owner, slug unique per owner; uLoad's slug is kept when it is one the
    // worker would write (`caf-tipps` stays), else made from the name.
    let mut tag_owner: HashMap<String, Option<String>> = HashMap::new();
    let mut tag_slugs = HashSet::new();
    for r in &c.tags {
        tick();
        let Some(id) = checked_id(r, "tags", &mut p) else {
            continue;
        };
        let name = text(r, &["name"]).unwrap_or_default();
        let tag_slug = text(r, &["slug"])
            .filter(|s| slug::slugify(s) == *s)
            .unwrap_or_else(|| slug::slugify(&name));
        if name.is_empty() || name.chars().count() > 50 || tag_slug.is_empty() {
            p.skip(
                "tags",
                &id,
                "name must be 1 to 50 characters with a letter or digit",
            );
            continue;
        }
        let owner = match owner_of(r) {
            Ok(o) => o,
            Err(o) => {
                p.skip(
                    "tags",
                    &id,
                    format!("its owner {o} is not among the imported users"),
                );
                continue;
            }
        };
        if !tag_slugs.insert((owner.clone(), tag_slug.clone())) {
            p.skip(
                "tags",
                &id,
                format!("another tag of this owner is already '{tag_slug}'"),
            );
            continue;
        }
        tag_owner.insert(id.clone(), owner.clone());
        let mut row = Row::new();
        row.insert("id", Value::from(id.clone()));
        row.insert("user_id", opt(owner));
        row.insert("name", Value::from(name));
        row.insert("slug", Value::from(tag_slug));
        row.insert("color", opt(text(r, &["color"])));
        let (created, updated, _) = times(r, None, now);
        row.insert("created_at", Value::from(created));
        row.insert("updated_at", Value::from(updated));
        p.push("tags", format!("tags:{id}"), row);
        p.mapped("tags");
    }

    // Links.
    let mut link_owner: HashMap<String, Option<String>> = HashMap::new();
    let mut codes = HashSet::new();
    let mut legacy_tags: Vec<(String, String)> = Vec::new();
    for r in &c.links {
        tick();
        let Some(id) = checked_id(r, "links", &mut p) else {
            continue;
        };
        let owner = match owner_of(r) {
            Ok(o) => o,
            Err(o) => {
                p.skip(
                    "links",
                    &id,
                    format!("its owner {o} is not among the imported users"),
                );
                continue;
            }
        };
        let Some(raw_code) = text(r, &["short_code", "code", "custom_code", "slug"]) else {
            p.skip("links", &id, "no short code");
            continue;
        };
        let owner_name = owner.as_ref().and_then(|o| usernames.get(o)).cloned();
        // uLoad's user links: "username/code" (served at /u/{user}/{code}). Rows already
        // migrated to that form may still say use_username: never prefixed twice.
        let stored = if raw_code.contains('/') {
            raw_code
        } else if flag(r, &["use_username", "user_link"], false) {
            match &owner_name {
                Some(n) => format!("{n}/{raw_code}"),
                None => {
                    p.note(
                        "links",
                        &id,
                        "use_username, but its owner has no username: served at its plain code",
                    );
                    raw_code
                }
            }
        } else {
            raw_code
        };
        if let Err(e) = code::validate_stored(&stored, owner_name.as_deref()) {
            p.skip("links", &id, format!("code '{stored}': {}", e.message()));
            continue;
        }
        if codes.contains(&stored) {
            p.skip(
                "links",
                &id,
                format!("code '{stored}' is taken by another record"),
            );
            continue;
        }
        let Some(raw_url) = text(r, &["original_url", "url", "target_url", "destination"]) else {
            p.skip("links", &id, "no target URL");
            continue;
        };
        let url = match policy.check(&raw_url) {
            Ok(u) => u,
            Err(e) => {
                p.skip("links", &id, format!("target URL: {}", e.message()));
                continue;
            }
        };
        codes.insert(stored.clone());
        // A stored hash is kept only in the worker's own format and cost (a weaker one would
        // make the password cheap to guess); uLoad's plaintext passwords are hashed exactly
        // as stored: uLoad compared them exactly, spaces included.
        let mut inactive = false;
        let plain = exact_text(r, &["password"]);
        let password_hash = match (text(r, &["password_hash"]), plain) {
            (Some(h), _) if is_worker_hash(&h) => Some(h),
            (_, Some(pw)) => Some(hash_password(&pw)),
            (Some(_), None) => {
                inactive = true;
                p.note("links", &id, "its password hash is not the worker's PBKDF2 (format or cost): imported inactive, its owner sets a new password");
                None
            }
            (None, None) => None,
        };
        let clicks = uload_clicks.get(&id);
        let max_clicks = number(r, &["max_clicks"]).filter(|n| *n > 0);
        let uload_count = number(r, &["click_count", "clicks"]).unwrap_or(0).max(0);
        let mut row = Row::new();
        row.insert("id", Value::from(id.clone()));
        row.insert("code", Value::from(stored));
        row.insert("url", Value::from(url));
        row.insert(
            "title",
            opt(text(r, &["title"]).map(|t| t.chars().take(200).collect())),
        );
        row.insert(
            "description",
            opt(text(r, &["description"]).map(|t| t.chars().take(500).collect())),
        );
        let active = flag(r, &["is_active", "active"], true) && !inactive;
        row.insert("is_active", Value::from(i64::from(active)));
        row.insert("password_hash", opt(password_hash));
        row.insert("max_clicks", max_clicks.map_or(Value::Null, Value::from));
        // What uLoad had counted against max_clicks: every click it recorded (bots and empty
        // User-Agents too), or its counter if that is higher. The reconcile job seeds the
        // link's counter with it, so a used-up link stays used up.
        let used = clicks.map_or(0, |c| c.0 as i64).max(uload_count);
        row.insert(
            "limit_seed",
            if max_clicks.is_some() && used > 0 {
                Value::from(used)
            } else {
                Value::Null
            },
        );
        row.insert("expires_at", opt(time(r, &["expires_at", "expires"])));
        // With click records, the clicks are counted from them (exact); without, uLoad's count.
        row.insert(
            "click_count",
            Value::from(if clicks.is_some() { 0 } else { uload_count }),
        );
        row.insert(
            "last_clicked_at",
            opt(time(r, &["last_clicked_at", "last_clicked"])),
        );
        for utm in ["utm_source", "utm_medium", "utm_campaign"] {
            row.insert(utm, opt(text(r, &[utm])));
        }
        row.insert("user_id", opt(owner.clone()));
        let ws = text(r, &["workspace_id", "workspace"]);
        let ws_slug = match &ws {
            None => None,
            Some(w) if personal.contains(w) => None,
            Some(w) => match workspace_slugs.get(w) {
                Some(s) => Some(s.clone()),
                None => {
                    p.note("links", &id, format!("workspace {w} is not among the imported workspaces: imported without one"));
                    None
                }
            },
        };
        row.insert("workspace_id", opt(ws_slug));
        let (created, updated, known) =
            times(r, clicks.map(|c| &c.1).filter(|t| !t.is_empty()), now);
        if !known {
            p.note("links", &id, format!("no creation time: {created} (its update time, first click, or the import's time)"));
        }
        row.insert("created_at", Value::from(created));
        row.insert("updated_at", Value::from(updated));
        p.push("links", format!("links:{id}"), row);
        p.mapped("links");
        link_owner.insert(id.clone(), owner);
        for tag in list(r, &["tags"]) {
            legacy_tags.push((id.clone(), tag));
        }
    }

    // Link ↔ tag: uLoad's linktags, and the legacy links.tags field where it has any.
    let mut assigned = HashSet::new();
    let mut assign =
        |p: &mut Plan, collection: &'static str, id: &str, key: String, link: &str, tag: &str| {
            let Some(owner) = link_owner.get(link) else {
                p.skip(
                    collection,
                    id,
                    format!("link {link} is not among the imported links"),
                );
                return false;
            };
            match tag_owner.get(tag) {
                None => {
                    p.skip(
                        collection,
                        id,
                        format!("tag {tag} is not among the imported tags"),
                    );
                    false
                }
                Some(t) if t != owner => {
                    p.skip(
                        collection,
                        id,
                        format!("tag {tag} belongs to another user than link {link}"),
                    );
                    false
                }
                Some(_) => {
                    if assigned.insert((link.to_string(), tag.to_string())) {
                        let mut lt = Row::new();
                        lt.insert("link_id", Value::from(link));
                        lt.insert("tag_id", Value::from(tag));
                        p.push("link_tags", key, lt);
                    }
                    true
                }
            }
        };
    for r in &c.linktags {
        tick();
        let Some(id) = checked_id(r, "linktags", &mut p) else {
            continue;
        };
        let link = text(r, &["link_id", "link"]).unwrap_or_default();
        let tag = text(r, &["tag_id", "tag"]).unwrap_or_default();
        if assign(
            &mut p,
            "linktags",
            &id,
            format!("linktags:{id}"),
            &link,
            &tag,
        ) {
            p.mapped("linktags");
        }
    }
    for (link, tag) in legacy_tags {
        let key = format!("links.tags:{link}:{tag}");
        if tag_owner.contains_key(&tag) {
            assign(&mut p, "links", &link, key, &link, &tag);
        } else {
            p.note(
                "links",
                &link,
                format!("its legacy tags field names {tag}, which is no imported tag: ignored"),
            );
        }
    }

    // Clicks (both collections): counted by the worker once imported, never with an IP.
    for (collection, records, prefix) in [
        ("clicks", &c.clicks, "pb-"),
        ("analytics", &c.analytics, "pba-"),
    ] {
        for r in records {
            tick();
            let Some(id) = checked_id(r, collection, &mut p) else {
                continue;
            };
            let link = text(r, &["link_id", "link"]).unwrap_or_default();
            if !link_owner.contains_key(&link) {
                p.skip(
                    collection,
                    &id,
                    format!("link {link} is not among the imported links"),
                );
                continue;
            }
            let Some(at) = time(r, &["clicked_at", "created"]) else {
                p.skip(collection, &id, "no valid time");
                continue;
            };
            let ua = text(r, &["user_agent"]).unwrap_or_default();
            // uLoad stored clicks without a User-Agent as ordinary clicks: so are they here
            // (the worker's own redirects count them as bots).
            let agent = if ua.is_empty() {
                useragent::Agent {
                    browser: "Other".into(),
                    os: "Other".into(),
                    device: field(r, &["device_type", "device"])
                        .and_then(Value::as_str)
                        .map_or("other", |d| match d.to_ascii_lowercase().as_str() {
                            "mobile" => "mobile",
                            "tablet" => "tablet",
                            "desktop" => "desktop",
                            _ => "other",
                        }),
                    bot: false,
                }
            } else {
                useragent::classify(&ua)
            };
            let mut row = Row::new();
            row.insert("id", Value::from(format!("{prefix}{id}")));
            row.insert("link_id", Value::from(link));
            row.insert("clicked_at", Value::from(at));
            row.insert("browser", Value::from(agent.browser));
            row.insert("os", Value::from(agent.os));
            row.insert("device_type", Value::from(agent.device));
            row.insert("is_bot", Value::from(i64::from(agent.bot)));
            row.insert(
                "referer_host",
                opt(uload_core::click::referer_host(
                    text(r, &["referer", "referrer"]).as_deref(),
                )),
            );
            row.insert(
                "country",
                opt(text(r, &["country"]).and_then(|v| country_code(&v))),
            );
            row.insert("city", opt(text(r, &["city"]).and_then(|v| city(&v))));
            for utm in [
                "utm_source",
                "utm_medium",
                "utm_campaign",
                "utm_term",
                "utm_content",
            ] {
                row.insert(utm, opt(text(r, &[utm])));
            }
            p.push("clicks", format!("{collection}:{id}"), row);
            p.mapped(collection);
        }
    }
    if total > 0 {
        progress(done, total);
    }
    p
}
