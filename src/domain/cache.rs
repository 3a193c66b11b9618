//! A bounded in-memory cache with per-entry expiry: the first lookup layer of the redirect
//! path, living in one isolate. Time is passed in (milliseconds), so this stays pure.
//!
//! Eviction is first-in-first-out rather than LRU: hot codes are re-inserted after they
//! expire anyway, and FIFO needs no bookkeeping on the read path (reads stay `&self`-cheap).

use std::collections::{HashMap, VecDeque};

pub struct TtlCache<V> {
    capacity: usize,
    entries: HashMap<String, (V, u64)>,
    order: VecDeque<String>,
}

impl<V: Clone> TtlCache<V> {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            entries: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    /// The value, if present and not expired at `now_ms`.
    pub fn get(&self, key: &str, now_ms: u64) -> Option<V> {
        self.entries
            .get(key)
            .filter(|(_, exp)| *exp > now_ms)
            .map(|(v, _)| v.clone())
    }

    pub fn insert(&mut self, key: &str, value: V, ttl_ms: u64, now_ms: u64) {
        let expires = now_ms.saturating_add(ttl_ms);
        if self
            .entries
            .insert(key.to_string(), (value, expires))
            .is_none()
        {
            self.order.push_back(key.to_string());
        }
        while self.entries.len() > self.capacity {
            match self.order.pop_front() {
                Some(old) => {
                    self.entries.remove(&old);
                }
                None => break,
            }
        }
    }

    /// Drops a key (a link was edited or deleted). O(capacity), which is fine: writes are
    /// rare next to reads, and it keeps `order` free of stale keys.
    pub fn remove(&mut self, key: &str) {
        if self.entries.remove(key).is_some() {
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
}
