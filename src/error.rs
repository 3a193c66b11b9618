//! Errors of the HTTP layer, and their one mapping to problem documents.

use crate::store::StoreError;
use uload_core::problem::{Code, FieldError, Problem};

#[derive(Debug)]
pub enum ApiError {
    Unauthorized,
    InvalidJson(String),
    UnsupportedMediaType,
    /// A request header that is present but unusable (an empty X-Uload-User).
    InvalidHeader {
        header: &'static str,
        detail: &'static str,
    },
    PayloadTooLarge {
        max: usize,
    },
    Validation(Vec<FieldError>),
    /// A unique value is taken (code, tag slug, username).
    Conflict {
        code: Code,
        field: &'static str,
        detail: String,
    },
    /// The link changed since the client read it (If-Match).
    PreconditionFailed {
        current_etag: String,
    },
    IdempotencyKeyReused,
    IdempotencyInFlight,
    /// Over a rate limit.
    RateLimited {
        scope: &'static str,
        retry_after: u32,
        limit: u32,
        window_s: u64,
    },
    /// Authenticated, but this principal may not do this (e.g. an API key managing users).
    Forbidden(String),
    NotFound,
    MethodNotAllowed {
        allow: &'static str,
    },
    /// A dependency is down; the request changed nothing and may be retried.
    Unavailable {
        dependency: &'static str,
        retry_after: u32,
    },
    /// Restore mode is on (a restore is pending or running): writes wait for it.
    RestoreMode(&'static str),
    /// A request the worker understands but does not serve (a WebSocket handshake for the app).
    NotImplemented(&'static str),
    /// A link target an abuse rule refuses (`uload_core::abuse`): the rule is named.
    TargetRefused {
        field: String,
        rule: &'static str,
        detail: String,
    },
    /// A backup that cannot be restored (damaged, truncated, unknown format or schema).
    BackupUnusable(String),
    /// A bug or an impossible state: logged with detail, answered without it.
    Internal(String),
}

impl ApiError {
    pub fn code_taken(code: &str) -> Self {
        ApiError::Conflict {
            code: Code::CodeTaken,
            field: "code",
            detail: format!("the code '{code}' is already taken"),
        }
    }

    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    pub fn to_problem(&self) -> Problem {
        match self {
            ApiError::Unauthorized => Problem::new(Code::Unauthorized, "Authentication required")
                .with_detail("send Authorization: Bearer <token>"),
            ApiError::InvalidJson(why) => {
                Problem::new(Code::InvalidJson, "Malformed JSON body").with_detail(why.clone())
            }
            ApiError::UnsupportedMediaType => {
                Problem::new(Code::UnsupportedMediaType, "Unsupported content type")
                    .with_detail("send Content-Type: application/json")
            }
            ApiError::InvalidHeader { header, detail } => {
                Problem::new(Code::InvalidHeader, "Invalid request header")
                    .with_detail(format!("{header}: {detail}"))
                    .with_errors(vec![FieldError::new(header, *detail)])
            }
            ApiError::PayloadTooLarge { max } => {
                Problem::new(Code::PayloadTooLarge, "Request body too large")
                    .with_detail(format!("the body must be at most {max} bytes"))
            }
            ApiError::Validation(errors) => {
                Problem::new(Code::ValidationFailed, "The request is invalid")
                    .with_detail(summary(errors))
                    .with_errors(errors.clone())
            }
            ApiError::Conflict {
                code,
                field,
                detail,
            } => Problem::new(*code, "Conflict")
                .with_detail(detail.clone())
                .with_errors(vec![FieldError::new(field, "already taken")]),
            ApiError::PreconditionFailed { .. } => {
                Problem::new(Code::PreconditionFailed, "The link changed")
                    .with_detail("the link was changed since you read it; fetch it again and retry")
            }
            ApiError::IdempotencyKeyReused => {
                Problem::new(Code::IdempotencyKeyReused, "Idempotency-Key reused")
                    .with_detail("this Idempotency-Key was used for a different request")
            }
            ApiError::IdempotencyInFlight => {
                Problem::new(Code::IdempotencyInFlight, "Request in progress")
                    .with_detail("a request with this Idempotency-Key is still being processed")
                    .with_retry_after(1)
            }
            ApiError::RateLimited {
                scope,
                retry_after,
                limit,
                window_s,
            } => Problem::new(Code::RateLimited, "Too many requests")
                .with_detail(format!(
                    "the {scope} limit of {limit} per {window_s} s is used up"
                ))
                .with_retry_after(*retry_after)
                .with_limit(*limit, *window_s),
            ApiError::Forbidden(why) => {
                Problem::new(Code::Forbidden, "Forbidden").with_detail(why.clone())
            }
            ApiError::NotFound => Problem::new(Code::NotFound, "Not found"),
            ApiError::MethodNotAllowed { allow } => {
                Problem::new(Code::MethodNotAllowed, "Method not allowed")
                    .with_detail(format!("allowed: {allow}"))
            }
            ApiError::Unavailable {
                dependency,
                retry_after,
            } => Problem::new(Code::Unavailable, "Temporarily unavailable")
                .with_detail(format!("{dependency} is unavailable; nothing was changed"))
                .with_retry_after(*retry_after),
            ApiError::RestoreMode(why) => Problem::new(Code::RestoreMode, "Paused for a restore")
                .with_detail(format!("{why}; nothing was changed"))
                .with_retry_after(60),
            ApiError::NotImplemented(why) => {
                Problem::new(Code::NotImplemented, "Not implemented").with_detail(*why)
            }
            ApiError::TargetRefused {
                field,
                rule,
                detail,
            } => Problem::new(Code::TargetRefused, "The target is not allowed")
                .with_detail(format!("{rule}: {detail}"))
                .with_errors(vec![FieldError::new(field, format!("{rule}: {detail}"))]),
            ApiError::BackupUnusable(why) => {
                Problem::new(Code::BackupUnusable, "The backup cannot be restored")
                    .with_detail(format!("{why}; nothing was changed"))
            }
            ApiError::Internal(_) => Problem::new(Code::Internal, "Internal error"),
        }
    }
}

fn summary(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(|e| e.message.as_str())
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable { dependency, .. } => ApiError::Unavailable {
                dependency,
                retry_after: 30,
            },
            StoreError::Corrupt(why) => ApiError::Internal(why),
            StoreError::Conflict(crate::store::constraint::Constraint::Reference) => {
                ApiError::validation(
                    uload_core::token::ACT_AS_HEADER,
                    "no such user: it was deleted",
                )
            }
            StoreError::Conflict(which) => {
                ApiError::Internal(format!("unexpected conflict: {which:?}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_codes_are_stable() {
        let cases: Vec<(ApiError, u16, &str)> = vec![
            (ApiError::Unauthorized, 401, "unauthorized"),
            (ApiError::InvalidJson("x".into()), 400, "invalid_json"),
            (
                ApiError::UnsupportedMediaType,
                415,
                "unsupported_media_type",
            ),
            (
                ApiError::PayloadTooLarge { max: 1 },
                413,
                "payload_too_large",
            ),
            (ApiError::Validation(vec![]), 422, "validation_failed"),
            (
                ApiError::InvalidHeader {
                    header: "x",
                    detail: "y",
                },
                400,
                "invalid_header",
            ),
            (ApiError::code_taken("a"), 409, "code_taken"),
            (
                ApiError::PreconditionFailed {
                    current_etag: "\"v1\"".into(),
                },
                412,
                "precondition_failed",
            ),
            (
                ApiError::IdempotencyKeyReused,
                422,
                "idempotency_key_reused",
            ),
            (ApiError::IdempotencyInFlight, 409, "idempotency_in_flight"),
            (ApiError::Forbidden("x".into()), 403, "forbidden"),
            (
                ApiError::RateLimited {
                    scope: "api",
                    retry_after: 3,
                    limit: 100,
                    window_s: 900,
                },
                429,
                "rate_limited",
            ),
            (ApiError::NotFound, 404, "not_found"),
            (
                ApiError::MethodNotAllowed { allow: "GET" },
                405,
                "method_not_allowed",
            ),
            (
                ApiError::Unavailable {
                    dependency: "D1",
                    retry_after: 5,
                },
                503,
                "unavailable",
            ),
            (ApiError::NotImplemented("x"), 501, "not_implemented"),
            (ApiError::RestoreMode("x"), 503, "restore_mode"),
            (
                ApiError::TargetRefused {
                    field: "url".into(),
                    rule: "url_shortener",
                    detail: "x".into(),
                },
                422,
                "target_refused",
            ),
            (ApiError::Internal("secret detail".into()), 500, "internal"),
        ];
        for (err, status, code) in cases {
            let p = err.to_problem();
            assert_eq!((p.status, p.code.as_str()), (status, code));
        }
    }

    #[test]
    fn internal_detail_is_not_leaked() {
        let p = ApiError::Internal("db password wrong".into()).to_problem();
        assert!(p.detail.is_none());
    }
}
