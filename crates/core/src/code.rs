//! Short codes: random generation and validation of custom codes.

/// Random codes avoid characters that are easily confused when read aloud or printed:
/// 0/O/o, 1/l/I/i. 55 symbols, so 7 characters give 55^7 ≈ 1.5e12 codes.
pub const ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ";
pub const RANDOM_LEN: usize = 7;
pub const MIN_LEN: usize = 3;
pub const MAX_LEN: usize = 50;

/// Paths the worker or the uLoad origin app serve; a link with such a code would shadow
/// them (or be shadowed). Compared case-insensitively so `API` cannot shadow `api` either.
pub const RESERVED: &[&str] = &[
    "api",
    "health",
    "metrics",
    "u",
    "p",
    "w",
    "my",
    "login",
    "logout",
    "register",
    "signup",
    "admin",
    "dashboard",
    "settings",
    "auth",
    "static",
    "assets",
    "_app",
    "favicon.ico",
    "robots.txt",
    "sitemap.xml",
    "manifest.json",
    "about",
    "pricing",
    "privacy",
    "terms",
    "imprint",
    "impressum",
    "datenschutz",
    "agb",
    "help",
    "docs",
    "blog",
    "contact",
    "profile",
    "account",
    "billing",
    "links",
    "tags",
    "analytics",
    "stats",
    "qr",
    "new",
    "edit",
    "delete",
    "forgot-password",
    "reset-password",
    "verify",
    "oauth",
    "callback",
    "well-known",
    ".well-known",
    "sw.js",
    "service-worker.js",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeError {
    TooShort {
        min: usize,
    },
    TooLong {
        max: usize,
    },
    InvalidCharacter(char),
    Reserved(String),
    /// `someone/code` where `someone` is not the acting user's username.
    ForeignPrefix(String),
}

impl CodeError {
    pub fn message(&self) -> String {
        match self {
            CodeError::TooShort { min } => format!("code must be at least {min} characters"),
            CodeError::TooLong { max } => format!("code must be at most {max} characters"),
            CodeError::InvalidCharacter(c) => {
                format!("code may only contain A-Z, a-z, 0-9, '_' and '-' (found {c:?})")
            }
            CodeError::Reserved(w) => format!("'{w}' is reserved and cannot be used as a code"),
            CodeError::ForeignPrefix(p) => {
                format!("codes of the form name/code need your own username as name, not '{p}'")
            }
        }
    }
}

/// Maps random bytes to a string over `alphabet` by rejection sampling, so every symbol is equally likely
/// (a plain `byte % 55` would favour the first symbols). Returns `None` when the bytes ran
/// out before enough were accepted; the caller then draws more.
pub fn sample(bytes: &[u8], alphabet: &[u8], len: usize) -> Option<String> {
    debug_assert!(!alphabet.is_empty() && alphabet.len() <= 256);
    // Largest multiple of the alphabet size that fits in a byte: 220 for 55 symbols.
    let limit = (256 / alphabet.len() * alphabet.len()) as u16;
    let code: String = bytes
        .iter()
        .filter(|b| u16::from(**b) < limit)
        .take(len)
        .map(|b| alphabet[usize::from(*b) % alphabet.len()] as char)
        .collect();
    (code.len() == len).then_some(code)
}

/// Validates a custom code as the user typed it. Codes are case-sensitive, as in uLoad.
pub fn validate_custom(code: &str) -> Result<(), CodeError> {
    let len = code.chars().count();
    if len < MIN_LEN {
        return Err(CodeError::TooShort { min: MIN_LEN });
    }
    if len > MAX_LEN {
        return Err(CodeError::TooLong { max: MAX_LEN });
    }
    if let Some(c) = code
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(CodeError::InvalidCharacter(c));
    }
    if is_reserved(code) {
        return Err(CodeError::Reserved(code.to_string()));
    }
    Ok(())
}

/// Validates a code as stored: either a plain code, or `username/code`, the form uLoad serves
/// at `/u/{username}/{code}`, which only that user may claim.
pub fn validate_stored(code: &str, username: Option<&str>) -> Result<(), CodeError> {
    match code.split_once('/') {
        None => validate_custom(code),
        Some((prefix, rest)) => {
            // Only a real username makes a /u/ path (not `~{id}`, the name of no name).
            if username != Some(prefix) || !super::username::is_valid(prefix) {
                return Err(CodeError::ForeignPrefix(prefix.to_string()));
            }
            // Under a user's prefix nothing can shadow a route, so no reserved words apply.
            validate_custom(rest).or_else(|e| match e {
                CodeError::Reserved(_) => Ok(()),
                other => Err(other),
            })
        }
    }
}

/// Whether a code can be had (`GET /api/v1/links/availability`).
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Availability {
    pub code: String,
    pub available: bool,
    /// Why not: taken (another link has it), reserved (a path the service uses) or invalid
    /// (not a code this user may have); null when available.
    #[schemars(extend("enum" = ["taken", "reserved", "invalid", null]))]
    pub reason: Option<&'static str>,
    /// The reason in words; null when available.
    pub detail: Option<String>,
}

