//! Abuse reports from the public: what a report must say, which link it names (a code or
//! a URL of this worker), and when reports hold a link for review. Pure.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::problem::FieldError;

/// The longest link a report may name (a short URL is far shorter).
pub const MAX_LINK_LEN: usize = 2048;
pub const MAX_DETAILS: usize = 1000;
pub const MAX_CONTACT: usize = 200;

pub const REASONS: [&str; 5] = ["phishing", "malware", "spam", "illegal", "other"];

/// What a reporter is told: the report was taken (whatever becomes of it).
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ReportReceived {
    #[schemars(extend("const" = "received"))]
    pub status: &'static str,
}

/// A stored abuse report, as the admin API lists it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(rename = "AbuseReport", deny_unknown_fields)]
pub struct ReportEntry {
    pub id: String,
    pub link_id: String,
    pub code: String,
    #[schemars(extend("enum" = REASONS))]
    pub reason: String,
    pub details: Option<String>,
    pub contact: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
}

/// A valid report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The link's code as stored (`promo`, `alice/cv`).
    pub code: String,
    pub reason: String,
    pub details: Option<String>,
    pub contact: Option<String>,
}

/// The code a reported "link" names: a code, a path (`/promo`, `/u/alice/cv`) or a URL
/// on one of `hosts` (this worker's short domains). `None`: not one of our links.
pub fn code_of(link: &str, hosts: &[String]) -> Option<String> {
    let link = link.trim();
    let path = match url::Url::parse(link) {
        Ok(u) => {
            let host = u.host_str()?.to_ascii_lowercase();
            if !hosts.contains(&host) {
                return None;
            }
            u.path().to_string()
        }
        Err(_) if link.starts_with('/') => link.to_string(),
        Err(_) => format!("/{link}"),
    };
    match super::route::route("GET", &path) {
        Ok(super::route::Route::Redirect { code }) => Some(code.to_string()),
        Ok(super::route::Route::WorkspaceRedirect { code, .. }) => Some(code.to_string()),
        _ => None,
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Checks a report (JSON, or a form turned into an object of strings).
pub fn parse(body: &Value, hosts: &[String]) -> Result<Report, Vec<FieldError>> {
    // Every field is text when it is there: `{"contact": {}}` is a mistake, not no contact.
    let wrong: Vec<FieldError> = ["link", "reason", "details", "contact"]
        .into_iter()
        .filter(|k| body.get(k).is_some_and(|v| !v.is_string()))
        .map(|k| FieldError::new(k, format!("{k} must be text")))
        .collect();
    if !wrong.is_empty() {
        return Err(wrong);
    }
    let mut errors = Vec::new();
    let code = match text(body, "link") {
        None => {
            errors.push(FieldError::new(
                "link",
                "say which link: its short URL or code",
            ));
            None
        }
        Some(l) if l.len() > MAX_LINK_LEN => {
            errors.push(FieldError::new("link", "the link is too long"));
            None
        }
        Some(l) => code_of(&l, hosts).or_else(|| {
            errors.push(FieldError::new("link", "not a short link of this service"));
            None
        }),
    };
    let reason = text(body, "reason");
    if !reason.as_deref().is_some_and(|r| REASONS.contains(&r)) {
        errors.push(FieldError::new(
            "reason",
            format!("reason must be one of {}", REASONS.join(", ")),
        ));
    }
    let details = text(body, "details");
    if details
        .as_ref()
        .is_some_and(|d| d.chars().count() > MAX_DETAILS)
    {
        errors.push(FieldError::new(
            "details",
            format!("details must be at most {MAX_DETAILS} characters"),
        ));
    }
    let contact = text(body, "contact");
    if contact
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_CONTACT)
    {
        errors.push(FieldError::new(
            "contact",
            format!("contact must be at most {MAX_CONTACT} characters"),
        ));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Report {
        code: code.unwrap_or_default(),
        reason: reason.unwrap_or_default(),
        details,
        contact,
    })
}

/// Whether independent reports hold a link for review: `reporters` distinct networks in
/// the window, against the configured threshold (0: never).
pub fn holds(reporters: u32, threshold: u32) -> bool {
    threshold > 0 && reporters >= threshold
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn hosts() -> Vec<String> {
        vec!["ulo.ad".into()]
    }

    #[test]
    fn a_report_names_one_of_our_links() {
        assert_eq!(code_of("promo", &hosts()).as_deref(), Some("promo"));
        assert_eq!(
            code_of("https://ulo.ad/promo?x=1", &hosts()).as_deref(),
            Some("promo")
        );
        assert_eq!(
            code_of("https://ULO.AD/u/alice/cv", &hosts()).as_deref(),
            Some("alice/cv")
        );
        assert_eq!(code_of("/w/team/board", &hosts()).as_deref(), Some("board"));
        assert_eq!(code_of("https://bit.ly/promo", &hosts()), None);
        assert_eq!(code_of("https://ulo.ad/api/v1/links", &hosts()), None);
        assert_eq!(code_of("../../etc", &hosts()), None);
    }

    #[test]
    fn reports_are_checked() {
        let ok = parse(
            &json!({ "link": "https://ulo.ad/promo", "reason": "phishing", "details": " fake bank ", "contact": "" }),
            &hosts(),
        )
        .unwrap();
        assert_eq!(
            (ok.code.as_str(), ok.reason.as_str()),
            ("promo", "phishing")
        );
        assert_eq!(ok.details.as_deref(), Some("fake bank"));
        assert_eq!(ok.contact, None);
        let bad = parse(&json!({ "link": "https://evil.example/", "reason": "dislike", "details": "x".repeat(1001) }), &hosts()).unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["link", "reason", "details"]);
        assert_eq!(parse(&json!({}), &hosts()).unwrap_err().len(), 2);
        let typed = parse(
            &json!({ "link": "promo", "reason": "spam", "contact": {}, "details": null }),
            &hosts(),
        )
        .unwrap_err();
        let fields: Vec<&str> = typed.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["details", "contact"],
            "text or nothing, never another type"
        );
    }

    #[test]
    fn holds_need_enough_independent_reports() {
        assert!(!holds(2, 3));
        assert!(holds(3, 3));
        assert!(!holds(100, 0), "0 turns holding off");
    }
}
