//! Clicks in D1 (migrations/0005_clicks.sql): storing a batch from the queue exactly once,
//! reading rollups for the stats API, exporting raw clicks, and retention.
//!
//! Storing is two steps. `insert` adds the batch's raw clicks (`INSERT OR IGNORE` on the
//! click id: a redelivered event is a no-op) marked pending. `count_pending` then, in one
//! D1 batch (one transaction), folds every pending click into the rollups, the visitors of
//! the day and the links' counts, and clears the mark. A consumer that dies between the two
//! leaves pending rows; the next batch counts them, once, whichever batch that is.

use serde::Deserialize;
use serde_json::json;
use worker::D1Database;

use super::d1::{self, P};
use super::StoreError;
use uload_core::click::StoredClick;
use uload_core::stats::Counts;

/// Clicks per INSERT statement (~0.5 KB of JSON each).
const INSERT_CHUNK: usize = 1_000;

/// The clicks of one export, in export order: link ?1, from ?2 to ?3, bots with ?4, after
/// the (clicked_at, id) key ?5, ?6.
const EXPORT_RANGE: &str = "FROM clicks
              WHERE link_id = ?1 AND clicked_at >= ?2 AND clicked_at < ?3
                AND (?4 OR is_bot = 0)
                AND (?5 IS NULL OR (clicked_at, id) > (?5, ?6))
              ORDER BY clicked_at, id";

/// The clicks one export reads: a link's in `[from, to)` (ISO times), bots or not, after a
/// `(clicked_at, id)` key (the cursor).
#[derive(Debug, Clone)]
pub struct ExportRange {
    pub link_id: String,
    pub from: String,
    pub to: String,
    pub include_bots: bool,
    pub after: Option<(String, String)>,
}

impl ExportRange {
    /// ?1 to ?6 of `EXPORT_RANGE`, then `last` as ?7.
    fn params(&self, last: i64) -> Vec<P> {
        let (after_at, after_id) = self
            .after
            .as_ref()
            .map_or((P::Null, P::Null), |(a, i)| (a.into(), i.into()));
        vec![
            self.link_id.as_str().into(),
            self.from.as_str().into(),
            self.to.as_str().into(),
            self.include_bots.into(),
            after_at,
            after_id,
            last.into(),
        ]
    }
}

pub struct ClicksDb {
    db: D1Database,
}

/// Folds pending clicks into everything that counts them. Order matters: first visits are
/// marked before the visitors table learns them, rollups read the marks, the mark goes last.
const COUNT_PENDING: &[&str] = &[
    // A person's first click of the UTC day on a link (the earliest pending one, when this
    // batch holds several, and only if no earlier batch saw them that day).
    "UPDATE clicks SET new_visitor = 1
      WHERE pending = 1 AND is_bot = 0 AND visitor_hash IS NOT NULL
        AND rowid IN (SELECT min(rowid) FROM clicks
                       WHERE pending = 1 AND is_bot = 0 AND visitor_hash IS NOT NULL
                       GROUP BY link_id, substr(clicked_at, 1, 10), visitor_hash)
        AND NOT EXISTS (SELECT 1 FROM click_visitors v
                         WHERE v.link_id = clicks.link_id
                           AND v.day = substr(clicks.clicked_at, 1, 10)
                           AND v.visitor_hash = clicks.visitor_hash)",
    "INSERT OR IGNORE INTO click_visitors (link_id, day, visitor_hash)
     SELECT link_id, substr(clicked_at, 1, 10), visitor_hash FROM clicks
      WHERE pending = 1 AND new_visitor = 1",
    r#"INSERT INTO click_rollups (link_id, dim, hour, value, clicks, bots, visitors)
     SELECT link_id, dim, hour, value, sum(1 - is_bot), sum(is_bot), sum(new_visitor) FROM (
       SELECT link_id, substr(clicked_at, 1, 13) AS hour, is_bot, new_visitor,
              d.value AS dim,
              CASE d.value
                WHEN '' THEN ''
                WHEN 'country' THEN ifnull(country, '')
                WHEN 'city' THEN CASE WHEN city IS NULL THEN '' ELSE ifnull(country, '') || char(9) || city END
                WHEN 'referrer' THEN ifnull(referer_host, '')
                WHEN 'browser' THEN browser
                WHEN 'os' THEN os
                ELSE device_type
              END AS value
         FROM clicks,
              json_each('["", "country", "city", "referrer", "browser", "os", "device"]') AS d
        -- Clicks that arrive after their link was deleted are not rolled up.
        WHERE pending = 1 AND EXISTS (SELECT 1 FROM links WHERE links.id = clicks.link_id))
     GROUP BY link_id, dim, hour, value
     ON CONFLICT (link_id, dim, hour, value) DO UPDATE SET
       clicks = clicks + excluded.clicks,
       bots = bots + excluded.bots,
       visitors = visitors + excluded.visitors"#,
    "UPDATE links SET
       click_count = click_count + p.people,
       bot_click_count = bot_click_count + p.bots,
       last_clicked_at = CASE WHEN p.last IS NOT NULL AND (links.last_clicked_at IS NULL OR p.last > links.last_clicked_at)
                              THEN p.last ELSE links.last_clicked_at END
     FROM (SELECT link_id, sum(1 - is_bot) AS people, sum(is_bot) AS bots,
                  max(CASE WHEN is_bot = 0 THEN clicked_at END) AS last
             FROM clicks WHERE pending = 1 GROUP BY link_id) AS p
     WHERE links.id = p.link_id",
    // Counted: the raw click keeps no visitor hash (only the day's visitors table does, until
    // the daily prune).
    "UPDATE clicks SET pending = 0, visitor_hash = NULL WHERE pending = 1",
];

