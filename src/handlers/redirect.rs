//! The redirect path, top to bottom: memory → KV → D1 → decision → response.
//! A hot redirect touches only the isolate's memory; nothing on this path waits for a
//! write (write-backs run after the response, in `wait_until`).

use serde_json::json;
use worker::{Context, Env, Request, Response};

use crate::config::Config;
use crate::handlers::limits;
use crate::handlers::origin;
use crate::services::link_lookup::{lookup, Layer};
use crate::{analytics, clicks, crypto, runtime};
use crate::{http, log};
use uload_core::code;
use uload_core::link::RedirectRecord;
use uload_core::origin::{hand_off, Miss};
use uload_core::pages::{self, Retry, VisitorError};
use uload_core::ratelimit::Scope;
use uload_core::redirect::{self, Decision, Visit, CACHE_CONTROL};
use uload_core::unlock;

/// `workspace`: the link must belong to it (`/w/{workspace}/{code}`).
pub async fn serve(
    req: Request,
    code: &str,
    workspace: Option<&str>,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
) -> Response {
    let limit_headers = match limits::admit_redirect(&req, env, ctx, cfg) {
        Ok(h) => h,
        Err((e, h)) => return too_many(&req, &e, &h),
    };
    let mut response = decide_and_respond(req, code, workspace, env, ctx, cfg).await;
    http::add_headers(&mut response, &limit_headers);
    response
}

/// 429: a page for browsers, the problem document (with retryAfter, limit, window) for JSON.
fn too_many(
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
            VisitorError::TooManyRequests.html(origin::chrome(req), Some(retry)),
            &[("cache-control", "no-store")],
        )
    };
    http::add_headers(&mut response, headers);
    response
}

async fn decide_and_respond(
    req: Request,
    code: &str,
    workspace: Option<&str>,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
) -> Response {
    let found = lookup(code, env, ctx, cfg).await;
    // Under /w/{workspace}/ only that workspace's links exist.
    let found = match (found, workspace) {
        (Ok((Some(r), layer)), Some(ws)) if r.workspace.as_deref() != Some(ws) => Ok((None, layer)),
        (other, _) => other,
    };
    match found {
        Ok((Some(record), layer)) => {
            // The raw URL's query, read once: the decision and the click both need it.
            let query = raw_query(&req);
            let here = Here {
                env,
                ctx,
                cfg,
                query: query.as_deref(),
            };
            match decide_for(&req, &record, here.query) {
                Decision::Redirect { status, location } => {
                    counted(&req, &record, code, &here, status, &location, layer).await
                }
                Decision::Gone => visitor_error(&req, VisitorError::Gone, code, layer.name()),
                Decision::Blocked => visitor_error(&req, VisitorError::Blocked, code, layer.name()),
                Decision::Held => held_page(&req, code, here.query),
                Decision::Protected {
                    status,
                    location,
                    password_hash,
                } => {
                    if unlocked(&req, env, &record.link_id, &password_hash) {
                        counted(&req, &record, code, &here, status, &location, layer).await
                    } else {
                        password_page(&req, code, false, layer)
                    }
                }
            }
        }
        // Not a link: perhaps a page of the app (uLoad's routes are code-shaped too).
        Ok((None, layer)) => match no_link(cfg) {
            Some(fallback) => origin::proxy(req, env, ctx, cfg, fallback).await,
            None => visitor_error(&req, VisitorError::NotFound, code, layer.name()),
        },
        Err(e) => {
            log::error(
                "lookup_failed",
                json!({ "code": code, "cause": e.to_string() }),
            );
            visitor_error(&req, VisitorError::Unavailable, code, "none")
        }
    }
}

/// Redirects, after taking a click from the link's counter when it has `max_clicks`. Only a
/// GET is a click; HEAD (link previewers) only asks whether one is left, and gets 204
/// without `Location` (or 410 when none is). No limit: no call.
/// Every redirect hands its click to analytics, which sends it after the response.
async fn counted(
    req: &Request,
    record: &RedirectRecord,
    code: &str,
    here: &Here<'_>,
    status: u16,
    location: &str,
    layer: Layer,
) -> Response {
    let click = || {
        analytics::record(
            req,
            &record.link_id,
            here.query,
            here.env,
            here.ctx,
            here.cfg,
        )
    };
    let Some(max) = record.max_clicks else {
        click();
        return redirect_response(status, location, layer);
    };
    let cost = u64::from(req.method() == worker::Method::Get);
    match clicks::consume(here.env, &record.link_id, max, cost).await {
        // HEAD only asks whether a click is left: the answer says so without the target
        // (a one-time link must not be read by previewers any number of times).
        Ok(v) if v.allowed && cost == 0 => http::empty(
            204,
            &[
                ("cache-control", "no-store"),
                ("x-robots-tag", "noindex"),
                (http::SERVED_FROM, layer.name()),
            ],
        ),
        Ok(v) if v.allowed => {
            click();
            redirect_response(status, location, layer)
        }
        Ok(_) => visitor_error(req, VisitorError::Gone, code, layer.name()),
        Err(e) => {
            // The limit is a promise: without the counter, no redirect (fail closed).
            log::error(
                "click_counter_unreachable",
                json!({ "link_id": record.link_id, "cause": e.to_string() }),
            );
            visitor_error(req, VisitorError::Unavailable, code, layer.name())
        }
    }
}

