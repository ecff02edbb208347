//! The market's storage port: one trait, two backends (SQLite for the embedded
//! profile, PostgreSQL for production); every backend passes the same contract
//! (`tests/api/store.rs`, with the source part shared in `test_harness`).
//!
//! Queries live here and nowhere else; handlers and loops hold an
//! `Arc<dyn MarketStore>`.

mod postgres;
mod sqlite;

use std::sync::Arc;

use market_model::{MarketSource, SourceId};

use crate::config::DatabaseUrl;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

/// Keys of the settings table. Each holds one JSON document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SettingKey {
    /// `GET/PUT /settings/market-settings`.
    MarketSettings,
}

impl SettingKey {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MarketSettings => "market_settings",
        }
    }
}

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
    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }

    /// Maps a driver error; the message a unique index raises is given by the caller.
    fn from_sqlx(err: sqlx::Error, on_unique: &str) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                Self::Conflict(on_unique.to_owned())
            }
            sqlx::Error::Database(_)
            | sqlx::Error::ColumnDecode { .. }
            | sqlx::Error::Decode(_) => Self::Corrupt(err.to_string()),
            _ => Self::Unavailable(err.to_string()),
        }
    }
}

/// The message of the one-active-remote rule, shared by every backend.
pub const ONE_ACTIVE_REMOTE: &str =
    "another remote market source is already active; deactivate it first";

/// Everything the market keeps.
#[async_trait::async_trait]
pub trait MarketStore: Send + Sync + 'static {
    /// Applies pending migrations and seeds the default sources once.
    async fn migrate(&self) -> Result<(), StoreError>;
    /// Answers when the store is reachable.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Every source, by priority (highest first), then id.
    async fn sources(&self) -> Result<Vec<MarketSource>, StoreError>;
    async fn source(&self, id: &SourceId) -> Result<Option<MarketSource>, StoreError>;
    /// Inserts or replaces a source. At most one remote source may be active:
    /// a second one is `Conflict`.
    async fn put_source(&self, source: &MarketSource) -> Result<(), StoreError>;
    /// Returns whether the source existed.
    async fn delete_source(&self, id: &SourceId) -> Result<bool, StoreError>;

    async fn setting(&self, key: SettingKey) -> Result<Option<serde_json::Value>, StoreError>;
    async fn put_setting(
        &self,
        key: SettingKey,
        value: &serde_json::Value,
    ) -> Result<(), StoreError>;
}

/// Opens the store the URL names (without migrating it).
pub async fn connect(url: &DatabaseUrl) -> Result<Arc<dyn MarketStore>, StoreError> {
    Ok(match url {
        DatabaseUrl::Sqlite(path) => Arc::new(SqliteStore::open(path).await?),
        DatabaseUrl::Postgres(_) => Arc::new(PostgresStore::connect(&url.expose()).await?),
    })
}

/// A source row as both SQL backends read it.
#[derive(sqlx::FromRow)]
struct SourceRow {
    id: String,
    name: String,
    #[sqlx(rename = "type")]
    kind: String,
    base_url: String,
    priority: i32,
    is_active: bool,
    description: String,
    updated_at: chrono::DateTime<chrono::Utc>,
}

impl TryFrom<SourceRow> for MarketSource {
    type Error = StoreError;
    fn try_from(row: SourceRow) -> Result<Self, StoreError> {
        let id = SourceId::parse(&row.id).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let kind = market_model::SourceType::parse(&row.kind).ok_or_else(|| {
            StoreError::Corrupt(format!("source {id}: unknown type {:?}", row.kind))
        })?;
        Ok(MarketSource {
            id,
            name: row.name,
            kind,
            base_url: row.base_url,
            priority: row.priority,
            is_active: row.is_active,
            description: row.description,
            updated_at: row.updated_at,
        })
    }
}

fn decode_setting(
    key: SettingKey,
    raw: Option<String>,
) -> Result<Option<serde_json::Value>, StoreError> {
    raw.map(|text| {
        serde_json::from_str(&text)
            .map_err(|e| StoreError::Corrupt(format!("setting {}: {e}", key.as_str())))
    })
    .transpose()
}
