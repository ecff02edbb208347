//! chart-repo's storage port: one trait, two backends (SQLite for the embedded
//! profile, Redis for production); every backend passes the same contract
//! (`tests/api/store.rs`, with the source part shared in `test_harness`).
//!
//! Sources are kept as JSON documents (market owns their schema and pushes them
//! here); the one-active-remote rule is enforced atomically by each backend.

mod redis;
mod sqlite;

use std::sync::Arc;

use market_model::{MarketSource, SourceId};

pub use self::redis::RedisStore;
pub use self::sqlite::SqliteStore;
use crate::config::StoreUrl;

/// What went wrong in the store. `Unavailable` is retryable; the rest are not.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("migration failed: {0}")]
    Migration(String),
}

impl StoreError {
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }
}

/// The message of the one-active-remote rule, shared by every backend.
pub const ONE_ACTIVE_REMOTE: &str =
    "another remote market source is already active; deactivate it first";

/// Everything chart-repo keeps.
#[async_trait::async_trait]
pub trait RepoStore: Send + Sync + 'static {
    /// Applies pending migrations and seeds the default sources once.
    async fn migrate(&self) -> Result<(), StoreError>;
    async fn ping(&self) -> Result<(), StoreError>;

    /// Every source, by priority (highest first), then id.
    async fn sources(&self) -> Result<Vec<MarketSource>, StoreError>;
    async fn source(&self, id: &SourceId) -> Result<Option<MarketSource>, StoreError>;
    /// Inserts or replaces a source; a second active remote is `Conflict`.
    async fn put_source(&self, source: &MarketSource) -> Result<(), StoreError>;
    /// Returns whether the source existed.
    async fn delete_source(&self, id: &SourceId) -> Result<bool, StoreError>;
}

/// The key prefix of the production Redis profile.
pub const REDIS_PREFIX: &str = "chart_repo";

/// Opens the store the URL names (without migrating it).
pub async fn connect(url: &StoreUrl) -> Result<Arc<dyn RepoStore>, StoreError> {
    Ok(match url {
        StoreUrl::Sqlite(path) => Arc::new(SqliteStore::open(path).await?),
        StoreUrl::Redis(_) => Arc::new(RedisStore::connect(&url.expose(), REDIS_PREFIX).await?),
    })
}

fn encode_source(source: &MarketSource) -> Result<String, StoreError> {
    serde_json::to_string(source).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn decode_source(doc: &str) -> Result<MarketSource, StoreError> {
    serde_json::from_str(doc).map_err(|e| StoreError::Corrupt(format!("source document: {e}")))
}

/// Priority descending, then id: the order `sources()` promises.
fn sort_sources(sources: &mut [MarketSource]) {
    sources.sort_by(|a, b| b.priority.cmp(&a.priority).then_with(|| a.id.cmp(&b.id)));
}
