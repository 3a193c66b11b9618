//! `/{code}+`: the link's inspection page (`uload_core::inspect`) instead of the redirect.
//! Rate-limited like a redirect, never counted as a click, never indexed.

use worker::{Context, Env, Request, Response};

use super::visitor::{lookup_failed, too_many, visitor_error};
use crate::config::Config;
use crate::handlers::limits;
use crate::http;
use crate::services::link_lookup::{lookup_in, Layer};
use uload_core::inspect::inspect;
use uload_core::pages::{self, VisitorError};

pub async fn serve(
    req: Request,
    code: &str,
    workspace: Option<&str>,
    env: &Env,
    ctx: &Context,
    cfg: &Config,
) -> Response {
    let limit_headers = match limits::admit_redirect(&crate::http::client_ip(&req), env, ctx, cfg) {
        Ok(h) => h,
        Err((e, h)) => return too_many(&req, &e, &h),
    };
    let mut response = match lookup_in(code, workspace, env, ctx, cfg).await {
        Ok((Some(record), layer)) => {
            let path = match workspace {
                Some(ws) => format!("/w/{ws}/{code}"),
                None => uload_core::code::public_path(code),
            };
            let short_url = format!("{}{path}", cfg.short_base_url);
            let seen = inspect(&record, code, short_url, crate::clock::now_ms());
            page(&req, &seen, &path, layer)
        }
        Ok((None, layer)) => visitor_error(&req, VisitorError::NotFound, code, layer.name()),
        Err(e) => lookup_failed(&req, code, &e),
    };
    http::add_headers(&mut response, &limit_headers);
    response
}

/// The page, or the same facts as JSON for a client that asks for it.
fn page(
    req: &Request,
    seen: &uload_core::inspect::Inspection,
    path: &str,
    layer: Layer,
) -> Response {
    let headers = [
        ("cache-control", "no-store"),
        ("x-robots-tag", "noindex"),
        (http::SERVED_FROM, layer.name()),
    ];
    let accept = req.headers().get("accept").ok().flatten();
    if http::wants_json(accept.as_deref()) {
        return http::json(200, seen, &headers);
    }
    let chrome = crate::services::app_status::chrome(req);
    http::html(200, pages::inspect_page(chrome, seen, path), &headers)
}
