//! Target URLs: what a short link may point to.

use url::Url;

/// Sink broke on targets past ~1,000 characters; real campaign URLs with tracking
/// parameters get long. 8 KB is what browsers and CDNs reliably carry in a Location header.
pub const MAX_LEN: usize = 8192;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetError {
    Empty,
    TooLong {
        max: usize,
    },
    Unparsable(String),
    SchemeNotAllowed(String),
    CredentialsNotAllowed,
    MissingHost,
    /// The target is this service's own short domain: the link would redirect to itself.
    RedirectLoop(String),
    Blocked(String),
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
            TargetError::RedirectLoop(h) => {
                format!("url must not point to the short domain {h} (it would redirect in a loop)")
            }
            TargetError::Blocked(d) => format!("links to {d} are not allowed"),
        }
    }
}

/// Parses and normalises a new target (API input) with the WHATWG URL parser (the same
/// rules browsers apply), so what is stored is exactly what a browser will follow.
/// Internationalised domains come back as punycode. Stricter than the parser: the target
/// must be written out as `http://` or `https://` and its host must be one DNS can hold.
pub fn normalise(raw: &str) -> Result<String, TargetError> {
    let (url, out) = parse(raw)?;
    let raw = raw.trim();
    // The parser repairs `http:/a.de` and `http:a.de` into `http://a.de/`; a target is taken
    // as written, so only the form every client and the API's document agree on is.
    let starts = |p: &str| {
        raw.get(..p.len())
            .is_some_and(|s| s.eq_ignore_ascii_case(p))
    };
    if !starts("http://") && !starts("https://") {
        return Err(TargetError::Unparsable(
            "it must start with http:// or https://".into(),
        ));
    }
    // A host is a domain name (letters, digits, '-' and '_' in labels, punycode for IDNs)
    // or an IP address: the parser lets through names no DNS can hold (`a*b.de`).
    if let Some(url::Host::Domain(d)) = url.host() {
        let label_ok = |l: &str| {
            (1..=63).contains(&l.len())
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if !d.trim_end_matches('.').split('.').all(label_ok) {
            return Err(TargetError::Unparsable(format!(
                "'{d}' is not a domain name"
            )));
        }
    }
    Ok(out)
}

/// A target already stored (a restore) or kept by uLoad (the import): the WHATWG parser's
/// rules only, as when it was first accepted. The stricter rules of `normalise` apply to
/// new input; applying them to what exists would refuse a backup or drop links that work.
pub fn normalise_stored(raw: &str) -> Result<String, TargetError> {
    parse(raw).map(|(_, out)| out)
}

fn parse(raw: &str) -> Result<(Url, String), TargetError> {
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
    if url.host_str().is_none_or(str::is_empty) {
        return Err(TargetError::MissingHost);
    }
    let out = String::from(url.clone());
    // Normalising can lengthen a URL (percent-encoding); the limit applies to what is stored.
    if out.len() > MAX_LEN {
        return Err(TargetError::TooLong { max: MAX_LEN });
    }
    Ok((url, out))
}

/// Preview images (`og_image`) are fetched by crawlers, never followed by visitors: an
/// absolute http(s) URL without credentials, no longer than crawlers accept.
pub const MAX_IMAGE_LEN: usize = 2048;

/// Checks and normalises a preview image URL; the error names the field.
pub fn image_url(raw: &str) -> Result<String, String> {
    let out = normalise(raw).map_err(|e| e.message().replacen("url", "og_image", 1))?;
    if out.len() > MAX_IMAGE_LEN {
        return Err(format!("og_image must be at most {MAX_IMAGE_LEN} bytes"));
    }
    Ok(out)
}

/// Where links may not point: the service's own short hosts (a link to a short link is a
/// loop or a chain that hides the real target) and a configurable blocklist. Hosts are
/// lowercase ASCII (punycode), as `normalise` produces them.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub own_hosts: Vec<String>,
    pub blocked_domains: Vec<String>,
}

