//! This isolate's counts since its last hand-over. No imports of the worker's own modules:
//! anything may count (the store counts overloaded dependencies) without an import cycle.

use std::cell::RefCell;

use uload_core::metrics::Snapshot;

thread_local! {
    static PENDING: RefCell<Snapshot> = RefCell::new(Snapshot::default());
    static LAST_FLUSH: RefCell<u64> = const { RefCell::new(0) };
}

/// Counts into this isolate's snapshot.
pub fn record(f: impl FnOnce(&mut Snapshot)) {
    PENDING.with(|p| f(&mut p.borrow_mut()));
}

/// Everything counted since the last hand-over (and starts a new interval).
pub fn take() -> Snapshot {
    LAST_FLUSH.with(|l| *l.borrow_mut() = crate::clock::now_ms());
    PENDING.with(|p| std::mem::take(&mut *p.borrow_mut()))
}

/// `take`, when the last hand-over is `every_ms` old and there is something to hand over.
pub fn take_if_due(every_ms: u64) -> Option<Snapshot> {
    let due = LAST_FLUSH.with(|l| crate::clock::now_ms().saturating_sub(*l.borrow()) >= every_ms);
    (due && PENDING.with(|p| !p.borrow().is_empty())).then(take)
}

/// Counts a hand-over could not deliver, back for the next one.
pub fn put_back(snapshot: &Snapshot) {
    PENDING.with(|p| p.borrow_mut().merge(snapshot));
}
