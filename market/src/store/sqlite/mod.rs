//! The embedded profile: one SQLite file in WAL mode.
//!
//! Every transition that reads before it writes runs in a `BEGIN IMMEDIATE`
//! transaction ([`SqliteStore::begin`]): it takes the write lock up front, so
//! two writers never both read and then fail to upgrade. Times are stored as
//! milliseconds since the epoch (except the sources' `updated_at`).

mod catalog;
mod events;
mod tasks;
mod user_apps;
mod users;
mod watcher;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use market_model::{MarketSource, SourceId};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::{MarketStore, ONE_ACTIVE_REMOTE, SettingKey, SourceRow, StoreError, decode_setting};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

/// SQLite backend of [`MarketStore`].
#[derive(Clone, Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating it and its folder if needed) the database file.
    pub async fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Unavailable(format!("cannot create {}: {e}", dir.display()))
            })?;
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))
            .map_err(|e| StoreError::Unavailable(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // A SQLite connection is a file handle, not a link that can drop: pinging it
            // before each use (sqlx's default) is one more round trip to its worker thread
            // per query for nothing.
            .test_before_acquire(false)
            .connect_with(options)
            .await
            .map_err(|e| StoreError::Unavailable(format!("cannot open {}: {e}", path.display())))?;
        Ok(Self { pool })
    }
}

impl SqliteStore {
    /// A transaction holding SQLite's write lock from its start.
    async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(unavailable)
    }
}

fn unavailable(e: sqlx::Error) -> StoreError {
    StoreError::from_sqlx(e, "")
}

#[async_trait::async_trait]
impl MarketStore for SqliteStore {
    async fn migrate(&self) -> Result<(), StoreError> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Migration(e.to_string()))
    }

    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(drop)
            .map_err(unavailable)
    }

    async fn view_revision(&self) -> Result<i64, StoreError> {
        sqlx::query_scalar("SELECT revision FROM view_revision")
            .fetch_one(&self.pool)
            .await
            .map_err(unavailable)
    }

    async fn sources(&self) -> Result<Vec<MarketSource>, StoreError> {
        let rows: Vec<SourceRow> = sqlx::query_as(
            "SELECT id, name, type, base_url, priority, is_active, description, updated_at
             FROM market_sources ORDER BY priority DESC, id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(unavailable)?;
        rows.into_iter().map(MarketSource::try_from).collect()
    }

    async fn source(&self, id: &SourceId) -> Result<Option<MarketSource>, StoreError> {
        let row: Option<SourceRow> = sqlx::query_as(
            "SELECT id, name, type, base_url, priority, is_active, description, updated_at
             FROM market_sources WHERE id = ?",
        )
        .bind(id.as_str())
        .fetch_optional(&self.pool)
        .await
        .map_err(unavailable)?;
        row.map(MarketSource::try_from).transpose()
    }

    async fn put_source(&self, s: &MarketSource) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO market_sources (id, name, type, base_url, priority, is_active, description, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, type = excluded.type,
                base_url = excluded.base_url, priority = excluded.priority, is_active = excluded.is_active,
                description = excluded.description, updated_at = excluded.updated_at",
        )
        .bind(s.id.as_str())
        .bind(&s.name)
        .bind(s.kind.as_str())
        .bind(&s.base_url)
        .bind(s.priority)
        .bind(s.is_active)
        .bind(&s.description)
        .bind(s.updated_at)
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(|e| StoreError::from_sqlx(e, ONE_ACTIVE_REMOTE))
    }

    async fn delete_source(&self, id: &SourceId) -> Result<bool, StoreError> {
        let done = sqlx::query("DELETE FROM market_sources WHERE id = ?")
            .bind(id.as_str())
            .execute(&self.pool)
            .await
            .map_err(unavailable)?;
        Ok(done.rows_affected() > 0)
    }

    async fn setting(&self, key: SettingKey) -> Result<Option<serde_json::Value>, StoreError> {
        let raw: Option<String> = sqlx::query_scalar("SELECT value FROM settings WHERE key = ?")
            .bind(key.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(unavailable)?;
        decode_setting(key, raw)
    }

    async fn put_setting(
        &self,
        key: SettingKey,
        value: &serde_json::Value,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key.as_str())
        .bind(value.to_string())
        .bind(chrono::Utc::now())
        .execute(&self.pool)
        .await
        .map(drop)
        .map_err(unavailable)
    }
}

/// Milliseconds since the epoch: the stored form of every new time.
fn millis(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_millis(ms: i64) -> Result<chrono::DateTime<chrono::Utc>, StoreError> {
    chrono::DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| StoreError::Corrupt(format!("time out of range: {ms}")))
}
