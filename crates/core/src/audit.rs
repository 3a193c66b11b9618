//! How far the KV audit may go on its own. It deletes KV records of links D1 does not have
//! (orphans); but if D1 is empty or shrunk by mistake (a restore of an empty backup, a wrong
//! database), every record looks orphaned, and deleting them would stop every redirect. So a
//! bulk deletion is never done unasked: past the threshold the audit deletes nothing, says
//! so, and waits for an explicit admin call.

/// What a full reconcile found and fixed.
#[derive(Debug, Default, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "ReconcileAudit", inline, deny_unknown_fields)]
pub struct Audit {
    /// Links in D1, checked against KV.
    pub checked: usize,
    /// In D1, not in KV.
    pub missing: usize,
    /// In both, but KV's record differs from D1's.
    pub stale: usize,
    /// In KV, not in D1 (a deleted link that still redirects from KV).
    pub orphaned: usize,
    /// Records rewritten or deleted.
    pub fixed: usize,
    /// Left for the next run.
    pub failed: usize,
    /// Orphans left in KV: more than the audit deletes unasked (over 10 and over 1% of the
    /// records, or over 100); ask with delete_orphans=true once D1 is known to be right.
    pub orphans_kept: usize,
}

/// `POST /api/v1/admin/reconcile`'s answer: the audit, and the click counters seeded.
#[derive(Debug, serde::Serialize, schemars::JsonSchema)]
#[schemars(deny_unknown_fields)]
pub struct Reconciled {
    #[serde(flatten)]
    pub audit: Audit,
    /// Click counters of imported links seeded with what uLoad had counted against their
    /// max_clicks (links.limit_seed, written by uload-import).
    pub limits_seeded: usize,
}

/// Orphans the audit deletes on its own, at most; and never more than 1% of the records,
/// once there are more than `SMALL` of them.
pub const MAX_ORPHANS: usize = 100;
const SMALL: usize = 10;

/// Whether `orphans` of `records` KV records may be deleted without being asked.
pub fn may_delete_orphans(orphans: usize, records: usize) -> bool {
    orphans <= SMALL || (orphans <= MAX_ORPHANS && orphans * 100 <= records)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bulk_deletions_wait_for_an_admin() {
        assert!(may_delete_orphans(0, 0));
        assert!(may_delete_orphans(3, 5), "a few deleted links: fine");
        assert!(may_delete_orphans(10, 10));
        assert!(
            !may_delete_orphans(11, 12),
            "most of KV: an emptied D1, not deleted links"
        );
        assert!(may_delete_orphans(100, 10_000), "1% of a large KV");
        assert!(
            !may_delete_orphans(101, 100_000),
            "never more than 100 at once"
        );
        assert!(!may_delete_orphans(50, 1_000), "5%");
        assert!(!may_delete_orphans(10_000, 10_000), "all of it");
    }
}
