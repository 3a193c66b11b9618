//! RFC 9457 problem documents: the one shape every error of this service takes.

use serde::Serialize;

pub const CONTENT_TYPE: &str = "application/problem+json";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// A URI naming the problem type; stable, so clients can branch on it.
    #[serde(rename = "type")]
    pub type_uri: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The same identity as `type`, short: what client code switches on.
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    #[serde(rename = "retryAfter", skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u32>,
    /// On 429: the limit and its window (seconds) that were hit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<u64>,
}

impl Problem {
    pub fn new(status: u16, code: &str, title: &str) -> Self {
        Self {
            type_uri: format!("urn:uload:problem:{code}"),
            title: title.to_string(),
            status,
            detail: None,
            code: code.to_string(),
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
    fn serialises_to_rfc9457_members() {
        let p = Problem::new(422, "validation_failed", "Invalid request")
            .with_errors(vec![FieldError::new("url", "bad")]);
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["type"], "urn:uload:problem:validation_failed");
        assert_eq!(v["status"], 422);
        assert_eq!(v["errors"][0]["field"], "url");
        assert!(v.get("detail").is_none());
        assert!(v.get("retryAfter").is_none());
    }
}
