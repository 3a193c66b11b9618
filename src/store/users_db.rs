//! Users in D1 (a copy of the dashboard's, for the edge) and the usernames they gave up.

use serde::Deserialize;
use serde_json::Value;
use worker::D1Database;

use super::d1;
use super::StoreError;

/// A user as the dashboard manages it (`PUT /api/v1/users/{id}`).
pub use uload_core::profile::User;

const USER_SELECT: &str =
    "SELECT id, username, display_name, bio, profile_public, created_at, updated_at FROM users";

pub struct UsersDb<'a> {
    pub db: &'a D1Database,
}

/// A new profile, or the replacement of one.
pub struct Profile<'a> {
    pub username: &'a str,
    pub display_name: Option<&'a str>,
    pub bio: Option<&'a str>,
    pub public: bool,
}

impl UsersDb<'_> {
    pub async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        d1::first(
            self.db,
            &format!("{USER_SELECT} WHERE id = ?1"),
            &[id.into()],
        )
        .await
    }

    /// A public profile by its username, with what its bio page lists: the user's active,
    /// unexpired links as (code, title), newest first, at most 200. The targets are not
    /// read (a protected or limited link must never reveal one). `None`: no such public
    /// profile.
    pub async fn public_profile(
        &self,
        username: &str,
        now: &str,
    ) -> Result<Option<(User, Vec<(String, Option<String>)>)>, StoreError> {
        let user: Option<User> = d1::first(
            self.db,
            &format!("{USER_SELECT} WHERE username = ?1"),
            &[username.into()],
        )
        .await?;
        let Some(user) = user.filter(|u| u.profile_public) else {
            return Ok(None);
        };
        #[derive(Deserialize)]
        struct BioLink {
            code: String,
            title: Option<String>,
        }
        let links: Vec<BioLink> = d1::all(
            self.db,
            "SELECT code, title FROM links WHERE user_id = ?1 AND is_active = 1 \
             AND (expires_at IS NULL OR expires_at > ?2) ORDER BY created_at DESC, id DESC LIMIT 200",
            &[user.id.as_str().into(), now.into()],
        )
        .await?;
        Ok(Some((
            user,
            links.into_iter().map(|l| (l.code, l.title)).collect(),
        )))
    }

    /// What stands between user `id` and `name`: the name's hold (holder, released at) and
    /// whether links of another user live under `/u/{name}/`.
    pub async fn claims_on(
        &self,
        id: &str,
        name: &str,
    ) -> Result<(Option<(String, String)>, bool), StoreError> {
        #[derive(Deserialize)]
        struct Row {
            holder: Option<String>,
            released_at: Option<String>,
            others: f64,
        }
        // Codes under the name are `name/…`: the range [name/, name0) ('0' follows '/').
        let row: Option<Row> = d1::first(
            self.db,
            "SELECT (SELECT user_id FROM username_holds WHERE username = ?2) AS holder, \
                    (SELECT released_at FROM username_holds WHERE username = ?2) AS released_at, \
                    EXISTS (SELECT 1 FROM links WHERE domain = '' AND code >= ?2 || '/' \
                            AND code < ?2 || '0' AND user_id IS NOT ?1) AS others",
            &[id.into(), name.into()],
        )
        .await?;
        Ok(row.map_or((None, false), |r| {
            (r.holder.zip(r.released_at), r.others != 0.0)
        }))
    }

    /// Creates or replaces a profile, in one transaction: a name given up is held for this
    /// user, a name taken back is no longer held. `Err(Conflict)`: another user has the name.
    pub async fn put(
        &self,
        id: &str,
        p: &Profile<'_>,
        now: &str,
    ) -> Result<(User, bool), StoreError> {
        let existed = self.user(id).await?.is_some();
        let statements = vec![
            d1::stmt(
                self.db,
                "INSERT INTO username_holds (username, user_id, released_at) \
                 SELECT username, id, ?3 FROM users WHERE id = ?1 AND username != ?2 AND username NOT LIKE '~%' \
                 ON CONFLICT (username) DO UPDATE SET user_id = excluded.user_id, released_at = excluded.released_at",
                &[id.into(), p.username.into(), now.into()],
            )?,
            d1::stmt(
                self.db,
                "DELETE FROM username_holds WHERE username = ?2 AND user_id = ?1",
                &[id.into(), p.username.into()],
            )?,
            d1::stmt(
                self.db,
                "INSERT INTO users (id, username, display_name, bio, profile_public, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6) \
                 ON CONFLICT (id) DO UPDATE SET username = excluded.username, display_name = excluded.display_name, \
                 bio = excluded.bio, profile_public = excluded.profile_public, updated_at = excluded.updated_at",
                &[
                    id.into(),
                    p.username.into(),
                    p.display_name.into(),
                    p.bio.into(),
                    p.public.into(),
                    now.into(),
                ],
            )?,
        ];
        d1::batch::<Value>(self.db, statements).await?;
        let user = self
            .user(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("user vanished after upsert".into()))?;
        Ok((user, !existed))
    }

    /// The codes of every link of user `id`.
    pub async fn link_codes(&self, id: &str) -> Result<Vec<String>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            code: String,
        }
        let rows: Vec<Row> = d1::all(
            self.db,
            "SELECT code FROM links WHERE user_id = ?1 AND domain = ''",
            &[id.into()],
        )
        .await?;
        Ok(rows.into_iter().map(|r| r.code).collect())
    }

    /// Deletes a user with everything of theirs, in one transaction: links with their clicks,
    /// rollups and visitor hashes, tags, API keys, memberships. Their username is held for
    /// them. `false`: no such user.
    pub async fn delete(&self, id: &str, now: &str) -> Result<bool, StoreError> {
        let mine = "link_id IN (SELECT id FROM links WHERE user_id = ?1)";
        let mut statements = vec![d1::stmt(
            self.db,
            "INSERT INTO username_holds (username, user_id, released_at) \
             SELECT username, id, ?2 FROM users WHERE id = ?1 AND username NOT LIKE '~%' \
             ON CONFLICT (username) DO UPDATE SET user_id = excluded.user_id, released_at = excluded.released_at",
            &[id.into(), now.into()],
        )?];
        for table in ["clicks", "click_visitors", "click_rollups", "link_tags"] {
            statements.push(d1::stmt(
                self.db,
                &format!("DELETE FROM {table} WHERE {mine}"),
                &[id.into()],
            )?);
        }
        for sql in [
            "DELETE FROM links WHERE user_id = ?1",
            "DELETE FROM users WHERE id = ?1 RETURNING id",
        ] {
            statements.push(d1::stmt(self.db, sql, &[id.into()])?);
        }
        let results = d1::batch::<Value>(self.db, statements).await?;
        Ok(results.last().is_some_and(|rows| !rows.is_empty()))
    }
}
