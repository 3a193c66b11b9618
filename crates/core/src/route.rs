//! Routing: which handler a method and path belong to. Pure, so the whole routing table
//! is tested natively, including the 404/405 corners. The API's operations are
//! `crate::operation`.

pub use crate::operation::Api;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route<'a> {
    Health,
    Ready,
    /// Prometheus scrapes (`GET /metrics`, behind METRICS_TOKEN).
    Metrics,
    /// A single path segment that may be a short code.
    Redirect {
        code: &'a str,
    },
    /// `/w/{workspace}/{code}`: a code that must belong to that workspace.
    WorkspaceRedirect {
        workspace: &'a str,
        code: &'a str,
    },
    /// The password form of a protected link, posted.
    Unlock {
        code: &'a str,
    },
    /// `/{code}+` (also `/u/{user}/{code}+`, `/w/{workspace}/{code}+`): where the link goes,
    /// shown instead of going there.
    Inspect {
        code: &'a str,
        workspace: Option<&'a str>,
    },
    Api(Api<'a>),
    /// A CORS preflight for an API path.
    Preflight,
    /// Under /api/ but no such resource.
    ApiNotFound,
    /// `/abuse/report`: the public abuse report form (GET) and its submission (POST).
    AbuseReport,
    /// `/.well-known/security.txt` (RFC 9116).
    SecurityTxt,
    /// Not an API path and not shaped like a code.
    NotFound,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    MethodNotAllowed { allow: &'static str },
}

type Routed<'a> = Result<Route<'a>, RouteError>;

fn by_method<'a>(method: &str, allow: &'static str, table: &[(&str, Api<'a>)]) -> Routed<'a> {
    table
        .iter()
        .find(|(m, _)| *m == method || (method == "HEAD" && *m == "GET"))
        .map(|(_, api)| Route::Api(api.clone()))
        .ok_or(RouteError::MethodNotAllowed { allow })
}

pub fn route<'a>(method: &str, path: &'a str) -> Routed<'a> {
    if let Some(rest) = path.strip_prefix("/api/v1/") {
        if method == "OPTIONS" {
            return Ok(Route::Preflight);
        }
        return api(method, rest);
    }
    // The worker's API is /api/v{n}: the app's own endpoints (/api/auth/…, any other
    // /api/… of uLoad's SvelteKit app) are the app's, reached like any page.
    if path
        .strip_prefix("/api/v")
        .and_then(|rest| rest.split('/').next())
        .is_some_and(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
    {
        return Ok(Route::ApiNotFound);
    }
    if path == "/api" || path.starts_with("/api/") {
        return Ok(Route::NotFound);
    }
    let read_only = |r: Route<'a>| match method {
        "GET" | "HEAD" => Ok(r),
        _ => Err(RouteError::MethodNotAllowed { allow: "GET, HEAD" }),
    };
    let link = |code: &'a str| match method {
        "POST" => Ok(Route::Unlock { code }),
        _ => read_only(Route::Redirect { code }),
    };
    // A trailing `+` (as sent, or percent-encoded) asks for the inspection page.
    let (path, inspect) = match strip_plus(path) {
        Some(p) => (p, true),
        None => (path, false),
    };
    let link = |code: &'a str| {
        if inspect {
            read_only(Route::Inspect {
                code,
                workspace: None,
            })
        } else {
            link(code)
        }
    };
    // /u/{username}/{code}: uLoad's user links, stored with the code "username/code".
    if let Some(rest) = path.strip_prefix("/u/") {
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        return match rest.split_once('/') {
            Some((user, code)) if is_code_shaped(user) && is_code_shaped(code) => link(rest),
            _ => Ok(Route::NotFound),
        };
    }
    // /w/{workspace}/{code}: uLoad's workspace links (the code itself is unique).
    if let Some(rest) = path.strip_prefix("/w/") {
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        return match rest.split_once('/') {
            Some((workspace, code)) if is_code_shaped(workspace) && is_code_shaped(code) => {
                read_only(if inspect {
                    Route::Inspect {
                        code,
                        workspace: Some(workspace),
                    }
                } else {
                    Route::WorkspaceRedirect { workspace, code }
                })
            }
            _ => Ok(Route::NotFound),
        };
    }
    if inspect && !path.starts_with("/u/") && !path.starts_with("/w/") {
        let seg = path.strip_prefix('/').unwrap_or(path);
        return if is_code_shaped(seg) {
            link(seg)
        } else {
            Ok(Route::NotFound)
        };
    }
    match path {
        "/abuse/report" => match method {
            "GET" | "HEAD" | "POST" => Ok(Route::AbuseReport),
            _ => Err(RouteError::MethodNotAllowed {
                allow: "GET, HEAD, POST",
            }),
        },
        "/.well-known/security.txt" => read_only(Route::SecurityTxt),
        "/health" => read_only(Route::Health),
        "/health/ready" => read_only(Route::Ready),
        "/metrics" => read_only(Route::Metrics),
        p => {
            let seg = p.strip_prefix('/').unwrap_or(p);
            let seg = seg.strip_suffix('/').unwrap_or(seg);
            if is_code_shaped(seg) {
                link(seg)
            } else {
                Ok(Route::NotFound)
            }
        }
    }
}

