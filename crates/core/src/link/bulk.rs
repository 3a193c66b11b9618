//! What the bulk operations answer. Each item of a bulk create succeeds or fails on its own.

use schemars::JsonSchema;
use serde::Serialize;

use super::LinkView;
use crate::problem::Problem;

/// The outcome of a bulk create: how many were created, how many failed, and each item's.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "BulkCreateResult", deny_unknown_fields)]
pub struct BulkCreated {
    pub created: usize,
    pub failed: usize,
    pub results: Vec<BulkItem>,
}

/// One item of a bulk create, by its index in the request: 201 with its link, or the
/// status and problem document it would have had on its own.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct BulkItem {
    pub index: usize,
    pub status: u16,
    /// On 201: the link (as `LinkView` serialises it).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(with = "LinkView<'static>")]
    pub link: Option<serde_json::Value>,
    /// Otherwise: the problem document it would have had on its own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Problem>,
}

/// A bulk activation, deactivation or tagging: the ids changed, and those not found (or
/// not the caller's).
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "BulkOutcome", deny_unknown_fields)]
pub struct BulkUpdated {
    pub updated: Vec<String>,
    pub not_found: Vec<String>,
}

/// A bulk delete: the ids deleted, and those not found (or not the caller's).
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(rename = "BulkDeleteOutcome", deny_unknown_fields)]
pub struct BulkDeleted {
    pub deleted: Vec<String>,
    pub not_found: Vec<String>,
}
