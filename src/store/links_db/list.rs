//! Listing a user's links: filters, the search index, keyset pages, and the total.

use serde::Deserialize;

use super::schema;
use super::{LinksDb, DEFAULT_DOMAIN};
use crate::store::d1::{self, P};
use crate::store::StoreError;
use uload_core::link::Link;
use uload_core::listing::{self, ListQuery, Order, Sort, StatusFilter};

impl LinksDb {
    /// One page of a user's links in the query's order, after the cursor;
    /// with `q.total`, also how many links match in all (the cursor aside).
    pub async fn list(
        &self,
        owner: Option<&str>,
        q: &ListQuery,
        now: &str,
    ) -> Result<(Vec<Link>, Option<u64>), StoreError> {
        // The owner's condition is put first once the search has chosen its plan (below).
        let mut conds: Vec<String> = Vec::new();
        let mut by_matches = false;
        let mut params: Vec<P> = vec![owner.into(), now.into()];
        match q.status {
            Some(StatusFilter::Active) => {
                conds.push("l.is_active = 1 AND (l.expires_at IS NULL OR l.expires_at > ?2)".into())
            }
            Some(StatusFilter::Inactive) => conds.push("l.is_active = 0".into()),
            Some(StatusFilter::Expired) => {
                conds.push("l.expires_at IS NOT NULL AND l.expires_at <= ?2".into())
            }
            None => {}
        }
        if let Some(tag) = &q.tag {
            params.push(tag.into());
            conds.push(format!(
                "EXISTS (SELECT 1 FROM link_tags lt JOIN tags t ON t.id = lt.tag_id \
                 WHERE lt.link_id = l.id AND t.slug = ?{})",
                params.len()
            ));
        }
        if let Some(code) = &q.code {
            params.push(DEFAULT_DOMAIN.into());
            params.push(code.as_str().into());
            conds.push(format!(
                "l.domain = ?{} AND l.code = ?{}",
                params.len() - 1,
                params.len()
            ));
        }
        if let Some(term) = &q.search {
            // A term as long as a trigram is looked up in the index (migration 0012); when
            // it finds few of the owner's links, the page is read from exactly those (`+`
            // keeps SQLite from walking the owner's index instead).
            let phrase = listing::search_phrase(term);
            let few = match &phrase {
                Some(phrase) => self.few_matches(owner, phrase, term).await?,
                None => None,
            };
            let cond = if let Some(rowids) = few {
                by_matches = true;
                params.push(rowids.into());
                format!(
                    "l.rowid IN (SELECT value FROM json_each(?{}))",
                    params.len()
                )
            } else {
                // Many, or a term shorter than a trigram: the owner's links in the page's
                // order, each checked against the index's matches (or the text itself)
                // and the tags, until the page is full.
                params.push(term.into());
                let n = params.len();
                params.push(listing::tag_slug_needle(term).into());
                let s = params.len();
                let text = if let Some(phrase) = phrase {
                    params.push(phrase.into());
                    format!(
                        "l.rowid IN (SELECT rowid FROM links_search WHERE links_search MATCH ?{})",
                        params.len()
                    )
                } else {
                    params.push(listing::like_pattern(term).into());
                    let i = params.len();
                    format!(
                        "l.title LIKE ?{i} ESCAPE '\\' OR l.url LIKE ?{i} ESCAPE '\\' \
                         OR l.description LIKE ?{i} ESCAPE '\\' OR l.code LIKE ?{i} ESCAPE '\\'"
                    )
                };
                format!(
                    "({text} OR l.id IN ({}))",
                    tag_links("lt.link_id", "", n, s)
                )
            };
            conds.push(cond);
        }
        if let Some(ws) = &q.workspace {
            params.push(ws.as_str().into());
            conds.push(format!("l.workspace_id = ?{}", params.len()));
        }
        if let Some(tag_id) = &q.tag_id {
            params.push(tag_id.as_str().into());
            conds.push(format!(
                "EXISTS (SELECT 1 FROM link_tags lt WHERE lt.link_id = l.id AND lt.tag_id = ?{})",
                params.len()
            ));
        }
        if let Some(from) = &q.created_from {
            params.push(from.as_str().into());
            conds.push(format!("l.created_at >= ?{}", params.len()));
        }
        if let Some(to) = &q.created_to {
            params.push(to.as_str().into());
            conds.push(format!("l.created_at < ?{}", params.len()));
        }
        // Read from the term's matches, the owner's condition must not pick the index
        // (`+` makes it a mere filter); otherwise it is the way in.
        conds.insert(
            0,
            if by_matches {
                "+l.user_id IS ?1"
            } else {
                "l.user_id IS ?1"
            }
            .to_string(),
        );
        // The total: the same filters, without the cursor and the limit.
        let total = if q.total {
            #[derive(Deserialize)]
            struct N {
                n: f64,
            }
            // Every bound value must be used (D1 refuses extra bindings), and `now` (?2) is
            // only when a status filter needs it: an always-true mention.
            let sql = format!(
                "SELECT count(*) AS n FROM links l WHERE {} AND (?2 IS NULL OR ?2 IS NOT NULL)",
                conds.join(" AND ")
            );
            let n: Option<N> = d1::first(&self.db, &sql, &params).await?;
            Some(n.map_or(0, |n| d1::uint(n.n)))
        } else {
            None
        };
        // Each order's key is never NULL (see uload_core::listing::order); text compares
        // ASCII case-insensitively, with the id breaking ties.
        let key = match q.sort {
            Sort::Created => "l.created_at",
            Sort::Clicks => "l.click_count",
            Sort::LastClick => "coalesce(l.last_clicked_at, '')",
            Sort::Title => "coalesce(l.title, '') COLLATE NOCASE",
            Sort::Code => "l.code COLLATE NOCASE",
        };
        let (dir, past) = match q.order {
            Order::Asc => ("ASC", ">"),
            Order::Desc => ("DESC", "<"),
        };
        if let Some(c) = &q.cursor {
            params.push(match q.sort {
                Sort::Clicks => (c.c.as_u64().unwrap_or_default() as i64).into(),
                _ => c.c.as_str().unwrap_or_default().into(),
            });
            params.push(c.id.as_str().into());
            let (a, b) = (params.len() - 1, params.len());
            conds.push(format!(
                "({key} {past} ?{a} OR ({key} = ?{a} AND l.id {past} ?{b}))"
            ));
        }
        params.push((i64::from(q.limit) + 1).into());
        let sql = format!(
            "{} WHERE {} ORDER BY {key} {dir}, l.id {dir} LIMIT ?{}",
            schema::select_json(),
            conds.join(" AND "),
            params.len()
        );
        let rows = schema::rows_from_json(d1::all(&self.db, &sql, &params).await?)?;
        Ok((rows.into_iter().map(Link::from).collect(), total))
    }

