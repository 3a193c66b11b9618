//! Reading uLoad's PocketBase collections: from `pb_data/data.db`, from JSON pages of the
//! REST API, or from CSV exports. Every collection the worker has a use for is read; the
//! others present in the source are listed, so the report can say they were not read.

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

pub type Record = Map<String, Value>;

/// The collections read, by PocketBase name.
pub const READ: [&str; 8] = [
    "users",
    "links",
    "tags",
    "linktags",
    "clicks",
    "workspaces",
    "workspace_members",
    "analytics",
];

/// The collections, as read.
#[derive(Debug, Default)]
pub struct Collections {
    pub users: Vec<Record>,
    pub links: Vec<Record>,
    pub tags: Vec<Record>,
    /// The real link↔tag relation of uLoad (`links.tags` is an unused legacy field).
    pub linktags: Vec<Record>,
    pub clicks: Vec<Record>,
    pub workspaces: Vec<Record>,
    pub workspace_members: Vec<Record>,
    /// The legacy click collection of an early schema.
    pub analytics: Vec<Record>,
    /// Collections present in the source that are not read (PocketBase's own `_…` tables
    /// excluded).
    pub unread: Vec<String>,
}

impl Collections {
    pub fn get(&self, name: &str) -> &[Record] {
        match name {
            "users" => &self.users,
            "links" => &self.links,
            "tags" => &self.tags,
            "linktags" => &self.linktags,
            "clicks" => &self.clicks,
            "workspaces" => &self.workspaces,
            "workspace_members" => &self.workspace_members,
            "analytics" => &self.analytics,
            _ => &[],
        }
    }

    fn slot(&mut self, name: &str) -> Option<&mut Vec<Record>> {
        Some(match name {
            "users" => &mut self.users,
            "links" => &mut self.links,
            "tags" => &mut self.tags,
            "linktags" => &mut self.linktags,
            "clicks" => &mut self.clicks,
            "workspaces" => &mut self.workspaces,
            "workspace_members" => &mut self.workspace_members,
            "analytics" => &mut self.analytics,
            _ => return None,
        })
    }

    pub fn total(&self) -> usize {
        READ.iter().map(|c| self.get(c).len()).sum()
    }

    fn note_unread(&mut self, name: &str) {
        if !name.starts_with('_') && !self.unread.iter().any(|u| u == name) {
            self.unread.push(name.to_string());
        }
    }
}

/// PocketBase's SQLite file: one table per collection (absent tables are empty collections).
pub fn read_sqlite(path: &Path) -> Result<Collections, String> {
    let db =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    let mut out = Collections::default();
    let tables: Vec<String> = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(|e| format!("{}: {e}", path.display()))?;
    for name in &tables {
        if !READ.contains(&name.as_str()) {
            out.note_unread(name);
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
        let slot = out.slot(name).expect("a collection that is read");
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
    let mut files = files_in(dir, "json", &mut out)?;
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
        let slot = out.slot(&collection).expect("filtered to read collections");
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
    for (collection, path) in files_in(dir, "csv", &mut out)? {
        let mut reader =
            csv::Reader::from_path(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let headers = reader.headers().map_err(|e| e.to_string())?.clone();
        let slot = out.slot(&collection).expect("filtered to read collections");
        for row in reader.records() {
            let row = row.map_err(|e| format!("{}: {e}", path.display()))?;
            let rec: Record = headers
                .iter()
                .zip(row.iter())
                .map(|(h, v)| {
                    let v = if v.is_empty() {
                        Value::Null
                    } else {
                        Value::from(v)
                    };
                    (h.to_string(), v)
                })
                .collect();
            slot.push(rec);
        }
    }
    Ok(out)
}

/// Files of `dir` with extension `ext`, by the collection their name starts with (the
/// longest match: `workspace_members.json` is not `workspaces`). Others are noted unread.
fn files_in(
    dir: &Path,
    ext: &str,
    out: &mut Collections,
) -> Result<Vec<(String, PathBuf)>, String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().and_then(|e| e.to_str()) != Some(ext) {
            continue;
        }
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let collection = READ
            .into_iter()
            .filter(|c| {
                stem == *c
                    || stem.starts_with(&format!("{c}-"))
                    || stem.starts_with(&format!("{c}_page"))
            })
            .max_by_key(|c| c.len());
        match collection {
            Some(c) => found.push((c.to_string(), path)),
            None => {
                let name = stem.split(['-', '.']).next().unwrap_or(stem);
                out.note_unread(name);
            }
        }
    }
    Ok(found)
}
