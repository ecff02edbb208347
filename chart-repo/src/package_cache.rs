//! Rendered packages kept in memory for serving (`GET …/charts/{name}-{version}.tgz`), so
//! a package asked for again is not read from disk again. Bounded in bytes, oldest
//! insertion evicted first; each entry remembers the digest its bytes have, and a lookup
//! names the digest the index expects, so a package rendered anew is never served from
//! an older copy. Never: I/O (the package store reads and fills it).

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};

use axum::body::Bytes;

use crate::packages::RenderedKey;

/// Packages in memory, at most `capacity` bytes of them.
#[derive(Debug)]
pub struct PackageCache {
    capacity: usize,
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<RenderedKey, (String, Bytes)>,
    /// Insertion order, for eviction. A key inserted again appears twice; its older
    /// occurrence then evicts the newer entry early, which costs a disk read, never a
    /// wrong answer.
    order: VecDeque<RenderedKey>,
    bytes: usize,
}

impl PackageCache {
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::default(),
        }
    }

    /// The package's bytes, if cached with this SHA-256 (hex).
    pub fn get(&self, key: &RenderedKey, digest: &str) -> Option<Bytes> {
        let inner = self.lock();
        match inner.entries.get(key) {
            Some((d, bytes)) if d == digest => Some(bytes.clone()),
            _ => None,
        }
    }

    /// Keeps `bytes` (whose SHA-256 is `digest`) for `key`, evicting the oldest entries
    /// beyond the capacity. A package larger than an eighth of the capacity is not kept.
    pub fn insert(&self, key: RenderedKey, digest: String, bytes: Bytes) {
        if bytes.len() > self.capacity / 8 {
            return;
        }
        let mut inner = self.lock();
        inner.bytes += bytes.len();
        if let Some((_, old)) = inner.entries.insert(key.clone(), (digest, bytes)) {
            inner.bytes -= old.len();
        }
        inner.order.push_back(key);
        while inner.bytes > self.capacity {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            if let Some((_, gone)) = inner.entries.remove(&oldest) {
                inner.bytes -= gone.len();
            }
        }
    }

    /// Drops the key's package (it was replaced or removed on disk).
    pub fn forget(&self, key: &RenderedKey) {
        let mut inner = self.lock();
        if let Some((_, gone)) = inner.entries.remove(key) {
            inner.bytes -= gone.len();
            inner.order.retain(|k| k != key);
        }
    }

    /// How many bytes are cached.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Every update leaves the map and the byte count consistent before it can
        // panic (none of them does), so a poisoned lock is still safe to use.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> RenderedKey {
        RenderedKey {
            user: "alice".into(),
            source: "market.olares".into(),
            name: name.into(),
            version: "1.0.0".into(),
        }
    }

    #[test]
    fn a_lookup_needs_the_digest_the_bytes_have() {
        let cache = PackageCache::new(1024);
        cache.insert(key("a"), "d1".into(), Bytes::from_static(b"one"));
        assert_eq!(cache.get(&key("a"), "d1").unwrap(), "one");
        assert!(cache.get(&key("a"), "d2").is_none());
        cache.insert(key("a"), "d2".into(), Bytes::from_static(b"two!"));
        assert!(cache.get(&key("a"), "d1").is_none());
        assert_eq!(cache.get(&key("a"), "d2").unwrap(), "two!");
        assert_eq!(cache.bytes(), 4);
        cache.forget(&key("a"));
        assert!(cache.get(&key("a"), "d2").is_none());
        assert_eq!(cache.bytes(), 0);
    }

    #[test]
    fn the_oldest_leave_first_and_large_packages_are_not_kept() {
        let cache = PackageCache::new(80);
        for name in ["a", "b", "c", "d", "e"] {
            cache.insert(key(name), "d".into(), Bytes::from(vec![0u8; 10]));
        }
        cache.insert(key("f"), "d".into(), Bytes::from(vec![0u8; 10]));
        assert_eq!(cache.bytes(), 60);
        cache.insert(key("big"), "d".into(), Bytes::from(vec![0u8; 11]));
        assert!(cache.get(&key("big"), "d").is_none(), "over capacity / 8");
        for name in ["g", "h", "i"] {
            cache.insert(key(name), "d".into(), Bytes::from(vec![0u8; 10]));
        }
        assert_eq!(cache.bytes(), 80);
        assert!(cache.get(&key("a"), "d").is_none());
        assert!(cache.get(&key("b"), "d").is_some());
        assert!(cache.get(&key("i"), "d").is_some());
    }
}
