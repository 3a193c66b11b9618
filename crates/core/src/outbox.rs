//! A per-isolate outbox that turns one-message-per-request into a few batches: requests
//! push, and background flushers (each living in some request's `wait_until`) take what has
//! gathered and send it. The rules guarantee that nothing pushed is left behind without a
//! flusher that will take it, while no flusher outlives the runtime's limit for background
//! work (30 s after its response) under continuous traffic:
//!
//! - a push starts a flusher when there is none, or when the newest one is older than
//!   `renew_after_ms` (it will soon stop; the new one takes over);
//! - a flusher takes batches until the outbox is empty, except that one which is no longer
//!   the newest stops after its current batch (the newest takes the rest).
//!
//! So an item pushed while the newest flusher is young is taken by that flusher (it runs
//! until the outbox is empty), and one pushed later starts a flusher of its own.

#[derive(Debug)]
pub struct Outbox<T> {
    /// Items, oldest first, with what each weighs.
    items: std::collections::VecDeque<(T, usize)>,
    /// The newest flusher: its id and when it started.
    newest: Option<(u64, u64)>,
    next_id: u64,
    renew_after_ms: u64,
    /// Items kept at most; beyond that the oldest are given up (and counted), so memory
    /// stays bounded if sending stalls.
    capacity: usize,
    /// And at most this many bytes together (what the caller says each item weighs).
    max_bytes: usize,
    bytes: usize,
    pub dropped: u64,
}

/// What a flusher should do next.
#[derive(Debug, PartialEq, Eq)]
pub enum Next<T> {
    Send(Vec<T>),
    Stop,
}

impl<T> Outbox<T> {
    pub fn new(renew_after_ms: u64, capacity: usize) -> Self {
        Self::with_max_bytes(renew_after_ms, capacity, usize::MAX)
    }

    pub fn with_max_bytes(renew_after_ms: u64, capacity: usize, max_bytes: usize) -> Self {
        Outbox {
            items: std::collections::VecDeque::new(),
            newest: None,
            next_id: 0,
            renew_after_ms,
            capacity,
            max_bytes,
            bytes: 0,
            dropped: 0,
        }
    }

    /// Adds an item; returns the id of a flusher the caller must start, if one is needed.
    pub fn push(&mut self, item: T, now_ms: u64) -> Option<u64> {
        self.push_weighed(item, 0, now_ms)
    }

    /// `push` for an item that weighs `bytes`: the oldest are given up (and counted) until
    /// both the count and the weight fit.
    pub fn push_weighed(&mut self, item: T, bytes: usize, now_ms: u64) -> Option<u64> {
        self.items.push_back((item, bytes));
        self.bytes += bytes;
        while self.items.len() > self.capacity || self.bytes > self.max_bytes {
            match self.items.pop_front() {
                Some((_, w)) => {
                    self.bytes -= w;
                    self.dropped += 1;
                }
                None => break,
            }
        }
        let needed = match self.newest {
            None => true,
            Some((_, started)) => now_ms.saturating_sub(started) >= self.renew_after_ms,
        };
        needed.then(|| {
            self.next_id += 1;
            self.newest = Some((self.next_id, now_ms));
            self.next_id
        })
    }

    fn is_newest(&self, id: u64) -> bool {
        self.newest.is_some_and(|(n, _)| n == id)
    }

    /// The next batch (at most `max` items, oldest first) for flusher `id`, or `Stop`.
    /// `sent_before`: whether this flusher already sent a batch.
    pub fn next(&mut self, id: u64, max: usize, sent_before: bool) -> Next<T> {
        let superseded = !self.is_newest(id);
        if self.items.is_empty() || (superseded && sent_before) {
            if !superseded {
                self.newest = None;
            }
            return Next::Stop;
        }
        let n = max.min(self.items.len());
        let batch: Vec<T> = self
            .items
            .drain(..n)
            .map(|(item, w)| {
                self.bytes -= w;
                item
            })
            .collect();
        Next::Send(batch)
    }

    /// What the items weigh together.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_flusher_takes_everything_pushed_while_it_runs() {
        let mut o = Outbox::new(5_000, 1_000);
        let id = o.push(1, 0).expect("the first push starts a flusher");
        assert_eq!(o.push(2, 10), None, "one is running");
        assert_eq!(o.next(id, 100, false), Next::Send(vec![1, 2]));
        assert_eq!(o.push(3, 20), None);
        assert_eq!(o.next(id, 100, true), Next::Send(vec![3]));
        assert_eq!(o.next(id, 100, true), Next::Stop);
        assert!(o.is_empty());
        // Stopped: the next push starts a new one.
        assert!(o.push(4, 30).is_some());
    }

    #[test]
    fn batches_are_bounded() {
        let mut o = Outbox::new(5_000, 1_000);
        let id = o.push(0, 0).unwrap();
        for i in 1..250 {
            o.push(i, 0);
        }
        let sizes: Vec<usize> = std::iter::from_fn(|| match o.next(id, 100, true) {
            Next::Send(b) => Some(b.len()),
            Next::Stop => None,
        })
        .collect();
        assert_eq!(sizes, [100, 100, 50]);
    }

    #[test]
    fn an_old_flusher_hands_over_and_nothing_is_left_behind() {
        let mut o = Outbox::new(5_000, 1_000);
        let old = o.push("a", 0).unwrap();
        assert_eq!(o.next(old, 100, false), Next::Send(vec!["a"]));
        // Six seconds of traffic later, a push starts a younger flusher.
        let young = o.push("b", 6_000).expect("renewed");
        // The old one stops after its batch; the young one takes the rest.
        assert_eq!(o.next(old, 100, true), Next::Stop);
        assert_eq!(o.len(), 1);
        assert_eq!(o.next(young, 100, false), Next::Send(vec!["b"]));
        assert_eq!(o.next(young, 100, true), Next::Stop);
        assert!(o.push("c", 6_100).is_some(), "the young one stopped too");
    }

    #[test]
    fn a_superseded_flusher_that_never_sent_still_sends_once() {
        let mut o = Outbox::new(10, 1_000);
        let first = o.push(1, 0).unwrap();
        let second = o.push(2, 20).unwrap();
        assert_eq!(o.next(first, 1, false), Next::Send(vec![1]));
        assert_eq!(o.next(first, 1, true), Next::Stop);
        assert_eq!(o.next(second, 1, false), Next::Send(vec![2]));
        assert_eq!(o.next(second, 1, true), Next::Stop);
    }

    #[test]
    fn capacity_bounds_memory_and_counts_what_was_given_up() {
        let mut o = Outbox::new(5_000, 3);
        for i in 0..5 {
            o.push(i, 0);
        }
        assert_eq!(o.len(), 3);
        assert_eq!(o.dropped, 2);
    }

    #[test]
    fn a_byte_budget_bounds_the_outbox_too() {
        let mut o = Outbox::with_max_bytes(5_000, 1_000, 100);
        let id = o.push_weighed("a", 40, 0).unwrap();
        o.push_weighed("b", 40, 0);
        assert_eq!((o.len(), o.bytes(), o.dropped), (2, 80, 0));
        o.push_weighed("c", 40, 0);
        assert_eq!(
            (o.len(), o.bytes(), o.dropped),
            (2, 80, 1),
            "the oldest was given up"
        );
        assert_eq!(o.next(id, 100, false), Next::Send(vec!["b", "c"]));
        assert_eq!(o.bytes(), 0);
    }
}
