//! A link as the API answers it: the stored link, its short URL, and its target for display.

use schemars::JsonSchema;
use serde::Serialize;

use super::Link;

// Its JSON Schema is the OpenAPI document's `Link`; the doc comments are the descriptions.
/// A short link, as the API answers it.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "Link", deny_unknown_fields)]
pub struct LinkView<'a> {
    #[serde(flatten)]
    pub link: &'a Link,
    /// The short URL visitors use.
    #[schemars(extend("format" = "uri"))]
    pub short_url: String,
    /// The target with its host in Unicode, for display (`url` is what is stored: punycode).
    pub url_display: String,
    /// On create and update only: what to know about the link as written (e.g. a 301 is
    /// cached by browsers for good).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<&'static str>,
}
