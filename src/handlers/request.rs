//! Reading API requests: JSON bodies (with their limits) and query strings.

use serde_json::Value;
use worker::Request;

use crate::error::ApiError;

pub fn header(req: &Request, name: &str) -> Option<String> {
    req.headers().get(name).ok().flatten()
}

/// Reads a JSON body: content type first, then size (declared, then actual), then syntax.
/// Returns the parsed value and the raw bytes (for idempotency fingerprints).
pub async fn read_json(req: &mut Request, max: usize) -> Result<(Value, Vec<u8>), ApiError> {
    let content_type = header(req, "content-type").unwrap_or_default();
    let media = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media != "application/json" && !media.ends_with("+json") {
        return Err(ApiError::UnsupportedMediaType);
    }
    let declared = header(req, "content-length");
    if declared
        .and_then(|v| v.trim().parse::<usize>().ok())
        .is_some_and(|n| n > max)
    {
        return Err(ApiError::PayloadTooLarge { max });
    }
    let bytes = req
        .bytes()
        .await
        .map_err(|e| ApiError::InvalidJson(e.to_string()))?;
    if bytes.len() > max {
        return Err(ApiError::PayloadTooLarge { max });
    }
    let value = serde_json::from_slice(&bytes).map_err(|e| ApiError::InvalidJson(e.to_string()))?;
    Ok((value, bytes))
}

/// The query string as decoded pairs.
pub fn query_pairs(req: &Request) -> Vec<(String, String)> {
    req.url()
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}
