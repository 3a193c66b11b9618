//! Target URLs: what a short link may point to.

use url::Url;

/// Sink broke on targets past ~1,000 characters; real campaign URLs with tracking
/// parameters get long. 8 KB is what browsers and CDNs reliably carry in a Location header.
pub const MAX_LEN: usize = 8192;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetError {
    Empty,
    TooLong { max: usize },
    Unparsable(String),
    SchemeNotAllowed(String),
    CredentialsNotAllowed,
    MissingHost,
}

impl TargetError {
    pub fn message(&self) -> String {
        match self {
            TargetError::Empty => "url must not be empty".into(),
            TargetError::TooLong { max } => format!("url must be at most {max} bytes"),
            TargetError::Unparsable(why) => format!("url is not a valid absolute URL: {why}"),
            TargetError::SchemeNotAllowed(s) => {
                format!("url scheme '{s}' is not allowed; use http or https")
            }
            TargetError::CredentialsNotAllowed => {
                "url must not contain a user name or password".into()
            }
            TargetError::MissingHost => "url must have a host".into(),
        }
    }
}

/// Parses and normalises a target with the WHATWG URL parser (the same rules browsers
/// apply), so what is stored is exactly what a browser will follow. Internationalised
/// domains come back as punycode.
pub fn normalise(raw: &str) -> Result<String, TargetError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(TargetError::Empty);
    }
    if raw.len() > MAX_LEN {
        return Err(TargetError::TooLong { max: MAX_LEN });
    }
    let url = Url::parse(raw).map_err(|e| TargetError::Unparsable(e.to_string()))?;
    match url.scheme() {
        "http" | "https" => {}
        other => return Err(TargetError::SchemeNotAllowed(other.to_string())),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TargetError::CredentialsNotAllowed);
    }
    if url.host_str().map_or(true, str::is_empty) {
        return Err(TargetError::MissingHost);
    }
    let out = String::from(url);
    // Normalising can lengthen a URL (percent-encoding); the limit applies to what is stored.
    if out.len() > MAX_LEN {
        return Err(TargetError::TooLong { max: MAX_LEN });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_normalises_http_and_https() {
        assert_eq!(normalise("https://Example.COM").unwrap(), "https://example.com/");
        assert_eq!(normalise("  http://a.de/x?y=1#z ").unwrap(), "http://a.de/x?y=1#z");
    }

    #[test]
    fn internationalised_domains_become_punycode() {
        assert_eq!(normalise("https://bücher.de/").unwrap(), "https://xn--bcher-kva.de/");
    }

    #[test]
    fn refuses_other_schemes() {
        for (url, scheme) in [
            ("javascript:alert(1)", "javascript"),
            ("data:text/html,hi", "data"),
            ("file:///etc/passwd", "file"),
            ("ftp://a.de/", "ftp"),
        ] {
            assert_eq!(normalise(url), Err(TargetError::SchemeNotAllowed(scheme.into())));
        }
    }

    #[test]
    fn refuses_garbage_credentials_and_empty() {
        assert!(matches!(normalise("not a url"), Err(TargetError::Unparsable(_))));
        assert!(matches!(normalise("https://"), Err(TargetError::Unparsable(_))));
        assert_eq!(normalise("https://u:p@a.de/"), Err(TargetError::CredentialsNotAllowed));
        assert_eq!(normalise("https://u@a.de/"), Err(TargetError::CredentialsNotAllowed));
        assert_eq!(normalise("   "), Err(TargetError::Empty));
    }

    #[test]
    fn accepts_long_targets_up_to_8_kb() {
        let base = "https://example.com/?q=";
        let ok = format!("{base}{}", "a".repeat(MAX_LEN - base.len()));
        assert_eq!(normalise(&ok).unwrap().len(), MAX_LEN);
        let too_long = format!("{ok}a");
        assert_eq!(normalise(&too_long), Err(TargetError::TooLong { max: MAX_LEN }));
    }

    #[test]
    fn length_is_checked_after_percent_encoding() {
        let raw = format!("https://example.com/{}x", " ".repeat(3000));
        assert_eq!(normalise(&raw), Err(TargetError::TooLong { max: MAX_LEN }));
    }
}
