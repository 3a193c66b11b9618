//! Whether the outbox may hold undispatched events, as this isolate last heard from D1.
//!
//! Every successful API write used to start the dispatcher, whose first statement claims
//! events (an `UPDATE … RETURNING` on `webhook_events`) even when nobody has an endpoint:
//! a D1 write per API write, 5.5–7% of a link creation (BENCHMARKS.md). The link triggers
//! raise events in the write's own transaction, so the link writes (`LinksDb`) end their
//! batch with one more statement, a read of the pending events' partial index, and note a
//! yes here; the API then starts the dispatcher only on a yes (`services::webhooks`).
//!
//! Isolate-wide, not per request: requests interleave in an isolate, and a dispatch that
//! starts after the hint is taken claims every event committed before it was noted,
//! whichever request noted it. So whoever takes the hint dispatches for everyone, and a
//! "no" never clears a "yes" (it may have been read before the other write committed).
//! What a hint misses (another isolate's, a lost dispatch) the minute's cron sends.

use std::cell::Cell;

use worker::{D1Database, D1PreparedStatement};

use crate::store::d1;
use crate::store::StoreError;

thread_local! {
    static PENDING: Cell<bool> = const { Cell::new(false) };
}

/// For the end of a write's batch: one row, `pending` 1 when any event is undispatched.
pub fn pending_stmt(db: &D1Database) -> Result<D1PreparedStatement, StoreError> {
    d1::stmt(
        db,
        "SELECT EXISTS (SELECT 1 FROM webhook_events WHERE dispatched_at IS NULL) AS pending",
        &[],
    )
}

/// Notes what `pending_stmt` answered (its rows).
pub fn note(rows: &[serde_json::Value]) {
    let pending = rows
        .first()
        .and_then(|r| r.get("pending"))
        .and_then(serde_json::Value::as_f64)
        .is_some_and(|n| n != 0.0);
    if pending {
        PENDING.with(|p| p.set(true));
    }
}

/// Whether a write noted pending events since the last call; resets the hint.
pub fn take() -> bool {
    PENDING.with(|p| p.replace(false))
}
