//! What the admin API answers about abuse handling: the denylist's entries and the audit
//! log of admin actions.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What the denylist holds: whole domains (and their subdomains), or terms anywhere in a URL.
pub const DENY_KINDS: [&str; 2] = ["domain", "term"];

/// The actions the audit log records: denying and allowing, blocking and unblocking a link,
/// releasing one held for review.
pub const AUDIT_ACTIONS: [&str; 7] = [
    "deny_domain",
    "deny_term",
    "allow_domain",
    "allow_term",
    "block_link",
    "unblock_link",
    "release_link",
];

/// One entry of the denylist.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct DenyEntry {
    #[schemars(extend("enum" = DENY_KINDS))]
    pub kind: String,
    pub value: String,
    pub reason: Option<String>,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
}

/// One admin action.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct AuditEntry {
    pub id: String,
    #[schemars(extend("format" = "date-time"))]
    pub at: String,
    pub actor: String,
    #[schemars(extend("enum" = AUDIT_ACTIONS))]
    pub action: String,
    /// The domain, term or link id acted on.
    pub target: String,
    pub reason: Option<String>,
}

/// A denylist entry added.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Denied {
    #[schemars(extend("enum" = DENY_KINDS))]
    pub kind: String,
    pub value: String,
    pub reason: String,
    /// Links disabled at once (with disable_existing=true).
    pub links_disabled: usize,
}

/// A denylist entry removed.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Allowed {
    #[schemars(extend("enum" = DENY_KINDS))]
    pub kind: String,
    pub value: String,
    /// Links enabled again (with enable_existing=true).
    pub links_enabled: usize,
}

/// A link blocked for abuse (with the reason), or unblocked (null).
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct BlockState {
    pub id: String,
    pub blocked: Option<BlockReason>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct BlockReason {
    pub reason: String,
}

/// A link released from its hold for review.
#[derive(Debug, Clone, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct HoldReleased {
    pub id: String,
    #[schemars(extend("const" = false))]
    pub held: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_audit_actions_are_deny_and_allow_of_each_kind_blocking_and_releasing() {
        let mut expected: Vec<String> = ["deny", "allow"]
            .iter()
            .flat_map(|a| DENY_KINDS.iter().map(move |k| format!("{a}_{k}")))
            .collect();
        expected.extend(["block_link", "unblock_link", "release_link"].map(String::from));
        let mut actions: Vec<String> = AUDIT_ACTIONS.iter().map(|a| a.to_string()).collect();
        actions.sort();
        expected.sort();
        assert_eq!(actions, expected);
    }
}