impl Policy {
    /// Parses comma-separated host lists as configured, normalising IDNs to punycode.
    pub fn new(own_hosts: &[String], blocked: &[String]) -> Self {
        let norm = |list: &[String]| -> Vec<String> {
            list.iter()
                .map(|h| h.trim().trim_start_matches("*.").trim_end_matches('.'))
                .filter(|h| !h.is_empty())
                .map(|h| idna::domain_to_ascii(h).unwrap_or_else(|_| h.to_ascii_lowercase()))
                .collect()
        };
        Policy {
            own_hosts: norm(own_hosts),
            blocked_domains: norm(blocked),
        }
    }

    /// Normalises `raw` and applies the policy.
    pub fn check(&self, raw: &str) -> Result<String, TargetError> {
        self.allows(normalise(raw)?)
    }

    /// `check` for a target already stored or imported (see `normalise_stored`).
    pub fn check_stored(&self, raw: &str) -> Result<String, TargetError> {
        self.allows(normalise_stored(raw)?)
    }

    fn allows(&self, out: String) -> Result<String, TargetError> {
        let host = Url::parse(&out)
            .ok()
            .and_then(|u| u.host_str().map(|h| h.trim_end_matches('.').to_string()))
            .unwrap_or_default();
        if self.own_hosts.contains(&host) {
            return Err(TargetError::RedirectLoop(host));
        }
        // A blocked domain blocks its subdomains too: "evil.example" blocks "a.evil.example".
        if let Some(d) = self
            .blocked_domains
            .iter()
            .find(|d| host == **d || host.ends_with(&format!(".{d}")))
        {
            return Err(TargetError::Blocked(d.clone()));
        }
        Ok(out)
    }
}

