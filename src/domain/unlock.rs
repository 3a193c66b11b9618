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
}
