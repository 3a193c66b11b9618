//! The abuse denylist and the admin audit log in D1 (migrations/0010_abuse.sql).

use serde::Deserialize;
use worker::D1Database;

use super::d1;
use super::StoreError;
use uload_core::abuse::Denylist;
pub use uload_core::abuse::{AuditEntry, DenyEntry};
pub use uload_core::report::ReportEntry;

pub struct AbuseDb<'a> {
    pub db: &'a D1Database,
}

impl AbuseDb<'_> {
    pub async fn entries(&self) -> Result<Vec<DenyEntry>, StoreError> {
        d1::all(
            self.db,
            "SELECT kind, value, reason, created_at FROM abuse_denylist ORDER BY kind, value",
            &[],
        )
        .await
    }

    pub async fn denylist(&self) -> Result<Denylist, StoreError> {
        let mut list = Denylist::default();
        for e in self.entries().await? {
            match e.kind.as_str() {
                "domain" => list.domains.push(e.value),
                _ => list.terms.push(e.value),
            }
        }
        Ok(list)
    }

    /// Adds an entry (replacing its reason if it exists) and records the action.
    pub async fn deny(
        &self,
        kind: &str,
        value: &str,
        reason: Option<&str>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let statements = vec![
            d1::stmt(
                self.db,
                "INSERT INTO abuse_denylist (kind, value, reason, created_at) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (kind, value) DO UPDATE SET reason = excluded.reason",
                &[kind.into(), value.into(), reason.into(), audit.at.as_str().into()],
            )?,
            self.audit_stmt(audit)?,
        ];
        d1::batch::<serde_json::Value>(self.db, statements)
            .await
            .map(|_| ())
    }

    /// `false`: no such entry.
    pub async fn allow(
        &self,
        kind: &str,
        value: &str,
        audit: &AuditEntry,
    ) -> Result<bool, StoreError> {
        let statements = vec![
            d1::stmt(
                self.db,
                "DELETE FROM abuse_denylist WHERE kind = ?1 AND value = ?2 RETURNING value",
                &[kind.into(), value.into()],
            )?,
            self.audit_stmt(audit)?,
        ];
        let results = d1::batch::<serde_json::Value>(self.db, statements).await?;
        Ok(results.first().is_some_and(|rows| !rows.is_empty()))
    }

    pub fn audit_stmt(&self, a: &AuditEntry) -> Result<worker::D1PreparedStatement, StoreError> {
        d1::stmt(
            self.db,
            "INSERT INTO admin_audit (id, at, actor, action, target, reason) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &[
                a.id.as_str().into(),
                a.at.as_str().into(),
                a.actor.as_str().into(),
                a.action.as_str().into(),
                a.target.as_str().into(),
                a.reason.as_deref().into(),
            ],
        )
    }

    /// The newest `limit` audit entries, newest first.
    pub async fn audit_log(&self, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
        d1::all(
            self.db,
            "SELECT id, at, actor, action, target, reason FROM admin_audit ORDER BY at DESC, id DESC LIMIT ?1",
            &[i64::from(limit).into()],
        )
        .await
    }

    /// Blocks (reason) links that are not blocked, or unblocks (None) blocked ones, by id,
    /// with the given audit entries; returns the (id, code) of the links changed. A link
    /// already blocked keeps its reason (a domain ban never takes over a block by hand).
    pub async fn set_blocked(
        &self,
        ids: &[String],
        reason: Option<&str>,
        now: &str,
        audits: &[AuditEntry],
    ) -> Result<Vec<(String, String)>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            code: String,
        }
        let json = serde_json::to_string(ids).unwrap_or_else(|_| "[]".into());
        let mut statements = vec![d1::stmt(
            self.db,
            "UPDATE links SET blocked_reason = ?2, blocked_at = CASE WHEN ?2 IS NULL THEN NULL ELSE ?3 END, \
             version = version + 1, updated_at = ?3 \
             WHERE id IN (SELECT value FROM json_each(?1)) \
             AND ((?2 IS NULL) = (blocked_reason IS NOT NULL)) RETURNING id, code",
            &[json.into(), reason.into(), now.into()],
        )?];
        for a in audits {
            statements.push(self.audit_stmt(a)?);
        }
        let mut results = d1::batch::<Row>(self.db, statements).await?;
        let changed = if results.is_empty() {
            Vec::new()
        } else {
            results.swap_remove(0)
        };
        Ok(changed.into_iter().map(|r| (r.id, r.code)).collect())
    }

    /// Active links, neither held nor blocked, last changed before `before`, any of whose
    /// targets mentions `needle`: (id, every target URL). The caller checks precisely.
    pub async fn unchecked_mentioning(
        &self,
        needle: &str,
        before: &str,
    ) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            url: String,
            ios_url: Option<String>,
            android_url: Option<String>,
            geo_targets: Option<String>,
        }
        let rows: Vec<Row> = d1::all(
            self.db,
            "SELECT id, url, ios_url, android_url, geo_targets FROM links \
             WHERE is_active = 1 AND blocked_reason IS NULL AND held_at IS NULL AND updated_at < ?2 \
             AND instr(lower(url || ' ' || ifnull(ios_url, '') || ' ' || ifnull(android_url, '') || ' ' || ifnull(geo_targets, '')), ?1) > 0",
            &[needle.into(), before.into()],
        )
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let mut urls = vec![r.url];
                urls.extend(r.ios_url);
                urls.extend(r.android_url);
                let geo: std::collections::BTreeMap<String, String> = r
                    .geo_targets
                    .and_then(|g| serde_json::from_str(&g).ok())
                    .unwrap_or_default();
                urls.extend(geo.into_values());
                (r.id, urls)
            })
            .collect())
    }

    /// Ids and targets of every link whose URL mentions `domain` (the caller checks hosts).
    pub async fn links_mentioning(
        &self,
        domain: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            url: String,
        }
        let rows: Vec<Row> = d1::all(
            self.db,
            "SELECT id, url FROM links WHERE instr(lower(url), ?1) > 0",
            &[domain.into()],
        )
        .await?;
        Ok(rows.into_iter().map(|r| (r.id, r.url)).collect())
    }
}

