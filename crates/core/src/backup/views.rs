//! What the backup API answers: a backup's summary, the list with each backup's fitness
//! for a restore, and a restore's outcome. Their JSON Schemas are the OpenAPI document's.

use schemars::JsonSchema;
use serde::Serialize;

use super::Manifest;

/// One table of a backup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct TableSummary {
    pub name: String,
    pub rows: u64,
    /// NDJSON, uncompressed.
    pub bytes: u64,
    pub gzip_bytes: u64,
    #[schemars(regex(pattern = r"^[0-9a-f]{64}$"))]
    pub sha256: String,
}

/// A backup: when, how many links, and its tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct BackupSummary {
    /// The backup's UTC time, e.g. 2026-11-25T02-41-00.123Z.
    pub id: String,
    #[schemars(extend("format" = "date-time"))]
    pub created_at: String,
    /// How many links it holds.
    pub links: u64,
    pub tables: Vec<TableSummary>,
}

impl From<&Manifest> for BackupSummary {
    fn from(m: &Manifest) -> Self {
        BackupSummary {
            id: m.id.clone(),
            created_at: m.created_at.clone(),
            links: m.links(),
            tables: m
                .tables
                .iter()
                .map(|t| TableSummary {
                    name: t.name.clone(),
                    rows: t.rows,
                    bytes: t.bytes,
                    gzip_bytes: t.gzip_bytes,
                    sha256: t.sha256.clone(),
                })
                .collect(),
        }
    }
}

/// A backup in the list, with whether a restore would take it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(rename = "Backup", deny_unknown_fields)]
pub struct BackupListed {
    #[serde(flatten)]
    pub summary: BackupSummary,
    /// Why it is not restored unless named: empty (no links), or shrunken (under half the
    /// links of the last good backup before it, which held 20 or more).
    pub suspect: Option<String>,
    /// The backup scripts/restore.sh takes when no id is given: the newest that is not
    /// suspect.
    pub default: bool,
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct RestoreResult {
    pub restored: BackupSummary,
    pub kv: KvRewrite,
}

/// The redirect records rewritten after a restore.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[schemars(inline, deny_unknown_fields)]
pub struct KvRewrite {
    /// KV records written or deleted.
    pub written: usize,
    /// Left for the reconcile cron.
    pub failed: usize,
}