/// Where a code that is no link goes (`uload_core::origin::hand_off`).
fn no_link(cfg: &Config) -> Option<uload_core::origin::Fallback> {
    hand_off(Miss::NoLink, cfg.origin_url.is_some(), &cfg.origin_prefixes)
}

/// The largest password form body read; a password is at most 200 characters.
const MAX_FORM_BYTES: usize = 4096;

/// POST /{code}: the password form. Success sets a signed cookie for this link and sends the
/// browser back to GET /{code} (303), which then redirects.
pub async fn unlock(
    mut req: Request,
    code: &str,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
) -> Response {
    // A client whose POSTs kept hitting codes that are no links is refused before a lookup.
    let failing = limits::failure_key(&req);
    if let Err(e) = limits::check_shut_out(&failing) {
        return too_many(&req, &e, &[]);
    }
    // The lookup comes first: if this is not a link the body belongs to the app, unread.
    let (record, layer) = match lookup(code, env, ctx, cfg).await {
        Ok((Some(record), layer)) => (record, layer),
        // Not a link: perhaps a form of one of the app's pages (SvelteKit form actions).
        Ok((None, layer)) => {
            if let Some(fallback) = no_link(cfg) {
                return origin::proxy(req, env, ctx, cfg, fallback).await;
            }
            // A POST to a code that is no link: counted, so scans cost D1 only so often.
            if let Some(e) = limits::count_failure(env, cfg, &failing).await {
                return too_many(&req, &e, &[]);
            }
            return visitor_error(&req, VisitorError::NotFound, code, layer.name());
        }
        Err(e) => {
            log::error(
                "lookup_failed",
                json!({ "code": code, "cause": e.to_string() }),
            );
            return visitor_error(&req, VisitorError::Unavailable, code, "none");
        }
    };
    // Another site's form: refused before anything is counted or hashed.
    let own_origin = req
        .url()
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let header = |name: &str| req.headers().get(name).ok().flatten();
    if unlock::is_cross_site(
        header("origin").as_deref(),
        header("sec-fetch-site").as_deref(),
        &own_origin,
    ) {
        return http::problem(&crate::error::ApiError::Forbidden(
            "password forms are accepted from this site only".into(),
        ));
    }
    // Read with a cap (a password is at most 200 characters): a larger or endless body is
    // refused without being held.
    let body = match crate::handlers::request::read_capped(&mut req, MAX_FORM_BYTES).await {
        Ok(b) => b,
        Err(e) => return http::problem(&e),
    };
    let password = unlock::form_password(&body);
    // Whoever posts the form came past a held link's warning already.
    let past_warning = Visit {
        confirmed: true,
        ..Visit::default()
    };
    let password_hash = match redirect::decide(&record, crate::clock::now_ms(), &past_warning) {
        Decision::Protected { password_hash, .. } => password_hash,
        Decision::Gone => return visitor_error(&req, VisitorError::Gone, code, layer.name()),
        Decision::Blocked => return visitor_error(&req, VisitorError::Blocked, code, layer.name()),
        Decision::Held => {
            return visitor_error(&req, VisitorError::Unavailable, code, layer.name())
        }
        Decision::Redirect { .. } => return see_other(code, None),
    };
    let Some(secret) = cookie_secret(env) else {
        return visitor_error(&req, VisitorError::Unavailable, code, layer.name());
    };
    // Attempts per link and client, exact, checked before the (slow) hash: a guesser pays
    // the limit, not our CPU. An unreachable limiter fails closed.
    let client = format!("{}|{}", record.link_id, limits::client_key(&req));
    // Three tiers, each counted only for attempts the one before let by: this client in the
    // window; this client over the day (a guesser who keeps coming back waits for the rest of
    // the day); and the link across every client (many addresses cannot share out the
    // guessing of one password).
    let tiers = [
        (client.clone(), cfg.rate_password),
        (format!("{client}|day"), cfg.rate_password_daily),
        (format!("{}|all", record.link_id), cfg.rate_password_link),
    ];
    let mut admitted = Ok(());
    let mut limit_headers = Vec::new();
    for (key, policy) in tiers {
        let (tier, headers) =
            limits::enforce_policy(env, Scope::Password, &key, policy, true).await;
        if limit_headers.is_empty() || tier.is_err() {
            limit_headers = headers;
        }
        if tier.is_err() {
            admitted = tier;
            break;
        }
    }
    if let Err(e) = admitted {
        return match e {
            crate::error::ApiError::RateLimited { .. } => too_many(&req, &e, &limit_headers),
            _ => visitor_error(&req, VisitorError::Unavailable, code, layer.name()),
        };
    }
    let verified = match password {
        Some(p) => crypto::verify_password(&p, &password_hash).await,
        None => Ok(false),
    };
    let mut response = match verified {
        Ok(true) => {
            let value = unlock::sign(
                &secret,
                &record.link_id,
                &password_hash,
                crate::clock::now_ms(),
            );
            see_other(
                code,
                Some(unlock::set_cookie(&value, &code::public_path(code))),
            )
        }
        Ok(false) => {
            log::info("password_rejected", json!({ "link_id": record.link_id }));
            password_page(&req, code, true, layer)
        }
        Err(e) => {
            log::error(
                "password_check_failed",
                json!({ "link_id": record.link_id, "cause": e }),
            );
            visitor_error(&req, VisitorError::Unavailable, code, layer.name())
        }
    };
    http::add_headers(&mut response, &limit_headers);
    response
}

