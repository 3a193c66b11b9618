//! The redirect path, top to bottom: memory → KV → D1 → decision → response.
//! A hot redirect touches only the isolate's memory; nothing on this path waits for a
//! write (write-backs run after the response, in `wait_until`).

use serde_json::json;
use worker::{Context, Env, Request, Response};

use super::visitor::{lookup_failed, no_link, password_page, too_many, unlocked, visitor_error};
use crate::config::Config;
use crate::handlers::limits;
use crate::handlers::origin;
use crate::services::link_lookup::{lookup_in, Layer};
use crate::{analytics, click_counter};
use crate::{http, log};
use uload_core::code;
use uload_core::link::{Preview, RedirectRecord};
use uload_core::pages::{self, VisitorError};
use uload_core::previewers;
use uload_core::redirect::{self, Decision, Visit, CACHE_CONTROL};

/// `workspace`: the link must belong to it (`/w/{workspace}/{code}`).
pub async fn serve(
    req: Request,
    code: &str,
    workspace: Option<&str>,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
) -> Response {
    // Read once: the limiter and the click both need it.
    let ip = http::client_ip(&req);
    let limit_headers = match limits::admit_redirect(&ip, env, ctx, cfg) {
        Ok(h) => h,
        Err((e, h)) => return too_many(&req, &e, &h),
    };
    let mut response = {
        match lookup_in(code, workspace, env, ctx, cfg).await {
            Ok((Some(record), layer)) => {
                // The raw URL's query, read once: the decision and the click both need it.
                let query = super::request::raw_query(&req);
                let here = Here {
                    env,
                    ctx,
                    cfg,
                    query: query.as_deref(),
                    ip: &ip,
                };
                match decide_for(&req, &record, here.query) {
                    Decision::Redirect { status, location } => match preview_for(&req, &record) {
                        Some(preview) => {
                            preview_card(&req, &record, code, &here, preview, &location)
                        }
                        None => counted(&req, &record, code, &here, status, &location, layer).await,
                    },
                    Decision::Gone => visitor_error(&req, VisitorError::Gone, code, layer.name()),
                    Decision::Blocked => {
                        visitor_error(&req, VisitorError::Blocked, code, layer.name())
                    }
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
            Err(e) => lookup_failed(&req, code, &e),
        }
    };
    http::add_headers(&mut response, &limit_headers);
    response
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
    let click = || here.click(req, record);
    let Some(max) = record.max_clicks else {
        click();
        return redirect_response(status, location, layer);
    };
    let cost = u64::from(req.method() == worker::Method::Get);
    let per_object = here.cfg.click_shard_rate;
    match click_counter::consume(here.env, &record.link_id, max, cost, per_object).await {
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
        Ok(_) => {
            crate::services::webhooks::limit_reached(here.env, here.ctx, &record.link_id, max);
            visitor_error(req, VisitorError::Gone, code, layer.name())
        }
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

/// The link's own preview card, when this visitor is a social previewer that should see it.
/// Only links that set one, and never a limited link (its clicks are counted by the link's
/// counter as always; a password-protected link never reaches here).
fn preview_for<'r>(req: &Request, record: &'r RedirectRecord) -> Option<&'r Preview> {
    let preview = record.preview.as_ref()?;
    if record.max_clicks.is_some() {
        return None;
    }
    let user_agent = req.headers().get("user-agent").ok().flatten()?;
    previewers::is_social_previewer(&user_agent).then_some(preview)
}

/// The card for a social previewer (`pages::preview_page`): recorded like any visit, and
/// filed as a bot's by analytics (every previewer of the list is one), so it never counts
/// as a person's click.
fn preview_card(
    req: &Request,
    record: &RedirectRecord,
    code: &str,
    here: &Here<'_>,
    preview: &Preview,
    location: &str,
) -> Response {
    here.click(req, record);
    let short_url = format!("{}{}", here.cfg.short_base_url, code::public_path(code));
    http::html(
        200,
        pages::preview_page(preview, &short_url, location),
        &[
            ("cache-control", CACHE_CONTROL),
            ("x-robots-tag", "noindex"),
            (http::SERVED_FROM, "preview"),
        ],
    )
}

/// What the redirect path has at hand for this request, besides the request itself.
struct Here<'a> {
    env: &'a Env,
    ctx: &'a Context,
    cfg: &'a Config,
    query: Option<&'a str>,
    ip: &'a str,
}

impl Here<'_> {
    /// Hands this visit's click to analytics (sent after the response).
    fn click(&self, req: &Request, record: &RedirectRecord) {
        analytics::record(
            req,
            &record.link_id,
            self.query,
            self.ip,
            self.env,
            self.ctx,
            self.cfg,
        );
    }
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
        let p = uload_core::problem::Problem::new(
            uload_core::problem::Code::LinkHeld,
            "Link held for review",
        )
        .with_detail(format!(
            "this link was reported and is held for review; GET {continue_to} to continue anyway"
        ));
        return http::json_problem(&p, &headers);
    }
    http::html(
        200,
        pages::held_page(crate::services::app_status::chrome(req), &continue_to),
        &headers,
    )
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
