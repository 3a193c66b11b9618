//! Workspaces and their members in D1.

use serde::Deserialize;
use worker::D1Database;

use super::d1::{self, P};
use super::StoreError;

pub use uload_core::workspace::Workspace;

#[derive(Deserialize)]
struct Row {
    slug: String,
    name: Option<String>,
    created_at: String,
    updated_at: String,
}

#[derive(Deserialize)]
struct Member {
    user_id: String,
}

pub struct WorkspacesDb<'a> {
    pub db: &'a D1Database,
}

impl WorkspacesDb<'_> {
    pub async fn get(&self, slug: &str) -> Result<Option<Workspace>, StoreError> {
        let Some(row) = d1::first::<Row>(
            self.db,
            "SELECT slug, name, created_at, updated_at FROM workspaces WHERE slug = ?1",
            &[slug.into()],
        )
        .await?
        else {
            return Ok(None);
        };
        let members: Vec<Member> = d1::all(
            self.db,
            "SELECT user_id FROM workspace_members WHERE workspace_slug = ?1 ORDER BY user_id",
            &[slug.into()],
        )
        .await?;
        Ok(Some(Workspace {
            slug: row.slug,
            name: row.name,
            members: members.into_iter().map(|m| m.user_id).collect(),
            created_at: row.created_at,
            updated_at: row.updated_at,
        }))
    }

    /// Which of `ids` are not users (so the put can name them).
    pub async fn unknown_users(&self, ids: &[String]) -> Result<Vec<String>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks = (1..=ids.len())
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        #[derive(Deserialize)]
        struct Id {
            id: String,
        }
        let params: Vec<P> = ids.iter().map(P::from).collect();
        let known: Vec<Id> = d1::all(
            self.db,
            &format!("SELECT id FROM users WHERE id IN ({marks})"),
            &params,
        )
        .await?;
        Ok(ids
            .iter()
            .filter(|i| !known.iter().any(|k| &k.id == *i))
            .cloned()
            .collect())
    }

    /// Creates or replaces a workspace and its member list in one transaction; `true` when
    /// it was created.
    pub async fn put(
        &self,
        slug: &str,
        name: Option<&str>,
        members: &[String],
        now: &str,
    ) -> Result<bool, StoreError> {
        let existed = self.get(slug).await?.is_some();
        let mut statements = vec![
            d1::stmt(
                self.db,
                "INSERT INTO workspaces (slug, name, created_at, updated_at) VALUES (?1, ?2, ?3, ?3) \
                 ON CONFLICT (slug) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at",
                &[slug.into(), name.into(), now.into()],
            )?,
            d1::stmt(
                self.db,
                "DELETE FROM workspace_members WHERE workspace_slug = ?1",
                &[slug.into()],
            )?,
        ];
        for user in members {
            statements.push(d1::stmt(
                self.db,
                "INSERT INTO workspace_members (workspace_slug, user_id) VALUES (?1, ?2)",
                &[slug.into(), user.into()],
            )?);
        }
        d1::batch::<serde_json::Value>(self.db, statements).await?;
        Ok(!existed)
    }

    /// `false` when there was no such workspace. Its links keep their slug (and stop being
    /// editable into it); they still redirect under /w/{slug}/.
    pub async fn delete(&self, slug: &str) -> Result<bool, StoreError> {
        let n = d1::run(
            self.db,
            "DELETE FROM workspaces WHERE slug = ?1",
            &[slug.into()],
        )
        .await?;
        Ok(n > 0)
    }

    pub async fn is_member(&self, slug: &str, user_id: &str) -> Result<bool, StoreError> {
        self.any(
            "SELECT 1 AS one FROM workspace_members WHERE workspace_slug = ?1 AND user_id = ?2",
            &[slug.into(), user_id.into()],
        )
        .await
    }

    pub async fn exists(&self, slug: &str) -> Result<bool, StoreError> {
        self.any(
            "SELECT 1 AS one FROM workspaces WHERE slug = ?1",
            &[slug.into()],
        )
        .await
    }

    /// Whether the query (`SELECT 1 AS one …`) finds a row.
    async fn any(&self, sql: &str, params: &[P]) -> Result<bool, StoreError> {
        #[derive(Deserialize)]
        struct One {
            #[allow(dead_code)]
            one: f64,
        }
        Ok(d1::first::<One>(self.db, sql, params).await?.is_some())
    }
}
