//! The stats API of one link (owner only): `GET /api/v1/links/{id}/stats` reads the hourly
//! rollups (never the raw clicks, so a year costs what a day costs), and
//! `GET /api/v1/links/{id}/clicks.csv` exports raw clicks.

use super::Ctx;
use crate::error::ApiError;
use crate::http::Reply;
use crate::runtime;
use crate::store::clicks_db::{ClicksDb, ExportRange};
use crate::store::links_db::LinksDb;
use uload_core::stats::{
    self, AllTime, Breakdowns, CityEntry, Counts, CountsView, LinkStats, SeriesPoint, TopEntry,
};

/// The link, if the caller owns it (404 otherwise: no hint that someone else's exists).
async fn owned_link(c: &Ctx<'_>, id: &str) -> Result<uload_core::link::Link, ApiError> {
    LinksDb::from_env(c.env)?
        .get(id, c.who.owner())
        .await?
        .ok_or(ApiError::NotFound)
}

pub async fn stats(c: &Ctx<'_>, id: &str, pairs: &[(String, String)]) -> Result<Reply, ApiError> {
    let q = stats::parse_stats(pairs, crate::clock::now_utc(), &runtime::time_zone)
        .map_err(ApiError::Validation)?;
    let link = owned_link(c, id).await?;
    let db = ClicksDb::from_env(c.env)?;
    let (from_key, to_key) = stats::hour_keys(&q);
    let (hours, top) = futures_util::future::join(
        db.hours(&link.id, &from_key, &to_key),
        db.top(&link.id, &from_key, &to_key, q.include_bots, q.top),
    )
    .await;
    let (hours, top) = (hours?, top?);
    let mut totals = Counts::default();
    for (_, c) in &hours {
        totals.add(*c);
    }
    let counts = |c: Counts| CountsView::new(c, q.include_bots);
    let series = stats::series(&q, &hours)
        .into_iter()
        .map(|p| SeriesPoint {
            start: p.start,
            counts: counts(p.counts),
        })
        .collect();
    let mut top_lists = Breakdowns::default();
    for r in &top {
        if r.dim == "city" {
            top_lists.cities.push(CityEntry {
                value: Some(r.value.clone()),
                country: r.country.clone(),
                counts: counts(r.counts),
            });
        } else if let Some(list) = top_lists.list(&r.dim) {
            list.push(TopEntry {
                // '' is "unknown": no Referer (direct traffic), no country.
                value: Some(r.value.clone()).filter(|v| !v.is_empty()),
                counts: counts(r.counts),
            });
        }
    }
    let body = LinkStats {
        link_id: link.id,
        from: q.zone.format(q.from),
        to: q.zone.format(q.to),
        tz: q.zone.name(),
        interval: q.interval.name(),
        include_bots: q.include_bots,
        totals: counts(totals),
        all_time: AllTime {
            clicks: link.click_count,
            bots: link.bot_click_count,
            last_clicked_at: link.last_clicked_at,
        },
        series,
        top: top_lists,
    };
    Ok(Reply::json(200, &body))
}

const CSV_HEADER: [&str; 15] = [
    "clicked_at",
    "click_id",
    "visitor_hash",
    "is_bot",
    "browser",
    "os",
    "device_type",
    "referer_host",
    "country",
    "city",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
];

/// Raw clicks as CSV, oldest first, at most `limit` rows; a `Link: <…>; rel="next"` header
/// continues where this one stopped.
/// Where an export stands while it is sent.
struct ExportPage {
    db: ClicksDb,
    /// Its `after` moves on with every page sent.
    range: ExportRange,
    remaining: u32,
    started: bool,
}

fn csv_row(r: &crate::store::clicks_db::ClickRow) -> String {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    stats::csv_line(&[
        &r.clicked_at,
        &r.id,
        &o(&r.visitor_hash),
        if r.is_bot { "true" } else { "false" },
        &r.browser,
        &r.os,
        &r.device_type,
        &o(&r.referer_host),
        &o(&r.country),
        &o(&r.city),
        &o(&r.utm_source),
        &o(&r.utm_medium),
        &o(&r.utm_campaign),
        &o(&r.utm_term),
        &o(&r.utm_content),
    ])
}

pub async fn export(c: &Ctx<'_>, id: &str, pairs: &[(String, String)]) -> Result<Reply, ApiError> {
    /// Rows read from D1 per query (D1 answers are kept well under its size limits).
    const PAGE: u32 = 2_000;
    let q = stats::parse_export(pairs, crate::clock::now_utc(), &runtime::time_zone)
        .map_err(ApiError::Validation)?;
    let link = owned_link(c, id).await?;
    let db = ClicksDb::from_env(c.env)?;
    let range = ExportRange {
        link_id: link.id.clone(),
        from: uload_core::time::format(q.from),
        to: uload_core::time::format(q.to),
        include_bots: q.include_bots,
        after: q.after.clone(),
    };
    // Where the next page starts is known first (for the Link header); then the rows are
    // read page by page while they are sent, so no export is ever held whole.
    let next_after = db.export_next_after(&range, q.limit).await?;
    let page = ExportPage {
        db,
        range,
        remaining: q.limit,
        started: false,
    };
    let rows = futures_util::stream::unfold(page, |mut p| async move {
        if !p.started {
            p.started = true;
            return Some((Ok(stats::csv_line(&CSV_HEADER).into_bytes()), p));
        }
        if p.remaining == 0 {
            return None;
        }
        let want = PAGE.min(p.remaining);
        match p.db.export(&p.range, want).await {
            Ok(rows) if rows.is_empty() => None,
            Ok(rows) => {
                p.remaining = if rows.len() < want as usize {
                    0
                } else {
                    p.remaining - want
                };
                let mut chunk = String::new();
                for r in &rows {
                    chunk.push_str(&csv_row(r));
                }
                p.range.after = rows.last().map(|r| (r.clicked_at.clone(), r.id.clone()));
                Some((Ok(chunk.into_bytes()), p))
            }
            Err(e) => {
                crate::log::error(
                    "csv_export_failed",
                    serde_json::json!({ "cause": e.to_string() }),
                );
                p.remaining = 0;
                Some((Err(e.to_string()), p))
            }
        }
    });
    let body = crate::http::Streamed(std::rc::Rc::new(std::cell::RefCell::new(Some(
        futures_util::StreamExt::boxed_local(rows),
    ))));
    let mut reply = Reply::streamed("text/csv; charset=utf-8", body, "no-store").header(
        "content-disposition",
        format!("attachment; filename=\"clicks-{}.csv\"", link.id),
    );
    let (more, after) = (next_after.is_some(), next_after);
    if let (true, Some((at, id))) = (more, after) {
        let mut next: Vec<(String, String)> = pairs
            .iter()
            .filter(|(k, _)| k != "after")
            .cloned()
            .collect();
        next.push(("after".into(), stats::encode_after(&at, &id)));
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(next)
            .finish();
        reply = reply.header(
            "link",
            format!(
                "</api/v1/links/{}/clicks.csv?{query}>; rel=\"next\"",
                link.id
            ),
        );
    }
    Ok(reply)
}
