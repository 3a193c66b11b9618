//! `POST /{code}`: the password form of a protected link. Cross-site forms are refused,
//! attempts are limited per client, per client and day, and per link before the (slow)
//! hash is checked; success sets a signed cookie and sends the browser back to the link.

use serde_json::json;
use worker::{Context, Env, Request, Response};

use super::visitor::{cookie_secret, no_link, password_page, see_other, too_many, visitor_error};
use crate::config::Config;
use crate::handlers::{limits, origin};
use crate::services::link_lookup::lookup;
use crate::{crypto, http, log};
use uload_core::code;
use uload_core::pages::VisitorError;
use uload_core::ratelimit::Scope;
use uload_core::redirect::{self, Decision, Visit};
use uload_core::unlock;

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
