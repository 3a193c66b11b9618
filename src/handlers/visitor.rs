//! What the worker answers visitors itself, shared by the redirect and the password form:
//! 429, the error pages (or problem documents for JSON clients), the password page, the
//! 303 back to a link, where a code that is no link goes, and the unlock cookie.

use serde_json::json;
use worker::{Env, Request, Response};

use crate::config::Config;
use crate::services::link_lookup::Layer;
use crate::{http, log, runtime};
use uload_core::code;
use uload_core::origin::{hand_off, Miss};
use uload_core::pages::{self, Retry, VisitorError};
use uload_core::redirect::CACHE_CONTROL;
use uload_core::unlock;

/// 429: a page for browsers, the problem document (with retryAfter, limit, window) for JSON.
pub(super) fn too_many(
    req: &Request,
    e: &crate::error::ApiError,
    headers: &[(&'static str, String)],
) -> Response {
    let accept = req.headers().get("accept").ok().flatten();
    let mut response = if http::wants_json(accept.as_deref()) {
        http::problem(e)
    } else {
        let after_s = match e {
            crate::error::ApiError::RateLimited { retry_after, .. } => u64::from(*retry_after),
            _ => 60,
        };
        let retry = Retry {
            after_s,
            now_ms: crate::clock::now_ms(),
        };
        http::html(
            429,
            VisitorError::TooManyRequests
                .html(crate::services::app_status::chrome(req), Some(retry)),
            &[("cache-control", "no-store")],
        )
    };
    http::add_headers(&mut response, headers);
    response
}

/// The link could not be read (D1 down after a KV miss, …): logged, and the visitor gets
/// the "back in a moment" page.
pub(super) fn lookup_failed(req: &Request, code: &str, e: &crate::store::StoreError) -> Response {
    log::error(
        "lookup_failed",
        json!({ "code": code, "cause": e.to_string() }),
    );
    visitor_error(req, VisitorError::Unavailable, code, "none")
}

/// Where a code that is no link goes (`uload_core::origin::hand_off`).
pub(super) fn no_link(cfg: &Config) -> Option<uload_core::origin::Fallback> {
    hand_off(Miss::NoLink, cfg.origin_url.is_some(), &cfg.origin_prefixes)
}

/// The key that signs unlock cookies (a wrangler secret). Without it no link can be
/// unlocked: protected links fail closed.
pub(super) fn cookie_secret(env: &Env) -> Option<Vec<u8>> {
    match runtime::secret(env, "COOKIE_SECRET") {
        Some(s) => Some(s.into_bytes()),
        None => {
            log::error(
                "cookie_secret_missing",
                json!({ "hint": "wrangler secret put COOKIE_SECRET (32+ bytes)" }),
            );
            None
        }
    }
}

pub(super) fn unlocked(req: &Request, env: &Env, link_id: &str, password_hash: &str) -> bool {
    let header = req.headers().get("cookie").ok().flatten();
    let Some(value) = unlock::cookie(header.as_deref(), unlock::COOKIE_NAME) else {
        return false;
    };
    cookie_secret(env).is_some_and(|secret| {
        unlock::verify(
            &secret,
            value,
            link_id,
            password_hash,
            crate::clock::now_ms(),
        )
    })
}

pub(super) fn see_other(code: &str, set_cookie: Option<String>) -> Response {
    let location = code::public_path(code);
    let mut headers = vec![
        ("location", location.as_str()),
        ("cache-control", "no-store"),
        ("x-robots-tag", "noindex"),
    ];
    if let Some(c) = set_cookie.as_deref() {
        headers.push(("set-cookie", c));
    }
    http::empty(303, &headers)
}

pub(super) fn password_page(req: &Request, code: &str, wrong: bool, layer: Layer) -> Response {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let headers = [
        ("cache-control", "no-store"),
        ("www-authenticate", "Form realm=\"protected link\""),
        (http::SERVED_FROM, layer.name()),
        ("vary", "Accept, Accept-Language"),
    ];
    if http::wants_json(header("accept").as_deref()) {
        let p = uload_core::problem::Problem::new(
            uload_core::problem::Code::PasswordRequired,
            "Password required",
        )
        .with_detail(format!(
            "POST the password as a form field 'password' to {}",
            code::public_path(code)
        ));
        return http::json_problem(&p, &headers);
    }
    let page = pages::password_form(
        crate::services::app_status::chrome(req),
        &code::public_path(code),
        wrong,
    );
    http::html(401, page, &headers)
}

/// A visitor-facing error: a localised page, or a problem document for JSON clients.
/// Errors are not cached for long: a missing link may be created a moment later.
pub(super) fn visitor_error(
    req: &Request,
    kind: VisitorError,
    code: &str,
    served_from: &str,
) -> Response {
    let retry = kind == VisitorError::Unavailable;
    // A disabled link is never cached: an undo must show at once.
    let cache = if retry || kind == VisitorError::Blocked {
        "no-store"
    } else {
        CACHE_CONTROL
    };
    let mut headers = vec![
        ("cache-control", cache),
        (http::SERVED_FROM, served_from),
        ("vary", "Accept, Accept-Language"),
    ];
    if retry {
        headers.push(("retry-after", "30"));
    }
    let header = |name: &str| req.headers().get(name).ok().flatten();
    if http::wants_json(header("accept").as_deref()) {
        return http::json_problem(&kind.problem(code), &headers);
    }
    let retry = retry.then(|| Retry {
        after_s: 30,
        now_ms: crate::clock::now_ms(),
    });
    let page = kind.html(crate::services::app_status::chrome(req), retry);
    http::html(kind.status(), page, &headers)
}
