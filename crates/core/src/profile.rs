//! A user's profile as the dashboard syncs it (`PUT`/`PATCH /api/v1/users/{id}`).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What a profile is made of: the members PUT takes, and PATCH lays over the stored ones.
pub const FIELDS: &[&str] = &["username", "display_name", "bio", "profile_public"];

/// `display_name`, at most (characters).
pub const MAX_DISPLAY_NAME: usize = 100;
/// `bio`, at most (characters).
pub const MAX_BIO: usize = 500;

/// A user as the API answers it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct User {
    pub id: String,
    /// Their links' `username/code` prefix: 3 to 30 characters of a-z, 0-9, `_` and `-`.
    pub username: String,
    pub display_name: Option<String>,
    pub bio: Option<String>,
    /// Whether their link-in-bio page is public.
    #[serde(deserialize_with = "crate::fields::flag_field")]
    pub profile_public: bool,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    #[schemars(extend("format" = "date-time"))]
    pub updated_at: String,
}
