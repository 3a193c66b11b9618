//! A bounded in-memory cache with per-entry expiry: the first lookup layer of the redirect
//! path, living in one isolate. Time is passed in (milliseconds), so this stays pure.
//!
//! Eviction is first-in-first-out rather than LRU: hot codes are re-inserted after they
//! expire anyway, and FIFO needs no bookkeeping on the read path (reads stay `&self`-cheap).

use std::collections::{HashMap, VecDeque};

pub struct TtlCache<V> {
    capacity: usize,
    /// The most bytes the entries may weigh together (what the caller says each weighs): a
    /// few huge records cannot take the isolate's memory, whatever the entry count.
    max_bytes: usize,
    bytes: usize,
    entries: HashMap<String, (V, u64, usize)>,
    order: VecDeque<String>,
}

impl<V: Clone> TtlCache<V> {
    pub fn new(capacity: usize) -> Self {
        Self::with_max_bytes(capacity, usize::MAX)
    }

    pub fn with_max_bytes(capacity: usize, max_bytes: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            max_bytes: max_bytes.max(1),
            bytes: 0,
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// The value, if present and not expired at `now_ms`.
    pub fn get(&self, key: &str, now_ms: u64) -> Option<V> {
        self.entries
            .get(key)
            .filter(|(_, exp, _)| *exp > now_ms)
            .map(|(v, _, _)| v.clone())
    }

    pub fn insert(&mut self, key: &str, value: V, ttl_ms: u64, now_ms: u64) {
        self.insert_weighed(key, value, 0, ttl_ms, now_ms);
    }

    /// Inserts a value that weighs `bytes` (key included by the cache); the oldest entries go
    /// until both the count and the weight fit. A value heavier than the whole budget is not
    /// kept at all.
    pub fn insert_weighed(&mut self, key: &str, value: V, bytes: usize, ttl_ms: u64, now_ms: u64) {
        let weight = bytes.saturating_add(key.len());
        if weight > self.max_bytes {
            self.remove(key);
            return;
        }
        let expires = now_ms.saturating_add(ttl_ms);
        match self
            .entries
            .insert(key.to_string(), (value, expires, weight))
        {
            None => self.order.push_back(key.to_string()),
            Some((_, _, old)) => self.bytes -= old,
        }
        self.bytes += weight;
        while self.entries.len() > self.capacity || self.bytes > self.max_bytes {
            match self.order.pop_front() {
                Some(old) => {
                    if let Some((_, _, w)) = self.entries.remove(&old) {
                        self.bytes -= w;
                    }
                }
                None => break,
            }
        }
    }

    /// What the entries weigh together.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Drops a key (a link was edited or deleted). O(capacity), which is fine: writes are
    /// rare next to reads, and it keeps `order` free of stale keys.
    pub fn remove(&mut self, key: &str) {
        if let Some((_, _, w)) = self.entries.remove(key) {
            self.bytes -= w;
            self.order.retain(|k| k != key);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_values_until_they_expire() {
        let mut c = TtlCache::new(4);
        c.insert("a", 1, 100, 1_000);
        assert_eq!(c.get("a", 1_000), Some(1));
        assert_eq!(c.get("a", 1_099), Some(1));
        assert_eq!(c.get("a", 1_100), None);
        assert_eq!(c.get("b", 1_000), None);
    }

    #[test]
    fn stays_within_capacity_evicting_the_oldest() {
        let mut c = TtlCache::new(3);
        for (i, k) in ["a", "b", "c", "d"].iter().enumerate() {
            c.insert(k, i, 1_000, 0);
        }
        assert_eq!(c.len(), 3);
        assert_eq!(c.get("a", 0), None);
        assert_eq!(c.get("d", 0), Some(3));
    }

    #[test]
    fn overwriting_replaces_value_and_expiry() {
        let mut c = TtlCache::new(2);
        c.insert("a", 1, 10, 0);
        c.insert("a", 2, 100, 0);
        assert_eq!(c.get("a", 50), Some(2));
        assert_eq!(c.len(), 1);
    }

    #[test]
    fn removed_keys_are_gone_and_the_queue_stays_bounded() {
        let mut c = TtlCache::new(2);
        for i in 0..1_000 {
            c.insert("k", i, 10, 0);
            c.remove("k");
        }
        assert!(c.is_empty());
        assert!(c.order.is_empty(), "order grew to {}", c.order.len());
        c.insert("x", 7, 10, 0);
        assert_eq!(c.get("x", 0), Some(7));
    }

    #[test]
    fn a_byte_budget_bounds_the_cache_whatever_the_count() {
        let mut c = TtlCache::with_max_bytes(1000, 100);
        c.insert_weighed("a", 1, 39, 1_000, 0); // 40 with its key
        c.insert_weighed("b", 2, 39, 1_000, 0);
        assert_eq!((c.len(), c.bytes()), (2, 80));
        c.insert_weighed("c", 3, 39, 1_000, 0);
        assert_eq!(c.get("a", 1), None, "the oldest went to make room");
        assert_eq!((c.len(), c.bytes()), (2, 80));
        c.insert_weighed("b", 4, 9, 1_000, 0);
        assert_eq!(
            (c.get("b", 1), c.bytes()),
            (Some(4), 50),
            "a replaced entry is weighed anew"
        );
        c.insert_weighed("huge", 5, 500, 1_000, 0);
        assert_eq!(c.get("huge", 1), None, "heavier than the budget: not kept");
        assert_eq!(c.bytes(), 50, "and nothing else was evicted for it");
        c.remove("c");
        assert_eq!(c.bytes(), 10);
    }
}
