//! Links' tags in D1: replacing a link's tags within its write (guarded so a lost
//! compare-and-set changes no tag), and bulk tagging of many links.

use serde::Deserialize;
use worker::{D1Database, D1PreparedStatement};

use super::{LinksDb, StoreError};
use crate::store::d1::{self, P};

/// A tag the owner may not have yet (kept if it exists: the slug is unique per owner).
const INSERT_TAG: &str = "INSERT INTO tags (id, user_id, name, slug, created_at, updated_at)";

/// The values of `INSERT_TAG` for a new tag, in its column order (created = updated).
fn new_tag(owner: Option<&str>, name: &str, slug: &str, now: &str) -> Vec<P> {
    vec![
        crate::runtime::random_id().into(),
        owner.into(),
        name.into(),
        slug.into(),
        now.into(),
    ]
}

impl LinksDb {
    /// Adds and removes tags on owned links; returns the ids of the links it touched.
    pub async fn retag(
        &self,
        ids: &[String],
        owner: Option<&str>,
        add: &[String],
        remove: &[String],
        now: &str,
    ) -> Result<Vec<String>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
        }
        let ids_json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        let owned =
            "SELECT l.id FROM links l, json_each(?1) j WHERE l.id = j.value AND l.user_id IS ?2";
        let mut statements = Vec::new();
        for name in add {
            let slug = uload_core::slug::slugify(name);
            statements.push(d1::stmt(
                &self.db,
                &format!("{INSERT_TAG} VALUES (?1, ?2, ?3, ?4, ?5, ?5) ON CONFLICT DO NOTHING"),
                &new_tag(owner, name, &slug, now),
            )?);
            let sql = format!(
                "INSERT OR IGNORE INTO link_tags (link_id, tag_id) SELECT o.id, t.id FROM ({owned}) o, tags t \
                 WHERE t.user_id IS ?2 AND t.slug = ?3"
            );
            statements.push(d1::stmt(
                &self.db,
                &sql,
                &[ids_json.as_str().into(), owner.into(), slug.as_str().into()],
            )?);
        }
        for name in remove {
            let slug = uload_core::slug::slugify(name);
            let sql = format!(
                "DELETE FROM link_tags WHERE link_id IN ({owned}) AND tag_id IN \
                 (SELECT id FROM tags WHERE user_id IS ?2 AND slug = ?3)"
            );
            statements.push(d1::stmt(
                &self.db,
                &sql,
                &[ids_json.as_str().into(), owner.into(), slug.as_str().into()],
            )?);
        }
        statements.push(d1::stmt(
            &self.db,
            &format!("UPDATE links SET updated_at = ?3, version = version + 1 WHERE id IN ({owned}) RETURNING id"),
            &[ids_json.as_str().into(), owner.into(), now.into()],
        )?);
        let mut results = self.write(statements).await?;
        results
            .pop()
            .unwrap_or_default()
            .into_iter()
            .map(|r| serde_json::from_value::<Row>(r).map(|r| r.id))
            .collect::<Result<_, _>>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    }
}

/// Statements that make `link_id`'s tags exactly `names` (creating missing tags for the
/// owner). `guard_write`: only if the update that precedes them in the batch won (the link
/// carries that write id); for inserts (None), only if the link row exists.
pub(super) fn replace(
    db: &D1Database,
    link_id: &str,
    owner: Option<&str>,
    names: &[String],
    now: &str,
    guard_write: Option<&str>,
) -> Result<Vec<D1PreparedStatement>, StoreError> {
    // The guard's parameter is always ?9, after every statement's own parameters.
    let guard = match guard_write {
        Some(_) => "EXISTS (SELECT 1 FROM links WHERE id = ?1 AND write_id = ?9)",
        None => "EXISTS (SELECT 1 FROM links WHERE id = ?1 AND ?9 IS NULL)",
    };
    let with_guard = |mut params: Vec<P>| {
        params.resize(8, P::Null);
        params.push(guard_write.into());
        params
    };
    let mut out = vec![d1::stmt(
        db,
        &format!("DELETE FROM link_tags WHERE link_id = ?1 AND {guard}"),
        &with_guard(vec![link_id.into()]),
    )?];
    for name in names {
        let slug = uload_core::slug::slugify(name);
        let mut params = vec![P::from(link_id)];
        params.extend(new_tag(owner, name, &slug, now));
        out.push(d1::stmt(
            db,
            &format!(
                "{INSERT_TAG} SELECT ?2, ?3, ?4, ?5, ?6, ?6 WHERE {guard} ON CONFLICT DO NOTHING"
            ),
            &with_guard(params),
        )?);
        out.push(d1::stmt(
            db,
            &format!(
                "INSERT OR IGNORE INTO link_tags (link_id, tag_id) \
                 SELECT ?1, id FROM tags WHERE user_id IS ?2 AND slug = ?3 AND {guard}"
            ),
            &with_guard(vec![link_id.into(), owner.into(), slug.into()]),
        )?);
    }
    Ok(out)
}
