//! Tags in D1, per owner.

use serde::Deserialize;
use serde_json::Value;
use worker::D1Database;

use super::d1::{self, P};
use super::StoreError;

pub use uload_core::tag::Tag;

#[derive(Deserialize)]
struct TagRow {
    id: String,
    name: String,
    slug: String,
    color: Option<String>,
    link_count: f64,
    created_at: String,
    updated_at: String,
}

impl From<TagRow> for Tag {
    fn from(r: TagRow) -> Self {
        Tag {
            id: r.id,
            name: r.name,
            slug: r.slug,
            color: r.color,
            link_count: d1::uint(r.link_count),
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

const TAG_SELECT: &str = "SELECT t.id, t.name, t.slug, t.color, t.created_at, t.updated_at, \
    (SELECT count(*) FROM link_tags lt WHERE lt.tag_id = t.id) AS link_count FROM tags t";

pub struct TagsDb<'a> {
    pub db: &'a D1Database,
}

impl TagsDb<'_> {
    pub async fn list(&self, owner: Option<&str>) -> Result<Vec<Tag>, StoreError> {
        let rows: Vec<TagRow> = d1::all(
            self.db,
            &format!("{TAG_SELECT} WHERE t.user_id IS ?1 ORDER BY t.slug"),
            &[owner.into()],
        )
        .await?;
        Ok(rows.into_iter().map(Tag::from).collect())
    }

    pub async fn get(&self, id: &str, owner: Option<&str>) -> Result<Option<Tag>, StoreError> {
        let row: Option<TagRow> = d1::first(
            self.db,
            &format!("{TAG_SELECT} WHERE t.id = ?1 AND t.user_id IS ?2"),
            &[id.into(), owner.into()],
        )
        .await?;
        Ok(row.map(Tag::from))
    }

    /// `None` when the slug is taken by another tag of the owner.
    pub async fn create(
        &self,
        id: &str,
        owner: Option<&str>,
        name: &str,
        slug: &str,
        color: Option<&str>,
        now: &str,
    ) -> Result<Option<Tag>, StoreError> {
        let inserted = d1::run(
            self.db,
            "INSERT INTO tags (id, user_id, name, slug, color, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) ON CONFLICT DO NOTHING",
            &[
                id.into(),
                owner.into(),
                name.into(),
                slug.into(),
                color.into(),
                now.into(),
            ],
        )
        .await?;
        if inserted == 0 {
            return Ok(None);
        }
        self.get(id, owner).await
    }

    /// Renames and/or recolours; `Err(Conflict)` when the new slug is taken.
    pub async fn update(
        &self,
        id: &str,
        owner: Option<&str>,
        name: Option<(&str, &str)>,
        color: Option<Option<&str>>,
        now: &str,
    ) -> Result<Option<Tag>, StoreError> {
        let (name, slug) = name.map_or((P::Null, P::Null), |(n, s)| (n.into(), s.into()));
        let (set_color, color) = match color {
            Some(c) => (1i64, P::from(c)),
            None => (0, P::Null),
        };
        let renamed = !matches!(name, P::Null);
        let params = [
            id.into(),
            owner.into(),
            name,
            slug,
            set_color.into(),
            color,
            now.into(),
        ];
        let mut statements = Vec::new();
        if renamed {
            // A link shows its tags' names: renaming one changes every link that has it.
            statements.push(d1::stmt(
                self.db,
                &bump_links_of("?1", "?2", "?7"),
                &params,
            )?);
        }
        statements.push(d1::stmt(
            self.db,
            "UPDATE tags SET name = ifnull(?3, name), slug = ifnull(?4, slug), \
             color = CASE WHEN ?5 = 1 THEN ?6 ELSE color END, updated_at = ?7 \
             WHERE id = ?1 AND user_id IS ?2 RETURNING id",
            &params,
        )?);
        let results = d1::batch::<Value>(self.db, statements).await?;
        if results.last().is_none_or(|rows| rows.is_empty()) {
            return Ok(None);
        }
        self.get(id, owner).await
    }

    pub async fn delete(&self, id: &str, owner: Option<&str>) -> Result<bool, StoreError> {
        let now = crate::clock::now_iso();
        let statements = vec![
            d1::stmt(
                self.db,
                &bump_links_of("?1", "?2", "?3"),
                &[id.into(), owner.into(), now.as_str().into()],
            )?,
            d1::stmt(
                self.db,
                "DELETE FROM link_tags WHERE tag_id = (SELECT id FROM tags WHERE id = ?1 AND user_id IS ?2)",
                &[id.into(), owner.into()],
            )?,
            d1::stmt(self.db, "DELETE FROM tags WHERE id = ?1 AND user_id IS ?2 RETURNING id", &[id.into(), owner.into()])?,
        ];
        let results = d1::batch::<Value>(self.db, statements).await?;
        Ok(results.last().is_some_and(|rows| !rows.is_empty()))
    }

    /// Moves every link of `from` to `into` and deletes `from`, in one transaction.
    pub async fn merge(
        &self,
        from: &str,
        into: &str,
        owner: Option<&str>,
        now: &str,
    ) -> Result<(), StoreError> {
        let both = "(SELECT count(*) FROM tags WHERE id IN (?1, ?2) AND user_id IS ?3) = 2";
        let params: Vec<P> = vec![from.into(), into.into(), owner.into(), now.into()];
        let statements = vec![
            // Every link of `from` shows another tag afterwards.
            d1::stmt(
                self.db,
                &format!(
                    "{} AND {both}",
                    bump_links_of("?1", "?3", "?4")
                ),
                &params,
            )?,
            d1::stmt(
                self.db,
                &format!("INSERT OR IGNORE INTO link_tags (link_id, tag_id) SELECT link_id, ?2 FROM link_tags WHERE tag_id = ?1 AND {both}"),
                &params[..3],
            )?,
            d1::stmt(self.db, &format!("DELETE FROM link_tags WHERE tag_id = ?1 AND {both}"), &params[..3])?,
            d1::stmt(self.db, &format!("UPDATE tags SET updated_at = ?4 WHERE id = ?2 AND {both}"), &params)?,
            d1::stmt(self.db, &format!("DELETE FROM tags WHERE id = ?1 AND {both}"), &params[..3])?,
        ];
        d1::batch::<Value>(self.db, statements).await.map(|_| ())
    }
}

/// SQL that bumps the version (and `updated_at`) of every link tagged with the tag given by
/// the parameters `tag` (id) and `owner`: what the link shows changed, so its ETag must.
fn bump_links_of(tag: &str, owner: &str, now: &str) -> String {
    format!(
        "UPDATE links SET version = version + 1, updated_at = {now} \
         WHERE id IN (SELECT link_id FROM link_tags WHERE tag_id = \
         (SELECT id FROM tags WHERE id = {tag} AND user_id IS {owner}))"
    )
}
