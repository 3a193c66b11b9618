//! The stats API of one link (owner only): `GET /api/v1/links/{id}/stats` reads the hourly
//! rollups (never the raw clicks, so a year costs what a day costs), and
//! `GET /api/v1/links/{id}/clicks.csv` exports raw clicks.

use serde_json::{json, Map, Value};

use super::Ctx;
use crate::domain::stats::{self, Counts};
use crate::error::ApiError;
use crate::http::Reply;
use crate::runtime;
use crate::store::clicks_db::ClicksDb;
use crate::store::links_db::LinksDb;

/// The breakdowns: rollup dimension → the name in the API.
const BREAKDOWNS: [(&str, &str); 6] = [
    ("country", "countries"),
    ("city", "cities"),
    ("referrer", "referrers"),
    ("browser", "browsers"),
    ("os", "os"),
    ("device", "devices"),
];

fn counts_json(c: Counts, include_bots: bool) -> Value {
    json!({
        "clicks": c.clicks + if include_bots { c.bots } else { 0 },
        "bots": c.bots,
        "unique_visitors": c.visitors,
    })
}

/// The link, if the caller owns it (404 otherwise: no hint that someone else's exists).
async fn owned_link(c: &Ctx<'_>, id: &str) -> Result<crate::domain::link::Link, ApiError> {
    LinksDb::from_env(c.env)?
        .get(id, c.who.owner())
        .await?
        .ok_or(ApiError::NotFound)
}

pub async fn stats(c: &Ctx<'_>, id: &str, pairs: &[(String, String)]) -> Result<Reply, ApiError> {
    let q = stats::parse_stats(pairs, runtime::now_utc(), &runtime::time_zone)
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
    let series: Vec<Value> = stats::series(&q, &hours)
        .into_iter()
        .map(|p| {
            let mut v = counts_json(p.counts, q.include_bots);
            v["start"] = json!(p.start);
            v
        })
        .collect();
    let mut breakdowns = Map::new();
    for (dim, name) in BREAKDOWNS {
        let entries: Vec<Value> = top
            .iter()
            .filter(|r| r.dim == dim)
            .map(|r| {
                let mut v = counts_json(r.counts, q.include_bots);
                if dim == "city" {
                    let (country, city) = stats::split_city(&r.value);
                    v["value"] = json!(city);
                    v["country"] = json!(country);
                } else {
                    // '' is "unknown": no Referer (direct traffic), no country.
                    v["value"] = if r.value.is_empty() {
                        Value::Null
                    } else {
                        json!(r.value)
                    };
                }
                v
            })
            .collect();
        breakdowns.insert(name.to_string(), Value::Array(entries));
    }
    let body = json!({
        "link_id": link.id,
        "from": q.zone.format(q.from),
        "to": q.zone.format(q.to),
        "tz": q.zone.name(),
        "interval": q.interval.name(),
        "include_bots": q.include_bots,
        "totals": counts_json(totals, q.include_bots),
        "all_time": {
            "clicks": link.click_count,
            "bots": link.bot_click_count,
            "last_clicked_at": link.last_clicked_at,
        },
        "series": series,
        "top": breakdowns,
    });
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
pub async fn export(c: &Ctx<'_>, id: &str, pairs: &[(String, String)]) -> Result<Reply, ApiError> {
    /// Rows read from D1 per query (D1 answers are kept well under its size limits).
    const PAGE: u32 = 2_000;
    let q = stats::parse_export(pairs, runtime::now_utc(), &runtime::time_zone)
        .map_err(ApiError::Validation)?;
    let link = owned_link(c, id).await?;
    let db = ClicksDb::from_env(c.env)?;
    let (from, to) = (stats::iso(q.from), stats::iso(q.to));
    let mut out = stats::csv_line(&CSV_HEADER);
    let mut after = q.after.clone();
    let mut written = 0u32;
    let mut more = false;
    while written < q.limit {
        let want = PAGE.min(q.limit - written);
        // One row more than wanted tells whether another page follows.
        let rows = db
            .export(
                &link.id,
                &from,
                &to,
                q.include_bots,
                after.as_ref(),
                want + 1,
            )
            .await?;
        let full = rows.len() > want as usize;
        for r in rows.iter().take(want as usize) {
            let o = |v: &Option<String>| v.clone().unwrap_or_default();
            out.push_str(&stats::csv_line(&[
                &r.clicked_at,
                &r.id,
                &o(&r.visitor_hash),
                if r.is_bot != 0.0 { "true" } else { "false" },
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
            ]));
            written += 1;
            after = Some((r.clicked_at.clone(), r.id.clone()));
        }
        more = full;
        if !full {
            break;
        }
    }
    let mut reply = Reply::raw("text/csv; charset=utf-8", out.into_bytes(), "no-store").header(
        "content-disposition",
        format!("attachment; filename=\"clicks-{}.csv\"", link.id),
    );
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
