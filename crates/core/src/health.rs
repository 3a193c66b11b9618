//! What `/health` (liveness) and `/health/ready` (readiness) answer. Their JSON Schemas are
//! the OpenAPI document's.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::Serialize;

/// Readiness: every critical check passed (`ok`), some check that is not critical failed
/// (`degraded`, still 200), or a critical one failed (`fail`, 503).
pub const READY_STATUSES: [&str; 3] = ["ok", "degraded", "fail"];

/// The worker runs.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Health {
    #[schemars(extend("const" = "ok"))]
    pub status: &'static str,
    pub version: &'static str,
}

/// What anyone gets: the status alone, from a result at most 5 s old per isolate.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ReadyPublic {
    #[schemars(extend("enum" = READY_STATUSES))]
    pub status: &'static str,
    pub version: &'static str,
}

/// With Authorization: Bearer <ADMIN_TOKEN> or <METRICS_TOKEN>: every check, probed now.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ReadyDetailed {
    #[schemars(extend("enum" = READY_STATUSES))]
    pub status: &'static str,
    pub version: &'static str,
    /// kv, d1, durable_objects, origin (not critical), config, analytics (not critical).
    pub checks: BTreeMap<&'static str, ReadyCheck>,
}

/// One readiness check.
#[derive(Debug, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct ReadyCheck {
    pub ok: bool,
    /// Whether its failure fails readiness (503) or only degrades it.
    pub critical: bool,
    pub latency_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}
