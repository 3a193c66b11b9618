//! How far the KV audit may go on its own. It deletes KV records of links D1 does not have
//! (orphans); but if D1 is empty or shrunk by mistake (a restore of an empty backup, a wrong
//! database), every record looks orphaned, and deleting them would stop every redirect. So a
//! bulk deletion is never done unasked: past the threshold the audit deletes nothing, says
//! so, and waits for an explicit admin call.

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