fn api<'a>(method: &str, rest: &'a str) -> Routed<'a> {
    let segs: Vec<&'a str> = rest.trim_end_matches('/').split('/').collect();
    use Api::*;
    match segs.as_slice() {
        ["openapi.json"] => by_method(method, "GET, HEAD", &[("GET", OpenApi)]),
        ["links"] => by_method(
            method,
            "GET, HEAD, POST",
            &[("GET", ListLinks), ("POST", CreateLink)],
        ),
        ["links", "availability"] => by_method(method, "GET, HEAD", &[("GET", CodeAvailability)]),
        ["links", "bulk"] => by_method(method, "POST", &[("POST", BulkCreate)]),
        ["links", "bulk", "delete"] => by_method(method, "POST", &[("POST", BulkDelete)]),
        ["links", "bulk", "update"] => by_method(method, "POST", &[("POST", BulkUpdate)]),
        ["links", "bulk", "tag"] => by_method(method, "POST", &[("POST", BulkTag)]),
        ["links", id] if is_id(id) => by_method(
            method,
            "GET, HEAD, PATCH, DELETE",
            &[
                ("GET", GetLink(id)),
                ("PATCH", UpdateLink(id)),
                ("DELETE", DeleteLink(id)),
            ],
        ),
        ["links", id, "qr"] if is_id(id) => by_method(method, "GET, HEAD", &[("GET", LinkQr(id))]),
        ["links", id, "stats"] if is_id(id) => {
            by_method(method, "GET, HEAD", &[("GET", LinkStats(id))])
        }
        ["links", id, "clicks.csv"] if is_id(id) => {
            by_method(method, "GET, HEAD", &[("GET", LinkClicksCsv(id))])
        }
        ["tags"] => by_method(
            method,
            "GET, HEAD, POST",
            &[("GET", ListTags), ("POST", CreateTag)],
        ),
        ["tags", id] if is_id(id) => by_method(
            method,
            "PATCH, DELETE",
            &[("PATCH", UpdateTag(id)), ("DELETE", DeleteTag(id))],
        ),
        ["tags", id, "merge"] if is_id(id) => by_method(method, "POST", &[("POST", MergeTag(id))]),
        ["api-keys"] => by_method(
            method,
            "GET, HEAD, POST",
            &[("GET", ListApiKeys), ("POST", CreateApiKey)],
        ),
        ["api-keys", id] if is_id(id) => {
            by_method(method, "DELETE", &[("DELETE", RevokeApiKey(id))])
        }
        ["users", id] if is_id(id) => by_method(
            method,
            "GET, HEAD, PUT, PATCH, DELETE",
            &[
                ("GET", GetUser(id)),
                ("PUT", PutUser(id)),
                ("PATCH", PatchUser(id)),
                ("DELETE", DeleteUser(id)),
            ],
        ),
        ["workspaces", slug] if is_id(slug) => by_method(
            method,
            "GET, HEAD, PUT, DELETE",
            &[
                ("GET", GetWorkspace(slug)),
                ("PUT", PutWorkspace(slug)),
                ("DELETE", DeleteWorkspace(slug)),
            ],
        ),
        ["webhooks"] => by_method(
            method,
            "GET, HEAD, POST",
            &[("GET", ListWebhooks), ("POST", CreateWebhook)],
        ),
        ["webhooks", id] if is_id(id) => by_method(
            method,
            "GET, HEAD, PATCH, DELETE",
            &[
                ("GET", GetWebhook(id)),
                ("PATCH", UpdateWebhook(id)),
                ("DELETE", DeleteWebhook(id)),
            ],
        ),
        ["webhooks", id, "secret"] if is_id(id) => {
            by_method(method, "POST", &[("POST", RotateWebhookSecret(id))])
        }
        ["webhooks", id, "test"] if is_id(id) => {
            by_method(method, "POST", &[("POST", TestWebhook(id))])
        }
        ["webhooks", id, "deliveries"] if is_id(id) => {
            by_method(method, "GET, HEAD", &[("GET", WebhookDeliveries(id))])
        }
        ["admin", "backups"] => by_method(
            method,
            "GET, HEAD, POST",
            &[("GET", ListBackups), ("POST", CreateBackup)],
        ),
        ["admin", "reconcile"] => by_method(method, "POST", &[("POST", Reconcile)]),
        ["admin", "denylist"] => by_method(
            method,
            "GET, HEAD, POST, DELETE",
            &[
                ("GET", ListDenylist),
                ("POST", AddDenylist),
                ("DELETE", RemoveDenylist),
            ],
        ),
        ["admin", "links", id, "block"] if is_id(id) => by_method(
            method,
            "POST, DELETE",
            &[("POST", BlockLink(id)), ("DELETE", UnblockLink(id))],
        ),
        ["admin", "links", id, "hold"] if is_id(id) => {
            by_method(method, "DELETE", &[("DELETE", ReleaseLink(id))])
        }
        ["admin", "reports"] => by_method(method, "GET, HEAD", &[("GET", ListReports)]),
        ["admin", "audit"] => by_method(method, "GET, HEAD", &[("GET", AuditLog)]),
        ["admin", "restore-mode"] => by_method(
            method,
            "GET, HEAD, PUT",
            &[("GET", GetRestoreMode), ("PUT", PutRestoreMode)],
        ),
        ["admin", "backups", id, "restore"] if is_backup_id(id) => {
            by_method(method, "POST", &[("POST", RestoreBackup(id))])
        }
        _ => Ok(Route::ApiNotFound),
    }
}