#[derive(Deserialize)]
struct CountsRow {
    clicks: Option<f64>,
    bots: Option<f64>,
    visitors: Option<f64>,
}

impl From<&CountsRow> for Counts {
    fn from(r: &CountsRow) -> Self {
        Counts {
            clicks: d1::uint(r.clicks.unwrap_or(0.0)),
            bots: d1::uint(r.bots.unwrap_or(0.0)),
            visitors: d1::uint(r.visitors.unwrap_or(0.0)),
        }
    }
}

/// One value of a breakdown, summed over the range. A city comes with its country (the
/// rollups keep them together: Paris, FR is not Paris, US).
#[derive(Debug)]
pub struct TopRow {
    pub dim: String,
    pub value: String,
    pub country: Option<String>,
    pub counts: Counts,
}

/// A raw click, as exported.
#[derive(Debug, Deserialize)]
pub struct ClickRow {
    pub id: String,
    pub clicked_at: String,
    pub visitor_hash: Option<String>,
    pub browser: String,
    pub os: String,
    pub device_type: String,
    #[serde(deserialize_with = "d1::flag_field")]
    pub is_bot: bool,
    pub referer_host: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_term: Option<String>,
    pub utm_content: Option<String>,
}

impl ClicksDb {
    pub fn from_env(env: &worker::Env) -> Result<Self, StoreError> {
        Ok(Self {
            db: d1::database(env)?,
        })
    }

    /// Adds raw clicks as pending; ids already stored are skipped. Returns how many were new.
    /// In chunks: each statement's one JSON parameter stays far below D1's 2 MB value limit.
    pub async fn insert(&self, clicks: &[StoredClick]) -> Result<usize, StoreError> {
        let mut new = 0;
        for chunk in clicks.chunks(INSERT_CHUNK) {
            new += self.insert_chunk(chunk).await?;
        }
        Ok(new)
    }

    async fn insert_chunk(&self, clicks: &[StoredClick]) -> Result<usize, StoreError> {
        let rows: Vec<_> = clicks
            .iter()
            .map(|c| {
                json!([
                    c.id,
                    c.link_id,
                    c.clicked_at,
                    c.visitor_hash,
                    c.agent.browser,
                    c.agent.os,
                    c.agent.device,
                    i64::from(c.agent.bot),
                    c.referer_host,
                    c.country,
                    c.city,
                    c.utm.source,
                    c.utm.medium,
                    c.utm.campaign,
                    c.utm.term,
                    c.utm.content,
                ])
            })
            .collect();
        let col = |i: usize| format!("value ->> '$[{i}]'");
        let columns: Vec<String> = (0..16).map(col).collect();
        let sql = format!(
            "INSERT OR IGNORE INTO clicks (id, link_id, clicked_at, visitor_hash, browser, os, \
             device_type, is_bot, referer_host, country, city, utm_source, utm_medium, \
             utm_campaign, utm_term, utm_content) SELECT {} FROM json_each(?1)",
            columns.join(", ")
        );
        let json = serde_json::Value::Array(rows).to_string();
        d1::run(&self.db, &sql, &[json.into()]).await
    }

    /// Counts every pending click (see the module comment). Atomic.
    pub async fn count_pending(&self) -> Result<(), StoreError> {
        let statements = COUNT_PENDING
            .iter()
            .map(|sql| d1::stmt(&self.db, sql, &[]))
            .collect::<Result<Vec<_>, _>>()?;
        d1::batch::<serde_json::Value>(&self.db, statements)
            .await
            .map(|_| ())
    }