impl AbuseDb<'_> {
    /// The link a code names: (id, held, blocked).
    pub async fn link_by_code(
        &self,
        code: &str,
    ) -> Result<Option<(String, bool, bool)>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            id: String,
            held: f64,
            blocked: f64,
        }
        let row: Option<Row> = d1::first(
            self.db,
            "SELECT id, held_at IS NOT NULL AS held, blocked_reason IS NOT NULL AS blocked FROM links \
             WHERE domain = '' AND code = ?1",
            &[code.into()],
        )
        .await?;
        Ok(row.map(|r| (r.id, r.held != 0.0, r.blocked != 0.0)))
    }

    /// Stores a report unless this reporter already reported this link; then counts the
    /// distinct reporters of the link's open reports since `since`. (new?, reporters)
    pub async fn add_report(
        &self,
        e: &ReportEntry,
        reporter: &str,
        since: &str,
    ) -> Result<(bool, u32), StoreError> {
        #[derive(Deserialize)]
        struct Count {
            n: f64,
        }
        let statements = vec![
            d1::stmt(
                self.db,
                "INSERT INTO abuse_reports (id, link_id, code, reason, details, contact, reporter, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT (link_id, reporter) DO NOTHING RETURNING id",
                &[
                    e.id.as_str().into(),
                    e.link_id.as_str().into(),
                    e.code.as_str().into(),
                    e.reason.as_str().into(),
                    e.details.as_deref().into(),
                    e.contact.as_deref().into(),
                    reporter.into(),
                    e.created_at.as_str().into(),
                ],
            )?,
            d1::stmt(
                self.db,
                "SELECT count(DISTINCT reporter) AS n FROM abuse_reports \
                 WHERE link_id = ?1 AND handled_at IS NULL AND created_at >= ?2",
                &[e.link_id.as_str().into(), since.into()],
            )?,
        ];
        let results = d1::batch::<serde_json::Value>(self.db, statements).await?;
        let new = results.first().is_some_and(|r| !r.is_empty());
        let n = results
            .get(1)
            .and_then(|r| r.first())
            .and_then(|v| serde_json::from_value::<Count>(v.clone()).ok())
            .map_or(0, |c| c.n as u32);
        Ok((new, n))
    }

    /// Holds a link for review (only if it is neither held nor blocked): `true` if it was.
    pub async fn hold(&self, link_id: &str, now: &str) -> Result<bool, StoreError> {
        let n = d1::run(
            self.db,
            "UPDATE links SET held_at = ?2, version = version + 1, updated_at = ?2 \
             WHERE id = ?1 AND held_at IS NULL AND blocked_reason IS NULL",
            &[link_id.into(), now.into()],
        )
        .await?;
        Ok(n > 0)
    }

    /// Ends a hold and closes the link's open reports (the admin decided); returns the
    /// time of the oldest open report, for the time-to-action metric.
    pub async fn release(
        &self,
        link_id: &str,
        now: &str,
        audit: Option<&AuditEntry>,
    ) -> Result<Option<String>, StoreError> {
        #[derive(Deserialize)]
        struct Oldest {
            oldest: Option<String>,
        }
        let mut statements = vec![
            d1::stmt(
                self.db,
                "SELECT min(created_at) AS oldest FROM abuse_reports WHERE link_id = ?1 AND handled_at IS NULL",
                &[link_id.into()],
            )?,
            d1::stmt(
                self.db,
                "UPDATE abuse_reports SET handled_at = ?2 WHERE link_id = ?1 AND handled_at IS NULL",
                &[link_id.into(), now.into()],
            )?,
            d1::stmt(
                self.db,
                "UPDATE links SET held_at = NULL, version = version + 1, updated_at = ?2 \
                 WHERE id = ?1 AND held_at IS NOT NULL",
                &[link_id.into(), now.into()],
            )?,
        ];
        if let Some(a) = audit {
            statements.push(self.audit_stmt(a)?);
        }
        let results = d1::batch::<serde_json::Value>(self.db, statements).await?;
        Ok(results
            .first()
            .and_then(|r| r.first())
            .and_then(|v| serde_json::from_value::<Oldest>(v.clone()).ok())
            .and_then(|o| o.oldest))
    }

    /// Open reports, newest first (of one link, or all).
    pub async fn open_reports(
        &self,
        link_id: Option<&str>,
    ) -> Result<Vec<ReportEntry>, StoreError> {
        d1::all(
            self.db,
            "SELECT id, link_id, code, reason, details, contact, created_at FROM abuse_reports \
             WHERE handled_at IS NULL AND (?1 IS NULL OR link_id = ?1) ORDER BY created_at DESC, id DESC LIMIT 500",
            &[link_id.into()],
        )
        .await
    }
}
