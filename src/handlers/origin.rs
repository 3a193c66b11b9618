//! The origin as a fallback: pages that are not links are proxied to uLoad's SvelteKit app,
//! with a timeout, retries for idempotent requests, a circuit breaker, and, when it fails,
//! the last good copy of the page (stale-if-error, from the Cache API) or a maintenance page.
//! Redirects never come here.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use futures_util::future::{select, Either};
use futures_util::StreamExt;
use serde_json::json;
use wasm_bindgen::{JsCast, JsValue};
use worker::js_sys::Uint8Array;
use worker::{
    Cache, Context, Delay, Env, Fetch, Headers, Method, Request, RequestInit, RequestRedirect,
    Response,
};

use super::origin_fallback::{fail, stale_copy, stale_key};
use crate::config::Config;
use crate::error::ApiError;
use crate::services::app_status;
use crate::{http, log};
use uload_core::origin::Fallback;
use uload_core::origin::{self};

thread_local! {
    static STALE_WRITES: RefCell<origin::StaleWrites> = RefCell::new(origin::StaleWrites::default());
}

/// A page's stale copy is refreshed at most this often per isolate.
const STALE_REFRESH_MS: u64 = 60_000;
/// Pages an isolate remembers copying.
const STALE_REMEMBERED: usize = 1_000;

