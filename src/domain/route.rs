//! Routing: which handler a method and path belong to. Pure, so the whole routing table
//! is tested natively, including the 404/405 corners.

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route<'a> {
    Health,
    CreateLink,
    /// A single path segment that may be a short code.
    Redirect { code: &'a str },
    /// Under /api/ but no such resource.
    ApiNotFound,
    /// Not an API path and not shaped like a code.
    NotFound,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteError {
    MethodNotAllowed { allow: &'static str },
}

pub fn route<'a>(method: &str, path: &'a str) -> Result<Route<'a>, RouteError> {
    let read_only = |r: Route<'a>| match method {
        "GET" | "HEAD" => Ok(r),
        _ => Err(RouteError::MethodNotAllowed { allow: "GET, HEAD" }),
    };
    match path {
        "/health" => read_only(Route::Health),
        "/api/v1/links" => match method {
            "POST" => Ok(Route::CreateLink),
            _ => Err(RouteError::MethodNotAllowed { allow: "POST" }),
        },
        "/api" => Ok(Route::ApiNotFound),
        p if p.starts_with("/api/") => Ok(Route::ApiNotFound),
        p => {
            let seg = p.strip_prefix('/').unwrap_or(p);
            let seg = seg.strip_suffix('/').unwrap_or(seg);
            if is_code_shaped(seg) {
                read_only(Route::Redirect { code: seg })
            } else {
                Ok(Route::NotFound)
            }
        }
    }
}

/// Shape only (characters and length); reserved words are refused when links are created,
/// so a lookup of one simply misses.
fn is_code_shaped(seg: &str) -> bool {
    (1..=super::code::MAX_LEN).contains(&seg.len())
        && seg.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_known_paths() {
        assert_eq!(route("GET", "/health"), Ok(Route::Health));
        assert_eq!(route("HEAD", "/health"), Ok(Route::Health));
        assert_eq!(route("POST", "/api/v1/links"), Ok(Route::CreateLink));
        assert_eq!(route("GET", "/abc"), Ok(Route::Redirect { code: "abc" }));
        assert_eq!(route("HEAD", "/abc/"), Ok(Route::Redirect { code: "abc" }));
        assert_eq!(route("GET", "/Ab_c-9"), Ok(Route::Redirect { code: "Ab_c-9" }));
    }

    #[test]
    fn wrong_methods_name_the_allowed_ones() {
        assert_eq!(
            route("GET", "/api/v1/links"),
            Err(RouteError::MethodNotAllowed { allow: "POST" })
        );
        assert_eq!(route("POST", "/abc"), Err(RouteError::MethodNotAllowed { allow: "GET, HEAD" }));
        assert_eq!(
            route("DELETE", "/health"),
            Err(RouteError::MethodNotAllowed { allow: "GET, HEAD" })
        );
    }

    #[test]
    fn unknown_paths() {
        assert_eq!(route("GET", "/api/v1/nope"), Ok(Route::ApiNotFound));
        assert_eq!(route("POST", "/api"), Ok(Route::ApiNotFound));
        assert_eq!(route("GET", "/"), Ok(Route::NotFound));
        assert_eq!(route("GET", "/a/b"), Ok(Route::NotFound));
        assert_eq!(route("GET", "/%F0%9F%98%80"), Ok(Route::NotFound));
        assert_eq!(route("GET", &format!("/{}", "a".repeat(51))), Ok(Route::NotFound));
    }
}
