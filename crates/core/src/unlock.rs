//! Unlocking password-protected links: after a correct password the visitor gets a signed
//! cookie for that one link, valid for a limited time. The signature covers the link id,
//! the expiry and the stored password hash, so a cookie cannot unlock another link and
//! every cookie dies when the password changes.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::token::constant_time_eq;

pub const COOKIE_NAME: &str = "ul_pw";
/// How long an unlock lasts.
pub const TTL_MS: u64 = 60 * 60 * 1000;

fn mac(secret: &[u8], link_id: &str, expires_ms: u64, password_hash: &str) -> String {
    let mut m = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    m.update(format!("{link_id}.{expires_ms}.{password_hash}").as_bytes());
    m.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The cookie value: `<expiry ms>.<hex HMAC>`.
pub fn sign(secret: &[u8], link_id: &str, password_hash: &str, now_ms: u64) -> String {
    let expires = now_ms + TTL_MS;
    format!("{expires}.{}", mac(secret, link_id, expires, password_hash))
}

pub fn verify(secret: &[u8], value: &str, link_id: &str, password_hash: &str, now_ms: u64) -> bool {
    let Some((exp, sig)) = value.split_once('.') else {
        return false;
    };
    let Ok(expires) = exp.parse::<u64>() else {
        return false;
    };
    expires > now_ms
        && expires <= now_ms + TTL_MS
        && constant_time_eq(
            sig.as_bytes(),
            mac(secret, link_id, expires, password_hash).as_bytes(),
        )
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie<'a>(header: Option<&'a str>, name: &str) -> Option<&'a str> {
    header?.split(';').find_map(|kv| {
        let (k, v) = kv.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// `Set-Cookie` for an unlock, scoped to the link's path.
pub fn set_cookie(value: &str, path: &str) -> String {
    format!(
        "{COOKIE_NAME}={value}; Path={path}; Max-Age={}; HttpOnly; Secure; SameSite=Lax",
        TTL_MS / 1000
    )
}

/// The password field of an `application/x-www-form-urlencoded` body.
pub fn form_password(body: &[u8]) -> Option<String> {
    url::form_urlencoded::parse(body)
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.into_owned())
}

/// Whose attempts a password guess counts against: the client's address, an IPv6 client
/// by its /64 (one subscriber usually holds a whole /64, so per-address limits would give
/// it 2^64 fresh tries).
pub fn attempt_client(ip: &str) -> String {
    match ip.parse::<std::net::Ipv6Addr>() {
        Ok(v6) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(v6) => v6
            .to_ipv4_mapped()
            .map_or_else(|| ip.to_string(), |v4| v4.to_string()),
        Err(_) => ip.to_string(),
    }
}

/// A password form posted from another site (its `Origin`, or the browser's
/// `Sec-Fetch-Site`): refused, so that other sites cannot burn a visitor's attempts or try
/// passwords with the visitor's address.
pub fn is_cross_site(origin: Option<&str>, sec_fetch_site: Option<&str>, own_origin: &str) -> bool {
    let fetch_site = sec_fetch_site.map(|s| s.trim().to_ascii_lowercase());
    if fetch_site.as_deref() == Some("cross-site") {
        return true;
    }
    match origin.map(str::trim) {
        None | Some("") => false,
        // An opaque origin (a sandboxed frame, a `no-referrer` page): only the browser's own
        // word that the form is this site's lets it through.
        Some("null") => !matches!(fetch_site.as_deref(), Some("same-origin")),
        Some(o) => !o.eq_ignore_ascii_case(own_origin),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_800_000_000_000;

    #[test]
    fn a_signed_cookie_unlocks_its_link_until_it_expires() {
        let v = sign(b"k", "link1", "$hash", NOW);
        assert!(verify(b"k", &v, "link1", "$hash", NOW));
        assert!(verify(b"k", &v, "link1", "$hash", NOW + TTL_MS - 1));
        assert!(!verify(b"k", &v, "link1", "$hash", NOW + TTL_MS));
    }

    #[test]
    fn it_does_not_unlock_anything_else() {
        let v = sign(b"k", "link1", "$hash", NOW);
        assert!(!verify(b"k", &v, "link2", "$hash", NOW), "another link");
        assert!(
            !verify(b"k", &v, "link1", "$newhash", NOW),
            "after a password change"
        );
        assert!(
            !verify(b"other", &v, "link1", "$hash", NOW),
            "another secret"
        );
        let (exp, sig) = v.split_once('.').unwrap();
        let later = exp.parse::<u64>().unwrap() + 1000;
        assert!(
            !verify(b"k", &format!("{later}.{sig}"), "link1", "$hash", NOW),
            "a stretched expiry"
        );
        let far = NOW + 10 * TTL_MS;
        let forged = format!("{far}.{}", mac(b"k", "link1", far, "$hash"));
        assert!(
            !verify(b"k", &forged, "link1", "$hash", NOW),
            "expiry beyond the TTL"
        );
        for junk in ["", ".", "x.y", "123", "123.", &v.to_uppercase()] {
            assert!(!verify(b"k", junk, "link1", "$hash", NOW), "{junk}");
        }
    }

    #[test]
    fn cookies_and_forms() {
        assert_eq!(
            cookie(Some("a=1; ul_pw=abc.def; b=2"), COOKIE_NAME),
            Some("abc.def")
        );
        assert_eq!(cookie(Some("ul_pwx=1"), COOKIE_NAME), None);
        assert_eq!(cookie(None, COOKIE_NAME), None);
        let c = set_cookie("v", "/promo");
        for part in [
            "ul_pw=v",
            "Path=/promo",
            "Max-Age=3600",
            "HttpOnly",
            "Secure",
            "SameSite=Lax",
        ] {
            assert!(c.contains(part), "{c}");
        }
        assert_eq!(
            form_password(b"password=s3cr%C3%A9t+x&x=1").as_deref(),
            Some("s3crét x")
        );
        assert_eq!(form_password(b"pw=1"), None);
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        assert_eq!(attempt_client("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(
            attempt_client("2001:db8:1:2:ffff:ffff:ffff:ffff"),
            "2001:db8:1:2::/64"
        );
        assert_eq!(attempt_client("203.0.113.7"), "203.0.113.7");
        assert_eq!(attempt_client("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(attempt_client("unknown"), "unknown");
    }

    #[test]
    fn forms_from_other_sites_are_recognised() {
        let own = "https://ulo.ad";
        assert!(
            !is_cross_site(None, None, own),
            "no Origin (older clients): judged by the limits"
        );
        assert!(!is_cross_site(
            Some("https://ulo.ad"),
            Some("same-origin"),
            own
        ));
        assert!(is_cross_site(Some("https://evil.example"), None, own));
        assert!(
            is_cross_site(Some("http://ulo.ad"), None, own),
            "another scheme is another origin"
        );
        assert!(is_cross_site(None, Some("cross-site"), own));
        assert!(is_cross_site(Some("null"), None, own));
        assert!(is_cross_site(Some("null"), Some("same-site"), own));
        assert!(
            !is_cross_site(Some("null"), Some("same-origin"), own),
            "the browser vouches for it"
        );
    }
}