/// Passes a request to the app as an HTTP intermediary (RFC 9110 §3.7): redirects are not
/// followed, bodies stream both ways, hop-by-hop headers stay on their hop, and the
/// visitor's address, host and scheme reach the app only as the worker states them.
pub async fn proxy(
    req: Request,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
    fallback: Fallback,
) -> Response {
    let Some(base) = cfg.origin_url.as_deref() else {
        return http::problem(&ApiError::NotFound);
    };
    let Ok(url) = req.url() else {
        return http::problem(&ApiError::NotFound);
    };
    let header = |name: &str| req.headers().get(name).ok().flatten();
    if origin::is_websocket_upgrade(header("upgrade").as_deref()) {
        return http::problem(&ApiError::NotImplemented(
            "WebSocket connections are not proxied to the app",
        ));
    }
    let method_name = req.inner().method();
    let method = Method::from(method_name.clone());
    if method.as_ref() != method_name {
        // A method workers-rs cannot send (it would become a GET): not passed on.
        return http::problem(&ApiError::NotImplemented(
            "this request method is not passed to the app",
        ));
    }
    let plan = origin::body_plan(
        &method_name,
        header("content-length").as_deref(),
        cfg.origin_max_body_bytes,
    );
    if plan == origin::BodyPlan::TooLarge {
        // Tell the runtime the body will not be read (nothing of it is held).
        if let Some(body) = req.inner().body() {
            let _ = body.cancel();
        }
        return too_large(cfg);
    }
    if !app_status::with_breaker(|b| b.allow(crate::clock::now_ms())) {
        return fail(&req, &url, env, cfg, fallback).await;
    }

    let headers = outbound_headers(&req, &url);
    let personal = header("cookie").is_some() || header("authorization").is_some();
    let partial_or_conditional = ["range", "if-none-match", "if-modified-since", "if-match"]
        .iter()
        .any(|h| header(h).is_some());
    let target = format!(
        "{base}{}{}",
        url.path(),
        url.query().map(|q| format!("?{q}")).unwrap_or_default()
    );
    // A body is a stream read once: requests with one are never retried.
    let (body, overflow) = match outbound_body(&req, plan, cfg.origin_max_body_bytes) {
        Ok(b) => b,
        Err(e) => return http::problem(&ApiError::InvalidJson(format!("unreadable body: {e}"))),
    };
    let attempts = if body.is_none() && origin::is_idempotent(&method_name) {
        cfg.origin_retries + 1
    } else {
        1
    };
    let mut body = body;
    let mut last_error = String::new();
    for attempt in 0..attempts {
        if attempt > 0 {
            // 100 ms, 200 ms, 400 ms …
            Delay::from(Duration::from_millis(100 << (attempt - 1).min(6))).await;
        }
        let mut init = RequestInit::new();
        init.with_method(method.clone())
            .with_headers(http::clone_headers(&headers))
            .with_redirect(RequestRedirect::Manual)
            .with_body(body.take());
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
        // The counted body passed the cap: the app got a cut-off upload; the visitor a 413.
        // An app that fails on the cut-off upload can answer before the count that passed
        // the cap is seen here (workerd pumps the body apart from this task): a 5xx to a
        // counted upload waits briefly for the pump to say.
        let app_failed = matches!(&outcome, Ok(res) if res.status_code() >= 500);
        if plan == origin::BodyPlan::Counted && app_failed {
            for _ in 0..10 {
                if overflow.get() {
                    break;
                }
                Delay::from(Duration::from_millis(10)).await;
            }
        }
        if overflow.get() {
            return too_large(cfg);
        }
        match outcome {
            Ok(res) if !origin::is_retryable_status(res.status_code()) => {
                app_status::with_breaker(|b| b.success());
                let facts = RequestFacts {
                    method: &method_name,
                    personal,
                    partial_or_conditional,
                };
                if res.status_code() >= 500 && method == Method::Get {
                    // The app answered, but failed: a public copy of the page is better.
                    if let Some(stale) = stale_copy(&url).await {
                        return stale;
                    }
                }
                return deliver(res, &url, ctx, cfg, &facts);
            }
            Ok(res) => last_error = format!("status {}", res.status_code()),
            Err((e, retry)) => {
                last_error = e;
                if !retry {
                    break;
                }
            }
        }
    }
    app_status::with_breaker(|b| {
        b.failure(
            crate::clock::now_ms(),
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

fn too_large(cfg: &Config) -> Response {
    http::problem(&ApiError::PayloadTooLarge {
        max: usize::try_from(cfg.origin_max_body_bytes).unwrap_or(usize::MAX),
    })
}

/// The request's headers minus the hop's and the client's claims about itself, plus the
/// forwarding headers the worker vouches for.
fn outbound_headers(req: &Request, url: &worker::Url) -> Headers {
    let incoming = req.headers();
    let named = origin::connection_tokens(incoming.get("connection").ok().flatten().as_deref());
    let out = Headers::new();
    for (name, value) in incoming.entries() {
        if origin::forward_request_header(&name, &named) {
            let _ = out.append(&name, &value);
        }
    }
    let ip = incoming.get("cf-connecting-ip").ok().flatten();
    let host = match (url.host_str(), url.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => String::new(),
    };
    for (name, value) in origin::forwarding_headers(ip.as_deref(), &host, url.scheme()) {
        let _ = out.set(name, value);
    }
    // The runtime shows the worker its own Accept-Encoding, not the visitor's, and a range
    // of a compressed file is not a range of the file: ranges are asked for uncompressed,
    // as the Fetch standard does.
    if incoming.has("range").unwrap_or(false) {
        let _ = out.set("accept-encoding", "identity");
    }
    out
}

/// The body to send: the visitor's own stream when its length is declared (within the cap),
/// or that stream behind a counter that errors it once it passes the cap. Nothing is held.
fn outbound_body(
    req: &Request,
    plan: origin::BodyPlan,
    cap: u64,
) -> worker::Result<(Option<JsValue>, Rc<Cell<bool>>)> {
    let overflow = Rc::new(Cell::new(false));
    let stream = match plan {
        origin::BodyPlan::None | origin::BodyPlan::TooLarge => None,
        origin::BodyPlan::Declared(_) => req.inner().body().map(JsValue::from),
        origin::BodyPlan::Counted => match req.inner().body() {
            None => None,
            Some(raw) => {
                let flag = overflow.clone();
                let mut seen: u64 = 0;
                let counted = wasm_streams::ReadableStream::from_raw(raw)
                    .into_stream()
                    .map(move |chunk| {
                        let chunk = chunk?;
                        seen += chunk
                            .dyn_ref::<Uint8Array>()
                            .map_or(0, |c| u64::from(c.length()));
                        if seen > cap {
                            flag.set(true);
                            return Err(JsValue::from_str("request body over the cap"));
                        }
                        Ok(chunk)
                    });
                Some(JsValue::from(
                    wasm_streams::ReadableStream::from_stream(counted).into_raw(),
                ))
            }
        },
    };
    Ok((stream, overflow))
}

struct RequestFacts<'a> {
    method: &'a str,
    personal: bool,
    partial_or_conditional: bool,
}

/// Passes the app's answer on as it was sent: status, every header but the hop's (each
/// `Set-Cookie` its own header), the body as a stream; keeps a copy of public pages for
/// when the app is down.
fn deliver(
    res: Response,
    url: &worker::Url,
    ctx: &Context,
    cfg: &Config,
    req: &RequestFacts,
) -> Response {
    let source: web_sys::Response = res.into();
    let Ok(response) = pass_through(&source) else {
        return http::problem(&ApiError::Internal(
            "could not copy the app's answer".into(),
        ));
    };
    let mut response = Response::from(response);
    let headers = response.headers();
    let get = |name: &str| headers.get(name).ok().flatten();
    let cache_control = get("cache-control");
    let vary = get("vary");
    let content_type = get("content-type");
    let facts = origin::StaleFacts {
        method: req.method,
        status: response.status_code(),
        personal: req.personal,
        partial_or_conditional: req.partial_or_conditional,
        set_cookie: headers.has("set-cookie").unwrap_or(true),
        cache_control: cache_control.as_deref(),
        vary: vary.as_deref(),
        content_type: content_type.as_deref(),
        content_length: get("content-length").and_then(|v| v.trim().parse().ok()),
    };
    let key = stale_key(url);
    let due = || {
        STALE_WRITES.with(|w| {
            w.borrow_mut().due(
                &key,
                crate::clock::now_ms(),
                STALE_REFRESH_MS,
                STALE_REMEMBERED,
            )
        })
    };
    if origin::stale_storable(&facts) && due() {
        if let Ok(mut copy) = response.cloned() {
            let _ = copy.headers_mut().set(
                "cache-control",
                &format!("public, max-age={}", cfg.stale_ttl_s),
            );
            ctx.wait_until(async move {
                if let Err(e) = Cache::default().put(key.as_str(), copy).await {
                    log::warn("stale_copy_failed", json!({ "cause": e.to_string() }));
                }
            });
        }
    }
    response
}

/// A new response around the app's: its status and status text, a copy of its headers
/// (the Headers constructor keeps every `Set-Cookie` apart), minus hop-by-hop ones, and its
/// body stream untouched (a compressed body stays compressed once).
fn pass_through(source: &web_sys::Response) -> Result<web_sys::Response, JsValue> {
    let headers = web_sys::Headers::new_with_headers(&source.headers())?;
    let named = origin::connection_tokens(headers.get("connection")?.as_deref());
    let mut drop = Vec::new();
    for name in worker::js_sys::try_iter(&headers.keys())?
        .into_iter()
        .flatten()
    {
        let name = name?.as_string().unwrap_or_default();
        if !origin::forward_response_header(&name, &named) {
            drop.push(name);
        }
    }
    for name in drop {
        headers.delete(&name)?;
    }
    headers.set(http::SERVED_FROM, "origin")?;
    let init = web_sys::ResponseInit::new();
    init.set_status(source.status());
    init.set_status_text(&source.status_text());
    init.set_headers(&headers);
    web_sys::Response::new_with_opt_readable_stream_and_init(source.body().as_ref(), &init)
}
