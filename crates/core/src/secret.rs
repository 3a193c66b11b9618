//! Secrets the service mints or checks: API keys (stored as SHA-256), password hashes
//! (PBKDF2 in PHC string form; the derivation itself runs in WebCrypto, see
//! `crate::crypto`), request fingerprints for idempotency.

use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::code;
use super::token::constant_time_eq;

/// The shortest secret the worker accepts (SERVICE_TOKEN, COOKIE_SECRET, ANALYTICS_SALT,
/// METRICS_TOKEN): 32 bytes, a full HMAC-SHA-256 key's worth. A shorter one counts as unset
/// (its feature fails closed or is off) and fails `/health/ready`.
pub const MIN_SECRET_BYTES: usize = 32;

/// What is wrong with a secret's value, if anything. `required`: unset is a problem too.
pub fn secret_problem(name: &str, value: Option<&str>, required: bool) -> Option<String> {
    match value.filter(|v| !v.is_empty()) {
        None if required => Some(format!("secret {name} is not set")),
        None => None,
        Some(v) if v.len() < MIN_SECRET_BYTES => Some(format!(
            "secret {name} is shorter than {MIN_SECRET_BYTES} bytes ({} bytes)",
            v.len()
        )),
        Some(_) => None,
    }
}

pub const API_KEY_PREFIX: &str = "ul_";
const API_KEY_ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/// 32 symbols of 62: about 190 bits, far beyond guessing; SHA-256 (no salt, no stretching)
/// is then enough to store it, and lets a key be found by its hash in one index lookup.
pub const API_KEY_LEN: usize = 32;
pub const API_KEY_DISPLAY_LEN: usize = 10;

pub fn sha256_hex(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Turns random bytes into an API key; `None` when more bytes are needed.
pub fn api_key_from_random(bytes: &[u8]) -> Option<String> {
    code::sample(bytes, API_KEY_ALPHABET, API_KEY_LEN).map(|s| format!("{API_KEY_PREFIX}{s}"))
}

pub fn looks_like_api_key(token: &str) -> bool {
    token.len() == API_KEY_PREFIX.len() + API_KEY_LEN && token.starts_with(API_KEY_PREFIX)
}

/// Identifies a request for Idempotency-Key: the same key with another request is an error.
pub fn fingerprint(method: &str, path: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    for part in [method.as_bytes(), b"\n", path.as_bytes(), b"\n", body] {
        h.update(part);
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// An Idempotency-Key's length, at most.
pub const MAX_IDEMPOTENCY_KEY: usize = 255;

/// Idempotency keys: what clients send (UUIDs, usually); printable ASCII, 1 to 255.
pub fn valid_idempotency_key(key: &str) -> bool {
    (1..=MAX_IDEMPOTENCY_KEY).contains(&key.len())
        && key.bytes().all(|b| (0x21..=0x7e).contains(&b))
}

/// PBKDF2-HMAC-SHA256. 100,000 iterations is the most workerd's WebCrypto allows (it refuses
/// more), and is OWASP's floor for PBKDF2-SHA256 with a per-password salt.
pub const PBKDF2_ITERATIONS: u32 = 100_000;
pub const SALT_LEN: usize = 16;
pub const HASH_LEN: usize = 32;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordHash {
    pub iterations: u32,
    pub salt: Vec<u8>,
    pub hash: Vec<u8>,
}

impl PasswordHash {
    /// `$pbkdf2-sha256$i=100000$<salt>$<hash>` (PHC string format, unpadded base64).
    pub fn to_phc(&self) -> String {
        format!(
            "$pbkdf2-sha256$i={}${}${}",
            self.iterations,
            B64.encode(&self.salt),
            B64.encode(&self.hash)
        )
    }

    pub fn parse(phc: &str) -> Option<Self> {
        let rest = phc.strip_prefix("$pbkdf2-sha256$i=")?;
        let mut parts = rest.split('$');
        let iterations = parts.next()?.parse().ok().filter(|i| *i > 0)?;
        let salt = B64.decode(parts.next()?).ok()?;
        let hash = B64.decode(parts.next()?).ok()?;
        if parts.next().is_some() || salt.is_empty() || hash.is_empty() {
            return None;
        }
        Some(Self {
            iterations,
            salt,
            hash,
        })
    }

    pub fn matches(&self, derived: &[u8]) -> bool {
        constant_time_eq(&self.hash, derived)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_known_answer() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn api_keys_have_a_prefix_and_fixed_length() {
        let bytes: Vec<u8> = (0..=255).collect();
        let key = api_key_from_random(&bytes).unwrap();
        assert!(looks_like_api_key(&key), "{key}");
        assert!(!looks_like_api_key("ul_short"));
        assert!(!looks_like_api_key(&key.replacen("ul_", "xx_", 1)));
    }

    #[test]
    fn fingerprints_separate_fields() {
        assert_ne!(
            fingerprint("POST", "/a", b"b"),
            fingerprint("POST", "/ab", b"")
        );
        assert_eq!(
            fingerprint("POST", "/a", b"b"),
            fingerprint("POST", "/a", b"b")
        );
    }

    #[test]
    fn idempotency_keys() {
        assert!(valid_idempotency_key("3f1c-uuid"));
        assert!(!valid_idempotency_key(""));
        assert!(!valid_idempotency_key("has space"));
        assert!(!valid_idempotency_key(&"a".repeat(256)));
    }

    #[test]
    fn phc_round_trip_and_rejects() {
        let h = PasswordHash {
            iterations: 100_000,
            salt: vec![1; 16],
            hash: vec![2; 32],
        };
        let s = h.to_phc();
        assert!(s.starts_with("$pbkdf2-sha256$i=100000$"));
        assert_eq!(PasswordHash::parse(&s), Some(h.clone()));
        assert!(h.matches(&[2; 32]));
        assert!(!h.matches(&[2; 31]));
        for bad in [
            "",
            "$argon2id$v=19$x",
            "$pbkdf2-sha256$i=0$AQ$Ag",
            "$pbkdf2-sha256$i=1$$Ag",
            "$pbkdf2-sha256$i=1$AQ$Ag$x",
        ] {
            assert_eq!(PasswordHash::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn secrets_need_32_bytes() {
        assert_eq!(secret_problem("X", Some(&"a".repeat(32)), true), None);
        assert!(secret_problem("X", Some(&"a".repeat(31)), true)
            .unwrap()
            .contains("shorter than 32"));
        assert!(
            secret_problem("X", Some("x"), false).is_some(),
            "set but short is a problem even when optional"
        );
        assert!(secret_problem("X", None, true).unwrap().contains("not set"));
        assert!(secret_problem("X", Some(""), true)
            .unwrap()
            .contains("not set"));
        assert_eq!(
            secret_problem("X", None, false),
            None,
            "an optional secret may be unset"
        );
    }
}
