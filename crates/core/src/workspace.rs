//! Workspaces (`PUT /api/v1/workspaces/{slug}`): what the API answers, and their limits.

use schemars::JsonSchema;
use serde::Serialize;

/// The members a workspace's PUT accepts.
pub const FIELDS: &[&str] = &["name", "members"];

/// A workspace's name, at most (characters).
pub const MAX_NAME: usize = 100;
/// Members of one workspace, at most.
pub const MAX_MEMBERS: usize = 1000;

/// A workspace as the API answers it.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Workspace {
    /// The path segment of `/w/{slug}/{code}`; links name it in `workspace_id`.
    #[schemars(extend("pattern" = format!("^[A-Za-z0-9_-]{{1,{}}}$", crate::route::MAX_ID_LEN)))]
    pub slug: String,
    #[schemars(length(max = MAX_NAME))]
    pub name: Option<String>,
    /// The user ids that may put links into this workspace.
    pub members: Vec<String>,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub updated_at: String,
}