/// The URL as a person reads it: the host in Unicode (stored as punycode).
pub fn display(url: &str) -> String {
    // Most hosts are ASCII: no punycode label anywhere, nothing to parse (a list page shows
    // up to 100 links).
    if !url.contains("xn--") {
        return url.to_string();
    }
    let Ok(parsed) = Url::parse(url) else {
        return url.to_string();
    };
    match parsed.host_str() {
        Some(host) if host.contains("xn--") => {
            let (unicode, result) = idna::domain_to_unicode(host);
            if result.is_err() {
                return url.to_string();
            }
            // Replace only the host part of the serialisation.
            let prefix = format!("{}://", parsed.scheme());
            match url
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_prefix(host))
            {
                Some(rest) => format!("{prefix}{unicode}{rest}"),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> Policy {
        Policy::new(
            &["ulo.ad".into(), "www.ulo.ad".into()],
            &["evil.example".into(), "bäd.example".into()],
        )
    }

    #[test]
    fn refuses_links_to_the_short_domain() {
        assert_eq!(
            policy().check("https://ulo.ad/abc"),
            Err(TargetError::RedirectLoop("ulo.ad".into()))
        );
        assert_eq!(
            policy().check("https://ULO.AD./x"),
            Err(TargetError::RedirectLoop("ulo.ad".into()))
        );
        assert!(policy().check("https://docs.ulo.ad/").is_ok());
    }

    #[test]
    fn refuses_blocked_domains_and_their_subdomains() {
        let p = policy();
        assert_eq!(
            p.check("https://evil.example/"),
            Err(TargetError::Blocked("evil.example".into()))
        );
        assert_eq!(
            p.check("http://a.b.evil.example/"),
            Err(TargetError::Blocked("evil.example".into()))
        );
        assert!(p.check("https://notevil.example/").is_ok());
        assert!(matches!(
            p.check("https://bäd.example/"),
            Err(TargetError::Blocked(_))
        ));
    }

    #[test]
    fn displays_punycode_hosts_in_unicode() {
        assert_eq!(
            display("https://xn--bcher-kva.de/a?b=xn--"),
            "https://bücher.de/a?b=xn--"
        );
        assert_eq!(display("https://example.com/"), "https://example.com/");
        // A punycode label outside the host changes nothing.
        assert_eq!(
            display("https://example.com/xn--bcher-kva"),
            "https://example.com/xn--bcher-kva"
        );
        assert_eq!(
            display("https://xn--bcher-kva.de:8080/"),
            "https://bücher.de:8080/"
        );
    }

    #[test]
    fn accepts_and_normalises_http_and_https() {
        assert_eq!(
            normalise("https://Example.COM").unwrap(),
            "https://example.com/"
        );
        assert_eq!(
            normalise("  http://a.de/x?y=1#z ").unwrap(),
            "http://a.de/x?y=1#z"
        );
    }

    #[test]
    fn internationalised_domains_become_punycode() {
        assert_eq!(
            normalise("https://bücher.de/").unwrap(),
            "https://xn--bcher-kva.de/"
        );
    }

    #[test]
    fn refuses_other_schemes() {
        for (url, scheme) in [
            ("javascript:alert(1)", "javascript"),
            ("data:text/html,hi", "data"),
            ("file:///etc/passwd", "file"),
            ("ftp://a.de/", "ftp"),
        ] {
            assert_eq!(
                normalise(url),
                Err(TargetError::SchemeNotAllowed(scheme.into()))
            );
        }
    }

    #[test]
    fn refuses_garbage_credentials_and_empty() {
        assert!(matches!(
            normalise("not a url"),
            Err(TargetError::Unparsable(_))
        ));
        assert!(matches!(
            normalise("https://"),
            Err(TargetError::Unparsable(_))
        ));
        assert_eq!(
            normalise("https://u:p@a.de/"),
            Err(TargetError::CredentialsNotAllowed)
        );
        assert_eq!(
            normalise("https://u@a.de/"),
            Err(TargetError::CredentialsNotAllowed)
        );
        assert_eq!(normalise("   "), Err(TargetError::Empty));
    }

    #[test]
    fn takes_targets_as_written_with_a_host_dns_can_hold() {
        for bad in [
            "http:/a.de/",
            "http:a.de",
            "https:\\\\a.de",
            "http://a*b.de/",
            "http://a..b.de/",
        ] {
            assert!(
                matches!(normalise(bad), Err(TargetError::Unparsable(_))),
                "{bad}"
            );
        }
        for good in [
            "HTTP://A.DE/x",
            "https://my_host.example.com/",
            "http://1.2.3.4:8080/",
            "http://[::1]/",
            "https://bücher.de/",
            "http://a.de./",
        ] {
            assert!(normalise(good).is_ok(), "{good}");
        }
        // What exists (a backup, uLoad's links) is kept as the parser took it.
        assert_eq!(
            normalise_stored("http:/a.de").as_deref(),
            Ok("http://a.de/")
        );
        assert_eq!(
            normalise_stored("http://a*b.de/").as_deref(),
            Ok("http://a*b.de/")
        );
        let policy = Policy::new(&["ulo.ad".to_string()], &[]);
        assert!(policy.check("http://a*b.de/").is_err());
        assert!(policy.check_stored("http://a*b.de/").is_ok());
        assert!(
            policy.check_stored("https://ulo.ad/x").is_err(),
            "the policy still applies"
        );
    }

    #[test]
    fn accepts_long_targets_up_to_8_kb() {
        let base = "https://example.com/?q=";
        let ok = format!("{base}{}", "a".repeat(MAX_LEN - base.len()));
        assert_eq!(normalise(&ok).unwrap().len(), MAX_LEN);
        let too_long = format!("{ok}a");
        assert_eq!(
            normalise(&too_long),
            Err(TargetError::TooLong { max: MAX_LEN })
        );
    }

    #[test]
    fn length_is_checked_after_percent_encoding() {
        let raw = format!("https://example.com/{}x", " ".repeat(3000));
        assert_eq!(normalise(&raw), Err(TargetError::TooLong { max: MAX_LEN }));
    }
}
