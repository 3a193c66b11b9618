//! Mapping uLoad's collections onto the worker's D1 schema with the worker's own rules.
//! Every record ends up mapped, mapped with a note (something about it changed), or
//! skipped with the reason; the report counts each per collection.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;
use uload_core::target;

use crate::fields::{text, time, valid_id};
use crate::read::{Collections, Record};

mod clicks;
mod links;
mod tags;
mod users;
mod workspaces;

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

/// What the stages learn and later stages need: who was imported, under which name, which
/// workspaces, tags and links exist and whose they are.
#[derive(Default)]
pub(super) struct Known {
    /// Every click uLoad recorded, per link (both click collections): the count and the
    /// first click's time, for click counts, max_clicks seeds and creation times.
    uload_clicks: HashMap<String, (u64, String)>,
    users: HashSet<String>,
    usernames: HashMap<String, String>,
    workspace_slugs: HashMap<String, String>,
    personal: HashSet<String>,
    tag_owner: HashMap<String, Option<String>>,
    link_owner: HashMap<String, Option<String>>,
    legacy_tags: Vec<(String, String)>,
}

impl Known {
    /// A record's owner: `Err` with the id if that user was not imported.
    fn owner_of(&self, r: &Record) -> Result<Option<String>, String> {
        match text(r, &["user_id", "user", "owner", "created_by"]) {
            Some(o) if !self.users.contains(&o) => Err(o),
            owner => Ok(owner),
        }
    }
}

/// Maps every record; `policy` is the target policy of the worker they go to (its short
/// domains and blocked domains). `progress` is called every 1,000 records. Parents first:
/// users, workspaces, tags, links, then what hangs off links.
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
    let mut k = Known::default();
    // uLoad counted bots and empty User-Agents against max_clicks too: every record counts.
    for r in c.clicks.iter().chain(&c.analytics) {
        if let Some(link) = text(r, &["link_id", "link"]) {
            let at = time(r, &["clicked_at", "created"]).unwrap_or_default();
            let e = k.uload_clicks.entry(link).or_insert((0, at.clone()));
            e.0 += 1;
            if !at.is_empty() && (e.1.is_empty() || at < e.1) {
                e.1 = at;
            }
        }
    }
    users::users(c, now, &mut p, &mut k, &mut tick);
    workspaces::workspaces(c, now, &mut p, &mut k, &mut tick);
    tags::tags(c, now, &mut p, &mut k, &mut tick);
    links::links(c, now, policy, &mut p, &mut k, &mut tick);
    clicks::link_tags(c, &mut p, &mut k, &mut tick);
    clicks::clicks(c, &mut p, &mut k, &mut tick);
    if total > 0 {
        progress(done, total);
    }
    p
}
