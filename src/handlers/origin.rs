//! The origin as a fallback: pages that are not links are proxied to uLoad's SvelteKit app,
//! with a timeout, retries for idempotent requests, a circuit breaker, and, when it fails,
//! the last good copy of the page (stale-if-error, from the Cache API) or a maintenance page.
//! Redirects never come here.

use std::cell::RefCell;
use std::time::Duration;

use futures_util::future::{select, Either};
use serde_json::json;
use worker::{Cache, Context, Delay, Env, Fetch, Headers, Method, Request, RequestInit, Response};

use crate::config::Config;
use crate::domain::origin::{self, Breaker};
use crate::domain::pages::VisitorError;
use crate::handlers::bio;
use crate::{http, log, runtime};

thread_local! {
    static BREAKER: RefCell<Breaker> = RefCell::new(Breaker::default());
}

/// What a visitor gets when the origin cannot answer.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// A page of the app: its stale copy, or the maintenance page.
    Page,
    /// A code that is not a link: our own 404 (the app would not have had it either).
    NotFound,
}

/// Headers that describe the connection, not the message: never forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "transfer-encoding",
    "upgrade",
    "te",
    "trailer",
    "proxy-connection",
    "host",
];
const MAX_BODY: usize = 10 * 1024 * 1024;

/// `/p/{username}` (uLoad's bio pages).
fn bio_username(path: &str) -> Option<&str> {
    let name = path.strip_prefix("/p/")?.trim_end_matches('/');
    (!name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'))
    .then_some(name)
}

fn stale_key(url: &worker::Url) -> String {
    format!(
        "https://stale.uload-edge.internal{}{}",
        url.path(),
        url.query().map(|q| format!("?{q}")).unwrap_or_default()
    )
}

pub async fn proxy(
    mut req: Request,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
    fallback: Fallback,
) -> Response {
    let Some(base) = cfg.origin_url.as_deref() else {
        return http::problem(&crate::error::ApiError::NotFound);
    };
    let Ok(url) = req.url() else {
        return http::problem(&crate::error::ApiError::NotFound);
    };
    let target = format!(
        "{base}{}{}",
        url.path(),
        url.query().map(|q| format!("?{q}")).unwrap_or_default()
    );
    let method = req.method();
    let method_name = method.to_string();
    let now = runtime::now_ms();

    if !BREAKER.with(|b| b.borrow_mut().allow(now)) {
        return fail(&req, &url, env, cfg, fallback).await;
    }

    let headers = Headers::new();
    for (k, v) in req.headers().entries() {
        if !HOP_BY_HOP.contains(&k.as_str()) {
            let _ = headers.append(&k, &v);
        }
    }
    let body = if matches!(method, Method::Get | Method::Head) {
        None
    } else {
        match req.bytes().await {
            Ok(b) if b.len() <= MAX_BODY => Some(b),
            Ok(_) => {
                return http::problem(&crate::error::ApiError::PayloadTooLarge { max: MAX_BODY })
            }
            Err(e) => {
                return http::problem(&crate::error::ApiError::InvalidJson(format!(
                    "unreadable body: {e}"
                )))
            }
        }
    };
    let personal = req.headers().has("cookie").unwrap_or(false)
        || req.headers().has("authorization").unwrap_or(false);

    let attempts = if origin::is_idempotent(&method_name) {
        cfg.origin_retries + 1
    } else {
        1
    };
    let mut last_error = String::new();
    for attempt in 0..attempts {
        if attempt > 0 {
            // 100 ms, 200 ms, 400 ms …
            Delay::from(Duration::from_millis(100 << (attempt - 1).min(6))).await;
        }
        let mut init = RequestInit::new();
        init.with_method(method.clone())
            .with_headers(clone_headers(&headers));
        if let Some(b) = &body {
            init.with_body(Some(worker::js_sys::Uint8Array::from(b.as_slice()).into()));
        }
        let Ok(outbound) = Request::new_with_init(&target, &init) else {
            break;
        };
        let request = Fetch::Request(outbound);
        let sent = Box::pin(request.send());
        let timer = Box::pin(Delay::from(Duration::from_millis(cfg.origin_timeout_ms)));
        let outcome = match select(sent, timer).await {
            Either::Left((Ok(res), _)) => Ok(res),
            Either::Left((Err(e), _)) => Err((e.to_string(), true)),
            // A timeout already cost the visitor the whole budget: no retry after it.
            Either::Right(_) => Err((
                format!("no answer within {} ms", cfg.origin_timeout_ms),
                false,
            )),
        };
        match outcome {
            Ok(res)
                if !origin::is_retryable_status(res.status_code()) && res.status_code() < 500 =>
            {
                BREAKER.with(|b| b.borrow_mut().success());
                return deliver(res, &url, ctx, cfg, &method_name, personal).await;
            }
            Ok(res) => {
                last_error = format!("status {}", res.status_code());
                if !origin::is_retryable_status(res.status_code()) {
                    break;
                }
            }
            Err((e, retry)) => {
                last_error = e;
                if !retry {
                    break;
                }
            }
        }
    }
    BREAKER.with(|b| {
        b.borrow_mut().failure(
            runtime::now_ms(),
            cfg.breaker_failures,
            cfg.breaker_cooldown_ms,
        )
    });
    log::warn(
        "origin_failed",
        json!({ "method": method_name, "path": url.path(), "cause": last_error }),
    );
    fail(&req, &url, env, cfg, fallback).await
}

fn clone_headers(h: &Headers) -> Headers {
    let out = Headers::new();
    for (k, v) in h.entries() {
        let _ = out.append(&k, &v);
    }
    out
}

/// Passes the origin's answer on (headers copied: a fetched response's are immutable), and
/// keeps a copy of public GET pages for when the origin is down.
async fn deliver(
    res: Response,
    url: &worker::Url,
    ctx: &Context,
    cfg: &Config,
    method: &str,
    personal: bool,
) -> Response {
    let status = res.status_code();
    let headers = clone_headers(res.headers());
    let _ = headers.set(http::SERVED_FROM, "origin");
    let cache_control = headers
        .get("cache-control")
        .ok()
        .flatten()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let storable = method == "GET"
        && status == 200
        && !personal
        && !headers.has("set-cookie").unwrap_or(true)
        && !cache_control.contains("private")
        && !cache_control.contains("no-store");
    let (_, body) = res.into_parts();
    let mut response = Response::builder()
        .with_status(status)
        .with_headers(headers)
        .body(body);
    if storable {
        if let Ok(mut copy) = response.cloned() {
            let _ = copy.headers_mut().set(
                "cache-control",
                &format!("public, max-age={}", cfg.stale_ttl_s),
            );
            let key = stale_key(url);
            ctx.wait_until(async move {
                if let Err(e) = Cache::default().put(key.as_str(), copy).await {
                    log::warn("stale_copy_failed", json!({ "cause": e.to_string() }));
                }
            });
        }
    }
    response
}

async fn fail(
    req: &Request,
    url: &worker::Url,
    env: &Env,
    cfg: &Config,
    fallback: Fallback,
) -> Response {
    let retry_after = BREAKER
        .with(|b| b.borrow().retry_after_s(runtime::now_ms()))
        .max(5)
        .to_string();
    let lang = http::lang(req);
    if fallback == Fallback::NotFound {
        return http::respond(
            404,
            "text/html; charset=utf-8",
            VisitorError::NotFound.html(lang).into_bytes(),
            &[
                ("cache-control", "private, max-age=0"),
                (http::SERVED_FROM, "d1"),
            ],
        );
    }
    // Bio pages survive: rendered here from D1 (plainly) when the app cannot.
    if let Some(username) = bio_username(url.path()) {
        if matches!(req.method(), Method::Get | Method::Head) {
            match bio::render(env, username, &cfg.short_base_url, lang).await {
                Ok(Some(page)) => return page,
                Ok(None) => return bio::not_found(lang),
                Err(e) => log::warn("bio_fallback_failed", json!({ "cause": e.to_string() })),
            }
        }
    }
    if req.method() == Method::Get {
        if let Ok(Some(stale)) = Cache::default().get(stale_key(url).as_str(), false).await {
            let headers = clone_headers(stale.headers());
            let _ = headers.set(http::SERVED_FROM, "stale");
            let _ = headers.set("cache-control", "no-store");
            let status = stale.status_code();
            let (_, body) = stale.into_parts();
            return Response::builder()
                .with_status(status)
                .with_headers(headers)
                .body(body);
        }
    }
    http::respond(
        503,
        "text/html; charset=utf-8",
        VisitorError::Unavailable.html(lang).into_bytes(),
        &[
            ("cache-control", "no-store"),
            ("retry-after", &retry_after),
            (http::SERVED_FROM, "maintenance"),
        ],
    )
}
