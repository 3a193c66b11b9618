//! Public abuse reports: `GET /abuse/report` (the form), `POST /abuse/report` (a form or
//! JSON), rate-limited per client network; stored once per link and reporting network (a
//! keyed hash of the network, never an address); enough independent reports hold the link
//! for review at once. And `/.well-known/security.txt`, which says where reports go.

use serde_json::{json, Map, Value};
use worker::{Context, Env, Method, Request, Response};

use super::limits;
use crate::config::Config;
use crate::error::ApiError;
use crate::services::kv_sync::publish;
use crate::store::abuse_db::{AbuseDb, ReportEntry};
use crate::store::d1;
use crate::store::links_db::LinksDb;
use crate::{http, log, metrics, runtime};
use uload_core::pages::{self, Retry};
use uload_core::problem::{Code, Problem};
use uload_core::ratelimit::Scope;
use uload_core::report::ReportReceived;
use uload_core::{report, secret, unlock};

/// A report's body, at most (the form's fields are at most ~3.3 KB).
const MAX_BODY: usize = 8 * 1024;

fn page(status: u16, body: String) -> Response {
    http::html(
        status,
        body,
        &[("cache-control", "no-store"), (http::SERVED_FROM, "edge")],
    )
}

pub async fn serve(mut req: Request, env: &Env, ctx: &Context, cfg: &Config) -> Response {
    let chrome = crate::services::app_status::chrome(&req);
    if req.method() != Method::Post {
        let link = http_query(&req, "link").unwrap_or_default();
        return page(200, pages::report_form(chrome, &link, &[]));
    }
    let accept = req.headers().get("accept").ok().flatten();
    let wants_json = http::wants_json(accept.as_deref());
    let is_form = req
        .headers()
        .get("content-type")
        .ok()
        .flatten()
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    // Forms only from this site's own page (as the password form).
    let own_origin = req
        .url()
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let header = |name: &str| req.headers().get(name).ok().flatten();
    if is_form
        && unlock::is_cross_site(
            header("origin").as_deref(),
            header("sec-fetch-site").as_deref(),
            &own_origin,
        )
    {
        return http::problem(&ApiError::Forbidden(
            "report forms are sent from this site's own page".into(),
        ));
    }
    let client = limits::client_key(&req);
    let (admitted, headers) = limits::enforce(env, cfg, Scope::Report, &client, false).await;
    if let Err(e) = admitted {
        let mut res = if wants_json || !is_form {
            http::problem(&e)
        } else {
            let after_s = match &e {
                ApiError::RateLimited { retry_after, .. } => u64::from(*retry_after),
                _ => 60,
            };
            let retry = Retry {
                after_s,
                now_ms: crate::clock::now_ms(),
            };
            page(
                429,
                pages::VisitorError::TooManyRequests.html(chrome, Some(retry)),
            )
        };
        http::add_headers(&mut res, &headers);
        return res;
    }
    let body = match super::request::read_capped(&mut req, MAX_BODY).await {
        Ok(b) => b,
        Err(e) => return http::problem(&e),
    };
    let fields: Value = if is_form {
        let map: Map<String, Value> = url::form_urlencoded::parse(&body)
            .map(|(k, v)| (k.into_owned(), Value::from(v.into_owned())))
            .collect();
        Value::Object(map)
    } else {
        match serde_json::from_slice(&body) {
            Ok(v @ Value::Object(_)) => v,
            _ => return http::problem(&ApiError::InvalidJson("send a JSON object".into())),
        }
    };
    let parsed = report::parse(&fields, &cfg.target_policy.own_hosts);
    let r = match parsed {
        Ok(r) => r,
        Err(errors) if is_form && !wants_json => {
            let pairs: Vec<(String, String)> =
                errors.into_iter().map(|e| (e.field, e.message)).collect();
            let link = fields["link"].as_str().unwrap_or_default();
            return page(422, pages::report_form(chrome, link, &pairs));
        }
        Err(errors) => return http::problem(&ApiError::Validation(errors)),
    };
    match record(env, ctx, cfg, &r, &client).await {
        Ok(true) if is_form && !wants_json => page(200, pages::report_received(chrome)),
        Ok(true) => http::json(202, &ReportReceived { status: "received" }, &[]),
        Ok(false) => {
            let p = Problem::new(Code::LinkNotFound, "Link not found")
                .with_detail(format!("no link has the code '{}'", r.code));
            http::json_problem(&p, &[])
        }
        Err(e) => http::problem(&e),
    }
}

/// Stores the report and holds the link when enough networks reported it. `false`: no
/// such link. The same answer whether this reporter had reported it before or not.
async fn record(
    env: &Env,
    ctx: &Context,
    cfg: &Config,
    r: &report::Report,
    client: &str,
) -> Result<bool, ApiError> {
    let db = d1::database(env)?;
    let store = AbuseDb { db: &db };
    let Some((link_id, held, blocked)) = store.link_by_code(&r.code).await? else {
        return Ok(false);
    };
    // A keyed hash of the network: reports dedupe per reporter without an address stored.
    let key = runtime::secret(env, "ANALYTICS_SALT").unwrap_or_default();
    let reporter = secret::sha256_hex(format!("abuse-report\0{key}\0{client}").as_bytes());
    let now = crate::clock::now_utc();
    let entry = ReportEntry {
        id: runtime::random_id(),
        link_id: link_id.clone(),
        code: r.code.clone(),
        reason: r.reason.clone(),
        details: r.details.clone(),
        contact: r.contact.clone(),
        created_at: uload_core::time::format(now),
    };
    let since = uload_core::time::format(
        now - chrono::Duration::milliseconds(cfg.abuse_hold_window_ms as i64),
    );
    let (new, reporters) = store.add_report(&entry, &reporter, &since).await?;
    metrics::record(|m| {
        let outcome = if new { "new" } else { "duplicate" };
        m.inc(
            "abuse_reports_total",
            &[("reason", r.reason.as_str()), ("outcome", outcome)],
            1,
        )
    });
    log::info(
        "abuse_reported",
        json!({ "link_id": link_id, "reason": r.reason, "new": new, "reporters": reporters }),
    );
    let due = new && !held && !blocked && report::holds(reporters, cfg.abuse_hold_reports);
    if due && store.hold(&link_id, &entry.created_at).await? {
        let record = LinksDb::from_env(env)?.find_redirect(&r.code).await?;
        publish(env, ctx, cfg, vec![(r.code.clone(), record)]).await;
        metrics::record(|m| m.inc("links_held_total", &[], 1));
        log::warn(
            "link_held",
            json!({ "link_id": link_id, "reporters": reporters }),
        );
    }
    Ok(true)
}

fn http_query(req: &Request, name: &str) -> Option<String> {
    super::request::query_pairs(req)
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
        // Filled in only when it could be a link: the form never echoes a huge query back.
        .filter(|v| v.len() <= report::MAX_LINK_LEN)
}

/// RFC 9116: where abuse and security reports go.
pub fn security_txt(cfg: &Config) -> Response {
    let expires = uload_core::time::format(crate::clock::now_utc() + chrono::Duration::days(365));
    let base = &cfg.short_base_url;
    let body = format!(
        "Contact: {}\nContact: {base}/abuse/report\nExpires: {expires}\nPreferred-Languages: de, en\nCanonical: {base}/.well-known/security.txt\n",
        cfg.security_contact
    );
    http::respond(
        200,
        "text/plain; charset=utf-8",
        body.into_bytes(),
        &[("cache-control", "public, max-age=86400")],
    )
}