    /// Clicks of the total rollup per UTC hour in `[from_key, to_key)`.
    pub async fn hours(
        &self,
        link_id: &str,
        from_key: &str,
        to_key: &str,
    ) -> Result<Vec<(String, Counts)>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            hour: String,
            #[serde(flatten)]
            counts: CountsRow,
        }
        let rows: Vec<Row> = d1::all(
            &self.db,
            "SELECT hour, clicks, bots, visitors FROM click_rollups
              WHERE link_id = ?1 AND dim = '' AND hour >= ?2 AND hour < ?3 ORDER BY hour",
            &[link_id.into(), from_key.into(), to_key.into()],
        )
        .await?;
        Ok(rows
            .iter()
            .map(|r| (r.hour.clone(), Counts::from(&r.counts)))
            .collect())
    }

    /// The `top` largest values of every breakdown over the range, by people (or by people
    /// and bots together with `include_bots`).
    pub async fn top(
        &self,
        link_id: &str,
        from_key: &str,
        to_key: &str,
        include_bots: bool,
        top: usize,
    ) -> Result<Vec<TopRow>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            dim: String,
            value: String,
            #[serde(flatten)]
            counts: CountsRow,
        }
        let rows: Vec<Row> = d1::all(
            &self.db,
            "SELECT dim, value, clicks, bots, visitors FROM (
               SELECT dim, value, sum(clicks) AS clicks, sum(bots) AS bots, sum(visitors) AS visitors,
                      row_number() OVER (PARTITION BY dim
                        ORDER BY sum(clicks) + ?4 * sum(bots) DESC, value) AS n
                 FROM click_rollups
                WHERE link_id = ?1 AND dim <> '' AND hour >= ?2 AND hour < ?3
                GROUP BY dim, value
               HAVING sum(clicks) + ?4 * sum(bots) > 0)
              WHERE n <= ?5 ORDER BY dim, n",
            &[
                link_id.into(),
                from_key.into(),
                to_key.into(),
                include_bots.into(),
                P::Int(top as i64),
            ],
        )
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let (country, value) = if r.dim == "city" {
                    let (country, city) = uload_core::stats::split_city(&r.value);
                    (country.map(str::to_string), city.to_string())
                } else {
                    (None, r.value.clone())
                };
                TopRow {
                    dim: r.dim.clone(),
                    value,
                    country,
                    counts: Counts::from(&r.counts),
                }
            })
            .collect())
    }

    /// Up to `limit` raw clicks of `range`, oldest first.
    pub async fn export(
        &self,
        range: &ExportRange,
        limit: u32,
    ) -> Result<Vec<ClickRow>, StoreError> {
        d1::all(
            &self.db,
            &format!(
                "SELECT id, clicked_at, visitor_hash, browser, os, device_type, is_bot, referer_host,
                        country, city, utm_source, utm_medium, utm_campaign, utm_term, utm_content
                   {EXPORT_RANGE} LIMIT ?7"
            ),
            &range.params(i64::from(limit)),
        )
        .await
    }

    /// The key of the `limit`-th click of `range`, when at least one more follows: where the
    /// next page of an export starts (known before the first row is sent).
    pub async fn export_next_after(
        &self,
        range: &ExportRange,
        limit: u32,
    ) -> Result<Option<(String, String)>, StoreError> {
        #[derive(serde::Deserialize)]
        struct Key {
            clicked_at: String,
            id: String,
        }
        let keys: Vec<Key> = d1::all(
            &self.db,
            &format!("SELECT clicked_at, id {EXPORT_RANGE} LIMIT 2 OFFSET ?7"),
            &range.params(i64::from(limit.saturating_sub(1))),
        )
        .await?;
        Ok((keys.len() == 2).then(|| (keys[0].clicked_at.clone(), keys[0].id.clone())))
    }

    /// Deletes up to `chunk` counted raw clicks older than `before`; returns how many.
    pub async fn prune_clicks(&self, before: &str, chunk: u32) -> Result<usize, StoreError> {
        d1::run(
            &self.db,
            "DELETE FROM clicks WHERE rowid IN (
               SELECT rowid FROM clicks WHERE clicked_at < ?1 AND pending = 0 LIMIT ?2)",
            &[before.into(), i64::from(chunk).into()],
        )
        .await
    }

    /// Forgets the visitors of days before `day` (their salt is gone; nothing can match).
    pub async fn prune_visitors(&self, day: &str) -> Result<usize, StoreError> {
        d1::run(
            &self.db,
            "DELETE FROM click_visitors WHERE day < ?1",
            &[day.into()],
        )
        .await
    }
}