impl Route<'_> {
    /// The route's kind, for metrics (few values: never a code or an id).
    pub fn kind(&self) -> &'static str {
        match self {
            Route::Health => "health",
            Route::Ready => "ready",
            Route::Metrics => "metrics",
            Route::Redirect { .. } | Route::WorkspaceRedirect { .. } => "redirect",
            Route::Unlock { .. } => "unlock",
            Route::Inspect { .. } => "inspect",
            Route::Api(_) => "api",
            Route::Preflight => "preflight",
            Route::ApiNotFound | Route::NotFound => "not_found",
            Route::AbuseReport => "abuse_report",
            Route::SecurityTxt => "security_txt",
        }
    }

    /// Whether only the whole worker serves the route: the visitor's worker (the crate built
    /// without its `api` feature) hands it on through its service binding. Visitors' routes
    /// (redirects, the password form, inspection, health, security.txt, not found) stay.
    pub fn whole_worker_only(&self) -> bool {
        match self {
            Route::Api(_)
            | Route::Preflight
            | Route::Metrics
            | Route::Ready
            | Route::AbuseReport => true,
            Route::Health
            | Route::Redirect { .. }
            | Route::WorkspaceRedirect { .. }
            | Route::Unlock { .. }
            | Route::Inspect { .. }
            | Route::ApiNotFound
            | Route::NotFound
            | Route::SecurityTxt => false,
        }
    }
}

/// An id's length, at most.
pub const MAX_ID_LEN: usize = 64;

/// Record ids: PocketBase's 15 characters, or anything id-like up to 64 (imported data).
/// The shape of an id in a path or header (users, links, tags, keys).
pub fn is_id(s: &str) -> bool {
    (1..=MAX_ID_LEN).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Backup ids: `2026-11-25T03-05-07.123Z` (the domain parses them exactly).
fn is_backup_id(s: &str) -> bool {
    (1..=40).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

/// The path without its trailing `+` (or `%2B`), if it has one.
fn strip_plus(path: &str) -> Option<&str> {
    path.strip_suffix('+').or_else(|| {
        path.strip_suffix("%2B")
            .or_else(|| path.strip_suffix("%2b"))
    })
}

/// Shape only (characters and length); reserved words are refused when links are created,
/// so a lookup of one simply misses.
fn is_code_shaped(seg: &str) -> bool {
    (1..=super::code::MAX_LEN).contains(&seg.len())
        && seg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests;