/// The key that signs unlock cookies (a wrangler secret). Without it no link can be
/// unlocked: protected links fail closed.
fn cookie_secret(env: &Env) -> Option<Vec<u8>> {
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

fn unlocked(req: &Request, env: &Env, link_id: &str, password_hash: &str) -> bool {
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

/// The raw URL's query, without parsing the whole URL a second time (routing did once).
fn raw_query(req: &Request) -> Option<String> {
    let raw = req.inner().url();
    raw.split_once('?')
        .map(|(_, q)| q.split('#').next().unwrap_or(q).to_string())
}

/// What the redirect path has at hand for this request, besides the request itself.
struct Here<'a> {
    env: &'a Env,
    ctx: &'a Context,
    cfg: &'a Config,
    query: Option<&'a str>,
}

/// The decision for this visitor. Only links with targets read the User-Agent and country.
fn decide_for(req: &Request, record: &RedirectRecord, query: Option<&str>) -> Decision {
    let (user_agent, country) = if record.targets.is_empty() {
        (None, None)
    } else {
        (
            req.headers().get("user-agent").ok().flatten(),
            req.cf().and_then(|cf| cf.country()),
        )
    };
    let (confirmed, query) = redirect::split_continue(query);
    let visit = Visit {
        query: query.as_deref(),
        user_agent: user_agent.as_deref(),
        country: country.as_deref(),
        confirmed,
    };
    redirect::decide(record, crate::clock::now_ms(), &visit)
}

/// The warning of a link held for review: what was reported, and a link to continue (the
/// same URL with the continue marker). Never cached, never indexed.
fn held_page(req: &Request, code: &str, query: Option<&str>) -> Response {
    let path = code::public_path(code);
    let continue_to = match query.filter(|q| !q.is_empty()) {
        Some(q) => format!("{path}?{q}&{}=1", redirect::CONTINUE_PARAM),
        None => format!("{path}?{}=1", redirect::CONTINUE_PARAM),
    };
    let headers = [
        ("cache-control", "no-store"),
        ("x-robots-tag", "noindex"),
        (http::SERVED_FROM, "edge"),
    ];
    let accept = req.headers().get("accept").ok().flatten();
    if http::wants_json(accept.as_deref()) {
        let p = uload_core::problem::Problem::new(409, "link_held", "Link held for review")
            .with_detail(format!(
            "this link was reported and is held for review; GET {continue_to} to continue anyway"
        ));
        return http::json_problem(&p, &headers);
    }
    http::html(
        200,
        pages::held_page(origin::chrome(req), &continue_to),
        &headers,
    )
}

fn see_other(code: &str, set_cookie: Option<String>) -> Response {
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

fn password_page(req: &Request, code: &str, wrong: bool, layer: Layer) -> Response {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    let headers = [
        ("cache-control", "no-store"),
        ("www-authenticate", "Form realm=\"protected link\""),
        (http::SERVED_FROM, layer.name()),
        ("vary", "Accept, Accept-Language"),
    ];
    if http::wants_json(header("accept").as_deref()) {
        let p = uload_core::problem::Problem::new(401, "password_required", "Password required")
            .with_detail(format!(
                "POST the password as a form field 'password' to {}",
                code::public_path(code)
            ));
        return http::json_problem(&p, &headers);
    }
    let page = pages::password_form(origin::chrome(req), &code::public_path(code), wrong);
    http::html(401, page, &headers)
}

/// The hot path's response: three headers, no body.
fn redirect_response(status: u16, location: &str, layer: Layer) -> Response {
    http::empty(
        status,
        &[
            ("location", location),
            ("cache-control", CACHE_CONTROL),
            (http::SERVED_FROM, layer.name()),
            // A short link is not a page of its own: search engines index the target.
            ("x-robots-tag", "noindex"),
        ],
    )
}

/// A visitor-facing error: a localised page, or a problem document for JSON clients.
/// Errors are not cached for long: a missing link may be created a moment later.
fn visitor_error(req: &Request, kind: VisitorError, code: &str, served_from: &str) -> Response {
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
    let page = kind.html(origin::chrome(req), retry);
    http::html(kind.status(), page, &headers)
}
