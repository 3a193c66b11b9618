//! What a visitor gets when uLoad's app cannot answer: a bio page rendered from D1, the
//! last public copy of the page (Cache API), our own 404 for a code that is no link, or the
//! maintenance page with Retry-After.

use serde_json::json;
use worker::{Cache, Env, Method, Request, Response};

use crate::config::Config;
use crate::handlers::bio;
use crate::services::app_status;
use crate::{http, log};
use uload_core::origin::Fallback;
use uload_core::pages::{Chrome, Retry, VisitorError};

/// `/p/{username}` (uLoad's bio pages).
fn bio_username(path: &str) -> Option<&str> {
    let name = path.strip_prefix("/p/")?.trim_end_matches('/');
    (!name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
    .then_some(name)
}

pub(super) fn stale_key(url: &worker::Url) -> String {
    format!(
        "https://stale.uload-edge.internal{}{}",
        url.path(),
        url.query().map(|q| format!("?{q}")).unwrap_or_default()
    )
}

/// The last public copy of this page, when one was kept.
pub(super) async fn stale_copy(url: &worker::Url) -> Option<Response> {
    let stale = Cache::default()
        .get(stale_key(url).as_str(), false)
        .await
        .ok()
        .flatten()?;
    let headers = http::clone_headers(stale.headers());
    let _ = headers.set(http::SERVED_FROM, "stale");
    let _ = headers.set("cache-control", "no-store");
    let status = stale.status_code();
    let (_, body) = stale.into_parts();
    Some(
        Response::builder()
            .with_status(status)
            .with_headers(headers)
            .body(body),
    )
}

pub(super) async fn fail(
    req: &Request,
    url: &worker::Url,
    env: &Env,
    cfg: &Config,
    fallback: Fallback,
) -> Response {
    let retry_s = app_status::with_breaker(|b| b.retry_after_s(crate::clock::now_ms())).max(5);
    let retry_after = retry_s.to_string();
    // The app is failing: no link to it.
    let chrome = Chrome {
        lang: http::lang(req),
        home: false,
    };
    // Bio pages survive: rendered here from D1 (current, unlike a copy) when the app cannot.
    if let Some(username) = bio_username(url.path()) {
        if matches!(req.method(), Method::Get | Method::Head) {
            match bio::render(env, username, &cfg.short_base_url, chrome).await {
                Ok(Some(page)) => return page,
                Ok(None) => return bio::not_found(chrome),
                Err(e) => log::warn("bio_fallback_failed", json!({ "cause": e.to_string() })),
            }
        }
    }
    // A public copy of the page, when the app served one before (any path: a copy exists
    // only of a page the app answered 200).
    if req.method() == Method::Get {
        if let Some(stale) = stale_copy(url).await {
            return stale;
        }
    }
    if fallback == Fallback::NotFound {
        return http::html(
            404,
            VisitorError::NotFound.html(chrome, None),
            &[
                ("cache-control", "private, max-age=0"),
                (http::SERVED_FROM, "d1"),
            ],
        );
    }
    http::html(
        503,
        VisitorError::Unavailable.html(
            chrome,
            Some(Retry {
                after_s: retry_s,
                now_ms: crate::clock::now_ms(),
            }),
        ),
        &[
            ("cache-control", "no-store"),
            ("retry-after", &retry_after),
            (http::SERVED_FROM, "maintenance"),
        ],
    )
}
