//! CORS for the API: only the configured dashboard origins may call it from a browser.

pub const ALLOW_METHODS: &str = "GET, POST, PATCH, PUT, DELETE, OPTIONS";
pub const ALLOW_HEADERS: &str =
    "authorization, content-type, if-match, if-none-match, idempotency-key, x-uload-user";
pub const EXPOSE_HEADERS: &str =
    "etag, location, retry-after, idempotency-replayed, link, content-disposition";

/// The origin to echo in `Access-Control-Allow-Origin`, if it is allowed. Exact match
/// (scheme, host and port), case-insensitive; never `*`, since requests carry credentials.
pub fn allowed_origin<'a>(origin: Option<&'a str>, allowed: &[String]) -> Option<&'a str> {
    let origin = origin?.trim();
    allowed
        .iter()
        .any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(origin))
        .then_some(origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_configured_origins() {
        let allowed = vec![
            "https://ulo.ad".to_string(),
            "http://localhost:5173/".to_string(),
        ];
        assert_eq!(
            allowed_origin(Some("https://ulo.ad"), &allowed),
            Some("https://ulo.ad")
        );
        assert_eq!(
            allowed_origin(Some("http://localhost:5173"), &allowed),
            Some("http://localhost:5173")
        );
        assert_eq!(allowed_origin(Some("https://evil.example"), &allowed), None);
        assert_eq!(
            allowed_origin(Some("https://ulo.ad.evil.example"), &allowed),
            None
        );
        assert_eq!(allowed_origin(None, &allowed), None);
    }
}