    /// The rowids of the owner's links a search term finds (by the trigram index's `phrase`,
    /// or by one of their tags), as a JSON array for `json_each`, when there are at most
    /// `listing::SEARCH_FEW`; `None` when there are more.
    ///
    /// Why two statements: SQLite cannot tell how many links a phrase matches. Walking the
    /// owner's links in the page's order stops early when matches are many, but reads all of
    /// an owner's 10,000 links for a term matching 100 of them; reading the matches and
    /// sorting them is the opposite. This asks first, stopping at one past the bound
    /// (`UNION ALL`, not `UNION`, so that `LIMIT` stops it early: a link found by its text
    /// and by a tag counts twice, which can only send a borderline term to the walk).
    async fn few_matches(
        &self,
        owner: Option<&str>,
        phrase: &str,
        term: &str,
    ) -> Result<Option<String>, StoreError> {
        /// The matches as one JSON array, made by SQLite: one row crosses into the worker,
        /// not one JS object per match, and it is already what `json_each` reads.
        #[derive(Deserialize)]
        struct Matches {
            ids: String,
            n: f64,
        }
        // CROSS JOIN: the index's matches drive, each looked up by rowid; SQLite would
        // otherwise ask the index once for each of the owner's links.
        let sql = format!(
            "SELECT json_group_array(r) AS ids, count(*) AS n FROM (\
             SELECT l.rowid AS r FROM links_search s CROSS JOIN links l ON l.rowid = s.rowid \
             WHERE links_search MATCH ?2 AND l.user_id IS ?1 \
             UNION ALL {} LIMIT ?5)",
            tag_links("l.rowid AS r", "JOIN links l ON l.id = lt.link_id", 3, 4)
        );
        let params: Vec<P> = vec![
            owner.into(),
            phrase.into(),
            term.into(),
            listing::tag_slug_needle(term).into(),
            (listing::SEARCH_FEW as i64 + 1).into(),
        ];
        let found: Option<Matches> = d1::first(&self.db, &sql, &params).await?;
        Ok(found.and_then(|m| (d1::uint(m.n) <= listing::SEARCH_FEW as u64).then_some(m.ids)))
    }
}

/// `SELECT {what}` from the owner's tags whose name (as written, ASCII case) or slug holds
/// the term (bound as `?{name}` and `?{slug}`), joined to their links (`lt`, and `join`).
/// The owner's tags are few, read through their (owner, slug) index, and their links
/// through link_tags' tag index. `instr`, not `LIKE`: D1 refuses a `LIKE` pattern longer
/// than 50 bytes (found by schemathesis, a 503).
fn tag_links(what: &str, join: &str, name: usize, slug: usize) -> String {
    format!(
        "SELECT {what} FROM tags t JOIN link_tags lt ON lt.tag_id = t.id {join} \
         WHERE ifnull(t.user_id, '') = ifnull(?1, '') \
         AND (instr(lower(t.name), lower(?{name})) > 0 OR instr(t.slug, ?{slug}) > 0)"
    )
}
