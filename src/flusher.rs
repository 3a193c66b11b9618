//! The background loop every per-isolate outbox shares (clicks to the queue, the redirect
//! limiter's reports, the KV repair rows to remove): the rules of who flushes what live in
//! `uload_core::outbox`; this is the part that waits and sends, in some request's
//! `wait_until`.

use std::cell::RefCell;
use std::future::Future;
use std::thread::LocalKey;
use std::time::Duration;

use uload_core::outbox::{Next, Outbox};

/// Runs flusher `id` of `outbox`: waits `gather` while less than a batch of `max` items has
/// gathered (under load, batches go back to back), then hands each batch to `send`, until
/// the outbox says stop. Returns how many items the outbox gave up since the last flusher
/// asked (its capacity was reached), for the caller to report.
pub async fn drain<T, F, Fut>(
    outbox: &'static LocalKey<RefCell<Outbox<T>>>,
    id: u64,
    max: usize,
    gather: Duration,
    mut send: F,
) -> u64
where
    F: FnMut(Vec<T>) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut sent = false;
    loop {
        if outbox.with(|o| o.borrow().len() < max) {
            worker::Delay::from(gather).await;
        }
        let Next::Send(batch) = outbox.with(|o| o.borrow_mut().next(id, max, sent)) else {
            break;
        };
        sent = true;
        send(batch).await;
    }
    outbox.with(|o| std::mem::take(&mut o.borrow_mut().dropped))
}
