//! Building responses: the one place where errors become problem documents.

use serde::Serialize;
use worker::{Headers, Response};

use crate::error::ApiError;
use uload_core::problem::{self, Problem};

pub const SERVED_FROM: &str = "x-served-from";

/// Builds a response with a body and headers. Header names and values here are ours and
/// valid, so the fallible builder steps cannot fail on request input.
pub fn respond(
    status: u16,
    content_type: &str,
    body: Vec<u8>,
    headers: &[(&str, &str)],
) -> Response {
    let h = Headers::new();
    let _ = h.set("content-type", content_type);
    for (k, v) in headers {
        let _ = h.set(k, v);
    }
    Response::builder()
        .with_status(status)
        .with_headers(h)
        .fixed(body)
}

/// An HTML page the worker renders, with the hardening headers every such page carries.
pub fn html(status: u16, page: String, headers: &[(&str, &str)]) -> Response {
    let mut all: Vec<(&str, &str)> = uload_core::pages::HARDENING_HEADERS.to_vec();
    // Every page is in the visitor's language (a caller's own Vary replaces this one).
    all.push(("vary", "Accept-Language"));
    all.extend_from_slice(headers);
    respond(status, "text/html; charset=utf-8", page.into_bytes(), &all)
}

/// A response without a body (redirects, 204s).
pub fn empty(status: u16, headers: &[(&str, &str)]) -> Response {
    let h = Headers::new();
    for (k, v) in headers {
        let _ = h.set(k, v);
    }
    Response::builder()
        .with_status(status)
        .with_headers(h)
        .empty()
}

pub fn json<T: Serialize>(status: u16, value: &T, headers: &[(&str, &str)]) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => respond(status, "application/json", body, headers),
        Err(e) => problem(&ApiError::Internal(e.to_string())),
    }
}

pub fn problem(err: &ApiError) -> Response {
    if let ApiError::Internal(why) = err {
        crate::log::error("internal_error", serde_json::json!({ "cause": why }));
    }
    let p: Problem = err.to_problem();
    let retry = p.retry_after.map(|s| s.to_string());
    let mut headers: Vec<(&str, &str)> = vec![("cache-control", "no-store")];
    if let Some(r) = retry.as_deref() {
        headers.push(("retry-after", r));
    }
    if let ApiError::MethodNotAllowed { allow } = err {
        headers.push(("allow", allow));
    }
    // RFC 9110: a 401 says how to authenticate.
    if matches!(err, ApiError::Unauthorized) {
        headers.push(("www-authenticate", "Bearer realm=\"uload-edge\""));
    }
    json_problem(&p, &headers)
}

/// A problem document with the caller's headers (for problems outside the API's `ApiError`).
pub fn json_problem(p: &Problem, headers: &[(&str, &str)]) -> Response {
    let body = serde_json::to_vec(p).unwrap_or_default();
    respond(p.status, problem::CONTENT_TYPE, body, headers)
}

/// Adds headers to a finished response (set, so a later value replaces an earlier one).
pub fn add_headers(response: &mut Response, headers: &[(&'static str, String)]) {
    let h = response.headers_mut();
    for (k, v) in headers {
        let _ = h.set(k, v);
    }
}

/// The page language the client prefers (German or English).
pub fn lang(req: &worker::Request) -> uload_core::pages::Lang {
    uload_core::pages::lang(
        req.headers()
            .get("accept-language")
            .ok()
            .flatten()
            .as_deref(),
    )
}

/// Whether the client asked for JSON rather than a page (API clients, `curl -H`).
pub fn wants_json(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| a.contains("application/json") || a.contains("+json"))
}

/// What an API handler answers, before it becomes a `Response`: plain data, so the
/// idempotency layer can store and replay it and the CORS layer can add headers once.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub body: Body,
    pub headers: Vec<(&'static str, String)>,
}

/// A body made while it is sent (a CSV export of many thousand rows): never held whole. Taken
/// once, when the reply becomes a response.
/// The chunks of a streamed body; an error cuts the body short.
pub type Chunks = futures_util::stream::LocalBoxStream<'static, Result<Vec<u8>, String>>;

#[derive(Clone)]
pub struct Streamed(pub std::rc::Rc<std::cell::RefCell<Option<Chunks>>>);

impl std::fmt::Debug for Streamed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Streamed")
    }
}

#[derive(Debug, Clone)]
pub enum Body {
    Empty,
    Stream {
        content_type: &'static str,
        body: Streamed,
    },
    Json(serde_json::Value),
    Raw {
        content_type: &'static str,
        bytes: Vec<u8>,
    },
}

impl Reply {
    /// A reply whose body is made while it is sent.
    pub fn streamed(content_type: &'static str, body: Streamed, cache_control: &str) -> Self {
        Reply {
            status: 200,
            body: Body::Stream { content_type, body },
            headers: vec![("cache-control", cache_control.to_string())],
        }
    }

    pub fn json<T: Serialize>(status: u16, value: &T) -> Self {
        let body = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
        Reply {
            status,
            body: Body::Json(body),
            headers: vec![("cache-control", "no-store".into())],
        }
    }

    pub fn no_content() -> Self {
        Reply {
            status: 204,
            body: Body::Empty,
            headers: vec![("cache-control", "no-store".into())],
        }
    }

    /// 304: the client's copy is current (`If-None-Match`).
    pub fn not_modified() -> Self {
        Reply {
            status: 304,
            ..Reply::no_content()
        }
    }

    pub fn raw(content_type: &'static str, bytes: Vec<u8>, cache_control: &str) -> Self {
        Reply {
            status: 200,
            body: Body::Raw {
                content_type,
                bytes,
            },
            headers: vec![("cache-control", cache_control.into())],
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    pub fn into_response(self, extra: &[(&str, &str)]) -> Response {
        let mut headers: Vec<(&str, &str)> =
            self.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        headers.extend_from_slice(extra);
        match self.body {
            Body::Empty => empty(self.status, &headers),
            Body::Json(v) => respond(
                self.status,
                "application/json",
                serde_json::to_vec(&v).unwrap_or_default(),
                &headers,
            ),
            Body::Raw {
                content_type,
                bytes,
            } => respond(self.status, content_type, bytes, &headers),
            Body::Stream { content_type, body } => {
                use futures_util::TryStreamExt;
                let Some(stream) = body.0.borrow_mut().take() else {
                    return problem(&ApiError::Internal("a streamed body was sent twice".into()));
                };
                let h = Headers::new();
                let _ = h.set("content-type", content_type);
                for (k, v) in &headers {
                    let _ = h.set(k, v);
                }
                Response::builder()
                    .with_status(self.status)
                    .with_headers(h)
                    .from_stream(stream.map_err(worker::Error::RustError))
                    .unwrap_or_else(|e| problem(&ApiError::Internal(e.to_string())))
            }
        }
    }
}

/// The client's address: `CF-Connecting-IP` only, which Cloudflare sets; `X-Forwarded-For`
/// and friends are whatever the client wants them to be.
pub fn client_ip(req: &worker::Request) -> String {
    req.headers()
        .get("cf-connecting-ip")
        .ok()
        .flatten()
        .unwrap_or_else(|| "unknown".into())
}

/// A copy of a header list (a Response's are immutable once sent).
pub fn clone_headers(h: &worker::Headers) -> worker::Headers {
    let out = worker::Headers::new();
    for (k, v) in h.entries() {
        let _ = out.append(&k, &v);
    }
    out
}
