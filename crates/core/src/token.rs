//! Bearer tokens.

/// The header in which the dashboard's server (service token) names the user it acts for.
pub const ACT_AS_HEADER: &str = "x-uload-user";

/// Compares in time that depends only on the lengths, never on where the first difference
/// is, so response timing does not leak a token prefix.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Compares a presented secret with the expected one without revealing, by timing, where
/// they differ or how long the expected one is: both are hashed (SHA-256) and the digests,
/// always 32 bytes, compared in constant time.
pub fn secrets_match(presented: &[u8], expected: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    constant_time_eq(&Sha256::digest(presented), &Sha256::digest(expected))
}

/// Extracts the token of an `Authorization: Bearer <token>` header value.
pub fn bearer(header: Option<&str>) -> Option<&str> {
    let value = header?.trim();
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_and_unequal() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secret2"));
        assert!(!constant_time_eq(b"", b"x"));
    }

    #[test]
    fn parses_bearer_headers() {
        assert_eq!(bearer(Some("Bearer abc")), Some("abc"));
        assert_eq!(bearer(Some("bearer   abc ")), Some("abc"));
        assert_eq!(bearer(Some("Basic abc")), None);
        assert_eq!(bearer(Some("Bearer ")), None);
        assert_eq!(bearer(Some("Bearer")), None);
        assert_eq!(bearer(None), None);
    }

    #[test]
    fn secrets_match_by_digest() {
        assert!(secrets_match(b"a-long-secret", b"a-long-secret"));
        assert!(!secrets_match(b"a-long-secret", b"a-long-secreT"));
        assert!(
            !secrets_match(b"a", b"a-long-secret"),
            "a prefix is not the secret"
        );
        assert!(!secrets_match(b"", b"x"));
    }
}
