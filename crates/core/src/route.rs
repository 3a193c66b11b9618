//! Routing: which handler a method and path belong to. Pure, so the whole routing table
//! is tested natively, including the 404/405 corners.

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
pub enum Api<'a> {
    OpenApi,
    ListLinks,
    CreateLink,
    BulkCreate,
    BulkDelete,
    BulkUpdate,
    BulkTag,
    GetLink(&'a str),
    UpdateLink(&'a str),
    DeleteLink(&'a str),
    LinkQr(&'a str),
    LinkStats(&'a str),
    LinkClicksCsv(&'a str),
    ListTags,
    CreateTag,
    UpdateTag(&'a str),
    DeleteTag(&'a str),
    MergeTag(&'a str),
    ListApiKeys,
    CreateApiKey,
    RevokeApiKey(&'a str),
    PutUser(&'a str),
    DeleteUser(&'a str),
    GetWorkspace(&'a str),
    PutWorkspace(&'a str),
    DeleteWorkspace(&'a str),
    ListBackups,
    CreateBackup,
    Reconcile,
    RestoreBackup(&'a str),
    GetRestoreMode,
    PutRestoreMode,
    ListDenylist,
    AddDenylist,
    RemoveDenylist,
    BlockLink(&'a str),
    UnblockLink(&'a str),
    ReleaseLink(&'a str),
    ListReports,
    AuditLog,
}

impl Api<'_> {
    /// What an API key needs to call this endpoint.
    pub fn key_needs(&self) -> crate::scope::Needs {
        use crate::scope::{KeyScope::*, Needs};
        match self {
            Api::ListLinks | Api::GetLink(_) | Api::LinkQr(_) | Api::ListTags | Api::OpenApi => {
                Needs::Scope(LinksRead)
            }
            Api::CreateLink
            | Api::UpdateLink(_)
            | Api::DeleteLink(_)
            | Api::BulkCreate
            | Api::BulkDelete
            | Api::BulkUpdate
            | Api::BulkTag
            | Api::CreateTag
            | Api::UpdateTag(_)
            | Api::DeleteTag(_)
            | Api::MergeTag(_) => Needs::Scope(LinksWrite),
            Api::LinkStats(_) | Api::LinkClicksCsv(_) => Needs::Scope(StatsRead),
            Api::ListApiKeys
            | Api::CreateApiKey
            | Api::RevokeApiKey(_)
            | Api::PutUser(_)
            | Api::DeleteUser(_)
            | Api::GetWorkspace(_)
            | Api::PutWorkspace(_)
            | Api::DeleteWorkspace(_)
            | Api::ListBackups
            | Api::CreateBackup
            | Api::RestoreBackup(_)
            | Api::GetRestoreMode
            | Api::PutRestoreMode
            | Api::ListDenylist
            | Api::AddDenylist
            | Api::RemoveDenylist
            | Api::BlockLink(_)
            | Api::UnblockLink(_)
            | Api::ReleaseLink(_)
            | Api::ListReports
            | Api::AuditLog
            | Api::Reconcile => Needs::ServiceOnly,
        }
    }

    /// Whether it changes the dashboard's data (refused while restore mode is on).
    pub fn is_write(&self) -> bool {
        matches!(
            self,
            Api::CreateLink
                | Api::BulkCreate
                | Api::BulkDelete
                | Api::BulkUpdate
                | Api::BulkTag
                | Api::UpdateLink(_)
                | Api::DeleteLink(_)
                | Api::CreateTag
                | Api::UpdateTag(_)
                | Api::DeleteTag(_)
                | Api::MergeTag(_)
                | Api::CreateApiKey
                | Api::RevokeApiKey(_)
                | Api::PutUser(_)
                | Api::DeleteUser(_)
                | Api::PutWorkspace(_)
                | Api::DeleteWorkspace(_)
        )
    }

    /// The operations routes, for the admin token only (and the only ones it may call).
    pub fn is_admin(&self) -> bool {
        matches!(
            self,
            Api::ListBackups
                | Api::CreateBackup
                | Api::RestoreBackup(_)
                | Api::Reconcile
                | Api::GetRestoreMode
                | Api::PutRestoreMode
                | Api::ListDenylist
                | Api::AddDenylist
                | Api::RemoveDenylist
                | Api::BlockLink(_)
                | Api::UnblockLink(_)
                | Api::ReleaseLink(_)
                | Api::ListReports
                | Api::AuditLog
        )
    }
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
                read_only(Route::WorkspaceRedirect { workspace, code })
            }
            _ => Ok(Route::NotFound),
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
            "PUT, DELETE",
            &[("PUT", PutUser(id)), ("DELETE", DeleteUser(id))],
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
            Route::Api(_) => "api",
            Route::Preflight => "preflight",
            Route::ApiNotFound | Route::NotFound => "not_found",
            Route::AbuseReport => "abuse_report",
            Route::SecurityTxt => "security_txt",
        }
    }
}

/// Record ids: PocketBase's 15 characters, or anything id-like up to 64 (imported data).
/// The shape of an id in a path or header (users, links, tags, keys).
pub fn is_id(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// Backup ids: `2026-11-25T03-05-07.123Z` (the domain parses them exactly).
fn is_backup_id(s: &str) -> bool {
    (1..=40).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
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
mod tests {
    use super::*;

    #[test]
    fn routes_known_paths() {
        assert_eq!(route("GET", "/health"), Ok(Route::Health));
        assert_eq!(route("HEAD", "/health"), Ok(Route::Health));
        assert_eq!(route("GET", "/health/ready"), Ok(Route::Ready));
        assert_eq!(route("GET", "/metrics"), Ok(Route::Metrics));
        assert_eq!(
            route("POST", "/api/v1/links"),
            Ok(Route::Api(Api::CreateLink))
        );
        assert_eq!(
            route("GET", "/api/v1/links"),
            Ok(Route::Api(Api::ListLinks))
        );
        assert_eq!(
            route("GET", "/api/v1/links/abc/stats"),
            Ok(Route::Api(Api::LinkStats("abc")))
        );
        assert_eq!(
            route("GET", "/api/v1/links/abc/clicks.csv"),
            Ok(Route::Api(Api::LinkClicksCsv("abc")))
        );
        assert_eq!(
            route(
                "POST",
                "/api/v1/admin/backups/2026-11-25T03-05-07.123Z/restore"
            ),
            Ok(Route::Api(Api::RestoreBackup("2026-11-25T03-05-07.123Z")))
        );
        assert_eq!(
            route("POST", "/api/v1/admin/backups"),
            Ok(Route::Api(Api::CreateBackup))
        );
        assert_eq!(
            route("POST", "/api/v1/admin/backups/..%2f/restore"),
            Ok(Route::ApiNotFound)
        );
        assert_eq!(
            route("POST", "/api/v1/links/abc/stats"),
            Err(RouteError::MethodNotAllowed { allow: "GET, HEAD" })
        );
        assert_eq!(
            route("GET", "/api/v1/links/abc123"),
            Ok(Route::Api(Api::GetLink("abc123")))
        );
        assert_eq!(
            route("PATCH", "/api/v1/links/abc123/"),
            Ok(Route::Api(Api::UpdateLink("abc123")))
        );
        assert_eq!(
            route("GET", "/api/v1/links/abc/qr"),
            Ok(Route::Api(Api::LinkQr("abc")))
        );
        assert_eq!(
            route("POST", "/api/v1/links/bulk/tag"),
            Ok(Route::Api(Api::BulkTag))
        );
        assert_eq!(
            route("POST", "/api/v1/tags/t1/merge"),
            Ok(Route::Api(Api::MergeTag("t1")))
        );
        assert_eq!(
            route("DELETE", "/api/v1/api-keys/k1"),
            Ok(Route::Api(Api::RevokeApiKey("k1")))
        );
        assert_eq!(
            route("PUT", "/api/v1/users/u1"),
            Ok(Route::Api(Api::PutUser("u1")))
        );
        assert_eq!(
            route("DELETE", "/api/v1/users/u1"),
            Ok(Route::Api(Api::DeleteUser("u1")))
        );
        assert_eq!(
            route("PUT", "/api/v1/admin/restore-mode"),
            Ok(Route::Api(Api::PutRestoreMode))
        );
        assert!(Api::PutRestoreMode.is_admin() && !Api::PutRestoreMode.is_write());
        assert_eq!(
            route("DELETE", "/api/v1/admin/links/l1/block"),
            Ok(Route::Api(Api::UnblockLink("l1")))
        );
        assert!(Api::AddDenylist.is_admin() && Api::AuditLog.is_admin());
        assert_eq!(route("POST", "/abuse/report"), Ok(Route::AbuseReport));
        assert_eq!(
            route("PUT", "/abuse/report"),
            Err(RouteError::MethodNotAllowed {
                allow: "GET, HEAD, POST"
            })
        );
        assert_eq!(
            route("GET", "/.well-known/security.txt"),
            Ok(Route::SecurityTxt)
        );
        assert!(Api::DeleteUser("u1").is_write() && !Api::ListLinks.is_write());
        assert_eq!(route("OPTIONS", "/api/v1/links"), Ok(Route::Preflight));
        assert_eq!(route("GET", "/abc"), Ok(Route::Redirect { code: "abc" }));
        assert_eq!(route("HEAD", "/abc/"), Ok(Route::Redirect { code: "abc" }));
        assert_eq!(
            route("GET", "/Ab_c-9"),
            Ok(Route::Redirect { code: "Ab_c-9" })
        );
        assert_eq!(
            route("GET", "/u/alice/promo"),
            Ok(Route::Redirect {
                code: "alice/promo"
            })
        );
        assert_eq!(
            route("POST", "/u/alice/promo/"),
            Ok(Route::Unlock {
                code: "alice/promo"
            })
        );
        assert_eq!(route("GET", "/u/alice"), Ok(Route::NotFound));
        assert_eq!(
            route("GET", "/w/team1/promo"),
            Ok(Route::WorkspaceRedirect {
                workspace: "team1",
                code: "promo"
            })
        );
        assert_eq!(route("GET", "/w/team1"), Ok(Route::NotFound));
        assert_eq!(route("GET", "/u/alice/a/b"), Ok(Route::NotFound));
    }

    #[test]
    fn wrong_methods_name_the_allowed_ones() {
        assert_eq!(
            route("DELETE", "/api/v1/links"),
            Err(RouteError::MethodNotAllowed {
                allow: "GET, HEAD, POST"
            })
        );
        assert_eq!(
            route("POST", "/api/v1/links/abc"),
            Err(RouteError::MethodNotAllowed {
                allow: "GET, HEAD, PATCH, DELETE"
            })
        );
        assert_eq!(route("POST", "/abc"), Ok(Route::Unlock { code: "abc" }));
        assert_eq!(
            route("PUT", "/abc"),
            Err(RouteError::MethodNotAllowed { allow: "GET, HEAD" })
        );
        assert_eq!(
            route("DELETE", "/health"),
            Err(RouteError::MethodNotAllowed { allow: "GET, HEAD" })
        );
    }

    #[test]
    fn unknown_paths() {
        assert_eq!(route("GET", "/api/v1/nope"), Ok(Route::ApiNotFound));
        assert_eq!(route("GET", "/api/v1/links/a%20b"), Ok(Route::ApiNotFound));
        assert_eq!(route("GET", "/api/v1/links/a/b/c"), Ok(Route::ApiNotFound));
        assert_eq!(route("POST", "/api/v1"), Ok(Route::ApiNotFound));
        assert_eq!(
            route("POST", "/api"),
            Ok(Route::NotFound),
            "the app's, if any"
        );
        assert_eq!(
            route("GET", "/api/echo"),
            Ok(Route::NotFound),
            "the app's own endpoint"
        );
        assert_eq!(route("GET", "/api/v2/links"), Ok(Route::ApiNotFound));
        assert_eq!(route("GET", "/"), Ok(Route::NotFound));
        assert_eq!(route("GET", "/a/b"), Ok(Route::NotFound));
        assert_eq!(route("GET", "/%F0%9F%98%80"), Ok(Route::NotFound));
        assert_eq!(
            route("GET", &format!("/{}", "a".repeat(51))),
            Ok(Route::NotFound)
        );
    }
}
