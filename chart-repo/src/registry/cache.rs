//! Where analysed images are remembered: reference → (digest, [`ImageInfo`], when it was
//! fetched). The durable store implements [`ImageCache`] so a restart does not ask the
//! registries again; [`MemoryImageCache`] serves tests and the bench. Freshness (TTL,
//! revalidation) is the analyzer's decision, not the cache's.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use market_model::ImageInfo;
use serde::{Deserialize, Serialize};

/// One remembered analysis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedImage {
    /// The manifest or index digest the reference resolved to.
    pub digest: String,
    /// Always an `analyzed` result: failures are not cached.
    pub info: ImageInfo,
    /// When the registry last confirmed it (analysis or revalidation).
    pub fetched_at: DateTime<Utc>,
}

/// The cache could not be read or written; analysis then goes to the registry.
#[derive(Debug, thiserror::Error)]
#[error("image cache unavailable: {0}")]
pub struct CacheError(#[source] pub Box<dyn std::error::Error + Send + Sync>);

/// Storage of analysed images, keyed by the normalized reference
/// (`ImageRef::to_string()`, e.g. `docker.io/library/nginx:1.25`).
#[async_trait::async_trait]
pub trait ImageCache: Send + Sync {
    /// The entry for `reference`, whatever its age.
    async fn get(&self, reference: &str) -> Result<Option<CachedImage>, CacheError>;
    /// Inserts or replaces the entry for `reference`.
    async fn put(&self, reference: &str, entry: &CachedImage) -> Result<(), CacheError>;
}

/// An in-process [`ImageCache`].
#[derive(Debug, Default)]
pub struct MemoryImageCache {
    entries: Mutex<HashMap<String, CachedImage>>,
}

impl MemoryImageCache {
    pub fn new() -> Self {
        Self::default()
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, CachedImage>> {
        // Held only for one map operation, never across `.await`.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }
}

#[async_trait::async_trait]
impl ImageCache for MemoryImageCache {
    async fn get(&self, reference: &str) -> Result<Option<CachedImage>, CacheError> {
        Ok(self.entries().get(reference).cloned())
    }

    async fn put(&self, reference: &str, entry: &CachedImage) -> Result<(), CacheError> {
        self.entries().insert(reference.to_owned(), entry.clone());
        Ok(())
    }
}

/// The durable [`ImageCache`]: the store's image cache, so a restart does not ask the
/// registries again.
pub struct StoreImageCache(pub std::sync::Arc<dyn crate::store::RepoStore>);

#[async_trait::async_trait]
impl ImageCache for StoreImageCache {
    async fn get(&self, reference: &str) -> Result<Option<CachedImage>, CacheError> {
        let Some(stored) = self
            .0
            .image_cache_get(reference)
            .await
            .map_err(|e| CacheError(Box::new(e)))?
        else {
            return Ok(None);
        };
        let info = serde_json::from_value(stored.info).map_err(|e| CacheError(Box::new(e)))?;
        Ok(Some(CachedImage {
            digest: stored.digest,
            info,
            fetched_at: stored.fetched_at,
        }))
    }

    async fn put(&self, reference: &str, entry: &CachedImage) -> Result<(), CacheError> {
        let stored = crate::store::CachedImage {
            digest: entry.digest.clone(),
            info: serde_json::to_value(&entry.info).map_err(|e| CacheError(Box::new(e)))?,
            fetched_at: entry.fetched_at,
        };
        self.0
            .image_cache_put(reference, &stored)
            .await
            .map_err(|e| CacheError(Box::new(e)))
    }
}
