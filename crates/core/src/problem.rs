//! RFC 9457 problem documents: the one shape every error of this service takes.

use schemars::JsonSchema;
use serde::Serialize;

pub const CONTENT_TYPE: &str = "application/problem+json";

/// Declares `Code`: each problem's stable `code` with the one HTTP status it comes with.
macro_rules! codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $code:literal, $status:literal;)*) => {
        /// Every problem this service answers with. The status follows from the code, so the
        /// two never disagree; the OpenAPI document's `Problem.code` enum is generated from
        /// `Code::ALL` (crates/openapi), and the README's table is checked against it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Code {
            $($(#[doc = $doc])* $variant),*
        }

        impl Code {
            /// Every code, in the order of their statuses.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code),*
                }
            }

            pub fn status(self) -> u16 {
                match self {
                    $(Code::$variant => $status),*
                }
            }
        }
    };
}

codes! {
    /// A JSON body that does not parse (or is not an object where one is needed).
    InvalidJson = "invalid_json", 400;
    /// A request header that is present but unusable.
    InvalidHeader = "invalid_header", 400;
    /// No credentials, or unknown ones.
    Unauthorized = "unauthorized", 401;
    /// A password-protected link asked for by a client that wants JSON.
    PasswordRequired = "password_required", 401;
    /// Authenticated, but not allowed to do this.
    Forbidden = "forbidden", 403;
    /// No such route or resource (or not the caller's).
    NotFound = "not_found", 404;
    /// No link with this code.
    LinkNotFound = "link_not_found", 404;
    /// A method the route does not serve.
    MethodNotAllowed = "method_not_allowed", 405;
    /// The short code is taken.
    CodeTaken = "code_taken", 409;
    /// The user has a tag with this slug.
    TagExists = "tag_exists", 409;
    /// The username is taken.
    UsernameTaken = "username_taken", 409;
    /// The username was someone's until recently (their links keep working).
    UsernameHeld = "username_held", 409;
    /// The user has as many webhook endpoints as allowed.
    TooManyWebhooks = "too_many_webhooks", 409;
    /// A restore into a database that holds links.
    DatabaseNotEmpty = "database_not_empty", 409;
    /// The first request with this Idempotency-Key is still running.
    IdempotencyInFlight = "idempotency_in_flight", 409;
    /// A link held for abuse review.
    LinkHeld = "link_held", 409;
    /// An expired link, or one past its click limit.
    LinkGone = "link_gone", 410;
    /// If-Match names an older version.
    PreconditionFailed = "precondition_failed", 412;
    /// A body over the route's limit.
    PayloadTooLarge = "payload_too_large", 413;
    /// A body that is not JSON where JSON is needed.
    UnsupportedMediaType = "unsupported_media_type", 415;
    /// Fields that break the API's rules (each named in `errors`).
    ValidationFailed = "validation_failed", 422;
    /// An Idempotency-Key sent again with another request.
    IdempotencyKeyReused = "idempotency_key_reused", 422;
    /// A target an abuse rule refuses.
    TargetRefused = "target_refused", 422;
    /// A backup that cannot be restored.
    BackupUnusable = "backup_unusable", 422;
    /// Over a rate limit.
    RateLimited = "rate_limited", 429;
    /// A link disabled for abuse.
    LinkBlocked = "link_blocked", 451;
    /// A bug: logged with detail, answered without it.
    Internal = "internal", 500;
    /// Understood, not served here.
    NotImplemented = "not_implemented", 501;
    /// A dependency is down; nothing was changed.
    Unavailable = "unavailable", 503;
    /// Writes wait for a restore.
    RestoreMode = "restore_mode", 503;
}

/// One field that breaks a rule, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem document: what every error of the API answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Problem {
    /// A URI naming the problem type; stable, so clients can branch on it.
    #[serde(rename = "type")]
    #[schemars(extend("format" = "uri"))]
    pub type_uri: String,
    pub title: String,
    #[schemars(range(min = 400, max = 599))]
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The same identity as `type`, short: what client code switches on (the README lists
    /// what each means). New codes may be added within v1: a client should act on `status`
    /// for a code it does not know.
    #[schemars(schema_with = "code_schema")]
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// Seconds after which a retry may succeed (as the Retry-After header says).
    #[serde(rename = "retryAfter", skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
    /// On 429: the limit that was hit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// On 429: the limit's window in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<u64>,
}

/// `code`: one of `Code::ALL`.
fn code_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let codes: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    schemars::json_schema!({ "type": "string", "enum": codes })
}

impl Problem {
    pub fn new(code: Code, title: &str) -> Self {
        Self {
            type_uri: format!("urn:uload:problem:{}", code.as_str()),
            title: title.to_string(),
            status: code.status(),
            detail: None,
            code: code.as_str().to_string(),
            errors: Vec::new(),
            retry_after: None,
            limit: None,
            window: None,
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn with_errors(mut self, errors: Vec<FieldError>) -> Self {
        self.errors = errors;
        self
    }

    pub fn with_limit(mut self, limit: u32, window_s: u64) -> Self {
        self.limit = Some(limit);
        self.window = Some(window_s);
        self
    }

    pub fn with_retry_after(mut self, seconds: u32) -> Self {
        self.retry_after = Some(seconds);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_code_is_unique_snake_case_with_an_error_status_in_status_order() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Code::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                s.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{s}"
            );
            assert!((400..600).contains(&c.status()), "{s}");
        }
        assert!(Code::ALL.windows(2).all(|w| w[0].status() <= w[1].status()));
        let p = Problem::new(Code::LinkGone, "Gone");
        assert_eq!(
            (p.status, p.code.as_str()),
            (410, "link_gone"),
            "status from the code"
        );
    }

    #[test]
    fn serialises_to_rfc9457_members() {
        let p = Problem::new(Code::ValidationFailed, "Invalid request")
            .with_errors(vec![FieldError::new("url", "bad")]);
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["type"], "urn:uload:problem:validation_failed");
        assert_eq!(v["status"], 422);
        assert_eq!(v["errors"][0]["field"], "url");
        assert!(v.get("detail").is_none());
        assert!(v.get("retryAfter").is_none());
    }
}