/// Whether `code` can be had by this user: `Ok(())` if it is a valid code for them (then
/// only its being taken decides), else why not (`reason`, `detail`).
pub fn availability(code: &str, username: Option<&str>) -> Result<(), (&'static str, String)> {
    validate_stored(code, username).map_err(|e| {
        let reason = match e {
            CodeError::Reserved(_) => "reserved",
            _ => "invalid",
        };
        (reason, e.message())
    })
}

/// The path a code is served at: `/{code}`, or `/u/{username}/{code}` for user codes.
pub fn public_path(code: &str) -> String {
    if code.contains('/') {
        format!("/u/{code}")
    } else {
        format!("/{code}")
    }
}

pub fn is_reserved(code: &str) -> bool {
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabet_has_no_look_alikes_and_no_duplicates() {
        for c in b"0Oo1lIi" {
            assert!(!ALPHABET.contains(c), "{} is a look-alike", *c as char);
        }
        let mut sorted = ALPHABET.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ALPHABET.len());
        assert_eq!(ALPHABET.len(), 55);
    }

    #[test]
    fn random_code_uses_only_the_alphabet_and_has_fixed_length() {
        let bytes: Vec<u8> = (0..=255).collect();
        let code = sample(&bytes, ALPHABET, RANDOM_LEN).unwrap();
        assert_eq!(code.len(), RANDOM_LEN);
        assert!(code.bytes().all(|b| ALPHABET.contains(&b)));
    }

    #[test]
    fn bytes_above_the_rejection_limit_are_skipped() {
        // 220..=255 would bias the distribution; they must be dropped, not wrapped.
        let bytes = [255, 230, 220, 0, 1, 2, 3, 4, 5, 6];
        assert_eq!(sample(&bytes, ALPHABET, 7).unwrap(), "2345678");
        assert_eq!(sample(&[250; 32], ALPHABET, 7), None);
    }

    #[test]
    fn every_symbol_is_equally_likely_over_a_full_byte_cycle() {
        let bytes: Vec<u8> = (0..220).collect();
        let code = sample(&bytes, ALPHABET, 220).unwrap();
        for sym in ALPHABET {
            assert_eq!(code.bytes().filter(|b| b == sym).count(), 4);
        }
    }

    #[test]
    fn custom_codes_are_validated() {
        assert_eq!(validate_custom("my-link_2"), Ok(()));
        assert_eq!(validate_custom("ab"), Err(CodeError::TooShort { min: 3 }));
        assert_eq!(
            validate_custom(&"a".repeat(51)),
            Err(CodeError::TooLong { max: 50 })
        );
        assert_eq!(validate_custom(&"a".repeat(50)), Ok(()));
        assert_eq!(
            validate_custom("a/bc"),
            Err(CodeError::InvalidCharacter('/'))
        );
        assert_eq!(
            validate_custom("äbc"),
            Err(CodeError::InvalidCharacter('ä'))
        );
        assert_eq!(
            validate_custom("a c"),
            Err(CodeError::InvalidCharacter(' '))
        );
    }

    #[test]
    fn reserved_words_are_refused_in_any_case() {
        assert_eq!(
            validate_custom("api"),
            Err(CodeError::Reserved("api".into()))
        );
        assert_eq!(
            validate_custom("Login"),
            Err(CodeError::Reserved("Login".into()))
        );
        assert!(validate_custom("apis").is_ok());
    }

    #[test]
    fn user_prefixed_codes_belong_to_their_user() {
        assert_eq!(validate_stored("alice/promo", Some("alice")), Ok(()));
        assert_eq!(validate_stored("alice/api", Some("alice")), Ok(()));
        assert_eq!(
            validate_stored("bob/promo", Some("alice")),
            Err(CodeError::ForeignPrefix("bob".into()))
        );
        assert_eq!(
            validate_stored("a/promo", None),
            Err(CodeError::ForeignPrefix("a".into()))
        );
        assert_eq!(
            validate_stored("alice/x/y", Some("alice")),
            Err(CodeError::InvalidCharacter('/'))
        );
        assert_eq!(validate_stored("promo", Some("alice")), Ok(()));
        // A user without a username (`~{id}`) gets no /u/ path.
        assert_eq!(
            validate_stored("~u1/promo", Some("~u1")),
            Err(CodeError::ForeignPrefix("~u1".into()))
        );
    }

    #[test]
    fn public_paths() {
        assert_eq!(public_path("promo"), "/promo");
        assert_eq!(public_path("alice/promo"), "/u/alice/promo");
    }

    #[test]
    fn error_messages_name_the_rule() {
        assert!(CodeError::InvalidCharacter('/').message().contains("'/'"));
        assert!(CodeError::Reserved("api".into())
            .message()
            .contains("reserved"));
    }
}
