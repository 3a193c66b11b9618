//! Unit tests of `route`.

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
fn code_availability_is_its_own_route_not_a_link_id() {
    assert_eq!(
        route("GET", "/api/v1/links/availability"),
        Ok(Route::Api(Api::CodeAvailability))
    );
    assert_eq!(
        route("POST", "/api/v1/links/availability"),
        Err(RouteError::MethodNotAllowed { allow: "GET, HEAD" })
    );
}

#[test]
fn a_trailing_plus_inspects_the_link_on_every_kind_of_path() {
    let inspect = |code, workspace| Ok(Route::Inspect { code, workspace });
    assert_eq!(route("GET", "/abc+"), inspect("abc", None));
    assert_eq!(route("HEAD", "/abc%2B"), inspect("abc", None));
    assert_eq!(route("GET", "/abc%2b"), inspect("abc", None));
    assert_eq!(
        route("GET", "/u/alice/promo+"),
        inspect("alice/promo", None)
    );
    assert_eq!(
        route("GET", "/w/team1/promo+"),
        inspect("promo", Some("team1"))
    );
    // Read-only: the password form is never posted to an inspection page.
    assert_eq!(
        route("POST", "/abc+"),
        Err(RouteError::MethodNotAllowed { allow: "GET, HEAD" })
    );
    for path in ["/+", "/a+b", "/abc++", "/u/alice+", "/w/team1+", "/ab.c+"] {
        assert_eq!(route("GET", path), Ok(Route::NotFound), "{path}");
    }
    assert_eq!(route("GET", "/abc+").map(|r| r.kind()), Ok("inspect"));
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

#[test]
fn the_visitors_worker_keeps_the_visitors_routes_and_hands_on_the_rest() {
    // (method, path, whether only the whole worker serves it)
    let cases = [
        ("GET", "/abc", false),
        ("HEAD", "/abc", false),
        ("POST", "/abc", false),
        ("GET", "/abc+", false),
        ("GET", "/u/alice/abc", false),
        ("GET", "/health", false),
        ("GET", "/.well-known/security.txt", false),
        ("GET", "/api/v1/nope", false),
        ("GET", "/a/b/c/d", false),
        ("GET", "/api/v1/links", true),
        ("POST", "/api/v1/links", true),
        ("OPTIONS", "/api/v1/links", true),
        ("GET", "/api/v1/openapi.json", true),
        ("GET", "/api/v1/admin/backups", true),
        ("GET", "/metrics", true),
        ("GET", "/health/ready", true),
        ("GET", "/abuse/report", true),
        ("POST", "/abuse/report", true),
    ];
    for (method, path, whole) in cases {
        let r = route(method, path).unwrap_or_else(|e| panic!("{method} {path}: {e:?}"));
        assert_eq!(r.whole_worker_only(), whole, "{method} {path} ({r:?})");
    }
}
