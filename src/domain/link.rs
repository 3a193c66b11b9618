//! Links: the record the redirect path reads, the input the API accepts, and the
//! representation it answers with.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::code::{self, CodeError};
use super::problem::FieldError;
use super::target;

/// Link ids look like PocketBase record ids (15 characters of [a-z0-9]), so ids imported
/// from uLoad and ids minted here share one format.
pub const ID_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
pub const ID_LEN: usize = 15;

pub const DEFAULT_STATUS: u16 = 302;

/// What KV (and the in-memory layer) hold per code: only what a redirect needs, so the
/// hot path deserialises a few dozen bytes. Fields added later must have serde defaults,
/// because records written by an older version stay in KV.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedirectRecord {
    pub link_id: String,
    pub url: String,
    #[serde(default = "default_status")]
    pub status: u16,
}

fn default_status() -> u16 {
    DEFAULT_STATUS
}

/// A validated create request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLink {
    pub url: String,
    pub code: Option<String>,
}

const CREATE_FIELDS: &[&str] = &["url", "code"];

/// Validates a create request body field by field, collecting every problem at once so a
/// form can show them all. Unknown fields are refused: a typo (`"ulr"`) must not silently
/// create a link with defaults.
pub fn parse_new_link(body: &Value) -> Result<NewLink, Vec<FieldError>> {
    let Some(obj) = body.as_object() else {
        return Err(vec![FieldError::new("", "request body must be a JSON object")]);
    };
    let mut errors = unknown_fields(obj, CREATE_FIELDS);

    let url = match obj.get("url") {
        None | Some(Value::Null) => {
            errors.push(FieldError::new("url", "url is required"));
            None
        }
        Some(Value::String(s)) => match target::normalise(s) {
            Ok(u) => Some(u),
            Err(e) => {
                errors.push(FieldError::new("url", e.message()));
                None
            }
        },
        Some(_) => {
            errors.push(FieldError::new("url", "url must be a string"));
            None
        }
    };

    let code = match obj.get("code") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => match code::validate_custom(s) {
            Ok(()) => Some(s.clone()),
            Err(e) => {
                errors.push(FieldError::new("code", CodeError::message(&e)));
                None
            }
        },
        Some(_) => {
            errors.push(FieldError::new("code", "code must be a string"));
            None
        }
    };

    match (url, errors.is_empty()) {
        (Some(url), true) => Ok(NewLink { url, code }),
        _ => Err(errors),
    }
}

fn unknown_fields(obj: &Map<String, Value>, known: &[&str]) -> Vec<FieldError> {
    let mut unknown: Vec<&String> = obj.keys().filter(|k| !known.contains(&k.as_str())).collect();
    unknown.sort();
    unknown.into_iter().map(|k| FieldError::new(k, "unknown field")).collect()
}

/// A link as stored in D1 and answered by the API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub id: String,
    pub code: String,
    pub url: String,
    pub redirect_status: u16,
    pub is_active: bool,
    pub click_count: u64,
    pub created_at: String,
    pub updated_at: String,
}

impl Link {
    pub fn redirect_record(&self) -> RedirectRecord {
        RedirectRecord { link_id: self.id.clone(), url: self.url.clone(), status: self.redirect_status }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn accepts_url_and_optional_code() {
        let n = parse_new_link(&json!({"url": "https://a.de"})).unwrap();
        assert_eq!(n, NewLink { url: "https://a.de/".into(), code: None });
        let n = parse_new_link(&json!({"url": "https://a.de", "code": "promo"})).unwrap();
        assert_eq!(n.code.as_deref(), Some("promo"));
        let n = parse_new_link(&json!({"url": "https://a.de", "code": null})).unwrap();
        assert_eq!(n.code, None);
    }

    #[test]
    fn names_every_offending_field() {
        let errs = parse_new_link(&json!({"url": "ftp://x", "code": "a/b", "ulr": 1})).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["ulr", "url", "code"]);
    }

    #[test]
    fn wrong_types_and_missing_url_are_errors() {
        let errs = parse_new_link(&json!({"url": 5})).unwrap_err();
        assert_eq!(errs, vec![FieldError::new("url", "url must be a string")]);
        let errs = parse_new_link(&json!({"code": ["x"]})).unwrap_err();
        assert_eq!(errs.len(), 2);
        let errs = parse_new_link(&json!([1, 2])).unwrap_err();
        assert_eq!(errs[0].field, "");
    }

    #[test]
    fn redirect_record_defaults_status_for_old_records() {
        let r: RedirectRecord = serde_json::from_str(r#"{"link_id":"x","url":"https://a.de/"}"#).unwrap();
        assert_eq!(r.status, 302);
    }
}
