//! A small least-recently-used map with a fixed capacity, for the per-isolate tenant cache
//! (tenant.rs). Each use of an entry (a get or an insert) makes it the most recent; an
//! insert into a full map evicts the least recent entry, and only that one. O(log n) per
//! operation: a hash map of the entries, and their last uses ordered in a B-tree.

use std::collections::{BTreeMap, HashMap};

/// A map of at most `capacity` entries that forgets the least recently used first.
pub struct Lru<V> {
    capacity: usize,
    /// Counts uses: each get or insert takes the next value.
    clock: u64,
    entries: HashMap<String, (V, u64)>,
    /// Last use → key, oldest first.
    order: BTreeMap<u64, String>,
}

impl<V: Clone> Lru<V> {
    /// An empty map that holds at most `capacity` entries (at least 1).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity: capacity.max(1),
            clock: 0,
            entries: HashMap::new(),
            order: BTreeMap::new(),
        }
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// The value of `key`, now the most recently used.
    pub fn get(&mut self, key: &str) -> Option<V> {
        let now = self.tick();
        let (value, used) = self.entries.get_mut(key)?;
        let key = self.order.remove(used).unwrap_or_else(|| key.to_owned());
        *used = now;
        let value = value.clone();
        self.order.insert(now, key);
        Some(value)
    }

    /// Sets `key` to `value`, the most recently used; evicts the least recently used entry
    /// if the map was full.
    pub fn insert(&mut self, key: &str, value: V) {
        let now = self.tick();
        if let Some((old, used)) = self.entries.get_mut(key) {
            *old = value;
            let key = self.order.remove(used).unwrap_or_else(|| key.to_owned());
            *used = now;
            self.order.insert(now, key);
            return;
        }
        if self.entries.len() >= self.capacity {
            if let Some((_, oldest)) = self.order.pop_first() {
                self.entries.remove(&oldest);
            }
        }
        self.entries.insert(key.to_owned(), (value, now));
        self.order.insert(now, key.to_owned());
    }

    /// Forgets `key`.
    pub fn remove(&mut self, key: &str) {
        if let Some((_, used)) = self.entries.remove(key) {
            self.order.remove(&used);
        }
    }

    /// How many entries the map holds.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_map_evicts_the_least_recently_used_only() {
        let mut lru = Lru::new(3);
        for (k, v) in [("a", 1), ("b", 2), ("c", 3)] {
            lru.insert(k, v);
        }
        // A get makes "a" recent: "b" is now the oldest.
        assert_eq!(lru.get("a"), Some(1));
        lru.insert("d", 4);
        assert_eq!(lru.len(), 3);
        assert_eq!(lru.get("b"), None);
        assert_eq!(
            (lru.get("a"), lru.get("c"), lru.get("d")),
            (Some(1), Some(3), Some(4))
        );
        // Re-inserting updates in place, makes it recent, evicts nothing.
        lru.insert("c", 30);
        assert_eq!(lru.len(), 3);
        lru.insert("e", 5);
        // "a" was used before "c" and "d" above, then "c" re-inserted: "a" is the oldest.
        assert_eq!(lru.get("a"), None);
        assert_eq!(
            (lru.get("c"), lru.get("d"), lru.get("e")),
            (Some(30), Some(4), Some(5))
        );
        lru.remove("d");
        assert_eq!((lru.len(), lru.get("d")), (2, None));
        assert_eq!(lru.order.len(), lru.entries.len());
    }

    #[test]
    fn many_inserts_keep_it_bounded_and_consistent() {
        let mut lru = Lru::new(100);
        lru.insert("keep", 0);
        for i in 0..10_000u32 {
            lru.insert(&format!("k{i}"), i);
            // A key used all along is never the least recent.
            if i % 50 == 0 {
                assert_eq!(lru.get("keep"), Some(0));
            }
        }
        assert_eq!(lru.len(), 100);
        assert_eq!(lru.order.len(), 100);
        assert_eq!(lru.get("keep"), Some(0));
        assert_eq!(lru.get("k9999"), Some(9999));
        assert_eq!(lru.get("k0"), None);
    }
}
